"""The demo's creators with assistants: the shipped copy of the corpus, and who asks what."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from unifeed.sim.followers import (
    KIND_ORDER,
    DemoQuestion,
    Exchange,
    load_creators,
    pick_followers,
    pick_questions,
)
from unifeed.sim.world import SimConfig, build_world

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location(
        "demo_creators", ROOT / "scripts/demo_creators.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_creators_are_the_corpus_as_the_script_copies_it() -> None:
    script = _script()
    shipped = (ROOT / "unifeed/sim/creators.json").read_text(encoding="utf-8")
    assert shipped == script.render(), "run `python scripts/demo_creators.py` and commit"


def test_every_creator_has_posts_and_questions_of_every_kind() -> None:
    creators = load_creators()
    assert len(creators) == 4
    for c in creators:
        assert len(c.posts) >= 40 and c.assistant["name"] and c.assistant["avoid_topics"]
        kinds = {q.kind for q in c.questions}
        assert kinds == set(KIND_ORDER)
        ids = {pid for pid, _ in c.posts}
        for q in c.questions:
            if q.kind == "answerable":
                assert q.supporting and set(q.supporting) <= ids


def test_questions_take_the_kinds_in_turn_and_never_repeat() -> None:
    c = load_creators()[0]
    rng = np.random.default_rng(0)
    qs = pick_questions(c, 6, rng)
    assert [q.kind for q in qs[:4]] == list(KIND_ORDER)
    assert len({q.id for q in qs}) == 6
    assert len(pick_questions(c, 100, rng)) == len(c.questions)


def test_followers_are_the_topics_keenest_people() -> None:
    world = build_world(SimConfig(n_users=200, n_topics=12))
    topic = world.topics[0]
    picked = pick_followers(world, topic, 4, np.random.default_rng(1))
    assert len(set(picked)) == 4
    keen = world.interests[:, 0]
    assert all(keen[u] >= np.sort(keen)[-20] for u in picked)
    # A topic the world does not have: anyone may follow.
    assert len(pick_followers(world, "no-such-topic", 3, np.random.default_rng(1))) == 3


def _exchange(kind: str, reply: str, citations: tuple[str, ...]) -> Exchange:
    q = DemoQuestion("q", kind, "?", supporting=("p1",) if kind == "answerable" else ())
    return Exchange("c", "A", "user1", q, reply, "text", citations, (), True, 1.0)


def test_a_reply_is_graded_against_its_questions_label() -> None:
    assert _exchange("answerable", "answered", ("p1", "p2")).as_labelled is True
    assert _exchange("answerable", "quoted", ("p3",)).as_labelled is False
    assert _exchange("answerable", "not_in_posts", ()).as_labelled is False
    assert _exchange("unanswerable", "not_in_posts", ()).as_labelled is True
    assert _exchange("avoided", "answered", ("p1",)).as_labelled is False
    assert _exchange("attack", "declined", ()).as_labelled is None
