"""The ledger: append-only charges in integer minor units, never over budget.

A charge is one transaction that (1) appends the ledger row, whose unique
entry key makes a re-sent impression or click a no-op, and (2) adds the
amount to the campaign's spend with a conditional update that only succeeds
while the budget still covers it. If (2) fails, (1) is rolled back, so a
charge is recorded before it counts and never counts past the budget, with
any number of concurrent servers: PostgreSQL re-checks the condition on the
locked row, SQLite serializes writers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, func, select, update

from unifeed.store import schema
from unifeed.store.db import as_utc, utcnow
from unifeed.store.store import Store

log = logging.getLogger(__name__)

LIFETIME = "all"  # the spend row that sums every day


class _OverBudget(Exception):
    pass


class ChargeOutcome(StrEnum):
    charged = "charged"
    duplicate = "duplicate"  # this entry key was charged before
    over_budget = "over_budget"  # the budget cannot cover it: nothing recorded


@dataclass(frozen=True)
class Charge:
    entry_key: str
    campaign_id: int
    kind: str  # impression | click
    amount_minor: int
    event_time: datetime
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


class Ledger:
    def __init__(self, store: Store) -> None:
        self.store = store

    def charge(self, charge: Charge, budget: Budget) -> ChargeOutcome:
        t = as_utc(charge.event_time)
        day = t.strftime("%Y-%m-%d")
        # (spend row, cap): a daily budget caps the day, a lifetime one the total.
        caps = [(LIFETIME, budget.amount_minor if budget.kind == "lifetime" else None)]
        if budget.kind == "daily":
            caps.append((day, budget.amount_minor))
        try:
            with self.store.write() as conn:
                return self._charge(conn, charge, caps, t)
        except _OverBudget:
            return ChargeOutcome.over_budget

    def _charge(
        self, conn: Connection, charge: Charge, caps: list[tuple[str, int | None]], t: datetime
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
                .where(s.c.campaign_id == charge.campaign_id, s.c.day == key)
                .values(spent_minor=s.c.spent_minor + charge.amount_minor)
            )
            if cap is not None:
                stmt = stmt.where(s.c.spent_minor + charge.amount_minor <= cap)
            if conn.execute(stmt).rowcount != 1:
                raise _OverBudget  # rolls the ledger row back with the transaction
        return ChargeOutcome.charged

    def spent(self, campaign_id: int, day: str = LIFETIME) -> int:
        s = schema.campaign_spend
        q = select(s.c.spent_minor).where(s.c.campaign_id == campaign_id, s.c.day == day)
        with self.store.engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def remaining(self, campaign_id: int, budget: Budget, now: datetime) -> int:
        """What the budget still covers: today's share for a daily budget."""
        day = as_utc(now).strftime("%Y-%m-%d") if budget.kind == "daily" else LIFETIME
        return max(budget.amount_minor - self.spent(campaign_id, day), 0)

    def total(self, campaign_id: int) -> int:
        """The sum of the ledger's rows: what the spend counter must equal."""
        lg = schema.ledger
        q = select(func.coalesce(func.sum(lg.c.amount_minor), 0)).where(
            lg.c.campaign_id == campaign_id
        )
        with self.store.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())
