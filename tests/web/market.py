"""A small platform for the dashboard's tests: users of several ages, genders and
countries, posts in three topics with tags, a trained model, two advertisers,
and a short delivery of a campaign's ads through the real API."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.serving.test_model_feed import TOPICS, text
from unifeed.serving.training import StoreTrainConfig, train_from_store
from unifeed.settings import Settings

TINY = StoreTrainConfig(epochs=6, dim=16, n_blocks=1, dropout=0.1, negatives=128, batch_size=64)
USERS = 30
GENDERS = ("female", "male", "female", "nonbinary")
COUNTRIES = ("DE", "FR", "ES")
AD_TEXTS = ("garlic pasta sauce dinner recipe oven", "pasta dinner kitchen sauce bake")
Client = TestClient | httpx.Client


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def seed(api: Client, settings: Settings) -> dict[str, str]:
    """The platform, and each advertiser's API key by id (acme, globex)."""
    items = [
        {"id": f"{t}-{k}", "kind": "post", "text": text(t, k), "tags": [t]}
        for t in TOPICS
        for k in range(20)
    ]
    assert api.post("/v1/items", json={"items": items}).status_code == 200
    users = [
        {
            "id": f"u{u}",
            "age": 19 + 2 * u,
            "gender": GENDERS[u % len(GENDERS)],
            "country": COUNTRIES[u % len(COUNTRIES)],
        }
        for u in range(USERS)
    ]
    assert api.post("/v1/users", json={"users": users}).status_code == 200
    names = list(TOPICS)
    now = datetime.now(UTC)
    events = [
        {
            "event_id": f"u{u}-{k}",
            "user_id": f"u{u}",
            "item_id": f"{names[u % 3]}-{k}",
            "action": "click",
            "timestamp": iso(now - timedelta(hours=2, minutes=k)),
        }
        for u in range(USERS)
        for k in range(8)
    ]
    assert api.post("/v1/events", json={"events": events}).status_code == 200
    train_from_store(settings, TINY)
    assert api.post("/v1/admin/reload").status_code == 200
    keys = {}
    for adv, name in (("acme", "Acme Pasta"), ("globex", "Globex Shoes")):
        r = api.post("/v1/advertisers", json={"id": adv, "name": name})
        assert r.status_code == 201, r.text
        keys[adv] = r.json()["api_key"]
    return keys


def deliver(api: Client, tag: str, clicks_every: int = 3) -> dict[str, int]:
    """A short flight: every user asks for a page, sees its ads (impression
    events naming the page) and every `clicks_every`-th user clicks one.
    Returns the ads shown and clicked."""
    time.sleep(0.06)  # past the settings' reload interval: new campaigns are live
    events: list[dict[str, Any]] = []
    shown = clicked = 0
    now = iso(datetime.now(UTC))
    for u in range(USERS):
        r = api.get("/v1/feed", params={"user_id": f"u{u}", "n": 10})
        assert r.status_code == 200, r.text
        page = r.json()
        for k, item in enumerate(i for i in page["items"] if i["sponsored"]):
            seen = {
                "event_id": f"{tag}-{u}-{k}",
                "user_id": f"u{u}",
                "item_id": item["item_id"],
                "action": "impression",
                "timestamp": now,
                "request_id": page["request_id"],
            }
            events.append(seen)
            shown += 1
            if u % clicks_every == 0:
                events.append({**seen, "event_id": f"{tag}-{u}-{k}-c", "action": "click"})
                clicked += 1
    if events:
        r = api.post("/v1/events", json={"events": events})
        assert r.status_code == 200, r.text
    return {"shown": shown, "clicked": clicked}
