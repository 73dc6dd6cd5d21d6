"""SIGKILL in the middle of ad delivery leaves a consistent ledger.

A real `unifeed serve` process serves feeds with ads while clients report
impressions; it is killed mid-load, restarted, and every batch is re-sent.
The ledger must then charge every reported ad slot exactly once, and its sum
must equal the spend counter, within the budget.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bench._server import start_server, stop_server, wait_ready
from tests.ads.market import create_campaign, page_seen, seed_market
from tests.api.test_reliability import _settle
from unifeed.ads.ledger import Ledger
from unifeed.ads.records.campaigns import CampaignRecords
from unifeed.api import create_app
from unifeed.settings import Settings
from unifeed.store import Store, schema

KEY = "delivery-crash-operator-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
BUDGET = 10**9  # large: every reported slot must be charged


def prepare(settings: Settings) -> None:
    """The 3-topic world, a trained model and one live campaign with two creatives."""
    with TestClient(create_app(settings), headers=AUTH) as client:
        create_campaign(client, seed_market(client, settings), BUDGET)


def test_sigkill_during_delivery_leaves_a_consistent_ledger(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, operator_key=KEY, encoder="hashing"
    )
    prepare(settings)
    base, proc = start_server(settings.data_dir, KEY, database_url=database_url)
    batches: list[list[dict]] = []
    acked: set[int] = set()
    ads_served = [0]  # sponsored items on the pages the clients got
    lock = threading.Lock()
    dead = threading.Event()

    def client_loop(w: int) -> None:
        rng = random.Random(w)
        with httpx.Client(base_url=base, headers=AUTH, timeout=30) as c:
            for k in range(200):
                if dead.is_set():
                    return
                user = f"u{rng.randrange(30)}"
                try:
                    feed, batch = page_seen(c, user, f"w{w}-{k}")
                    with lock:
                        batches.append(batch)
                        b = len(batches) - 1
                        ads_served[0] += sum(it["sponsored"] for it in feed["items"])
                    r = c.post("/v1/events", json={"events": batch})
                    if r.status_code == 200:
                        with lock:
                            acked.add(b)
                except (httpx.HTTPError, ValueError, KeyError, AssertionError):
                    return  # the server died under us (a failed page asserts)

    try:
        wait_ready(base, proc, need_model=True, timeout=120)
        threads = [threading.Thread(target=client_loop, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            # Kill in the middle of delivery: once ads are going out, not
            # before the first one (once, under heavy load, ten pages went
            # by without an ad).
            with lock:
                if len(acked) >= 10 and ads_served[0] > 0:
                    break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        dead.set()
        proc.wait(10)
        for t in threads:
            t.join(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert len(acked) >= 10

    _settle(database_url)
    store = Store(database_url)
    ledger = Ledger(store)
    campaign = CampaignRecords(store).list(None)[0]
    # Right after the crash: the counter and the ledger agree, nothing twice.
    assert ledger.total(campaign.id) == ledger.spent(campaign.id) <= BUDGET

    base, proc = start_server(settings.data_dir, KEY, database_url=database_url)
    try:
        wait_ready(base, proc, need_model=True, timeout=120)
        with httpx.Client(base_url=base, headers=AUTH, timeout=30) as c:
            for batch in batches:
                assert c.post("/v1/events", json={"events": batch}).status_code == 200
            for batch in batches:  # and once more: nothing may change
                c.post("/v1/events", json={"events": batch})
    finally:
        stop_server(proc)

    slot, fr, lg = schema.ad_slots, schema.feed_requests, schema.ledger
    with store.engine.connect() as conn:
        shown_slots = conn.execute(
            select(func.count())
            .select_from(slot.join(fr, fr.c.id == slot.c.feed_request_id))
            .where(fr.c.request_id.in_({e["request_id"] for b in batches for e in b}))
        ).scalar_one()
        rows = conn.execute(
            select(func.count()).where(lg.c.campaign_id == campaign.id)
        ).scalar_one()
    assert shown_slots > 0, "no ad was served: the test did not exercise delivery"
    # Every ad slot a client reported is charged exactly once.
    assert rows == shown_slots
    assert ledger.total(campaign.id) == ledger.spent(campaign.id) <= BUDGET
    store.close()
