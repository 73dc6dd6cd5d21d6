"""The dashboard in a real headless Chromium against a real server on 127.0.0.1.

Debian's chromium (`/usr/bin/chromium`; .ci/run installs it) driven by
Playwright, which cannot download a browser here. An advertiser signs in,
launches a campaign from an objective, a budget and a brief, sees the ads
written from the brief with their review and approves them, edits one; the
API delivers a short flight (feed requests, impressions and clicks), and the
spend and results appear on the campaign's page; a creator sets up their
assistant and asks it a question; the operator opens a user's feed preview;
one advertiser cannot open another's campaign. Each step's screenshot is
saved under runs/dashboard/ (git-ignored); with UNIFEED_DOCS_IMG=1 the key
ones are written to docs/img/ too.

The ads are written by the creative tests' scripted model and the assistant
answers with the assistant tests' copying model: both are unifeed.llm's
interface, replayed, so a browser step never waits minutes for the real
model (tests/api/test_creatives.py and tests/assistants run that one).
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
from tests.api.test_creatives import Scripted, answer
from tests.assistants.fakes import CopyingModel
from tests.web.market import AD_TEXTS, deliver, iso, seed
from tests.web.test_web_creators import QUESTION, creator_with_posts
from unifeed.api.server import running_server
from unifeed.creative import CreativeWriter
from unifeed.web import create_app, formats

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "runs" / "dashboard"
DOCS_IMG = ROOT / "docs" / "img"
DOCS_WIDTH, DOCS_HEIGHT = 960, 1400
# What the scripted model writes for the pasta brief: three ads, in the words
# the seeded users' posts use (so the feed has reason to show them).
LEARN, SHOP = "Learn more", "Shop now"
WRITTEN = [
    answer("Fresh pasta for dinner", "Hand-made pasta, garlic sauce, delivered today.", LEARN),
    answer("Fresh pasta, from your oven", "Bake it tonight: each box comes with a recipe.", SHOP),
    answer("Fresh pasta in Berlin", "Delivered the same day in Berlin, with garlic sauce.", LEARN),
]
BRIEF = (
    "Hand-made pasta with garlic sauce, delivered the same day in Berlin. Bake it in the "
    "oven for dinner; each box comes with a recipe."
)
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
    settings.encoder = "minilm"  # the assistant's thresholds are set for the real encoder
    settings.assistant_refresh_seconds = 0.0
    settings.assistant_model_answers = True  # the pages show a model-written, checked answer
    app = create_app(settings, language_model=CopyingModel())
    with (
        running_server(settings, app=app) as base,
        httpx.Client(base_url=base, headers=AUTH, timeout=60) as api,
    ):
        # Ads from the brief, written by a replaying model (never the real one here).
        writer = CreativeWriter(Scripted([*WRITTEN, *WRITTEN]))
        app.state.services.generations.writer = writer
        keys = seed(api, settings)
        keys["baker"] = creator_with_posts(api, "baker")  # type: ignore[arg-type]
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


def shot(page: Any, name: str, docs: str | None = None, of: str = "main") -> None:
    """The page's screenshot as a test artefact; `docs`: also docs/img/<docs>.png,
    just the `of` element, when UNIFEED_DOCS_IMG=1 (how the README's pictures are made)."""
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    if docs and os.environ.get("UNIFEED_DOCS_IMG", "") == "1":
        from io import BytesIO

        from PIL import Image

        # Small enough for a README: at most 960 pixels wide and 1,400 high, 128 colours.
        image = Image.open(BytesIO(page.locator(of).first.screenshot()))
        if image.width > DOCS_WIDTH:
            image = image.resize((DOCS_WIDTH, round(image.height * DOCS_WIDTH / image.width)))
        image = image.crop((0, 0, image.width, min(image.height, DOCS_HEIGHT)))
        image.convert("RGB").quantize(128).save(DOCS_IMG / f"{docs}.png", optimize=True)


def unlabelled(page: Any) -> list[str]:
    """The page's fields without a label a screen reader reads out, and whether its
    headings skip a level (an h3 straight under an h1)."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => {
          const fields = [...document.querySelectorAll(
              'input:not([type=hidden]), select, textarea')]
            .filter(e => e.labels.length === 0).map(e => e.name || e.id);
          const levels = [...document.querySelectorAll('main h1, main h2, main h3, main h4')]
            .map(h => Number(h.tagName[1]));
          const skips = levels.filter((l, i) => i > 0 && l > levels[i - 1] + 1)
            .map(l => 'h' + l);
          return [...fields, ...skips];
        }"""
    )


