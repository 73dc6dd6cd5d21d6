"""The seeded world: reproducible, well-formed, and only loosely tied to demographics."""

from __future__ import annotations

import numpy as np
import pytest

from unifeed.sim.world import DIURNAL, GENERIC, TOPICS, SimConfig, build_world, session_seconds

SMALL = SimConfig(n_users=300, n_creators=12, n_topics=8, days=3, items_per_day=40)


def test_the_same_seed_gives_the_same_world() -> None:
    a, b = build_world(SMALL), build_world(SMALL)
    assert a.user_ids == b.user_ids and a.item_text == b.item_text
    np.testing.assert_array_equal(a.interests, b.interests)
    np.testing.assert_array_equal(a.item_quality, b.item_quality)
    other = build_world(SimConfig(**{**SMALL.to_dict(), "seed": 1}))
    assert other.item_text != a.item_text


def test_sizes_and_days() -> None:
    w = build_world(SMALL)
    assert w.n_users == 300 and len(w.creator_ids) == 12 and len(w.topics) == 8
    assert w.n_items == 3 * 40 and len(set(w.item_ids)) == w.n_items
    for day in range(3):
        assert len(w.items_of_day(day)) == 40
    np.testing.assert_allclose(w.interests.sum(axis=1), 1.0)
    assert set(w.item_topic.tolist()) <= set(range(8))
    assert (w.item_topic != w.item_topic2).all()


def test_interests_are_concentrated_on_a_few_topics() -> None:
    s = build_world(SMALL).summary()
    assert s["mean_top_interest"] > 0.45
    assert s["mean_topics_for_80pct_interest"] < 3.5


def test_post_text_comes_mostly_from_the_items_topic() -> None:
    w = build_world(SMALL)
    from_topic = total = 0
    generic = set(GENERIC)
    for i in range(w.n_items):
        words = w.item_text[i].lower().split()
        assert SMALL.min_words <= len(words) <= SMALL.max_words
        vocab = set(TOPICS[w.topics[w.item_topic[i]]].split())
        second = set(TOPICS[w.topics[w.item_topic2[i]]].split())
        assert all(x in vocab | second | generic for x in words)
        from_topic += sum(x in vocab for x in words)
        total += len(words)
    assert 0.55 < from_topic / total < 0.75


def test_demographics_tilt_interests_but_do_not_fix_them() -> None:
    w = build_world(SimConfig(n_users=2000, n_topics=16, days=1, items_per_day=10))
    gaming = w.topics.index("gaming")
    young = w.user_age < 30
    # Young users like gaming more on average, yet many young users do not care for it.
    assert w.interests[young, gaming].mean() > 1.5 * w.interests[~young, gaming].mean()
    assert (w.interests[young, gaming] < 0.05).mean() > 0.4


def test_payloads_hide_the_ground_truth() -> None:
    w = build_world(SMALL)
    user = w.user_payload(0)
    assert set(user) == {"id", "age", "gender", "country", "language"}
    item = w.item_payload(0)
    assert set(item) == {"id", "kind", "author", "text", "tags", "created_at"}
    assert item["kind"] in {"post", "video"} and item["created_at"].endswith("Z")
    assert item["tags"] == [w.topics[w.item_topic[0]]]


def test_active_users_depend_on_seed_and_day_only() -> None:
    w = build_world(SMALL)
    np.testing.assert_array_equal(w.active_users(1), build_world(SMALL).active_users(1))
    assert not np.array_equal(w.active_users(0), w.active_users(1))
    share = len(w.active_users(0)) / w.n_users
    assert abs(share - SMALL.active_share) < 0.1


@pytest.mark.parametrize(
    "bad",
    [
        {"n_users": 0},
        {"n_topics": 1},
        {"n_topics": len(TOPICS) + 1},
        {"feed_size": 0},
        {"feed_size": 101},
        {"active_share": 0.0},
        {"min_words": 9, "max_words": 8},
        {"topic_word_share": 0.9, "generic_word_share": 0.2},
        {"train_max_seconds": 0},
    ],
)
def test_config_rejects_bad_values(bad: dict) -> None:
    with pytest.raises(ValueError):
        SimConfig(**bad)


def test_diurnal_sessions_follow_the_day() -> None:
    seconds = session_seconds(np.random.default_rng(0), 20_000)
    assert np.all(np.diff(seconds) >= 0) and seconds[0] >= 0 and seconds[-1] < 86_400
    per_hour = np.bincount((seconds // 3600).astype(int), minlength=24)
    expected = 20_000 * np.array(DIURNAL) / sum(DIURNAL)
    assert np.all(np.abs(per_hour - expected) < 5 * np.sqrt(expected))
    assert per_hour[20] > 6 * per_hour[4]
