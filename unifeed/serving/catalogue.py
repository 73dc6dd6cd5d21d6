"""The server's in-memory copy of the catalogue, refreshed incrementally.

Only items written since the last refresh are read back, so a catalogue of
100k items does not reload its embeddings every time one item is added.
Each refresh that changes anything publishes a new immutable view; a request
takes one view and reads only it, so concurrent requests never see a
catalogue that grew half-way through them.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from unifeed.clock import Clock, Every, WallClock
from unifeed.store import Catalogue, Store
from unifeed.store.db import utcnow

log = logging.getLogger(__name__)

# Writes commit in a different order than their timestamps (and servers'
# clocks differ a little); re-reading this much before the previous read
# catches a write that committed late.
OVERLAP = timedelta(seconds=10)


@dataclass(frozen=True)
class CatalogueView:
    pk: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # (I,)
    external_id: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    kind: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    embedding: np.ndarray | None = None  # (I, C)
    has_embedding: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    encoder: str | None = None
    is_ad: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # (I,)
    row_of_pk: dict[int, int] = field(default_factory=dict)
    version: int = 0  # bumped on every change

    def __len__(self) -> int:
        return len(self.pk)

    def mask(self, pks: set[int]) -> np.ndarray:
        """(I,) bool: True on the rows of these items (those not in this view are ignored)."""
        out = np.zeros(len(self.pk), dtype=bool)
        rows = [r for r in map(self.row_of_pk.get, pks) if r is not None]
        out[rows] = True
        return out


class LiveCatalogue:
    def __init__(self, store: Store, refresh_seconds: float, clock: Clock | None = None) -> None:
        self.store = store
        self._view = CatalogueView()
        self._since: datetime | None = None
        self._updated: list[datetime | None] = []  # (I,) updated_at of each row
        self._due = Every(clock or WallClock(), refresh_seconds)
        self._lock = threading.Lock()

    def view(self) -> CatalogueView:
        return self._view

    def __len__(self) -> int:
        return len(self._view)

    def invalidate(self) -> None:
        """Check the store on the next `refresh` (this process just wrote items)."""
        self._due.reset()

    def refresh(self) -> bool:
        """Pull items changed since the last refresh; True when anything changed."""
        if not self._due.due():
            return False
        with self._lock:
            if not self._due.due():
                return False
            self._due.done()
            # Anything written more than OVERLAP before the previous read was
            # committed by then, so only the window since then is read again
            # (and not, say, a whole bulk load that happened to be recent).
            read_at = utcnow()  # the store stamps rows by the wall clock, whatever the service's
            since = None if self._since is None else self._since - OVERLAP
            rows = self.store.catalogue(since=since)
            self._since = read_at
            if len(rows.pk) == 0:
                return False
            return self._merge(rows)

    def _merge(self, rows: Catalogue) -> bool:
        v = self._view
        if rows.encoder and v.encoder and rows.encoder != v.encoder:
            log.warning("items now embedded by %s, was %s", rows.encoder, v.encoder)
        stamps = rows.updated_at or [None] * len(rows.pk)
        new_mask = np.array([int(p) not in v.row_of_pk for p in rows.pk], dtype=bool)
        # Rows already known change only when an upsert changed them (the
        # overlap window re-reads rows that did not).
        changed_known = [
            i
            for i in np.flatnonzero(~new_mask)
            if stamps[i] is None or self._updated[v.row_of_pk[int(rows.pk[i])]] != stamps[i]
        ]
        if not changed_known and not new_mask.any():
            return False
        # Copy, then change: the published view is never written to.
        kind, has = v.kind.copy(), v.has_embedding.copy()
        emb = None if v.embedding is None else v.embedding.copy()
        for i in changed_known:
            r = v.row_of_pk[int(rows.pk[i])]
            self._updated[r] = stamps[i]
            kind[r] = rows.kind[i]
            same_width = rows.embedding is not None and emb is not None
            if same_width and rows.embedding.shape[1] == emb.shape[1]:  # type: ignore[union-attr]
                emb[r], has[r] = rows.embedding[i], rows.has_embedding[i]  # type: ignore[index]
        pk, external = v.pk, v.external_id
        row_of_pk = v.row_of_pk
        if new_mask.any():
            start = len(pk)
            pk = np.concatenate([pk, rows.pk[new_mask]])
            external = np.concatenate([external, rows.external_id[new_mask]])
            kind = np.concatenate([kind, rows.kind[new_mask]])
            has = np.concatenate([has, rows.has_embedding[new_mask]])
            add = rows.embedding[new_mask] if rows.embedding is not None else None
            if emb is None and add is not None:
                emb = np.zeros((start, add.shape[1]), dtype=np.float32)
            if emb is not None:
                if add is None or add.shape[1] != emb.shape[1]:
                    add = np.zeros((int(new_mask.sum()), emb.shape[1]), np.float32)
                emb = np.concatenate([emb, add])
            row_of_pk = dict(row_of_pk)
            for k, p in enumerate(rows.pk[new_mask]):
                row_of_pk[int(p)] = start + k
            self._updated.extend(stamps[i] for i in np.flatnonzero(new_mask))
        self._view = CatalogueView(
            pk=pk,
            external_id=external,
            kind=kind,
            embedding=emb,
            has_embedding=has,
            encoder=rows.encoder or v.encoder,
            is_ad=kind == "ad",  # ads reach a feed only through the auction
            row_of_pk=row_of_pk,
            version=v.version + 1,
        )
        log.debug("catalogue now %d items (version %d)", len(pk), v.version + 1)
        return True
