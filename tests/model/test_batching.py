"""Packed training windows and the batches cut from them."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from unifeed.model.batching import Batch, BatchSampler, training_windows
from unifeed.model.split import Sequences


def sequences(lengths: list[int]) -> Sequences:
    """Rows of the given lengths whose item codes are all distinct (1..N), so that
    every event can be told apart in a batch."""
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    n = int(offsets[-1])
    items = np.arange(1, n + 1, dtype=np.int64)
    return Sequences(offsets, items, items % 3)


def window_rows(seqs: Sequences, starts: np.ndarray) -> np.ndarray:
    return np.searchsorted(seqs.offsets, starts, side="right") - 1


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 30), min_size=1, max_size=8),
    max_len=st.integers(1, 7),
)
def test_windows_cover_every_target_exactly_once(lengths: list[int], max_len: int) -> None:
    seqs = sequences(lengths)
    starts, lens = training_windows(seqs, max_len)
    assert starts.dtype == np.int64 and lens.dtype == np.int64
    assert ((lens >= 2) & (lens <= max_len + 1)).all()
    row = window_rows(seqs, starts)
    # A window never crosses into the next row.
    assert (starts + lens <= seqs.offsets[row + 1]).all()

    # Targets are all but a window's first event: every event except a row's
    # first is a target exactly once; a row's first event never is.
    targets = Counter(int(s) + k for s, n in zip(starts, lens, strict=True) for k in range(1, n))
    expected = {
        int(o) + k for o, n in zip(seqs.offsets, lengths, strict=False) for k in range(1, n)
    }
    assert set(targets) == expected
    assert all(c == 1 for c in targets.values())

    # Consecutive windows of a row (newest first) overlap by exactly one event.
    for r in range(len(lengths)):
        mine = np.flatnonzero(row == r)
        for newer, older in itertools.pairwise(mine):
            assert starts[older] + lens[older] - 1 == starts[newer]
        if len(mine):
            assert starts[mine[0]] + lens[mine[0]] == seqs.offsets[r + 1]  # newest first
            assert starts[mine[-1]] == seqs.offsets[r]


def test_windows_of_a_long_history() -> None:
    seqs = sequences([10])
    starts, lens = training_windows(seqs, max_len=3)
    # [6..9], [3..6], [0..3]; the overlap is the event shared by two windows.
    assert starts.tolist() == [6, 3, 0]
    assert lens.tolist() == [4, 4, 4]


def test_short_rows_give_no_windows() -> None:
    starts, lens = training_windows(sequences([0, 1, 0]), max_len=5)
    assert len(starts) == 0 and len(lens) == 0
    starts, lens = training_windows(sequences([1, 2]), max_len=5)
    assert starts.tolist() == [1] and lens.tolist() == [2]


def collect(sampler: BatchSampler, seed: int) -> list[Batch]:
    return list(sampler.epoch(np.random.default_rng(seed), torch.device("cpu")))


def test_batches_are_shifted_and_right_padded() -> None:
    seqs = sequences([1, 2, 5, 9, 23, 4, 3, 17, 2, 8])
    sampler = BatchSampler(seqs, max_len=6, batch_size=3, pool_batches=2)
    window_of = {  # first input item -> (start, length) of its window
        int(seqs.items[s]): (int(s), int(n))
        for s, n in zip(sampler.starts, sampler.lengths, strict=True)
    }
    batches = collect(sampler, seed=0)
    assert len(batches) == len(sampler)
    seen: Counter[int] = Counter()
    for b in batches:
        B, T = b.items.shape  # (B, T)
        assert b.actions.shape == b.targets.shape == (B, T)
        assert b.lengths.shape == (B,)
        assert B <= 3
        assert int(b.lengths.max()) == T  # padded to the longest window in the batch only
        for i in range(B):
            n = int(b.lengths[i])
            start, length = window_of[int(b.items[i, 0])]
            assert n == length - 1  # inputs drop the window's last event
            events = seqs.items[start : start + length]
            assert b.items[i, :n].tolist() == events[:-1].tolist()
            assert b.targets[i, :n].tolist() == events[1:].tolist()  # shifted by one
            assert b.actions[i, :n].tolist() == seqs.actions[start : start + n].tolist()
            assert (b.items[i, n:] == 0).all()
            assert (b.actions[i, n:] == 0).all()
            assert (b.targets[i, n:] == 0).all()
            seen[start] += 1
        assert b.n_targets == int((b.targets > 0).sum())
    # Every window exactly once per epoch.
    assert seen == Counter(sampler.starts.tolist())
    assert sum(b.n_targets for b in batches) == sampler.n_targets == len(seqs.items) - 10


def fingerprint(batches: list[Batch]) -> list[list[int]]:
    return [b.items.flatten().tolist() + b.targets.flatten().tolist() for b in batches]


def test_seeded_epochs_are_identical() -> None:
    seqs = sequences([4, 30, 7, 2, 12, 9, 15, 3, 5, 21, 6, 8])
    sampler = BatchSampler(seqs, max_len=5, batch_size=4, pool_batches=2)
    a, b = collect(sampler, seed=3), collect(sampler, seed=3)
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(collect(sampler, seed=4))
    # Successive epochs from one generator are shuffled differently.
    rng = np.random.default_rng(3)
    first = list(sampler.epoch(rng, torch.device("cpu")))
    second = list(sampler.epoch(rng, torch.device("cpu")))
    assert fingerprint(first) == fingerprint(a)
    assert fingerprint(second) != fingerprint(first)
