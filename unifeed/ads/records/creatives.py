"""A campaign's creatives as stored: variants, their versions, and their items.

Each version's item is written with the version, in one transaction, and
tied to the campaign in `creatives` (what billing and attribution read), so
a version is servable, billable and reportable the moment it exists. Every
read and write takes the campaign's internal id, which the caller has
already found under the caller's tenant.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, select, update

from unifeed.ads.campaigns import Campaign
from unifeed.ads.creatives import (
    CampaignCreative,
    CreativeVersion,
    NewCreative,
    NewVersion,
    Status,
)
from unifeed.store import Store, schema
from unifeed.store.db import utcnow


class CreativeRecords:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, c: Campaign, new: list[NewCreative]) -> list[CampaignCreative]:
        """Store these variants, each at version 1 with its own item; all or nothing."""
        variants, versions = schema.creative_variants, schema.creative_versions
        now = utcnow()
        with self.store.write() as conn:
            items = issue_items(self.store, conn, c, [n.first for n in new])
            ids = []
            for n, (_, pk) in zip(new, items, strict=True):
                vid = conn.execute(
                    variants.insert()
                    .values(
                        campaign_id=c.id,
                        status=n.status,
                        origin=n.origin,
                        angle=n.angle,
                        model=n.model,
                        version=1,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(variants.c.id)
                ).scalar_one()
                conn.execute(versions.insert().values(**_version_row(vid, 1, pk, n.first, now)))
                ids.append(int(vid))
            found = _load(conn, c.id, ids)
        return [found[i] for i in ids]

    def add_version(
        self, c: Campaign, variant_id: int, new: NewVersion, status: Status
    ) -> CampaignCreative | None:
        """A new current version of the variant (its item written), with this status."""
        variants, versions = schema.creative_variants, schema.creative_versions
        now = utcnow()
        with self.store.write() as conn:
            # The conditional update takes the variant's row (a row lock on
            # PostgreSQL, the write lock on SQLite): two edits get two numbers.
            number = conn.execute(
                update(variants)
                .where(variants.c.id == variant_id, variants.c.campaign_id == c.id)
                .values(version=variants.c.version + 1, status=status, updated_at=now)
                .returning(variants.c.version)
            ).scalar()
            if number is None:
                return None
            ((_, pk),) = issue_items(self.store, conn, c, [new])
            conn.execute(versions.insert().values(**_version_row(variant_id, number, pk, new, now)))
            return _load(conn, c.id, [variant_id])[variant_id]

    def set_status(
        self, campaign_id: int, variant_id: int, status: Status
    ) -> CampaignCreative | None:
        t = schema.creative_variants
        with self.store.write() as conn:
            done = conn.execute(
                update(t)
                .where(t.c.id == variant_id, t.c.campaign_id == campaign_id)
                .values(status=status, updated_at=utcnow())
            ).rowcount
            if done != 1:
                return None
            return _load(conn, campaign_id, [variant_id])[variant_id]

    def get(self, campaign_id: int, variant_id: int) -> CampaignCreative | None:
        with self.store.engine.connect() as conn:
            return _load(conn, campaign_id, [variant_id]).get(variant_id)

    def of_campaign(self, campaign_id: int) -> list[CampaignCreative]:
        """The campaign's variants, oldest first, each with all its versions."""
        with self.store.engine.connect() as conn:
            return list(_load(conn, campaign_id, None).values())


