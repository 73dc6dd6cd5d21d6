"""Money is booked on the server's clock, to the slot's own day, for the slot's own viewer.

Attacks of a client that controls event timestamps and ids: back-dating
impressions so that every day gets its own daily budget, dating them outside
the flight, reporting a slot logged outside the flight, and charging a slot
under another user than the one it was served to (a competitor burning an
advertiser's budget with impressions nobody saw). Each runs on SQLite and
PostgreSQL, through the real API.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.ads.market import NOW, create_campaign, impression, log_feed
from tests.reliability.conftest import (
    FOOD_FANS,
    charges,
    external_id,
    only_campaign,
    run_threads,
    serve,
    spend_rows,
)
from unifeed.ads.ledger import Ledger
from unifeed.store.db import utcnow
from unifeed.store.feed_log import FeedLog

DAILY_MINOR = 40


def test_backdated_impressions_never_overspend_a_daily_budget(market, market_store) -> None:
    """Eight clients report every ad they are shown, dated 1 to 60 days back:
    each charge is booked to the day its slot was served (today), so the day's
    budget caps them all. At 1c6da54 every back-dated day had its own cap."""
    client, _, adv = market
    create_campaign(client, adv, budget=DAILY_MINOR, kind="daily")
    began = utcnow()

    def work(w: int, errors: list[str]) -> None:
        for k in range(6):
            user = FOOD_FANS[(w + k) % len(FOOD_FANS)]
            page = client.get("/v1/feed", params={"user_id": user, "n": 10, "include_seen": True})
            back = timedelta(days=1 + (w * 6 + k) % 60)
            events = [
                impression(
                    f"w{w}-{k}-{i}", user, it["item_id"], page.json()["request_id"], NOW - back
                )
                for i, it in enumerate(page.json()["items"])
                if it["sponsored"]
            ]
            if events:
                r = client.post("/v1/events", json={"events": events})
                if r.status_code != 200:
                    errors.append(r.text)

    assert run_threads(8, work) == []
    ended = utcnow()
    c = only_campaign(market_store)
    booked = charges(market_store, c.id)
    assert booked, "no ad was charged at all"
    assert all(began <= at <= ended for at, *_ in booked), booked
    rows = spend_rows(market_store, c.id)
    days = {k: v for k, v in rows.items() if k != "all"}
    assert len(days) <= 2  # today (and tomorrow, should the test run across midnight)
    assert all(v <= DAILY_MINOR for v in days.values()), rows
    assert rows["all"] == sum(days.values()) == Ledger(market_store).total(c.id)


def test_impressions_dated_outside_the_flight_are_booked_when_served(market, market_store) -> None:
    """Dated 1970, 2199 or before the campaign's start, an impression of a
    slot served now is charged once, at the time its slot was served."""
    client, _, adv = market
    create_campaign(client, adv, budget=100_000)
    slots = serve(client, market_store, FOOD_FANS[:3])
    assert len(slots) == 3, slots
    dates = [
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2199, 12, 31, tzinfo=UTC),
        NOW - timedelta(days=2),
    ]
    events = [
        impression(f"i{k}", s.user, s.item_id, s.request_id, at)
        for k, (s, at) in enumerate(zip(slots, dates, strict=True))
    ]
    assert client.post("/v1/events", json={"events": events}).status_code == 200
    booked = charges(market_store, only_campaign(market_store).id)
    assert sorted(at for at, *_ in booked) == sorted(s.served_at for s in slots)
    assert sum(amount for _, amount, *_ in booked) == sum(s.price_minor for s in slots)


def test_a_slot_logged_outside_the_flight_is_never_charged(market, market_store) -> None:
    """A slot a stale server logged before the flight began or after it ended
    (the auction's record says so) is not charged, whatever its events say."""
    client, _, adv = market
    create_campaign(client, adv, budget=100_000)
    c = only_campaign(market_store)
    item = c.creative_item_ids[0]
    external = external_id(market_store, item)
    for k, at in enumerate([c.start_at - timedelta(hours=1), c.end_at + timedelta(minutes=1)]):
        rid = f"stale{k}"
        FeedLog(market_store).record(
            request_id=rid,
            root_request_id=rid,
            page=0,
            user_external_id="u0",
            ranker="model",
            model_version=None,
            item_pks=[item],
            scores=[1.0],
            ad_slots=[
                {
                    "position": 0,
                    "campaign_id": c.id,
                    "item_id": item,
                    "price_minor": 7,
                    "charge_on": "impression",
                    "score": 1.0,
                    "p_result": 0.1,
                    "bid_minor": 70.0,
                }
            ],
            at=at,
        )
        seen = impression(f"stale-{k}", "u0", external, rid, at)
        assert client.post("/v1/events", json={"events": [seen]}).status_code == 200
    assert charges(market_store, c.id) == []


def test_an_impression_naming_another_viewer_charges_nothing(market, market_store) -> None:
    """u3 reports u0's ad slot: nothing is charged, and u0's own impression
    still charges it, under u0. At 1c6da54 u3's charged it and u0's was a no-op."""
    client, _, adv = market
    create_campaign(client, adv, budget=100_000)
    (slot,) = serve(client, market_store, ["u0"])
    forged = impression("forged", "u3", slot.item_id, slot.request_id)
    assert client.post("/v1/events", json={"events": [forged]}).status_code == 200
    c = only_campaign(market_store)
    assert charges(market_store, c.id) == []
    real = impression("real", "u0", slot.item_id, slot.request_id)
    assert client.post("/v1/events", json={"events": [real]}).status_code == 200
    assert [(a, who) for _, a, who, _ in charges(market_store, c.id)] == [(slot.price_minor, "u0")]


def test_a_competitor_cannot_burn_a_budget_with_forged_impressions(market, market_store) -> None:
    """Eight attacking clients who learned the request ids of five real ad
    slots flood them with impressions under their own users, under made-up
    request ids, on a page that never held the ad, re-sent and back-dated.
    None of it is charged; the real viewers' impressions then charge exactly
    their slots, once each."""
    client, _, adv = market
    create_campaign(client, adv, budget=100_000)
    slots = serve(client, market_store, FOOD_FANS[:5])
    assert len(slots) == 5
    log_feed(market_store, "empty-page", utcnow())  # a page of u0's that held no ad

    def work(w: int, errors: list[str]) -> None:
        for k, s in enumerate(slots):
            back = NOW - timedelta(days=k + 1)
            forged = [
                impression(f"a{w}-{k}-bot", f"bot{w}", s.item_id, s.request_id, back),
                impression(f"a{w}-{k}-fan", FOOD_FANS[-1 - k], s.item_id, s.request_id),
                impression(f"a{w}-{k}-rid", s.user, s.item_id, uuid.uuid4().hex),
                impression(f"a{w}-{k}-page", "u0", s.item_id, "empty-page"),
            ]
            r = client.post("/v1/events", json={"events": forged + forged})
            if r.status_code != 200:
                errors.append(r.text)

    assert run_threads(8, work) == []
    c = only_campaign(market_store)
    assert charges(market_store, c.id) == []
    real = [impression(f"real{k}", s.user, s.item_id, s.request_id) for k, s in enumerate(slots)]
    assert client.post("/v1/events", json={"events": real}).status_code == 200
    booked = charges(market_store, c.id)
    assert sorted((who, rid) for _, _, who, rid in booked) == sorted(
        (s.user, s.request_id) for s in slots
    )
    assert Ledger(market_store).spent(c.id) == sum(s.price_minor for s in slots)
