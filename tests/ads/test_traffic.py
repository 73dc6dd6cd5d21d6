"""The traffic curve: learned from the feed log, and what pacing to it buys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tests.ads.market import log_feed
from tests.ads.paced import Pacer
from unifeed.ads.traffic import FLOOR, HOURS, TrafficCurve, from_counts, learn
from unifeed.sim.world import DIURNAL
from unifeed.store import Store

T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a midnight
DAY = np.array(DIURNAL)  # a social app's day: busiest in the evening, 9x the trough
DAY_SHARES = DAY / DAY.sum()


def test_an_even_curve_is_time() -> None:
    even = TrafficCurve()
    end = T0 + timedelta(days=3)
    assert even.share(T0, T0 + timedelta(hours=18), end) == pytest.approx(0.25)
    assert even.share(T0, T0 - timedelta(hours=1), end) == 0.0
    assert even.share(T0, end + timedelta(hours=1), end) == 1.0


def test_a_curve_asks_each_hour_its_share_of_the_traffic() -> None:
    curve = TrafficCurve(tuple(DAY_SHARES))
    start, end = T0 + timedelta(hours=6), T0 + timedelta(days=2, hours=6)  # two whole days
    for h in (3, 20):
        t = start + timedelta(days=1, hours=h - 6)
        got = curve.share(start, t + timedelta(hours=1), end) - curve.share(start, t, end)
        assert got == pytest.approx(DAY_SHARES[h] / 2)
    # Within an hour the share grows evenly.
    t = T0 + timedelta(hours=20)
    half = curve.share(start, t + timedelta(minutes=30), end) - curve.share(start, t, end)
    assert half == pytest.approx(DAY_SHARES[20] / 4)


def test_a_curve_is_24_shares_that_sum_to_one() -> None:
    with pytest.raises(ValueError, match="24"):
        TrafficCurve((0.5, 0.5))
    with pytest.raises(ValueError, match="sum to 1"):
        TrafficCurve((0.1,) * HOURS)


def test_the_curve_is_learned_from_the_week_of_feed_requests(store: Store) -> None:
    rng = np.random.default_rng(0)
    now = T0 + timedelta(days=7)
    for day in range(7):
        for h in range(HOURS):
            for k in range(int(rng.poisson(30 * DAY[h]))):
                at = T0 + timedelta(days=day, hours=h, minutes=int(rng.integers(60)))
                log_feed(store, f"r{day}-{h}-{k}", at)
    # Today's requests (a partial day would weigh its hours one day more)
    # and those over a week old are not read.
    for t in (now + timedelta(hours=3), T0 - timedelta(hours=2)):
        log_feed(store, f"x{t}", t)
    shares = np.array(learn(store, now).shares)
    assert np.argmax(shares) in (20, 21) and np.argmin(shares) in (3, 4)
    # Close to the day's shape, a little flattened by the even prior.
    assert np.abs(shares - DAY_SHARES).max() < 0.3 / HOURS
    # An empty log: an even curve.
    assert learn(store, T0 - timedelta(days=30)) == TrafficCurve()


def test_little_traffic_leans_on_an_even_curve_and_no_hour_is_written_off() -> None:
    few = np.zeros(HOURS)
    few[20] = 10
    shares = np.array(from_counts(few).shares)
    assert shares[20] < 4 / HOURS  # ten requests say little
    assert shares.min() > 0.8 / HOURS
    quiet = np.full(HOURS, 1000.0)
    quiet[4] = 0
    assert min(from_counts(quiet).shares) >= FLOOR / HOURS * 0.99


def diurnal_market(curve: TrafficCurve, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """A 3-day flight where an hour's slots follow DAY. Each slot has a
    rival's price drawn from an exponential (mean 10); the campaign wins a
    slot when its bid (10 at the start, times the pacer's multiplier) beats
    it, and pays that price. Returns the hour-by-hour spend, each hour's
    target and the impressions bought."""
    rng = np.random.default_rng(seed)
    hours, budget = 72, 30_000
    pacer = Pacer(budget, T0, T0 + timedelta(hours=hours), curve=curve)
    spent, bought, hourly = 0, 0, np.zeros(hours)
    for k in range(hours * 6):
        t = T0 + timedelta(minutes=10 * k)
        m = pacer.update(t, spent)
        rivals = rng.exponential(10.0, size=rng.poisson(50 * DAY[(k // 6) % HOURS] / 6))
        for price in np.ceil(rivals[rivals < 10.0 * m]).astype(int):
            if spent + price > budget:
                break
            spent += price
            bought += 1
            hourly[k // 6] += price
    targets = np.diff([pacer.target(T0 + timedelta(hours=h)) for h in range(hours + 1)])
    return hourly, targets, bought


def test_pacing_to_the_traffic_follows_its_curve_and_buys_more() -> None:
    """Asked an even spend of a day whose traffic varies ninefold, the pacer
    cannot follow it: it bids up at night, when slots are few, and lags in
    the evening (a quarter of the hours land within 20% of their target).
    Asked the traffic's shape, it bids about the same all day: most hours
    land within 20%, and it buys about 3% more for the same budget, since it
    pays night prices less often."""
    shaped, even = TrafficCurve(tuple(DAY_SHARES)), TrafficCurve()
    late = slice(72 // 10, 72)

    def within(hourly: np.ndarray, targets: np.ndarray) -> float:
        return float(np.mean(np.abs(hourly[late] - targets[late]) <= 0.2 * targets[late]))

    for seed in range(3):
        h_shaped, t_shaped, n_shaped = diurnal_market(shaped, seed)
        h_even, t_even, n_even = diurnal_market(even, seed)
        assert h_shaped.sum() >= 0.98 * 30_000 and h_even.sum() >= 0.98 * 30_000
        assert within(h_shaped, t_shaped) >= 0.55 and within(h_even, t_even) <= 0.4
        assert n_shaped > 1.01 * n_even
