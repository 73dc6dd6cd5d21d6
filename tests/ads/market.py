"""A small ads market for the delivery tests: the serving tests' 3-topic world,
a trained model, and a pasta advertiser whose creatives suit the food fans."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Row, select

from tests.serving.test_model_feed import FAST, TOPICS, text
from unifeed.ads.campaign_spec import Brief
from unifeed.ads.campaigns import Campaign
from unifeed.ads.objective import OBJECTIVES
from unifeed.serving.training import train_from_store
from unifeed.settings import Settings
from unifeed.store import Store, schema
from unifeed.store.feed_log import FeedLog

NOW = datetime.now(UTC)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def a_campaign(start: datetime, **over: object) -> Campaign:
    """A live highest-volume traffic campaign of 3,000 over three days from
    `start`, as delivery and the report read it; `over` replaces fields."""
    base = Campaign(
        id=1,
        public_id="c1",
        advertiser_id=1,
        name="pasta",
        objective=OBJECTIVES["traffic"],
        currency="EUR",
        budget_kind="lifetime",
        budget_minor=3_000,
        start_at=start,
        end_at=start + timedelta(days=3),
        bid_strategy="highest_volume",
        cost_goal_minor=None,
        roas_goal=None,
        bid_cap_minor=None,
        brief=Brief(product="pasta"),
        click_window_days=7,
        view_window_days=1,
        status="active",
        created_at=start,
    )
    if isinstance(over.get("objective"), str):  # named, as the API names it
        over = {**over, "objective": OBJECTIVES[over["objective"]]}  # type: ignore[index]
    return replace(base, **over)


class SteppedClock:
    """A service clock the test moves: timers follow it and refits run at
    once, as on a simulation's (`unifeed.clock.Clock`)."""

    def __init__(self, now: datetime) -> None:
        self.t = now

    def now(self) -> datetime:
        return self.t

    def elapsed(self) -> timedelta:
        return self.t - NOW

    def run_beside(self, name: str, job: Callable[[], None]) -> bool:
        job()
        return True

    def wait(self, timeout: float = 60.0) -> None:
        pass


def sponsored(page: dict) -> list[dict]:
    """The ads of a feed page."""
    return [i for i in page["items"] if i["sponsored"]]


def impression(
    event_id: str, user: str, item: str, request_id: str, at: datetime = NOW
) -> dict[str, str]:
    """The event an app sends when `user` saw `item` of feed response `request_id`."""
    return {
        "event_id": event_id,
        "user_id": user,
        "item_id": item,
        "action": "impression",
        "timestamp": iso(at),
        "request_id": request_id,
    }


def page_seen(client: TestClient | httpx.Client, user: str, tag: str) -> tuple[dict, list[dict]]:
    """A feed page for `user` (items seen before allowed) and the impression
    events of all its items (ids `tag-0`, `tag-1`, ...)."""
    page = client.get("/v1/feed", params={"user_id": user, "n": 10, "include_seen": True})
    assert page.status_code == 200, page.text
    feed = page.json()
    events = [
        impression(f"{tag}-{i}", user, it["item_id"], feed["request_id"])
        for i, it in enumerate(feed["items"])
    ]
    return feed, events


def log_feed(store: Store, request_id: str, at: datetime) -> None:
    """A feed request (an empty page) in the feed log, served at `at`."""
    FeedLog(store).record(
        request_id=request_id,
        root_request_id=request_id,
        page=0,
        user_external_id="u0",
        ranker="popularity",
        model_version=None,
        item_pks=[],
        scores=[],
        at=at,
    )


def seed_market(client: TestClient, settings: Settings) -> dict[str, str]:
    """Items, users (uN likes topic N % 3), a published model; returns the advertiser's auth."""
    items = [
        {"id": f"{t}-{k}", "kind": "post", "text": text(t, k)} for t in TOPICS for k in range(20)
    ]
    client.post("/v1/items", json={"items": items})
    names = list(TOPICS)
    events = [
        {
            "event_id": f"u{u}-{k}",
            "user_id": f"u{u}",
            "item_id": f"{names[u % 3]}-{k}",
            "action": "click",
            "timestamp": iso(NOW - timedelta(hours=2, minutes=k)),
        }
        for u in range(30)
        for k in range(8)
    ]
    client.post("/v1/events", json={"events": events})
    client.post(
        "/v1/users",
        json={"users": [{"id": f"u{u}", "age": 30, "country": "DE"} for u in range(30)]},
    )
    train_from_store(settings, FAST)
    client.post("/v1/admin/reload")
    key = client.post("/v1/advertisers", json={"id": "pasta", "name": "Pasta Co"}).json()["api_key"]
    return {"Authorization": f"Bearer {key}"}


def create_campaign(
    client: TestClient, adv: dict[str, str], budget: int, kind: str = "lifetime", **over: object
) -> str:
    """A live traffic campaign (yesterday to next week) with two pasta creatives."""
    body = {
        "name": "fresh pasta",
        "objective": "traffic",
        "budget": {"amount_minor": budget, "currency": "EUR", "kind": kind},
        "schedule": {"start": iso(NOW - timedelta(days=1)), "end": iso(NOW + timedelta(days=6))},
        "brief": {
            "product": "Pasta",
            "description": "fresh pasta",
            "landing_url": "https://pasta.example",
        },
        **over,
    }
    r = client.post("/v1/campaigns", json=body, headers=adv)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    r = client.post(
        f"/v1/campaigns/{cid}/creatives",
        json={
            "texts": ["garlic pasta sauce dinner recipe oven", "pasta dinner kitchen sauce bake"]
        },
        headers=adv,
    )
    assert r.status_code == 201
    time.sleep(0.06)  # past the test settings' reload interval
    return cid


def serve_everyone(client: TestClient, clicks: Callable[[int], bool]) -> None:
    """Users u0..u29 each get a feed page and see its first ad; those for whom
    `clicks(u)` is true click it."""
    events = []
    for u in range(30):
        page = client.get("/v1/feed", params={"user_id": f"u{u}", "n": 10}).json()
        (ad,) = sponsored(page)[:1]
        imp = impression(f"i{u}", f"u{u}", ad["item_id"], page["request_id"])
        events.append(imp)
        if clicks(u):
            events.append({**imp, "event_id": f"c{u}", "action": "click"})
    assert client.post("/v1/events", json={"events": events}).status_code == 200


def last_slot(store: Store, *columns: str) -> Row:
    """These columns of the newest ad slot."""
    slots = schema.ad_slots
    with store.engine.connect() as conn:
        return conn.execute(
            select(*(slots.c[c] for c in columns)).order_by(slots.c.feed_request_id.desc()).limit(1)
        ).one()
