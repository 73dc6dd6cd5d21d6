"""Per-user sequences and the leave-one-out split of the published benchmarks.

Each user's newest event is the test target and the one before it the
validation target. The model trains on everything older; validation scores the
training history, test scores the history including the validation event.
Users with fewer than three events only contribute training data.
Item codes here are the table's codes + 1, because 0 pads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from unifeed.data.interactions import Interactions


@dataclass
class Sequences:
    """Variable-length histories in CSR form."""

    offsets: np.ndarray  # (S+1,) int64
    items: np.ndarray  # (N,) int64 model item codes (1-based)
    actions: np.ndarray  # (N,) int64 action codes

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def select(self, rows: np.ndarray) -> Sequences:
        """The given rows, in that order, as their own Sequences."""
        start = self.offsets[rows]
        return gather(self.items, self.actions, start, self.offsets[rows + 1] - start)

    def padded(self, rows: np.ndarray, max_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The newest `max_len` events of each row, right-padded: (B, T), (B, T), (B,)."""
        end = self.offsets[rows + 1]
        start = np.maximum(self.offsets[rows], end - max_len)
        return pad_windows(self.items, self.actions, start, end - start)


def offsets_from_lengths(lengths: np.ndarray) -> np.ndarray:
    """(S+1,) CSR offsets of rows with the given lengths."""
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def spans(start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Flat indices of the ranges start[i]:start[i]+length[i], one after another."""
    if len(start) == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(start - offsets_from_lengths(length)[:-1], length)
    return np.arange(int(length.sum())) + shift


def gather(
    items: np.ndarray, actions: np.ndarray, start: np.ndarray, length: np.ndarray
) -> Sequences:
    """Sequences whose row i is items[start[i] : start[i] + length[i]]."""
    flat = spans(start, length)
    return Sequences(offsets_from_lengths(length), items[flat], actions[flat])


def pad_windows(
    items: np.ndarray, actions: np.ndarray, start: np.ndarray, length: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gather windows items[start:start+length] into right-padded (B, T) arrays."""
    T = int(length.max()) if len(length) else 0
    t = np.arange(T)
    idx = start[:, None] + t[None, :]  # (B, T)
    valid = t[None, :] < length[:, None]
    idx = np.where(valid, idx, 0)
    return (
        np.where(valid, items[idx], 0),
        np.where(valid, actions[idx], 0),
        length.astype(np.int64),
    )


@dataclass
class EvalSet:
    """Histories to score and the item each should rank first."""

    users: np.ndarray  # (E,) user codes
    histories: Sequences  # (E rows)
    targets: np.ndarray  # (E,) model item codes


@dataclass
class Split:
    train: Sequences  # one row per user (possibly empty)
    valid: EvalSet
    test: EvalSet
    n_items: int
    n_actions: int


def with_validation_in_train(split: Split) -> Split:
    """The same split with each user's validation event moved into training (for a refit)."""
    train = split.train
    lengths = train.lengths.copy()
    users = split.test.users
    lengths[users] += 1
    offsets = offsets_from_lengths(lengths)
    items = np.zeros(offsets[-1], dtype=np.int64)
    actions = np.zeros(offsets[-1], dtype=np.int64)
    # Evaluable users: their test history is exactly train + validation event.
    dst = rows_of(offsets, users)
    items[dst] = split.test.histories.items
    actions[dst] = split.test.histories.actions
    others = np.setdiff1d(np.arange(len(train)), users)
    dst = rows_of(offsets, others)
    src = rows_of(train.offsets, others)
    items[dst] = train.items[src]
    actions[dst] = train.actions[src]
    return Split(
        Sequences(offsets, items, actions), split.valid, split.test, split.n_items, split.n_actions
    )


def leave_one_out(data: Interactions) -> Split:
    off = data.offsets
    items = data.item.astype(np.int64) + 1
    actions = data.action.astype(np.int64)
    lengths = np.diff(off)
    evaluable = lengths >= 3
    n_hold = np.where(evaluable, 2, 0)  # events held out per user

    keep = np.ones(len(items), dtype=bool)
    users_e = np.flatnonzero(evaluable)
    last = off[users_e + 1] - 1
    keep[last] = False
    keep[last - 1] = False
    train = Sequences(offsets_from_lengths(lengths - n_hold), items[keep], actions[keep])

    # Validation history = training history; test history = it plus the
    # validation event, which sits in the full table's rows.
    valid = EvalSet(users_e, train.select(users_e), items[last - 1])
    test = EvalSet(users_e, gather(items, actions, off[users_e], lengths[users_e] - 1), items[last])
    return Split(train, valid, test, data.n_items, len(data.action_names))


def rows_of(offsets: np.ndarray, rows: np.ndarray, drop_last: int = 0) -> np.ndarray:
    """Flat indices of the given CSR rows (minus `drop_last` events at each row's end)."""
    start = offsets[rows]
    return spans(start, offsets[rows + 1] - start - drop_last)
