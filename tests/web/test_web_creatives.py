"""A campaign's ads on its page over HTTP: written from the brief at launch, edited
into new versions, regenerated, and more written; each step is the API's own.

Ads are written by the creative tests' scripted model (unifeed.llm's interface,
replaying fixed answers); the real model writes them in tests/api/test_creatives.py.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import AUTH, make_settings
from tests.api.test_creatives import Scripted, answer
from tests.web.conftest import Visitor, launch_form
from unifeed.creative import CreativeWriter
from unifeed.web import create_app

BRIEF = "Hand-made pasta with garlic sauce, delivered the same day in Berlin."
WRITTEN = [
    answer("Fresh pasta for dinner", "Hand-made pasta with garlic sauce.", "Learn more"),
    answer("Fresh pasta in Berlin", "Delivered the same day in Berlin.", "Shop now"),
    answer("Fresh pasta, same day", "Garlic sauce included, delivered the same day.", "Learn more"),
]


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for the module: each test is an advertiser of its own."""
    settings = make_settings(tmp_path_factory.mktemp("creatives"), None)
    with TestClient(create_app(settings), headers=AUTH) as c:
        yield c


def advertiser(web: TestClient) -> Visitor:
    name = f"a-{uuid.uuid4().hex[:8]}"
    key = web.post("/v1/advertisers", json={"id": name, "name": name}).json()["api_key"]
    return Visitor(web).sign_in(key)


def writes(web: TestClient, script: list[str] | None) -> None:
    """Give the server a scripted writer, or none (as with UNIFEED_LLM=none)."""
    services = web.app.state.services  # type: ignore[attr-defined]
    services.generations.writer = None if script is None else CreativeWriter(Scripted(script))


def listed(web: TestClient, cid: str, written: int) -> list[dict[str, Any]]:
    """The campaign's creatives once the latest generation is over."""
    for _ in range(200):
        got = web.get(f"/v1/campaigns/{cid}/creatives").json()
        if got["generation"]["status"] != "queued":
            assert got["generation"]["written"] == written, got["generation"]
            return list(got["creatives"])
        time.sleep(0.05)
    raise AssertionError("the generation did not finish")


def launched(v: Visitor, **over: str) -> str:
    r = v.post("/app/campaigns", launch_form(description=BRIEF, **over))
    assert r.status_code == 303, r.text
    return r.headers["location"].split("/")[-1].split("?")[0]


def test_ads_written_from_the_brief_wait_as_drafts_and_are_approved(web: TestClient) -> None:
    writes(web, list(WRITTEN))
    v = advertiser(web)
    form = v.get("/app/campaigns/new").text
    assert 'id="generate"' in form and 'value="3"' in form  # written by default
    cid = launched(v, generate="2")
    page = v.get(f"/app/campaigns/{cid}?launched=1").text
    assert "Writing 2 ads from your brief" in page or "Written from your brief" in page
    drafts = listed(web, cid, 2)
    assert [(x["status"], x["origin"]) for x in drafts] == [("draft", "generated")] * 2
    page = v.get(f"/app/campaigns/{cid}").text
    assert "Written from your brief: 2 of 2 ads" in page
    assert page.count("Review passed it against your brief") == 2
    assert "Approve ad 1" in page and "Regenerate ad 1" in page
    assert v.post(f"/app/campaigns/{cid}/creatives/{drafts[0]['id']}/approve").status_code == 303
    assert web.get(f"/v1/campaigns/{cid}").json()["creatives"] == 1
    # Automatic approval, from "more options": the written ads serve at once.
    writes(web, list(WRITTEN))
    cid = launched(v, generate="2", auto_approve="on")
    assert {x["status"] for x in listed(web, cid, 2)} == {"approved"}


