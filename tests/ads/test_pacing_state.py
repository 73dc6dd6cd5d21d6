"""Pacing state survives a restart: a new server resumes each campaign's controllers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from tests.ads.market import NOW, SteppedClock, create_campaign, seed_market
from tests.api.conftest import AUTH, make_settings
from unifeed.ads.campaign_state import CampaignState
from unifeed.ads.learner import START_COST, START_PACE
from unifeed.ads.records.campaigns import CampaignRecords
from unifeed.api import create_app
from unifeed.store import Store


def campaign_state(client: TestClient, pk: int) -> CampaignState:
    return client.app.state.services.feed.ads._states[pk]  # type: ignore[attr-defined]


def test_a_restarted_server_resumes_pacing_where_it_stood(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url)
    clock = SteppedClock(NOW)
    with TestClient(create_app(settings, clock=clock), headers=AUTH) as client:
        adv = seed_market(client, settings)
        create_campaign(client, adv, budget=100_000, objective="awareness")
        create_campaign(client, adv, budget=100_000, objective="traffic")
        create_campaign(
            client,
            adv,
            budget=100_000,
            bid_strategy={"type": "cost_per_result", "cost_per_result_minor": 50},
        )
        store = Store(settings.resolved_database_url)
        pks = [c.id for c in CampaignRecords(store).list(None)]
        store.close()
        # Three pacing steps without spend: each campaign is behind its curve.
        for _ in range(3):
            client.get("/v1/feed", params={"user_id": "u0", "n": 10})
            clock.t += timedelta(minutes=11)
        client.get("/v1/feed", params={"user_id": "u0", "n": 10})
        before = {}
        for pk in pks:
            st = campaign_state(client, pk)
            before[pk] = (st.bidder.bid_pace, st.bidder.rate, st.bidder.cost_multiplier)
    awareness, volume, traffic = (before[pk] for pk in pks)
    assert awareness[1] > 0.1  # the throttle climbed from its starting share
    # A highest-volume campaign's pace climbed from where it starts, on its bid.
    assert volume[0] > START_PACE and volume[1] == 1.0
    # The goal campaign's cost dual climbed from its floor while it won
    # nothing; its budget dual stays at 1 (a budget only lowers a goal's bid).
    assert traffic[0] == 1.0 and traffic[2] is not None and traffic[2] > START_COST
    # A new server on the same store: the controllers carry on from there.
    with TestClient(create_app(settings, clock=clock), headers=AUTH) as client:
        client.get("/v1/feed", params={"user_id": "u0", "n": 10})
        for pk in pks:
            st = campaign_state(client, pk)
            now = (st.bidder.bid_pace, st.bidder.rate, st.bidder.cost_multiplier)
            assert now == before[pk]
