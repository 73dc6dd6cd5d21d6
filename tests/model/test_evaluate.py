"""Full-ranking metrics and the ranking harness, against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from unifeed.model.evaluate import evaluate, metrics_from_ranks, rank_targets
from unifeed.model.split import EvalSet, Sequences


def test_metrics_by_hand() -> None:
    ranks = np.array([0, 1, 9, 10, 49, 199, 500])
    m = metrics_from_ranks(ranks)
    n = 7
    # HR@K: share of ranks < K. NDCG@K: 1 / log2(rank + 2) for hits, 0 otherwise.
    assert m["hr@10"] == pytest.approx(3 / n)  # 0, 1, 9
    assert m["ndcg@10"] == pytest.approx(
        (1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(11)) / n
    )
    assert m["hr@50"] == pytest.approx(5 / n)  # + 10, 49
    assert m["ndcg@50"] == pytest.approx(
        (
            1 / math.log2(2)
            + 1 / math.log2(3)
            + 1 / math.log2(11)
            + 1 / math.log2(12)
            + 1 / math.log2(51)
        )
        / n
    )
    assert m["hr@200"] == pytest.approx(6 / n)  # + 199
    assert m["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 10 + 1 / 11 + 1 / 50 + 1 / 200 + 1 / 501) / n)
    assert "coverage@10" not in m  # needs the top lists


def test_perfect_and_hopeless_ranks() -> None:
    best = metrics_from_ranks(np.zeros(4, dtype=np.int64))
    assert best["hr@10"] == best["ndcg@10"] == best["mrr"] == 1.0
    worst = metrics_from_ranks(np.full(4, 1000))
    assert worst["hr@200"] == worst["ndcg@200"] == 0.0
    assert worst["mrr"] == pytest.approx(1 / 1001)


def test_coverage_at_10() -> None:
    tops = np.array(
        [
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 17, 18],  # columns past 10 do not count
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 19, 20],
        ]
    )
    m = metrics_from_ranks(np.array([0, 3]), tops, n_items=20)
    assert m["coverage@10"] == pytest.approx(11 / 20)


class TableScorer:
    """Scores looked up by the history window the harness passes in; `default` otherwise."""

    def __init__(
        self, n_items: int, table: dict[tuple[int, ...], list[float]], default: float = 0.0
    ):
        self.n_items = n_items
        self.table = {k: torch.tensor(v, dtype=torch.float32) for k, v in table.items()}
        self.default = default
        self.windows: list[tuple[int, ...]] = []

    def score_histories(
        self, items: torch.Tensor, actions: torch.Tensor, lengths: torch.Tensor
    ) -> torch.Tensor:
        out = torch.full((len(lengths), self.n_items + 1), self.default)  # (B, I+1)
        for b, n in enumerate(lengths.tolist()):
            window = tuple(items[b, :n].tolist())
            assert (items[b, n:] == 0).all()  # right padding
            self.windows.append(window)
            if window in self.table:
                out[b] = self.table[window]
        return out


def eval_set(histories: list[list[int]], targets: list[int]) -> EvalSet:
    offsets = np.concatenate([[0], np.cumsum([len(h) for h in histories])]).astype(np.int64)
    items = np.array([i for h in histories for i in h], dtype=np.int64)
    return EvalSet(
        users=np.arange(len(histories)),
        histories=Sequences(offsets, items, np.zeros_like(items)),
        targets=np.array(targets, dtype=np.int64),
    )


N_ITEMS = 12


def scores(high: dict[int, float]) -> list[float]:
    """A score row: item i gets high[i] if given, else 0."""
    return [high.get(i, 0.0) for i in range(N_ITEMS + 1)]


def test_ties_count_against_the_target() -> None:
    es = eval_set([[1, 2], [3], [4, 5, 6]], targets=[7, 8, 4])
    constant = TableScorer(N_ITEMS, {}, default=1.0)
    ranks, _ = rank_targets(constant, es, max_len=10, exclude_seen=False, topk=3)
    # Every item ties: the target is ranked behind all the other 11 items, never first.
    assert ranks.tolist() == [N_ITEMS - 1] * 3
    ranks, _ = rank_targets(constant, es, max_len=10, exclude_seen=True, topk=3)
    # Seen items leave the candidates, except the target itself (row 2 re-consumes item 4).
    assert ranks.tolist() == [N_ITEMS - 1 - 2, N_ITEMS - 1 - 1, N_ITEMS - 1 - 2]
    m = evaluate(constant, es, N_ITEMS, max_len=10, exclude_seen=False)
    assert m["hr@10"] == 0.0 and m["mrr"] == pytest.approx(1 / N_ITEMS)

    # A partial tie: two other items share the target's score, one is above it.
    tie = TableScorer(N_ITEMS, {(1, 2): scores({7: 5.0, 9: 5.0, 10: 5.0, 11: 6.0})})
    ranks, _ = rank_targets(tie, eval_set([[1, 2]], [7]), max_len=10, topk=3)
    assert ranks.tolist() == [3]


def test_exclude_seen_removes_history_but_not_the_target() -> None:
    # Items 3 and 7 were seen and score above everything; the target 5 was seen too.
    table = {(3, 5, 7): scores({7: 9.0, 3: 8.0, 5: 7.0, 1: 6.0, 2: 5.0})}
    es = eval_set([[3, 5, 7]], targets=[5])
    ranks, tops = rank_targets(TableScorer(N_ITEMS, table), es, max_len=10, topk=3)
    assert ranks.tolist() == [0]
    assert tops.tolist() == [[5, 1, 2]]
    ranks, tops = rank_targets(
        TableScorer(N_ITEMS, table), es, max_len=10, exclude_seen=False, topk=3
    )
    assert ranks.tolist() == [2]
    assert tops.tolist() == [[7, 3, 5]]


def test_exclude_seen_uses_the_whole_history_not_only_the_window() -> None:
    # The model reads the newest 2 events; item 1, seen long ago, is still excluded.
    scorer = TableScorer(N_ITEMS, {(5, 6): scores({1: 9.0, 8: 8.0, 9: 7.0})})
    es = eval_set([[1, 2, 3, 4, 5, 6]], targets=[9])
    ranks, tops = rank_targets(scorer, es, max_len=2, topk=2)
    assert scorer.windows == [(5, 6)]
    assert ranks.tolist() == [1]
    assert tops.tolist() == [[8, 9]]


def test_padding_column_is_never_ranked() -> None:
    scorer = TableScorer(N_ITEMS, {(1,): [1e9, *range(N_ITEMS, 0, -1)]})  # item 1 best
    ranks, tops = rank_targets(scorer, eval_set([[1]], [2]), max_len=10, exclude_seen=True, topk=5)
    assert ranks.tolist() == [0]  # column 0 scored highest but is not an item
    assert 0 not in tops
    assert tops.tolist() == [[2, 3, 4, 5, 6]]


def test_ranks_land_on_their_rows_across_batches() -> None:
    # Histories of different lengths are sorted into batches; results come back in row order.
    histories = [[1, 2, 3], [4], [5, 6], [7, 8, 9, 10], [11]]
    targets = [12, 1, 2, 3, 4]
    expected = [0, 1, 2, 3, 4]
    table = {}
    for h, t, r in zip(histories, targets, expected, strict=True):
        # r unseen items above the target, which is above everything else.
        above = [i for i in range(1, N_ITEMS + 1) if i not in h and i != t][:r]
        table[tuple(h)] = scores({t: 5.0, **{i: 6.0 + k for k, i in enumerate(above)}})
    es = eval_set(histories, targets)
    seen_batches: list[int] = []
    ranks, tops = rank_targets(
        TableScorer(N_ITEMS, table),
        es,
        max_len=10,
        batch_size=2,
        topk=1,
        on_batch=seen_batches.append,
    )
    assert ranks.tolist() == expected
    assert seen_batches == [2, 2, 1]
    assert tops[0].tolist() == [targets[0]]
    # evaluate = metrics of those ranks; coverage@10 from the top-10 lists.
    _, tops10 = rank_targets(TableScorer(N_ITEMS, table), es, max_len=10)
    m = evaluate(TableScorer(N_ITEMS, table), es, N_ITEMS, max_len=10)
    assert m == metrics_from_ranks(np.array(expected), tops10, N_ITEMS)
    assert m["hr@10"] == 1.0 and m["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4 + 1 / 5) / 5)


def test_evaluate_a_catalogue_smaller_than_ten() -> None:
    es = eval_set([[1, 2]], [3])
    m = evaluate(TableScorer(5, {(1, 2): [0, 0, 0, 9, 0, 0]}), es, 5, max_len=10)
    assert m["hr@10"] == 1.0


def test_top_lists_hold_only_candidates() -> None:
    # 12 items, 5 seen: only 7 candidates for 10 slots.
    es = eval_set([[1, 2, 3, 4, 5]], [6])
    _, tops = rank_targets(TableScorer(N_ITEMS, {}, default=1.0), es, max_len=10)
    assert 0 not in tops
    assert not set(tops[0].tolist()) & {1, 2, 3, 4, 5}
