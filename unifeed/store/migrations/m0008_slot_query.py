"""Ad slots record the viewer's model vector (a campaign's lookalike direction)."""

from __future__ import annotations

from sqlalchemy import Connection, inspect


def upgrade(conn: Connection) -> None:
    # A database created after this column joined the schema has it already
    # (m0002 creates the tables as the schema now stands).
    if "query" not in {c["name"] for c in inspect(conn).get_columns("ad_slots")}:
        kind = "BYTEA" if conn.dialect.name == "postgresql" else "BLOB"
        conn.exec_driver_sql(f"ALTER TABLE ad_slots ADD COLUMN query {kind}")
