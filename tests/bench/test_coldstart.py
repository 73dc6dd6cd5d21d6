import numpy as np

from bench.coldstart import cold_split
from unifeed.data import make_synthetic


def test_cold_items_never_reach_training_and_test_targets_are_cold() -> None:
    data = make_synthetic(n_users=60, n_items=50, seq_len=15, seed=3)
    split, cold = cold_split(data, cold_frac=0.2, test_frac=0.3, seed=1)
    assert cold.sum() == 10
    trained = np.concatenate([split.train.items, split.valid.targets]) - 1
    assert not cold[trained].any()
    assert len(split.test.targets) > 0
    assert cold[split.test.targets - 1].all()


def test_each_test_history_is_everything_the_user_did_before() -> None:
    data = make_synthetic(n_users=40, n_items=40, seq_len=12, seed=5)
    split, _ = cold_split(data, seed=2)
    h = split.test.histories
    for row in range(len(split.test.targets)):
        seq = data.sequence(split.test.users[row]) + 1
        hist = h.items[h.offsets[row] : h.offsets[row + 1]]
        assert np.array_equal(hist, seq[: len(hist)])
        assert seq[len(hist)] == split.test.targets[row]
