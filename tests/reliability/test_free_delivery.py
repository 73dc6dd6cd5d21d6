"""No ads for free: what is served is what the budget can still pay for.

An app that reports its impressions late (in batches, after a network
outage) must not be handed ads past the budget that the ledger then refuses
to charge, and an app that reports only clicks must not get the impressions
behind them for nothing. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from tests.ads.market import create_campaign, impression
from tests.reliability.conftest import FOOD_FANS, charges, only_campaign, run_threads, serve
from unifeed.ads.ledger import Ledger

BUDGET = 10  # minor units: ten of the market's one-unit ad slots


def report_all(client, slots, tag: str) -> None:
    events = [impression(f"{tag}{k}", s.user, s.item_id, s.request_id) for k, s in enumerate(slots)]
    for start in range(0, len(events), 100):
        assert (
            client.post("/v1/events", json={"events": events[start : start + 100]}).status_code
            == 200
        )


def free_minor(store, campaign_id: int, slots) -> int:
    """The price of the served slots that were reported but never charged."""
    billed = {rid for *_, rid in charges(store, campaign_id)}
    return sum(s.price_minor for s in slots if s.request_id not in billed)


def test_late_reports_get_no_free_delivery(market, market_store) -> None:
    """Forty pages served before any impression arrives: the auction counts
    the slots it served as spent until they are reported, so it stops at the
    budget, and every impression reported afterwards is charged. At 1c6da54
    it served an ad on every page, and the ledger refused all but a few."""
    client, _, adv = market
    create_campaign(client, adv, budget=BUDGET)
    slots = serve(client, market_store, FOOD_FANS * 4)
    assert slots, "no ad served at all"
    report_all(client, slots, "late")
    c = only_campaign(market_store)
    assert sum(s.price_minor for s in slots) <= BUDGET
    assert free_minor(market_store, c.id, slots) == 0
    assert Ledger(market_store).spent(c.id) == sum(s.price_minor for s in slots)


def test_eight_clients_reporting_late_get_at_most_a_race_of_free_delivery(
    market, market_store
) -> None:
    """Eight concurrent clients, reports after all of them: only pages whose
    auctions ran at the same moment can share the budget's last room, so at
    most seven slots past the budget go unpaid."""
    client, _, adv = market
    create_campaign(client, adv, budget=BUDGET)
    served: list = []

    def work(w: int, errors: list[str]) -> None:
        users = [FOOD_FANS[(w + k) % len(FOOD_FANS)] for k in range(5)]
        served.extend(serve(client, market_store, users))

    assert run_threads(8, work) == []
    report_all(client, served, "late")
    c = only_campaign(market_store)
    top = max(s.price_minor for s in served)
    assert free_minor(market_store, c.id, served) <= 7 * top
    assert 0 < Ledger(market_store).spent(c.id) <= BUDGET


def test_a_click_alone_pays_for_the_slot_it_proves_was_seen(market, market_store) -> None:
    """An app that reports the click but never the impression is charged
    for the slot all the same, once."""
    client, _, adv = market
    create_campaign(client, adv, budget=100_000)
    (slot,) = serve(client, market_store, ["u0"])
    seen = impression("imp", "u0", slot.item_id, slot.request_id)
    click = {**seen, "event_id": "click", "action": "click"}
    assert client.post("/v1/events", json={"events": [click]}).status_code == 200
    c = only_campaign(market_store)
    assert Ledger(market_store).spent(c.id) == slot.price_minor
    assert client.post("/v1/events", json={"events": [seen, click]}).status_code == 200
    assert Ledger(market_store).spent(c.id) == Ledger(market_store).total(c.id) == slot.price_minor
