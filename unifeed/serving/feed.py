"""The feed: which ranker answers, what it must leave out, and what was shown.

Every page served is recorded with its request id, so events that name the
request join what was shown with what was done. A cursor is the id of the
first page; later pages exclude everything the earlier ones showed.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unifeed.model.checkpoint import Checkpoint, CheckpointError
from unifeed.serving.actions import POSITIVE_ACTIONS
from unifeed.serving.catalogue import LiveCatalogue
from unifeed.serving.publish import current_version
from unifeed.serving.rankers import ModelRanker, PopularityRanker, RandomRanker
from unifeed.settings import Settings
from unifeed.store import Store
from unifeed.store.feed_log import FeedLog

log = logging.getLogger(__name__)


class CursorError(ValueError):
    """A cursor that this server did not issue, or issued to another user."""


@dataclass
class FeedItem:
    item_id: str
    score: float
    kind: str


@dataclass
class FeedPage:
    request_id: str
    user_id: str
    ranker: str
    model_version: str | None
    items: list[FeedItem]
    next_cursor: str | None


class FeedService:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.log = FeedLog(store)
        self.catalogue = LiveCatalogue(store, settings.reload_seconds)
        self.popularity = PopularityRanker(store, settings.reload_seconds)
        self.random = RandomRanker()
        self.model: ModelRanker | None = None
        self.model_error: str | None = None
        self._checked = -1e18
        self._reload_lock = threading.Lock()

    # ---------------------------------------------------------------- model
    def reload(self, force: bool = False) -> bool:
        """Load the published checkpoint if it changed; True when a new one loaded."""
        if self.settings.ranker != "model":
            return False
        if not force and time.monotonic() - self._checked < self.settings.reload_seconds:
            return False
        with self._reload_lock:
            self._checked = time.monotonic()
            root = Path(self.settings.checkpoint_root)
            version = current_version(root)
            if version is None or (self.model is not None and self.model.version == version):
                return False
            try:
                ckpt = Checkpoint.load(root / version)
            except CheckpointError as e:
                # Keep serving the previous model; readiness reports the problem.
                self.model_error = str(e)
                log.error("cannot load checkpoint %s: %s", version, e)
                return False
            ranker = ModelRanker(ckpt, version, self.settings.faiss_threshold)
            self.catalogue.refresh()
            ranker.sync(self.catalogue)
            self.model, self.model_error = ranker, None
            log.info("serving checkpoint %s", version)
            return True

    # ----------------------------------------------------------------- feed
    def feed(
        self, user_id: str, n: int, cursor: str | None = None, include_seen: bool = False
    ) -> FeedPage:
        root, page, shown = self._resume(user_id, cursor)
        self.reload()
        self.catalogue.refresh()
        cat = self.catalogue
        exclude = np.zeros(len(cat), dtype=bool)
        user_pk = self.store.user_pk(user_id)
        seen = self.store.seen_items(user_pk) if user_pk is not None and not include_seen else set()
        for pk in seen | shown:
            row = cat.row_of_pk.get(pk)
            if row is not None:
                exclude[row] = True

        ranker_name, version = self.settings.ranker, None
        rows = scores = None
        if ranker_name == "model":
            model = self.model
            query = None
            if model is not None and user_pk is not None:
                model.sync(cat)
                history = self.store.history(user_pk, POSITIVE_ACTIONS, model.model.cfg.max_len)
                pairs = [(cat.row_of_pk.get(pk), a) for pk, a in history]
                pairs = [(r, a) for r, a in pairs if r is not None and r < len(model.item_vectors)]
                query = model.state([r for r, _ in pairs], [a for _, a in pairs])
            if model is not None and query is not None:
                rows, scores = model.rank(query, n, exclude[: len(model.item_vectors)])
                version = model.version
            else:
                # No model yet, or a user with no history: popularity, labelled so.
                ranker_name = "fallback"
        if rows is None:
            source = self.random if ranker_name == "random" else self.popularity
            rows, scores = source.rank(cat, n, exclude)
        assert scores is not None

        request_id = uuid.uuid4().hex
        root = root or request_id
        self.log.record(
            request_id=request_id,
            root_request_id=root,
            page=page,
            user_external_id=user_id,
            ranker=ranker_name,
            model_version=version,
            item_pks=[int(cat.pk[r]) for r in rows],
            scores=[float(s) for s in scores],
        )
        items = [
            FeedItem(str(cat.external_id[r]), float(s), str(cat.kind[r]))
            for r, s in zip(rows, scores, strict=True)
        ]
        # A short page means the catalogue has nothing more for this user.
        next_cursor = root if len(items) == n else None
        return FeedPage(request_id, user_id, ranker_name, version, items, next_cursor)

    def _resume(self, user_id: str, cursor: str | None) -> tuple[str | None, int, set[int]]:
        if cursor is None:
            return None, 0, set()
        first = self.log.request(cursor)
        if first is None or first["page"] != 0 or first["user_external_id"] != user_id:
            raise CursorError("cursor is not one this server issued for this user")
        pages, shown = self.log.chain(cursor)
        return cursor, pages, shown

    def status(self) -> dict[str, object]:
        return {
            "ranker": self.settings.ranker,
            "model_version": None if self.model is None else self.model.version,
            "model_error": self.model_error,
            "items": len(self.catalogue),
            "index": None if self.model is None else self.model.index.kind,
        }
