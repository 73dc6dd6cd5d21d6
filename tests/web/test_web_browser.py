"""The dashboard in a real headless Chromium against a real server on 127.0.0.1.

Debian's chromium (`/usr/bin/chromium`; .ci/run installs it) driven by
Playwright, which cannot download a browser here. An advertiser signs in,
launches a campaign from an objective, a budget and a brief, adds ads, the
API delivers a short flight (feed requests, impressions and clicks), and the
spend and results appear on the campaign's page; the operator opens a
user's feed preview; one advertiser cannot open another's campaign. Each
step's screenshot is saved under runs/dashboard/ (git-ignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import AUTH, KEY, make_settings
from tests.web.market import AD_TEXTS, deliver, iso, seed
from unifeed.api.server import running_server
from unifeed.web import create_app, formats

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "runs" / "dashboard"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _require_browser() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        problem = f"playwright is not installed ({e})"
    else:
        if CHROMIUM.is_file():
            return sync_playwright
        problem = f"{CHROMIUM} is missing: apt-get install chromium"
    if os.environ.get("UNIFEED_REQUIRE_SERVICES", "") not in ("", "0", "false"):
        pytest.fail(f"{problem} (UNIFEED_REQUIRE_SERVICES is set, so this is an error)")
    pytest.skip(problem)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A served dashboard over a seeded platform, and an API client with the operator's key."""
    settings = make_settings(tmp_path_factory.mktemp("site"), None)
    with (
        running_server(settings, app=create_app(settings)) as base,
        httpx.Client(base_url=base, headers=AUTH, timeout=60) as api,
    ):
        keys = seed(api, settings)
        yield {"base": base, "api": api, "keys": keys}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _require_browser()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page_of(browser: Any, site: dict[str, Any]) -> Iterator[Any]:
    """A new browser context (its own cookies) per call, closed after the test."""
    contexts = []

    def new(viewport: dict[str, int] = LAPTOP) -> Any:
        ctx = browser.new_context(base_url=site["base"], viewport=viewport)
        ctx.set_default_timeout(20_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield new
    for ctx in contexts:
        ctx.close()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, key: str, then: str = "/app/") -> None:
    page.goto(then)
    page.get_by_label("API key").fill(key)
    page.get_by_label("API key").press("Enter")  # the keyboard submits the form


