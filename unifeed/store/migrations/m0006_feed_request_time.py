"""Feed requests are found by when they were served: the traffic curve reads a week of them."""

from __future__ import annotations

from sqlalchemy import Connection, inspect

from unifeed.store import schema

INDEX = "ix_feed_requests_time"


def upgrade(conn: Connection) -> None:
    # A database created after this index joined the schema has it already
    # (m0001 creates the tables as the schema now stands).
    if INDEX not in {i["name"] for i in inspect(conn).get_indexes("feed_requests")}:
        next(i for i in schema.feed_requests.indexes if i.name == INDEX).create(conn)
