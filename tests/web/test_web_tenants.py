"""Every dashboard route, walked across tenants: an advertiser meets a 404 on
another's campaign and on the operator's pages, exactly as on a page that
does not exist; a visitor who is not signed in is sent to sign in."""

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
BODIES = {"/app/campaigns/{campaign_id}/creatives": {"text": "fresh pasta tonight"}}


def dashboard_routes() -> list[tuple[str, str]]:
    """(method, path) of every dashboard route: a new one is walked too."""
    found = []
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute) and route.path.startswith("/app")
            found += [(m, route.path) for m in sorted(route.methods - {"HEAD"})]
    return found


@pytest.fixture
def two_tenants(tmp_path: Path, database_url: str) -> Iterator[tuple[TestClient, dict]]:
    """Acme with a campaign, Globex without, a user with an event; both back-ends."""
    with TestClient(create_app(make_settings(tmp_path, database_url)), headers=AUTH) as c:
        keys = {}
        for adv in ("acme", "globex"):
            keys[adv] = c.post("/v1/advertisers", json={"id": adv, "name": adv}).json()["api_key"]
        c.post("/v1/items", json={"items": [{"id": "p1", "text": "pasta"}]})
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
    r = acme.post("/app/campaigns", launch_form(product="Acme secret pasta"))
    assert r.status_code == 303, r.text
    cid = r.headers["location"].split("/")[-1].split("?")[0]
    routes = dashboard_routes()
    assert ("GET", "/app/campaigns/{campaign_id}") in routes
    assert ("GET", "/app/operator/users/{user_id}") in routes

    def url(path: str) -> str:
        return (
            path.replace("{campaign_id}", cid)
            .replace("{user_id}", "u0")
            .replace("{creative_id}", "1")
        )

    def send(v: Visitor, method: str, path: str):
        if method == "GET":
            return v.get(url(path))
        return v.post(url(path), BODIES.get(path, {}))

    walked = 0
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        stranger = Visitor(client)
        stranger.get("/app/sign-in")  # a session with a valid token, but nobody signed in
        r = send(stranger, method, path)
        assert r.status_code == 303, (method, path, r.status_code)
        assert r.headers["location"].startswith("/app/sign-in"), (method, path)
        private = "{campaign_id}" in path or path.startswith("/app/operator")
        if private and path != "/app/sign-out":
            globex.get("/app/campaigns")  # a fresh token of Globex's own
            r = send(globex, method, path)
            assert r.status_code == 404, (method, path, r.status_code)
            assert "Acme secret pasta" not in r.text
            walked += 1
    assert walked >= 8
    # Globex's list does not name Acme's campaign; Acme's does; the operator's does.
    assert "Acme secret pasta" not in globex.get("/app/campaigns").text
    assert "Acme secret pasta" in acme.get("/app/campaigns").text
    operator = Visitor(client).sign_in(KEY)
    assert "Acme secret pasta" in operator.get(f"/app/campaigns/{cid}").text
    # Nothing Globex sent changed Acme's campaign: still active, no ads.
    got = client.get(f"/v1/campaigns/{cid}").json()
    assert got["status"] == "active" and got["creatives"] == 0
    # The owner may do everything Globex could not.
    assert acme.get(f"/app/campaigns/{cid}").status_code == 200
    assert acme.post(f"/app/campaigns/{cid}/pause").status_code == 303
    assert client.get(f"/v1/campaigns/{cid}").json()["status"] == "paused"
    # An advertiser meets the same 404 on a campaign that does not exist.
    assert globex.get("/app/campaigns/" + "0" * 32).status_code == 404
