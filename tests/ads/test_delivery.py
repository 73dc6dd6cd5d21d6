"""Ads through the whole stack: auction in the feed, charges, attribution, budget."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from tests.ads.market import (
    NOW,
    create_campaign,
    impression,
    iso,
    last_slot,
    log_feed,
    page_seen,
    sponsored,
)
from unifeed.ads import prediction
from unifeed.ads.auction import AdLoad, run_auction
from unifeed.ads.auction import Bidder as AuctionBidder
from unifeed.ads.campaign_state import billed_impressions
from unifeed.ads.delivery import bid, quote
from unifeed.ads.learner import START_COST
from unifeed.ads.ledger import Charge, ChargeOutcome, Ledger
from unifeed.ads.records.campaigns import CampaignRecords
from unifeed.store import Store, schema


def test_an_ad_is_auctioned_charged_once_and_credited(market) -> None:
    client, settings, adv = market
    cid = create_campaign(client, adv, budget=100_000)
    page = client.get("/v1/feed", params={"user_id": "u0", "n": 10}).json()  # u0 likes food
    ads = sponsored(page)
    assert len(ads) >= 1, page
    assert all(a["item_id"].startswith(f"ad-{cid}") for a in ads)
    assert len(page["items"]) == 10
    ad = ads[0]["item_id"]
    imp = impression("imp-1", "u0", ad, page["request_id"])
    click = {
        **imp,
        "event_id": "click-1",
        "action": "click",
        "timestamp": iso(NOW + timedelta(seconds=5)),
    }
    assert client.post("/v1/events", json={"events": [imp, click]}).json()["accepted"] == 2
    store = Store(settings.resolved_database_url)
    ledger = Ledger(store)
    pk = CampaignRecords(store).list(None)[0].id
    spent = ledger.spent(pk)
    assert spent > 0 and ledger.total(pk) == spent
    # The same impression again, even under a new event id, is not charged again.
    again = {**imp, "event_id": "imp-1-resent"}
    client.post("/v1/events", json={"events": [imp, again, click]})
    assert ledger.spent(pk) == spent
    assert store.count("attributions") == 1  # the click is the traffic campaign's result
    # A click on a post seen after the ad is the post's, not the ad's result.
    organic = next(i["item_id"] for i in page["items"] if not i["sponsored"])
    later = {**click, "event_id": "click-2", "item_id": organic, "timestamp": iso(NOW)}
    client.post("/v1/events", json={"events": [later]})
    assert store.count("attributions") == 1
    store.close()
    report = client.get(f"/v1/campaigns/{cid}/report", headers=adv).json()
    assert report["spend_minor"] == spent
    assert (report["impressions"], report["reach"], report["results"]) == (1, 1, 1)
    assert report["cost_per_result_minor"] == spent
    assert report["attribution"]["click_days"] == 7
    assert report["pacing"][-1]["spend_minor"] == spent
    assert report["audience"]["country"]["impressions"] == {"DE": 1.0}
    assert report["audience"]["age"]["population"]["25-34"] > 0
    chart = client.get(f"/v1/campaigns/{cid}/report.png", headers=adv)
    assert chart.status_code == 200, chart.text
    assert chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_no_ads_for_users_the_law_excludes(market) -> None:
    client, _, adv = market
    create_campaign(client, adv, budget=100_000, constraints={"countries": ["FR"]})
    page = client.get("/v1/feed", params={"user_id": "u0", "n": 10}).json()
    assert sponsored(page) == []


def test_concurrent_feeds_never_overspend_a_tiny_budget(market) -> None:
    client, settings, adv = market
    create_campaign(client, adv, budget=40)
    errors: list[str] = []

    def worker(w: int) -> None:
        try:
            work(w)
        except Exception as e:  # a crash in a thread must fail the test
            errors.append(repr(e))

    def work(w: int) -> None:
        for k in range(6):
            user = f"u{(w * 3) % 30}"
            _, evs = page_seen(client, user, f"w{w}-{k}")
            r = client.post("/v1/events", json={"events": evs})
            if r.status_code != 200:
                errors.append(r.text)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = Store(settings.resolved_database_url)
    ledger = Ledger(store)
    c = CampaignRecords(store).list(None)[0]
    assert 0 < ledger.total(c.id) == ledger.spent(c.id) <= 40
    store.close()


def test_the_auction_logs_the_viewers_earlier_views_of_the_campaign(market) -> None:
    """What p(click) was discounted for is what the wear-out is later fitted on."""
    client, settings, adv = market
    create_campaign(client, adv, budget=100_000)
    first = client.get("/v1/feed", params={"user_id": "u0", "n": 10}).json()
    (ad,) = sponsored(first)
    seen = impression("imp-1", "u0", ad["item_id"], first["request_id"])
    client.post("/v1/events", json={"events": [seen]})
    again = client.get("/v1/feed", params={"user_id": "u0", "n": 10, "include_seen": True})
    assert len(sponsored(again.json())) == 1
    store = Store(settings.resolved_database_url)
    slot = schema.ad_slots
    with store.engine.connect() as conn:
        logged = conn.execute(select(slot.c.exposures).order_by(slot.c.feed_request_id)).all()
    store.close()
    assert [e for (e,) in logged] == [0, 1]


def test_refits_run_off_the_request_path(market, monkeypatch) -> None:
    """On the wall clock, refitting calibration and click levels never holds up a feed."""
    client, _, adv = market
    create_campaign(client, adv, budget=100_000)
    ads = client.app.state.services.feed.ads
    release = threading.Event()
    real = prediction.billed_impressions

    def slow(*args, **kwargs):
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(prediction, "billed_impressions", slow)
    page = client.get("/v1/feed", params={"user_id": "u0", "n": 10})
    assert page.status_code == 200
    assert ads.clock.running("ads-calibrate")  # still fitting
    release.set()
    ads.wait_for_refit()
    assert not ads.clock.running("ads-calibrate")


def test_budgets_aim_at_the_traffic_the_feed_log_shows(market) -> None:
    """The background refit learns the day's shape from the feed log's past
    days, and the next refresh hands it to every budget's plan."""
    client, settings, adv = market
    create_campaign(client, adv, budget=100_000)
    busy = (datetime.now(UTC).hour + 5) % 24
    yesterday = datetime.now(UTC).replace(hour=busy, minute=30) - timedelta(days=1)
    store = Store(settings.resolved_database_url)
    for k in range(100):  # yesterday's feeds all came at one hour
        log_feed(store, f"past-{k}", yesterday)
    store.close()
    ads = client.app.state.services.feed.ads
    client.get("/v1/feed", params={"user_id": "u0", "n": 10})
    ads.wait_for_refit()
    assert int(np.argmax(ads.traffic.shares)) == busy
    ads.campaigns_changed()
    client.get("/v1/feed", params={"user_id": "u1", "n": 10})
    (st,) = ads._states.values()
    assert st.plan.curve is ads.traffic


