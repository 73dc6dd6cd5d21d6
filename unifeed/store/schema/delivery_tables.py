"""Ads as delivery records them: spend, pacing, the ledger, the slots sold, attributions."""

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
    String,
    Table,
)

from unifeed.store.schema.registry import ID, metadata

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
