"""Events that name a page get their own index: the report frontier reads the newest of them."""

from __future__ import annotations

from sqlalchemy import Connection, inspect

from unifeed.store import schema

INDEX = "ix_events_with_request"


def upgrade(conn: Connection) -> None:
    # m0001 creates the tables as the schema now stands, this index included.
    if INDEX not in {i["name"] for i in inspect(conn).get_indexes("events")}:
        next(i for i in schema.events.indexes if i.name == INDEX).create(conn)
