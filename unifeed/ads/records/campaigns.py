"""Advertisers, their keys, their campaigns and creatives, as stored.

Every read takes the caller's advertiser (None for the operator), so a query
for another advertiser's campaign finds nothing rather than something to hide.
A campaign's typed parts are kept as JSON text; this is the one place that
encodes and decodes them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import fields
from typing import Any, NamedTuple

from sqlalchemy import Row, Select, select, update

from unifeed.ads.campaign_spec import (
    AudienceHint,
    Brief,
    CampaignSpec,
    LegalConstraints,
)
from unifeed.ads.campaigns import Campaign
from unifeed.ads.objective import OBJECTIVES
from unifeed.ads.records.creatives import serving_items
from unifeed.store import schema, tenants
from unifeed.store.db import as_utc, hash_key, utcnow
from unifeed.store.store import Store

# The spec's typed parts, and how each is kept in its text column.
_ENCODED = {"brief": Brief, "constraints": LegalConstraints, "audience_hint": AudienceHint}


def campaign_of(r: Row[Any]) -> Campaign:
    """The campaign a row of `schema.campaigns` holds (without its creatives)."""
    m = dict(r._mapping)
    m["objective"] = OBJECTIVES[m["objective"]]
    for name, kind in _ENCODED.items():
        m[name] = kind.from_dict(json.loads(m[name])) if m[name] else None
    m["constraints"] = m["constraints"] or LegalConstraints()
    m["auto_approve_creatives"] = bool(m.get("auto_approve_creatives"))  # NULL before m0014
    m.pop("updated_at", None)
    m.pop("creatives_issued", None)
    return Campaign(**m)


def spec_row(spec: CampaignSpec) -> dict[str, Any]:
    """The spec as the columns of its row in `schema.campaigns`."""
    row = {f.name: getattr(spec, f.name) for f in fields(CampaignSpec)}
    row["objective"] = spec.objective.name
    row["start_at"], row["end_at"] = as_utc(spec.start_at), as_utc(spec.end_at)
    for name in _ENCODED:
        value = row[name]
        row[name] = None if value is None else json.dumps(value.as_dict())
    return row


class Advertiser(NamedTuple):
    id: int
    external_id: str
    name: str


class CampaignRecords:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ---------------------------------------------------------- advertisers
    def create_advertiser(self, external_id: str, name: str) -> int:
        return tenants.create_tenant(self.store, schema.advertisers, external_id, name)

    def advertiser_id(self, external_id: str) -> int | None:
        t = schema.advertisers
        with self.store.engine.connect() as conn:
            return conn.execute(select(t.c.id).where(t.c.external_id == external_id)).scalar()

    def add_key(self, advertiser_id: int, key: str) -> None:
        tenants.add_key(self.store, schema.advertiser_keys.c.advertiser_id, advertiser_id, key)

    def advertiser_of_key(self, key: str) -> int | None:
        return self.advertiser_of_key_hash(hash_key(key))

    def advertiser_of_key_hash(self, key_hash: str) -> int | None:
        return tenants.owner_of_key_hash(
            self.store, schema.advertiser_keys.c.advertiser_id, key_hash
        )

    def advertisers(self, ids: Iterable[int] | None = None) -> dict[int, Advertiser]:
        """Advertisers by internal id: these, or all of them."""
        t = schema.advertisers
        q = select(t.c.id, t.c.external_id, t.c.name).order_by(t.c.id)
        if ids is not None:
            q = q.where(t.c.id.in_(list(ids)))
        with self.store.engine.connect() as conn:
            return {r.id: Advertiser(*r) for r in conn.execute(q).all()}

    # ------------------------------------------------------------ campaigns
    def create(self, advertiser_id: int, spec: CampaignSpec, status: str = "active") -> Campaign:
        now = utcnow()
        row = {
            **spec_row(spec),
            "public_id": uuid.uuid4().hex,
            "advertiser_id": advertiser_id,
            "status": status,
            "creatives_issued": 0,
            "created_at": now,
            "updated_at": now,
        }
        t = schema.campaigns
        with self.store.write() as conn:
            pk = conn.execute(t.insert().values(**row).returning(t.c.id)).scalar_one()
            got = conn.execute(select(t).where(t.c.id == pk)).one()
        return campaign_of(got)

    def get(self, public_id: str, advertiser_id: int | None) -> Campaign | None:
        t = schema.campaigns
        q = select(t).where(t.c.public_id == public_id)
        if advertiser_id is not None:
            q = q.where(t.c.advertiser_id == advertiser_id)
        found = self._load(q)
        return found[0] if found else None

    def by_id(self, campaign_id: int) -> Campaign:
        (c,) = self._load(select(schema.campaigns).where(schema.campaigns.c.id == campaign_id))
        return c

    def by_ids(self, campaign_ids: Iterable[int]) -> dict[int, Campaign]:
        """These campaigns by internal id, whoever owns them (the operator's views)."""
        t = schema.campaigns
        return {c.id: c for c in self._load(select(t).where(t.c.id.in_(list(campaign_ids))))}

    def list(self, advertiser_id: int | None) -> list[Campaign]:
        t = schema.campaigns
        q = select(t).order_by(t.c.id)
        if advertiser_id is not None:
            q = q.where(t.c.advertiser_id == advertiser_id)
        return self._load(q)

    def _load(self, q: Select[Any]) -> list[Campaign]:
        """The campaigns `q` selects, each with its creatives' items (one query for all)."""
        with self.store.engine.connect() as conn:
            found = [campaign_of(r) for r in conn.execute(q).all()]
            items = serving_items(conn, [c.id for c in found])
        for c in found:
            serving, past = items[c.id]
            c.creative_item_ids.extend(serving)
            c.past_item_ids.extend(past)
        return found

    def set_status(self, public_id: str, advertiser_id: int | None, status: str) -> Campaign | None:
        t = schema.campaigns
        stmt = (
            update(t).where(t.c.public_id == public_id).values(status=status, updated_at=utcnow())
        )
        if advertiser_id is not None:
            stmt = stmt.where(t.c.advertiser_id == advertiser_id)
        with self.store.write() as conn:
            if conn.execute(stmt).rowcount != 1:
                return None
        return self.get(public_id, advertiser_id)
