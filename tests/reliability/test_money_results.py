"""Results need the ad slot they are attributed to, and money never mixes currencies.

Attacks of a client that reports results: a click on an ad nobody showed
the clicker (or shown to someone else), a purchase after such a click, an
absurd purchase value, a value in another currency summed into a return on
spend, and a currency that does not exist. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.ads.market import NOW, create_campaign, impression, iso
from tests.reliability.conftest import serve
from unifeed.ads.money import MAX_RESULT_VALUE_MINOR
from unifeed.store import Store

BRIEF = {"product": "Pasta", "description": "fresh pasta", "landing_url": "https://pasta.example"}


def act(base: dict, event_id: str, action: str, seconds: int, **over: object) -> dict:
    """An event after `base` (an impression): the same user, item and page unless `over` says."""
    at = iso(NOW + timedelta(seconds=seconds))
    return {**base, "event_id": event_id, "action": action, "timestamp": at, **over}


def results(client, adv, cid: str) -> tuple[int, float]:
    report = client.get(f"/v1/campaigns/{cid}/report", headers=adv).json()
    return report["results"], report["value_minor"]


def test_a_click_on_an_ad_never_shown_is_not_a_result(market, market_store: Store) -> None:
    """Clicks on the ad by someone it was not served to (naming another
    viewer's page, a made-up page, or no page) are not traffic results; the
    real viewer's click on their own slot is."""
    client, _, adv = market
    cid = create_campaign(client, adv, budget=100_000)
    (slot,) = serve(client, market_store, ["u0"])
    real = impression("imp", "u0", slot.item_id, slot.request_id)
    forged = [
        act(real, "c-other", "click", 1, user_id="u3"),
        act(real, "c-made-up", "click", 1, user_id="u6", request_id=uuid.uuid4().hex),
        act(real, "c-nopage", "click", 1, user_id="u9", request_id=None),
    ]
    # The forgers also claim an impression first, as a careful fraudster would.
    claimed = [{**f, "event_id": f"{f['event_id']}-imp", "action": "impression"} for f in forged]
    assert client.post("/v1/events", json={"events": claimed + forged}).status_code == 200
    assert results(client, adv, cid) == (0, 0.0)
    r = client.post("/v1/events", json={"events": [real, act(real, "c-real", "click", 2)]})
    assert r.status_code == 200
    assert results(client, adv, cid)[0] == 1


def test_a_purchase_after_a_click_on_an_ad_never_shown_is_not_credited(
    market, market_store: Store
) -> None:
    """A sales campaign: u3 clicks u0's ad without having been served it and
    then buys; the purchase is nobody's result. u0's purchase after their own
    click is the campaign's."""
    client, _, adv = market
    cid = create_campaign(client, adv, budget=100_000, objective="sales")
    (slot,) = serve(client, market_store, ["u0"])
    real = impression("imp", "u0", slot.item_id, slot.request_id)
    forged = act(real, "c-forged", "click", 1, user_id="u3")
    buy = act(forged, "p-forged", "purchase", 60)
    assert client.post("/v1/events", json={"events": [forged, buy]}).status_code == 200
    assert results(client, adv, cid) == (0, 0.0)
    click = act(real, "c-real", "click", 1)
    bought = act(click, "p-real", "purchase", 60, value=3_000, currency="EUR")
    r = client.post("/v1/events", json={"events": [real, click, bought]})
    assert r.status_code == 200
    assert results(client, adv, cid) == (1, 3_000.0)


@pytest.mark.parametrize(
    ("value", "currency"),
    [
        (10**12, "EUR"),  # the purchase worth 10^12
        (MAX_RESULT_VALUE_MINOR + 1, "EUR"),
        (-500, "EUR"),
        (12.5, "EUR"),  # minor units are whole
        (5_000, None),  # an amount without a currency means nothing
        (None, "EUR"),
        (5_000, "ABC"),  # not a currency
    ],
)
def test_absurd_result_values_are_refused(client, value, currency) -> None:
    event = {
        "event_id": "p1",
        "user_id": "u0",
        "item_id": "i0",
        "action": "purchase",
        "timestamp": iso(NOW),
        "value": value,
        "currency": currency,
    }
    event = {k: v for k, v in event.items() if v is not None}
    client.post("/v1/items", json={"items": [{"id": "i0", "text": "shoes"}]})
    r = client.post("/v1/events", json={"events": [event]})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][:3] == ["body", "events", 0]
    ok = {**event, "value": MAX_RESULT_VALUE_MINOR, "currency": "JPY"}
    assert client.post("/v1/events", json={"events": [ok]}).status_code == 200


def test_a_value_in_another_currency_is_not_summed_into_roas(market, market_store: Store) -> None:
    """A EUR campaign: a purchase reported in USD is a result, but its value
    is not added to the campaign's EUR, so its return on spend does not move."""
    client, _, adv = market
    cid = create_campaign(client, adv, budget=100_000, objective="sales")
    (slot,) = serve(client, market_store, ["u0"])
    real = impression("imp", "u0", slot.item_id, slot.request_id)
    click = act(real, "click", "click", 1)
    usd = act(click, "p-usd", "purchase", 60, value=400_000, currency="USD")
    eur = act(click, "p-eur", "purchase", 90, value=3_000, currency="EUR")
    r = client.post("/v1/events", json={"events": [real, click, usd, eur]})
    assert r.status_code == 200, r.text
    report = client.get(f"/v1/campaigns/{cid}/report", headers=adv).json()
    assert (report["results"], report["value_minor"]) == (2, 3_000.0)
    assert report["roas"] == pytest.approx(3_000 / report["spend_minor"])


@pytest.mark.parametrize("currency", ["ABC", "XAU", "XTS", "HRK"])
def test_a_budget_is_in_an_iso_4217_currency(client, currency: str) -> None:
    """Not any three capital letters: a metal, a test code, a withdrawn
    currency (the kuna) or a made-up one is a 422 naming the field."""
    key = client.post("/v1/advertisers", json={"id": "a", "name": "A"}).json()["api_key"]
    adv = {"Authorization": f"Bearer {key}"}
    body = {
        "name": "spring",
        "objective": "traffic",
        "budget": {"amount_minor": 1_000, "currency": currency},
        "schedule": {"start": iso(NOW), "end": iso(NOW + timedelta(days=7))},
        "brief": BRIEF,
    }
    r = client.post("/v1/campaigns", json=body, headers=adv)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "budget", "currency"]
    body["budget"]["currency"] = "JPY"
    assert client.post("/v1/campaigns", json=body, headers=adv).status_code == 201
