"""Pacing state in the store, so a restarted server carries on where it stood.

The bidders live in the learning process (see unifeed.ads.bidder); after
each pacing step learning saves where their duals stand, and a process that
meets a campaign for the first time resumes from the saved state when it
belongs to the same period (the flight, or a daily budget's day). Without it
every pace would start over and a throttled campaign at its starting share
of auctions, and the campaign would spend off its curve until the duals
found their way back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from unifeed.ads.bidder import Bidder
from unifeed.ads.pacing import BudgetPlan
from unifeed.ads.records.learning import LearningRecords, SavedPacing
from unifeed.store import Store

# (campaign id, its budget's plan, its bidder). The `multiplier` column holds
# the pace on its bid, `rate` its share of auctions, `goal_multiplier` a
# goal's cost dual (None without a goal).
Controllers = tuple[int, BudgetPlan, Bidder]


def save(store: Store, controllers: Iterable[Controllers], stepped_at: datetime) -> None:
    """Upsert the state of these campaigns' bidders, which stepped at
    `stepped_at` (one transaction)."""
    LearningRecords(store).save_pacing(
        [
            SavedPacing(
                campaign_id=cid,
                period_start=plan.start,
                multiplier=bidder.bid_pace,
                rate=bidder.rate,
                goal_multiplier=bidder.cost_multiplier if bidder.strategy.has_goal else None,
                goal_spent_minor=bidder.window_spent if bidder.strategy.has_goal else None,
                stepped_at=stepped_at,
            )
            for cid, plan, bidder in controllers
        ]
    )


def restore(store: Store, controllers: Iterable[Controllers]) -> dict[int, datetime]:
    """Resume these bidders from their saved states of the same period;
    when each of those last stepped, by campaign id."""
    wanted = {cid: (plan, bidder) for cid, plan, bidder in controllers}
    if not wanted:
        return {}
    saved = LearningRecords(store).load_pacing(list(wanted))
    resumed = {}
    for row in saved:
        plan, bidder = wanted[row.campaign_id]
        if _same(row.period_start, plan.start):
            # Its window of evidence starts over; the duals carry on.
            bidder.resume(row.multiplier, row.goal_multiplier, row.rate)
            resumed[row.campaign_id] = row.stepped_at
    return resumed


def _same(a: datetime, b: datetime) -> bool:
    return a.replace(tzinfo=None) == b.replace(tzinfo=None)
