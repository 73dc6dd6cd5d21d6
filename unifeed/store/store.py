"""The store: every read and write the service makes, over one SQLAlchemy engine.

SQLite (WAL, fsync on commit) is the embedded default; PostgreSQL the
production back-end. Every write is one transaction, so a batch is stored
whole or not at all, and a write the API acknowledged has been committed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    Connection,
    create_engine,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from unifeed.store import events, migrate, schema
from unifeed.store.activity import UserActivity
from unifeed.store.db import WriteGate, as_utc, hash_key, normalize_url, sqlite_pragmas, utcnow

log = logging.getLogger(__name__)


@dataclass
class Catalogue:
    """Every item, in primary-key order: what the rankers score."""

    pk: np.ndarray  # (I,) int64
    external_id: np.ndarray  # (I,) object
    kind: np.ndarray  # (I,) object
    embedding: np.ndarray | None  # (I, C) float32, zero rows where has_embedding is False
    has_embedding: np.ndarray  # (I,) bool
    encoder: str | None
    updated_at: list[datetime] | None = None


@dataclass(frozen=True)
class ItemSummary:
    """An item as a person reads it (the dashboard's pages)."""

    pk: int
    external_id: str
    kind: str
    author: str | None
    text: str | None
    tags: tuple[str, ...]


@dataclass(frozen=True)
class UserEvent:
    item_pk: int
    action: str
    timestamp: datetime  # the device's time, naive UTC
    request_id: str | None


@dataclass
class EventTable:
    """Events in (user, time) order, for training."""

    user: np.ndarray  # (N,) user pk
    item: np.ndarray  # (N,) item pk
    action: np.ndarray  # (N,) object
    timestamp: np.ndarray  # (N,) int64 unix seconds


class Store:
    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = normalize_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        if self.dialect == "sqlite":
            self.engine = create_engine(
                self.url, connect_args={"timeout": 60, "check_same_thread": False}
            )
            sqlite_pragmas(self.engine)
        elif self.dialect == "postgresql":
            self.engine = create_engine(
                self.url, pool_size=pool_size, max_overflow=2 * pool_size, pool_pre_ping=True
            )
        else:
            raise ValueError(f"unsupported database {self.dialect!r}: use SQLite or PostgreSQL")
        # Write transactions: on SQLite they take the write lock at BEGIN, so a
        # read-then-write never fails half-way on a lock upgrade.
        self.writer = self.engine.execution_options(unifeed_write=True)
        self.insert = sqlite.insert if self.dialect == "sqlite" else postgresql.insert
        self.gate = WriteGate(enabled=self.dialect == "sqlite")

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> list[int]:
        return migrate.upgrade(self.writer)

    def schema_version(self) -> int:
        versions = migrate.applied_versions(self.engine)
        return max(versions, default=0)

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception as e:  # readiness reports any failure, whatever its kind
            log.warning("database ping failed: %s", e)
            return False

    @contextmanager
    def write(self, bulk: bool = False) -> Iterator[Connection]:
        """A write transaction. On SQLite this process's writers take turns at
        a gate (`WriteGate`), and a `bulk` one lets any other go first."""
        with self.gate.turn(bulk), self.writer.begin() as conn:
            yield conn

    # ----------------------------------------------------------------- keys
    def add_api_key(self, name: str, key: str, role: str = "operator") -> bool:
        """Store a key's hash; False when that key is already registered."""
        stmt = self.insert(schema.api_keys).values(
            name=name, key_hash=hash_key(key), role=role, created_at=utcnow()
        )
        stmt = stmt.on_conflict_do_nothing(index_elements=["key_hash"]).returning(
            schema.api_keys.c.id
        )
        with self.write() as conn:
            return conn.execute(stmt).first() is not None

    def has_api_keys(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(schema.api_keys.c.id).limit(1)).first() is not None

    def role_of(self, key: str) -> str | None:
        return self.role_of_hash(hash_key(key))

    def role_of_hash(self, key_hash: str) -> str | None:
        """The role of the key with this hash (a dashboard session holds the hash, not the key)."""
        q = select(schema.api_keys.c.role).where(schema.api_keys.c.key_hash == key_hash)
        with self.engine.connect() as conn:
            return conn.execute(q).scalar()

    def end_session(self, session_hash: str, expires_at: datetime) -> None:
        """Record a dashboard session as signed out (and forget those past expiry)."""
        t = schema.ended_sessions
        stmt = self.insert(t).values(session_hash=session_hash, expires_at=as_utc(expires_at))
        with self.write() as conn:
            conn.execute(t.delete().where(t.c.expires_at < utcnow()))
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["session_hash"]))

    def session_ended(self, session_hash: str) -> bool:
        t = schema.ended_sessions
        q = select(t.c.session_hash).where(t.c.session_hash == session_hash)
        with self.engine.connect() as conn:
            return conn.execute(q).first() is not None

    # --------------------------------------------------------------- writes
    def upsert_users(self, rows: Sequence[Mapping[str, Any]]) -> int:
        now = utcnow()
        values = [
            {
                "external_id": r["id"],
                "age": r.get("age"),
                "gender": r.get("gender"),
                "country": r.get("country"),
                "language": r.get("language"),
                "created_at": now,
                "updated_at": now,
            }
            for r in rows
        ]
        return self._upsert(schema.users, values, ["age", "gender", "country", "language"])

    def upsert_items(
        self, rows: Sequence[Mapping[str, Any]], conn: Connection | None = None
    ) -> int:
        """Rows carry id, kind, author, text, tags, created_at, embedding (bytes), encoder."""
        now = utcnow()
        values = [
            {
                "external_id": r["id"],
                "kind": r["kind"],
                "author": r.get("author"),
                "text": r.get("text"),
                "tags": json.dumps(list(r.get("tags") or [])),
                "created_at": as_utc(r.get("created_at") or now),
                "updated_at": now,
                "embedding": r.get("embedding"),
                "encoder": r.get("encoder"),
            }
            for r in rows
        ]
        cols = ["kind", "author", "text", "tags", "created_at", "embedding", "encoder"]
        return self._upsert(schema.items, values, cols, conn)

    def _upsert(
        self,
        table: Any,
        values: list[dict[str, Any]],
        update: list[str],
        conn: Connection | None = None,
    ) -> int:
        """Insert or replace by external id, in `conn`'s transaction or a new one."""
        if not values:
            return 0
        # The last row for an id wins, as if the batch were applied in order.
        values = list({v["external_id"]: v for v in values}.values())
        stmt = self.insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["external_id"],
            set_={c: stmt.excluded[c] for c in [*update, "updated_at"]},
        )
        if conn is not None:
            conn.execute(stmt, values)
        else:
            with self.write() as own:
                own.execute(stmt, values)
        return len(values)

    def add_events(self, rows: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
        """Insert events not stored yet; returns (accepted, duplicates).

        Rows carry event_id, user_id, item_id (external ids), action, timestamp,
        value, currency, request_id. Unknown items reject the whole batch; unknown users
        are created. Duplicates (by event_id, within the batch or already
        stored) are counted and ignored, so a re-sent batch changes nothing.
        One transaction, except on SQLite above `events.SQLITE_PART` events.
        """
        if not rows:
            return 0, 0
        prepared = events.prepare(self, rows)
        accepted = events.write(self, prepared)
        return accepted, prepared.sent - accepted

    @staticmethod
    def _pks(conn: Connection, table: Any, external: set[str]) -> dict[str, int]:
        """external id -> primary key, for the ids that exist."""
        out: dict[str, int] = {}
        ids = sorted(external)
        for start in range(0, len(ids), 2000):  # keep each IN list well under bind limits
            chunk = ids[start : start + 2000]
            q = select(table.c.external_id, table.c.id).where(table.c.external_id.in_(chunk))
            out.update(conn.execute(q).all())
        return out

    # ---------------------------------------------------------------- reads
    def item_pks(self, external: set[str], conn: Connection | None = None) -> dict[str, int]:
        if conn is not None:
            return self._pks(conn, schema.items, external)
        with self.engine.connect() as own:
            return self._pks(own, schema.items, external)

    def activity(self, external_id: str) -> UserActivity | None:
        """The user's attributes and every event of theirs, oldest first, in
        one connection (None for a user the store does not know)."""
        u, e = schema.users, schema.events
        with self.engine.connect() as conn:
            row = conn.execute(
                select(u.c.id, u.c.age, u.c.gender, u.c.country, u.c.language).where(
                    u.c.external_id == external_id
                )
            ).first()
            if row is None:
                return None
            events = conn.execute(
                select(e.c.item_id, e.c.action)
                .where(e.c.user_id == row.id)
                .order_by(e.c.timestamp, e.c.id)
            ).all()
        attributes = {k: row._mapping[k] for k in ("age", "gender", "country", "language")}
        return UserActivity(int(row.id), attributes, [(int(i), str(a)) for i, a in events])

    def user_pk(self, external_id: str) -> int | None:
        with self.engine.connect() as conn:
            return self._pks(conn, schema.users, {external_id}).get(external_id)

    def recent_events(self, user_pk: int, limit: int) -> list[UserEvent]:
        """The user's newest `limit` events of any action, newest first."""
        e = schema.events
        q = (
            select(e.c.item_id, e.c.action, e.c.timestamp, e.c.request_id)
            .where(e.c.user_id == user_pk)
            .order_by(e.c.timestamp.desc(), e.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [UserEvent(*r) for r in conn.execute(q).all()]

    def items_of(self, pks: Sequence[int]) -> dict[int, ItemSummary]:
        """These items by primary key (those that exist)."""
        t = schema.items
        out: dict[int, ItemSummary] = {}
        ids = sorted(set(pks))
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 2000):
                q = select(t.c.id, t.c.external_id, t.c.kind, t.c.author, t.c.text, t.c.tags)
                for r in conn.execute(q.where(t.c.id.in_(ids[start : start + 2000]))).all():
                    tags = tuple(json.loads(r.tags or "[]"))
                    out[r.id] = ItemSummary(r.id, r.external_id, r.kind, r.author, r.text, tags)
        return out

    def user_attributes(self, user_pk: int) -> dict[str, Any]:
        u = schema.users
        q = select(u.c.age, u.c.gender, u.c.country, u.c.language).where(u.c.id == user_pk)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return {} if row is None else dict(row._mapping)

    def catalogue_version(self) -> tuple[int, datetime | None]:
        t = schema.items
        with self.engine.connect() as conn:
            n, last = conn.execute(select(func.count(), func.max(t.c.updated_at))).one()
        return int(n), last

    def catalogue(self, since: datetime | None = None) -> Catalogue:
        """Every item in key order, or those updated at or after `since`."""
        t = schema.items
        q = select(
            t.c.id, t.c.external_id, t.c.kind, t.c.embedding, t.c.encoder, t.c.updated_at
        ).order_by(t.c.id)
        if since is not None:
            q = q.where(t.c.updated_at >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        encoders = {r[4] for r in rows if r[4]}
        if len(encoders) > 1:
            log.warning("items embedded by several encoders %s; using the newest", encoders)
        encoder = rows[-1][4] if rows and rows[-1][4] else (encoders.pop() if encoders else None)
        dim = 0
        for r in rows:
            if r[3] is not None and r[4] == encoder:
                dim = len(r[3]) // 4
                break
        emb = np.zeros((len(rows), dim), dtype=np.float32) if dim else None
        has = np.zeros(len(rows), dtype=bool)
        if emb is not None:
            for i, r in enumerate(rows):
                if r[3] is not None and r[4] == encoder and len(r[3]) == 4 * dim:
                    emb[i] = np.frombuffer(r[3], dtype=np.float32)
                    has[i] = True
        return Catalogue(
            pk=np.array([r[0] for r in rows], dtype=np.int64),
            external_id=np.array([r[1] for r in rows], dtype=object),
            kind=np.array([r[2] for r in rows], dtype=object),
            embedding=emb,
            has_embedding=has,
            encoder=encoder,
            updated_at=[r[5] for r in rows],
        )

    def item_counts(self, actions: Sequence[str]) -> dict[int, int]:
        """Events per item with these actions."""
        e = schema.events
        q = (
            select(e.c.item_id, func.count())
            .where(e.c.action.in_(list(actions)))
            .group_by(e.c.item_id)
        )
        with self.engine.connect() as conn:
            return dict(conn.execute(q).all())

    def event_table(self, actions: Sequence[str]) -> EventTable:
        e = schema.events
        q = (
            select(e.c.user_id, e.c.item_id, e.c.action, e.c.timestamp)
            .where(e.c.action.in_(list(actions)))
            .order_by(e.c.user_id, e.c.timestamp, e.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        epoch = datetime(1970, 1, 1)
        return EventTable(
            user=np.array([r[0] for r in rows], dtype=np.int64),
            item=np.array([r[1] for r in rows], dtype=np.int64),
            action=np.array([r[2] for r in rows], dtype=object),
            timestamp=np.array([int((r[3] - epoch).total_seconds()) for r in rows], dtype=np.int64),
        )

    def count(self, table: str) -> int:
        t = schema.metadata.tables[table]
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t)).scalar_one())
