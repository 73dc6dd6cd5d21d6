"""Train the unified model on everything in the store and publish the checkpoint.

Every item of the catalogue gets a code, including items nobody has touched
yet: their content embedding goes into the checkpoint, and their id
embedding stays unused until events arrive.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from unifeed.actions import POSITIVE_ACTIONS
from unifeed.data.interactions import Interactions, kind_code
from unifeed.model.checkpoint import Checkpoint
from unifeed.model.pipeline import build_model, model_config
from unifeed.model.split import EvalSet, Sequences, Split
from unifeed.model.train import TrainConfig, TrainObserver, fit
from unifeed.serving.publish import publish
from unifeed.settings import Settings
from unifeed.store import Store

log = logging.getLogger(__name__)


@dataclass
class StoreTrainConfig:
    epochs: int = 20
    max_seconds: float | None = None
    dim: int = 64
    n_blocks: int = 2
    dropout: float = 0.2
    max_len: int = 50
    batch_size: int = 128
    lr: float = 3e-3
    negatives: int = 1024
    id_dropout: float = 0.3  # so the content projection learns to carry fresh items
    seed: int = 0


def store_interactions(store: Store) -> tuple[Interactions, np.ndarray | None, np.ndarray, str]:
    """Positive events as an interaction table in catalogue order, plus content.

    Returns (data, content (I, C) or None, has_content (I,), encoder name).
    """
    cat = store.catalogue()
    events = store.event_table(POSITIVE_ACTIONS)
    external = cat.external_id
    code_of_pk = {int(pk): k for k, pk in enumerate(cat.pk)}
    data = Interactions.from_events(
        users=events.user.astype(str),
        items=np.array([external[code_of_pk[int(p)]] for p in events.item], dtype=object),
        timestamps=events.timestamp,
        actions=events.action,
        name="store",
    ).with_item_order(external)
    data.item_kind = np.array([kind_code(k) for k in cat.kind], dtype=np.int8)
    return data, cat.embedding, cat.has_embedding, cat.encoder or ""


def _everything_in_train(data: Interactions) -> Split:
    """A split with every event in training and nothing held out."""
    none = np.zeros(0, np.int64)
    train = Sequences(
        data.offsets.astype(np.int64),
        data.item.astype(np.int64) + 1,
        data.action.astype(np.int64),
    )
    empty = EvalSet(none, Sequences(np.zeros(1, np.int64), none, none), none)
    return Split(train, empty, empty, data.n_items, len(data.action_names))


def train_from_store(
    settings: Settings,
    cfg: StoreTrainConfig | None = None,
    *,
    observer: TrainObserver | None = None,
) -> str:
    """Train on the whole store, publish the checkpoint; returns its version.

    Nothing is held out: this is the production model. Offline evaluation
    (`unifeed train DATA`) is where held-out metrics come from.
    """
    cfg = cfg or StoreTrainConfig()
    if settings.database_url is None and not (settings.data_dir / "unifeed.db").is_file():
        raise ValueError(
            f"no store in {settings.data_dir}: start `unifeed serve` there and send data first"
        )
    store = Store(settings.resolved_database_url)
    try:
        if store.schema_version() == 0:
            raise ValueError(f"{store.url}: the database has no Unifeed tables yet")
        data, content, has_content, encoder = store_interactions(store)
    finally:
        store.close()
    if data.n_items == 0:
        raise ValueError("the store has no items: upsert items before training")
    overrides: dict[str, object] = {
        "dim": cfg.dim,
        "n_blocks": cfg.n_blocks,
        "dropout": cfg.dropout,
        "max_len": cfg.max_len,
    }
    if content is not None and has_content.any():
        overrides["content_dim"] = int(content.shape[1])
        overrides["id_dropout"] = cfg.id_dropout
    else:
        content = None
    model_cfg = model_config(data.n_items, max(len(data.action_names), 1), **overrides)
    torch.manual_seed(cfg.seed)
    model = build_model(data, model_cfg, content, has_content if content is not None else None)
    off = data.offsets
    train = Sequences(
        off.astype(np.int64), data.item.astype(np.int64) + 1, data.action.astype(np.int64)
    )
    empty = EvalSet(
        np.zeros(0, np.int64),
        Sequences(np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)),
        np.zeros(0, np.int64),
    )
    split = Split(train, empty, empty, data.n_items, len(data.action_names))
    train_cfg = TrainConfig(
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        negatives=cfg.negatives,
        max_seconds=cfg.max_seconds,
        seed=cfg.seed,
        warmup_steps=20,
    )
    result = fit(model, split, train_cfg, observer=observer, validate=False)
    model.cpu().eval()
    ckpt = Checkpoint.of(
        model,
        data,
        {
            "source": "store",
            "encoder": encoder if content is not None else None,
            "data": data.summary(),
            "epochs": result.best_epoch,
            "train_seconds": result.train_seconds,
            "loss": result.history[-1]["loss"] if result.history else None,
        },
    )
    version = publish(ckpt, Path(settings.checkpoint_root))
    log.info("trained on %d events in %.1f s", len(data), result.train_seconds)
    return version
