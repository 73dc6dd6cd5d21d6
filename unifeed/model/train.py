"""Training: sampled or full softmax over next items, early stopping on validation."""

from __future__ import annotations

import copy
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
    epochs: int = 200
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0
    negatives: int = 0  # 0: full softmax over the catalogue; K: K shared uniform negatives
    patience: int = 20  # epochs without a better validation NDCG@10 before stopping
    eval_every: int = 1
    max_seconds: float | None = None  # wall-clock budget for training, evaluation included
    seed: int = 0
    exclude_seen: bool = True

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
    neg = torch.randint(1, n_items + 1, (negatives,), generator=gen).to(h.device)  # (K,)
    # One candidate matrix for the whole batch: the positives plus K negatives
    # shared by every position, so the cost is one (M, D) × (D, K) product.
    pos_logit = model.score(h, pos.unsqueeze(-1)).squeeze(-1)  # (M,)
    neg_logit = model.score(h, neg)  # (M, K)
    neg_logit = neg_logit.masked_fill(neg.unsqueeze(0) == pos.unsqueeze(1), -torch.inf)
    logits = torch.cat([pos_logit.unsqueeze(1), neg_logit], dim=1)  # (M, 1+K)
    return F.cross_entropy(logits, torch.zeros(len(pos), dtype=torch.long, device=h.device))


def fit(
    model: Transducer,
    split: Split,
    cfg: TrainConfig,
    *,
    device: torch.device | None = None,
    observer: TrainObserver | None = None,
) -> TrainResult:
    """Train in place; leaves the model at its best validation epoch."""
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
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    result = TrainResult(best_epoch=0, best_valid={})
    best_state = copy.deepcopy(model.state_dict())
    best = -1.0
    since_best = 0
    t0 = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        if observer:
            observer.epoch_start(epoch, len(sampler))
        total, n = 0.0, 0
        for batch in sampler.epoch(rng, device):
            loss = loss_on(model, batch, cfg.negatives, gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item()
            n += 1
            if observer:
                observer.batch_end(loss.item())
        record: dict[str, float] = {"epoch": epoch, "loss": total / max(n, 1)}
        if epoch % cfg.eval_every == 0 or epoch == cfg.epochs:
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
        result.history.append(record)
        if observer:
            observer.epoch_end(record)
        if since_best >= cfg.patience:
            result.stopped = "patience"
            break
        if cfg.max_seconds is not None and record["seconds"] >= cfg.max_seconds:
            result.stopped = "time"
            break
    model.load_state_dict(best_state)
    model.eval()
    result.train_seconds = time.perf_counter() - t0
    return result
