"""Creator assistants: creators and their keys, assistants, messages, drafts, removed posts."""

from __future__ import annotations

from sqlalchemy import Connection

from unifeed.store import schema

TABLES = (
    schema.creators,
    schema.creator_keys,
    schema.assistants,
    schema.assistant_messages,
    schema.post_drafts,
    schema.removed_posts,
)


def upgrade(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=list(TABLES))
