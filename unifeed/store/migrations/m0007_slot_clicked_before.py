"""Ad slots record whether the viewer had clicked the campaign before (its wear-out curve)."""

from __future__ import annotations

from sqlalchemy import Connection, inspect


def upgrade(conn: Connection) -> None:
    # A database created after this column joined the schema has it already
    # (m0002 creates the tables as the schema now stands).
    if "clicked_before" not in {c["name"] for c in inspect(conn).get_columns("ad_slots")}:
        conn.exec_driver_sql("ALTER TABLE ad_slots ADD COLUMN clicked_before BOOLEAN")
