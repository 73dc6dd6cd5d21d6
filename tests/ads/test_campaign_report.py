"""The report's pacing target and its account of where a campaign stands."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from tests.ads.market import a_campaign
from unifeed.ads.campaigns import Campaign
from unifeed.ads.report import delivery_status, pacing_curve
from unifeed.ads.traffic import TrafficCurve

START = datetime(2026, 3, 2)  # a midnight, naive UTC as the store keeps times


def campaign(**over: object) -> Campaign:
    return a_campaign(START, **over)


def charge(hours: float, amount: int) -> SimpleNamespace:
    return SimpleNamespace(event_time=START + timedelta(hours=hours), amount_minor=amount)


def test_a_lifetime_target_reaches_the_budget_at_the_end() -> None:
    c = campaign()
    curve = pacing_curve(c, [charge(1, 500)], c.end_at + timedelta(days=1))
    assert curve[-1]["target_minor"] == pytest.approx(3_000)
    assert curve[23]["target_minor"] == pytest.approx(1_000)  # one day of three
    assert curve[-1]["spend_minor"] == 500


def test_a_daily_target_asks_each_day_its_budget() -> None:
    """A daily budget of 1,000 over three days asks 1,000 a day, 3,000 in all,
    along each day's traffic."""
    shares = [0.5 / 24] * 12 + [1.5 / 24] * 12  # the afternoon three times as busy
    c = campaign(budget_kind="daily", budget_minor=1_000)
    curve = pacing_curve(c, [], c.end_at, TrafficCurve(tuple(shares)))
    by_hour = [p["target_minor"] for p in curve]
    assert by_hour[11] == pytest.approx(250)  # half a day, a quarter of its traffic
    assert by_hour[23] == pytest.approx(1_000)
    assert by_hour[35] == pytest.approx(1_250)
    assert by_hour[71] == pytest.approx(3_000)


def test_a_campaign_behind_its_cost_goal_says_so() -> None:
    c = campaign(bid_strategy="cost_per_result", cost_goal_minor=100)
    now = START + timedelta(days=1)
    curve = pacing_curve(c, [charge(1, 500)], now)  # 1,000 asked by now
    status = delivery_status(c, spend=500, results=1, value=0.0, pacing=curve, now=now)
    assert status["status"] == "limited by goal"
    assert "500 each against a goal of 100" in status["detail"]
    # The same spend at the goal's cost is merely behind; on the curve, on track.
    assert delivery_status(c, 500, 5, 0.0, curve, now)["status"] == "behind"
    assert delivery_status(c, 900, 9, 0.0, curve, now)["status"] == "on track"
    # No result at all for more than the goal: held back by the goal too.
    assert delivery_status(c, 500, 0, 0.0, curve, now)["status"] == "limited by goal"


@pytest.mark.parametrize(
    ("over", "now", "spend", "expected"),
    [
        ({}, START - timedelta(hours=1), 0, "scheduled"),
        ({"status": "paused"}, START + timedelta(hours=5), 0, "paused"),
        ({}, START + timedelta(days=4), 2_990, "ended"),
        ({}, START + timedelta(days=2), 3_000, "budget spent"),
    ],
)
def test_where_a_campaign_stands(over: dict, now: datetime, spend: int, expected: str) -> None:
    c = campaign(**over)
    curve = pacing_curve(c, [], now)
    assert delivery_status(c, spend, 1, 0.0, curve, now)["status"] == expected
