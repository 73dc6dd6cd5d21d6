"""The auction's ad slots, read back with the feed log and the ledger.

Billing finds the slot an event saw; pacing and the budget read what was
served and what of it was billed over a window (`unifeed.ads.unreported`);
the refits read the billed impressions with what the auction knew of each
viewer (`unifeed.ads.campaign_state`). Grouped reads, each bounded by a
window or a limit the caller sets, so their cost does not grow with a flight.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import Connection, case, func, select

from unifeed.store import Store, schema
from unifeed.store.db import as_utc
from unifeed.store.feed_log import FeedLog


class ServedSlot(NamedTuple):
    """An ad slot with the page it was served on."""

    request_id: str
    user_external_id: str  # who the page was served to
    created_at: datetime  # when, by the server's clock
    feed_request_id: int
    position: int
    item_id: int
    campaign_id: int
    price_minor: int


class SlotRecord(NamedTuple):
    """The auction's record of one ad slot: what it bid, what it paid, and what
    it beat (the runner-up campaign's value and the displaced organic item's)."""

    request_id: str
    position: int
    campaign_id: int
    item_id: int
    price_minor: int  # per impression
    bid_minor: float  # per result
    p_result: float
    score: float
    runner_up_campaign_id: int | None  # None: no other campaign bid (or logged before m0012)
    runner_up_value: float | None
    displaced_value: float | None


class HeldSums(NamedTuple):
    """A window's slots and charges per campaign (`SlotRecords.held`)."""

    served: dict[int, tuple[int, int]]  # price of slots served: (since `since`, since `today`)
    billed: dict[int, tuple[int, int]]  # impressions charged, the same two sums


@dataclass(frozen=True)
class BilledImpressions:
    campaign: np.ndarray  # (N,) int64
    score: np.ndarray  # (N,) the model's score for the creative shown
    exposures: np.ndarray  # (N,) int64 the viewer's earlier views of the campaign
    clicked_before: np.ndarray  # (N,) bool: had clicked the campaign, as the auction knew
    clicked: np.ndarray  # (N,) 1.0 where the impression was clicked
    user: np.ndarray  # (N,) int64 the viewer
    at: list[datetime]  # (N,) when it was seen (naive UTC)
    viewer: list[dict[str, Any]]  # (N,) the viewer's age and gender
    query: np.ndarray  # (N, D) the viewer's model vector; NaN rows where none was logged


