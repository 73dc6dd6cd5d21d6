"""The ledger's rows and the campaigns' spend counters, as stored.

A charge is one transaction that (1) appends the ledger row, whose unique
entry key makes a re-sent impression or click a no-op, and (2) adds the
amount to each spend row it is booked against with a conditional update that
only succeeds while the cap still covers it. If (2) fails, (1) is rolled
back, so a charge is recorded before it counts and never counts past the
budget, with any number of concurrent servers: PostgreSQL re-checks the
condition on the locked row, SQLite serializes writers. A charge and its
outcomes are defined here, beside the row they become.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, func, select, update

from unifeed.store import schema
from unifeed.store.db import utcnow
from unifeed.store.store import Store


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


class _OverBudget(Exception):
    pass


class LedgerRecords:
    def __init__(self, store: Store) -> None:
        self.store = store

    def book(self, charge: Charge, caps: list[tuple[str, int]], t: datetime) -> ChargeOutcome:
        """Append the charge, booked at `t`, and add it to each (spend row,
        cap) of `caps`, in one transaction: charged, a duplicate, or over
        budget (nothing recorded)."""
        try:
            with self.store.write() as conn:
                return self._book(conn, charge, caps, t)
        except _OverBudget:
            return ChargeOutcome.over_budget

    def _book(
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

    def spent(self, campaign_id: int, days: list[str]) -> dict[str, int]:
        """Spend row (a day, or the lifetime's) -> its counter, for those that exist."""
        s = schema.campaign_spend
        q = select(s.c.day, s.c.spent_minor).where(
            s.c.campaign_id == campaign_id, s.c.day.in_(days)
        )
        with self.store.engine.connect() as conn:
            return {day: int(v) for day, v in conn.execute(q).all()}

    def spent_many(self, campaign_ids: list[int], days: list[str]) -> dict[tuple[int, str], int]:
        """(campaign, spend row) -> its counter, for these campaigns' rows that exist."""
        s = schema.campaign_spend
        q = select(s.c.campaign_id, s.c.day, s.c.spent_minor).where(
            s.c.campaign_id.in_(campaign_ids), s.c.day.in_(days)
        )
        with self.store.engine.connect() as conn:
            return {(int(cid), day): int(v) for cid, day, v in conn.execute(q).all()}

    def total(self, campaign_id: int) -> int:
        """The sum of the campaign's ledger rows."""
        lg = schema.ledger
        q = select(func.coalesce(func.sum(lg.c.amount_minor), 0)).where(
            lg.c.campaign_id == campaign_id
        )
        with self.store.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())