def test_a_viewer_who_clicked_the_campaign_is_bid_on_as_one(market) -> None:
    """The auction reads the wear-out of viewers who clicked the campaign for
    one who did, and billed impressions mark the views that came after a click."""
    client, settings, adv = market
    create_campaign(client, adv, budget=100_000)
    ads = client.app.state.services.feed.ads
    page = client.get("/v1/feed", params={"user_id": "u0", "n": 10}).json()
    ad = sponsored(page)[0]["item_id"]
    imp = impression("imp-1", "u0", ad, page["request_id"], at=datetime.now(UTC))
    client.post("/v1/events", json={"events": [imp, {**imp, "event_id": "c-1", "action": "click"}]})
    # Repeat viewers click half as often, those who clicked three times as often.
    curve = np.array([1.0, 0.5, 0.5, 0.5, 1.0, 3.0, 3.0, 3.0])
    ads.predict.wearout, ads.predict.prior_wearout = curve.copy(), curve.copy()
    ads.publish()
    again = client.get("/v1/feed", params={"user_id": "u0", "n": 10}).json()
    (second,) = sponsored(again)  # the other creative: the clicked one is not shown again
    assert second["item_id"] != ad
    store = Store(settings.resolved_database_url)
    slot = last_slot(store, "score", "p_result", "exposures")
    (st,) = ads._states.values()
    score = np.array([slot.score])
    assert slot.exposures == 1
    clicker = ads.predict.p_result(st, score, 1, False, clicked_before=True)[0]
    assert slot.p_result == pytest.approx(clicker)
    assert slot.p_result == pytest.approx(6 * ads.predict.p_result(st, score, 1)[0])
    # Once billed, the second view is marked as one after a click, the first not.
    imp2 = impression("imp-2", "u0", second["item_id"], again["request_id"])
    client.post("/v1/events", json={"events": [imp2]})
    b = billed_impressions(store, [st.campaign.id], ads._model_version)
    store.close()
    assert b.clicked_before.tolist() == [True, False]  # newest first
    assert b.exposures.tolist() == [1, 0]


def test_a_new_goal_campaign_bids_under_its_goal(market) -> None:
    """Its cost dual starts at its floor (its p(result) is still a prior); its
    budget dual, which can only lower the bid, starts at 1 so as not to lower it again."""
    client, _, adv = market
    create_campaign(
        client,
        adv,
        budget=100_000,
        bid_strategy={"type": "cost_per_result", "cost_per_result_minor": 80},
    )
    client.get("/v1/feed", params={"user_id": "u0", "n": 10})
    ads = client.app.state.services.feed.ads
    (st,) = ads._states.values()
    assert st.bidder is not None and st.bidder.cost_multiplier == START_COST < 1.0
    assert st.bidder.pace == 1.0
    live = ads.snapshot.campaigns[st.campaign.id]
    assert bid(live, ads.config.reserve_minor) == 80 * START_COST


