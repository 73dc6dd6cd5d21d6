"""The generated chain data set and its shuffled control."""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pytest

from unifeed.data import ITEM_KINDS, Interactions, make_synthetic


def transitions(data: Interactions) -> dict[int, set[int]]:
    """Every item's set of observed next items, over all users."""
    nexts: dict[int, set[int]] = defaultdict(set)
    for u in range(data.n_users):
        seq = data.sequence(u)
        for a, b in itertools.pairwise(seq):
            nexts[int(a)].add(int(b))
    return nexts


def test_shape_and_timestamps() -> None:
    data = make_synthetic(n_users=30, n_items=40, seq_len=12, n_chains=4, seed=1)
    assert data.n_users == 30
    assert len(data) == 30 * 12
    assert np.diff(data.offsets).tolist() == [12] * 30
    for u in range(data.n_users):
        times = data.timestamp[data.offsets[u] : data.offsets[u + 1]]
        assert (np.diff(times) > 0).all()
    assert data.n_items <= 40
    assert data.name == "synthetic"


def test_deterministic_given_seed() -> None:
    a = make_synthetic(seed=3)
    b = make_synthetic(seed=3)
    c = make_synthetic(seed=4)
    for field in ("user", "item", "timestamp"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    np.testing.assert_array_equal(a.item_ids, b.item_ids)
    assert a.item_text == b.item_text
    assert not np.array_equal(a.item_ids[a.item], c.item_ids[c.item])


def test_next_item_is_a_function_of_the_current() -> None:
    data = make_synthetic(n_users=100, n_items=60, seq_len=15, n_chains=5, seed=0)
    nexts = transitions(data)
    assert nexts
    assert all(len(s) == 1 for s in nexts.values())


def test_consecutive_items_share_a_topic() -> None:
    data = make_synthetic(n_users=20, n_items=60, seq_len=10, n_chains=5, seed=0)
    assert data.item_text is not None
    for u in range(data.n_users):
        topics = {data.item_text[i].split(": ")[0].split(" about ")[1] for i in data.sequence(u)}
        assert len(topics) == 1


def test_shuffled_control_is_unpredictable() -> None:
    data = make_synthetic(n_users=100, n_items=60, seq_len=15, seed=0, shuffled=True)
    nexts = transitions(data)
    assert np.mean([len(s) > 1 for s in nexts.values()]) > 0.9
    assert data.name == "synthetic-shuffled"


def test_shuffled_control_shares_times_and_texts() -> None:
    plain = make_synthetic(seed=5)
    control = make_synthetic(seed=5, shuffled=True)
    np.testing.assert_array_equal(plain.timestamp, control.timestamp)
    plain_text = dict(zip(plain.item_ids, plain.item_text or [], strict=True))
    control_text = dict(zip(control.item_ids, control.item_text or [], strict=True))
    shared = plain_text.keys() & control_text.keys()
    assert shared
    assert all(plain_text[i] == control_text[i] for i in shared)


def test_item_kinds_mix() -> None:
    data = make_synthetic(n_items=200, n_users=200, seed=0)
    assert data.item_kind is not None
    kinds = {ITEM_KINDS[k] for k in data.item_kind}
    assert kinds == {"post", "video", "ad"}
    assert data.item_text is not None
    for text, kind in zip(data.item_text, data.item_kind, strict=True):
        assert text is not None
        assert text.startswith(ITEM_KINDS[kind])


def test_without_text() -> None:
    data = make_synthetic(seed=0, with_text=False)
    assert data.item_text is None
    assert data.item_kind is not None


def test_many_chains_keep_distinct_topics() -> None:
    data = make_synthetic(n_users=300, n_items=48, seq_len=3, n_chains=12, seed=0)
    assert data.item_text is not None
    topics = {t.split(": ")[0].split(" about ")[1] for t in data.item_text if t}
    assert len(topics) == 12


@pytest.mark.parametrize(
    "kwargs",
    [{"n_users": 0}, {"seq_len": 0}, {"n_chains": 0}, {"n_items": 5, "n_chains": 3}],
)
def test_invalid_arguments(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="need"):
        make_synthetic(**kwargs)
