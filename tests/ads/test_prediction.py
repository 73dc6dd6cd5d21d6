"""What delivery predicts per viewer: p(click), p(result), under the model and the baselines."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bench.audiences import Broad
from tests.ads.market import a_campaign, create_campaign, serve_everyone
from unifeed.ads.audience import REPEAT_WORTH, ModelAudience
from unifeed.ads.bidder import Bidder, Strategy
from unifeed.ads.calibration import Calibrator
from unifeed.ads.campaign_state import PRIOR_CLICK_RATE, CampaignState, peer_priors
from unifeed.ads.campaigns import Campaign
from unifeed.ads.conversion import ConversionCurve
from unifeed.ads.pacing import BudgetPlan
from unifeed.ads.prediction import Predictor
from unifeed.ads.records.campaigns import CampaignRecords
from unifeed.store import Store

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def campaign(objective: str = "traffic") -> Campaign:
    end = T0 + timedelta(days=2)
    return a_campaign(T0, objective=objective, budget_minor=1000, end_at=end)


def state(c: Campaign, **totals: int) -> CampaignState:
    st = CampaignState(
        c,
        np.array([0]),
        BudgetPlan(c.budget_minor, c.start_at, c.end_at),
        Bidder(Strategy.highest_volume),
    )
    for k, v in totals.items():
        setattr(st, k, v)
    return st


def predictor(audience: str) -> Predictor:
    """The model's prediction, or the broad baseline's (every viewer alike)."""
    return Predictor({"model": ModelAudience(), "broad": Broad()}[audience])


def test_the_model_predicts_per_viewer_the_baselines_do_not() -> None:
    st = state(campaign(), impressions=1000, clicks=100)
    scores = np.array([-3.0, 0.0, 3.0])
    d = predictor("model")
    d.click.a, d.click.b = 1.0, -1.0
    per_viewer = d.p_result(st, scores)
    assert per_viewer[0] < per_viewer[1] < per_viewer[2]
    flat = predictor("broad").p_result(st, scores)
    assert np.allclose(flat, (100 + 100 * PRIOR_CLICK_RATE) / 1100)


def test_results_per_click_move_from_the_prior_to_the_campaigns_own() -> None:
    fresh = state(campaign("leads"))
    assert fresh.results_per_click == pytest.approx(0.1)
    seasoned = state(campaign("leads"), clicks=2000, results=1000)
    assert seasoned.results_per_click == pytest.approx(0.5, abs=0.01)
    assert state(campaign("traffic"), clicks=10, results=0).results_per_click == 1.0


def test_a_new_campaign_starts_from_its_peers_results_per_click() -> None:
    """A world whose clicks convert at 0.8: a fresh leads campaign starts
    near its leads peer's rate, a fresh sales campaign from the leads
    campaigns' (results after the click alike), and an engagement campaign
    keeps its own default; each campaign's own clicks still take over."""
    seasoned = state(replace(campaign("leads"), id=1), clicks=500, results=400)
    fresh = state(replace(campaign("leads"), id=2))
    sales = state(replace(campaign("sales"), id=3))
    likes = state(replace(campaign("engagement"), id=4))
    states = {st.campaign.id: st for st in (seasoned, fresh, sales, likes)}
    assert fresh.results_per_click == pytest.approx(0.1)  # before: the default
    peer_priors(states)
    assert fresh.results_per_click == pytest.approx(0.8, abs=0.05)
    assert sales.results_per_click == pytest.approx(0.8, abs=0.05)
    assert likes.results_per_click == pytest.approx(0.3)
    # Its own 400 clicks and 40 results outweigh the peer's prior.
    own = state(replace(campaign("leads"), id=5), clicks=400, results=40)
    peer_priors({**states, 5: own})
    assert own.results_per_click < 0.2
    # Alone, a campaign's prior is its objective's default.
    alone = {2: state(replace(campaign("leads"), id=2))}
    peer_priors(alone)
    assert alone[2].results_per_click == pytest.approx(0.1)


def test_results_after_the_click_follow_the_viewer_under_the_model_only() -> None:
    st = state(campaign("leads"), impressions=1000, clicks=100)
    scores = np.array([0.0, 2.0])
    curve = ConversionCurve(slope=1.0, intercept={st.campaign.id: -1.0})
    for audience in ("model", "broad"):
        d = predictor(audience)
        d.click.a, d.click.b = 1.0, -1.0
        d.conversions = curve
        avg = st.results_per_click
        after_click = curve.rate(st.campaign.id, avg, scores) if audience == "model" else avg
        assert np.allclose(d.p_result(st, scores), d.p_click(st, scores) * after_click)
    # A traffic campaign's result is the click itself.
    traffic = state(campaign("traffic"))
    d = predictor("model")
    d.conversions = ConversionCurve(slope=1.0, intercept={traffic.campaign.id: -5.0})
    assert np.allclose(d.p_result(traffic, scores), d.p_click(traffic, scores))


