"""Training batches with little padding.

Every history becomes one or more windows of at most max_len+1 events (inputs
are all but the last, targets all but the first). Each epoch the windows are
shuffled, cut into pools, sorted by length inside a pool and batched, so a
batch holds windows of similar length and padding stays small; the batch order
is shuffled again so that lengths do not drift through the epoch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from unifeed.model.split import Sequences, pad_windows


@dataclass
class Batch:
    items: torch.Tensor  # (B, T) input item codes, 0-padded on the right
    actions: torch.Tensor  # (B, T)
    lengths: torch.Tensor  # (B,)
    targets: torch.Tensor  # (B, T) next item codes, 0 where there is none

    @property
    def n_targets(self) -> int:
        return int(self.lengths.sum())


def training_windows(seqs: Sequences, max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, length) of every window of at most max_len+1 events, newest first per row."""
    starts: list[np.ndarray] = []
    lens: list[np.ndarray] = []
    end = seqs.offsets[1:].copy()
    begin = seqs.offsets[:-1]
    # Walk back from each row's end; consecutive windows overlap by one event
    # so every event in a long history is a target exactly once.
    while True:
        live = end - begin >= 2
        if not live.any():
            break
        s = np.maximum(begin[live], end[live] - (max_len + 1))
        starts.append(s)
        lens.append(end[live] - s)
        end[live] = s + 1
    if not starts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(starts), np.concatenate(lens)


class BatchSampler:
    def __init__(
        self, seqs: Sequences, max_len: int, batch_size: int, pool_batches: int = 64
    ) -> None:
        self.seqs = seqs
        self.starts, self.lengths = training_windows(seqs, max_len)
        self.batch_size = batch_size
        self.pool = batch_size * pool_batches

    def __len__(self) -> int:
        return -(-len(self.starts) // self.batch_size)

    @property
    def n_targets(self) -> int:
        return int((self.lengths - 1).sum())

    def epoch(self, rng: np.random.Generator, device: torch.device) -> Iterator[Batch]:
        perm = rng.permutation(len(self.starts))
        batches: list[np.ndarray] = []
        for p in range(0, len(perm), self.pool):
            pool = perm[p : p + self.pool]
            pool = pool[np.argsort(self.lengths[pool], kind="stable")]
            batches.extend(
                pool[i : i + self.batch_size] for i in range(0, len(pool), self.batch_size)
            )
        for b in rng.permutation(len(batches)):
            yield self._make(batches[b], device)

    def _make(self, rows: np.ndarray, device: torch.device) -> Batch:
        items, actions, length = pad_windows(
            self.seqs.items, self.seqs.actions, self.starts[rows], self.lengths[rows]
        )
        n_in = length - 1  # inputs drop the last event, targets the first
        T = int(n_in.max())
        valid = np.arange(T)[None, :] < n_in[:, None]
        inp = np.where(valid, items[:, :T], 0)
        act = np.where(valid, actions[:, :T], 0)
        tgt = np.where(valid, items[:, 1 : T + 1], 0)

        def t(a: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(a, dtype=np.int64)).to(device)

        return Batch(t(inp), t(act), t(n_in), t(tgt))
