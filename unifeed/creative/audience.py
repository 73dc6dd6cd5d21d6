"""Audience-written variants: variants written for the groups of people who respond.

Once a campaign has served a while, the people who clicked its ads are its
responders. They are grouped on the model's user vectors (the vector the
auction scored each of them with), each group is described by the words of
what its members engage with, more than the other responders do, and the
language model writes variants for each group: the brief's prompt with the
group's description added. Those variants are reviewed like any other
(`unifeed.creative.generate`) and join the campaign; delivery then shows each
viewer the variant the model scores highest for them, so a group's variant
reaches people like that group without anyone targeting it.

Runs model calls: call it from a background worker, never on a feed request.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from unifeed.creative.brief import Brief
from unifeed.creative.generation import Generation, generate
from unifeed.creative.variant import Creative
from unifeed.llm import LanguageModel
from unifeed.store import Store, schema

__all__ = [
    "AudienceGroup",
    "AudienceVariants",
    "Responder",
    "describe",
    "group_responders",
    "kmeans",
    "read_responders",
    "write_for_audiences",
]

POSITIVE = ("click", "like", "long_view", "share")
HISTORY = 30  # a responder's latest engaged items that describe them
_WORD = re.compile(r"[^\W\d_]{3,}")
# Words that say nothing about what a group likes, in the four brief languages.
_STOP_WORDS = (
    "the and for with this that you your are was were have has had not but all our out "
    "just more some what when why how who les des une pour avec dans sur est pas que qui "
    "vous nous plus der die das und mit für ein eine ist nicht sie wir los las una con "
    "para por del más"
)
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Responder:
    """Someone who clicked the campaign's ads, as the model and their history show them."""

    user_id: str
    vector: np.ndarray  # (D,) the model's user vector when the auction last scored them
    texts: tuple[str, ...]  # what they engaged with lately (not ads)


@dataclass(frozen=True)
class AudienceGroup:
    """One group of responders and the words that set it apart."""

    index: int
    user_ids: tuple[str, ...]
    centroid: np.ndarray  # (D,)
    words: tuple[str, ...]

    @property
    def description(self) -> str:
        """How the prompt names the group: what its people engage with."""
        if not self.words:
            return "people who clicked this ad before"
        return "people who engage with posts about " + ", ".join(self.words)


@dataclass(frozen=True)
class AudienceVariants:
    group: AudienceGroup
    generation: Generation


