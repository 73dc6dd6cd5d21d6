"""Campaign API: validation names the field, and tenants never see each other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import AUTH

# A month from tomorrow: schedules must lie near the service's clock.
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
SCHEDULE = {"start": START.isoformat(), "end": (START + timedelta(days=30)).isoformat()}


def campaign_body(**over: object) -> dict:
    body = {
        "name": "spring sale",
        "objective": "sales",
        "budget": {"amount_minor": 50_000, "currency": "EUR"},
        "schedule": SCHEDULE,
        "brief": {
            "product": "Trail shoes",
            "description": "Light shoes for wet trails",
            "landing_url": "https://shop.example/trail",
        },
    }
    body.update(over)
    return body


@pytest.fixture
def tenants(client: TestClient) -> dict[str, dict[str, str]]:
    keys = {}
    for name in ("acme", "globex"):
        r = client.post("/v1/advertisers", json={"id": name, "name": name.title()})
        assert r.status_code == 201, r.text
        keys[name] = {"Authorization": f"Bearer {r.json()['api_key']}"}
    return keys


def test_an_advertiser_creates_and_reads_its_campaign(client: TestClient, tenants) -> None:
    r = client.post("/v1/campaigns", json=campaign_body(), headers=tenants["acme"])
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["result_actions"] == ["purchase"]
    assert c["bid_strategy"]["type"] == "highest_volume"  # the default
    assert c["attribution"] == {"click_days": 7, "view_days": 1}
    got = client.get(f"/v1/campaigns/{c['id']}", headers=tenants["acme"]).json()
    assert got == c
    assert [x["id"] for x in client.get("/v1/campaigns", headers=tenants["acme"]).json()] == [
        c["id"]
    ]


def test_every_campaign_endpoint_is_404_across_tenants(client: TestClient, tenants) -> None:
    cid = client.post("/v1/campaigns", json=campaign_body(), headers=tenants["acme"]).json()["id"]
    r = client.post(
        f"/v1/campaigns/{cid}/creatives",
        json={"texts": ["Trail shoes for wet trails"]},
        headers=tenants["acme"],
    )
    (made,) = r.json()["creatives"]
    creative = f"/v1/campaigns/{cid}/creatives/{made['id']}"
    other = tenants["globex"]
    calls = [
        ("GET", f"/v1/campaigns/{cid}", None),
        ("POST", f"/v1/campaigns/{cid}/pause", None),
        ("POST", f"/v1/campaigns/{cid}/resume", None),
        ("POST", f"/v1/campaigns/{cid}/creatives", {"texts": ["buy now"]}),
        ("GET", f"/v1/campaigns/{cid}/creatives", None),
        ("POST", f"/v1/campaigns/{cid}/creatives/generate", {"variants": 2}),
        ("GET", creative, None),
        ("PATCH", creative, {"headline": "Trail shoes, new"}),
        ("POST", f"{creative}/approve", None),
        ("POST", f"{creative}/reject", None),
        ("POST", f"{creative}/pause", None),
        ("GET", f"/v1/campaigns/{cid}/report", None),
        ("GET", f"/v1/campaigns/{cid}/report.png", None),
    ]
    # Every campaign route in the published spec is in the list, so a new one
    # cannot skip this test.
    spec = client.get("/openapi.json").json()["paths"]
    routes = {
        (method.upper(), path)
        for path, ops in spec.items()
        if path.startswith("/v1/campaigns/{")
        for method in ops
    }
    named = {
        (
            m,
            p.replace(f"/v1/campaigns/{cid}", "/v1/campaigns/{campaign_id}").replace(
                f"/creatives/{made['id']}", "/creatives/{creative_id}"
            ),
        )
        for m, p, _ in calls
    }
    assert named == routes
    for method, path, body in calls:
        r = client.request(method, path, json=body, headers=other)
        assert r.status_code == 404, (method, path, r.text)
    assert client.get("/v1/campaigns", headers=other).json() == []
    # Nothing changed for the owner.
    own = client.get(f"/v1/campaigns/{cid}", headers=tenants["acme"]).json()
    assert own["status"] == "active" and own["creatives"] == 1
    got = client.get(f"{creative}", headers=tenants["acme"]).json()
    assert (got["status"], got["version"]) == ("approved", 1)
    # The operator sees everyone's.
    assert client.get(f"/v1/campaigns/{cid}", headers=AUTH).status_code == 200


def test_advertiser_keys_cannot_use_operator_endpoints(client: TestClient, tenants) -> None:
    key = tenants["acme"]
    assert (
        client.post("/v1/advertisers", json={"id": "x", "name": "X"}, headers=key).status_code
        == 403
    )
    assert client.get("/v1/feed", params={"user_id": "u"}, headers=key).status_code == 403
    r = client.post("/v1/items", json={"items": [{"id": "i"}]}, headers=key)
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"budget": {"amount_minor": 0, "currency": "EUR"}}, "amount_minor"),
        ({"budget": {"amount_minor": -5, "currency": "EUR"}}, "amount_minor"),
        ({"budget": {"amount_minor": 10.5, "currency": "EUR"}}, "amount_minor"),
        ({"budget": {"amount_minor": 100, "currency": "euro"}}, "currency"),
        ({"objective": "world_domination"}, "objective"),
        (
            {"schedule": {"start": SCHEDULE["end"], "end": SCHEDULE["start"]}},
            "schedule",
        ),
        ({"objective": "traffic", "bid_strategy": {"type": "roas", "roas": 3}}, "bid_strategy"),
        ({"bid_strategy": {"type": "cost_per_result"}}, "bid_strategy"),
        ({"bid_strategy": {"type": "bid_cap"}}, "bid_strategy"),
        ({"constraints": {"min_age": 5}}, "min_age"),
        ({"constraints": {"countries": ["Germany"]}}, "countries"),
        ({"attribution": {"click_days": 90}}, "click_days"),
        (
            {"brief": {"product": "x", "description": "y", "landing_url": "not a url"}},
            "landing_url",
        ),
        ({"targeting": {"ages": [18, 24]}}, "targeting"),
        ({"audience_suggestion": {"age_min": "young"}}, "age_min"),
        ({"audience_suggestion": {"age_min": 40, "age_max": 30}}, "age_max"),
        ({"audience_suggestion": {"genders": "female"}}, "genders"),
        ({"audience_suggestion": {"interests": ["cars"]}}, "interests"),
    ],
)
def test_bad_campaigns_are_a_422_naming_the_field(
    client: TestClient, tenants, change: dict, field: str
) -> None:
    r = client.post("/v1/campaigns", json=campaign_body(**change), headers=tenants["acme"])
    assert r.status_code == 422, r.text
    assert field in r.text


def test_operator_must_name_the_advertiser(client: TestClient, tenants) -> None:
    r = client.post("/v1/campaigns", json=campaign_body())
    assert r.status_code == 422 and "advertiser_id" in r.text
    r = client.post("/v1/campaigns", json=campaign_body(advertiser_id="nobody"))
    assert r.status_code == 422 and "unknown advertiser" in r.text
    r = client.post("/v1/campaigns", json=campaign_body(advertiser_id="globex"))
    assert r.status_code == 201
    assert len(client.get("/v1/campaigns", headers=tenants["globex"]).json()) == 1
    r = client.post(
        "/v1/campaigns", json=campaign_body(advertiser_id="globex"), headers=tenants["acme"]
    )
    assert r.status_code == 422


def test_creatives_become_ad_items(client: TestClient, tenants) -> None:
    cid = client.post("/v1/campaigns", json=campaign_body(), headers=tenants["acme"]).json()["id"]
    r = client.post(
        f"/v1/campaigns/{cid}/creatives",
        json={"texts": ["Trail shoes, 20% off", "Dry feet on wet trails"]},
        headers=tenants["acme"],
    )
    assert r.status_code == 201, r.text
    assert len(r.json()["item_ids"]) == 2
    # The brief states no discount: review rejects the first, which never serves.
    offer, dry = r.json()["creatives"]
    assert offer["status"] == "rejected" and dry["status"] == "approved"
    assert "unsupported_claim: numbers the brief does not state: 20" in [
        f"{x['rule']}: {x['reason']}" for x in offer["current"]["review"]["reasons"]
    ]
    assert client.get(f"/v1/campaigns/{cid}", headers=tenants["acme"]).json()["creatives"] == 1
    assert client.get("/v1/ready").json()["items"] >= 0


def test_pause_and_resume(client: TestClient, tenants) -> None:
    cid = client.post("/v1/campaigns", json=campaign_body(), headers=tenants["acme"]).json()["id"]
    assert (
        client.post(f"/v1/campaigns/{cid}/pause", headers=tenants["acme"]).json()["status"]
        == "paused"
    )
    assert (
        client.post(f"/v1/campaigns/{cid}/resume", headers=tenants["acme"]).json()["status"]
        == "active"
    )


def test_duplicate_advertiser_is_a_409(client: TestClient, tenants) -> None:
    r = client.post("/v1/advertisers", json={"id": "acme", "name": "again"})
    assert r.status_code == 409
