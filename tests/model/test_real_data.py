"""Slow: the model on a real benchmark set, when ../shared/data is present."""

from pathlib import Path

import pytest

from unifeed.data import read_sequences
from unifeed.model import TrainConfig, train_and_evaluate

BEAUTY = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "amazon-s3rec" / "Beauty.txt"
)


@pytest.mark.slow
@pytest.mark.skipif(not BEAUTY.is_file(), reason=f"{BEAUTY} is not present")
def test_a_few_epochs_on_beauty_beat_popularity_by_far() -> None:
    data = read_sequences(BEAUTY)
    run = train_and_evaluate(
        data, TrainConfig(epochs=20, eval_every=10), model_overrides={"dropout": 0.5}
    )
    assert run.test["hr@10"] > 3 * run.popularity["hr@10"]
    assert run.test["ndcg@10"] > 3 * run.popularity["ndcg@10"]
