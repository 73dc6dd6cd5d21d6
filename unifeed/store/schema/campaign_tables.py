"""Ads as advertisers define them: advertisers, their keys, campaigns and creatives."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from unifeed.store.schema.registry import ID, metadata

advertisers = Table(
    "advertisers",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("external_id", String(200), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# An advertiser's key sees only that advertiser's campaigns.
advertiser_keys = Table(
    "advertiser_keys",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("advertiser_id", ID, ForeignKey("advertisers.id"), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("advertiser_id", ID, ForeignKey("advertisers.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("objective", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("budget_kind", String(16), nullable=False),  # lifetime | daily
    Column("budget_minor", BigInteger, nullable=False),
    Column("start_at", DateTime, nullable=False),
    Column("end_at", DateTime, nullable=False),
    Column("bid_strategy", String(32), nullable=False),
    Column("cost_goal_minor", BigInteger),  # cost per result goal
    Column("roas_goal", Float),
    Column("bid_cap_minor", BigInteger),
    Column("brief", Text, nullable=False),  # JSON
    Column("constraints", Text, nullable=False),  # JSON: countries, min_age
    Column("audience_hint", Text),  # JSON; a hint, never a filter
    Column("click_window_days", Integer, nullable=False),
    Column("view_window_days", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # active | paused
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    # Creative numbers handed out so far: each upload takes the next ones in
    # one conditional update, so concurrent uploads never share a number.
    Column("creatives_issued", Integer),
    Column("auto_approve_creatives", Boolean),  # NULL (before m0014): False
)
Index("ix_campaigns_advertiser", campaigns.c.advertiser_id)

creatives = Table(
    "creatives",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("campaign_id", ID, ForeignKey("campaigns.id"), nullable=False),
    Column("item_id", ID, ForeignKey("items.id"), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
)

# A campaign's ad variants (m0014). Each edit makes a new version, and each
# version is its own catalogue item (its text, its embedding): slots, ledger
# rows and events name the item, so every figure belongs to the version
# served. Every version's item is also in `creatives`, which ties items to
# campaigns for billing and attribution; only the current version of an
# approved variant serves.
creative_variants = Table(
    "creative_variants",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("campaign_id", ID, ForeignKey("campaigns.id"), nullable=False),
    Column("status", String(16), nullable=False),  # draft | approved | rejected | paused
    Column("origin", String(16), nullable=False),  # typed | generated | audience
    Column("angle", String(32)),
    Column("model", String(200)),  # the language model that wrote it
    Column("version", Integer, nullable=False),  # the current version's number
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)
Index("ix_creative_variants_campaign", creative_variants.c.campaign_id)

creative_versions = Table(
    "creative_versions",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("variant_id", ID, ForeignKey("creative_variants.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("item_id", ID, ForeignKey("items.id"), nullable=False, unique=True),
    Column("headline", Text),  # NULL: a text-only ad (the app heads it with the product)
    Column("primary_text", Text, nullable=False),
    Column("call_to_action", String(40), nullable=False),
    Column("landing_url", Text),  # NULL: the brief's
    # JSON list of [rule, reason]; [] approved by review; NULL: stored before
    # review existed (m0014 keeps those serving as they did).
    Column("review", Text),
    Column("created_at", DateTime, nullable=False),
)
Index(
    "ux_creative_versions", creative_versions.c.variant_id, creative_versions.c.version, unique=True
)
