"""Advertisers and their keys, campaigns, creatives, the ledger and attribution."""

from __future__ import annotations

from sqlalchemy import Connection

from unifeed.store import schema

TABLES = (
    schema.advertisers,
    schema.advertiser_keys,
    schema.campaigns,
    schema.creatives,
    schema.campaign_spend,
    schema.ledger,
    schema.ad_slots,
    schema.attributions,
)


def upgrade(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=list(TABLES))
