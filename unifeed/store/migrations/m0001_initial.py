"""Users, items, events, feed requests and API keys."""

from __future__ import annotations

from sqlalchemy import Connection

from unifeed.store import schema

TABLES = (
    schema.api_keys,
    schema.users,
    schema.items,
    schema.events,
    schema.feed_requests,
    schema.feed_items,
)


def upgrade(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=list(TABLES))
