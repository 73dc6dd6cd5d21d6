"""Training: the model learns the predictable synthetic data and not its shuffled control."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np
import pytest
import torch

from unifeed.data.interactions import Interactions
from unifeed.data.synthetic import make_synthetic
from unifeed.model.evaluate import evaluate
from unifeed.model.pipeline import build_model, model_config, train_and_evaluate
from unifeed.model.popularity import Popularity
from unifeed.model.split import Split, leave_one_out
from unifeed.model.train import TrainConfig, TrainResult, fit
from unifeed.model.transducer import Transducer

MODEL = {"dim": 32, "n_blocks": 1, "max_len": 20, "dropout": 0.1}
TRAIN = TrainConfig(epochs=8, batch_size=32, lr=5e-3, patience=100, warmup_steps=10, eval_every=1)


@pytest.fixture(scope="module")
def chains() -> tuple[Interactions, Split]:
    data = make_synthetic()
    return data, leave_one_out(data)


@pytest.fixture(scope="module")
def shuffled() -> tuple[Interactions, Split]:
    data = make_synthetic(shuffled=True)
    return data, leave_one_out(data)


def new_model(data: Interactions, init_seed: int = 0, **overrides: Any) -> Transducer:
    torch.manual_seed(init_seed)  # fit seeds itself only after the model is built
    return build_model(
        data, model_config(data.n_items, len(data.action_names), **{**MODEL, **overrides})
    )


def train(
    data: Interactions, split: Split, cfg: TrainConfig = TRAIN, **kw: Any
) -> tuple[Transducer, TrainResult, dict[str, float]]:
    model = new_model(data, **kw)
    result = fit(model, split, cfg)
    test = evaluate(model, split.test, split.n_items, max_len=model.cfg.max_len)
    return model, result, test


def losses(result: TrainResult) -> list[float]:
    return [r["loss"] for r in result.history]


def without_time(result: TrainResult) -> list[dict[str, float]]:
    return [{k: v for k, v in r.items() if k != "seconds"} for r in result.history]


def test_learns_the_predictable_next_item(chains: tuple[Interactions, Split]) -> None:
    data, split = chains
    model, result, test = train(data, split)
    assert test["hr@10"] >= 0.9
    assert test["ndcg@10"] >= 0.7
    pop = evaluate(Popularity(split.train, split.n_items), split.test, split.n_items, max_len=20)
    assert test["hr@10"] > pop["hr@10"] + 0.5
    assert losses(result)[-1] < losses(result)[0]
    assert result.stopped == "epochs" and len(result.history) == TRAIN.epochs
    assert not model.training  # left ready to serve


def test_shuffled_control_does_not_learn(shuffled: tuple[Interactions, Split]) -> None:
    data, split = shuffled
    _, _, test = train(data, split)
    assert test["hr@10"] < 0.4


def test_sampled_softmax_learns(chains: tuple[Interactions, Split]) -> None:
    data, split = chains
    cfg = dataclasses.replace(TRAIN, negatives=20, epochs=12)
    _, _, test = train(data, split, cfg)
    assert test["hr@10"] >= 0.9


def test_same_seed_same_run(chains: tuple[Interactions, Split]) -> None:
    data, split = chains
    cfg = dataclasses.replace(TRAIN, epochs=3, seed=5)
    m1, r1, t1 = train(data, split, cfg)
    m2, r2, t2 = train(data, split, cfg)
    assert without_time(r1) == without_time(r2)
    assert t1 == t2
    assert r1.best_epoch == r2.best_epoch and r1.best_valid == r2.best_valid
    s1, s2 = m1.state_dict(), m2.state_dict()
    assert all(torch.equal(s1[k], s2[k]) for k in s1)


def test_different_seeds_differ(chains: tuple[Interactions, Split]) -> None:
    data, split = chains
    _, r1, _ = train(data, split, dataclasses.replace(TRAIN, epochs=2, seed=1))
    _, r2, _ = train(data, split, dataclasses.replace(TRAIN, epochs=2, seed=2))
    assert losses(r1) != losses(r2)


def test_train_and_evaluate_is_reproducible_from_its_seed() -> None:
    data = make_synthetic(n_users=40, n_items=24, seq_len=8, n_chains=3)
    cfg = TrainConfig(epochs=1, batch_size=16, seed=3)
    model = {"dim": 16, "n_blocks": 1, "max_len": 8}
    torch.manual_seed(1)
    a = train_and_evaluate(data, cfg, model_overrides=model)
    torch.manual_seed(2)  # unrelated work between runs moves the global RNG
    b = train_and_evaluate(data, cfg, model_overrides=model)
    assert losses(a.train) == losses(b.train)
    assert a.test == b.test


class Snapshots:
    """An observer that keeps the model's state at the end of every epoch."""

    def __init__(self, model: Transducer) -> None:
        self.model = model
        self.states: dict[int, dict[str, torch.Tensor]] = {}
        self.batches: list[float] = []
        self.starts: list[tuple[int, int]] = []

    def epoch_start(self, epoch: int, n_batches: int) -> None:
        self.starts.append((epoch, n_batches))

    def batch_end(self, loss: float) -> None:
        self.batches.append(loss)

    def epoch_end(self, record: dict[str, float]) -> None:
        self.states[int(record["epoch"])] = copy.deepcopy(self.model.state_dict())


