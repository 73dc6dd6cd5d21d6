"""The ads market of the ads tests (on SQLite and PostgreSQL), and what the
money tests read straight from the store: charges, spend rows, served slots."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.ads.conftest import client, eager_market, market, settings
from tests.ads.market import sponsored
from unifeed.ads.campaigns import Campaign
from unifeed.ads.records.campaigns import CampaignRecords
from unifeed.settings import Settings
from unifeed.store import Store, schema

__all__ = ["client", "eager_market", "market", "settings"]

FOOD_FANS = [f"u{u}" for u in range(0, 30, 3)]  # uN likes topic N % 3: food, the ads' topic


@dataclass(frozen=True)
class Slot:
    """An ad the feed served: whom to, on which page, at what price."""

    user: str
    request_id: str
    item_id: str
    price_minor: int
    served_at: datetime


@pytest.fixture
def market_store(market: tuple[TestClient, Settings, dict]) -> Iterator[Store]:
    """The market's own store, read directly."""
    s = Store(market[1].resolved_database_url)
    yield s
    s.close()


def only_campaign(store: Store) -> Campaign:
    (c,) = CampaignRecords(store).list(None)
    return c


def serve(client: TestClient, store: Store, users: list[str], seen: bool = True) -> list[Slot]:
    """A feed page for each of `users` (ads seen before allowed when `seen`)
    and the ad slots they held, as the auction logged them."""
    out = []
    for u in users:
        r = client.get("/v1/feed", params={"user_id": u, "n": 10, "include_seen": seen})
        assert r.status_code == 200, r.text
        page = r.json()
        for ad in sponsored(page):
            price, at = slot_of(store, page["request_id"], ad["item_id"])
            out.append(Slot(u, page["request_id"], ad["item_id"], price, at))
    return out


def slot_of(store: Store, request_id: str, item_id: str) -> tuple[int, datetime]:
    """(price, served at) of the slot of this page that holds this ad item."""
    fr, slot, it = schema.feed_requests, schema.ad_slots, schema.items
    with store.engine.connect() as conn:
        return conn.execute(
            select(slot.c.price_minor, fr.c.created_at)
            .join(fr, fr.c.id == slot.c.feed_request_id)
            .join(it, it.c.id == slot.c.item_id)
            .where(fr.c.request_id == request_id, it.c.external_id == item_id)
        ).one()


def charges(store: Store, campaign_id: int) -> list[tuple[datetime, int, str, str]]:
    """(booked at, amount, viewer's external id, request id) of every ledger row."""
    lg, u = schema.ledger, schema.users
    with store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(lg.c.event_time, lg.c.amount_minor, u.c.external_id, lg.c.request_id)
                .outerjoin(u, u.c.id == lg.c.user_id)
                .where(lg.c.campaign_id == campaign_id)
                .order_by(lg.c.id)
            ).all()
        ]


def spend_rows(store: Store, campaign_id: int) -> dict[str, int]:
    """The campaign's spend counters: "all" and one per day booked."""
    s = schema.campaign_spend
    with store.engine.connect() as conn:
        return dict(
            conn.execute(
                select(s.c.day, s.c.spent_minor).where(s.c.campaign_id == campaign_id)
            ).all()
        )


def external_id(store: Store, item_pk: int) -> str:
    it = schema.items
    with store.engine.connect() as conn:
        return conn.execute(select(it.c.external_id).where(it.c.id == item_pk)).scalar_one()


def run_threads(n: int, work: Callable[[int, list[str]], None]) -> list[str]:
    """Run work(w) in n threads; the errors they met (a crash counts as one)."""
    errors: list[str] = []

    def guarded(w: int) -> None:
        try:
            work(w, errors)
        except Exception as e:  # a crash in a thread must fail the test
            errors.append(repr(e))

    threads = [threading.Thread(target=guarded, args=(w,)) for w in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
