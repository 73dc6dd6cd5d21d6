"""Which creatives the real feed serves: only approved, reviewed ones, each version its own item.

Over the real app, database and trained model of the ads tests' market.
"""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np
from fastapi.testclient import TestClient

from tests.ads.market import NOW, create_campaign, iso, serve_everyone, sponsored
from unifeed.ads.variants import MIN_IMPRESSIONS, VariantEvidence, labels, thompson

GOOD = "Pasta dinner tonight: fresh sauce, garlic and oven bake"
BAD = "Pasta GUARANTEED to cure your cold!!"


def served(client: TestClient, pages: int = 2) -> set[str]:
    """The ads of `pages` feed pages for each of u0..u29."""
    out: set[str] = set()
    for _ in range(pages):
        for u in range(30):
            page = client.get(
                "/v1/feed", params={"user_id": f"u{u}", "n": 10, "include_seen": True}
            ).json()
            out |= {i["item_id"] for i in sponsored(page)}
    return out


def test_a_rejected_creative_never_serves_and_an_edit_serves_once_approved(market) -> None:
    client, _, adv = market
    body = {
        "name": "fresh pasta",
        "objective": "traffic",
        "budget": {"amount_minor": 100_000, "currency": "EUR"},
        "schedule": {"start": iso(NOW - timedelta(days=1)), "end": iso(NOW + timedelta(days=6))},
        "brief": {
            "product": "Pasta",
            "description": "fresh pasta",
            "landing_url": "https://p.example",
        },
    }
    cid = client.post("/v1/campaigns", json=body, headers=adv).json()["id"]
    r = client.post(f"/v1/campaigns/{cid}/creatives", json={"texts": [GOOD, BAD]}, headers=adv)
    good, bad = r.json()["creatives"]
    assert (good["status"], bad["status"]) == ("approved", "rejected")
    time.sleep(0.06)  # past the test settings' reload interval
    shown = served(client)
    assert good["current"]["item_id"] in shown
    assert bad["current"]["item_id"] not in shown
    # Fixed by an edit: a new version and item, a draft until approved.
    base = f"/v1/campaigns/{cid}/creatives/{bad['id']}"
    fixed = client.patch(
        base, json={"primary_text": "Pasta with a fresh sauce, baked"}, headers=adv
    )
    assert fixed.json()["status"] == "draft", fixed.text
    new_item = fixed.json()["current"]["item_id"]
    assert new_item != bad["current"]["item_id"]
    assert new_item not in served(client)
    assert client.post(f"{base}/approve", headers=adv).json()["serves"] is True
    shown = served(client, pages=4)
    assert new_item in shown and bad["current"]["item_id"] not in shown
    # Paused: no longer served, and the campaign has nothing else once the good one is too.
    client.post(f"{base}/pause", headers=adv)
    client.post(f"/v1/campaigns/{cid}/creatives/{good['id']}/reject", headers=adv)
    assert served(client) == set()


def test_the_report_gives_each_version_its_own_figures(market) -> None:
    client, _, adv = market
    cid = create_campaign(client, adv, 100_000)
    serve_everyone(client, lambda u: u % 3 == 0)
    report = client.get(f"/v1/campaigns/{cid}/report", headers=adv).json()
    rows = report["creatives"]["variants"]
    assert len(rows) == 2 and "posterior" in report["creatives"]["test"]
    assert sum(r["impressions"] for r in rows) == report["impressions"] == 30
    assert sum(r["clicks"] for r in rows) == report["clicks"] == 10
    assert sum(r["spend_minor"] for r in rows) == report["spend_minor"]
    assert all(r["label"] == "learning" for r in rows)  # fewer than 100 impressions each
    shown = next(r for r in rows if r["impressions"])
    ages = shown["won_with"]["age"]
    assert abs(sum(ages["shares"].values()) - 1) < 1e-9 and ages["group"] == "25-34"
    # An edit is a new version: the old one keeps its figures, the new starts at zero.
    base = f"/v1/campaigns/{cid}/creatives/{shown['creative_id']}"
    assert (
        client.patch(base, json={"primary_text": "Pasta, garlic sauce, baked"}, headers=adv).json()[
            "version"
        ]
        == 2
    )
    after = client.get(f"/v1/campaigns/{cid}/report", headers=adv).json()["creatives"]["variants"]
    by_version = {(r["creative_id"], r["version"]): r for r in after}
    old, new = by_version[(shown["creative_id"], 1)], by_version[(shown["creative_id"], 2)]
    assert (old["status"], old["impressions"], old["clicks"]) == (
        "retired",
        shown["impressions"],
        shown["clicks"],
    )
    assert (new["status"], new["impressions"], new["label"]) == ("approved", 0, "learning")


def test_thompson_sampling_explores_then_settles_and_is_seeded() -> None:
    p = np.array([0.05, 0.05])
    fresh = VariantEvidence(p, np.array([0, 0]), np.array([0, 0]))
    picks = [thompson(fresh, np.random.default_rng(s)) for s in range(400)]
    assert 0.35 < np.mean(picks) < 0.65  # no evidence: both are tried
    known = VariantEvidence(p, np.array([10, 80]), np.array([1000, 1000]))
    picks = [thompson(known, np.random.default_rng(s)) for s in range(400)]
    assert np.mean(picks) > 0.97  # 8% against 1% clicks: the better one, nearly always
    # The viewer still counts: the model's p(click) can outweigh a small lead.
    leaning = VariantEvidence(np.array([0.20, 0.02]), np.array([40, 50]), np.array([1000, 1000]))
    picks = [thompson(leaning, np.random.default_rng(s)) for s in range(400)]
    assert np.mean(picks) < 0.05
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    assert [thompson(fresh, rng_a) for _ in range(50)] == [
        thompson(fresh, rng_b) for _ in range(50)
    ]
    one = VariantEvidence(np.array([0.1]), np.array([0]), np.array([0]))
    rng = np.random.default_rng(3)
    assert thompson(one, rng) == 0
    assert rng.random() == np.random.default_rng(3).random()  # one variant draws nothing


def test_labels_wait_for_evidence_and_a_difference() -> None:
    few = labels(np.array([3, 1]), np.array([MIN_IMPRESSIONS - 1, 50]))[0]
    assert few == ["learning", "learning"]
    alike = labels(np.array([20, 21]), np.array([1000, 1000]))[0]
    assert alike == ["good", "good"]
    apart, p = labels(np.array([80, 20, 22]), np.array([1000, 1000, 1000]))
    assert apart == ["best", "low", "low"] and p[0] > 0.95
    assert labels(np.array([5, 5]), np.array([500, 20]))[0] == ["good", "learning"]