def test_early_stopping_restores_the_best_epoch(shuffled: tuple[Interactions, Split]) -> None:
    data, split = shuffled
    model = new_model(data)
    seen = Snapshots(model)
    cfg = dataclasses.replace(TRAIN, epochs=40, patience=3)
    result = fit(model, split, cfg, observer=seen)

    assert result.stopped == "patience"
    ndcg = [r["valid_ndcg@10"] for r in result.history]
    assert result.best_epoch == int(np.argmax(ndcg)) + 1  # the first best epoch
    assert len(result.history) == result.best_epoch + cfg.patience
    assert result.best_valid["ndcg@10"] == max(ndcg)
    # The model is the best epoch's, not the last one's.
    final = model.state_dict()
    best = seen.states[result.best_epoch]
    assert all(torch.equal(final[k], best[k]) for k in final)
    last = seen.states[len(result.history)]
    assert not all(torch.equal(final[k], last[k]) for k in final)
    again = evaluate(model, split.valid, split.n_items, max_len=model.cfg.max_len)
    assert again == pytest.approx(result.best_valid)

    # The observer saw every epoch and batch.
    assert [e for e, _ in seen.starts] == list(range(1, len(result.history) + 1))
    n_batches = seen.starts[0][1]
    assert len(seen.batches) == n_batches * len(result.history)
    assert np.mean(seen.batches[:n_batches]) == pytest.approx(result.history[0]["loss"])


def test_max_seconds_stops_training(chains: tuple[Interactions, Split]) -> None:
    data, split = chains
    cfg = dataclasses.replace(TRAIN, epochs=50, max_seconds=1e-9)
    _, result, _ = train(data, split, cfg)
    assert result.stopped == "time"
    assert len(result.history) == 1
    assert result.best_epoch == 1
    assert result.train_seconds >= result.history[-1]["seconds"]


def test_max_seconds_keeps_the_epochs_it_trained(chains: tuple[Interactions, Split]) -> None:
    # Running out of time at an epoch that eval_every skips must still evaluate it;
    # otherwise fit would restore the untrained initial weights (best_epoch 0).
    data, split = chains
    cfg = dataclasses.replace(TRAIN, epochs=50, eval_every=5, max_seconds=1e-9)
    model, result, _ = train(data, split, cfg)
    assert result.stopped == "time"
    assert result.best_epoch == 1
    assert result.best_valid
    assert "valid_ndcg@10" in result.history[-1]  # the last epoch is evaluated before stopping
    initial = new_model(data).state_dict()
    assert not torch.equal(model.state_dict()["item_emb.weight"], initial["item_emb.weight"])


def test_items_without_training_events_keep_no_id_embedding() -> None:
    # "w" is only ever a test target, "z" only a validation target: no training event.
    # Users c..f, with two events each, only fill the catalogue to 12 items.
    fillers = [f"f{i}" for i in range(8)]
    data = Interactions.from_events(
        ["a"] * 5 + ["b"] * 3 + ["c", "c", "d", "d", "e", "e", "f", "f"],
        ["x", "y", "x", "z", "w", "y", "x", "y", *fillers],
    )
    split = leave_one_out(data)
    model = new_model(data, dim=16, max_len=4)
    fit(model, split, TrainConfig(epochs=1, batch_size=4))
    known = {data.item_ids[i - 1]: bool(model.id_known[i]) for i in range(1, data.n_items + 1)}
    assert known == {"x": True, "y": True, "z": False, "w": False} | dict.fromkeys(fillers, True)
    assert not model.id_known[0]


def test_a_time_budget_bounds_training(chains: tuple[Interactions, Split]) -> None:
    data, split = chains
    cfg = dataclasses.replace(TRAIN, epochs=100_000, max_seconds=0.3)
    _, result, _ = train(data, split, cfg)
    assert result.stopped == "time"
    assert result.train_seconds < 10  # the budget plus about an epoch, not 100k epochs
    assert result.best_epoch >= 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("epochs", 0),
        ("batch_size", 0),
        ("lr", 0.0),
        ("negatives", -1),
        ("max_seconds", 0.0),
        ("schedule", "linear"),
        ("eval_every", 0),
    ],
)
def test_bad_settings_are_refused_with_the_field_named(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_training_without_any_sequence_is_a_clear_error() -> None:
    from unifeed.model.split import leave_one_out

    data = Interactions.from_events(["u1", "u2"], ["a", "b"])
    split = leave_one_out(data)
    model = new_model(data)
    with pytest.raises(ValueError, match="nothing to train on"):
        fit(model, split, TRAIN)


class _BusyClock:
    """perf_counter on a loaded machine: every reading is a quarter second on."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.25
        return self.now


# 8 s was the simulator's budget; at a quarter second a reading these two
# epochs take about 6 s of it, so it never stops them.
@pytest.mark.parametrize("max_seconds", [None, 8.0])
def test_an_epoch_budget_trains_alike_however_busy_the_machine(
    chains: tuple[Interactions, Split], monkeypatch: pytest.MonkeyPatch, max_seconds: float | None
) -> None:
    # A time budget, even one that never stops training, steers the learning
    # rate by wall-clock progress; only an epoch budget replays exactly.
    data, split = chains
    cfg = dataclasses.replace(TRAIN, epochs=2, max_seconds=max_seconds)
    calm, _, _ = train(data, split, cfg)
    monkeypatch.setattr("unifeed.model.train.time.perf_counter", _BusyClock())
    busy, result, _ = train(data, split, cfg)
    assert result.stopped != "time"
    same = all(torch.equal(v, busy.state_dict()[k]) for k, v in calm.state_dict().items())
    assert same == (max_seconds is None)