def query_matrix(blobs: list[bytes | None]) -> np.ndarray:
    """(N, D) float64 from logged float32 vectors; NaN rows for missing ones
    and for any whose length is not the newest's (another model)."""
    d = next((len(b) // 4 for b in blobs if b), 0)
    out = np.full((len(blobs), d), np.nan)
    for i, b in enumerate(blobs):
        if b and len(b) == 4 * d:
            out[i] = np.frombuffer(b, dtype=np.float32)
    return out


class SlotRecords:
    def __init__(self, store: Store) -> None:
        self.store = store

    def served(self, request_ids: list[str]) -> list[ServedSlot]:
        """The ad slots of these pages."""
        fr, slot = schema.feed_requests, schema.ad_slots
        with self.store.engine.connect() as conn:
            found = conn.execute(
                select(
                    fr.c.request_id,
                    fr.c.user_external_id,
                    fr.c.created_at,
                    slot.c.feed_request_id,
                    slot.c.position,
                    slot.c.item_id,
                    slot.c.campaign_id,
                    slot.c.price_minor,
                )
                .join(fr, fr.c.id == slot.c.feed_request_id)
                .where(fr.c.request_id.in_(request_ids))
            ).all()
        return [ServedSlot(*f) for f in found]

    def records(self, request_ids: list[str]) -> list[SlotRecord]:
        """The auction's record of every ad slot of these pages."""
        fr, slot = schema.feed_requests, schema.ad_slots
        with self.store.engine.connect() as conn:
            found = conn.execute(
                select(
                    fr.c.request_id,
                    slot.c.position,
                    slot.c.campaign_id,
                    slot.c.item_id,
                    slot.c.price_minor,
                    slot.c.bid_minor,
                    slot.c.p_result,
                    slot.c.score,
                    slot.c.runner_up_campaign_id,
                    slot.c.runner_up_value,
                    slot.c.displaced_value,
                )
                .join(fr, fr.c.id == slot.c.feed_request_id)
                .where(fr.c.request_id.in_(request_ids))
            ).all()
        return [SlotRecord(*f) for f in found]

    # ------------------------------------------------- served and billed
    def shown(self, campaign_ids: list[int], since: datetime, until: datetime) -> tuple[int, int]:
        """(slots served, impressions billed) of these campaigns together in [since, until)."""
        with self.store.engine.connect() as conn:
            served, seen = _shown(conn, campaign_ids, since, until, by_campaign=False)
        return served.get(None, 0), seen.get(None, 0)

    def unreported(
        self, campaign_ids: list[int], start: datetime
    ) -> tuple[dict[int, float], dict[int, float]]:
        """(price of slots served, impressions charged) per campaign since
        `start`, in one connection; both empty when no slot was served."""
        slot, fr, lg = schema.ad_slots, schema.feed_requests, schema.ledger
        with self.store.engine.connect() as conn:
            served = dict(
                conn.execute(
                    select(slot.c.campaign_id, func.sum(slot.c.price_minor))
                    .select_from(slot.join(fr, fr.c.id == slot.c.feed_request_id))
                    .where(slot.c.campaign_id.in_(campaign_ids), fr.c.created_at >= start)
                    .group_by(slot.c.campaign_id)
                ).all()
            )
            if not served:
                return {}, {}
            billed = dict(
                conn.execute(
                    select(lg.c.campaign_id, func.sum(lg.c.amount_minor))
                    .where(
                        lg.c.campaign_id.in_(list(served)),
                        lg.c.kind == "impression",
                        lg.c.event_time >= start,
                    )
                    .group_by(lg.c.campaign_id)
                ).all()
            )
        return (
            {int(cid): float(amount) for cid, amount in served.items()},
            {int(cid): float(amount or 0) for cid, amount in billed.items()},
        )

    def report_frontier(self, events: int) -> datetime | None:
        """When the newest page that the latest `events` events naming a page name was served."""
        e, fr = schema.events, schema.feed_requests
        latest = (
            select(e.c.request_id)
            .where(e.c.request_id.is_not(None))
            .order_by(e.c.id.desc())
            .limit(events)
            .subquery()
        )
        q = select(func.max(fr.c.created_at)).where(
            fr.c.request_id.in_(select(latest.c.request_id))
        )
        with self.store.engine.connect() as conn:
            return conn.execute(q).scalar()

    def held(self, campaign_ids: list[int], since: datetime, today: datetime) -> HeldSums:
        """What `unifeed.ads.unreported.held_many` weighs, in one connection
        and two grouped reads: slots served and impressions charged since
        `since`, and of them since `today`; both empty when none was served."""
        slot, fr, lg = schema.ad_slots, schema.feed_requests, schema.ledger

        def sums(amount: Any, at: Any) -> list[Any]:
            """SUM of `amount`: all since `since`, and those of them since midnight."""
            today_only = case((at >= today, amount), else_=0)
            return [func.coalesce(func.sum(x), 0) for x in (amount, today_only)]

        # The first page served since then bounds the slots by key (the
        # campaign's index), so the work is the window's, not the flight's.
        first = select(func.min(fr.c.id)).where(fr.c.created_at >= since).scalar_subquery()
        with self.store.engine.connect() as conn:
            served = {
                int(cid): (int(total), int(on_day))
                for cid, total, on_day in conn.execute(
                    select(slot.c.campaign_id, *sums(slot.c.price_minor, fr.c.created_at))
                    .select_from(slot.join(fr, fr.c.id == slot.c.feed_request_id))
                    .where(
                        slot.c.campaign_id.in_(campaign_ids),
                        slot.c.feed_request_id >= first,
                        fr.c.created_at >= since,
                    )
                    .group_by(slot.c.campaign_id)
                ).all()
                if total
            }
            if not served:
                return HeldSums({}, {})
            billed = {
                int(cid): (int(total), int(on_day))
                for cid, total, on_day in conn.execute(
                    select(lg.c.campaign_id, *sums(lg.c.amount_minor, lg.c.event_time))
                    .where(
                        lg.c.campaign_id.in_(list(served)),
                        lg.c.kind == "impression",
                        lg.c.event_time >= since,
                    )
                    .group_by(lg.c.campaign_id)
                ).all()
            }
        return HeldSums(served, billed)

    def shown_by_campaign(
        self, campaign_ids: list[int], since: datetime, until: datetime
    ) -> tuple[dict[int, int], dict[int, int]]:
        """(slots served, impressions billed) per campaign in [since, until)."""
        with self.store.engine.connect() as conn:
            return _shown(conn, campaign_ids, since, until, by_campaign=True)  # type: ignore[return-value]

    # ------------------------------------------------- billed impressions
    def billed_impressions(
        self, campaign_ids: Iterable[int], model_version: str | None, limit: int
    ) -> BilledImpressions:
        """The latest `limit` billed impressions of these campaigns that
        `model_version` scored, newest first."""
        fr, slot, lg, u = schema.feed_requests, schema.ad_slots, schema.ledger, schema.users
        with self.store.engine.connect() as conn:
            billed = conn.execute(
                select(
                    slot.c.campaign_id,
                    slot.c.score,
                    slot.c.exposures,
                    slot.c.clicked_before,
                    slot.c.query,
                    fr.c.request_id,
                    slot.c.item_id,
                    lg.c.user_id,
                    lg.c.event_time,
                    u.c.age,
                    u.c.gender,
                )
                .join(fr, fr.c.id == slot.c.feed_request_id)
                .join(lg, (lg.c.request_id == fr.c.request_id) & (lg.c.item_id == slot.c.item_id))
                .outerjoin(u, u.c.id == lg.c.user_id)
                .where(
                    slot.c.campaign_id.in_(list(campaign_ids)),
                    lg.c.kind == "impression",
                    fr.c.model_version == model_version,
                )
                .order_by(fr.c.id.desc())
                .limit(limit)
            ).all()
        clicked = FeedLog(self.store).acted_on({r.request_id for r in billed}, ("click",))
        return BilledImpressions(
            np.array([r.campaign_id for r in billed], dtype=np.int64),
            np.array([r.score for r in billed], dtype=np.float64),
            np.array([r.exposures or 0 for r in billed], dtype=np.int64),
            np.array([bool(r.clicked_before) for r in billed], dtype=bool),  # NULL: logged before
            np.array([(r.request_id, r.item_id) in clicked for r in billed], dtype=np.float64),
            np.array([-1 if r.user_id is None else r.user_id for r in billed], dtype=np.int64),
            [as_utc(r.event_time) for r in billed],
            [{"age": r.age, "gender": r.gender} for r in billed],
            query_matrix([r.query for r in billed]),
        )


def _shown(
    conn: Connection,
    campaign_ids: list[int],
    lo: datetime,
    cutoff: datetime,
    *,
    by_campaign: bool,
) -> tuple[dict[int | None, int], dict[int | None, int]]:
    """Slots served and impressions billed in [lo, cutoff): per campaign,
    or (key None) for all of `campaign_ids` together."""
    slot, fr, lg = schema.ad_slots, schema.feed_requests, schema.ledger
    served_q = (
        select(func.count())
        .select_from(slot.join(fr, fr.c.id == slot.c.feed_request_id))
        .where(
            slot.c.campaign_id.in_(campaign_ids),
            fr.c.created_at >= lo,
            fr.c.created_at < cutoff,
        )
    )
    seen_q = select(func.count()).where(
        lg.c.campaign_id.in_(campaign_ids),
        lg.c.kind == "impression",
        lg.c.event_time >= lo,
        lg.c.event_time < cutoff,
    )
    if not by_campaign:
        served_all = conn.execute(served_q).scalar_one()
        return {None: served_all}, {None: conn.execute(seen_q).scalar_one()}
    served_q = served_q.add_columns(slot.c.campaign_id).group_by(slot.c.campaign_id)
    seen_q = seen_q.add_columns(lg.c.campaign_id).group_by(lg.c.campaign_id)
    served = {int(cid): int(n) for n, cid in conn.execute(served_q).all()}
    seen = {int(cid): int(n) for n, cid in conn.execute(seen_q).all()}
    return served, seen  # type: ignore[return-value]
