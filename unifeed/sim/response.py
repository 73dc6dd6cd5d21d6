"""The hidden ground truth: how a simulated user responds to an item shown in a feed.

Nothing in the production stack may import this module; the rankers learn
about it only through the events the simulated users send.

For user u and item i, with the user's interests θ_u (summing to 1):

    affinity    = θ_u[topic_i] + secondary · θ_u[topic2_i]
    p(click)    = σ(click_bias + click_affinity · affinity + click_quality · quality_i)
    p(like      | click) = σ(like_bias + like_affinity · affinity + like_quality · quality_i)
    p(long_view | click) = σ(long_bias + long_affinity · affinity + long_quality · quality_i
                             + long_video · [i is a video])
    p(hide  | no click)  = σ(hide_bias + hide_affinity · affinity + hide_quality · quality_i)

so interest in the item's topic drives everything, quality matters to every
user alike (which is what popularity can exploit), and hides come mostly from
items far from a user's interests.

Besides their feed, users find a few recent items by themselves each day
(`organic_items`: search, shares, creators they follow), more often in the
topics they like. Those are the same in every arm.

The uniforms that decide each response are a hash of (seed, user, item), not
draws from a shared stream: the same user shown the same item reacts the same
way in every arm, whatever else the arm showed before, so arms differ only in
what their rankers chose to show.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from unifeed.sim.world import World

# Actions the simulated users send, besides the impression of every item shown.
RESPONSE_ACTIONS: tuple[str, ...] = ("click", "like", "long_view", "hide")
# The actions that count as engagement in the report (hides are reported apart).
ENGAGEMENT_ACTIONS: tuple[str, ...] = ("click", "like", "long_view")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class ResponseModel:
    """Weights of the ground-truth response model (see the module docstring)."""

    secondary: float = 0.25
    click_bias: float = -3.2
    click_affinity: float = 5.5
    click_quality: float = 0.7
    like_bias: float = -1.6
    like_affinity: float = 2.5
    like_quality: float = 0.6
    long_bias: float = -1.2
    long_affinity: float = 2.0
    long_quality: float = 0.5
    long_video: float = 0.8
    hide_bias: float = -2.4
    hide_affinity: float = -8.0
    hide_quality: float = -0.4

    def affinity(self, world: World, user: int, items: np.ndarray) -> np.ndarray:
        theta = world.interests[user]
        return theta[world.item_topic[items]] + self.secondary * theta[world.item_topic2[items]]

    def probabilities(self, world: World, user: int, items: np.ndarray) -> dict[str, np.ndarray]:
        """p(click), and p(like), p(long_view) given a click, p(hide) given none."""
        items = np.asarray(items, dtype=np.int64)
        video = np.array([world.item_kind[i] == "video" for i in items], dtype=np.float64)
        return self.probabilities_of(
            self.affinity(world, user, items), world.item_quality[items], video
        )

    def probabilities_of(
        self, aff: np.ndarray, q: np.ndarray, video: np.ndarray
    ) -> dict[str, np.ndarray]:
        """The same, from affinities, qualities and video flags (ads use it too)."""
        return {
            "click": _sigmoid(self.click_bias + self.click_affinity * aff + self.click_quality * q),
            "like": _sigmoid(self.like_bias + self.like_affinity * aff + self.like_quality * q),
            "long_view": _sigmoid(
                self.long_bias
                + self.long_affinity * aff
                + self.long_quality * q
                + self.long_video * video
            ),
            "hide": _sigmoid(self.hide_bias + self.hide_affinity * aff + self.hide_quality * q),
        }

    def expected_engagement(self, world: World, user: int, items: np.ndarray) -> np.ndarray:
        """Expected engagement actions (click + like + long_view) per impression of each item."""
        p = self.probabilities(world, user, items)
        return p["click"] * (1.0 + p["like"] + p["long_view"])

    def respond(self, world: World, user: int, items: np.ndarray) -> list[list[str]]:
        """The actions `user` takes on each of `items` (besides the impression).

        Deterministic in (seed, user, item): see `response_uniforms`.
        """
        items = np.asarray(items, dtype=np.int64)
        if len(items) == 0:
            return []
        p = self.probabilities(world, user, items)
        seed = world.config.seed
        out: list[list[str]] = []
        for j, i in enumerate(items):
            u = response_uniforms(seed, world.user_ids[user], world.item_ids[i])
            if u[0] < p["click"][j]:
                acts = ["click"]
                if u[1] < p["like"][j]:
                    acts.append("like")
                if u[2] < p["long_view"][j]:
                    acts.append("long_view")
            else:
                acts = ["hide"] if u[3] < p["hide"][j] else []
            out.append(acts)
        return out


# Weight of a topic nobody cares for in organic discovery, so users stumble
# on some items outside their interests too.
ORGANIC_FLOOR = 0.02


def organic_items(world: World, user: int, day: int) -> np.ndarray:
    """Items `user` finds outside the feed on `day`: posted that day or the day before.

    Drawn from (seed, user, day) alone, with odds proportional to the user's
    interest in the item's topic (plus a floor), so it is the same in every arm.
    """
    k = world.config.organic_per_day
    recent = np.flatnonzero((world.item_day <= day) & (world.item_day >= day - 1))
    if k == 0 or len(recent) == 0:
        return np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng([world.config.seed, 2, day, user])
    p = world.interests[user][world.item_topic[recent]] + ORGANIC_FLOOR
    return rng.choice(recent, size=min(k, len(recent)), replace=False, p=p / p.sum())


def response_uniforms(seed: int, user_id: str, item_id: str) -> np.ndarray:
    """Four uniforms in [0, 1) for (click, like, long_view, hide), fixed by the triple."""
    digest = hashlib.blake2b(
        f"{seed}\x1f{user_id}\x1f{item_id}".encode(), digest_size=16, person=b"unifeed-sim"
    ).digest()
    return np.frombuffer(digest, dtype="<u4").astype(np.float64) / 2.0**32
