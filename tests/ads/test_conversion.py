"""p(result | click, viewer): learned from who converted after clicking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import update

from tests.ads.market import create_campaign, impression, sponsored
from unifeed.ads.campaign_state import billed_impressions
from unifeed.ads.conversion import SETTLE, ConversionCurve, clicks, fit
from unifeed.ads.records.campaigns import CampaignRecords
from unifeed.store import Store, schema
from unifeed.store.db import as_utc


def viewers(n: int, slope: float, base: float, rng: np.random.Generator, campaign: int = 1):
    """n viewers who clicked: scores ~ N(0, 1), converting at sigmoid(base + slope·score)."""
    s = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(base + slope * s)))).astype(float)
    return np.full(n, campaign), s, y


def test_the_rate_follows_the_score_and_leans_on_the_average_while_clicks_are_few() -> None:
    rng = np.random.default_rng(0)
    c1, s1, y1 = viewers(3000, slope=1.5, base=-1.0, rng=rng, campaign=1)
    c2, s2, y2 = viewers(5, slope=1.5, base=1.0, rng=rng, campaign=2)  # five clicks
    curve = fit(np.r_[c1, c2], np.r_[s1, s2], np.r_[y1, y2], {1: 0.3, 2: 0.2})
    assert curve.slope == pytest.approx(1.5, abs=0.2)
    r = curve.rate(1, 0.3, np.array([-1.0, 0.0, 1.0]))
    assert r[0] < r[1] < r[2]
    assert r[1] == pytest.approx(1 / (1 + np.exp(1.0)), abs=0.04)
    # Five clicks (four converted) move campaign 2 only part of the way from
    # its average of 0.2 (at an average viewer).
    assert y2.sum() == 4
    assert 0.2 < curve.rate(2, 0.2, np.array([0.0]))[0] < 0.4
    # A campaign the fit never saw keeps its average, whatever the score.
    assert list(curve.rate(3, 0.1, np.array([-2.0, 2.0]))) == [0.1, 0.1]


def test_no_signal_no_slope() -> None:
    rng = np.random.default_rng(1)
    c, s, y = viewers(2000, slope=0.0, base=-1.0, rng=rng)
    assert abs(fit(c, s, y, {1: 0.27}).slope) < 0.15
    assert fit(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), {}) == ConversionCurve()


def test_clicks_are_labelled_by_the_results_credited_after_them(market) -> None:
    """One row per click; a result credited after it (and before the
    viewer's next click) is its conversion; a click too recent to have
    converted yet is left out, even one that has. A click's time is its
    slot's, on the server's clock."""
    client, settings, adv = market
    create_campaign(client, adv, budget=100_000, objective="leads")
    store = Store(settings.resolved_database_url)
    now = datetime.now(UTC)
    events = []
    # u3 clicks twice, an hour apart, and leaves a lead after the second click.
    visits = [("u0", -60), ("u3", -60), ("u6", -60), ("u9", -60), ("u3", 0)]
    for k, (u, minutes) in enumerate(visits):
        at = now + timedelta(minutes=minutes)
        page = client.get("/v1/feed", params={"user_id": u, "n": 10}).json()
        served_at(store, page["request_id"], at)  # as if the page had been served then
        ad = sponsored(page)[0]["item_id"]
        imp = impression(f"i{k}", u, ad, page["request_id"], at)
        events += [imp, {**imp, "event_id": f"c{k}", "action": "click"}]
        if k == 4:
            lead = {**imp, "event_id": "lead", "action": "lead"}
            events.append({**lead, "timestamp": (at + timedelta(minutes=5)).isoformat()})
    client.post("/v1/events", json={"events": events})
    (c,) = CampaignRecords(store).list(None)
    version = client.app.state.services.feed.ads._model_version
    billed = billed_impressions(store, [c.id], version)
    cids, scores, converted = clicks(store, billed, [c.id], now + SETTLE)
    assert len(cids) == 5 and sorted(converted) == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert np.all(np.isfinite(scores))
    # Before the last click has settled it waits, though its lead came: a
    # fit on recent conversions alone would read the rate as 1.
    _, _, early = clicks(store, billed, [c.id], now + SETTLE - timedelta(minutes=30))
    assert sorted(early) == [0.0, 0.0, 0.0, 0.0]
    store.close()


def served_at(store: Store, request_id: str, at: datetime) -> None:
    """Move a logged page to `at`: the feed log's time is what its ad slot is charged at."""
    fr = schema.feed_requests
    with store.write() as conn:
        conn.execute(update(fr).where(fr.c.request_id == request_id).values(created_at=as_utc(at)))
