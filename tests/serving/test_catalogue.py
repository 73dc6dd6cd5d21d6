"""The server's catalogue copy follows the store incrementally."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from unifeed.serving.catalogue import LiveCatalogue
from unifeed.store import Catalogue, Store


def row(item_id: str, value: float) -> dict:
    vec = np.full(4, value, dtype=np.float32)
    return {"id": item_id, "kind": "post", "embedding": vec.tobytes(), "encoder": "test"}


def test_refresh_reads_new_and_changed_items_only(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.migrate()
    store.upsert_items([row("a", 1.0), row("b", 2.0)])
    cat = LiveCatalogue(store, refresh_seconds=0.0)
    assert cat.refresh()
    v = cat.view()
    assert list(v.external_id) == ["a", "b"] and v.version == 1
    assert v.embedding is not None and v.embedding[1, 0] == 2.0
    # The overlap window re-reads both rows; nothing changed, so no new version.
    assert not cat.refresh()
    assert cat.view() is v

    store.upsert_items([row("a", 5.0), {"id": "c", "kind": "video"}])
    assert cat.refresh()
    w = cat.view()
    assert list(w.external_id) == ["a", "b", "c"]
    assert w.embedding is not None and w.embedding[0, 0] == 5.0  # a's new text replaced the old
    assert not w.has_embedding[2] and w.kind[2] == "video"
    assert w.row_of_pk[int(w.pk[2])] == 2
    # The earlier view was not touched: a request holding it reads what it read.
    assert v.embedding[0, 0] == 1.0 and len(v) == 2
    store.close()


def test_refresh_waits_for_its_interval_unless_invalidated(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.migrate()
    cat = LiveCatalogue(store, refresh_seconds=3600)
    store.upsert_items([row("a", 1.0)])
    assert cat.refresh()
    store.upsert_items([row("b", 1.0)])
    assert not cat.refresh()  # within the interval: not looked at
    cat.invalidate()
    assert cat.refresh() and len(cat) == 2
    store.close()


def test_a_bulk_load_is_not_read_again_on_every_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import unifeed.serving.catalogue as catalogue_module

    monkeypatch.setattr(catalogue_module, "OVERLAP", timedelta(0))
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.migrate()
    store.upsert_items([row(f"i{k}", float(k)) for k in range(50)])
    read: list[int] = []
    real = store.catalogue

    def counting(since: datetime | None = None) -> Catalogue:
        got = real(since=since)
        read.append(len(got.pk))
        return got

    monkeypatch.setattr(store, "catalogue", counting)
    cat = LiveCatalogue(store, refresh_seconds=0.0)
    cat.refresh()
    cat.refresh()
    cat.refresh()
    assert read == [50, 0, 0]
    store.upsert_items([row("new", 1.0)])
    cat.refresh()
    assert read[-1] == 1 and len(cat) == 51
    store.close()
