"""The interaction table: codes, ordering, offsets and per-item / per-user tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unifeed.data.interactions import DEFAULT_ACTION, ITEM_KINDS, Interactions, kind_code


def test_codes_follow_first_appearance() -> None:
    data = Interactions.from_events(["b", "a", "b", "c"], ["x", "y", "y", "x"])
    assert list(data.user_ids) == ["b", "a", "c"]
    assert list(data.item_ids) == ["x", "y"]
    assert data.n_users == 3
    assert data.n_items == 2
    assert len(data) == 4


def test_rows_sorted_by_user_then_time() -> None:
    data = Interactions.from_events(["u", "v", "u", "v"], ["a", "b", "c", "d"], [30, 5, 10, 1])
    assert data.user.tolist() == [0, 0, 1, 1]
    assert data.timestamp.tolist() == [10, 30, 1, 5]
    assert [data.item_ids[i] for i in data.item] == ["c", "a", "d", "b"]


def test_equal_timestamps_keep_source_order() -> None:
    data = Interactions.from_events(["u"] * 4, ["late", "tie1", "tie2", "early"], [9, 5, 5, 1])
    assert [data.item_ids[i] for i in data.sequence(0)] == ["early", "tie1", "tie2", "late"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3)),
        min_size=1,
        max_size=60,
    )
)
def test_order_matches_a_stable_sort(events: list[tuple[int, int]]) -> None:
    users = [f"u{u}" for u, _ in events]
    items = [f"e{k}" for k in range(len(events))]  # one item per event identifies the row
    times = [t for _, t in events]
    data = Interactions.from_events(users, items, times)

    first_seen = list(dict.fromkeys(users))
    expected = sorted(range(len(events)), key=lambda k: (first_seen.index(users[k]), times[k]))
    assert [data.item_ids[i] for i in data.item] == [items[k] for k in expected]


def test_without_timestamps_source_order_is_time() -> None:
    data = Interactions.from_events(["u", "v", "u"], ["a", "b", "c"])
    assert data.timestamp.tolist() == [0, 2, 1]
    assert [data.item_ids[i] for i in data.sequence(0)] == ["a", "c"]


def test_offsets_and_sequences() -> None:
    data = Interactions.from_events(["a", "b", "a", "c", "a"], ["1", "2", "3", "4", "5"])
    assert data.offsets.tolist() == [0, 3, 4, 5]
    assert [data.item_ids[i] for i in data.sequence(0)] == ["1", "3", "5"]
    assert [data.item_ids[i] for i in data.sequence(2)] == ["4"]
    assert sum(len(data.sequence(u)) for u in range(data.n_users)) == len(data)


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        Interactions.from_events(["a", "b"], ["x"])
    with pytest.raises(ValueError, match="differ in length"):
        Interactions.from_events(["a", "b"], ["x", "y"], [1])


def test_actions_and_values_follow_their_rows() -> None:
    data = Interactions.from_events(["u", "u"], ["a", "b"], [2, 1], ["click", "like"], [0.5, 2.0])
    assert data.action_names == ("click", "like")
    assert [data.action_names[a] for a in data.action] == ["like", "click"]
    assert data.value.tolist() == [2.0, 0.5]


def test_defaults_without_actions_or_values() -> None:
    data = Interactions.from_events(["u"], ["a"])
    assert data.action_names == (DEFAULT_ACTION,)
    assert np.isnan(data.value).all()


def test_item_text_and_kind_follow_item_codes() -> None:
    data = Interactions.from_events(
        ["u", "u", "u"],
        ["b", "a", "c"],
        item_text={"a": "alpha", "b": "beta"},
        item_kind={"a": "video", "b": "ad"},
    )
    assert data.item_text == ["beta", "alpha", None]
    assert [ITEM_KINDS[k] for k in data.item_kind] == ["ad", "video", "item"]


def test_unknown_kind_is_an_error() -> None:
    assert kind_code("post") == ITEM_KINDS.index("post")
    with pytest.raises(ValueError, match="unknown item kind 'reel'"):
        kind_code("reel")


def test_user_attributes_follow_user_codes() -> None:
    attrs = pd.DataFrame({"age": [30, 40]}, index=[2, 1])
    data = Interactions.from_events([1, 2, 3], ["a", "b", "c"], user_attributes=attrs)
    assert list(data.user_ids) == ["1", "2", "3"]
    assert data.user_attributes is not None
    assert data.user_attributes["age"].tolist()[:2] == [40, 30]
    assert np.isnan(data.user_attributes["age"].iloc[2])


def test_summary() -> None:
    data = Interactions.from_events(
        ["a", "a", "b"], ["x", "y", "x"], item_text={"x": "text"}, name="tiny"
    )
    assert data.summary() == {
        "name": "tiny",
        "users": 2,
        "items": 2,
        "interactions": 3,
        "avg_length": 1.5,
        "items_with_text": 1,
    }