def issue_items(
    store: Store, conn: Connection, c: Campaign, new: list[NewVersion]
) -> list[tuple[str, int]]:
    """Write an ad item per version, numbered by the database, and tie each
    to the campaign; (external id, pk) of each, in order.

    The numbers come from one conditional update of the campaign's row (a row
    lock on PostgreSQL, the write lock on SQLite), so concurrent uploads
    never share one."""
    if not new:
        return []
    t, cs = schema.creatives, schema.campaigns
    issued = conn.execute(
        update(cs)
        .where(cs.c.id == c.id)
        .values(creatives_issued=func.coalesce(cs.c.creatives_issued, 0) + len(new))
        .returning(cs.c.creatives_issued)
    ).scalar_one()
    first = int(issued) - len(new)
    ids = [f"ad-{c.public_id}-{first + k}" for k in range(len(new))]
    rows = [
        {
            "id": item_id,
            "kind": "ad",
            "author": f"advertiser:{c.advertiser_id}",
            "text": v.text,
            "embedding": v.embedding,
            "encoder": v.encoder,
        }
        for v, item_id in zip(new, ids, strict=True)
    ]
    store.upsert_items(rows, conn=conn)
    pks = store.item_pks(set(ids), conn=conn)
    conn.execute(
        store.insert(t).on_conflict_do_nothing(index_elements=["item_id"]),
        [{"campaign_id": c.id, "item_id": pks[i], "created_at": utcnow()} for i in ids],
    )
    return [(i, int(pks[i])) for i in ids]


def _version_row(variant_id: int, number: int, pk: int, v: NewVersion, now: Any) -> dict[str, Any]:
    return {
        "variant_id": variant_id,
        "version": number,
        "item_id": pk,
        "headline": v.headline,
        "primary_text": v.primary_text,
        "call_to_action": v.call_to_action,
        "landing_url": v.landing_url,
        "review": json.dumps([list(r) for r in v.review]),
        "created_at": now,
    }


def _load(
    conn: Connection, campaign_id: int, variant_ids: Iterable[int] | None
) -> dict[int, CampaignCreative]:
    """These variants of the campaign (None: all), by id, oldest first."""
    variants, versions, it = schema.creative_variants, schema.creative_versions, schema.items
    q = select(variants).where(variants.c.campaign_id == campaign_id).order_by(variants.c.id)
    if variant_ids is not None:
        q = q.where(variants.c.id.in_(list(variant_ids)))
    rows = conn.execute(q).all()
    if not rows:
        return {}
    by_variant: dict[int, list[CreativeVersion]] = {r.id: [] for r in rows}
    for v in conn.execute(
        select(versions, it.c.external_id)
        .join(it, it.c.id == versions.c.item_id)
        .where(versions.c.variant_id.in_(list(by_variant)))
        .order_by(versions.c.variant_id, versions.c.version)
    ).all():
        review = None if v.review is None else tuple((a, b) for a, b in json.loads(v.review))
        by_variant[v.variant_id].append(
            CreativeVersion(
                v.version,
                int(v.item_id),
                v.external_id,
                v.headline,
                v.primary_text,
                v.call_to_action,
                v.landing_url,
                review,
                v.created_at,
            )
        )
    return {
        r.id: CampaignCreative(
            int(r.id),
            int(r.campaign_id),
            r.status,
            r.origin,
            r.angle,
            r.model,
            int(r.version),
            tuple(by_variant[r.id]),
            r.created_at,
            r.updated_at,
        )
        for r in rows
    }


def serving_items(
    conn: Connection, campaign_ids: list[int]
) -> dict[int, tuple[list[int], list[int]]]:
    """Campaign -> (items that serve, every other item it ever had): the
    current versions of approved variants that passed review (or predate
    it), and the rest (retired versions, drafts, paused and rejected
    variants), whose views still count as the viewer's exposures."""
    cr, variants, versions = schema.creatives, schema.creative_variants, schema.creative_versions
    out: dict[int, tuple[list[int], list[int]]] = {cid: ([], []) for cid in campaign_ids}
    if not campaign_ids:
        return out
    q = (
        select(
            cr.c.campaign_id,
            cr.c.item_id,
            variants.c.status,
            (versions.c.version == variants.c.version).label("current"),
            versions.c.review,
        )
        .select_from(
            cr.outerjoin(versions, versions.c.item_id == cr.c.item_id).outerjoin(
                variants, variants.c.id == versions.c.variant_id
            )
        )
        .where(cr.c.campaign_id.in_(campaign_ids))
        .order_by(cr.c.id)
    )
    for cid, item, status, current, review in conn.execute(q).all():
        serves = status == "approved" and bool(current) and review in (None, "[]")
        out[cid][0 if serves else 1].append(int(item))
    return out
