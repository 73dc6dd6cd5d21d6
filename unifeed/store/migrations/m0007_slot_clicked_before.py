"""Ad slots record whether the viewer had clicked the campaign before (its wear-out curve)."""

from __future__ import annotations

from sqlalchemy import Boolean, Connection

from unifeed.store.migrations.columns import add_column


def upgrade(conn: Connection) -> None:
    add_column(conn, "ad_slots", "clicked_before", Boolean())
