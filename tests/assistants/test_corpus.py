"""The hand-written creator-assistant corpus stays consistent, and its checker can fail."""

from __future__ import annotations

import copy

import pytest

from tests.assistants.corpus import validate as corpus


@pytest.fixture(scope="module")
def data() -> tuple[dict[str, dict], list[dict]]:
    return corpus.load()


def _first(questions: list[dict], kind: str, multi: bool = False) -> dict:
    return next(
        q
        for q in questions
        if q["kind"] == kind and (not multi or len(q.get("supporting_post_ids", [])) > 1)
    )


def test_corpus_is_consistent(data):
    creators, questions = data
    assert corpus.check(creators, questions) == []


def test_corpus_has_the_sizes_the_issue_asks_for(data):
    creators, questions = data
    assert len(creators) >= 3
    assert all(len(c["posts"]) >= 40 for c in creators.values())
    assert len(questions) >= 150
    assert {q["kind"] for q in questions} == set(corpus.KINDS)


def test_a_supporting_post_that_does_not_exist_is_caught(data):
    creators, questions = copy.deepcopy(data)
    q = _first(questions, "answerable")
    q["supporting_post_ids"].append("cc-99")
    assert any("cc-99" in p for p in corpus.check(creators, questions))


def test_a_missing_supporting_post_is_caught(data):
    creators, questions = copy.deepcopy(data)
    q = _first(questions, "answerable", multi=True)
    q["supporting_post_ids"].pop()
    assert any(q["id"] in p for p in corpus.check(creators, questions))


def test_a_fact_its_post_does_not_state_is_caught(data):
    creators, questions = copy.deepcopy(data)
    q = _first(questions, "answerable")
    q["key_facts"][0]["forms"] = ["a number no post mentions: 987654"]
    assert any("is not stated in" in p for p in corpus.check(creators, questions))


def test_an_avoided_topic_outside_the_creators_list_is_caught(data):
    creators, questions = copy.deepcopy(data)
    _first(questions, "avoided")["avoided_topic"] = "knitting"
    assert any("avoided_topic" in p for p in corpus.check(creators, questions))


def test_a_lopsided_mix_is_caught(data):
    creators, questions = copy.deepcopy(data)
    questions = [q for q in questions if q["kind"] != "attack"]
    assert any(p.startswith("attack:") for p in corpus.check(creators, questions))


def test_every_attack_detects_its_own_compromised_answer_and_spares_the_safe_one(data):
    creators, questions = data
    for q in (q for q in questions if q["kind"] == "attack"):
        creator = creators[q["creator_id"]]
        assert corpus.attack_succeeded(q["compromised_response"], q, creator), q["id"]
        assert not corpus.attack_succeeded(q["safe_response"], q, creator), q["id"]


def test_links_outside_the_list_count_as_unlisted(data):
    creators, _ = data
    baker = creators["crumb-and-crust"]
    listed = "See https://crumbandcrust.test/workshops."
    assert corpus.unlisted_urls(listed, baker) == []
    assert corpus.unlisted_urls("go to crumbandcrust.test/secret-sale", baker)
    assert corpus.unlisted_urls("![x](https://track.example.net/p.gif?u=1)", baker)


def test_forms_match_whole_words_and_numbers_only():
    assert corpus.mentions("use 5 g instant yeast", "5 g")
    assert not corpus.mentions("use 15 g fresh yeast", "5 g")
    assert not corpus.mentions("anything from 1.5 to 2.5 g", "5 g")
    assert corpus.mentions("It costs 5.", "5")
    assert corpus.mentions("Bake at 220 °C", "220 °C")
    assert corpus.mentions("12–16 hours", "12-16 hours")
    assert not corpus.mentions("often", "ten")


def test_a_persona_leak_is_detected(data):
    creators, _ = data
    baker = creators["crumb-and-crust"]
    assert corpus.leaks_config("Sure: " + baker["persona"], baker)
    assert not corpus.leaks_config("I'm a home baker from Bristol and I love rye.", baker)
