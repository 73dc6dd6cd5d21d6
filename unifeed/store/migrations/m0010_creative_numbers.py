"""Campaigns count the creative numbers they have issued, so the database allocates each one."""

from __future__ import annotations

from sqlalchemy import Connection, Integer, text

from unifeed.store.migrations.columns import add_column


def upgrade(conn: Connection) -> None:
    add_column(conn, "campaigns", "creatives_issued", Integer())
    # Creatives made before this were numbered 0..n-1 from their count.
    conn.execute(
        text(
            "UPDATE campaigns SET creatives_issued = "
            "(SELECT count(*) FROM creatives WHERE creatives.campaign_id = campaigns.id) "
            "WHERE creatives_issued IS NULL"
        )
    )
