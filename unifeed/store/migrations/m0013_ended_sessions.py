"""Signing out of the dashboard ends the session: the ended_sessions table."""

from __future__ import annotations

from sqlalchemy import Connection

from unifeed.store import schema


def upgrade(conn: Connection) -> None:
    schema.ended_sessions.create(conn, checkfirst=True)
