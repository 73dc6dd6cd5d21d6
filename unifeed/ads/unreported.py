"""Spend that is served but not yet reported, for pacing and the auction.

Spend reaches the ledger only when the app reports the impression, often in
batches minutes late. Pacing counts spend by when each slot was served: the
ledger's charges, plus the slots served within the report lag at their price
times the share of served slots the app reports as seen (`show_rate`), less
what the ledger already holds of them. The auction holds the same against
the budget (`held`), from the report lag ago or from the "report frontier"
(the newest page the app's latest events name) if that is older, so an app
that reports late is not handed ads its budget cannot pay for. The ledger
stays the only record of money. docs/ads.md has the figures behind it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from unifeed.ads.ledger import LIFETIME, Budget, day_key
from unifeed.ads.records.slots import SlotRecords
from unifeed.ads.traffic import midnight
from unifeed.store import Store
from unifeed.store.db import as_utc

# How long after serving an ad its impression is reported, at most.
REPORT_LAG = timedelta(minutes=15)
# The hour before the lag tells what share of served slots are seen.
SHOW_WINDOW = timedelta(hours=1)
# Until that hour holds many slots, the share leans on "all are seen".
PRIOR_SLOTS = 20.0
# How far back the app's reports have come is read off its latest events.
FRONTIER_EVENTS = 500
# A slot holds its price at most this long, however far behind the app's
# reports are: reports later than that are taken to be lost, so a campaign
# whose app has gone silent resumes rather than stalls for good.
MAX_HOLD = timedelta(hours=6)


def show_rate(store: Store, campaign_ids: list[int], cutoff: datetime) -> float:
    """Share of these campaigns' ad slots served in the SHOW_WINDOW before
    `cutoff` that were reported as seen (billed), leaning on 1 while few."""
    served, seen = SlotRecords(store).shown(campaign_ids, cutoff - SHOW_WINDOW, cutoff)
    return _rate(served, seen)


def _rate(served: int, seen: int) -> float:
    return min(1.0, (seen + PRIOR_SLOTS) / (served + PRIOR_SLOTS))


def unreported_spend(
    store: Store,
    campaign_ids: Iterable[int],
    now: datetime,
    since: datetime | None = None,
    lag: timedelta = REPORT_LAG,
    rate: float | None = None,
) -> dict[int, float]:
    """Campaign -> estimated spend of its ads served in the last `lag` (and
    after `since`, e.g. a daily budget's midnight) that the ledger does not
    hold yet, in minor units. Campaigns without any are left out. `rate`:
    the show rate, when the caller has it (else read for these campaigns)."""
    ids = list(campaign_ids)
    if not ids:
        return {}
    now = as_utc(now)
    cutoff = now - lag
    start = max(cutoff, as_utc(since)) if since is not None else cutoff
    served, billed = SlotRecords(store).unreported(ids, start)
    if not served:
        return {}
    if rate is None:
        rate = show_rate(store, ids, cutoff)
    out = {}
    for cid, amount in served.items():
        pending = rate * amount - billed.get(cid, 0.0)
        if pending > 0:
            out[cid] = pending
    return out


def report_frontier(store: Store) -> datetime | None:
    """When the newest page that the app's latest events name was served:
    how far its reports have come (None before any event names a page)."""
    return SlotRecords(store).report_frontier(FRONTIER_EVENTS)


def hold_start(now: datetime, lag: timedelta, frontier: datetime | None) -> datetime:
    """The oldest serve time a slot still holds its price from: the report
    lag ago, or earlier while the app's reports are further behind than
    that (before any report, nothing is known to be unseen), but never more
    than MAX_HOLD ago."""
    now = as_utc(now)
    if frontier is None:
        return now - MAX_HOLD
    return max(min(now - lag, as_utc(frontier)), now - MAX_HOLD)


@dataclass(frozen=True)
class HoldWindow:
    """How far the app's reports have come, and each campaign's share of
    served slots that is seen: learnt at each refresh of the ads (they move
    with the app's reports, minutes at a time), so a page reads neither."""

    frontier: datetime | None = None
    show_rates: Mapping[int, float] = field(default_factory=dict)  # campaign -> share seen


def hold_window(
    store: Store, campaign_ids: Iterable[int], now: datetime, lag: timedelta = REPORT_LAG
) -> HoldWindow:
    """The report frontier now, and each campaign's show rate at it."""
    frontier = report_frontier(store)
    return HoldWindow(frontier, show_rates(store, campaign_ids, hold_start(now, lag, frontier)))


def show_rates(store: Store, campaign_ids: Iterable[int], since: datetime) -> dict[int, float]:
    """Each campaign's share of slots seen, measured on the hour before a
    window that holds slots from `since` (slots whose reports have all come)."""
    ids = list(campaign_ids)
    shown, seen = SlotRecords(store).shown_by_campaign(ids, since - SHOW_WINDOW, since)
    return {cid: _rate(shown.get(cid, 0), seen.get(cid, 0)) for cid in ids}


def held(
    store: Store,
    campaign_id: int,
    budget: Budget,
    now: datetime,
    lag: timedelta = REPORT_LAG,
    frontier: datetime | None = None,
) -> dict[str, int]:
    """Spend row -> what this campaign's slots served since `hold_start`
    may still be charged (a daily budget's row: those served today), for
    `Ledger.remaining`: their price times the share of slots that are seen,
    less what the ledger has charged of them, rounded up."""
    rates = show_rates(store, [campaign_id], hold_start(now, lag, frontier))
    window = HoldWindow(frontier, rates)
    return held_many(store, {campaign_id: budget}, now, lag, window).get(campaign_id, {})


def held_many(
    store: Store,
    budgets: Mapping[int, Budget],
    now: datetime,
    lag: timedelta,
    window: HoldWindow,
) -> dict[int, dict[str, int]]:
    """`held` for every campaign of `budgets` at once, in one connection and
    two grouped reads: a feed asks it once per page, whatever the number of
    campaigns (campaigns with nothing held are left out). `window`: the
    frontier and show rates learnt at the ads' last refresh."""
    if not budgets:
        return {}
    now = as_utc(now)
    since = hold_start(now, lag, window.frontier)
    sums = SlotRecords(store).held(list(budgets), since, midnight(now))
    out: dict[int, dict[str, int]] = {}
    for cid, (total, on_day) in sums.served.items():
        rate = window.show_rates.get(cid, 1.0)  # a campaign newer than the window: all seen
        paid, paid_today = sums.billed.get(cid, (0, 0))
        rows = {LIFETIME: max(math.ceil(rate * total) - paid, 0)}
        if budgets[cid].kind == "daily":
            rows[day_key(now)] = max(math.ceil(rate * on_day) - paid_today, 0)
        out[cid] = rows
    return out