def test_seeing_the_ad_is_the_awareness_result() -> None:
    st = state(campaign("awareness"))
    d = predictor("model")
    assert np.all(d.p_result(st, np.array([-5.0, 5.0])) == 1.0)
    # A repeat is no new person reached; it keeps a share of the worth, which
    # halves with each further view, so repeats spread over people.
    assert np.all(d.p_result(st, np.array([-5.0, 5.0]), exposures=1) == REPEAT_WORTH)
    assert np.all(d.p_result(st, np.array([-5.0, 5.0]), exposures=3) == REPEAT_WORTH / 4)


@pytest.mark.parametrize("audience", ["model", "broad"])
def test_repeat_viewers_are_predicted_with_the_learned_wearout(audience: str) -> None:
    st = state(campaign("leads"), impressions=1000, clicks=100)
    d = predictor(audience)
    d.wearout = np.array([1.0, 0.6, 0.3, 0.1, 1.0, 1.5, 1.2, 0.9])
    scores = np.array([0.0, 2.0])
    first = d.p_result(st, scores)
    assert np.allclose(d.p_result(st, scores, exposures=2), 0.3 * first)
    assert np.allclose(d.p_result(st, scores, exposures=9), 0.1 * first)  # 3 or more
    # A viewer who clicked the campaign before: the model reads its own curve,
    # the baselines predict every viewer alike.
    again = d.p_result(st, scores, exposures=1, clicked_before=True)
    assert np.allclose(again, (1.5 if audience == "model" else 0.6) * first)


@pytest.mark.parametrize("audience", ["model", "broad"])
def test_the_audience_suggestion_scales_the_model_only(audience: str) -> None:
    st = state(campaign(), impressions=1000, clicks=100)
    st.suggestion_levels = (0.5, 2.0)
    d = predictor(audience)
    scores = np.array([-1.0, 0.0, 1.0])
    inside, outside = d.p_click(st, scores, suggested=True), d.p_click(st, scores)
    if audience == "model":
        assert np.allclose(inside, 4.0 * outside)
        assert np.allclose(d.p_result(st, scores, suggested=True), inside)
    else:  # the baselines predict every viewer alike
        assert np.allclose(inside, outside)


def test_the_suggestion_counts_as_much_as_the_campaigns_clicks_show(market) -> None:
    """Viewers over 35, the suggestion, click every ad; the others never do:
    the fit finds the groups apart, on viewers' ages from the store."""
    client, settings, adv = market
    users = [
        {"id": f"u{u}", "age": 20 if u < 15 else 40, "gender": "female", "country": "DE"}
        for u in range(30)
    ]
    client.post("/v1/users", json={"users": users})
    suggestion = {"age_min": 35, "age_max": 120, "genders": ["female", "male"]}
    create_campaign(client, adv, budget=100_000, audience_suggestion=suggestion)
    serve_everyone(client, lambda u: u >= 15)
    store = Store(settings.resolved_database_url)
    (c,) = CampaignRecords(store).list(None)
    version = client.app.state.services.feed.ads._model_version
    d = predictor("model")
    states = {c.id: state(c)}
    d.fit(store, states, version, datetime.now(UTC))
    d.apply_levels(states)
    outside, inside = states[c.id].suggestion_levels
    assert outside < 0.9 < 1.5 < inside
    # Without any clicks of the campaign's own, the hint counts for nothing.
    assert predictor("model").suggestion == {}
    store.close()


def test_goal_campaigns_read_the_ads_curve_until_a_new_model_comes() -> None:
    organic, ads = Calibrator(0.2, -1.0), Calibrator(1.5, -2.0)
    scores = np.array([-1.0, 0.0, 2.0])
    goal = a_campaign(T0, id=2, bid_strategy="cost_per_result", cost_goal_minor=50)
    roas = a_campaign(T0, id=3, objective="sales", bid_strategy="roas", roas_goal=2.0)
    volume = campaign()
    states = {c.id: state(c, impressions=1000, clicks=100) for c in (goal, roas, volume)}
    d = predictor("model")
    d.click, d.ad_click = organic, ads
    for c in (goal, roas):
        assert np.allclose(d.p_click(states[c.id], scores), ads.predict(scores))
    # Highest volume paces its price; it keeps the organic curve.
    assert np.allclose(d.p_click(states[volume.id], scores), organic.predict(scores))
    d.new_model(states)  # another model's scores: the organic curve for all again
    for c in (goal, roas, volume):
        assert np.allclose(d.p_click(states[c.id], scores), organic.predict(scores))
