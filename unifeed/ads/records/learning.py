"""What ad learning reads and keeps: campaign totals, the feed's hourly
traffic, results after clicks, and the pacing controllers' saved state.

Each read is one grouped query, or a few in one connection, so a refresh
reads the same moment for every campaign; the controllers' state is written
in one transaction per pacing step.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import numpy as np
from sqlalchemy import Connection, and_, func, select

from unifeed.store import Store, schema
from unifeed.store.db import utcnow


class Totals(NamedTuple):
    """Grouped counts of a set of campaigns; a campaign without rows is left out."""

    spent: dict[tuple[int, str], int]  # (campaign, spend row) -> minor units
    results: dict[int, tuple[int, float]]  # campaign -> (results, their value)
    clicks: dict[int, int]  # on its creatives, attributed or not
    impressions: dict[int, int]  # billed
    by_item: dict[tuple[int, int], tuple[int, int]]  # (campaign, item) -> (clicks, billed)
    # The sum of p(result) the auction predicted for its billed impressions:
    # the results it should have by now, known as soon as it is charged.
    expected: dict[int, float]


class ClickResult(NamedTuple):
    """A result credited to a campaign after a click."""

    campaign_id: int
    user_id: int
    at: datetime  # the result event's timestamp


class SavedPacing(NamedTuple):
    """Where a campaign's controllers stood at their last step."""

    campaign_id: int
    period_start: datetime  # the budget's period: the flight, or a daily budget's day
    multiplier: float
    rate: float
    goal_multiplier: float | None  # None: no goal holder
    goal_spent_minor: float | None
    stepped_at: datetime


class LearningRecords:
    def __init__(self, store: Store) -> None:
        self.store = store

    def totals(self, campaign_ids: list[int], days: list[str]) -> Totals:
        """Spend on these spend rows, results and their value, clicks on the
        creatives and billed impressions of these campaigns, in one connection."""
        s, a, lg = schema.campaign_spend, schema.attributions, schema.ledger
        fr, slot = schema.feed_requests, schema.ad_slots
        with self.store.engine.connect() as conn:
            spent = {
                (cid, day): int(v)
                for cid, day, v in conn.execute(
                    select(s.c.campaign_id, s.c.day, s.c.spent_minor).where(
                        s.c.campaign_id.in_(campaign_ids), s.c.day.in_(days)
                    )
                ).all()
            }
            results = {
                cid: (int(n), float(value))
                for cid, n, value in conn.execute(
                    select(a.c.campaign_id, func.count(), func.coalesce(func.sum(a.c.value), 0.0))
                    .where(a.c.campaign_id.in_(campaign_ids))
                    .group_by(a.c.campaign_id)
                ).all()
            }
            clicks_of = _item_clicks(conn, campaign_ids)
            shown_of = {
                (int(cid), int(item)): int(n)
                for cid, item, n in conn.execute(
                    select(lg.c.campaign_id, lg.c.item_id, func.count())
                    .where(lg.c.campaign_id.in_(campaign_ids), lg.c.kind == "impression")
                    .group_by(lg.c.campaign_id, lg.c.item_id)
                ).all()
                if item is not None
            }
            expected = {
                cid: float(v)
                for cid, v in conn.execute(
                    select(lg.c.campaign_id, func.sum(slot.c.p_result))
                    .select_from(
                        lg.join(fr, fr.c.request_id == lg.c.request_id).join(
                            slot,
                            and_(
                                slot.c.feed_request_id == fr.c.id,
                                slot.c.item_id == lg.c.item_id,
                                slot.c.campaign_id == lg.c.campaign_id,
                            ),
                        )
                    )
                    .where(lg.c.campaign_id.in_(campaign_ids), lg.c.kind == "impression")
                    .group_by(lg.c.campaign_id)
                ).all()
            }
        clicks: dict[int, int] = {}
        impressions: dict[int, int] = {}
        for (cid, _), n in clicks_of.items():
            clicks[cid] = clicks.get(cid, 0) + n
        for (cid, _), n in shown_of.items():
            impressions[cid] = impressions.get(cid, 0) + n
        by_item = {
            key: (clicks_of.get(key, 0), shown_of.get(key, 0)) for key in {*clicks_of, *shown_of}
        }
        return Totals(spent, results, clicks, impressions, by_item, expected)

    def clicks(self, campaign_ids: list[int]) -> dict[int, int]:
        """Clicks on each campaign's creatives, attributed or not."""
        with self.store.engine.connect() as conn:
            return _clicks(conn, campaign_ids)

    def requests_by_hour(self, since: datetime, until: datetime) -> np.ndarray:
        """(24,) feed requests served in [since, until), per UTC hour of the day."""
        fr = schema.feed_requests
        hour = func.extract("hour", fr.c.created_at)
        q = (
            select(hour, func.count())
            .where(fr.c.created_at >= since, fr.c.created_at < until)
            .group_by(hour)
        )
        counts = np.zeros(24)
        with self.store.engine.connect() as conn:
            for h, n in conn.execute(q):
                counts[int(h)] = n
        return counts

    def click_results(self, campaign_ids: list[int]) -> list[ClickResult]:
        """The results credited to these campaigns after a click, with whose and when."""
        att, e = schema.attributions, schema.events
        with self.store.engine.connect() as conn:
            results = conn.execute(
                select(att.c.campaign_id, e.c.user_id, e.c.timestamp)
                .join(e, e.c.id == att.c.event_id)
                .where(att.c.campaign_id.in_(campaign_ids), att.c.touch == "click")
            ).all()
        return [ClickResult(*r) for r in results]

    # ------------------------------------------------------------ pacing
    def save_pacing(self, saved: list[SavedPacing]) -> None:
        """Upsert these controllers' states (one transaction)."""
        t = schema.campaign_pacing
        rows = [{**p._asdict(), "updated_at": utcnow()} for p in saved]
        if not rows:
            return
        stmt = self.store.insert(t)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.campaign_id],
            set_={k: stmt.excluded[k] for k in rows[0] if k != "campaign_id"},
        )
        with self.store.write() as conn:
            conn.execute(stmt, rows)

    def load_pacing(self, campaign_ids: list[int]) -> list[SavedPacing]:
        """The saved states of these campaigns' controllers, where there are any."""
        t = schema.campaign_pacing
        with self.store.engine.connect() as conn:
            saved = conn.execute(select(t).where(t.c.campaign_id.in_(campaign_ids))).all()
        return [SavedPacing(*(getattr(r, f) for f in SavedPacing._fields)) for r in saved]


def _clicks(conn: Connection, campaign_ids: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for (cid, _), n in _item_clicks(conn, campaign_ids).items():
        out[cid] = out.get(cid, 0) + n
    return out


def _item_clicks(conn: Connection, campaign_ids: list[int]) -> dict[tuple[int, int], int]:
    """(campaign, item) -> clicks on that creative item, attributed or not."""
    e, cr = schema.events, schema.creatives
    return {
        (int(cid), int(item)): int(n)
        for cid, item, n in conn.execute(
            select(cr.c.campaign_id, cr.c.item_id, func.count())
            .select_from(e.join(cr, cr.c.item_id == e.c.item_id))
            .where(cr.c.campaign_id.in_(campaign_ids), e.c.action == "click")
            .group_by(cr.c.campaign_id, cr.c.item_id)
        ).all()
    }
