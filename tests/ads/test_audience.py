"""Who an ad may reach and what delivery predicts for them, per audience policy."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tests.ads.market import a_campaign
from unifeed.ads.audience import REPEAT_WORTH, in_suggested_groups
from unifeed.ads.campaign_state import PRIOR_CLICK_RATE, CampaignState
from unifeed.ads.campaigns import Campaign
from unifeed.ads.conversion import ConversionCurve
from unifeed.ads.delivery import AdDelivery, DeliveryConfig
from unifeed.ads.pacing import Pacer
from unifeed.store.db import as_utc

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def campaign(objective: str = "traffic", hint: dict | None = None) -> Campaign:
    end = T0 + timedelta(days=2)
    return a_campaign(T0, objective=objective, audience_hint=hint, budget_minor=1000, end_at=end)


def state(c: Campaign, **totals: int) -> CampaignState:
    st = CampaignState(c, np.array([0]), Pacer(c.budget_minor, c.start_at, c.end_at), None)
    for k, v in totals.items():
        setattr(st, k, v)
    return st


def test_suggested_groups_filter_by_age_and_gender() -> None:
    c = campaign(hint={"age_min": 35, "age_max": 54, "genders": ["female"]})
    assert in_suggested_groups(c, {"age": 40, "gender": "female"})
    assert not in_suggested_groups(c, {"age": 30, "gender": "female"})
    assert not in_suggested_groups(c, {"age": 40, "gender": "male"})
    assert not in_suggested_groups(c, {"age": None, "gender": "female"})
    assert in_suggested_groups(campaign(), {"age": None, "gender": None})


def delivery(audience: str) -> AdDelivery:
    return AdDelivery(None, lambda: T0, 60.0, DeliveryConfig(audience=audience))  # type: ignore[arg-type]


def test_the_model_predicts_per_viewer_the_baselines_do_not() -> None:
    st = state(campaign(), impressions=1000, clicks=100)
    scores = np.array([-3.0, 0.0, 3.0])
    d = delivery("model")
    d.click.a, d.click.b = 1.0, -1.0
    per_viewer = d.p_result(st, scores)
    assert per_viewer[0] < per_viewer[1] < per_viewer[2]
    flat = delivery("broad").p_result(st, scores)
    assert np.allclose(flat, (100 + 100 * PRIOR_CLICK_RATE) / 1100)


def test_results_per_click_move_from_the_prior_to_the_campaigns_own() -> None:
    fresh = state(campaign("leads"))
    assert fresh.results_per_click == pytest.approx(0.1)
    seasoned = state(campaign("leads"), clicks=2000, results=1000)
    assert seasoned.results_per_click == pytest.approx(0.5, abs=0.01)
    assert state(campaign("traffic"), clicks=10, results=0).results_per_click == 1.0


def test_results_after_the_click_follow_the_viewer_under_the_model_only() -> None:
    st = state(campaign("leads"), impressions=1000, clicks=100)
    scores = np.array([0.0, 2.0])
    curve = ConversionCurve(slope=1.0, intercept={st.campaign.id: -1.0})
    for audience in ("model", "broad"):
        d = delivery(audience)
        d.click.a, d.click.b = 1.0, -1.0
        d.conversions = curve
        avg = st.results_per_click
        after_click = curve.rate(st.campaign.id, avg, scores) if audience == "model" else avg
        assert np.allclose(d.p_result(st, scores), d.p_click(st, scores) * after_click)
    # A traffic campaign's result is the click itself.
    traffic = state(campaign("traffic"))
    d = delivery("model")
    d.conversions = ConversionCurve(slope=1.0, intercept={traffic.campaign.id: -5.0})
    assert np.allclose(d.p_result(traffic, scores), d.p_click(traffic, scores))


def test_seeing_the_ad_is_the_awareness_result() -> None:
    st = state(campaign("awareness"))
    d = delivery("model")
    assert np.all(d.p_result(st, np.array([-5.0, 5.0])) == 1.0)
    # A repeat is no new person reached; it keeps a share of the worth, which
    # halves with each further view, so repeats spread over people.
    assert np.all(d.p_result(st, np.array([-5.0, 5.0]), exposures=1) == REPEAT_WORTH)
    assert np.all(d.p_result(st, np.array([-5.0, 5.0]), exposures=3) == REPEAT_WORTH / 4)


@pytest.mark.parametrize("audience", ["model", "broad"])
def test_repeat_viewers_are_predicted_with_the_learned_wearout(audience: str) -> None:
    st = state(campaign("leads"), impressions=1000, clicks=100)
    d = delivery(audience)
    d.wearout = np.array([1.0, 0.6, 0.3, 0.1])
    scores = np.array([0.0, 2.0])
    first = d.p_result(st, scores)
    assert np.allclose(d.p_result(st, scores, exposures=2), 0.3 * first)
    assert np.allclose(d.p_result(st, scores, exposures=9), 0.1 * first)  # 3 or more


def test_unknown_audience_is_refused() -> None:
    with pytest.raises(ValueError, match="audience"):
        DeliveryConfig(audience="zip codes")  # type: ignore[arg-type]


def test_refresh_is_due_when_the_clock_reaches_the_next_pacing_step() -> None:
    now = [T0]
    d = AdDelivery(None, lambda: now[0], 3600.0)  # type: ignore[arg-type]
    assert d._due()  # never refreshed
    d._checked = time.monotonic()
    d._due_at = as_utc(T0 + timedelta(hours=1))
    assert not d._due()  # an hour of wall clock to go and the clock has not moved
    now[0] = T0 + timedelta(hours=1)
    assert d._due()  # a simulation moved its clock past the step
