"""The hand-labelled ad-creative set stays consistent, and its checker can fail."""

from __future__ import annotations

import copy

import pytest

from tests.creative.labelled import validate as labelled


@pytest.fixture(scope="module")
def data() -> tuple[dict[str, dict], list[dict]]:
    return labelled.load()


def _approved(creatives: list[dict]) -> dict:
    return next(c for c in creatives if c["label"] == "approve")


def test_labelled_set_is_consistent(data):
    briefs, creatives = data
    assert labelled.check(briefs, creatives) == []


def test_every_rule_has_enough_rejects_and_approvals_are_near_half(data):
    _, creatives = data
    assert len(creatives) >= 200
    for rule in labelled.RULES:
        assert sum(rule in c["rules"] for c in creatives) >= 12, rule
    share = sum(c["label"] == "approve" for c in creatives) / len(creatives)
    assert 0.40 <= share <= 0.50


def test_approved_creatives_are_within_limits_with_a_listed_call_to_action(data):
    briefs, creatives = data
    for c in (c for c in creatives if c["label"] == "approve"):
        assert len(c["headline"]) <= 40 and len(c["primary_text"]) <= 125, c["id"]
        assert c["call_to_action"] in labelled.CALLS_TO_ACTION, c["id"]
        assert not labelled.numbers_not_in_brief(c, briefs[c["brief_id"]]), c["id"]


def test_an_approved_creative_made_too_long_is_caught(data):
    briefs, creatives = copy.deepcopy(data)
    c = _approved(creatives)
    c["primary_text"] += " " + "x" * 125
    assert any(c["id"] in p and "over_length" in p for p in labelled.check(briefs, creatives))


def test_a_call_to_action_off_the_list_is_caught(data):
    briefs, creatives = copy.deepcopy(data)
    c = _approved(creatives)
    c["call_to_action"] = "Click here"
    assert any(
        c["id"] in p and "bad_call_to_action" in p for p in labelled.check(briefs, creatives)
    )


def test_a_lookalike_landing_domain_is_caught(data):
    briefs, creatives = copy.deepcopy(data)
    c = _approved(creatives)
    home = briefs[c["brief_id"]]["landing_url"]
    c["landing_url"] = home.replace(".test/", ".test.evil.example/")
    assert any(c["id"] in p and "off_domain_url" in p for p in labelled.check(briefs, creatives))


def test_an_unmarked_copy_of_a_variant_is_caught(data):
    briefs, creatives = copy.deepcopy(data)
    twin = dict(_approved(creatives), id="cr-twin")
    creatives.append(twin)
    assert any("cr-twin" in p and "not marked" in p for p in labelled.check(briefs, creatives))


def test_a_price_the_brief_never_states_is_caught(data):
    briefs, creatives = copy.deepcopy(data)
    c = _approved(creatives)
    c["primary_text"] = c["primary_text"][:100] + " Only £1."
    assert any(c["id"] in p and "not in the brief" in p for p in labelled.check(briefs, creatives))


def test_capitals_the_brief_defines_are_not_shouting(data):
    briefs, _ = data
    orbit = briefs["b10"]
    calm = {"headline": "ORBIT learns your week", "primary_text": "Fitted by Orbit."}
    loud = {"headline": "ORBIT: SMART HEATING", "primary_text": "Fitted by Orbit!!"}
    assert labelled.shouting_reasons(calm, orbit) == []
    assert labelled.shouting_reasons(loud, orbit) == ["SMART", "HEATING", "exclamation marks"]


def test_subdomains_are_on_domain_and_lookalikes_are_not(data):
    briefs, _ = data
    bank = briefs["b05"]
    assert not labelled.is_off_domain({"landing_url": "https://apply.northwindbank.test/x"}, bank)
    assert labelled.is_off_domain(
        {"landing_url": "https://northwindbank.test.offers.example/"}, bank
    )
    assert labelled.is_off_domain({"landing_url": "https://north-windbank.test/"}, bank)
