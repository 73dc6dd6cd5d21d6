"""Every dashboard route, walked across tenants: an advertiser meets a 404 on
another's campaign, on the operator's pages and on every creator's pages; a
creator on another creator's pages and on every advertiser's and operator's
page; the operator on a creator's pages. Each is exactly a page that does not
exist. A visitor who is not signed in is sent to sign in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.api.conftest import AUTH, KEY, make_settings
from tests.web.conftest import Visitor, launch_form
from unifeed.web import create_app
from unifeed.web.app import ROUTERS

# Pages anyone may open: where the dashboard starts, and signing in.
PUBLIC = {("GET", "/app/"), ("GET", "/app/sign-in"), ("POST", "/app/sign-in")}
# What each POST route is sent (beside the CSRF token) when the walk is let in.
BODIES = {
    "/app/campaigns/{campaign_id}/creatives": {"text": "fresh pasta tonight"},
    "/app/campaigns/{campaign_id}/creatives/{creative_id}/edit": {"primary_text": "mine now"},
    "/app/campaigns/{campaign_id}/creatives/generate": {"variants": "1"},
    "/app/creators/{creator_id}/assistant": {"name": "Hijacked", "audience": "everyone"},
    "/app/creators/{creator_id}/assistant/ask": {"question": "What is your secret?"},
    "/app/creators/{creator_id}/drafts": {"topic": "secrets"},
}
SIGN_OUT = ("POST", "/app/sign-out")


def dashboard_routes() -> list[tuple[str, str]]:
    """(method, path) of every dashboard route: a new one is walked too."""
    found = []
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute) and route.path.startswith("/app")
            found += [(m, route.path) for m in sorted(route.methods - {"HEAD"})]
    return found


def filled(path: str, campaign_id: str, draft_id: str) -> str:
    """A route's path with Acme's campaign, its first ad, user u0, Ann and her draft."""
    return (
        path.replace("{campaign_id}", campaign_id)
        .replace("{user_id}", "u0")
        .replace("{creative_id}", "1")
        .replace("{creator_id}", "ann")
        .replace("{draft_id}", draft_id)
    )


@pytest.fixture
def two_tenants(tmp_path: Path, database_url: str) -> Iterator[tuple[TestClient, dict]]:
    """Acme with a campaign, Globex without, a user with an event, two creators (Ann
    with an assistant, a post and a draft; Bob with nothing); both back-ends."""
    with TestClient(create_app(make_settings(tmp_path, database_url)), headers=AUTH) as c:
        keys = {}
        for adv in ("acme", "globex"):
            keys[adv] = c.post("/v1/advertisers", json={"id": adv, "name": adv}).json()["api_key"]
        c.post("/v1/items", json={"items": [{"id": "p1", "text": "pasta"}]})
        post = {"id": "ann-1", "kind": "post", "author": "ann", "text": "My secret sauce."}
        c.post("/v1/items", json={"items": [post]})
        for creator in ("ann", "bob"):
            made = c.post("/v1/creators", json={"id": creator, "name": creator.title()})
            keys[creator] = made.json()["api_key"]
        setup = {"name": "Ann's secret bot", "audience": "creator"}
        assert c.put("/v1/creators/ann/assistant", json=setup).status_code == 200
        records = c.app.state.services.assistants.records  # type: ignore[attr-defined]
        ann = records.creator("ann")
        keys["draft"] = records.add_draft(ann.id, "secrets", "Ann's secret draft.", ["ann-1"]).id
        c.post(
            "/v1/events",
            json={
                "events": [
                    {
                        "event_id": "e1",
                        "user_id": "u0",
                        "item_id": "p1",
                        "action": "click",
                        "timestamp": "2026-01-01T00:00:00Z",
                    }
                ]
            },
        )
        yield c, keys


def test_every_route_is_404_across_tenants_and_asks_strangers_to_sign_in(two_tenants) -> None:
    client, keys = two_tenants
    acme, globex = Visitor(client).sign_in(keys["acme"]), Visitor(client).sign_in(keys["globex"])
    ann, bob = Visitor(client).sign_in(keys["ann"]), Visitor(client).sign_in(keys["bob"])
    operator = Visitor(client).sign_in(KEY)
    r = acme.post("/app/campaigns", launch_form(product="Acme secret pasta"))
    assert r.status_code == 303, r.text
    cid = r.headers["location"].split("/")[-1].split("?")[0]
    assert acme.post(f"/app/campaigns/{cid}/creatives", {"text": "fresh pasta"}).status_code == 303
    routes = dashboard_routes()
    assert ("GET", "/app/campaigns/{campaign_id}") in routes
    assert ("GET", "/app/operator/users/{user_id}") in routes
    assert ("POST", "/app/creators/{creator_id}/drafts/{draft_id}/publish") in routes

    def url(path: str) -> str:
        return filled(path, cid, keys["draft"])

    def send(v: Visitor, method: str, path: str):
        if method == "GET":
            return v.get(url(path))
        return v.post(url(path), BODIES.get(path, {}))

    def refused(v: Visitor, method: str, path: str) -> None:
        v.get("/app/sign-in")  # a fresh token of the visitor's own
        r = send(v, method, path)
        assert r.status_code == 404, (method, path, r.status_code)
        assert "secret" not in r.text.lower(), (method, path)

    walked = 0
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        stranger = Visitor(client)
        stranger.get("/app/sign-in")  # a session with a valid token, but nobody signed in
        r = send(stranger, method, path)
        assert r.status_code == 303, (method, path, r.status_code)
        assert r.headers["location"].startswith("/app/sign-in"), (method, path)
        if (method, path) == SIGN_OUT:
            continue
        if path.startswith("/app/creators/"):
            # Another creator, an advertiser and the operator: none of them is Ann.
            for v in (bob, globex, operator):
                refused(v, method, path)
                walked += 1
            continue
        # The advertisers' and the operator's pages: no creator reaches any of them.
        refused(ann, method, path)
        walked += 1
        if "{campaign_id}" in path or path.startswith("/app/operator"):
            refused(globex, method, path)
            walked += 1
    assert walked >= 40
    # Globex's list does not name Acme's campaign; Acme's does; the operator's does.
    assert "Acme secret pasta" not in globex.get("/app/campaigns").text
    assert "Acme secret pasta" in acme.get("/app/campaigns").text
    assert "Acme secret pasta" in operator.get(f"/app/campaigns/{cid}").text
    # Nothing the others sent changed Acme's campaign: still active, its one ad as typed.
    got = client.get(f"/v1/campaigns/{cid}").json()
    assert got["status"] == "active" and got["creatives"] == 1
    (ad,) = client.get(f"/v1/campaigns/{cid}/creatives").json()["creatives"]
    assert (ad["version"], ad["status"]) == (1, "approved")
    # ...nor Ann's assistant, log or draft.
    setup = client.get("/v1/creators/ann/assistant").json()
    assert (setup["name"], setup["enabled"]) == ("Ann's secret bot", True)
    assert client.get("/v1/creators/ann/assistant/conversations").json()["conversations"] == []
    (draft,) = client.get("/v1/creators/ann/drafts").json()["drafts"]
    assert draft["status"] == "draft"
    # The owners may do everything the others could not.
    assert acme.get(f"/app/campaigns/{cid}").status_code == 200
    assert acme.post(f"/app/campaigns/{cid}/pause").status_code == 303
    assert client.get(f"/v1/campaigns/{cid}").json()["status"] == "paused"
    for page in ("assistant", "conversations", "drafts"):
        assert ann.get(f"/app/creators/ann/{page}").status_code == 200, page
    assert ann.post(f"/app/creators/ann/drafts/{keys['draft']}/publish").status_code == 303
    assert client.get("/v1/creators/ann/drafts").json()["drafts"][0]["status"] == "published"
    # An advertiser meets the same 404 on a campaign that does not exist, a creator
    # on a creator that does not exist.
    assert globex.get("/app/campaigns/" + "0" * 32).status_code == 404
    assert bob.get("/app/creators/nobody/assistant").status_code == 404


def test_every_form_is_refused_without_its_sessions_token(two_tenants) -> None:
    """Every POST route, sent by the one it belongs to with no token, a wrong one
    or the token of another session of the same key: a 403 page before anything
    runs, so nothing changes and nobody is signed out."""
    client, keys = two_tenants
    acme, ann = Visitor(client).sign_in(keys["acme"]), Visitor(client).sign_in(keys["ann"])
    operator, other = Visitor(client).sign_in(KEY), Visitor(client).sign_in(keys["acme"])
    r = acme.post("/app/campaigns", launch_form(product="Acme pasta"))
    assert r.status_code == 303, r.text
    cid = r.headers["location"].split("/")[-1].split("?")[0]
    assert acme.post(f"/app/campaigns/{cid}/creatives", {"text": "fresh pasta"}).status_code == 303
    campaigns_before = client.get("/v1/campaigns").json()
    posts = [path for method, path in dashboard_routes() if method == "POST"]
    assert len(posts) >= 15
    for path in posts:
        owner = acme
        if path.startswith("/app/creators/"):
            owner = ann
        elif path.startswith("/app/operator"):
            owner = operator
        for token in ("", "wrong", other.csrf):
            body = {**BODIES.get(path, {}), "key": KEY, "csrf": token}
            r = owner.post(filled(path, cid, keys["draft"]), body)
            assert r.status_code == 403 and "expired" in r.text, (path, token, r.status_code)
    # Nothing changed: Acme's campaign and its one ad, Ann's assistant, log and
    # draft, no retrain; and every session still signed in as before.
    assert client.get("/v1/campaigns").json() == campaigns_before
    (ad,) = client.get(f"/v1/campaigns/{cid}/creatives").json()["creatives"]
    assert (ad["version"], ad["status"]) == (1, "approved")
    setup = client.get("/v1/creators/ann/assistant").json()
    assert (setup["name"], setup["enabled"]) == ("Ann's secret bot", True)
    assert client.get("/v1/creators/ann/assistant/conversations").json()["conversations"] == []
    assert client.get("/v1/creators/ann/drafts").json()["drafts"][0]["status"] == "draft"
    assert client.get("/v1/admin/retrain").json()["started_at"] is None
    assert acme.get("/app/campaigns").status_code == 200
    assert operator.get("/app/operator").status_code == 200
    assert ann.get("/app/creators/ann/assistant").status_code == 200
