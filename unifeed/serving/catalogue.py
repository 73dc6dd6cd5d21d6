"""The server's in-memory copy of the catalogue, refreshed incrementally.

Only items written since the last refresh are read back, so a catalogue of
100k items does not reload its embeddings every time one item is added.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import datetime, timedelta

import numpy as np

from unifeed.store import Catalogue, Store
from unifeed.store.db import utcnow

log = logging.getLogger(__name__)

# Writes commit in a different order than their timestamps (and servers'
# clocks differ a little); re-reading this much before the previous read
# catches a write that committed late.
OVERLAP = timedelta(seconds=10)


class LiveCatalogue:
    def __init__(self, store: Store, refresh_seconds: float) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self.pk = np.zeros(0, dtype=np.int64)
        self.external_id = np.zeros(0, dtype=object)
        self.kind = np.zeros(0, dtype=object)
        self.embedding: np.ndarray | None = None  # (I, C)
        self.has_embedding = np.zeros(0, dtype=bool)
        self.encoder: str | None = None
        self.is_ad = np.zeros(0, dtype=bool)
        self.version = 0  # bumped on every change
        self.row_of_pk: dict[int, int] = {}
        self._since: datetime | None = None
        self._updated: list[datetime | None] = []  # (I,) updated_at of each row
        self._checked = -math.inf
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.pk)

    def invalidate(self) -> None:
        """Check the store on the next `refresh` (this process just wrote items)."""
        self._checked = -math.inf

    def refresh(self) -> bool:
        """Pull items changed since the last refresh; True when anything changed."""
        if time.monotonic() - self._checked < self.refresh_seconds:
            return False
        with self._lock:
            if time.monotonic() - self._checked < self.refresh_seconds:
                return False
            self._checked = time.monotonic()
            # Anything written more than OVERLAP before the previous read was
            # committed by then, so only the window since then is read again
            # (and not, say, a whole bulk load that happened to be recent).
            read_at = utcnow()
            since = None if self._since is None else self._since - OVERLAP
            rows = self.store.catalogue(since=since)
            self._since = read_at
            if len(rows.pk) == 0:
                return False
            return self._merge(rows)

    def _merge(self, rows: Catalogue) -> bool:
        if rows.encoder and self.encoder and rows.encoder != self.encoder:
            log.warning("items now embedded by %s, was %s", rows.encoder, self.encoder)
        self.encoder = rows.encoder or self.encoder
        new_mask = np.array([int(p) not in self.row_of_pk for p in rows.pk], dtype=bool)
        changed = False
        stamps = rows.updated_at or [None] * len(rows.pk)
        # Rows already known: overwrite in place when an upsert changed them
        # (the overlap window re-reads rows that did not change).
        for i in np.flatnonzero(~new_mask):
            r = self.row_of_pk[int(rows.pk[i])]
            if stamps[i] is not None and self._updated[r] == stamps[i]:
                continue
            self._updated[r] = stamps[i]
            self.kind[r] = rows.kind[i]
            same_dim = (
                rows.embedding is not None
                and self.embedding is not None
                and rows.embedding.shape[1] == self.embedding.shape[1]
            )
            if same_dim:
                assert rows.embedding is not None and self.embedding is not None
                self.embedding[r] = rows.embedding[i]
                self.has_embedding[r] = rows.has_embedding[i]
            changed = True
        if new_mask.any():
            start = len(self.pk)
            self.pk = np.concatenate([self.pk, rows.pk[new_mask]])
            self.external_id = np.concatenate([self.external_id, rows.external_id[new_mask]])
            self.kind = np.concatenate([self.kind, rows.kind[new_mask]])
            self.has_embedding = np.concatenate([self.has_embedding, rows.has_embedding[new_mask]])
            add = rows.embedding[new_mask] if rows.embedding is not None else None
            if self.embedding is None and add is not None:
                self.embedding = np.zeros((start, add.shape[1]), dtype=np.float32)
            if self.embedding is not None:
                if add is None or add.shape[1] != self.embedding.shape[1]:
                    add = np.zeros((int(new_mask.sum()), self.embedding.shape[1]), np.float32)
                self.embedding = np.concatenate([self.embedding, add])
            for k, p in enumerate(rows.pk[new_mask]):
                self.row_of_pk[int(p)] = start + k
            self._updated.extend(stamps[i] for i in np.flatnonzero(new_mask))
            changed = True
        if changed:
            self.is_ad = self.kind == "ad"  # ads reach a feed only through the auction
            self.version += 1
            log.debug("catalogue now %d items (version %d)", len(self.pk), self.version)
        return changed
