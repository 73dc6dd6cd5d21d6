"""Pacing state survives a restart: the campaign_pacing table."""

from __future__ import annotations

from sqlalchemy import Connection

from unifeed.store import schema


def upgrade(conn: Connection) -> None:
    schema.campaign_pacing.create(conn, checkfirst=True)
