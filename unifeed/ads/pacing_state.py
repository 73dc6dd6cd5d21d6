"""Pacing state in the store, so a restarted server carries on where it stood.

The pacers and goal bidders live in the learning process (see
unifeed.ads.pacing and unifeed.ads.bidder); after each pacing step learning
saves where they stand,
and a process that meets a campaign for the first time resumes from the
saved state when it belongs to the same period (the flight, or a daily
budget's day). Without it every multiplier would start over at 1 and a
throttled campaign at its starting share of auctions, and the campaign
would spend off its curve until the controllers found their way back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from unifeed.ads.bidder import Bidder
from unifeed.ads.pacing import Pacer
from unifeed.ads.records.learning import LearningRecords, SavedPacing
from unifeed.store import Store

# (campaign id, its pacer, its goal's bidder). A goal campaign's `multiplier`
# column holds its bidder's budget dual (pace), `goal_multiplier` its cost dual.
Controllers = tuple[int, Pacer, Bidder | None]


def save(store: Store, controllers: Iterable[Controllers], stepped_at: datetime) -> None:
    """Upsert the state of these campaigns' controllers, which stepped at
    `stepped_at` (one transaction)."""
    LearningRecords(store).save_pacing(
        [
            SavedPacing(
                campaign_id=cid,
                period_start=pacer.start,
                multiplier=pacer.multiplier if bidder is None else bidder.pace,
                rate=pacer.rate,
                goal_multiplier=None if bidder is None else bidder.cost_multiplier,
                goal_spent_minor=None if bidder is None else bidder.window_spent,
                stepped_at=stepped_at,
            )
            for cid, pacer, bidder in controllers
        ]
    )


def restore(store: Store, controllers: Iterable[Controllers]) -> dict[int, datetime]:
    """Resume these controllers from their saved states of the same period;
    when each of those last stepped, by campaign id."""
    wanted = {cid: (pacer, bidder) for cid, pacer, bidder in controllers}
    if not wanted:
        return {}
    saved = LearningRecords(store).load_pacing(list(wanted))
    resumed = {}
    for row in saved:
        pacer, bidder = wanted[row.campaign_id]
        if _same(row.period_start, pacer.start):
            if bidder is None:
                pacer.resume(row.multiplier, row.rate)
            else:  # its window of evidence starts over; the duals carry on
                bidder.resume(row.multiplier, row.goal_multiplier)
            resumed[row.campaign_id] = row.stepped_at
    return resumed


def _same(a: datetime, b: datetime) -> bool:
    return a.replace(tzinfo=None) == b.replace(tzinfo=None)