def test_a_quote_is_what_winning_the_slot_costs() -> None:
    """A winner's quote is what the auction charges it; a loser's, what the
    least winning bid would have cost it per impression."""
    bidders = [
        AuctionBidder(1, 0, 100.0, 0.1, 1.0),  # value 11
        AuctionBidder(2, 1, 50.0, 0.1, 2.0),  # value 7
        AuctionBidder(3, 2, 10.0, 0.2, 0.5),  # value 2.5
    ]
    win = run_auction(bidders, displaced_value_minor=3.0, reserve_minor=1.0)
    assert win is not None and win.bidder.campaign_id == 1
    quotes = {q.campaign_id: q for q in quote(bidders, 3.0, 1.0)}
    assert quotes[1].price_minor == pytest.approx(win.expected_cost_minor)
    assert quotes[1].p_result == 0.1
    # Campaign 2 must beat a value of 11: a bid per result just over 90,
    # which the auction would charge 9 per impression.
    assert quotes[2].price_minor == pytest.approx(9.0)
    raised = [bidders[0], AuctionBidder(2, 1, 90.5, 0.1, 2.0), bidders[2]]
    win2 = run_auction(raised, 3.0, 1.0)
    assert win2 is not None and win2.bidder.campaign_id == 2
    assert win2.expected_cost_minor == pytest.approx(quotes[2].price_minor)
    assert quotes[3].price_minor == pytest.approx(10.5)


def test_a_goal_campaign_learns_the_market_from_its_auctions(market) -> None:
    """Serving's auctions quote a cost-per-result campaign's price to its
    bidder's book; once the book holds a few results' worth, the bid's
    reference is the book's threshold instead of the goal."""
    client, _, adv = market
    create_campaign(
        client,
        adv,
        budget=100_000,
        bid_strategy={"type": "cost_per_result", "cost_per_result_minor": 80},
    )
    ads = client.app.state.services.feed.ads
    for u in range(90):
        client.get("/v1/feed", params={"user_id": f"u{u % 30}", "n": 10, "include_seen": True})
    (st,) = ads._states.values()
    book = st.bidder.book
    assert book is not None and sum(book.count) > 0
    assert book.weight == pytest.approx(sum(book.results))
    ads.publish()
    live = ads.snapshot.campaigns[st.campaign.id]
    assert book.weight >= st.bidder.settings.prior_results
    # Every slot here was nearly free (no rival, no reserve): the threshold
    # runs off the book, to twice the goal, where only the cost dual leads.
    assert live.reference_minor == st.bidder.reference() == 160.0
    assert bid(live, ads.config.reserve_minor) == pytest.approx(
        live.reference_minor * st.bidder.cost_multiplier * min(st.bidder.pace, 1.0)
    )


def test_a_new_reach_campaign_enters_a_share_of_the_auctions(market) -> None:
    """A reach campaign paces by throttling and starts low: a tenth of the auctions."""
    client, _, adv = market
    create_campaign(client, adv, budget=100_000, objective="awareness")
    pages = [client.get("/v1/feed", params={"user_id": "u0", "n": 10}).json() for _ in range(60)]
    with_ad = sum(len(sponsored(p)) for p in pages)
    assert 1 <= with_ad <= 15  # 6 expected; u0 posts no impression, so stays unreached


def test_awareness_buys_people_reached(eager_market) -> None:
    """Awareness counts a person once: a repeat is bought only when new people run out,
    and is never credited."""
    client, settings, adv = eager_market
    cid = create_campaign(client, adv, budget=100_000, objective="awareness")
    page = client.get("/v1/feed", params={"user_id": "u0", "n": 10}).json()
    ads = sponsored(page)
    assert len(ads) == 1, page  # one campaign: one slot at most
    imp = impression("imp-1", "u0", ads[0]["item_id"], page["request_id"])
    resent = {**imp, "event_id": "imp-1-resent", "timestamp": iso(NOW + timedelta(seconds=1))}
    client.post("/v1/events", json={"events": [imp, resent]})
    client.post("/v1/events", json={"events": [{**imp, "event_id": "imp-1-again"}]})
    # u0 has been reached: a repeat is worth a quarter of a new person, which
    # the starting bid cannot pay the reserve for.
    again = client.get("/v1/feed", params={"user_id": "u0", "n": 10, "include_seen": True})
    assert sponsored(again.json()) == []
    # Someone new still gets it.
    assert len(sponsored(client.get("/v1/feed", params={"user_id": "u3", "n": 10}).json())) == 1
    # A campaign that ran out of new people raises its bid (its budget dual
    # is behind, and a throttled campaign lifts its bid once it enters every
    # auction); then repeats are bought, so the budget is spent, but they
    # reach nobody new.
    ads = client.app.state.services.feed.ads
    (st,) = ads._states.values()
    assert st.bidder.throttle
    st.bidder.lift = 20.0  # u0 has three impressions on record: worth 1/16
    ads.publish()
    page = client.get("/v1/feed", params={"user_id": "u0", "n": 10, "include_seen": True}).json()
    (repeat,) = sponsored(page)
    when = iso(NOW + timedelta(seconds=5))
    seen = impression("imp-1-repeat", "u0", repeat["item_id"], page["request_id"], NOW)
    client.post("/v1/events", json={"events": [{**seen, "timestamp": when}]})
    report = client.get(f"/v1/campaigns/{cid}/report", headers=adv).json()
    assert (report["impressions"], report["reach"], report["results"]) == (2, 1, 1)
    assert report["spend_minor"] > 0
    store = Store(settings.resolved_database_url)
    assert store.count("attributions") == 1
    store.close()


