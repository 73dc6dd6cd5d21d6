"""Ad slots record the auction's runner-up and the displaced organic value (why the ad won)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Connection, Float

from unifeed.store.migrations.columns import add_column


def upgrade(conn: Connection) -> None:
    # No foreign key: a column added later cannot take one on SQLite, and the
    # record only names the campaign for the operator's view.
    add_column(conn, "ad_slots", "runner_up_campaign_id", BigInteger())
    add_column(conn, "ad_slots", "runner_up_value", Float())
    add_column(conn, "ad_slots", "displaced_value", Float())
