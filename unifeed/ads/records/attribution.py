"""What billing reads of a batch's events, and the results it credits.

The events of a batch that are on ads, the touches (paid impressions and
clicks on ads) a result may be credited to, and the attributions, written in
one transaction whose unique keys make a re-sent result, or a person already
reached, a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select

from unifeed.ads.objective import OBJECTIVES, Objective
from unifeed.store import Store, schema
from unifeed.store.db import utcnow


class AdEvent(NamedTuple):
    """An event on an ad's item."""

    id: int
    user_id: int
    viewer: str  # the user's external id
    item_id: int
    action: str
    timestamp: datetime  # the client's
    value: float | None
    currency: str | None
    request_id: str | None


class Touch(NamedTuple):
    """An impression or click on a campaign's ad whose slot the ledger charged."""

    id: int
    user_id: int
    item_id: int
    action: str
    timestamp: datetime
    campaign_id: int
    objective: Objective
    currency: str
    click_window_days: int
    view_window_days: int


class Credit(NamedTuple):
    """A result credited to a campaign."""

    event_id: int
    campaign_id: int
    touch: str  # click | view
    value: float | None  # None: in another currency than the campaign's
    reach_key: str | None  # "campaign:user" for a person reached, else None


class AttributionRecords:
    def __init__(self, store: Store) -> None:
        self.store = store

    def ad_events(self, event_ids: Sequence[str]) -> list[AdEvent]:
        """These events (by their event ids) that are on an ad's item, in one connection."""
        e, cr, u = schema.events, schema.creatives, schema.users
        with self.store.engine.connect() as conn:
            if conn.execute(select(cr.c.item_id).limit(1)).first() is None:
                return []  # no ads anywhere: nothing to bill or attribute
            rows = conn.execute(
                select(
                    e.c.id,
                    e.c.user_id,
                    u.c.external_id.label("viewer"),
                    e.c.item_id,
                    e.c.action,
                    e.c.timestamp,
                    e.c.value,
                    e.c.currency,
                    e.c.request_id,
                )
                .join(u, u.c.id == e.c.user_id)
                .where(e.c.event_id.in_(list(event_ids)))
            ).all()
            ads = set(
                conn.execute(
                    select(cr.c.item_id).where(cr.c.item_id.in_(list({r.item_id for r in rows})))
                ).scalars()
            )
        return [AdEvent(*r) for r in rows if r.item_id in ads]

    def touches(
        self,
        users: list[int],
        items: list[int],
        actions: list[str],
        first: datetime,
        last: datetime,
    ) -> list[Touch]:
        """These users' events with `actions` on these ad items in [first,
        last] whose slot the ledger charged to the ad's campaign, newest first."""
        cr, c, e, lg = schema.creatives, schema.campaigns, schema.events, schema.ledger
        with self.store.engine.connect() as conn:
            touches = conn.execute(
                select(
                    e.c.id,
                    e.c.user_id,
                    e.c.item_id,
                    e.c.action,
                    e.c.timestamp,
                    cr.c.campaign_id,
                    c.c.objective,
                    c.c.currency,
                    c.c.click_window_days,
                    c.c.view_window_days,
                )
                .join(cr, cr.c.item_id == e.c.item_id)
                .join(c, c.c.id == cr.c.campaign_id)
                .join(
                    lg,
                    (lg.c.request_id == e.c.request_id)
                    & (lg.c.item_id == e.c.item_id)
                    & (lg.c.user_id == e.c.user_id)
                    & (lg.c.campaign_id == cr.c.campaign_id)
                    & (lg.c.kind == "impression"),
                )
                .where(
                    e.c.user_id.in_(users),
                    e.c.item_id.in_(items),
                    e.c.action.in_(actions),
                    e.c.timestamp >= first,
                    e.c.timestamp <= last,
                )
                .order_by(e.c.timestamp.desc())
            ).all()
        return [Touch(*t[:6], OBJECTIVES[t.objective], *t[7:]) for t in touches]

    def credit(self, credits: list[Credit]) -> int:
        """Write these attributions, skipping any whose result or person
        reached is credited already (one transaction); how many were new."""
        att = schema.attributions
        values = [
            {
                "event_id": k.event_id,
                "campaign_id": k.campaign_id,
                "touch": k.touch,
                "value": k.value,
                "created_at": utcnow(),
                "reach_key": k.reach_key,
            }
            for k in credits
        ]
        # Either key may conflict: a re-sent result (event_id) or a person
        # already reached (reach_key); both are skipped.
        stmt = self.store.insert(att).on_conflict_do_nothing().returning(att.c.event_id)
        with self.store.write() as conn:
            return len(conn.execute(stmt, values).all())
