"""Events carry the currency of their value; the ledger is found by slot
(attribution) and ad slots by campaign (what a budget holds for them)."""

from __future__ import annotations

from sqlalchemy import Connection, String, Table, inspect

from unifeed.store import schema
from unifeed.store.migrations.columns import add_column

INDEXES: tuple[tuple[Table, str], ...] = (
    (schema.ledger, "ix_ledger_slot"),
    (schema.ad_slots, "ix_ad_slots_campaign"),
)


def upgrade(conn: Connection) -> None:
    add_column(conn, "events", "currency", String(3))
    # A database created after these indexes joined the schema has them already.
    for table, name in INDEXES:
        if name not in {i["name"] for i in inspect(conn).get_indexes(table.name)}:
            next(i for i in table.indexes if i.name == name).create(conn)
