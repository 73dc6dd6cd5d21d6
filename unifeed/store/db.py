"""Engine set-up and the small conventions every table follows (UTC, hashed keys)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import make_url


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(t: datetime) -> datetime:
    """Naive UTC; a naive input is taken to be UTC already."""
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def hash_key(key: str) -> str:
    # Keys are 32 random bytes, so a fast hash is enough: there is nothing to
    # brute-force that a slow password hash would protect.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def normalize_url(url: str) -> str:
    u = make_url(url)
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # Take over transaction control from the driver (SQLAlchemy's recipe):
        # the "begin" hook below then chooses DEFERRED or IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the API answers, even on power loss.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("unifeed_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class WriteGate:
    """SQLite's writers, one at a time, in this process.

    Without it they wait on the file lock by sleeping and polling, so a
    writer that commits and begins again at once (a large batch's parts)
    can keep another out for as long as it writes. Here they queue, and a
    bulk writer starts only while no other writer is waiting."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._cond = threading.Condition()
        self._busy = False
        self._waiting = 0  # writers other than bulk ones, waiting for their turn

    @contextmanager
    def turn(self, bulk: bool = False) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        with self._cond:
            self._waiting += not bulk
            while self._busy or (bulk and self._waiting):
                self._cond.wait()
            self._waiting -= not bulk
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()
