"""What the API acknowledged survives a crash, and re-sending is always safe.

The server runs as a real `unifeed serve` process on SQLite and on
PostgreSQL; it is killed with SIGKILL (no shutdown hooks, no flushing) while
event batches are in flight, restarted on the same store, and the store is
then read directly.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from bench._server import start_server, stop_server, wait_ready
from unifeed.api import create_app
from unifeed.settings import Settings
from unifeed.store import Store
from unifeed.store.schema import events as events_table

KEY = "reliability-test-operator-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
ITEMS = [f"i{k}" for k in range(20)]


def _batches(n: int, size: int, prefix: str = "e") -> list[list[dict[str, Any]]]:
    now = datetime.now(UTC).isoformat()
    return [
        [
            {
                "event_id": f"{prefix}{b}-{k}",
                "user_id": f"u{(b * size + k) % 37}",
                "item_id": ITEMS[(b + k) % len(ITEMS)],
                "action": "click" if k % 2 else "impression",
                "timestamp": now,
            }
            for k in range(size)
        ]
        for b in range(n)
    ]


def _settle(url: str, timeout: float = 30.0) -> None:
    """Wait until the killed server's PostgreSQL sessions are gone.

    A COMMIT the server sent just before SIGKILL still completes on the
    database side after the client died; reading before its session ends
    would see the store a moment before that commit (SQLite has no server
    side: the file is final when the process dies).
    """
    if not url.startswith("postgresql"):
        return
    store = Store(url)
    q = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with store.engine.connect() as conn:
                if conn.execute(q).scalar_one() == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("the killed server's database sessions did not end")
    finally:
        store.close()


def _stored(url: str) -> Counter[str]:
    """Rows per event id, read straight from the store."""
    store = Store(url)
    try:
        q = select(events_table.c.event_id, func.count()).group_by(events_table.c.event_id)
        with store.engine.connect() as conn:
            return Counter({str(e): int(n) for e, n in conn.execute(q)})
    finally:
        store.close()


def _prepare(url: str) -> None:
    store = Store(url)
    try:
        store.migrate()
        store.upsert_items([{"id": i, "kind": "post"} for i in ITEMS])
    finally:
        store.close()


def _send_until_killed(
    base: str, batches: list[list[dict[str, Any]]], proc: Any, senders: int = 4
) -> tuple[dict[int, dict[str, int]], int]:
    """Send every batch from `senders` threads and SIGKILL the server part-way.

    Returns (acknowledged batch index -> answer, requests in flight at the kill).
    """
    acked: dict[int, dict[str, int]] = {}
    todo = list(range(len(batches)))
    lock = threading.Lock()
    in_flight = [0]
    dead = threading.Event()

    def sender() -> None:
        with httpx.Client(base_url=base, headers=AUTH, timeout=30.0) as client:
            while not dead.is_set():
                with lock:
                    if not todo:
                        return
                    b = todo.pop(0)
                    in_flight[0] += 1
                try:
                    r = client.post("/v1/events", json={"events": batches[b]})
                except httpx.TransportError:
                    return  # the server is gone: this batch was never acknowledged
                finally:
                    with lock:
                        in_flight[0] -= 1
                if r.status_code == 200:
                    with lock:
                        acked[b] = r.json()

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with lock:
            if len(acked) >= 8 and in_flight[0] > 0:
                break
        time.sleep(0.001)
    with lock:
        # Holding the lock: no sender can finish a request between the count and the kill.
        flying = in_flight[0]
        proc.send_signal(signal.SIGKILL)
        dead.set()
    proc.wait(10)
    for t in threads:
        t.join(60)
    return acked, flying


def test_acknowledged_events_survive_sigkill_and_resending_is_exact(
    database_url: str, tmp_path: Path
) -> None:
    _prepare(database_url)
    batches = _batches(n=40, size=200)
    data_dir, log = tmp_path / "data", tmp_path / "server.log"

    base, proc = start_server(
        data_dir, KEY, ranker="popularity", database_url=database_url, log_path=log
    )
    try:
        wait_ready(base, proc, timeout=120)
        acked, flying = _send_until_killed(base, batches, proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert flying > 0, "the kill must land while requests are in flight"
    assert 8 <= len(acked) < len(batches), "the kill must land part-way through the load"
    assert all(a == {"accepted": 200, "duplicates": 0} for a in acked.values())

    # Every acknowledged event is stored exactly once; every batch is all or nothing.
    _settle(database_url)
    stored = _stored(database_url)
    assert set(stored.values()) <= {1}
    for b in acked:
        assert all(stored[e["event_id"]] == 1 for e in batches[b]), f"acked batch {b} lost"
    whole = {}
    for b, batch in enumerate(batches):
        present = sum(e["event_id"] in stored for e in batch)
        assert present in (0, len(batch)), f"batch {b} half stored ({present}/{len(batch)})"
        whole[b] = present == len(batch)

    # Restart on the same store and re-send everything.
    base, proc = start_server(
        data_dir, KEY, ranker="popularity", database_url=database_url, log_path=log
    )
    try:
        wait_ready(base, proc, timeout=120)
        with httpx.Client(base_url=base, headers=AUTH, timeout=30.0) as client:
            for b, batch in enumerate(batches):
                r = client.post("/v1/events", json={"events": batch})
                assert r.status_code == 200, r.text
                expected = (0, 200) if whole[b] else (200, 0)
                assert (r.json()["accepted"], r.json()["duplicates"]) == expected, b
    finally:
        stop_server(proc)

    stored = _stored(database_url)
    assert len(stored) == sum(len(b) for b in batches)
    assert set(stored.values()) == {1}


def test_resending_a_batch_changes_nothing(database_url: str, tmp_path: Path) -> None:
    _prepare(database_url)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        operator_key=KEY,
        ranker="popularity",
        encoder="hashing",
    )
    first, second = _batches(n=2, size=50, prefix="r")
    with TestClient(create_app(settings), headers=AUTH) as client:
        r = client.post("/v1/events", json={"events": first})
        assert r.json() == {"accepted": 50, "duplicates": 0}
        before = _stored(database_url)
        for _ in range(3):
            r = client.post("/v1/events", json={"events": first})
            assert r.status_code == 200
            assert r.json() == {"accepted": 0, "duplicates": 50}
            assert _stored(database_url) == before

        # Half old, half new, and an id repeated inside the batch.
        mixed = first[:25] + second[:25] + second[:1]
        r = client.post("/v1/events", json={"events": mixed})
        assert r.json() == {"accepted": 25, "duplicates": 26}
        after = _stored(database_url)
        assert len(after) == 75 and set(after.values()) == {1}
