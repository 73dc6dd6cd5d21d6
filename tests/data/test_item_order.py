"""Interactions.with_item_order: lining a data set up with a model's catalogue."""

from __future__ import annotations

import numpy as np
import pytest

from unifeed.data import DataFormatError, Interactions


def table() -> Interactions:
    return Interactions.from_events(
        ["u1", "u1", "u2", "u2", "u2"],
        ["b", "a", "c", "b", "a"],
        [1, 2, 1, 2, 3],
        item_text={"a": "apple", "c": "cherry"},
        item_kind={"a": "post", "b": "video", "c": "ad"},
        name="fruit",
    )


def test_recodes_items_and_keeps_everything_else() -> None:
    data = table()
    out = data.with_item_order(["c", "x", "a", "b"])
    assert out.item_ids.tolist() == ["c", "x", "a", "b"]
    assert [out.item_ids[i] for i in out.item] == [data.item_ids[i] for i in data.item]
    assert out.item_text == ["cherry", None, "apple", None]
    kinds = {i: k for i, k in zip(out.item_ids, out.item_kind, strict=True)}
    assert kinds == {"c": 3, "x": 0, "a": 1, "b": 2}
    assert np.array_equal(out.user, data.user)
    assert np.array_equal(out.timestamp, data.timestamp)
    assert out.n_items == 4 and out.name == "fruit"


def test_same_order_is_identity() -> None:
    data = table()
    out = data.with_item_order(data.item_ids)
    assert np.array_equal(out.item, data.item)
    assert out.item_text == data.item_text


def test_unknown_items_are_named() -> None:
    with pytest.raises(DataFormatError, match=r"fruit: 2 of 3 items .* e\.g\. 'b', 'c'"):
        table().with_item_order(["a", "z"])


def test_repeated_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match="repeats"):
        table().with_item_order(["a", "b", "c", "a"])
