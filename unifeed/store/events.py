"""Writing a batch of events: looked up before the write lock, inserted by the driver.

On SQLite one writer at a time holds the database, and every feed page is a
write (its log), so what an event batch does while it holds the lock is all
a feed can be kept waiting for: items and users are looked up and every row
formatted first, and the insert is the driver's own executemany. A batch of
more than SQLITE_PART events is written on SQLite in parts of that many,
each its own transaction, and other writers go between the parts.
PostgreSQL's writers do not wait on each other here: one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine

from unifeed.store import schema
from unifeed.store.db import as_utc, utcnow


class Store(Protocol):
    """What writing events needs of `unifeed.store.store.Store` (which imports this module)."""

    dialect: str
    engine: Engine
    insert: Any

    def write(self, bulk: bool = False) -> AbstractContextManager[Connection]: ...

    @staticmethod
    def _pks(conn: Connection, table: Any, external: set[str]) -> dict[str, int]: ...


SQLITE_PART = 1000  # events per write transaction on SQLite
# The columns written, in order; each row's values are these keys of the event.
COLUMNS = (
    "event_id",
    "user_id",
    "item_id",
    "action",
    "timestamp",
    "value",
    "currency",
    "request_id",
)


class UnknownReference(ValueError):
    """A write names an item (or request) the store does not have."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        """`problems`: (location in the batch, message), e.g. (("events", 3, "item_id"), ...)."""
        super().__init__("; ".join(f"{_path(loc)}: {msg}" for loc, msg in problems))
        self.problems = problems


def _path(loc: tuple[str | int, ...]) -> str:
    """("events", 3, "item_id") -> "events[3].item_id"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


@dataclass
class PreparedEvents:
    """A batch ready to insert: `rows` in COLUMNS order (+ received_at), with
    each user's external id where its key goes until the write resolves it."""

    rows: list[tuple[Any, ...]]
    user_pk: dict[str, int]  # the batch's users that exist already
    new_users: set[str]  # ... and those the write creates
    sent: int  # events as sent, repeats included
    received_at: datetime


def prepare(store: Store, events: Sequence[Mapping[str, Any]]) -> PreparedEvents:
    """Resolve and format `events`; UnknownReference names unknown items."""
    unique: dict[str, Mapping[str, Any]] = {}
    for r in events:
        unique.setdefault(r["event_id"], r)
    with store.engine.connect() as conn:
        item_pk = store._pks(conn, schema.items, {r["item_id"] for r in unique.values()})
        missing = [
            (("events", i, "item_id"), f"unknown item {r['item_id']!r}")
            for i, r in enumerate(events)
            if r["item_id"] not in item_pk
        ]
        if missing:
            raise UnknownReference(missing[:20])
        users = {r["user_id"] for r in unique.values()}
        user_pk = store._pks(conn, schema.users, users)
    now = utcnow()
    stamp = _stamper(store.dialect)
    received = stamp(now)
    rows = []
    for r in unique.values():
        row = {c: r.get(c) for c in COLUMNS}
        row["item_id"] = item_pk[r["item_id"]]
        row["timestamp"] = stamp(as_utc(r["timestamp"]))
        rows.append((*row.values(), received))
    return PreparedEvents(rows, user_pk, users - user_pk.keys(), len(events), now)


def write(store: Store, p: PreparedEvents) -> int:
    """Insert the prepared rows not stored yet; returns how many were."""
    mark = "?" if store.dialect == "sqlite" else "%s"
    names = ", ".join(f'"{c}"' for c in (*COLUMNS, "received_at"))
    sql = (
        f"INSERT INTO events ({names}) VALUES ({', '.join([mark] * (len(COLUMNS) + 1))}) "
        "ON CONFLICT (event_id) DO NOTHING"
    )
    user = COLUMNS.index("user_id")
    size = SQLITE_PART if store.dialect == "sqlite" else max(len(p.rows), 1)
    bulk = len(p.rows) > size
    accepted = 0
    for start in range(0, len(p.rows), size):
        with store.write(bulk=bulk) as conn:
            if p.new_users:
                p.user_pk |= _ensure_users(store, conn, p.new_users, p.received_at)
                p.new_users = set()
            part = [
                (*r[:user], p.user_pk[r[user]], *r[user + 1 :])
                for r in p.rows[start : start + size]
            ]
            # The driver's own executemany: no per-row work in Python while
            # the transaction is open. Its row count is the rows inserted.
            accepted += conn.exec_driver_sql(sql, part).rowcount
    return accepted


def _ensure_users(
    store: Store, conn: Connection, external: set[str], now: datetime
) -> dict[str, int]:
    found = store._pks(conn, schema.users, external)
    new = sorted(external - found.keys())
    if new:
        stmt = store.insert(schema.users).on_conflict_do_nothing(index_elements=["external_id"])
        conn.execute(stmt, [{"external_id": u, "created_at": now, "updated_at": now} for u in new])
        found.update(store._pks(conn, schema.users, set(new)))
    return found


def _stamper(dialect: str) -> Any:
    """Naive UTC times as the driver takes them: SQLite keeps SQLAlchemy's text form."""
    if dialect == "sqlite":
        return lambda t: t.isoformat(" ", "microseconds")
    return lambda t: t
