"""The dashboard's pages over HTTP: the launch form validates like the API, a
campaign's page shows what its report says, and the operator sees the model
and why each item of a user's feed is there."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import KEY
from tests.web.conftest import Visitor, launch_form
from tests.web.market import AD_TEXTS, TINY, deliver
from unifeed.web import formats


def launched(v: Visitor, **over: str) -> str:
    r = v.post("/app/campaigns", launch_form(**over))
    assert r.status_code == 303, r.text
    return r.headers["location"].split("/")[-1].split("?")[0]


def test_the_launch_form_refuses_bad_input_beside_each_field(web: TestClient) -> None:
    v = Visitor(web).sign_in(
        web.post("/v1/advertisers", json={"id": "a", "name": "A"}).json()["api_key"]
    )
    assert v.get("/app/campaigns/new").status_code == 200
    bad = launch_form(
        objective="",
        budget="12.345",
        landing_url="not a url",
        end="yesterday",
        bid_strategy="roas",
        roas_goal="",
        countries="Germany",
        click_days="90",
    )
    r = v.post("/app/campaigns", bad)
    assert r.status_code == 422
    errors = dict(
        re.findall(r'id="(\w+)-error"><span class="visually-hidden">Error:</span> ([^<]+)', r.text)
    )
    assert set(errors) == {
        "objective",
        "budget",
        "landing_url",
        "end",
        "roas_goal",
        "countries",
        "click_days",
    }, errors
    assert "2 decimal places" in errors["budget"]
    assert 'aria-invalid="true"' in r.text and 'role="alert"' in r.text
    assert 'value="Fresh pasta"' in r.text  # what was typed comes back
    assert '<details class="more" open>' in r.text  # errors inside "more options" open it
    # The API's own rules: a ROAS goal needs the sales objective.
    r = v.post("/app/campaigns", launch_form(bid_strategy="roas", roas_goal="3"))
    assert r.status_code == 422 and "objective=sales" in r.text
    # ...and the schedule's horizon, checked on the service's clock.
    r = v.post("/app/campaigns", launch_form(start="2020-01-01T00:00", end="2020-02-01T00:00"))
    assert r.status_code == 422 and "days before now" in r.text
    assert web.get("/v1/campaigns").json() == []  # nothing was launched


def test_a_launched_campaign_is_what_the_api_would_have_made(web: TestClient) -> None:
    key = web.post("/v1/advertisers", json={"id": "a", "name": "A"}).json()["api_key"]
    v = Visitor(web).sign_in(key)
    form = launch_form(
        objective="sales",
        budget="1,250.50",
        budget_kind="daily",
        bid_strategy="cost_per_result",
        cost_goal="4.5",
        countries="de, fr",
        min_age="18",
        click_days="3",
        view_days="0",
        tone="warm",
    )
    cid = launched(v, **form)
    got = web.get(f"/v1/campaigns/{cid}").json()
    assert got["objective"] == "sales" and got["name"] == "Fresh pasta"
    assert got["budget"] == {"amount_minor": 125050, "currency": "EUR", "kind": "daily"}
    assert got["bid_strategy"]["type"] == "cost_per_result"
    assert got["bid_strategy"]["cost_per_result_minor"] == 450
    assert got["constraints"] == {"countries": ["DE", "FR"], "min_age": 18}
    assert got["attribution"] == {"click_days": 3, "view_days": 0}
    assert got["brief"]["tone"] == "warm"
    page = v.get(f"/app/campaigns/{cid}?launched=1")
    assert page.status_code == 200 and "Launched." in page.text and "scheduled" not in page.text
    # Yen have no minor digits: 500 is 500.
    cid = launched(v, currency="JPY", budget="500")
    assert web.get(f"/v1/campaigns/{cid}").json()["budget"]["amount_minor"] == 500


def test_ads_delivered_show_on_the_campaign_page_as_the_report_counts_them(
    web: TestClient, keys: dict[str, str]
) -> None:
    v = Visitor(web).sign_in(keys["acme"])
    cid = launched(v)
    page = v.get(f"/app/campaigns/{cid}")
    # In its flight but with no ad to show: "no ads", not "learning", here and in the list.
    assert "No ads yet" in page.text and 'id="campaign-status">no ads<' in page.text
    assert "status-no-ads" in v.get("/app/campaigns").text
    # Ads: an empty submission is refused, then two are added.
    r = v.post(f"/app/campaigns/{cid}/creatives", {"text": ["", ""]})
    assert r.status_code == 422 and "Write at least one ad" in r.text
    r = v.post(f"/app/campaigns/{cid}/creatives", {"text": list(AD_TEXTS)})
    assert r.status_code == 303
    got = deliver(web, "d1")
    assert got["shown"] >= 10 and got["clicked"] >= 3, got
    report = web.get(f"/v1/campaigns/{cid}/report").json()
    assert report["spend_minor"] > 0 and report["results"] == got["clicked"]
    assert report["impressions"] == got["shown"] and report["clicks"] == got["clicked"]
    page = v.get(f"/app/campaigns/{cid}").text
    figure = dict(re.findall(r'<dd id="fig-(\w+)">([^<]+)</dd>', page))
    assert figure["spend"] == formats.money(report["spend_minor"], "EUR")
    assert figure["results"] == str(report["results"])
    assert figure["impressions"] == str(report["impressions"])
    assert figure["reach"] == str(report["reach"])
    for text in AD_TEXTS:
        assert text in page
    assert 'id="campaign-status">learning<' in page  # delivering, on its first impressions
    # Each ad's own figures and label, as the report's variants count them.
    variants = report["creatives"]["variants"]
    shown = re.findall(r'<span class="creative-figures">([^<]+)</span> · <strong>(\w+)<', page)

    def figures(x: dict) -> str:
        cost = x["cost_per_result_minor"]
        return (
            f"{x['impressions']} impressions, {x['clicks']} clicks, {x['results']} results, "
            f"{formats.money(x['spend_minor'], 'EUR')} spent"
            + ("" if cost is None else f", {formats.money(cost, 'EUR', True)} per result")
        )

    assert shown == [(figures(x), x["label"]) for x in variants]
    assert sum(x["impressions"] for x in variants) == report["impressions"]
    # The charts are drawn on the server, each with a table of its numbers.
    assert page.count("<svg") == 6  # spend, results, age, gender, country, interest
    assert "<polyline" in page and "who responded" in page
    assert "food" in page  # the interest the users who saw it engage with
    # Pause and resume.
    assert v.post(f"/app/campaigns/{cid}/pause").status_code == 303
    assert "Resume campaign" in v.get(f"/app/campaigns/{cid}").text
    assert web.get(f"/v1/campaigns/{cid}").json()["status"] == "paused"
    assert deliver(web, "d2")["shown"] == 0  # a paused campaign shows nothing
    assert v.post(f"/app/campaigns/{cid}/resume").status_code == 303
    assert web.get(f"/v1/campaigns/{cid}").json()["status"] == "active"
    # The list shows the same figures.
    listing = v.get("/app/campaigns").text
    assert formats.money(report["spend_minor"], "EUR") in listing and "Fresh pasta" in listing


def test_the_operator_sees_why_each_item_of_a_feed_is_there(
    web: TestClient, keys: dict[str, str]
) -> None:
    acme, globex = Visitor(web).sign_in(keys["acme"]), Visitor(web).sign_in(keys["globex"])
    for v, product in ((acme, "Fresh pasta"), (globex, "Pasta pots")):
        cid = launched(v, product=product)
        v.post(f"/app/campaigns/{cid}/creatives", {"text": list(AD_TEXTS)})
    deliver(web, "d1")
    op = Visitor(web).sign_in(KEY)
    overview = op.get("/app/operator")
    assert overview.status_code == 200
    counts = dict(re.findall(r'<dd id="count-(\w+)">([^<]+)</dd>', overview.text))
    assert counts["users"] == "30" and counts["campaigns"] == "2"
    services = web.app.state.services  # type: ignore[attr-defined]
    assert services.feed.model.version in overview.text
    assert "AUC" in overview.text and "/app/operator/users/u29" in overview.text  # served last
    r = op.get("/app/operator/users", params={"user_id": "u0"})
    assert r.status_code == 303 and r.headers["location"] == "/app/operator/users/u0"
    page = op.get("/app/operator/users/u0")
    assert page.status_code == 200
    text = page.text
    # History, the pages served with the auction's record, and a live preview.
    assert "click" in text and "Pages served" in text
    assert "paid" in text and "runner-up" in text  # both campaigns bid for these slots
    preview = text.split('id="preview"')[1].split("</table>")[0]
    ads = re.findall(r'<tr class="ad">(.*?)</tr>', preview, re.S)
    assert ads, "the preview places an ad"
    assert "Won the auction" in ads[0] and "Runner-up" in ads[0] and "would pay" in ads[0]
    # The bid and the price in the campaign's currency, as the advertiser reads money.
    bid, pay = re.findall(r'class="money">([^<]+)<', ads[0])
    minor = re.search(r"\(([\d.,]+) in minor units\)", ads[0])
    assert minor and bid == formats.money(float(minor.group(1).replace(",", "")), "EUR")
    assert re.fullmatch(r"\d+\.\d\d EUR", pay), pay  # a whole number of cents
    served = text.split('id="served-title"')[1]
    assert re.search(r'paid <span class="money">\d+\.\d+ EUR</span> for the impression', served)
    assert re.findall(r'<tr class="organic">', preview)
    # A dry run: the preview logged no page (pages served is unchanged by it).
    pages_before = services.store.count("feed_requests")
    op.get("/app/operator/users/u0")
    assert services.store.count("feed_requests") == pages_before
    # Unknown, odd and over-long user ids are a 404 page, never a 5xx.
    for user in ("nobody", "%00", "x" * 300, "a%2Fb"):
        assert op.get(f"/app/operator/users/{user}").status_code == 404, user


def test_the_operator_retrains_and_the_new_model_is_served(
    web: TestClient, keys: dict[str, str]
) -> None:
    services = web.app.state.services  # type: ignore[attr-defined]
    services.retrainer.config = TINY
    before = services.feed.model.version
    op = Visitor(web).sign_in(KEY)
    r = op.post("/app/operator/retrain")
    assert r.status_code == 303 and r.headers["location"] == "/app/operator?retrain=started"
    assert "Retraining since" in op.get("/app/operator").text
    assert op.post("/app/operator/retrain").headers["location"].endswith("retrain=running")
    deadline = time.monotonic() + 240
    while services.retrainer.status().running and time.monotonic() < deadline:
        time.sleep(0.5)
    status = services.retrainer.status()
    assert status.error is None and status.version is not None
    r = op.post("/app/operator/reload")
    assert r.headers["location"].endswith("reload=loaded")
    page = op.get(r.headers["location"]).text
    assert status.version in page and status.version != before
    assert f"published {status.version}" in page
    # The same through the API.
    assert web.get("/v1/admin/retrain").json()["version"] == status.version


@pytest.mark.parametrize(
    ("method", "path", "kw", "status"),
    [
        ("GET", "/app/campaigns/not-hex", {}, 404),
        ("GET", "/app/campaigns/" + "f" * 65, {}, 404),
        ("GET", "/app/nowhere", {}, 404),
        ("DELETE", "/app/campaigns", {}, 405),
        (
            "POST",
            "/app/campaigns",
            {
                "content": b"\xff\xfe",
                "headers": {"content-type": "application/x-www-form-urlencoded"},
            },
            400,
        ),
        (
            "POST",
            "/app/campaigns",
            {"content": b"a=1", "headers": {"content-type": "multipart/form-data"}},
            415,
        ),
        (
            "POST",
            "/app/campaigns",
            {
                "content": b"a=" + b"x" * 70_000,
                "headers": {"content-type": "application/x-www-form-urlencoded"},
            },
            413,
        ),
    ],
)
def test_odd_requests_get_a_page_never_a_5xx(
    web: TestClient, method: str, path: str, kw: dict, status: int
) -> None:
    v = Visitor(web).sign_in(KEY)
    r = v.request(method, path, **kw)
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    # The API keeps its JSON errors.
    assert web.get("/v1/campaigns/zz").headers["content-type"] == "application/json"


def test_the_campaign_page_shows_each_ads_review_and_its_steps(
    web: TestClient, keys: dict[str, str]
) -> None:
    v = Visitor(web).sign_in(keys["acme"])
    cid = launched(v)
    bad = "Fresh pasta GUARANTEED to cure your cold"
    assert (
        v.post(f"/app/campaigns/{cid}/creatives", {"text": [AD_TEXTS[0], bad]}).status_code == 303
    )
    good_id, bad_id = (
        x["id"] for x in web.get(f"/v1/campaigns/{cid}/creatives").json()["creatives"]
    )
    page = v.get(f"/app/campaigns/{cid}").text
    assert "health claim:" in page and "guaranteed results:" in page  # review's reasons
    assert f"/creatives/{bad_id}/approve" not in page  # no button for what cannot serve
    assert f"/creatives/{good_id}/pause" in page
    r = v.post(f"/app/campaigns/{cid}/creatives/{bad_id}/approve")
    assert r.status_code == 409 and "is rejected: only a creative that is draft" in r.text
    assert v.post(f"/app/campaigns/{cid}/creatives/{good_id}/pause").status_code == 303
    assert web.get(f"/v1/campaigns/{cid}/creatives/{good_id}").json()["status"] == "paused"
    assert f"/creatives/{good_id}/approve" in v.get(f"/app/campaigns/{cid}").text
    assert v.post(f"/app/campaigns/{cid}/creatives/{good_id}/approve").status_code == 303
    assert web.get(f"/v1/campaigns/{cid}").json()["creatives"] == 1
    assert v.post(f"/app/campaigns/{cid}/creatives/99999/approve").status_code == 404
    assert v.post(f"/app/campaigns/{cid}/creatives/x1/approve").status_code == 404
