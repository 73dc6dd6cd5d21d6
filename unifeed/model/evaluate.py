"""Full-ranking offline evaluation: every item is a candidate, no sampled negatives.

A target's rank is the number of items scored strictly above it plus the
number tied with it (pessimistic), so a model that scores everything alike
ranks every target last instead of first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

import numpy as np
import torch

from unifeed.model.split import EvalSet, rows_of

KS: tuple[int, ...] = (10, 50, 200)


class Scorer(Protocol):
    """Anything that scores every item for a batch of right-padded histories."""

    def score_histories(
        self, items: torch.Tensor, actions: torch.Tensor, lengths: torch.Tensor
    ) -> torch.Tensor:  # (B, I+1); column 0 is padding
        ...


def iterate_eval(
    es: EvalSet, max_len: int, batch_size: int
) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor, torch.Tensor]]:
    # Batches of similar-length histories keep padding (and wasted attention) small.
    order = np.argsort(es.histories.lengths, kind="stable")
    for b in range(0, len(order), batch_size):
        rows = order[b : b + batch_size]
        items, actions, lengths = es.histories.padded(rows, max_len)
        yield (
            rows,
            torch.from_numpy(items),
            torch.from_numpy(actions),
            torch.from_numpy(lengths),
        )


@torch.no_grad()
def rank_targets(
    scorer: Scorer,
    es: EvalSet,
    *,
    max_len: int,
    exclude_seen: bool = True,
    batch_size: int = 1024,
    topk: int = 10,
    device: torch.device | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each target among all items (0 = first) and each user's top-k list (-1 pads).

    With exclude_seen, items already in a user's whole history (not only the
    window the model reads) are removed from the candidates, unless the item
    is the target itself.
    """
    device = device or torch.device("cpu")
    ranks = np.empty(len(es.targets), dtype=np.int64)
    tops = np.full((len(es.targets), topk), -1, dtype=np.int64)
    hist = es.histories
    for rows, items, actions, lengths in iterate_eval(es, max_len, batch_size):
        s = scorer.score_histories(items.to(device), actions.to(device), lengths.to(device))
        s = s.float().clone()  # masked below; the scorer's tensor stays as it was
        s[:, 0] = -torch.inf
        target = torch.from_numpy(es.targets[rows]).to(device)
        if exclude_seen:
            seen_rows = np.repeat(np.arange(len(rows)), hist.lengths[rows])
            seen_items = hist.items[rows_of(hist.offsets, rows)]
            keep = seen_items != es.targets[rows][seen_rows]
            s[torch.from_numpy(seen_rows[keep]), torch.from_numpy(seen_items[keep])] = -torch.inf
        t = s.gather(1, target[:, None])  # (B, 1)
        ranks[rows] = ((s >= t).sum(1) - 1).cpu().numpy()  # ties count against the target
        # A top list holds only real candidates: when fewer than k remain, the
        # rest of the row stays -1 rather than padding or excluded items.
        k = min(topk, s.shape[1])
        top_s, top_i = s.topk(k, dim=1)
        top_i[~torch.isfinite(top_s)] = -1
        tops[rows, :k] = top_i.cpu().numpy()
        if on_batch is not None:
            on_batch(len(rows))
    return ranks, tops


def metrics_from_ranks(
    ranks: np.ndarray, tops: np.ndarray | None = None, n_items: int | None = None
) -> dict[str, float]:
    """HR@K, NDCG@K (one relevant item, so IDCG = 1), MRR, and coverage@10."""
    r = np.asarray(ranks, dtype=np.float64)
    out: dict[str, float] = {}
    for k in KS:
        hit = r < k
        out[f"hr@{k}"] = float(hit.mean())
        out[f"ndcg@{k}"] = float(np.where(hit, 1.0 / np.log2(r + 2.0), 0.0).mean())
    out["mrr"] = float((1.0 / (r + 1.0)).mean())
    if tops is not None and n_items:
        shown = np.unique(tops[:, :10])
        out["coverage@10"] = float(np.count_nonzero(shown > 0) / n_items)
    return out


def evaluate(
    scorer: Scorer,
    es: EvalSet,
    n_items: int,
    *,
    max_len: int,
    exclude_seen: bool = True,
    device: torch.device | None = None,
    on_eval_batch: Callable[[int], None] | None = None,
) -> dict[str, float]:
    ranks, tops = rank_targets(
        scorer,
        es,
        max_len=max_len,
        exclude_seen=exclude_seen,
        device=device,
        on_batch=on_eval_batch,
    )
    return metrics_from_ranks(ranks, tops, n_items)
