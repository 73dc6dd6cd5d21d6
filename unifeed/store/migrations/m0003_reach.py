"""Awareness counts people reached: attributions get a unique per-person key."""

from __future__ import annotations

from sqlalchemy import Connection, String, inspect

from unifeed.store import schema
from unifeed.store.migrations.columns import add_column


def upgrade(conn: Connection) -> None:
    add_column(conn, "attributions", "reach_key", String(64))
    # Likewise its index, which m0002 creates with the table.
    indexes = {i["name"] for i in inspect(conn).get_indexes("attributions")}
    if "ux_attributions_reach" not in indexes:
        index = next(i for i in schema.attributions.indexes if i.name == "ux_attributions_reach")
        index.create(conn)
