"""What a campaign's report reads: its spend, whom it reached, its results,
spend per time bucket, and the platform's population to compare them with.

Summed in SQL, so a report's cost does not grow with the flight's length:
impressions come back one row per person reached, spend in at most a few
hundred buckets.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Connection, func, select, text

from unifeed.actions import POSITIVE_ACTIONS
from unifeed.store import Store, schema


class Result(NamedTuple):
    user_id: int
    value: float | None
    touch: str  # click | view
    at: datetime  # the result event's own time


class SpendBucket(NamedTuple):
    """A bucket's spend, as one charge dated at the bucket's start."""

    event_time: datetime
    amount_minor: int


class CampaignFigures(NamedTuple):
    spend: int  # minor units, the ledger's sum
    shown: Counter[int]  # impressions per person, in the order they were first reached
    results: list[Result]
    buckets: list[SpendBucket]  # in time order


class ItemFigures(NamedTuple):
    """One creative item's figures (a version of a variant)."""

    spend: int  # minor units
    impressions: int  # billed
    clicks: int
    results: int
    value: float
    shown: Counter[int]  # impressions per person


class Person(NamedTuple):
    id: int
    age: int | None
    gender: str | None
    country: str | None


class Population(NamedTuple):
    people: dict[int, Person]  # every user
    tags: dict[int, list[str]]  # item -> its tags
    engaged: list[tuple[int, int]]  # (user, item) of every positive event


# Microseconds since 1970 of a stored time, exactly. SQLite keeps the time
# as text, and its strftime rounds to the millisecond: whole seconds from the
# text without its fraction, then the fraction's digits.
_MICROS = {
    "sqlite": "(CAST(strftime('%s', substr(event_time, 1, 19)) AS INTEGER) * 1000000"
    " + CAST(substr(event_time, 21, 6) AS INTEGER))",
    "postgresql": "CAST(EXTRACT(EPOCH FROM event_time) * 1000000 AS BIGINT)",
}
_EPOCH = datetime(1970, 1, 1)


class ReportRecords:
    def __init__(self, store: Store) -> None:
        self.store = store

    def campaign(self, campaign_id: int, start: datetime, step: int) -> CampaignFigures:
        """The campaign's figures in one connection; spend buckets of `step`
        hours from `start`, the flight's."""
        lg, e, att = schema.ledger, schema.events, schema.attributions
        with self.store.engine.connect() as conn:
            spend = int(
                conn.execute(
                    select(func.coalesce(func.sum(lg.c.amount_minor), 0)).where(
                        lg.c.campaign_id == campaign_id
                    )
                ).scalar_one()
            )
            # One billed ledger row per ad slot seen: re-sent impression events
            # (even under new event ids) do not count twice. Per person, in the
            # order they were first reached.
            first = func.min(lg.c.id)
            shown = Counter(
                {
                    r.user_id: int(r.n)
                    for r in conn.execute(
                        select(lg.c.user_id, func.count().label("n"))
                        .where(lg.c.campaign_id == campaign_id, lg.c.kind == "impression")
                        .group_by(lg.c.user_id)
                        .order_by(first)
                    )
                }
            )
            results = conn.execute(
                select(e.c.user_id, att.c.value, att.c.touch, e.c.timestamp)
                .join(att, att.c.event_id == e.c.id)
                .where(att.c.campaign_id == campaign_id)
                .order_by(e.c.timestamp, e.c.id)
            ).all()
            buckets = _spend_buckets(conn, campaign_id, start, step)
        return CampaignFigures(spend, shown, [Result(*r) for r in results], buckets)

    def by_item(self, campaign_id: int) -> dict[int, ItemFigures]:
        """The campaign's figures per creative item, in one connection: a
        version's own, since each version is its own item."""
        lg, e, att, cr = schema.ledger, schema.events, schema.attributions, schema.creatives
        with self.store.engine.connect() as conn:
            spend = dict(
                conn.execute(
                    select(lg.c.item_id, func.sum(lg.c.amount_minor))
                    .where(lg.c.campaign_id == campaign_id)
                    .group_by(lg.c.item_id)
                ).all()
            )
            shown: dict[int, Counter[int]] = {}
            for item, user, n in conn.execute(
                select(lg.c.item_id, lg.c.user_id, func.count())
                .where(lg.c.campaign_id == campaign_id, lg.c.kind == "impression")
                .group_by(lg.c.item_id, lg.c.user_id)
            ):
                shown.setdefault(item, Counter())[user] = int(n)
            clicks = dict(
                conn.execute(
                    select(e.c.item_id, func.count())
                    .select_from(e.join(cr, cr.c.item_id == e.c.item_id))
                    .where(cr.c.campaign_id == campaign_id, e.c.action == "click")
                    .group_by(e.c.item_id)
                ).all()
            )
            results = {
                item: (int(n), float(v))
                for item, n, v in conn.execute(
                    select(e.c.item_id, func.count(), func.coalesce(func.sum(att.c.value), 0.0))
                    .join(att, att.c.event_id == e.c.id)
                    .where(att.c.campaign_id == campaign_id)
                    .group_by(e.c.item_id)
                ).all()
            }
        items = {*spend, *shown, *clicks, *results} - {None}
        return {
            int(i): ItemFigures(
                int(spend.get(i) or 0),
                sum(shown.get(i, Counter()).values()),
                int(clicks.get(i, 0)),
                results.get(i, (0, 0.0))[0],
                results.get(i, (0, 0.0))[1],
                shown.get(i, Counter()),
            )
            for i in items
        }

    def population(self) -> Population:
        """Every user's age, gender and country, every item's tags, and who
        engaged with what (one connection)."""
        u, e, it = schema.users, schema.events, schema.items
        with self.store.engine.connect() as conn:
            people = {
                r.id: Person(*r)
                for r in conn.execute(select(u.c.id, u.c.age, u.c.gender, u.c.country))
            }
            tags_of = {
                r.id: json.loads(r.tags or "[]") for r in conn.execute(select(it.c.id, it.c.tags))
            }
            engaged = conn.execute(
                select(e.c.user_id, e.c.item_id).where(e.c.action.in_(list(POSITIVE_ACTIONS)))
            ).all()
        return Population(people, tags_of, [(user, item) for user, item in engaged])


def _spend_buckets(
    conn: Connection, campaign_id: int, start_at: datetime, step: int
) -> list[SpendBucket]:
    """The campaign's spend summed in SQL per step-hour bucket from
    `start_at` (charges before it fall in the first)."""
    micros = _MICROS[conn.dialect.name]
    q = text(
        f"SELECT ({micros} - :start) / :step AS k, SUM(amount_minor) AS spend "
        "FROM ledger WHERE campaign_id = :campaign GROUP BY k"
    )
    start = (start_at - _EPOCH) // timedelta(microseconds=1)
    by_bucket: Counter[int] = Counter()
    for k, spend in conn.execute(
        q, {"start": start, "step": step * 3_600_000_000, "campaign": campaign_id}
    ):
        by_bucket[max(int(k), 0)] += int(spend)
    return [
        SpendBucket(event_time=start_at + k * timedelta(hours=step), amount_minor=n)
        for k, n in sorted(by_bucket.items())
    ]
