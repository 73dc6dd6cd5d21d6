"""Ad slots record the viewer's model vector (a campaign's lookalike direction)."""

from __future__ import annotations

from sqlalchemy import Connection, LargeBinary

from unifeed.store.migrations.columns import add_column


def upgrade(conn: Connection) -> None:
    add_column(conn, "ad_slots", "query", LargeBinary())
