"""The ledger: append-only charges in integer minor units, never over budget.

A charge is one transaction that (1) appends the ledger row, whose unique
entry key makes a re-sent impression or click a no-op, and (2) adds the
amount to the campaign's spend with a conditional update that only succeeds
while the budget still covers it. If (2) fails, (1) is rolled back, so a
charge is recorded before it counts and never counts past the budget, with
any number of concurrent servers: PostgreSQL re-checks the condition on the
locked row, SQLite serializes writers.

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
from enum import StrEnum

from sqlalchemy import Connection, func, select, update

from unifeed.store import schema
from unifeed.store.db import as_utc, utcnow
from unifeed.store.store import Store

log = logging.getLogger(__name__)

LIFETIME = "all"  # the spend row that sums every day


def day_key(t: datetime) -> str:
    """The spend row of t's UTC day."""
    return as_utc(t).strftime("%Y-%m-%d")


class _OverBudget(Exception):
    pass


class ChargeOutcome(StrEnum):
    charged = "charged"
    duplicate = "duplicate"  # this entry key was charged before
    over_budget = "over_budget"  # the budget cannot cover it: nothing recorded
    outside_flight = "outside_flight"  # its slot was served outside the flight: nothing recorded


@dataclass(frozen=True)
class Charge:
    entry_key: str
    campaign_id: int
    kind: str  # impression | click
    amount_minor: int
    served_at: datetime  # when the slot was served, by the server's clock: books the day
    user_id: int | None = None
    item_id: int | None = None
    request_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.amount_minor, int) or self.amount_minor <= 0:
            raise ValueError(f"a charge is a positive integer, got {self.amount_minor!r}")


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
        self.store = store

    def charge(self, charge: Charge, budget: Budget) -> ChargeOutcome:
        t = as_utc(charge.served_at)
        if not budget.covers(t):
            return ChargeOutcome.outside_flight
        try:
            with self.store.write() as conn:
                return self._charge(conn, charge, budget.caps(t), t)
        except _OverBudget:
            return ChargeOutcome.over_budget

    def _charge(
        self, conn: Connection, charge: Charge, caps: list[tuple[str, int]], t: datetime
    ) -> ChargeOutcome:
        ins = self.store.insert(schema.ledger).on_conflict_do_nothing(index_elements=["entry_key"])
        added = conn.execute(
            ins.values(
                entry_key=charge.entry_key,
                campaign_id=charge.campaign_id,
                kind=charge.kind,
                amount_minor=charge.amount_minor,
                user_id=charge.user_id,
                item_id=charge.item_id,
                request_id=charge.request_id,
                event_time=t,
                created_at=utcnow(),
            ).returning(schema.ledger.c.id)
        ).first()
        if added is None:
            return ChargeOutcome.duplicate
        s = schema.campaign_spend
        for key, cap in caps:
            conn.execute(
                self.store.insert(s)
                .values(campaign_id=charge.campaign_id, day=key, spent_minor=0)
                .on_conflict_do_nothing(index_elements=["campaign_id", "day"])
            )
            stmt = (
                update(s)
                .where(
                    s.c.campaign_id == charge.campaign_id,
                    s.c.day == key,
                    s.c.spent_minor + charge.amount_minor <= cap,
                )
                .values(spent_minor=s.c.spent_minor + charge.amount_minor)
            )
            if conn.execute(stmt).rowcount != 1:
                raise _OverBudget  # rolls the ledger row back with the transaction
        return ChargeOutcome.charged

    def spent(self, campaign_id: int, day: str = LIFETIME) -> int:
        return self._spent(campaign_id, [day]).get(day, 0)

    def _spent(self, campaign_id: int, days: list[str]) -> dict[str, int]:
        s = schema.campaign_spend
        q = select(s.c.day, s.c.spent_minor).where(
            s.c.campaign_id == campaign_id, s.c.day.in_(days)
        )
        with self.store.engine.connect() as conn:
            return {day: int(v) for day, v in conn.execute(q).all()}

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
        s = schema.campaign_spend
        keys = sorted({key for rows in caps.values() for key, _ in rows})
        q = select(s.c.campaign_id, s.c.day, s.c.spent_minor).where(
            s.c.campaign_id.in_(list(caps)), s.c.day.in_(keys)
        )
        with self.store.engine.connect() as conn:
            spent = {(int(cid), day): int(v) for cid, day, v in conn.execute(q).all()}
        held = held or {}
        for cid, rows in caps.items():
            kept = held.get(cid, {})
            room = min(cap - spent.get((cid, key), 0) - kept.get(key, 0) for key, cap in rows)
            out[cid] = max(room, 0)
        return out

    def total(self, campaign_id: int) -> int:
        """The sum of the ledger's rows: what the spend counter must equal."""
        lg = schema.ledger
        q = select(func.coalesce(func.sum(lg.c.amount_minor), 0)).where(
            lg.c.campaign_id == campaign_id
        )
        with self.store.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())
