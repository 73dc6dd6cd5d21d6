"""The dashboard's fixtures: the app with its API, a seeded platform, and visitors
(each with their own session cookie) over one TestClient."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.api.conftest import AUTH, KEY, make_settings
from tests.web.market import seed
from unifeed.settings import Settings
from unifeed.web import create_app
from unifeed.web.sessions import COOKIE

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Visitor:
    """One browser's worth of session: its own cookie, sent with each request."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.cookie: str | None = None
        self.csrf: str | None = None
        self.key: str | None = None  # the API key it signed in with

    def request(self, method: str, url: str, **kw: Any) -> Response:
        self.client.cookies.clear()
        if self.cookie:
            self.client.cookies.set(COOKIE, self.cookie)
        r = self.client.request(method, url, follow_redirects=False, **kw)
        for header in r.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            if name == COOKIE:
                value = rest.split(";", 1)[0].strip('"')
                self.cookie = value or None
        if found := CSRF.search(r.text):
            self.csrf = found.group(1)
        return r

    def get(self, url: str, **kw: Any) -> Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Response:
        """A form POST carrying this session's CSRF token (unless `data` has its own)."""
        body = {"csrf": self.csrf or "", **(data or {})}
        return self.request("POST", url, data=body, **kw)

    def sign_in(self, key: str) -> Visitor:
        self.get("/app/sign-in")
        r = self.post("/app/sign-in", {"key": key})
        assert r.status_code == 303, r.text
        self.get(r.headers["location"])  # the page's own token for the next form
        self.key = key
        return self


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, None)


@pytest.fixture
def web(web_settings: Settings) -> Iterator[TestClient]:
    """The app (API and dashboard); requests carry the operator's API key by default."""
    with TestClient(create_app(web_settings), headers=AUTH) as c:
        yield c


@pytest.fixture
def keys(web: TestClient, web_settings: Settings) -> dict[str, str]:
    """The seeded platform (trained model included): each advertiser's key, and the operator's."""
    return {**seed(web, web_settings), "operator": KEY}


def launch_form(**over: str) -> dict[str, str]:
    """The launch form filled in: a traffic campaign of 5 EUR, live from a minute ago."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    form = {
        "objective": "traffic",
        "budget": "5.00",
        "currency": "EUR",
        "budget_kind": "lifetime",
        "start": f"{start:%Y-%m-%dT%H:%M}",
        "end": f"{start + timedelta(days=30):%Y-%m-%dT%H:%M}",
        "product": "Fresh pasta",
        "description": "Hand-made pasta, delivered the same day.",
        "landing_url": "https://pasta.example/fresh",
        "bid_strategy": "highest_volume",
        "click_days": "7",
        "view_days": "1",
    }
    form.update(over)
    return form
