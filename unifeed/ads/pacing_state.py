"""Pacing state in the store, so a restarted server carries on where it stood.

The pacers and goal holders live in the serving process (see
unifeed.ads.pacing); after each pacing step delivery saves where they stand,
and a process that meets a campaign for the first time resumes from the
saved state when it belongs to the same period (the flight, or a daily
budget's day). Without it every multiplier would start over at 1 and a
throttled campaign at its starting share of auctions, and the campaign
would spend off its curve until the controllers found their way back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from unifeed.ads.pacing import GoalHolder, Pacer
from unifeed.ads.records.learning import LearningRecords, SavedPacing
from unifeed.store import Store

Controllers = tuple[int, Pacer, GoalHolder | None]  # (campaign id, its pacer, its goal)


def save(store: Store, controllers: Iterable[Controllers], stepped_at: datetime) -> None:
    """Upsert the state of these campaigns' controllers, which stepped at
    `stepped_at` (one transaction)."""
    LearningRecords(store).save_pacing(
        [
            SavedPacing(
                campaign_id=cid,
                period_start=pacer.start,
                multiplier=pacer.multiplier,
                rate=pacer.rate,
                goal_multiplier=None if goal is None else goal.multiplier,
                goal_spent_minor=None if goal is None else goal.spent_seen,
                stepped_at=stepped_at,
            )
            for cid, pacer, goal in controllers
        ]
    )


def restore(store: Store, controllers: Iterable[Controllers]) -> dict[int, datetime]:
    """Resume these controllers from their saved states of the same period;
    when each of those last stepped, by campaign id."""
    wanted = {cid: (pacer, goal) for cid, pacer, goal in controllers}
    if not wanted:
        return {}
    saved = LearningRecords(store).load_pacing(list(wanted))
    resumed = {}
    for row in saved:
        pacer, goal = wanted[row.campaign_id]
        if _same(row.period_start, pacer.start):
            pacer.resume(row.multiplier, row.rate)
            if goal is not None and row.goal_multiplier is not None:
                goal.resume(row.goal_multiplier, row.goal_spent_minor or 0.0)
            resumed[row.campaign_id] = row.stepped_at
    return resumed


def _same(a: datetime, b: datetime) -> bool:
    return a.replace(tzinfo=None) == b.replace(tzinfo=None)
