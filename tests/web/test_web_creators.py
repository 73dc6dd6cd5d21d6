"""A creator's pages over HTTP: signing in with a creator's key, setting up the
assistant, a test question and its logged answer, drafts and publishing, and
switching it off; each page says what the assistant routes say.

The language model is the assistant tests' mechanical fake (unifeed.llm's
interface); the encoder is the real one the assistant's thresholds are set for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import AUTH, KEY, make_settings
from tests.assistants.corpus import validate as corpus
from tests.assistants.fakes import CopyingModel
from tests.web.conftest import Visitor
from unifeed.web import create_app

BAKER = "crumb-and-crust"
QUESTION = "How often do you feed your starter, and how much goes in?"


def creator_with_posts(client: TestClient, cid: str, like: str = BAKER, posts: int = 12) -> str:
    """A creator `cid` with the first posts of a corpus creator; returns their key."""
    creators, _ = corpus.load()
    items = [
        {"id": f"{cid}-{p['id']}", "kind": "post", "author": cid, "text": p["text"]}
        for p in creators[like]["posts"][:posts]
    ]
    assert client.post("/v1/items", json={"items": items}).status_code == 200
    r = client.post("/v1/creators", json={"id": cid, "name": creators[like]["name"]})
    assert r.status_code == 201, r.text
    return str(r.json()["api_key"])


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("creators"), None)
    settings.encoder = "minilm"  # the real encoder: the assistant's thresholds are set for it
    settings.assistant_refresh_seconds = 0.0
    settings.assistant_model_answers = True  # the pages show a model-written, checked answer
    with TestClient(create_app(settings, language_model=CopyingModel()), headers=AUTH) as c:
        yield c


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_a_creator_signs_in_and_sets_up_their_assistant(app: TestClient) -> None:
    key = creator_with_posts(app, "baker-setup")
    v = Visitor(app)
    v.get("/app/sign-in")
    r = v.post("/app/sign-in", {"key": key})
    assert r.status_code == 303 and r.headers["location"] == "/app/creators/baker-setup/assistant"
    page = v.get(r.headers["location"])
    assert page.status_code == 200 and "not set up" in page.text
    # Refused beside each field, and nothing saved.
    bad = {"name": "", "links": "shop.example/book My book", "audience": "everyone"}
    r = v.post("/app/creators/baker-setup/assistant", bad)
    assert r.status_code == 422
    found = re.findall(
        r'id="(\w+)-error"><span class="visually-hidden">Error:</span> ([^<]+)', r.text
    )
    errors = dict(found)
    assert set(errors) == {"name", "links"}, errors
    assert "Line 1" in errors["links"] and 'role="alert"' in r.text
    assert app.get("/v1/creators/baker-setup/assistant").status_code == 404
    good = {
        "name": "Crumb bot",
        "persona": "Warm and brief.",
        "avoid_topics": "medical advice\n\nprices of flour",
        "links": "https://crumb.example/book The book\nhttps://crumb.example/class",
        "audience": "followers",
    }
    r = v.post("/app/creators/baker-setup/assistant", good)
    assert r.status_code == 303, r.text
    saved = app.get("/v1/creators/baker-setup/assistant").json()
    assert saved == {
        "creator_id": "baker-setup",
        "name": "Crumb bot",
        "persona": "Warm and brief.",
        "avoid_topics": ["medical advice", "prices of flour"],
        "links": [
            {"url": "https://crumb.example/book", "title": "The book"},
            {"url": "https://crumb.example/class", "title": ""},
        ],
        "audience": "followers",
        "enabled": True,
    }
    page = v.get(r.headers["location"]).text
    assert "Crumb bot talks to your followers" in text_of(page)
    assert "https://crumb.example/book The book" in page  # the form shows what is saved
    # Switched off: the API says so, and the page no longer offers a question.
    r = v.post("/app/creators/baker-setup/assistant/off")
    assert r.status_code == 303
    assert app.get("/v1/creators/baker-setup/assistant").json()["enabled"] is False
    page = v.get(r.headers["location"]).text
    assert "Switched off" in page and 'id="question"' not in page
    r = v.post("/app/creators/baker-setup/assistant/ask", {"question": QUESTION})
    assert r.status_code == 409 and "switched off" in r.text


def test_a_test_question_is_answered_cited_labelled_and_logged(app: TestClient) -> None:
    key = creator_with_posts(app, "baker-ask")
    v = Visitor(app).sign_in(key)
    v.post("/app/creators/baker-ask/assistant", {"name": "Crumb bot", "audience": "creator"})
    r = v.post("/app/creators/baker-ask/assistant/ask", {"question": ""})
    assert r.status_code == 422 and "Type a question" in r.text
    r = v.post("/app/creators/baker-ask/assistant/ask", {"question": QUESTION})
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/app/creators/baker-ask/conversations?asked=")
    logged = app.get("/v1/creators/baker-ask/assistant/conversations").json()["conversations"]
    assert [c["user_id"] for c in logged] == [None]  # asked as the creator
    (m,) = logged[0]["messages"]
    assert m["question"] == QUESTION and m["kind"] == "answered" and m["citations"]
    page = v.get(r.headers["location"])
    assert page.status_code == 200
    shown = text_of(page.text)
    assert f'id="m-{m["id"]}" class="asked"' in page.text
    assert QUESTION in shown and m["answer"] in shown and "AI-generated" in shown
    assert "Answered from your posts" in shown
    assert ("Check passed" if m["faithful"] else "Check failed") in shown
    for post in m["citations"]:
        assert f"<code>{post}</code>:" in page.text  # with the start of the post's text


def test_a_creator_drafts_reviews_and_publishes_a_post(app: TestClient) -> None:
    key = creator_with_posts(app, "baker-draft")
    v = Visitor(app).sign_in(key)
    r = v.post("/app/creators/baker-draft/drafts", {"topic": "rye starters"})
    assert r.status_code == 422 and "Set up your assistant first" in r.text
    v.post("/app/creators/baker-draft/assistant", {"name": "Crumb bot"})
    r = v.post("/app/creators/baker-draft/drafts", {"topic": "feeding a starter in winter"})
    assert r.status_code == 303, r.text
    (d,) = app.get("/v1/creators/baker-draft/drafts").json()["drafts"]
    assert d["status"] == "draft" and d["text"]
    page = v.get(r.headers["location"]).text
    assert d["text"] in text_of(page) and "AI-generated" in page
    assert all(f"<code>{p}</code>" in page for p in d["source_post_ids"])
    r = v.post(f"/app/creators/baker-draft/drafts/{d['id']}/publish")
    assert r.status_code == 303
    (d,) = app.get("/v1/creators/baker-draft/drafts").json()["drafts"]
    assert d["status"] == "published" and d["item_id"] == f"draft-{d['id']}"
    assert "published" in text_of(v.get("/app/creators/baker-draft/drafts").text)
    # Publishing twice changes nothing, and says so.
    r = v.post(f"/app/creators/baker-draft/drafts/{d['id']}/publish")
    assert r.status_code == 409 and "Already published" in r.text


def test_creators_and_advertisers_do_not_see_each_others_pages(app: TestClient) -> None:
    key = creator_with_posts(app, "baker-walls")
    creator = Visitor(app).sign_in(key)
    advertiser_key = app.post("/v1/advertisers", json={"id": "walls", "name": "W"}).json()
    advertiser = Visitor(app).sign_in(advertiser_key["api_key"])
    for path in ("/app/campaigns", "/app/campaigns/new", "/app/operator"):
        assert creator.get(path).status_code == 404, path
    for who in (advertiser, Visitor(app).sign_in(KEY)):
        r = who.get("/app/creators/baker-walls/assistant")
        assert r.status_code == 404 and "Crumb" not in r.text
    # A creator signs out like anyone else.
    assert creator.post("/app/sign-out").status_code == 303
    assert creator.get("/app/creators/baker-walls/assistant").status_code == 303
