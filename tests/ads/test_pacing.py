"""The bidder's budget dual lands on the budget and follows the curve in toy
markets, for campaigns without a goal (highest volume, bid cap): what the
pacing controller it replaced was held to."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta

import numpy as np
import pytest

from tests.ads.paced import T0, Pacer
from unifeed.ads.audience import reach_worth
from unifeed.ads.bidder import Bidder, Observation, Strategy
from unifeed.ads.traffic import from_counts


def market(bid: float, hour: int, rng: np.random.Generator) -> float:
    """Spend won in one hour at this bid: more traffic by day, diminishing returns."""
    traffic = 1.0 + 0.3 * math.sin(2 * math.pi * (hour % 24) / 24)
    return float(rng.poisson(40 * traffic * (1 - math.exp(-bid / 3))))


def test_highest_volume_spends_the_budget_along_the_curve() -> None:
    hours = 7 * 24
    budget = 2_000
    pacer = Pacer(budget, T0, T0 + timedelta(hours=hours))
    rng = np.random.default_rng(0)
    spent = 0
    errors = []
    for h in range(hours):
        t = T0 + timedelta(hours=h)
        m = pacer.update(t, spent)
        won = min(int(market(1.0 * m, h, rng)), budget - spent)  # the ledger caps it
        spent += won
        if h >= hours // 10:
            target = pacer.target(t + timedelta(hours=1))
            errors.append(abs(spent - target) / target)
    assert 0.98 * budget <= spent <= budget
    # The bar: within 20% of the curve after the first 10% of the flight.
    assert max(errors) < 0.2


def flat_market(pacer: Pacer, hours: int, rng: np.random.Generator) -> list[int]:
    """Spend per hour of a campaign every viewer is worth the same to: each
    opportunity costs 1 and goes to the campaign when its bid clears 20
    (against a base bid of 15), if it enters that auction at all."""
    spent, hourly = 0, []
    for h in range(hours):
        won_this_hour = 0
        for k in range(6):  # ten-minute pacing steps
            pacer.update(T0 + timedelta(minutes=60 * h + 10 * k), spent)
            if 15 * pacer.multiplier >= 20:
                chances = rng.poisson(60)
                won = int(np.sum(rng.random(chances) < pacer.rate))
                won = min(won, pacer.budget_minor - spent)
                spent += won
                won_this_hour += won
        hourly.append(won_this_hour)
    return hourly


def test_a_campaign_with_one_value_for_every_viewer_paces_by_throttling() -> None:
    hours, budget = 72, 7_200  # 100 an hour: about 28% of the opportunities
    share_within = {}
    for throttle in (False, True):
        pacer = Pacer(budget, T0, T0 + timedelta(hours=hours), throttle=throttle)
        hourly = np.array(flat_market(pacer, hours, np.random.default_rng(2)))
        assert 0.98 * budget <= hourly.sum() <= budget
        late = hourly[hours // 10 :]
        share_within[throttle] = float(np.mean(np.abs(late - 100) <= 20))
    # By the bid alone spend comes in bursts; throttled, an hour's spend is
    # within 20% of its share of the budget about as often as Poisson noise
    # allows (P(|N - 100| <= 20) = 0.96 for N ~ Poisson(100)).
    assert share_within[False] < 0.5
    assert share_within[True] >= 0.8


def test_a_campaign_buying_a_few_impressions_an_hour_spends_evenly() -> None:
    """Nine impressions an hour, seen one interval late: the pacer must not
    chase the noise of each ten minutes' spend. A perfect pacer would land
    an hour within 20% of its target in 48% of hours (Poisson noise)."""
    hours, budget, price = 72, 8_000, 12
    shares = []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        pacer = Pacer(budget, T0, T0 + timedelta(hours=hours))
        spent, reported, hourly = 0, 0, np.zeros(hours)
        for k in range(hours * 6):
            m = pacer.update(T0 + timedelta(minutes=10 * k), reported)
            reported = spent  # the app reports an interval's impressions late
            cost = min(int(rng.poisson(1.5 * (m / 1.6) ** 1.5)) * price, budget - spent)
            cost -= cost % price
            spent += cost
            hourly[k // 6] += cost
        assert 0.98 * budget <= spent <= budget
        late = hourly[hours // 10 :]
        shares.append(np.mean(np.abs(late - budget / hours) <= 0.2 * budget / hours))
    assert np.mean(shares) >= 0.33  # 0.17 when a third of the gap was asked back each time


def reach_market(worth: Callable[[int], float], seed: int) -> tuple[int, np.ndarray, int]:
    """A reach campaign among 300 people, 30 of whom open the app each ten
    minutes, with a budget for 450 impressions over three days: it reaches
    everyone early and must then buy repeats or leave budget unspent. An
    impression costs the reserve (12) and is bought when the bid (15 at the
    start) times the viewer's worth clears it. Returns (spent, views per
    person, budget)."""
    rng = np.random.default_rng(seed)
    hours, price, budget = 72, 12, 450 * 12
    pacer = Pacer(budget, T0, T0 + timedelta(hours=hours), throttle=True)
    views = np.zeros(300, dtype=np.int64)
    spent = 0
    for k in range(hours * 6):
        pacer.update(T0 + timedelta(minutes=10 * k), spent)
        for person in rng.choice(300, size=30, replace=False):
            if rng.random() >= pacer.rate or budget - spent < price:
                continue
            if 15 * pacer.multiplier * worth(int(views[person])) > price:
                views[person] += 1
                spent += price
    return spent, views, budget


def test_a_reach_campaign_that_reached_everyone_still_spends_its_budget() -> None:
    for seed in range(3):
        spent, views, budget = reach_market(reach_worth, seed)
        assert 0.98 * budget <= spent <= budget
        # Nearly everyone is still reached (once the bid is up, a repeat may
        # take a slot before the last few new people come by), and repeats
        # spread over people instead of piling on a few.
        assert np.mean(views >= 1) >= 0.98 and views.max() <= 3
        # Worth nothing after the first view, the same campaign stops at 300 of 450.
        spent, views, budget = reach_market(lambda e: 1.0 if e == 0 else 0.0, seed)
        assert spent == 300 * 12 and np.all(views == 1)


def first_hours(pacer: Pacer, hours: int = 4) -> np.ndarray:
    """Spend per hour over a campaign's first hours, in a market where its
    starting guess at a multiplier of 1 buys three times its target: spend
    per ten minutes grows as multiplier ** 1.5, seen one interval late."""
    per_step = pacer.budget_minor / (72 * 6)  # (even curve) the target of ten minutes
    spent, reported, hourly = 0.0, 0.0, np.zeros(hours)
    for k in range(hours * 6):
        m = pacer.update(T0 + timedelta(minutes=10 * k), reported)
        reported = spent
        cost = 3.0 * per_step * m**1.5
        spent += cost
        hourly[k // 6] += cost
    return hourly / (6 * per_step)


def test_a_new_campaign_starts_low_so_its_first_hour_does_not_overspend() -> None:
    def pacer(**kw: float) -> Pacer:
        return Pacer(7_200, T0, T0 + timedelta(hours=72), **kw)  # type: ignore[arg-type]

    low, high = first_hours(pacer()), first_hours(pacer(start_pace=1.0))
    # At 1 the first hour buys well over its share and the next gives it back...
    assert high[0] > 1.5 and high[1] < 0.8
    # ...starting at half, the first hour stays near its share and the rest on it.
    assert low[0] < 1.3
    assert np.all(np.abs(low[1:] - 1.0) < 0.1)


def night_after_an_overspend(strategy: Strategy) -> list[float]:
    """Six ten-minute steps of a night hour: the campaign is 200 ahead of
    its curve (the first hour bought several times its share), the curve
    asks 3 an interval, the rest of the budget allows about 18, and each
    interval still spends 10. Returns the pace after each step."""
    b = Bidder(strategy, goal=1_000.0 if strategy.has_goal else None, pace=0.5)
    paces, spent = [], 400.0
    for k in range(7):
        hours = 5.0 + k / 6
        due = 200.0 + 3.0 * k
        b.step(Observation(hours, spent, 0.0, 0.0, due, budget=5_333.0, end_hours=48.0))
        if k:
            paces.append(b.pace)
        spent += 10.0
    return paces


def test_a_campaign_ahead_of_its_curve_falls_back_within_a_few_night_intervals() -> None:
    # Without a goal the overspend counts against the interval's own ask:
    # within three intervals the pace is under a fifth of where it was
    # (counted in what the rest of the budget allows, it was still at 0.64×).
    paces = night_after_an_overspend(Strategy.highest_volume)
    assert paces[2] < 0.5 / 5
    assert paces == sorted(paces, reverse=True)
    # A goal's bid level means something: its dual holds through the quiet hour.
    held = night_after_an_overspend(Strategy.cost_per_result)
    assert held[2] > 0.5 * 0.5


def test_the_first_spend_sets_the_pace_by_the_whole_ratio() -> None:
    """A starting guess that buys five times the first interval's ask: the
    pace falls to about a fifth at the next step, not by a bounded step."""
    b = Bidder(Strategy.highest_volume, pace=0.5)
    b.step(Observation(0.0, 0.0, 0.0, 0.0, due=0.0, budget=5_333.0, end_hours=48.0))
    b.step(Observation(1 / 6, 65.0, 0.0, 0.0, due=12.0, budget=5_333.0, end_hours=48.0))
    assert b.pace == pytest.approx(0.5 * 13 / 66)
    # Later overspends take the bounded step (at most e^-0.6 an interval).
    b.step(Observation(2 / 6, 130.0, 0.0, 0.0, due=24.0, budget=5_333.0, end_hours=48.0))
    assert b.pace == pytest.approx(0.5 * 13 / 66 * math.exp(-0.6))


# A social app's day (UTC, relative): quiet before dawn, busiest in the evening.
DAY = (
    *(0.7, 0.45, 0.3, 0.2, 0.2, 0.3, 0.6, 1.0, 1.2, 1.1, 1.0, 1.0),
    *(1.2, 1.2, 1.0, 1.0, 1.1, 1.2, 1.4, 1.6, 1.8, 1.8, 1.5, 1.1),
)  # fmt: skip


def a_flight_from_midnight(seed: int) -> tuple[float, float]:
    """A two-day flight from midnight in a market where the starting pace
    buys about twice the first hour's share and an interval brings a few
    impressions of 13 (the simulator's highest-volume campaigns). Returns
    (worst cumulative deviation from the curve after the first 10% of the
    flight, budget spent)."""
    rng = np.random.default_rng(seed)
    hours, budget, price = 48, 5_333, 13
    curve = from_counts(np.array(DAY) * 1_000)
    pacer = Pacer(budget, T0, T0 + timedelta(hours=hours), curve=curve)
    spent, worst = 0, 0.0
    for k in range(hours * 6):
        t = T0 + timedelta(minutes=10 * k)
        x = (pacer.update(t, spent) / 0.12) ** 2
        n = rng.poisson(2.5 * DAY[(k // 6) % 24] / np.mean(DAY) * x / (1 + x / 6))
        spent += min(int(n) * price, budget - spent)
        if k % 6 == 5 and k // 6 >= hours // 10:
            target = pacer.target(t + timedelta(minutes=10))
            worst = max(worst, abs(spent - target) / target)
    return worst, spent / budget


def test_a_flight_that_starts_at_night_is_back_on_its_curve_by_morning() -> None:
    """The night after a first hour's overspend is where the budget dual
    lost the curve (issue 24: 23-86% off at hour 5 in the simulator, where
    the multiplicative pacer was 13-62%); here it must stay within 20% on
    every seed and 15% on average (counted in what the rest of the budget
    allows, up to 68% and 23%), and spend the budget, never over."""
    runs = [a_flight_from_midnight(seed) for seed in range(8)]
    worst = np.array([w for w, _ in runs])
    assert worst.max() < 0.2 and worst.mean() < 0.15
    assert all(0.98 <= s <= 1.0 for _, s in runs)
