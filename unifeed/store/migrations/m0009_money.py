"""Events carry the currency of their value; the ledger is found by slot (attribution)."""

from __future__ import annotations

from sqlalchemy import Connection, String, inspect

from unifeed.store import schema
from unifeed.store.migrations.columns import add_column

INDEX = "ix_ledger_slot"


def upgrade(conn: Connection) -> None:
    add_column(conn, "events", "currency", String(3))
    # A database created after this index joined the schema has it already.
    if INDEX not in {i["name"] for i in inspect(conn).get_indexes("ledger")}:
        next(i for i in schema.ledger.indexes if i.name == INDEX).create(conn)
