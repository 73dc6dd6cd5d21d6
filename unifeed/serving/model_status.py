"""The model in service, as the operator sees it: which checkpoint, how old,
what it was trained on, and how well it sorts what people click today.

A checkpoint trained on the whole store (`unifeed.serving.training`) holds
nothing out, so its quality is measured where it serves: the feed log's
pages that this version ranked, and whether each item shown was clicked
(an event naming the page). The AUC is the chance that a clicked item was
scored above one that was not; 0.5 is a coin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from unifeed.serving.feed import FeedService
from unifeed.store.db import as_utc
from unifeed.store.feed_log import FeedLog

VERSION_TIME = "%Y%m%dT%H%M%S%fZ"  # how `publish` names a checkpoint
SHOWN = 50_000  # the newest shown items the live figures are read from


@dataclass(frozen=True)
class LiveQuality:
    shown: int  # items this version ranked and the feed showed (newest SHOWN at most)
    clicks: int  # of them, clicked from that page
    auc: float | None  # None: no clicks, or nothing but clicks


@dataclass(frozen=True)
class ModelStatus:
    ranker: str  # the configured ranker
    version: str | None  # None: no checkpoint loaded
    trained_at: datetime | None
    age_seconds: float | None
    index: str | None  # exact or faiss
    items: int  # in the catalogue view
    error: str | None  # why the newest checkpoint could not be loaded
    facts: dict[str, Any] = field(default_factory=dict)  # from the checkpoint's meta
    live: LiveQuality | None = None


def model_status(feed: FeedService, now: datetime) -> ModelStatus:
    st = feed.status()
    model = feed.model
    if model is None:
        items = int(st["items"])  # type: ignore[call-overload]
        return ModelStatus(str(st["ranker"]), None, None, None, None, items, feed.published.error)
    trained = _version_time(model.version)
    meta = model.ckpt.meta
    facts = {
        k: meta[k]
        for k in ("source", "epochs", "best_epoch", "loss", "train_seconds", "valid", "test")
        if meta.get(k) is not None
    }
    data = meta.get("data")
    if isinstance(data, dict):
        facts.update({f"data {k}": v for k, v in data.items() if isinstance(v, int | float | str)})
    return ModelStatus(
        ranker=str(st["ranker"]),
        version=model.version,
        trained_at=trained,
        age_seconds=None if trained is None else (as_utc(now) - trained).total_seconds(),
        index=model.index.kind,
        items=int(st["items"]),  # type: ignore[call-overload]
        error=feed.published.error,
        facts=facts,
        live=live_quality(FeedLog(feed.store), model.version),
    )


def live_quality(log: FeedLog, version: str) -> LiveQuality:
    scores, clicked = log.outcomes(("click",), SHOWN, version)
    s, y = np.asarray(scores, dtype=np.float64), np.asarray(clicked, dtype=np.int64)
    return LiveQuality(len(s), int(y.sum()), auc(s, y))


def auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """P(score of a positive > score of a negative), ties counting half (by ranks)."""
    pos = int(labels.sum())
    neg = len(labels) - pos
    if pos == 0 or neg == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # Average ranks over ties.
    _, start, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = start + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[labels == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _version_time(version: str) -> datetime | None:
    try:
        return datetime.strptime(version, VERSION_TIME)  # naive UTC, as the store keeps times
    except ValueError:
        return None
