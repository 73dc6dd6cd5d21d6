"""The ledger: append-only charges in integer minor units, never over budget.

A charge is appended and added to the campaign's spend in one transaction
that fails whole when the budget cannot cover it
(`unifeed.ads.records.ledger`), so a charge never counts past the budget,
with any number of concurrent servers.

Money is decided on the server's clock: a charge is booked at the time its
ad slot was served (the feed log's, never an event's timestamp, which the
client sends), and only within the campaign's flight. A daily budget caps
that day and the flight's total (the daily amount times the days the flight
touches); the auction asks `remaining` for the same caps, so what it may
sell and what the ledger will book agree.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from unifeed.ads.records.ledger import Charge, ChargeOutcome, LedgerRecords
from unifeed.store.db import as_utc
from unifeed.store.store import Store

log = logging.getLogger(__name__)

LIFETIME = "all"  # the spend row that sums every day


def day_key(t: datetime) -> str:
    """The spend row of t's UTC day."""
    return as_utc(t).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Budget:
    kind: str  # lifetime | daily
    amount_minor: int
    start: datetime  # the flight, naive UTC: nothing served outside it is charged
    end: datetime

    @property
    def flight_days(self) -> int:
        """The UTC days the flight touches, a part of a day counting as one."""
        last = as_utc(self.end) - timedelta(microseconds=1)
        return max((last.date() - as_utc(self.start).date()).days + 1, 1)

    @property
    def total_minor(self) -> int:
        """The most the whole flight may spend."""
        if self.kind == "daily":
            return self.amount_minor * self.flight_days
        return self.amount_minor

    def covers(self, t: datetime) -> bool:
        return as_utc(self.start) <= as_utc(t) < as_utc(self.end)

    def caps(self, t: datetime) -> list[tuple[str, int]]:
        """(spend row, cap) that a slot served at t is booked against."""
        caps = [(LIFETIME, self.total_minor)]
        if self.kind == "daily":
            caps.append((day_key(t), self.amount_minor))
        return caps


class Ledger:
    def __init__(self, store: Store) -> None:
        self.records = LedgerRecords(store)

    def charge(self, charge: Charge, budget: Budget) -> ChargeOutcome:
        t = as_utc(charge.served_at)
        if not budget.covers(t):
            return ChargeOutcome.outside_flight
        return self.records.book(charge, budget.caps(t), t)

    def spent(self, campaign_id: int, day: str = LIFETIME) -> int:
        return self.records.spent(campaign_id, [day]).get(day, 0)

    def remaining(
        self, campaign_id: int, budget: Budget, now: datetime, held: Mapping[str, int] | None = None
    ) -> int:
        """What the budget still covers for a slot served now: the least
        room under the caps it would be booked against (for a daily budget
        today's and the flight's total), less what `held` (spend row ->
        minor units) keeps for slots served before it. Nothing outside the flight."""
        return self.remaining_many({campaign_id: budget}, now, {campaign_id: held or {}})[
            campaign_id
        ]

    def remaining_many(
        self,
        budgets: Mapping[int, Budget],
        now: datetime,
        held: Mapping[int, Mapping[str, int]] | None = None,
    ) -> dict[int, int]:
        """`remaining` for every campaign of `budgets`, in one read of their spend rows."""
        caps = {cid: b.caps(now) for cid, b in budgets.items() if b.covers(now)}
        out = {cid: 0 for cid in budgets}
        if not caps:
            return out
        keys = sorted({key for rows in caps.values() for key, _ in rows})
        spent = self.records.spent_many(list(caps), keys)
        held = held or {}
        for cid, rows in caps.items():
            kept = held.get(cid, {})
            room = min(cap - spent.get((cid, key), 0) - kept.get(key, 0) for key, cap in rows)
            out[cid] = max(room, 0)
        return out

    def total(self, campaign_id: int) -> int:
        """The sum of the ledger's rows: what the spend counter must equal."""
        return self.records.total(campaign_id)