def clipped(page: Any) -> list[str]:
    """The charts' words (axis labels, bar values) that run past their picture's edge."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => [...document.querySelectorAll('svg text')].filter(t => {
            const b = t.getBBox(), v = t.ownerSVGElement.viewBox.baseVal;
            return b.x < v.x - 0.5 || b.x + b.width > v.x + v.width + 0.5;
          }).map(t => t.textContent)"""
    )


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
    assert unlabelled(page) == []
    # Sent empty, the form says what is missing and takes focus to the list.
    page.get_by_role("button", name="Launch campaign").click()
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    shot(page, "02-launch-errors")
    page.goto("/app/campaigns/new")
    # Objective, budget, brief: nothing about audiences; ads are written from the brief.
    page.get_by_label("Traffic").check()
    page.get_by_label("Budget", exact=True).fill("5.00")
    page.get_by_label("Product or offer").fill("Fresh pasta")
    page.get_by_label("Describe it").fill(BRIEF)
    page.get_by_label("Landing page").fill("https://pasta.example/fresh")
    shot(page, "03-launch-form", docs="dashboard_launch", of="body")
    page.get_by_role("button", name="Launch campaign").click()
    page.wait_for_url(re.compile(r".*/app/campaigns/[0-9a-f]+\?launched=1"))
    cid = page.url.split("/")[-1].split("?")[0]
    assert page.get_by_role("status").inner_text().startswith("Launched.")
    # The written ads arrive as drafts, each with its review, waiting for approval.
    for _ in range(100):
        if page.locator("ol.creatives > li").count() == 3:
            break
        page.wait_for_timeout(100)
        page.reload()
    ads = page.locator("ol.creatives > li")
    assert ads.count() == 3
    assert "Written from your brief: 3 of 3 ads" in page.locator("#generation").inner_text()
    for k in range(3):
        assert "draft" in ads.nth(k).locator(".creative-status").inner_text()
        assert "Review passed it" in ads.nth(k).inner_text()
    assert site["api"].get(f"/v1/campaigns/{cid}").json()["creatives"] == 0  # none serves yet
    shot(page, "04-written-ads", docs="dashboard_ads", of="#creatives-section")
    for k in (1, 2, 3):
        page.get_by_role("button", name=f"Approve ad {k}").click()
        page.wait_for_selector(f"ol.creatives > li:nth-child({k}) >> text=live")
    assert site["api"].get(f"/v1/campaigns/{cid}").json()["creatives"] == 3
    # An edit is a new version, reviewed again; the ad stays approved.
    page.get_by_text("Edit ad 3").click()
    page.locator("#text-3").fill(AD_TEXTS[0])
    page.get_by_role("button", name="Save ad 3 as a new version").click()
    page.wait_for_selector("ol.creatives > li:nth-child(3) >> text=version 2")
    assert unlabelled(page) == []  # the edit forms' fields too
    shot(page, "05-ads-approved")
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
    assert clipped(page) == []
    shot(page, "06-campaign-results", docs="dashboard_campaign", of="body")
    # At a phone's width nothing spills sideways out of the page.
    phone = page_of(PHONE)
    sign_in(phone, site["keys"]["acme"], then=f"/app/campaigns/{cid}")
    phone.wait_for_selector("#fig-spend")
    wide = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"the page is {wide}px wider than a phone's screen"
    shot(phone, "07-campaign-phone")
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
    shot(page, "10-operator-overview")
    page.get_by_label("User id").fill("u3")
    page.get_by_label("User id").press("Enter")
    page.wait_for_url("**/app/operator/users/u3")
    preview = page.locator("#preview")
    ads = preview.locator("tr.ad")
    assert ads.count() >= 1
    why = ads.first.inner_text()
    assert "Won the auction" in why and "would pay" in why
    assert preview.locator("tr.organic").count() >= 5
    shot(page, "11-feed-preview", docs="dashboard_preview", of="body")


def test_one_advertiser_cannot_open_anothers_campaign(
    page_of: Any, site: dict[str, Any], globex_campaign: str
) -> None:
    page = page_of()
    sign_in(page, site["keys"]["acme"], then=f"/app/campaigns/{globex_campaign}")
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == "Page not found"
    assert "Pasta pots" not in page.content()
    shot(page, "12-another-advertisers-campaign")
    page.goto("/app/operator")
    assert page.locator("h1").inner_text() == "Page not found"
    page.goto("/app/campaigns")
    assert "Pasta pots" not in page.content()


def test_a_creator_sets_up_their_assistant_and_asks_it_a_question(
    page_of: Any, site: dict[str, Any]
) -> None:
    page = page_of()
    sign_in(page, site["keys"]["baker"])
    page.wait_for_url("**/app/creators/baker/assistant")
    assert "not set up" in page.locator("#assistant-status").inner_text()
    assert unlabelled(page) == []
    page.get_by_label("Name", exact=True).fill("Crumb bot")
    page.get_by_label("Persona").fill("Warm, brief, a baker's words.")
    page.get_by_label("Topics to avoid").fill("medical advice")
    page.get_by_label("Links it may share").fill("https://crumb.example/book The book")
    page.get_by_label("Followers").check()
    shot(page, "08-assistant-setup")
    page.get_by_role("button", name="Save and switch on").click()
    page.wait_for_selector("text=Saved: your assistant answers")
    got = site["api"].get("/v1/creators/baker/assistant").json()
    assert (got["name"], got["audience"], got["enabled"]) == ("Crumb bot", "followers", True)
    assert unlabelled(page) == []
    page.get_by_label("Your question").fill(QUESTION)
    page.get_by_role("button", name="Ask").focus()
    page.keyboard.press("Enter")  # from the keyboard
    page.wait_for_url("**/app/creators/baker/conversations?asked=*")
    asked = page.locator("li.asked")
    assert "AI-generated" in asked.inner_text()
    assert "Answered from your posts" in asked.inner_text()
    assert asked.locator(".cited li").count() >= 1
    (m,) = (
        site["api"]
        .get("/v1/creators/baker/assistant/conversations")
        .json()["conversations"][0]["messages"]
    )
    assert m["answer"] in asked.inner_text()
    assert unlabelled(page) == []
    shot(page, "09-assistant-answer", docs="dashboard_assistant", of="body")
    # At a phone's width the conversation fits too.
    phone = page_of(PHONE)
    sign_in(phone, site["keys"]["baker"], then="/app/creators/baker/conversations")
    phone.wait_for_selector("li .answer")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
