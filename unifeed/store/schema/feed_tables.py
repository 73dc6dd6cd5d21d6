"""The feed's tables: users, items, their events, and the feeds served.

Internal integer keys join the tables; the ids an app sends (`external_id`,
`event_id`, `request_id`) are unique strings. Times are naive UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from unifeed.store.schema.registry import ID, metadata

users = Table(
    "users",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("external_id", String(200), nullable=False, unique=True),
    Column("age", Integer),
    Column("gender", String(32)),
    Column("country", String(2)),
    Column("language", String(16)),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

items = Table(
    "items",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("external_id", String(200), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("author", String(200)),
    Column("text", Text),
    Column("tags", Text),  # JSON list
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    # float32 content embedding, computed when the item is written, so the
    # item is servable from its content before anyone has touched it.
    Column("embedding", LargeBinary),
    Column("encoder", String(64)),
)
Index("ix_items_updated_at", items.c.updated_at)

events = Table(
    "events",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("event_id", String(200), nullable=False, unique=True),
    Column("user_id", ID, ForeignKey("users.id"), nullable=False),
    Column("item_id", ID, ForeignKey("items.id"), nullable=False),
    Column("action", String(32), nullable=False),
    Column("timestamp", DateTime, nullable=False),
    Column("value", Float),  # a result's worth, integer minor units of `currency`
    Column("currency", String(3)),  # ISO 4217; set whenever value is
    Column("request_id", String(64)),
    Column("received_at", DateTime, nullable=False),
)
Index("ix_events_user_time", events.c.user_id, events.c.timestamp)
Index("ix_events_item", events.c.item_id)
# The report frontier reads the newest events that name a page; events that
# name none (most of a large batch) must not be scanned past to find them.
Index(
    "ix_events_with_request",
    events.c.id,
    sqlite_where=events.c.request_id.is_not(None),
    postgresql_where=events.c.request_id.is_not(None),
)

feed_requests = Table(
    "feed_requests",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False, unique=True),
    # First page of a paginated feed; later pages exclude what it and its
    # followers showed, so a cursor never repeats an item.
    Column("root_request_id", String(64), nullable=False),
    Column("page", Integer, nullable=False),
    Column("user_external_id", String(200), nullable=False),
    Column("n", Integer, nullable=False),
    Column("ranker", String(32), nullable=False),
    Column("model_version", String(64)),
    Column("created_at", DateTime, nullable=False),
)
Index("ix_feed_requests_root", feed_requests.c.root_request_id)
Index("ix_feed_requests_time", feed_requests.c.created_at)

feed_items = Table(
    "feed_items",
    metadata,
    Column("feed_request_id", ID, ForeignKey("feed_requests.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("item_id", ID, nullable=False),
    Column("score", Float, nullable=False),
)
