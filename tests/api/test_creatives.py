"""A campaign's creatives over the real app and database: review, status, versions, generation.

Generation's route runs on a scripted language model (unifeed.llm's interface,
replaying fixed answers) where the test is about the route; the real embedded
model writes a campaign's drafts in the slow test at the end.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import AUTH, make_settings
from unifeed.api import create_app
from unifeed.creative import CreativeWriter
from unifeed.llm import Completion, Message

START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
SCHEDULE = {"start": START.isoformat(), "end": (START + timedelta(days=30)).isoformat()}
BRIEF = {
    "product": "Parlo",
    "description": "Parlo is a language-learning app with 15-minute daily lessons in 12 "
    "languages. 7-day free trial.",
    "landing_url": "https://parlo.test/start",
}
GOOD = {"headline": "Parlo: 12 languages", "primary_text": "Learn with Parlo in 15-minute lessons."}
BAD = {"headline": "Parlo GUARANTEES fluency", "primary_text": "You'll be fluent in 30 days!!"}


def campaign(client: TestClient, key: dict[str, str], **over: Any) -> str:
    body = {
        "name": "parlo",
        "objective": "app_promotion",
        "budget": {"amount_minor": 50_000, "currency": "EUR"},
        "schedule": SCHEDULE,
        "brief": BRIEF,
        **over,
    }
    r = client.post("/v1/campaigns", json=body, headers=key)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.fixture
def acme(client: TestClient) -> dict[str, str]:
    r = client.post("/v1/advertisers", json={"id": "acme", "name": "Acme"})
    return {"Authorization": f"Bearer {r.json()['api_key']}"}


def test_typed_creatives_are_reviewed_and_only_approved_ones_count(
    client: TestClient, acme: dict[str, str]
) -> None:
    cid = campaign(client, acme)
    r = client.post(f"/v1/campaigns/{cid}/creatives", json={"creatives": [GOOD, BAD]}, headers=acme)
    assert r.status_code == 201, r.text
    good, bad = r.json()["creatives"]
    assert (good["status"], good["serves"], good["version"]) == ("approved", True, 1)
    assert good["current"]["review"] == {"passed": True, "reasons": []}
    assert (bad["status"], bad["serves"]) == ("rejected", False)
    rules = {x["rule"] for x in bad["current"]["review"]["reasons"]}
    assert {"guaranteed_results", "unsupported_claim", "shouting"} <= rules
    assert all(x["reason"] for x in bad["current"]["review"]["reasons"])
    assert client.get(f"/v1/campaigns/{cid}", headers=acme).json()["creatives"] == 1
    listed = client.get(f"/v1/campaigns/{cid}/creatives", headers=acme).json()
    assert [(x["id"], x["status"], x["origin"]) for x in listed["creatives"]] == [
        (good["id"], "approved", "typed"),
        (bad["id"], "rejected", "typed"),
    ]
    assert listed["generation"]["status"] == "off"


def test_a_rejected_creative_cannot_be_approved_until_an_edit_passes(
    client: TestClient, acme: dict[str, str]
) -> None:
    cid = campaign(client, acme)
    (bad,) = client.post(
        f"/v1/campaigns/{cid}/creatives", json={"creatives": [BAD]}, headers=acme
    ).json()["creatives"]
    base = f"/v1/campaigns/{cid}/creatives/{bad['id']}"
    r = client.post(f"{base}/approve", headers=acme)
    assert r.status_code == 409 and "rejected" in r.json()["detail"]
    # An edit that still breaks a rule is a new version, rejected again.
    r = client.patch(base, json={"headline": "Parlo: learn to speak"}, headers=acme)
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["status"]) == (2, "rejected")
    # One that passes becomes a draft (the advertiser approves it), versions kept.
    r = client.patch(
        base, json={"primary_text": "Daily 15-minute lessons with Parlo."}, headers=acme
    )
    edited = r.json()
    assert (edited["version"], edited["status"], edited["serves"]) == (3, "draft", False)
    assert [v["version"] for v in edited["versions"]] == [1, 2, 3]
    assert len({v["item_id"] for v in edited["versions"]}) == 3  # a version is its own item
    assert edited["versions"][0]["primary_text"] == BAD["primary_text"]
    assert client.post(f"{base}/approve", headers=acme).json()["serves"] is True
    assert client.get(f"/v1/campaigns/{cid}", headers=acme).json()["creatives"] == 1
    paused = client.post(f"{base}/pause", headers=acme).json()
    assert (paused["status"], paused["serves"]) == ("paused", False)
    assert client.get(f"/v1/campaigns/{cid}", headers=acme).json()["creatives"] == 0
    assert client.post(f"{base}/reject", headers=acme).json()["status"] == "rejected"
    assert client.post(f"{base}/approve", headers=acme).status_code == 409


def test_plain_texts_are_text_only_ads_headed_by_the_product(
    client: TestClient, acme: dict[str, str]
) -> None:
    cid = campaign(client, acme)
    r = client.post(
        f"/v1/campaigns/{cid}/creatives",
        json={"texts": ["Daily lessons in 12 languages", "Speak in 30 days, guaranteed"]},
        headers=acme,
    )
    ok, bad = r.json()["creatives"]
    assert ok["current"]["headline"] is None and ok["status"] == "approved"
    assert bad["status"] == "rejected"
    assert len(r.json()["item_ids"]) == 2


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        ("/creatives", "POST", {}),
        ("/creatives", "POST", {"texts": ["a"], "creatives": [GOOD]}),
        ("/creatives", "POST", {"texts": []}),
        ("/creatives", "POST", {"creatives": [{"headline": "x" * 201, "primary_text": "y"}]}),
        ("/creatives", "POST", {"creatives": [{**GOOD, "landing_url": "not a url"}]}),
        ("/creatives", "POST", {"creatives": [{**GOOD, "colour": "red"}]}),
        ("/creatives/1", "PATCH", {}),
        ("/creatives/1", "PATCH", {"primary_text": ""}),
        ("/creatives/0/approve", "POST", None),
        ("/creatives/abc", "GET", None),
        ("/creatives/99999999999999999999", "GET", None),
        ("/creatives/generate", "POST", {"variants": 0}),
        ("/creatives/generate", "POST", {"variants": 11}),
    ],
)
def test_bad_input_is_a_422(
    client: TestClient, acme: dict[str, str], path: str, method: str, body: Any
) -> None:
    cid = campaign(client, acme)
    client.post(f"/v1/campaigns/{cid}/creatives", json={"creatives": [GOOD]}, headers=acme)
    r = client.request(method, f"/v1/campaigns/{cid}{path}", json=body, headers=acme)
    assert r.status_code == 422, (path, r.status_code, r.text)


def test_a_creative_of_another_campaign_is_a_404(client: TestClient, acme: dict[str, str]) -> None:
    one, two = campaign(client, acme), campaign(client, acme)
    (c,) = client.post(
        f"/v1/campaigns/{one}/creatives", json={"creatives": [GOOD]}, headers=acme
    ).json()["creatives"]
    assert client.get(f"/v1/campaigns/{one}/creatives/{c['id']}", headers=acme).status_code == 200
    for method, path in [
        ("GET", ""),
        ("POST", "/approve"),
        ("POST", "/reject"),
        ("POST", "/pause"),
        ("PATCH", ""),
    ]:
        body = {"headline": "Parlo now"} if method == "PATCH" else None
        r = client.request(
            method, f"/v1/campaigns/{two}/creatives/{c['id']}{path}", json=body, headers=acme
        )
        assert r.status_code == 404, (method, path, r.text)


def test_without_a_language_model_generation_says_so(
    client: TestClient, acme: dict[str, str]
) -> None:
    client.app.state.services.generations.writer = None  # as with UNIFEED_LLM=none
    r = client.post(
        "/v1/campaigns",
        json={
            "name": "p",
            "objective": "traffic",
            "budget": {"amount_minor": 500, "currency": "EUR"},
            "schedule": SCHEDULE,
            "brief": BRIEF,
            "generate_creatives": 3,
        },
        headers=acme,
    )
    assert r.status_code == 409 and "UNIFEED_LLM=none" in r.json()["detail"]
    assert client.get("/v1/campaigns", headers=acme).json() == []  # nothing half-made
    cid = campaign(client, acme)
    r = client.post(f"/v1/campaigns/{cid}/creatives/generate", headers=acme)
    assert r.status_code == 409 and "no language model" in r.json()["detail"]
    listed = client.get(f"/v1/campaigns/{cid}/creatives", headers=acme).json()
    assert listed["generation"]["status"] == "off"
    assert "UNIFEED_LLM=none" in listed["generation"]["detail"]


def answer(headline: str, text: str, button: str = "Download") -> str:
    return json.dumps({"headline": headline, "primary_text": text, "call_to_action": button})


@dataclass
class Scripted:
    """A language model that replays fixed answers (unifeed.llm's interface)."""

    script: list[str]
    name: str = "scripted"
    threads: set[str] = field(default_factory=set)

    def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        seed: int | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> Completion:
        import threading

        self.threads.add(threading.current_thread().name)
        return Completion(self.script.pop(0), self.name, 100, 40, 0.01, "stop")


SCRIPT = [
    answer("Parlo: 12 languages", "Learn with Parlo in 15-minute daily lessons."),
    answer("Parlo, free for 7 days", "Daily lessons with Parlo that fit a coffee break."),
]


def wait_for(client: TestClient, cid: str, key: dict[str, str]) -> dict[str, Any]:
    for _ in range(200):
        listed = client.get(f"/v1/campaigns/{cid}/creatives", headers=key).json()
        if listed["generation"]["status"] not in ("queued",):
            return listed
        time.sleep(0.05)
    raise AssertionError("generation did not finish")


@pytest.mark.parametrize("auto", [False, True])
def test_generated_creatives_are_drafts_unless_the_campaign_approves_them(
    client: TestClient, acme: dict[str, str], auto: bool
) -> None:
    model = Scripted(list(SCRIPT))
    client.app.state.services.generations.writer = CreativeWriter(model)
    cid = campaign(client, acme, generate_creatives=2, auto_approve_creatives=auto)
    listed = wait_for(client, cid, acme)
    g = listed["generation"]
    assert (g["status"], g["written"], g["attempts"]) == ("done", 2, 2), g
    assert g["parse_pass_rate"] == 1.0 and g["review_pass_rate"] == 1.0
    assert model.threads and all(t.startswith("creative-writer") for t in model.threads)
    got = listed["creatives"]
    assert [(x["origin"], x["angle"], x["model"]) for x in got] == [
        ("generated", "benefit", "scripted"),
        ("generated", "feature", "scripted"),
    ]
    expected = "approved" if auto else "draft"
    assert {x["status"] for x in got} == {expected}
    serving = client.get(f"/v1/campaigns/{cid}", headers=acme).json()["creatives"]
    assert serving == (2 if auto else 0)
    if not auto:
        approved = client.post(
            f"/v1/campaigns/{cid}/creatives/{got[0]['id']}/approve", headers=acme
        ).json()
        assert approved["serves"] is True


def test_a_slot_review_rejected_keeps_its_last_answer_as_rejected_with_reasons(
    client: TestClient, acme: dict[str, str]
) -> None:
    """The advertiser sees why the writer's answers failed, and can edit one into a draft."""
    bad = answer("Parlo: 90% off today", "Learn with Parlo, 90% off for new learners today.")
    client.app.state.services.generations.writer = CreativeWriter(
        Scripted([SCRIPT[0], bad, bad, bad])
    )
    cid = campaign(client, acme, generate_creatives=2, auto_approve_creatives=True)
    listed = wait_for(client, cid, acme)
    g = listed["generation"]
    assert (g["written"], g["rejected"], g["attempts"]) == (1, 1, 4), g
    assert "1 rejected by review" in g["detail"]
    ok, rejected = listed["creatives"]
    assert (ok["status"], rejected["status"], rejected["serves"]) == ("approved", "rejected", False)
    reasons = rejected["current"]["review"]["reasons"]
    assert [(r["rule"], "90" in r["reason"]) for r in reasons] == [("unsupported_claim", True)]
    assert client.get(f"/v1/campaigns/{cid}", headers=acme).json()["creatives"] == 1
    fixed = client.patch(
        f"/v1/campaigns/{cid}/creatives/{rejected['id']}",
        json={"headline": "Parlo: 12 languages", "primary_text": "Learn with Parlo daily."},
        headers=acme,
    )
    assert fixed.status_code == 200 and fixed.json()["status"] == "draft", fixed.text


def test_regenerate_queues_and_answers_202(client: TestClient, acme: dict[str, str]) -> None:
    client.app.state.services.generations.writer = CreativeWriter(Scripted(list(SCRIPT)))
    cid = campaign(client, acme)
    r = client.post(f"/v1/campaigns/{cid}/creatives/generate", json={"variants": 2}, headers=acme)
    assert r.status_code == 202, r.text
    assert r.json()["status"] in ("queued", "done") and r.json()["variants"] == 2
    listed = wait_for(client, cid, acme)
    assert listed["generation"]["written"] == 2
    assert all(x["status"] == "draft" for x in listed["creatives"])


@pytest.mark.slow
def test_the_embedded_model_writes_drafts_in_the_background(tmp_path: Path) -> None:
    """The real SmolLM2 (UNIFEED_LLM=embedded): the route returns at once and
    the writer stores what passed parsing and review as drafts."""
    settings = make_settings(tmp_path / "d", None, llm="embedded")
    with TestClient(create_app(settings), headers=AUTH) as client:
        r = client.post("/v1/advertisers", json={"id": "acme", "name": "Acme"})
        key = {"Authorization": f"Bearer {r.json()['api_key']}"}
        began = time.perf_counter()
        cid = campaign(client, key, generate_creatives=3)
        assert time.perf_counter() - began < 5.0  # the model runs in the background
        for _ in range(600):
            listed = client.get(f"/v1/campaigns/{cid}/creatives", headers=key).json()
            if listed["generation"]["status"] != "queued":
                break
            time.sleep(0.5)
        g = listed["generation"]
        assert g["status"] == "done", g
        assert g["attempts"] >= 3
        assert len(listed["creatives"]) == g["written"] + g["rejected"]
        for x in listed["creatives"]:
            assert x["origin"] == "generated"
            assert x["status"] == ("draft" if x["current"]["review"]["passed"] else "rejected")
        assert client.get(f"/v1/campaigns/{cid}", headers=key).json()["creatives"] == 0


@dataclass
class Gone:
    """A back-end that went away after start-up."""

    name: str = "gone"

    def complete(self, messages: list[Message], **kw: Any) -> Completion:
        from unifeed.llm import BackendUnavailable

        raise BackendUnavailable("the server at http://127.0.0.1:9 stopped answering")


def test_a_failed_generation_says_why(client: TestClient, acme: dict[str, str]) -> None:
    client.app.state.services.generations.writer = CreativeWriter(Gone())
    cid = campaign(client, acme, generate_creatives=2)
    g = wait_for(client, cid, acme)["generation"]
    assert g["status"] == "failed" and "stopped answering" in g["detail"], g
    assert client.get(f"/v1/campaigns/{cid}/creatives", headers=acme).json()["creatives"] == []
