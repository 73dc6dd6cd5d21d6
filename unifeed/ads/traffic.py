"""The daily shape of traffic: the share of a day's feed requests in each hour.

A budget spent evenly in time asks as much of 4 am, when few people open
the app, as of 9 pm, when most do: a pacer then bids up at night to buy
the few slots there are and holds back in the evening when slots are
plentiful, paying more for less. Pacing targets follow the traffic instead:
the share of a flight's budget asked of an hour is that hour's share of a
day's feed requests over the last week's whole days, read from the feed log.

Hours are UTC, the store's time. An app whose users live in several time
zones has a flatter shape, which the log shows as it is. Until the log holds
enough requests, the learned shape leans on an even one (a prior worth
`PRIOR_REQUESTS` requests), and no hour is asked less than `FLOOR` of its even
share, so an hour that was quiet last week is not written off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from unifeed.ads.records.learning import LearningRecords
from unifeed.store import Store
from unifeed.store.db import as_utc

HOURS = 24
LOOKBACK = timedelta(days=7)
# An even prior worth this many requests (4 an hour): a few days of a small
# app's log outweigh it, a quiet night hour does not.
PRIOR_REQUESTS = 96.0
FLOOR = 0.25  # no hour's share below this fraction of an even one


def midnight(t: datetime) -> datetime:
    """The start of t's day (UTC, naive as the store keeps times)."""
    return as_utc(t).replace(hour=0, minute=0, second=0, microsecond=0)


def _even() -> tuple[float, ...]:
    return (1.0 / HOURS,) * HOURS


@dataclass(frozen=True)
class TrafficCurve:
    """Shares of a day's traffic by UTC hour; the default is even."""

    shares: tuple[float, ...] = field(default_factory=_even)  # (24,), sums to 1

    def __post_init__(self) -> None:
        if len(self.shares) != HOURS or min(self.shares) < 0:
            raise ValueError(f"a traffic curve is {HOURS} non-negative hourly shares")
        if not np.isclose(sum(self.shares), 1.0):
            raise ValueError("a traffic curve's hourly shares sum to 1")

    def elapsed(self, t: datetime) -> float:
        """Days of traffic from midnight of 1 January, year 1 (UTC) to t."""
        t = as_utc(t)
        into_day = (t - midnight(t)).total_seconds()
        hour, into_hour = divmod(into_day / 3600.0, 1.0)
        h = int(hour)
        return t.toordinal() - 1 + sum(self.shares[:h]) + self.shares[h] * into_hour

    def share(self, start: datetime, t: datetime, end: datetime) -> float:
        """The share of [start, end)'s traffic that comes before t, in [0, 1]."""
        lo, hi = self.elapsed(start), self.elapsed(end)
        if hi <= lo:
            return 1.0 if t >= end else 0.0
        return min(max((self.elapsed(t) - lo) / (hi - lo), 0.0), 1.0)


def hourly_counts(store: Store, now: datetime, lookback: timedelta = LOOKBACK) -> np.ndarray:
    """(24,) feed requests per UTC hour of the day over the whole days of
    `lookback` before today's midnight.

    Whole days only: with today's hours so far in, the hours already gone
    would count one day more than those to come, and the curve would say
    the day is mostly behind us (a pacer then finds itself far behind and
    overspends). So the curve changes once a day, at midnight."""
    today = midnight(now)
    return LearningRecords(store).requests_by_hour(today - lookback, today)


def learn(store: Store, now: datetime) -> TrafficCurve:
    """The traffic curve of the week before `now`'s day, from the feed log."""
    return from_counts(hourly_counts(store, now))


def from_counts(counts: np.ndarray) -> TrafficCurve:
    """Shares from hourly request counts, shrunk towards even and floored."""
    shares = (np.asarray(counts, dtype=np.float64) + PRIOR_REQUESTS / HOURS) / (
        counts.sum() + PRIOR_REQUESTS
    )
    # Floored hours sit exactly on the floor; the others share what is left.
    # Scaling them down can take another under the floor, hence the loop.
    floor = FLOOR / HOURS
    low = np.zeros(HOURS, dtype=bool)
    while True:
        low |= shares < floor
        free = shares[~low].sum()
        shares = np.where(low, floor, shares * (1.0 - floor * low.sum()) / free)
        if not (shares[~low] < floor).any():
            break
    return TrafficCurve(tuple(float(x) for x in shares))
