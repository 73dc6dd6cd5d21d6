"""Lookalikes: a campaign learns which viewers respond from who clicked it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tests.ads.market import (
    NOW,
    TOPICS,
    create_campaign,
    iso,
    last_slot,
    serve_everyone,
    sponsored,
)
from unifeed.ads.bidder import Bidder, Strategy
from unifeed.ads.campaign_state import CampaignState, billed_impressions
from unifeed.ads.lookalike import LOOKALIKE_CLIP, MIN_CLICKS, fit_lookalikes, fit_one
from unifeed.ads.pacing import BudgetPlan
from unifeed.ads.prediction import Predictor
from unifeed.ads.records.campaigns import CampaignRecords
from unifeed.ads.records.slots import query_matrix
from unifeed.store import Store


def two_kinds(n: int, rate_a: float, rate_b: float, seed: int = 0):
    """Viewers of two kinds apart along one axis of 8, clicking at their own rates,
    all expected to click at the average of the two."""
    rng = np.random.default_rng(seed)
    kind_a = rng.random(n) < 0.5
    q = rng.normal(size=(n, 8))
    q[:, 0] = np.where(kind_a, 2.0, -2.0) + 0.2 * q[:, 0]
    clicked = (rng.random(n) < np.where(kind_a, rate_a, rate_b)).astype(np.float64)
    expected = np.full(n, (rate_a + rate_b) / 2)
    return q, expected, clicked, kind_a


def test_viewers_like_the_clickers_are_predicted_likelier() -> None:
    q, expected, clicked, kind_a = two_kinds(4000, 0.15, 0.03)
    look = fit_one(q, expected, clicked)
    factors = np.array([look.factor(v) for v in q])
    assert factors[kind_a].mean() > 4 * factors[~kind_a].mean()  # 5x in truth
    # The campaign's level stays where its click level put it.
    assert (expected * factors).sum() == pytest.approx(expected.sum())
    assert factors.max() <= np.exp(LOOKALIKE_CLIP) + 1e-9


def test_clicks_that_say_nothing_of_the_viewer_move_little() -> None:
    q, expected, clicked, _ = two_kinds(4000, 0.09, 0.09)
    look = fit_one(q, expected, clicked)
    factors = np.array([look.factor(v) for v in q])
    assert np.abs(np.log(factors)).mean() < 0.15


def test_a_handful_of_clicks_moves_the_prediction_less_than_many() -> None:
    q, expected, clicked, kind_a = two_kinds(4000, 0.15, 0.03)

    def gap(n: int) -> float:
        look = fit_one(q[:n], expected[:n], clicked[:n])
        f = np.array([look.factor(v) for v in q])
        return float(np.log(f[kind_a].mean() / f[~kind_a].mean()))

    assert 0 < gap(60) < gap(4000)


def test_campaigns_without_enough_clicks_or_vectors_get_no_lookalike() -> None:
    q, expected, clicked, _ = two_kinds(400, 0.15, 0.03)
    campaign = np.where(np.arange(400) < 200, 1, 2)
    clicked[campaign == 2] = 0
    clicked[np.flatnonzero(campaign == 2)[: MIN_CLICKS - 1]] = 1
    q[:100] = np.nan  # logged before vectors were
    fits = fit_lookalikes(campaign, q, expected, clicked)
    assert set(fits) == {1}
    assert fits[1].factor(np.zeros(5)) == 1.0  # a vector of another model's size
    assert fit_lookalikes(campaign, np.empty((400, 0)), expected, clicked) == {}


def test_logged_vectors_read_back_with_gaps_for_missing_ones() -> None:
    v = np.array([1.0, -2.0, 0.5], dtype=np.float32).tobytes()
    m = query_matrix([v, None, v[:8]])
    assert m[0].tolist() == [1.0, -2.0, 0.5]
    assert np.isnan(m[1:]).all()
    assert query_matrix([None, None]).shape == (2, 0)


def test_the_auction_logs_the_viewer_and_learns_who_clicks(market) -> None:
    """Viewers who like topic 1 click the ad, the others never do: the fit on
    the logged vectors predicts a topic-1 viewer likelier than the others, and
    the next auction bids with it on a newcomer who likes topic 1."""
    client, settings, adv = market
    create_campaign(client, adv, budget=100_000)
    serve_everyone(client, lambda u: u % 3 == 1)
    store = Store(settings.resolved_database_url)
    (c,) = CampaignRecords(store).list(None)
    ads = client.app.state.services.feed.ads
    b = billed_impressions(store, [c.id], ads._model_version)
    assert b.query.shape[0] == 30 and not np.isnan(b.query).any()
    d = Predictor()
    st = CampaignState(
        c,
        np.array([0]),
        BudgetPlan(c.budget_minor, c.start_at, c.end_at),
        Bidder(Strategy.highest_volume),
    )
    d.fit(store, {c.id: st}, ads._model_version, datetime.now(UTC))
    look = d.lookalikes[c.id]
    factor = np.array([look.factor(v) for v in b.query])
    clicker = b.clicked == 1
    assert factor[clicker].min() > factor[~clicker].max()
    # The live auction bids with it: the logged p(result) is the viewer's.
    ads.predict.lookalikes = d.lookalikes
    ads.publish()
    # A newcomer who likes topic 1 too.
    topic = list(TOPICS)[1]
    history = [
        {"event_id": f"new-{k}", "user_id": "u30", "item_id": f"{topic}-{k}"}
        | {"action": "click", "timestamp": iso(NOW - timedelta(hours=1))}
        for k in range(8)
    ]
    assert client.post("/v1/events", json={"events": history}).status_code == 200
    page = client.get("/v1/feed", params={"user_id": "u30", "n": 10}).json()
    assert sponsored(page)
    slot = last_slot(store, "score", "p_result", "query")
    store.close()
    (live,) = ads._states.values()
    q = query_matrix([slot.query])[0]
    score = np.array([slot.score])
    with_it = ads.predict.p_result(live, score, query=q)[0]
    assert slot.p_result == pytest.approx(with_it)
    assert with_it > 1.5 * ads.predict.p_result(live, score)[0]