def test_an_impression_the_budget_could_not_pay_for_reaches_nobody(eager_market) -> None:
    """Awareness results are paid impressions: one refused by the ledger is not credited."""
    client, settings, adv = eager_market
    cid = create_campaign(client, adv, budget=1_000, objective="awareness")
    pages = {u: client.get("/v1/feed", params={"user_id": u, "n": 10}).json() for u in ("u0", "u3")}
    assert all(len(sponsored(p)) == 1 for p in pages.values()), pages
    store = Store(settings.resolved_database_url)
    campaign = CampaignRecords(store).list(None)[0]
    slot, fr = schema.ad_slots, schema.feed_requests
    with store.engine.connect() as conn:
        price = conn.execute(
            select(slot.c.price_minor)
            .join(fr, fr.c.id == slot.c.feed_request_id)
            .where(fr.c.request_id == pages["u0"]["request_id"])
        ).scalar_one()
    # Everything but the price of u0's impression is spent elsewhere.
    filler = Charge("filler", campaign.id, "impression", 1_000 - price, NOW)
    assert Ledger(store).charge(filler, campaign.budget) is ChargeOutcome.charged
    events = [
        impression(
            f"imp-{u}",
            u,
            sponsored(page)[0]["item_id"],
            page["request_id"],
            NOW + timedelta(seconds=k),
        )
        for k, (u, page) in enumerate(pages.items())
    ]
    client.post("/v1/events", json={"events": events})
    report = client.get(f"/v1/campaigns/{cid}/report", headers=adv).json()
    assert report["spend_minor"] == 1_000
    assert report["results"] == 1  # u0's paid impression; u3's was refused
    assert store.count("attributions") == 1
    store.close()


def test_the_ad_gap_holds_across_the_pages_of_a_feed(market) -> None:
    """Paging through a feed four items at a time, no two ads stand closer
    than the ad load allows, also where one page ends and the next begins."""
    client, _, adv = market
    for _ in range(3):
        create_campaign(client, adv, budget=100_000)
    load = AdLoad()
    gap = max(load.min_gap, load.every)
    positions: list[int] = []
    shown, cursor = 0, None
    for _ in range(6):
        params = {"user_id": "u0", "n": 4} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/feed", params=params).json()
        positions += [shown + k for k, it in enumerate(page["items"]) if it["sponsored"]]
        shown += len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(positions) >= 2, positions
    assert all(b - a >= gap for a, b in itertools.pairwise(positions)), positions


def test_a_goal_campaigns_bidder_counts_the_expected_results_it_was_charged_for(market) -> None:
    """Learning hands the bidder the sum of p(result) of the billed impressions
    (not of every slot served), so its cost dual moves before any result comes."""
    client, settings, adv = market
    create_campaign(
        client,
        adv,
        budget=100_000,
        bid_strategy={"type": "cost_per_result", "cost_per_result_minor": 80},
    )
    ads = client.app.state.services.feed.ads
    page = client.get("/v1/feed", params={"user_id": "u0", "n": 10}).json()
    ad = sponsored(page)[0]["item_id"]
    store = Store(settings.resolved_database_url)
    billed = last_slot(store, "p_result")
    client.get("/v1/feed", params={"user_id": "u1", "n": 10})  # served, never seen
    imp = impression("imp-e", "u0", ad, page["request_id"], at=datetime.now(UTC))
    client.post("/v1/events", json={"events": [imp]})
    store.close()
    ads.campaigns_changed()
    client.get("/v1/feed", params={"user_id": "u2", "n": 10})
    (st,) = ads._states.values()
    assert st.bidder is not None
    assert st.expected == pytest.approx(billed.p_result)
