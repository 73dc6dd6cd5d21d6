"""Where a campaign stands, in the dashboard's words: the report's status, with
"no ads" for one that has nothing to show and a goal's shortfall in money."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from tests.ads.market import a_campaign
from unifeed.ads.campaigns import Campaign
from unifeed.ads.report import delivery_status, pacing_curve
from unifeed.web.campaign_pages import status_of

START = datetime(2026, 3, 2)
NOW = START + timedelta(days=1)  # a third of the flight: 1,000 of 3,000 asked by now


def campaign(ads: bool = True, **over: object) -> Campaign:
    c = a_campaign(START, **over)
    if ads:
        c.creative_item_ids.append(7)
    return c


def report(c: Campaign, spend: int, results: int, value: float = 0.0, now=NOW) -> dict[str, Any]:
    """What the dashboard reads of a report: its figures and the delivery status."""
    charges = [SimpleNamespace(event_time=START + timedelta(hours=1), amount_minor=spend)]
    curve = pacing_curve(c, charges, now)
    delivery = delivery_status(c, spend, results, value, curve, now)
    return {
        "currency": c.currency,
        "spend_minor": spend,
        "results": results,
        "value_minor": value,
        "delivery": {**delivery, "learning": False},
    }


def test_a_cost_goal_missed_is_said_in_money() -> None:
    c = campaign(bid_strategy="cost_per_result", cost_goal_minor=100)
    status, detail = status_of(report(c, spend=500, results=1), c)
    assert status == "limited by goal"
    assert detail == "Results so far cost 5.00 EUR each, against a goal of 1.00 EUR."
    status, detail = status_of(report(c, spend=500, results=0), c)
    assert (status, detail) == (
        "limited by goal",
        "No result yet for 5.00 EUR spent, against a goal of 1.00 EUR per result.",
    )


def test_a_roas_goal_missed_is_said_as_a_return() -> None:
    c = campaign(objective="sales", bid_strategy="roas", roas_goal=3.0)
    status, detail = status_of(report(c, spend=500, results=2, value=750.0), c)
    assert (status, detail) == (
        "limited by goal",
        "A return of 1.50 per 1 spent, against a goal of 3.",
    )


GOAL = {"bid_strategy": "cost_per_result", "cost_goal_minor": 100}


@pytest.mark.parametrize(
    ("ads", "over", "spend", "now", "expected"),
    [
        (True, {}, 900, NOW, "active"),  # on its curve
        (False, {}, 900, NOW, "no ads"),
        (True, GOAL, 500, NOW, "limited by goal"),
        (False, GOAL, 500, NOW, "no ads"),
        (False, {}, 0, START - timedelta(hours=1), "scheduled"),
        (False, {"status": "paused"}, 0, NOW, "paused"),
        (False, {}, 100, START + timedelta(days=4), "ended"),
    ],
)
def test_a_campaign_with_no_ad_to_show_says_no_ads_while_in_its_flight(
    ads: bool, over: dict, spend: int, now: datetime, expected: str
) -> None:
    c = campaign(ads=ads, **over)
    assert status_of(report(c, spend, 0, now=now), c)[0] == expected
