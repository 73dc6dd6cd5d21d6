"""The most-popular baseline: every user gets the items most often seen in training."""

from __future__ import annotations

import numpy as np
import torch

from unifeed.model.split import Sequences


class Popularity:
    def __init__(self, train: Sequences, n_items: int) -> None:
        counts = np.bincount(train.items, minlength=n_items + 1).astype(np.float32)
        self.counts = torch.from_numpy(counts)  # (I+1,)

    def score_histories(
        self, items: torch.Tensor, actions: torch.Tensor, lengths: torch.Tensor
    ) -> torch.Tensor:
        return self.counts.to(items.device).expand(len(lengths), -1).clone()  # (B, I+1)