def kmeans(vectors: np.ndarray, k: int, iterations: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """(labels (N,), centroids (k, D)) of Lloyd's k-means on cosine-normalised vectors.

    Deterministic without a seed: the first centre is the point nearest the
    mean, each next one the point farthest from the centres so far (lowest
    index on ties), so the same responders always give the same groups.
    """
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError("kmeans needs a non-empty (N, D) array")
    if not 1 <= k <= len(x):
        raise ValueError(f"k must be between 1 and {len(x)}, got {k}")
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    first = int(np.argmin(((x - x.mean(axis=0)) ** 2).sum(axis=1)))
    centres = [x[first]]
    for _ in range(1, k):
        d = np.min([((x - c) ** 2).sum(axis=1) for c in centres], axis=0)  # (N,)
        centres.append(x[int(np.argmax(d))])
    c = np.stack(centres)  # (k, D)
    labels = np.full(len(x), -1)
    for _ in range(iterations):
        new = np.argmin(((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=2), axis=1)  # (N,)
        if (new == labels).all():
            break
        labels = new
        for j in range(k):
            if (labels == j).any():
                c[j] = x[labels == j].mean(axis=0)
    return labels, c


def describe(
    histories: Sequence[Sequence[str]], labels: np.ndarray, words: int = 5
) -> list[tuple[str, ...]]:
    """Per group: the words the most of its members engage with, beyond the other groups.

    A word scores the share of the group's members whose history has it,
    less its share among all responders, so the product's own topic, which
    every responder shares, does not crowd out what sets a group apart.
    """
    sets = [
        {w for t in h for w in _WORD.findall(t.casefold()) if w not in _STOP} for h in histories
    ]
    n = len(sets)
    overall = Counter(w for s in sets for w in s)
    out: list[tuple[str, ...]] = []
    for j in range(int(labels.max()) + 1 if n else 0):
        members = [s for s, lab in zip(sets, labels, strict=True) if lab == j]
        inside = Counter(w for s in members for w in s)
        m = max(len(members), 1)
        score = {w: c / m - overall[w] / n for w, c in inside.items() if c >= 2 or m < 4}
        ranked = sorted(score, key=lambda w: (-score[w], -inside[w], w))
        out.append(tuple(w for w in ranked if score[w] > 0)[:words])
    return out


def group_responders(
    responders: Sequence[Responder], k: int = 3, min_size: int = 5, words: int = 5
) -> list[AudienceGroup]:
    """At most `k` groups of at least `min_size` responders each (fewer when there are
    few responders: none below `min_size`)."""
    if k < 1 or min_size < 1:
        raise ValueError("k and min_size must be at least 1")
    k = min(k, len(responders) // min_size)
    if k < 1:
        return []
    labels, centroids = kmeans(np.stack([r.vector for r in responders]), k)
    described = describe([r.texts for r in responders], labels, words)
    groups = []
    for j in range(k):
        ids = tuple(r.user_id for r, lab in zip(responders, labels, strict=True) if lab == j)
        if ids:
            groups.append(AudienceGroup(len(groups), ids, centroids[j], described[j]))
    return groups


def write_for_audiences(
    model: LanguageModel,
    brief: Brief,
    groups: Sequence[AudienceGroup],
    *,
    variants: int = 1,
    attempts: int = 3,
    seed: int = 0,
    earlier: Sequence[Creative] = (),
) -> list[AudienceVariants]:
    """Variants for each group, each checked against the campaign's earlier ones
    and the other groups' (review's near-duplicate rule)."""
    kept = list(earlier)
    out = []
    for g in groups:
        gen = generate(
            model,
            brief,
            variants=variants,
            attempts=attempts,
            seed=seed * 131 + g.index,
            earlier=kept,
            audience=g.description,
        )
        kept += gen.approved
        out.append(AudienceVariants(g, gen))
    return out


def read_responders(store: Store, campaign_id: int, history: int = HISTORY) -> list[Responder]:
    """The people who clicked campaign `campaign_id`'s (store id) creatives, with the
    vector the auction last scored them with and the texts they engaged with lately.

    A clicker with no logged vector (served before vectors were logged) is left out.
    """
    e, it, u, cr = schema.events, schema.items, schema.users, schema.creatives
    s, fr = schema.ad_slots, schema.feed_requests
    with store.engine.connect() as conn:
        creative_items = select(cr.c.item_id).where(cr.c.campaign_id == campaign_id)
        clickers = [
            row[0]
            for row in conn.execute(
                select(u.c.external_id)
                .join(e, e.c.user_id == u.c.id)
                .where(e.c.action == "click", e.c.item_id.in_(creative_items))
                .distinct()
                .order_by(u.c.external_id)
            )
        ]
        if not clickers:
            return []
        vector: dict[str, bytes] = {}
        for user, blob in conn.execute(
            select(fr.c.user_external_id, s.c.query)
            .join(fr, fr.c.id == s.c.feed_request_id)
            .where(
                s.c.campaign_id == campaign_id,
                s.c.query.is_not(None),
                fr.c.user_external_id.in_(clickers),
            )
            .order_by(fr.c.id)
        ):
            vector[user] = blob  # the latest wins
        texts: dict[str, list[str]] = {}
        for user, text in conn.execute(
            select(u.c.external_id, it.c.text)
            .join(e, e.c.user_id == u.c.id)
            .join(it, it.c.id == e.c.item_id)
            .where(
                u.c.external_id.in_(clickers),
                e.c.action.in_(POSITIVE),
                it.c.kind != "ad",
                it.c.text.is_not(None),
            )
            .order_by(e.c.timestamp.desc(), e.c.id.desc())
        ):
            got = texts.setdefault(user, [])
            if len(got) < history:
                got.append(text)
    d = max((len(b) for b in vector.values()), default=0)
    return [
        Responder(
            user,
            np.frombuffer(vector[user], dtype=np.float32).astype(np.float64),
            tuple(texts.get(user, ())),
        )
        for user in clickers
        if user in vector and len(vector[user]) == d
    ]
