"""Pacing counts ads served but not reported yet, from the auction's own record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.ads.market import create_campaign, impression, sponsored
from unifeed.ads.ledger import Ledger
from unifeed.ads.records.campaigns import CampaignRecords
from unifeed.ads.unreported import (
    MAX_HOLD,
    PRIOR_SLOTS,
    REPORT_LAG,
    held,
    hold_start,
    report_frontier,
    show_rate,
    unreported_spend,
)
from unifeed.store import Store, schema

FOOD_FANS = ("u0", "u3", "u6", "u9", "u12", "u15")  # uN likes topic N % 3: food


def serve(client, users) -> list[tuple[str, str, str]]:
    """(request id, ad item id, user) of every ad the feeds of `users` held."""
    out = []
    for u in users:
        page = client.get("/v1/feed", params={"user_id": u, "n": 10}).json()
        out += [(page["request_id"], a["item_id"], u) for a in sponsored(page)]
    return out


def served_minor(store: Store, campaign: int) -> int:
    s = schema.ad_slots
    with store.engine.connect() as conn:
        q = select(func.sum(s.c.price_minor)).where(s.c.campaign_id == campaign)
        return int(conn.execute(q).scalar_one() or 0)


def test_served_spend_counts_until_its_impression_is_reported(market) -> None:
    client, settings, adv = market
    create_campaign(client, adv, budget=100_000)
    ads = serve(client, FOOD_FANS)
    assert len(ads) >= 2
    store = Store(settings.resolved_database_url)
    (pk,) = (c.id for c in CampaignRecords(store).list(None))
    served = served_minor(store, pk)
    now = datetime.now(UTC)
    # Nothing reported and no history of what share is seen: all of it counts.
    assert unreported_spend(store, [pk], now) == {pk: pytest.approx(served)}
    # One impression arrives: its charge moves from the estimate to the ledger.
    rid, item, user = ads[0]
    client.post("/v1/events", json={"events": [impression("i-0", user, item, rid, now)]})
    spent = Ledger(store).spent(pk)
    assert 0 < spent < served
    assert unreported_spend(store, [pk], now)[pk] == pytest.approx(served - spent)
    # Once the reporting lag is past, what was not reported is not counted.
    assert unreported_spend(store, [pk], now + REPORT_LAG + timedelta(minutes=1)) == {}
    # The budget dual sees it at the next refresh; the budget's spend does not.
    feed_ads = client.app.state.services.feed.ads
    feed_ads.campaigns_changed()
    client.get("/v1/feed", params={"user_id": "u1", "n": 10})
    st = feed_ads._states[pk]
    assert st.spent_minor == spent
    assert st.unreported_minor == pytest.approx(served - spent)
    store.close()


def test_the_share_of_served_ads_that_are_seen_is_learned(market) -> None:
    """Ads served an hour ago that never got an impression were not seen: the
    share seen scales what is served now."""
    client, settings, adv = market
    create_campaign(client, adv, budget=100_000)
    ads = serve(client, FOOD_FANS * 4)
    now = datetime.now(UTC)
    seen = ads[::2]
    events = [impression(f"i-{k}", u, item, rid, now) for k, (rid, item, u) in enumerate(seen)]
    client.post("/v1/events", json={"events": events})
    store = Store(settings.resolved_database_url)
    (pk,) = (c.id for c in CampaignRecords(store).list(None))
    later = now + REPORT_LAG + timedelta(minutes=20)  # these ads are in the hour before the lag
    rate = show_rate(store, [pk], later - REPORT_LAG)
    assert rate == pytest.approx((len(seen) + PRIOR_SLOTS) / (len(ads) + PRIOR_SLOTS))
    assert rate < 0.9
    store.close()


def test_a_served_slot_holds_its_price_until_reported_or_seen_past(market) -> None:
    """What the auction keeps back for slots on their way (unreported.held):
    their full price, until the impression arrives, or the app's reports
    have passed the slot (and the report lag) without it."""
    client, settings, adv = market
    create_campaign(client, adv, budget=100_000)
    ads = serve(client, FOOD_FANS[:3])
    assert len(ads) == 3
    store = Store(settings.resolved_database_url)
    c = CampaignRecords(store).list(None)[0]
    now = datetime.now(UTC)
    served = served_minor(store, c.id)
    # No report yet: nothing is known to be unseen, whatever the lag.
    assert report_frontier(store) is None
    assert held(store, c.id, c.budget, now + 4 * REPORT_LAG) == {"all": served}
    rid, item, user = ads[0]
    client.post("/v1/events", json={"events": [impression("i-0", user, item, rid, now)]})
    spent = Ledger(store).spent(c.id)
    frontier = report_frontier(store)
    assert frontier is not None and frontier <= now.replace(tzinfo=None)
    assert held(store, c.id, c.budget, now, frontier=frontier) == {"all": served - spent}
    pending = held(store, c.id, c.budget, now, frontier=frontier)
    assert Ledger(store).remaining(c.id, c.budget, now, pending) == 100_000 - served
    # The reports have reached the last page: once the lag is past, its
    # unreported slots were not seen and hold nothing. Reports still half an
    # hour behind would hold them.
    later = now + REPORT_LAG + timedelta(seconds=1)
    assert held(store, c.id, c.budget, later, frontier=now) == {}
    behind = now - timedelta(minutes=30)
    assert held(store, c.id, c.budget, later, frontier=behind) == {"all": served - spent}
    assert hold_start(later, REPORT_LAG, now - timedelta(days=1)) == (later - MAX_HOLD).replace(
        tzinfo=None
    )
    store.close()
