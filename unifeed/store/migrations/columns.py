"""What the column-adding migrations share."""

from __future__ import annotations

from sqlalchemy import Connection, inspect
from sqlalchemy.types import TypeEngine


def add_column(conn: Connection, table: str, name: str, kind: TypeEngine) -> None:
    """Add column `name` of type `kind` to `table` unless it is there: a
    database created after the column joined the schema has it already
    (m0002 creates the tables as the schema now stands)."""
    if name not in {c["name"] for c in inspect(conn).get_columns(table)}:
        ddl = kind.compile(dialect=conn.dialect)  # e.g. BYTEA on PostgreSQL, BLOB on SQLite
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}")
