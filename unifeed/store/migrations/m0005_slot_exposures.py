"""Ad slots record the viewer's earlier views of the campaign (its wear-out feature)."""

from __future__ import annotations

from sqlalchemy import Connection, Integer

from unifeed.store.migrations.columns import add_column


def upgrade(conn: Connection) -> None:
    add_column(conn, "ad_slots", "exposures", Integer())
