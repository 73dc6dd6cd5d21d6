"""Creators' published drafts in the simulator, and how they fare beside their own posts.

A draft written by a creator's assistant and published becomes an item of
that creator like any other (the publish route writes it with its content
embedding). Here it joins the world as an item posted on `day` by its creator,
and the feed ranks it from its text on day one, as it would any new post.

What the simulator cannot know is how good a model-written post would seem to
people: its hidden quality is set to the mean of its creator's own posts, and
its hidden topics to the creator's two home topics (what the draft was asked
to be about). So a draft's engagement per impression against its creator's
posts measures whether the ranker, reading the draft's words, shows it to the
people who care for that topic as well as it shows the creator's own posts,
not whether readers would like the prose.

`FeedTally` counts feed impressions and engagement per item: it is the
response model (unchanged answers) and an observer of the day loop, and takes
the first reaction after each session start as the feed's, the rest as the
items the user found outside it, which the day loop reacts to after the feed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np

from unifeed.sim.response import ENGAGEMENT_ACTIONS, ResponseModel
from unifeed.sim.world import World

__all__ = ["Draft", "FeedTally", "TalliedResponse", "with_drafts"]


@dataclass(frozen=True, slots=True)
class Draft:
    creator: int  # index into world.creator_ids
    text: str


def with_drafts(world: World, drafts: list[Draft], day: int) -> tuple[World, np.ndarray]:
    """`world` with the drafts posted on `day`, and the drafts' item indices."""
    if not drafts:
        return world, np.zeros(0, dtype=np.int64)
    k = len(world.topics)
    creators = np.array([d.creator for d in drafts], dtype=np.int64)
    topic = world.creator_topics[creators, 0]
    second = world.creator_topics[creators, 1]
    topic2 = np.where(second == topic, (topic + 1) % k, second)
    quality = np.array(
        [float(world.item_quality[world.item_creator == c].mean()) for c in creators]
    )
    n = world.n_items
    grown = replace(
        world,
        item_ids=world.item_ids + tuple(f"draft{j:03d}" for j in range(len(drafts))),
        item_creator=np.concatenate([world.item_creator, creators]),
        item_topic=np.concatenate([world.item_topic, topic]),
        item_topic2=np.concatenate([world.item_topic2, topic2]),
        item_quality=np.concatenate([world.item_quality, quality]),
        item_kind=world.item_kind + ("post",) * len(drafts),
        item_day=np.concatenate([world.item_day, np.full(len(drafts), day)]),
        item_text=world.item_text + tuple(d.text for d in drafts),
    )
    return grown, np.arange(n, n + len(drafts))


@dataclass
class FeedTally:
    """Per item: feed impressions, engagement actions, and the summed affinity of the
    users it was shown to (hidden, for the report's explanation only)."""

    impressions: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    engaged: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    affinity: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    _feed_next: bool = True

    # SimObserver: a session's feed is the first thing reacted to after these.
    def arm_start(self, arm: str, days: int) -> None:
        self._feed_next = True

    def day_start(self, arm: str, day: int, n_users: int) -> None:
        self._feed_next = True

    def feeds_done(self, n: int) -> None:
        self._feed_next = True

    def training(self, arm: str, day: int) -> None:
        pass

    def day_end(self, arm: str, stats: object) -> None:
        pass

    def add(self, items: np.ndarray, actions: list[list[str]], affinity: np.ndarray) -> None:
        if not self._feed_next:
            return  # found outside the feed: not a feed impression
        self._feed_next = False
        for i, acts, a in zip(items.tolist(), actions, affinity.tolist(), strict=True):
            self.impressions[i] += 1
            self.engaged[i] += sum(x in ENGAGEMENT_ACTIONS for x in acts)
            self.affinity[i] += a

    def rate(self, items: np.ndarray) -> tuple[int, int, float]:
        """(impressions, engagement actions, mean affinity of the viewers) over `items`."""
        shown = sum(self.impressions.get(int(i), 0) for i in items)
        engaged = sum(self.engaged.get(int(i), 0) for i in items)
        aff = sum(self.affinity.get(int(i), 0.0) for i in items)
        return shown, engaged, aff / shown if shown else float("nan")


@dataclass(frozen=True)
class TalliedResponse(ResponseModel):
    """The same responses as `ResponseModel`, counted in `tally` as they happen."""

    tally: FeedTally = field(default_factory=FeedTally)

    def respond(self, world: World, user: int, items: np.ndarray) -> list[list[str]]:
        items = np.asarray(items, dtype=np.int64)
        actions = super().respond(world, user, items)
        affinity = self.affinity(world, user, items) if len(items) else np.zeros(0)
        self.tally.add(items, actions, affinity)  # an empty feed is still the feed
        return actions
