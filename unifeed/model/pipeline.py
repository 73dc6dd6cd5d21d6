"""The one-call path from an interaction table to a trained, evaluated checkpoint."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import torch

from unifeed.data.interactions import ITEM_KINDS, Interactions
from unifeed.model.checkpoint import Checkpoint
from unifeed.model.evaluate import evaluate
from unifeed.model.popularity import Popularity
from unifeed.model.split import Split, leave_one_out, with_validation_in_train
from unifeed.model.train import TrainConfig, TrainObserver, TrainResult, fit
from unifeed.model.transducer import ModelConfig, Transducer

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    checkpoint: Checkpoint
    train: TrainResult
    split: Split
    test: dict[str, float]  # the final model (the refit when there is one)
    popularity: dict[str, float]
    test_selected: dict[str, float]  # the model selected on validation, before any refit
    refit: TrainResult | None = None


def model_config(n_items: int, n_actions: int, **overrides: Any) -> ModelConfig:
    known = {f.name for f in fields(ModelConfig)}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown model settings {sorted(unknown)}; known: {sorted(known)}")
    return ModelConfig(n_items=n_items, n_actions=n_actions, n_kinds=len(ITEM_KINDS), **overrides)


def build_model(
    data: Interactions,
    cfg: ModelConfig,
    content: np.ndarray | None = None,
    has_content: np.ndarray | None = None,
) -> Transducer:
    """A fresh model whose item buffers (kinds, content embeddings) come from `data`."""
    model = Transducer(cfg)
    with torch.no_grad():
        if data.item_kind is not None:
            model.item_kind[1:] = torch.from_numpy(data.item_kind.astype(np.int64))
        if cfg.content_dim:
            if content is None or has_content is None:
                raise ValueError("content_dim is set but no content embeddings were given")
            model.content[1:] = torch.from_numpy(content)
            model.has_content[1:] = torch.from_numpy(has_content)
    return model


def train_and_evaluate(
    data: Interactions,
    train_cfg: TrainConfig,
    *,
    model_overrides: dict[str, Any] | None = None,
    content: np.ndarray | None = None,
    has_content: np.ndarray | None = None,
    device: torch.device | None = None,
    observer: TrainObserver | None = None,
    on_eval_batch: Callable[[int], None] | None = None,
) -> RunResult:
    """Leave-one-out split, train with early stopping on validation, score the test set.

    With `train_cfg.refit`, a fresh model then trains on train + validation
    events for the selected number of epochs (the classic select-then-refit);
    both models' test metrics are returned.

    `content`/`has_content` are per-item text embeddings (see unifeed.text);
    without them the model is id + kind only.
    """
    overrides = dict(model_overrides or {})
    if content is not None:
        overrides["content_dim"] = int(content.shape[1])
    split = leave_one_out(data)
    if len(split.test.targets) == 0:
        raise ValueError(
            f"{data.name}: no user has 3 or more events, so leave-one-out has nothing to test"
        )
    cfg = model_config(data.n_items, len(data.action_names), **overrides)

    def fresh_model() -> Transducer:
        torch.manual_seed(train_cfg.seed)  # the initial weights are part of the seeded run
        return build_model(data, cfg, content, has_content)

    model = fresh_model()
    log.info("training %s: %d parameters", data.name, model.n_params())
    select_cfg = train_cfg
    if train_cfg.refit and train_cfg.max_seconds is not None:
        # max_seconds bounds the whole call: half to select, half to refit.
        select_cfg = replace(train_cfg, max_seconds=train_cfg.max_seconds / 2)
    result = fit(model, split, select_cfg, device=device, observer=observer)
    kw = {"max_len": cfg.max_len, "exclude_seen": train_cfg.exclude_seen, "device": device}
    test = selected = evaluate(model, split.test, split.n_items, **kw)
    refit = None
    if train_cfg.refit:
        # Replay the selected run's schedule up to its best epoch, now with the
        # validation events as training data. Test events stay unseen.
        budget = None
        if train_cfg.max_seconds is not None:
            budget = max(train_cfg.max_seconds - result.train_seconds, 1.0)
        refit_cfg = replace(
            train_cfg,
            epochs=result.best_epoch,
            schedule_epochs=len(result.history),
            max_seconds=budget,
        )
        model = fresh_model()
        refit = fit(
            model,
            with_validation_in_train(split),
            refit_cfg,
            device=device,
            observer=observer,
            validate=False,
        )
        test = evaluate(model, split.test, split.n_items, on_eval_batch=on_eval_batch, **kw)
    pop = evaluate(Popularity(split.train, split.n_items), split.test, split.n_items, **kw)
    model.cpu()
    ckpt = Checkpoint.of(
        model,
        data,
        {
            "data": data.summary(),
            "train": train_cfg.to_dict(),
            "best_epoch": result.best_epoch,
            "train_seconds": result.train_seconds,
            "valid": result.best_valid,
            "test": test,
            "test_selected": selected,
            "refit_epochs": None if refit is None else refit.best_epoch,
            "refit_seconds": None if refit is None else refit.train_seconds,
            "popularity_test": pop,
            "exclude_seen": train_cfg.exclude_seen,
        },
    )
    return RunResult(ckpt, result, split, test, pop, selected, refit)