def test_an_advertiser_launches_a_campaign_and_sees_its_results(
    page_of: Any, site: dict[str, Any]
) -> None:
    page = page_of()
    page.goto("/app/")
    assert page.url.endswith("/app/sign-in?next=/app/")
    shot(page, "01-sign-in")
    sign_in(page, site["keys"]["acme"], then="/app/campaigns")
    page.wait_for_url("**/app/campaigns")
    page.get_by_role("link", name="Launch a campaign").first.click()
    page.wait_for_url("**/app/campaigns/new")
    # Every field has a label a screen reader reads out.
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(e => e.labels.length === 0).map(e => e.name)"""
    )
    assert unlabelled == []
    # Sent empty, the form says what is missing and takes focus to the list.
    page.get_by_role("button", name="Launch campaign").click()
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    shot(page, "02-launch-errors")
    page.goto("/app/campaigns/new")
    # Objective, budget, brief: nothing about audiences.
    page.get_by_label("Traffic").check()
    page.get_by_label("Budget", exact=True).fill("5.00")
    page.get_by_label("Product or offer").fill("Fresh pasta")
    page.get_by_label("Describe it").fill("Hand-made pasta, delivered the same day in Berlin.")
    page.get_by_label("Landing page").fill("https://pasta.example/fresh")
    shot(page, "03-launch-form")
    page.get_by_role("button", name="Launch campaign").click()
    page.wait_for_url(re.compile(r".*/app/campaigns/[0-9a-f]+\?launched=1"))
    cid = page.url.split("/")[-1].split("?")[0]
    assert page.get_by_role("status").inner_text().startswith("Launched.")
    page.get_by_label("Ad 1").fill(AD_TEXTS[0])
    page.get_by_label("Ad 2").fill(AD_TEXTS[1])
    page.get_by_role("button", name="Add ads").click()
    page.wait_for_selector("ol.creatives li")
    shot(page, "04-ads-added")
    # A short flight through the API: feeds, impressions, clicks.
    got = deliver(site["api"], "browser")
    assert got["shown"] > 0 and got["clicked"] > 0
    report = site["api"].get(f"/v1/campaigns/{cid}/report").json()
    assert report["spend_minor"] > 0 and report["results"] > 0
    page.reload()
    assert page.locator("#fig-spend").inner_text() == formats.money(report["spend_minor"], "EUR")
    assert page.locator("#fig-results").inner_text() == str(report["results"])
    assert page.locator("#fig-impressions").inner_text() == str(report["impressions"])
    assert page.locator("svg polyline").count() >= 3
    shot(page, "05-campaign-results")
    # At a phone's width nothing spills sideways out of the page.
    phone = page_of(PHONE)
    sign_in(phone, site["keys"]["acme"], then=f"/app/campaigns/{cid}")
    phone.wait_for_selector("#fig-spend")
    wide = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"the page is {wide}px wider than a phone's screen"
    shot(phone, "06-campaign-phone")
    # Pause, from the keyboard.
    page.get_by_role("button", name="Pause campaign").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Resume campaign")
    assert site["api"].get(f"/v1/campaigns/{cid}").json()["status"] == "paused"
    page.get_by_role("button", name="Resume campaign").click()
    page.wait_for_selector("text=Pause campaign")


@pytest.fixture(scope="module")
def globex_campaign(site: dict[str, Any]) -> str:
    """Globex's live campaign with two ads, delivered to every user once."""
    api, key = site["api"], {"Authorization": f"Bearer {site['keys']['globex']}"}
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    body = {
        "name": "Pasta pots",
        "objective": "traffic",
        "budget": {"amount_minor": 800, "currency": "EUR"},
        "schedule": {"start": iso(now - timedelta(minutes=5)), "end": iso(now + timedelta(days=7))},
        "brief": {
            "product": "Pasta pots",
            "description": "Pots",
            "landing_url": "https://g.example",
        },
    }
    cid = api.post("/v1/campaigns", json=body, headers=key).json()["id"]
    r = api.post(f"/v1/campaigns/{cid}/creatives", json={"texts": list(AD_TEXTS)}, headers=key)
    assert r.status_code == 201
    deliver(api, "globex")
    return str(cid)


def test_the_operator_previews_a_users_feed_and_sees_why(
    page_of: Any, site: dict[str, Any], globex_campaign: str
) -> None:
    page = page_of()
    sign_in(page, KEY)
    page.wait_for_url("**/app/operator")
    assert page.locator("#count-users").inner_text() == "30"
    assert page.locator("#model-version").inner_text() != ""
    shot(page, "07-operator-overview")
    page.get_by_label("User id").fill("u3")
    page.get_by_label("User id").press("Enter")
    page.wait_for_url("**/app/operator/users/u3")
    preview = page.locator("#preview")
    ads = preview.locator("tr.ad")
    assert ads.count() >= 1
    why = ads.first.inner_text()
    assert "Won the auction" in why and "would pay" in why
    assert preview.locator("tr.organic").count() >= 5
    shot(page, "08-feed-preview")


def test_one_advertiser_cannot_open_anothers_campaign(
    page_of: Any, site: dict[str, Any], globex_campaign: str
) -> None:
    page = page_of()
    sign_in(page, site["keys"]["acme"], then=f"/app/campaigns/{globex_campaign}")
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == "Page not found"
    assert "Pasta pots" not in page.content()
    shot(page, "09-another-advertisers-campaign")
    page.goto("/app/operator")
    assert page.locator("h1").inner_text() == "Page not found"
    page.goto("/app/campaigns")
    assert "Pasta pots" not in page.content()
