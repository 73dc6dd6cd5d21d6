"""Creatives get a status and versions (creative_variants, creative_versions), and
campaigns the option to approve generated ones automatically.

Every creative stored before this becomes an approved, typed variant at
version 1 whose text is its item's, with no review recorded (NULL): it
served before review existed, and keeps serving until its advertiser
pauses, rejects or edits it.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Connection, select

from unifeed.store import schema
from unifeed.store.migrations.columns import add_column


def upgrade(conn: Connection) -> None:
    add_column(conn, "campaigns", "auto_approve_creatives", Boolean())
    schema.creative_variants.create(conn, checkfirst=True)
    schema.creative_versions.create(conn, checkfirst=True)
    for index in schema.creative_versions.indexes | schema.creative_variants.indexes:
        index.create(conn, checkfirst=True)
    cr, it = schema.creatives, schema.items
    variants, versions = schema.creative_variants, schema.creative_versions
    done = set(conn.execute(select(versions.c.item_id)).scalars())
    old = conn.execute(
        select(cr.c.campaign_id, cr.c.item_id, cr.c.created_at, it.c.text)
        .join(it, it.c.id == cr.c.item_id)
        .order_by(cr.c.id)
    ).all()
    for campaign_id, item_id, created_at, text in old:
        if item_id in done:
            continue
        vid = conn.execute(
            variants.insert()
            .values(
                campaign_id=campaign_id,
                status="approved",
                origin="typed",
                version=1,
                created_at=created_at,
                updated_at=created_at,
            )
            .returning(variants.c.id)
        ).scalar_one()
        conn.execute(
            versions.insert().values(
                variant_id=vid,
                version=1,
                item_id=item_id,
                primary_text=text or "",
                call_to_action="Learn more",
                created_at=created_at,
            )
        )
