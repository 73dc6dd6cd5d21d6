"""Creators' assistants: creators, their keys, assistants, messages, drafts, removed posts."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, String, Table, Text

from unifeed.store.schema.registry import ID, metadata

# A creator is who an item's `author` names; a creator's key sees only that
# creator's assistant, conversations and drafts.
creators = Table(
    "creators",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("external_id", String(200), nullable=False, unique=True),  # = items.author
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

creator_keys = Table(
    "creator_keys",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("creator_id", ID, ForeignKey("creators.id"), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),  # sha256 hex
    Column("created_at", DateTime, nullable=False),
)

assistants = Table(
    "assistants",
    metadata,
    Column("creator_id", ID, ForeignKey("creators.id"), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("persona", Text, nullable=False),
    Column("avoid_topics", Text, nullable=False),  # JSON list of strings
    Column("links", Text, nullable=False),  # JSON list of {url, title}
    Column("audience", String(16), nullable=False),  # everyone | followers | creator
    Column("enabled", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# One question and its reply; a conversation is a creator's messages with one asker.
assistant_messages = Table(
    "assistant_messages",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("creator_id", ID, ForeignKey("creators.id"), nullable=False),
    Column("asker", String(200), nullable=False),  # a user's external id, or "creator"
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("kind", String(16), nullable=False),  # answered | quoted | not_in_posts | declined
    Column("citations", Text, nullable=False),  # JSON list of item external ids
    Column("closest", Text, nullable=False),  # JSON list of item external ids
    Column("faithful", Boolean, nullable=False),
    Column("detail", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)
Index("ix_assistant_messages_creator", assistant_messages.c.creator_id, assistant_messages.c.id)

# A draft is not an item: nothing can serve it until it is published, and
# publishing writes the item (`item_external_id`) the feed then ranks.
post_drafts = Table(
    "post_drafts",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("creator_id", ID, ForeignKey("creators.id"), nullable=False),
    Column("topic", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("source_post_ids", Text, nullable=False),  # JSON list of item external ids
    Column("status", String(16), nullable=False),  # draft | published
    Column("item_external_id", String(200)),
    Column("created_at", DateTime, nullable=False),
    Column("published_at", DateTime),
)
Index("ix_post_drafts_creator", post_drafts.c.creator_id, post_drafts.c.id)

# Posts their creator took back: the assistant no longer answers from them.
removed_posts = Table(
    "removed_posts",
    metadata,
    Column("item_id", ID, ForeignKey("items.id"), primary_key=True),
    Column("creator_id", ID, ForeignKey("creators.id"), nullable=False),
    Column("removed_at", DateTime, nullable=False),
)
