"""The most-popular baseline, scored through the same harness as the model."""

from __future__ import annotations

import numpy as np
import torch

from unifeed.data.interactions import Interactions
from unifeed.data.synthetic import make_synthetic
from unifeed.model.evaluate import evaluate, metrics_from_ranks, rank_targets
from unifeed.model.popularity import Popularity
from unifeed.model.split import EvalSet, Sequences, leave_one_out


def test_scores_are_training_counts() -> None:
    train = Sequences(
        offsets=np.array([0, 3, 5, 5, 6]),
        items=np.array([2, 2, 5, 5, 2, 1]),
        actions=np.zeros(6, dtype=np.int64),
    )
    pop = Popularity(train, n_items=6)
    items = torch.tensor([[1, 2, 0], [3, 4, 5]])
    s = pop.score_histories(items, torch.zeros_like(items), torch.tensor([2, 3]))
    assert s.shape == (2, 7)  # (B, I+1)
    expected = [0.0, 1.0, 3.0, 0.0, 0.0, 2.0, 0.0]  # column 0 (padding) counts nothing
    assert s.tolist() == [expected, expected]  # the same for every history
    s[0, 2] = 100.0  # callers may write into the result without changing the counts
    assert pop.counts.tolist() == expected


def test_ranks_by_hand() -> None:
    # Training rows (all but the last two events of a, b, c): x x y | x z | y | x q (d: 2 events).
    data = Interactions.from_events(
        list("aaaaa") + list("bbbb") + list("ccc") + list("dd"),
        list("xxyvw") + list("xzvy") + list("yzw") + list("xq"),
    )
    split = leave_one_out(data)
    code = {item: k + 1 for k, item in enumerate(data.item_ids)}
    pop = Popularity(split.train, split.n_items)
    # Counts: x 4 (incl. d), y 2, z 1, q 1, v 0, w 0.
    assert {i: int(pop.counts[c]) for i, c in code.items()} == {
        "x": 4,
        "y": 2,
        "z": 1,
        "q": 1,
        "v": 0,
        "w": 0,
    }
    assert split.test.targets.tolist() == [code["w"], code["y"], code["w"]]
    ranks, _ = rank_targets(pop, split.test, max_len=10, exclude_seen=False, topk=3)
    # w (count 0) ties with v: behind x, y, z, q and v -> 5; y behind x -> 1.
    assert ranks.tolist() == [5, 1, 5]
    ranks, _ = rank_targets(pop, split.test, max_len=10, exclude_seen=True, topk=3)
    # a saw x y v, so z q w remain: w is behind z and q -> 2.
    # b saw x z v (target y): y q w remain, y first -> 0.
    # c saw y z: x q v w remain, w is behind x and q and ties v -> 3.
    assert ranks.tolist() == [2, 0, 3]


def brute_force_ranks(counts: np.ndarray, es: EvalSet, exclude_seen: bool) -> list[int]:
    out = []
    h = es.histories
    for e, target in enumerate(es.targets):
        seen = set(h.items[h.offsets[e] : h.offsets[e + 1]].tolist()) - {int(target)}
        candidates = [i for i in range(1, len(counts)) if not (exclude_seen and i in seen)]
        out.append(sum(counts[i] >= counts[target] for i in candidates) - 1)
    return out


def test_matches_a_brute_force_ranking_on_synthetic_data() -> None:
    data = make_synthetic(n_users=80, n_items=60, seq_len=12, n_chains=5, seed=4)
    split = leave_one_out(data)
    pop = Popularity(split.train, split.n_items)
    counts = np.bincount(split.train.items, minlength=split.n_items + 1)
    for exclude_seen in (True, False):
        ranks, tops = rank_targets(pop, split.test, max_len=6, exclude_seen=exclude_seen)
        assert ranks.tolist() == brute_force_ranks(counts, split.test, exclude_seen)
        m = evaluate(pop, split.test, split.n_items, max_len=6, exclude_seen=exclude_seen)
        assert m == metrics_from_ranks(ranks, tops, split.n_items)
        # Popularity shows (nearly) everyone the same few items.
        assert m["coverage@10"] <= 0.5
