"""The tables of the store, in SQLAlchemy Core, one module per domain.

Callers name every table through this package (`schema.events`,
`schema.ledger`), whichever module defines it; every table is defined on the
one `metadata` (`registry`). Internal integer keys join the tables; the ids an
app sends are unique strings. Times are naive UTC.
"""

from __future__ import annotations

from unifeed.store.schema.access_tables import api_keys, ended_sessions
from unifeed.store.schema.assistant_tables import (
    assistant_messages,
    assistants,
    creator_keys,
    creators,
    post_drafts,
    removed_posts,
)
from unifeed.store.schema.campaign_tables import (
    advertiser_keys,
    advertisers,
    campaigns,
    creative_variants,
    creative_versions,
    creatives,
)
from unifeed.store.schema.delivery_tables import (
    ad_slots,
    attributions,
    campaign_pacing,
    campaign_spend,
    ledger,
)
from unifeed.store.schema.feed_tables import events, feed_items, feed_requests, items, users
from unifeed.store.schema.registry import ID, metadata, schema_migrations

__all__ = [
    "ID",
    "ad_slots",
    "advertiser_keys",
    "advertisers",
    "api_keys",
    "assistant_messages",
    "assistants",
    "attributions",
    "campaign_pacing",
    "campaign_spend",
    "campaigns",
    "creative_variants",
    "creative_versions",
    "creatives",
    "creator_keys",
    "creators",
    "ended_sessions",
    "events",
    "feed_items",
    "feed_requests",
    "items",
    "ledger",
    "metadata",
    "post_drafts",
    "removed_posts",
    "schema_migrations",
    "users",
]
