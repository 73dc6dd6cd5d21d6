"""Training: sampled or full softmax over next items, early stopping on validation."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F

from unifeed.model.batching import Batch, BatchSampler
from unifeed.model.evaluate import evaluate
from unifeed.model.split import Split
from unifeed.model.transducer import Transducer


@dataclass
class TrainConfig:
    epochs: int = 100
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 0.0
    # 0: full softmax over the catalogue; K: K distinct uniform negatives shared by
    # the batch (a catalogue of at most K items is then a full softmax).
    negatives: int = 2048
    patience: int = 20  # epochs without a better validation NDCG@10 before stopping
    eval_every: int = 2
    max_seconds: float | None = None  # wall-clock budget for training, evaluation included
    schedule: str = "cosine"  # cosine: warm up, then decay over the epochs or the time budget
    warmup_steps: int = 100
    # Length of the schedule in epochs when it differs from `epochs` (a refit that
    # replays the first `epochs` of a longer run); it is then step-based only.
    schedule_epochs: int | None = None
    # After early stopping, train a fresh model on train + validation events for
    # the selected number of epochs; the test events are never trained on.
    refit: bool = False
    seed: int = 0
    exclude_seen: bool = True

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "patience", "eval_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if self.negatives < 0:
            raise ValueError(
                f"negatives must be 0 (full softmax) or positive, got {self.negatives}"
            )
        if self.max_seconds is not None and self.max_seconds <= 0:
            raise ValueError(f"max_seconds must be positive, got {self.max_seconds}")
        if self.schedule not in ("cosine", "constant"):
            raise ValueError(f"schedule must be 'cosine' or 'constant', got {self.schedule!r}")

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class TrainObserver(Protocol):
    """Receives progress; the CLI draws bars from it, library code stays silent."""

    def epoch_start(self, epoch: int, n_batches: int) -> None: ...
    def batch_end(self, loss: float) -> None: ...
    def epoch_end(self, record: dict[str, float]) -> None: ...


@dataclass
class TrainResult:
    best_epoch: int
    best_valid: dict[str, float]
    history: list[dict[str, float]] = field(default_factory=list)
    train_seconds: float = 0.0
    stopped: str = "epochs"  # epochs | patience | time


def seed_everything(seed: int) -> np.random.Generator:
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def loss_on(model: Transducer, batch: Batch, negatives: int, gen: torch.Generator) -> torch.Tensor:
    h = model(batch.items, batch.actions, batch.lengths)  # (B, T, D)
    mask = batch.targets > 0
    h = h[mask]  # (M, D)
    pos = batch.targets[mask]  # (M,)
    if negatives <= 0:
        logits = model.score(h)  # (M, I+1)
        logits[:, 0] = -torch.inf
        return F.cross_entropy(logits, pos)
    n_items = model.cfg.n_items
    k = min(negatives, n_items)
    # K distinct negatives shared by every position of the batch: one (M, D) ×
    # (D, K) product instead of a gather of K embeddings per position.
    neg = (torch.randperm(n_items, generator=gen)[:k] + 1).to(h.device)  # (K,)
    pos_logit = model.score(h, pos.unsqueeze(-1)).squeeze(-1)  # (M,)
    neg_logit = model.score(h, neg)  # (M, K)
    # A negative that is the row's own positive would be counted twice; the
    # negatives are distinct, so a lookup finds the one column to mask.
    slot = torch.full((n_items + 1,), -1, dtype=torch.long, device=h.device)
    slot[neg] = torch.arange(k, device=h.device)
    hit = slot[pos]  # (M,) column of the positive among the negatives, or -1
    rows = torch.nonzero(hit >= 0).squeeze(1)
    neg_logit = neg_logit.index_put((rows, hit[rows]), torch.tensor(-torch.inf, device=h.device))
    logits = torch.cat([pos_logit.unsqueeze(1), neg_logit], dim=1)  # (M, 1+K)
    return F.cross_entropy(logits, torch.zeros(len(pos), dtype=torch.long, device=h.device))


def lr_factor(cfg: TrainConfig, step: int, progress: float) -> float:
    """Learning-rate multiplier; `progress` in [0, 1] is how much of the run is spent."""
    warm = min(1.0, (step + 1) / max(cfg.warmup_steps, 1))
    if cfg.schedule == "constant":
        return warm
    return warm * (0.02 + 0.98 * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0))))


def fit(
    model: Transducer,
    split: Split,
    cfg: TrainConfig,
    *,
    device: torch.device | None = None,
    observer: TrainObserver | None = None,
    validate: bool = True,
) -> TrainResult:
    """Train in place; leaves the model at its best validation epoch.

    With validate=False (a refit, whose validation events are training data)
    nothing is evaluated and the model keeps its last epoch.
    """
    device = device or torch.device("cpu")
    rng = seed_everything(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    model.to(device)
    # Items with no training event keep a zero id embedding: they are scored
    # from content and kind alone, as they will be when served.
    known = torch.zeros(model.cfg.n_items + 1, dtype=torch.bool)
    known[torch.from_numpy(np.unique(split.train.items))] = True
    model.id_known.copy_(known.to(device))

    sampler = BatchSampler(split.train, model.cfg.max_len, cfg.batch_size)
    if len(sampler) == 0:
        raise ValueError("nothing to train on: no user has two or more training events")
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    total_steps = (cfg.schedule_epochs or cfg.epochs) * len(sampler)
    result = TrainResult(best_epoch=0, best_valid={})
    best_state = copy.deepcopy(model.state_dict()) if validate else {}
    best = -1.0
    since_best = 0
    step = 0
    t0 = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        epoch_t0 = time.perf_counter()
        if observer:
            observer.epoch_start(epoch, len(sampler))
        total, n = 0.0, 0
        for batch in sampler.epoch(rng, device):
            # The schedule follows whichever budget binds: epochs or seconds.
            progress = step / total_steps
            if cfg.max_seconds and cfg.schedule_epochs is None:
                progress = max(progress, (time.perf_counter() - t0) / cfg.max_seconds)
            for group in opt.param_groups:
                group["lr"] = cfg.lr * lr_factor(cfg, step, progress)
            model.resample_id_dropout(gen)
            loss = loss_on(model, batch, cfg.negatives, gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            value = loss.item()
            total += value
            n += 1
            if observer:
                observer.batch_end(value)
        record: dict[str, float] = {"epoch": epoch, "loss": total / max(n, 1)}
        # Stop before an epoch that would overrun the time budget, not after it.
        elapsed = time.perf_counter() - t0
        out_of_time = (
            cfg.max_seconds is not None
            and elapsed + (time.perf_counter() - epoch_t0) > cfg.max_seconds
        )
        last = epoch == cfg.epochs or out_of_time
        if not validate:
            result.best_epoch = epoch
        elif epoch % cfg.eval_every == 0 or last:
            model.eval()
            valid = evaluate(
                model,
                split.valid,
                split.n_items,
                max_len=model.cfg.max_len,
                exclude_seen=cfg.exclude_seen,
                device=device,
            )
            record.update({f"valid_{k}": v for k, v in valid.items()})
            if valid["ndcg@10"] > best:
                best, since_best = valid["ndcg@10"], 0
                result.best_epoch, result.best_valid = epoch, valid
                best_state = copy.deepcopy(model.state_dict())
            else:
                since_best += cfg.eval_every
        record["seconds"] = time.perf_counter() - t0
        record["lr"] = opt.param_groups[0]["lr"]
        result.history.append(record)
        if observer:
            observer.epoch_end(record)
        if since_best >= cfg.patience:
            result.stopped = "patience"
            break
        if out_of_time:
            result.stopped = "time"
            break
    if validate:  # without validation the last epoch is the result
        model.load_state_dict(best_state)
    model.eval()
    result.train_seconds = time.perf_counter() - t0
    return result
