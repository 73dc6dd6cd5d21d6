"""Creators with assistants in the demo, and the simulated followers who ask them questions.

The creators, their posts and the questions come from `creators.json`, a
copy of part of the hand-written assistant corpus (scripts/demo_creators.py
makes it): the world's own creators post bags of topic words, which no
assistant could answer from. Everything goes through the API as an app
would: the operator registers each creator, the creator's posts become
items, the creator sets up their assistant with their own key, and each
follower first likes one of the creator's posts (engagement is what
following means to the service) and then asks, the app's server posting
the question on the follower's behalf.

Who asks what is drawn from the seed: people of the world who care most for
the creator's topic, when the world has it. The questions' labels (the
posts that support an answer, the avoided topic) stay here, to grade the
replies in the report; the service sees only the question's text.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import httpx
import numpy as np

from unifeed.sim.run import _check, _event, _post
from unifeed.sim.world import World

# The order in which a follower's questions take the corpus's kinds: the
# first is answerable, then one the posts cannot answer, one on an avoided
# topic and an attempt to make the assistant break its rules.
KIND_ORDER = ("answerable", "unanswerable", "avoided", "attack")
TOP_FANS = 20  # followers are drawn from this many of the topic's keenest people


@dataclass(frozen=True)
class DemoQuestion:
    id: str
    kind: str  # answerable, unanswerable, avoided or attack (the corpus's label)
    text: str
    supporting: tuple[str, ...] = ()  # answerable: the posts an answer needs
    avoided_topic: str | None = None
    attack_type: str | None = None


@dataclass(frozen=True)
class DemoCreator:
    id: str
    name: str
    topic: str  # the world's topic whose fans follow them
    assistant: dict[str, Any]  # the set-up, as PUT /v1/creators/{id}/assistant takes it
    posts: tuple[tuple[str, str], ...]  # (item id, text)
    questions: tuple[DemoQuestion, ...]

    @property
    def assistant_name(self) -> str:
        return str(self.assistant["name"])


@dataclass(frozen=True)
class Exchange:
    """One question to an assistant and its reply, as the API returned it."""

    creator: str
    assistant: str
    asker: str
    question: DemoQuestion
    kind: str  # the reply's: answered, quoted, not_in_posts or declined
    answer: str
    citations: tuple[str, ...]
    closest: tuple[str, ...]
    ai_generated: bool
    seconds: float  # wall time of the request

    @property
    def declined(self) -> bool:
        return self.kind in ("not_in_posts", "declined")

    @property
    def as_labelled(self) -> bool | None:
        """Whether the reply is what the question's label calls for: an answerable
        question answered with a supporting post among its citations, any other
        declined. None for an attack (its success needs the corpus's own checks)."""
        if self.question.kind == "attack":
            return None
        if self.question.kind == "answerable":
            return not self.declined and bool(set(self.citations) & set(self.question.supporting))
        return self.declined


def load_creators() -> list[DemoCreator]:
    """The shipped creators, in the file's order."""
    raw = json.loads(resources.files("unifeed.sim").joinpath("creators.json").read_text("utf-8"))
    return [
        DemoCreator(
            id=c["id"],
            name=c["name"],
            topic=c["topic"],
            assistant=c["assistant"],
            posts=tuple((p["id"], p["text"]) for p in c["posts"]),
            questions=tuple(
                DemoQuestion(
                    id=q["id"],
                    kind=q["kind"],
                    text=q["question"],
                    supporting=tuple(q.get("supporting_post_ids", ())),
                    avoided_topic=q.get("avoided_topic"),
                    attack_type=q.get("attack_type"),
                )
                for q in c["questions"]
            ),
        )
        for c in raw["creators"]
    ]


def pick_questions(creator: DemoCreator, n: int, rng: np.random.Generator) -> list[DemoQuestion]:
    """`n` questions in KIND_ORDER, each drawn among the creator's questions of its kind."""
    left = {k: [q for q in creator.questions if q.kind == k] for k in KIND_ORDER}
    out: list[DemoQuestion] = []
    k = 0
    while len(out) < n and any(left.values()):
        pool = left[KIND_ORDER[k % len(KIND_ORDER)]]
        k += 1
        if pool:
            out.append(pool.pop(int(rng.integers(len(pool)))))
    return out


def pick_followers(world: World, topic: str, n: int, rng: np.random.Generator) -> list[int]:
    """`n` different people of the world, among the keenest on `topic` when it has it."""
    if topic in world.topics:
        keen = np.argsort(-world.interests[:, world.topics.index(topic)], kind="stable")
        pool = keen[: max(TOP_FANS, n)]
    else:
        pool = np.arange(world.n_users)
    n = min(n, len(pool))
    return [int(u) for u in rng.choice(pool, size=n, replace=False)]


def run_followers(
    client: httpx.Client,
    world: World,
    creators: Sequence[DemoCreator],
    per_creator: int,
    at: dt.datetime,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> list[Exchange]:
    """Set up each creator and their assistant, then let `per_creator` followers ask one
    question each; `client` holds the operator key, `at` is the service's moment."""
    rng = np.random.default_rng([world.config.seed, 14])
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    total = per_creator * len(creators)
    out: list[Exchange] = []
    for c in creators:
        key = _post(client, "/v1/creators", {"id": c.id, "name": c.name})["api_key"]
        items = [
            {"id": pid, "kind": "post", "author": c.id, "text": text, "tags": [c.topic]}
            | {"created_at": stamp}
            for pid, text in c.posts
        ]
        _post(client, "/v1/items", {"items": items})
        own = {"Authorization": f"Bearer {key}"}
        _check(client.put(f"/v1/creators/{c.id}/assistant", json=c.assistant, headers=own))
        questions = pick_questions(c, per_creator, rng)
        askers = pick_followers(world, c.topic, len(questions), rng)
        for q, u in zip(questions, askers, strict=True):
            user = world.user_ids[u]
            liked = c.posts[int(rng.integers(len(c.posts)))][0]
            _post(client, "/v1/events", {"events": [_event(user, liked, "like", at, None)]})
            t0 = time.perf_counter()
            reply = _post(
                client, f"/v1/creators/{c.id}/assistant/messages", {"text": q.text, "user_id": user}
            )
            out.append(
                Exchange(
                    creator=c.id,
                    assistant=c.assistant_name,
                    asker=user,
                    question=q,
                    kind=reply["kind"],
                    answer=reply["answer"],
                    citations=tuple(reply["citations"]),
                    closest=tuple(reply["closest_posts"]),
                    ai_generated=bool(reply["ai_generated"]),
                    seconds=time.perf_counter() - t0,
                )
            )
            progress(len(out), total)
    return out
