"""The tables of the store, in SQLAlchemy Core.

Internal integer keys join the tables; the ids an app sends (`external_id`,
`event_id`, `request_id`) are unique strings. Times are naive UTC.
"""

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
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("applied_at", DateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),  # sha256 hex
    Column("role", String(32), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# Dashboard sessions signed out before they expired (a session is a signed
# cookie; this is what makes signing out end it): by the hash of the
# session's token, kept until the session would have expired anyway.
ended_sessions = Table(
    "ended_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),  # sha256 hex
    Column("expires_at", DateTime, nullable=False),
)

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

# ------------------------------------------------------------------- ads
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

# What the campaign has spent, kept in step with the ledger in the same
# transaction; a conditional update on it is what makes overspend impossible.
campaign_spend = Table(
    "campaign_spend",
    metadata,
    Column("campaign_id", ID, ForeignKey("campaigns.id"), primary_key=True),
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD (UTC); "all" for lifetime
    Column("spent_minor", BigInteger, nullable=False),
)

# Where each campaign's pacing and goal controllers stood at their last step,
# so a restarted server carries on instead of starting every multiplier over.
# `period_start` is the start of the budget's period (a daily budget's day): a
# saved state of another period is stale.
campaign_pacing = Table(
    "campaign_pacing",
    metadata,
    Column("campaign_id", ID, ForeignKey("campaigns.id"), primary_key=True),
    Column("period_start", DateTime, nullable=False),
    Column("multiplier", Float, nullable=False),
    Column("rate", Float, nullable=False),
    Column("goal_multiplier", Float),
    Column("goal_spent_minor", Float),
    Column("stepped_at", DateTime, nullable=False),  # the step's time, service clock
    Column("updated_at", DateTime, nullable=False),
)

# Append-only. `entry_key` makes each charge idempotent: the same impression
# or click reported twice hits the unique constraint instead of the budget.
ledger = Table(
    "ledger",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("entry_key", String(300), nullable=False, unique=True),
    Column("campaign_id", ID, ForeignKey("campaigns.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # impression | click
    Column("amount_minor", BigInteger, nullable=False),
    Column("user_id", ID),
    Column("item_id", ID),
    Column("request_id", String(64)),
    # When the charged slot was served, by the server's clock (the feed
    # log's time), never the event's: the day the charge is booked to.
    Column("event_time", DateTime, nullable=False),
    Column("created_at", DateTime, nullable=False),
)
Index("ix_ledger_campaign_time", ledger.c.campaign_id, ledger.c.event_time)
# A touch counts for attribution only if the ledger charged its slot.
Index("ix_ledger_slot", ledger.c.request_id, ledger.c.item_id)

# Which feed slots held ads, at what price: the auction's record, which the
# charge for the slot's impression or click later reads.
ad_slots = Table(
    "ad_slots",
    metadata,
    Column("feed_request_id", ID, ForeignKey("feed_requests.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("campaign_id", ID, ForeignKey("campaigns.id"), nullable=False),
    Column("item_id", ID, nullable=False),
    Column("price_minor", BigInteger, nullable=False),  # per charged unit
    Column("charge_on", String(16), nullable=False),  # impression | click
    Column("score", Float, nullable=False),  # the model's score, for calibration
    Column("p_result", Float, nullable=False),
    Column("bid_minor", Float, nullable=False),
    # The viewer's earlier views of the campaign when the auction ran: what
    # its p(click) was discounted for, and what the wear-out is fitted on.
    Column("exposures", Integer),
    # Whether the viewer had clicked the campaign's ads, as far as the
    # auction knew: the other half of the wear-out feature.
    Column("clicked_before", Boolean),
    # The viewer as the model saw them (its user vector, float32 bytes): what
    # a campaign learns its lookalike direction on (`calibration.fit_lookalikes`).
    Column("query", LargeBinary),
    # Why the ad won (the operator's view of a page): the best other
    # campaign in the auction (NULL: none bid) and its value, and the value of
    # the organic item the ad displaced; the price followed from the larger.
    Column("runner_up_campaign_id", ID),
    Column("runner_up_value", Float),
    Column("displaced_value", Float),
)
# A campaign's recent slots: what its budget still holds for (`unreported.held`).
Index("ix_ad_slots_campaign", ad_slots.c.campaign_id, ad_slots.c.feed_request_id)

# A result (purchase, lead, install, ...) credited to at most one campaign.
attributions = Table(
    "attributions",
    metadata,
    Column("event_id", ID, ForeignKey("events.id"), primary_key=True),
    Column("campaign_id", ID, ForeignKey("campaigns.id"), nullable=False),
    Column("touch", String(16), nullable=False),  # click | view
    Column("value", Float),
    Column("created_at", DateTime, nullable=False),
    # "campaign:user" for an awareness result (a person reached), else NULL:
    # unique, so a person counts once per campaign even across concurrent batches.
    Column("reach_key", String(64)),
)
Index("ix_attributions_campaign", attributions.c.campaign_id)
Index("ux_attributions_reach", attributions.c.reach_key, unique=True)

# ------------------------------------------------------------ assistants
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
