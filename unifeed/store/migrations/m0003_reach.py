"""Awareness counts people reached: attributions get a unique per-person key."""

from __future__ import annotations

from sqlalchemy import Connection, inspect

from unifeed.store import schema


def upgrade(conn: Connection) -> None:
    # A database created after this column joined the schema has it already
    # (m0002 creates the tables as the schema now stands).
    found = inspect(conn)
    if "reach_key" not in {c["name"] for c in found.get_columns("attributions")}:
        conn.exec_driver_sql("ALTER TABLE attributions ADD COLUMN reach_key VARCHAR(64)")
    if "ux_attributions_reach" not in {i["name"] for i in found.get_indexes("attributions")}:
        index = next(i for i in schema.attributions.indexes if i.name == "ux_attributions_reach")
        index.create(conn)