def test_without_a_model_the_form_offers_no_written_ads(web: TestClient) -> None:
    writes(web, None)
    v = advertiser(web)
    assert 'id="generate"' not in v.get("/app/campaigns/new").text
    r = v.post("/app/campaigns", launch_form(generate="2"))
    assert r.status_code == 422 and "This server cannot write ads" in r.text
    assert (
        web.get("/v1/campaigns", headers={"Authorization": f"Bearer {v.key}"}).json() == []
    )  # nothing half-made
    cid = launched(v)
    r = v.post(f"/app/campaigns/{cid}/creatives/generate", {"variants": "2"})
    assert r.status_code == 409 and "no language model" in r.text


def test_an_edit_is_a_new_version_reviewed_again(web: TestClient) -> None:
    writes(web, None)
    v = advertiser(web)
    cid = launched(v)
    r = v.post(f"/app/campaigns/{cid}/creatives", {"text": "Fresh pasta tonight."})
    assert r.status_code == 303
    (ad,) = web.get(f"/v1/campaigns/{cid}/creatives").json()["creatives"]
    edit = f"/app/campaigns/{cid}/creatives/{ad['id']}/edit"
    same = {"headline": "", "primary_text": "Fresh pasta tonight.", "call_to_action": "Learn more"}
    r = v.post(edit, same)
    assert r.status_code == 422 and "Nothing was changed" in r.text
    # An edit review rejects: the ad stops serving, with the reasons on the page.
    r = v.post(edit, {**same, "primary_text": "GUARANTEED fluency in 30 days!!"})
    assert r.status_code == 303
    got = web.get(f"/v1/campaigns/{cid}/creatives/{ad['id']}").json()
    assert (got["version"], got["status"]) == (2, "rejected")
    page = v.get(f"/app/campaigns/{cid}").text
    assert "Review rejected this version" in page and "version 2" in page
    assert "Approve ad 1" not in page  # a rejected version cannot be approved
    # Edited again into one that passes, it is a draft to approve.
    r = v.post(edit, {**same, "primary_text": "Hand-made pasta, delivered today."})
    assert r.status_code == 303
    got = web.get(f"/v1/campaigns/{cid}/creatives/{ad['id']}").json()
    assert (got["version"], got["status"]) == (3, "draft")
    assert v.post(f"/app/campaigns/{cid}/creatives/{ad['id']}/approve").status_code == 303
    # A form that is not an ad is refused beside nothing stored.
    r = v.post(edit, {**same, "primary_text": ""})
    assert r.status_code == 422 and "Edit primary text" in r.text
    assert web.get(f"/v1/campaigns/{cid}/creatives/{ad['id']}").json()["version"] == 3
    assert re.search(r"<details class=\"edit\" open>", r.text)  # the form stays open


def test_regenerate_replaces_a_draft_with_a_newly_written_ad(web: TestClient) -> None:
    writes(web, list(WRITTEN))
    v = advertiser(web)
    cid = launched(v, generate="1")
    (first,) = listed(web, cid, 1)
    r = v.post(f"/app/campaigns/{cid}/creatives/{first['id']}/regenerate")
    assert r.status_code == 303, r.text
    got = listed(web, cid, 1)
    assert [(x["id"], x["status"]) for x in got] == [
        (first["id"], "rejected"),
        (first["id"] + 1, "draft"),
    ]
    assert got[1]["current"]["headline"] != first["current"]["headline"]
    # An approved ad is edited, paused or rejected, not regenerated.
    assert v.post(f"/app/campaigns/{cid}/creatives/{got[1]['id']}/approve").status_code == 303
    r = v.post(f"/app/campaigns/{cid}/creatives/{got[1]['id']}/regenerate")
    assert r.status_code == 409 and "is approved" in r.text
    # More ads from the brief: the API's generate, with the number asked for.
    r = v.post(f"/app/campaigns/{cid}/creatives/generate", {"variants": "1"})
    assert r.status_code == 303
    assert len(listed(web, cid, 1)) == 3
    r = v.post(f"/app/campaigns/{cid}/creatives/generate", {"variants": "99"})
    assert r.status_code == 422 and "Ask for 1 to 10 ads" in r.text
