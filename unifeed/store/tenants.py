"""Tenants with their own keys (advertisers, creators): one way to add them and find them by key.

Both tenant kinds are a table of (id, external_id, name, created_at) and a key table
holding only each key's hash beside its owner's id; this module is their shared SQL.
"""

from __future__ import annotations

from sqlalchemy import Column, Table, select

from unifeed.store.db import hash_key, utcnow
from unifeed.store.store import Store


def create_tenant(store: Store, table: Table, external_id: str, name: str) -> int:
    """Insert a tenant; returns its internal id."""
    with store.write() as conn:
        return int(
            conn.execute(
                table.insert()
                .values(external_id=external_id, name=name, created_at=utcnow())
                .returning(table.c.id)
            ).scalar_one()
        )


def add_key(store: Store, owner: Column, owner_id: int, key: str) -> None:
    """Keep the hash of `key` (never the key) for the tenant `owner_id`; `owner` is
    the key table's column naming the tenant."""
    with store.write() as conn:
        conn.execute(
            owner.table.insert().values(
                {owner.name: owner_id, "key_hash": hash_key(key), "created_at": utcnow()}
            )
        )


def owner_of_key_hash(store: Store, owner: Column, key_hash: str) -> int | None:
    """The tenant holding the key with this hash, or None."""
    t = owner.table
    with store.engine.connect() as conn:
        return conn.execute(select(owner).where(t.c.key_hash == key_hash)).scalar()
