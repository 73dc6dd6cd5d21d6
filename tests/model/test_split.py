"""Leave-one-out: the newest event is the test target, the one before it the validation target."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from unifeed.data.interactions import Interactions
from unifeed.model.split import Sequences, leave_one_out, rows_of


def hand_made() -> Interactions:
    """Four users with 5, 2, 3 and 1 events, listed out of time order on purpose."""
    events = [  # (user, item, time, action)
        ("a", "p", 10, "click"),
        ("b", "q", 1, "click"),
        ("a", "r", 30, "click"),
        ("a", "q", 20, "like"),
        ("c", "s", 1, "like"),
        ("a", "t", 50, "like"),
        ("b", "p", 2, "like"),
        ("a", "s", 40, "click"),
        ("c", "r", 2, "click"),
        ("d", "u", 7, "click"),
        ("c", "p", 3, "like"),
    ]
    users, items, times, actions = zip(*events, strict=True)
    return Interactions.from_events(users, items, times, actions)


def codes(data: Interactions, items: str) -> list[int]:
    """Model codes (table code + 1) of single-letter item ids."""
    ids = list(data.item_ids)
    return [ids.index(i) + 1 for i in items]


def action_codes(data: Interactions, names: list[str]) -> list[int]:
    return [data.action_names.index(n) for n in names]


def user_codes(data: Interactions, users: str) -> list[int]:
    ids = list(data.user_ids)
    return [ids.index(u) for u in users]


def rows(seqs: Sequences) -> list[list[int]]:
    return [seqs.items[seqs.offsets[i] : seqs.offsets[i + 1]].tolist() for i in range(len(seqs))]


def test_train_rows_hold_all_but_the_last_two_events() -> None:
    data = hand_made()
    split = leave_one_out(data)
    a, b, c, d = user_codes(data, "abcd")
    assert len(split.train) == data.n_users  # one row per user, in user-code order
    train = rows(split.train)
    assert train[a] == codes(data, "pqr")
    assert train[b] == codes(data, "qp")  # fewer than 3 events: everything is training data
    assert train[c] == codes(data, "s")
    assert train[d] == codes(data, "u")
    assert split.train.lengths.tolist() == [len(r) for r in train]
    # Actions travel with their events.
    o = split.train.offsets
    assert split.train.actions[o[a] : o[a + 1]].tolist() == action_codes(
        data, ["click", "like", "click"]
    )
    assert split.n_items == 6
    assert split.n_actions == 2


def test_valid_and_test_targets_and_histories() -> None:
    data = hand_made()
    split = leave_one_out(data)
    a, _, c, _ = user_codes(data, "abcd")
    # Only users with at least three events are evaluated.
    assert split.valid.users.tolist() == [a, c]
    assert split.test.users.tolist() == [a, c]

    # Validation: target = second-to-last event, history = the training history.
    assert split.valid.targets.tolist() == codes(data, "sr")
    assert rows(split.valid.histories) == [codes(data, "pqr"), codes(data, "s")]
    v = split.valid.histories
    assert v.actions[v.offsets[0] : v.offsets[1]].tolist() == action_codes(
        data, ["click", "like", "click"]
    )

    # Test: target = last event, history = training history + the validation item.
    assert split.test.targets.tolist() == codes(data, "tp")
    assert rows(split.test.histories) == [codes(data, "pqrs"), codes(data, "sr")]
    t = split.test.histories
    assert t.actions[t.offsets[1] : t.offsets[2]].tolist() == action_codes(data, ["like", "click"])


def test_codes_are_one_based() -> None:
    data = hand_made()
    split = leave_one_out(data)
    everything = np.concatenate(
        [
            split.train.items,
            split.valid.histories.items,
            split.test.histories.items,
            split.valid.targets,
            split.test.targets,
        ]
    )
    assert everything.min() >= 1  # 0 is padding
    assert everything.max() == data.n_items
    np.testing.assert_array_equal(np.sort(np.unique(everything)), np.arange(1, data.n_items + 1))


def test_nobody_evaluable() -> None:
    data = Interactions.from_events(["a", "a", "b"], ["x", "y", "x"])
    split = leave_one_out(data)
    assert rows(split.train) == [[1, 2], [1]]
    assert len(split.valid.targets) == 0 and len(split.test.targets) == 0
    assert len(split.valid.histories) == 0 and len(split.test.histories) == 0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(0, 9), min_size=1, max_size=12),
        min_size=1,
        max_size=10,
    )
)
def test_split_reassembles_every_sequence(seqs: list[list[int]]) -> None:
    users = [f"u{u}" for u, s in enumerate(seqs) for _ in s]
    items = [f"i{i}" for s in seqs for i in s]
    data = Interactions.from_events(users, items)
    split = leave_one_out(data)
    full = [(data.sequence(u) + 1).tolist() for u in range(data.n_users)]
    train = rows(split.train)
    evaluable = [u for u, s in enumerate(full) if len(s) >= 3]
    assert split.test.users.tolist() == evaluable
    for u, s in enumerate(full):
        assert train[u] == (s[:-2] if len(s) >= 3 else s)
    for e, u in enumerate(evaluable):
        s = full[u]
        assert rows(split.valid.histories)[e] == s[:-2]
        assert rows(split.test.histories)[e] == s[:-1]
        assert split.valid.targets[e] == s[-2]
        assert split.test.targets[e] == s[-1]
    assert len(split.train.items) + 2 * len(evaluable) == len(data)


def test_rows_of() -> None:
    offsets = np.array([0, 3, 5, 6, 6, 9])
    assert rows_of(offsets, np.array([0, 2])).tolist() == [0, 1, 2, 5]
    assert rows_of(offsets, np.array([2, 0])).tolist() == [5, 0, 1, 2]  # in the order asked
    assert rows_of(offsets, np.array([3, 4])).tolist() == [6, 7, 8]  # an empty row adds nothing
    assert rows_of(offsets, np.array([0, 1, 4]), drop_last=1).tolist() == [0, 1, 3, 6, 7]
    empty = rows_of(offsets, np.array([], dtype=np.int64))
    assert empty.tolist() == [] and empty.dtype == np.int64


def test_padded_keeps_the_newest_events_right_padded() -> None:
    seqs = Sequences(
        offsets=np.array([0, 5, 7, 8, 8]),
        items=np.arange(1, 9),
        actions=np.arange(11, 19),
    )
    items, actions, lengths = seqs.padded(np.array([0, 1, 2]), max_len=3)
    assert items.tolist() == [[3, 4, 5], [6, 7, 0], [8, 0, 0]]
    assert actions.tolist() == [[13, 14, 15], [16, 17, 0], [18, 0, 0]]
    assert lengths.tolist() == [3, 2, 1]

    # Rows in any order; T is the longest window, not max_len.
    items, _, lengths = seqs.padded(np.array([2, 1]), max_len=10)
    assert items.tolist() == [[8, 0], [6, 7]]
    assert lengths.tolist() == [1, 2]

    # An empty row is all padding.
    items, _, lengths = seqs.padded(np.array([3, 1]), max_len=4)
    assert items.tolist() == [[0, 0], [6, 7]]
    assert lengths.tolist() == [0, 2]
    assert seqs.lengths.tolist() == [5, 2, 1, 0]
    assert len(seqs) == 4
