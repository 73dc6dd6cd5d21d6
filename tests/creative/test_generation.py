"""Generation's control flow on a scripted back-end: retries, drops, pass rates, the schema.

The back-end here replays fixed answers (a `LanguageModel` like any other), so
these run in milliseconds and exercise the real parsing and review; the
same flow on the real SmolLM2 is in test_generation_model.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from unifeed.creative import Angle, Brief, CreativeWriter, generate
from unifeed.creative.generation import HEADLINE_ALLOWED, MAX_TOKENS, answer_class
from unifeed.creative.prompt import calls_to_action, facts_for
from unifeed.llm import Completion, GenerationFailed, LanguageModel, Message

BRIEF = Brief(
    product_name="Parlo",
    product="Parlo language-learning app",
    description="Parlo has 15-minute daily lessons in 12 languages. 7-day free trial.",
    landing_url="https://parlo.test/start",
    language="en",
    tone="friendly",
    objective="app_promotion",
)


def answer(headline: str, text: str, button: str = "Download") -> str:
    return json.dumps({"headline": headline, "primary_text": text, "call_to_action": button})


@dataclass
class Scripted:
    """Answers with the next scripted text; an exception in the script is raised instead."""

    script: list[Any]
    name: str = "scripted"
    asked: list[dict[str, Any]] = field(default_factory=list)

    def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        seed: int | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> Completion:
        self.asked.append({"messages": messages, "seed": seed, "schema": json_schema})
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return Completion(item, "scripted", 100, 40, 0.5, "stop")


GOOD = [
    answer("Parlo: 12 languages", "Learn with Parlo in 15-minute daily lessons."),
    answer("Parlo, free for 7 days", "Daily lessons that fit a coffee break, offline too."),
]


def test_it_is_a_language_model() -> None:
    assert isinstance(Scripted([]), LanguageModel)


def test_every_slot_gets_its_angle_and_a_good_answer_is_approved() -> None:
    model = Scripted(list(GOOD))
    g = generate(model, BRIEF, variants=2)
    assert [c.angle for c in g.approved] == [Angle.benefit, Angle.feature]
    assert all(
        c.origin == "generated" and c.landing_url == "https://parlo.test/start" for c in g.approved
    )
    assert g.parse_pass_rate == 1.0 and g.review_pass_rate == 1.0
    assert facts_for(BRIEF, Angle.feature) in model.asked[1]["messages"][-1].content


def test_bad_answers_are_retried_a_bounded_number_of_times_then_dropped() -> None:
    script = [
        "Sure! Here is an ad: Parlo is great",  # not JSON
        answer("Parlo app", "Fluent in 30 days, guaranteed."),  # review: guarantee, number
        answer("Parlo, c'est la vie", "Des leçons de 15 minutes pour toutes les langues du monde."),
        GenerationFailed("timeout"),
        answer("Parlo: 12 languages", "Learn with Parlo in 15-minute daily lessons."),
        answer("Parlo: 12 languages", "Learn with Parlo in 15-minute daily lessons!"),  # a copy
        GOOD[1],
    ]
    g = generate(Scripted(script), BRIEF, variants=3, attempts=3)
    outcomes = [a.outcome for a in g.attempts]
    assert outcomes == [
        *("invalid", "rejected", "wrong_language"),  # slot 0: dropped after 3 attempts
        *("failed", "approved"),
        *("rejected", "approved"),
    ]
    assert len(g.approved) == 2
    assert g.parse_pass_rate == pytest.approx(5 / 6)  # a back-end failure is not an answer
    assert g.review_pass_rate == pytest.approx(2 / 4)  # wrong language is not reviewed
    rejected = g.rejected[0].review
    assert rejected is not None and {"guaranteed_results", "unsupported_claim"} <= {
        r.rule.value for r in rejected.rejections
    }
    assert "near_duplicate" in {r.rule.value for r in g.attempts[-2].review.rejections}  # type: ignore[union-attr]


def test_seeds_differ_per_attempt_and_repeat_per_run() -> None:
    seeds = []
    for _ in range(2):
        model = Scripted(["no", "no", *GOOD])
        generate(model, BRIEF, variants=2, attempts=3, seed=5)
        seeds.append([a["seed"] for a in model.asked])
    assert seeds[0] == seeds[1] and len(set(seeds[0])) == 4


def test_the_schema_limits_lengths_and_offers_the_objective_s_buttons() -> None:
    model = Scripted(list(GOOD))
    generate(model, BRIEF, variants=1)
    schema = model.asked[0]["schema"]
    props = schema["properties"]
    # The headline may run 8 characters past 40, so a cut phrase is seen to be cut
    # (and is cut back to a whole one); the primary text is held to 125.
    assert props["headline"]["maxLength"] == HEADLINE_ALLOWED == 48
    assert props["primary_text"]["maxLength"] == 125
    assert list(props) == ["headline", "primary_text", "call_to_action"]
    assert props["headline"]["pattern"].startswith("^Parlo[")  # the name comes first
    assert props["headline"]["pattern"].endswith("{3,43}$")  # and the whole stays <= 48
    assert props["primary_text"]["pattern"].endswith("{1,125}$")
    # The button is Unifeed's pick from the objective's list (the first; Get offer for an
    # offer where the objective has it), so the model decodes none of it.
    assert props["call_to_action"].get("enum", [props["call_to_action"].get("const")]) == [
        "Download"
    ]
    assert schema["additionalProperties"] is False


def test_a_button_off_the_objective_s_list_does_not_parse() -> None:
    g = generate(
        Scripted([answer("Parlo lessons", "Parlo, daily.", "Shop now")]),
        BRIEF,
        variants=1,
        attempts=1,
    )
    assert g.attempts[0].outcome == "invalid" and "call_to_action" in (g.attempts[0].error or "")


def test_the_prompt_is_in_the_brief_s_language_with_its_facts_and_no_rules() -> None:
    fr = BRIEF.model_copy(update={"language": "fr", "tone": "chaleureux"})
    model = Scripted([answer("Parlo", "Parlo : des leçons de 15 minutes pour vous.")])
    generate(model, fr, variants=1, attempts=1)
    system, *examples, card = model.asked[0]["messages"]
    assert "French" in system.content and len(examples) == 4
    assert [m.role for m in examples] == ["user", "assistant"] * 2
    assert "Brightwell" in examples[1].content and "Parlo" not in examples[1].content
    assert card.content.startswith("Produit: Parlo (Parlo language-learning app)")
    assert facts_for(fr, Angle.benefit) in card.content
    # Nothing the model could copy into the ad as an instruction, nor the tone's words.
    for word in ("Angle", "facts", "chaleureux", "Write"):
        assert word not in card.content


def test_all_but_the_last_message_is_shared_by_every_brief_in_a_language() -> None:
    model = Scripted([*GOOD, answer("Kestrel, for trails", "The Kestrel Trail 2 has 4 mm lugs.")])
    generate(model, BRIEF, variants=2)
    other = BRIEF.model_copy(update={"product_name": "Kestrel", "product": "Kestrel shoe"})
    generate(model, other, variants=1, attempts=1)
    first, second, third = (asked["messages"] for asked in model.asked)
    assert first[:-1] == second[:-1] == third[:-1]
    assert third[-1] not in (first[-1], second[-1])


def test_angles_lead_with_different_facts_of_the_brief() -> None:
    brief = BRIEF.model_copy(
        update={
            "description": "Parlo teaches 12 languages. Lessons take 15 minutes. "
            "Lessons work offline. 7-day free trial. Join before 1 June."
        }
    )
    facts = {angle: facts_for(brief, angle) for angle in Angle}
    assert facts[Angle.benefit] == "Parlo teaches 12 languages."
    assert facts[Angle.offer] == "7-day free trial."
    assert facts[Angle.urgency] == "Join before 1 June."
    assert len(set(facts.values())) == 5
    assert facts_for(brief, Angle.benefit, slot=5) != facts[Angle.benefit]  # the next round


def test_a_stopped_answer_is_cut_back_to_a_whole_sentence_and_marked() -> None:
    long_text = "Parlo has 15-minute daily lessons. " + "They work offline on any phone " * 4
    g = generate(Scripted([answer("Parlo lessons", long_text[:125])]), BRIEF, variants=1)
    (attempt,) = g.attempts
    assert attempt.trimmed and attempt.creative is not None
    assert attempt.creative.primary_text == "Parlo has 15-minute daily lessons."


def test_a_headline_past_40_characters_becomes_a_whole_phrase_or_the_name_alone() -> None:
    """No headline ends mid-phrase; a long name leaves the angle to the primary text."""
    text = "Learn with Parlo in 15-minute daily lessons."
    script = [
        answer("Parlo: 12 languages, daily lessons that fit", text),  # 43: cut at the comma
        answer("Parlo language app, a daily lesson habit", "Parlo: 12 languages, 7 days free."),
    ]
    g = generate(Scripted(script), BRIEF, variants=2)
    assert [c.headline for c in g.approved] == ["Parlo: 12 languages", "Parlo language app"]
    pixel = BRIEF.model_copy(
        update={"product_name": "Pixelforge controller", "description": "A pro gamepad."}
    )
    long_name = answer(
        "Pixelforge controller, a pro gamepad for e",  # cut by the limit: no whole phrase
        "Pixelforge controller: a pro gamepad for every console and PC.",
    )
    g = generate(Scripted([long_name]), pixel, variants=1, attempts=1)
    assert g.attempts[0].outcome == "approved", g.attempts[0]
    assert g.approved[0].headline == "Pixelforge controller"


def test_no_answer_the_grammar_allows_reaches_the_token_limit() -> None:
    """Each token writes at least one character; the longest answer has fewer than MAX_TOKENS."""
    buttons = max(
        (
            calls_to_action(BRIEF.model_copy(update={"objective": o}))
            for o in ("sales", "leads", "traffic", "awareness")
        ),
        key=len,
    )
    longest = (
        "{ "
        + ", ".join(
            [
                f'"headline": "{"x" * 40}"',
                f'"primary_text": "{"x" * 125}"',
                f'"call_to_action": "{max((b.value for b in buttons), key=len)}"',
            ]
        )
        + "} "
    )
    assert len(longest) + 1 < MAX_TOKENS  # +1: the end-of-text token


def test_a_product_name_a_pattern_cannot_spell_is_not_forced() -> None:
    schema = answer_class(calls_to_action(BRIEF), "Notion 2.0").model_json_schema()
    assert schema["properties"]["headline"]["pattern"].startswith("^[")


@pytest.mark.parametrize(
    ("headline", "text", "why"),
    [
        ("Parlo lessons", "Parlo is a language-learning app with a", "mid-phrase"),
        ("Parlo lessons", "Parlo lessons", "repeats the headline"),
        ("Parlo app", "Parlo has lessons, lessons, lessons, lessons, lessons, lessons.", "loops"),
        ("Parlo 1.1.2.3", "Parlo 2.1.3.2.3.4:5.1.2.1:5.1.3.3", "digits"),
        ("  ", "Parlo has daily lessons.", "headline: String should match pattern"),
        (",", "Parlo has 15-minute daily lessons in 12 languages.", "headline"),
        ("Parlo lessons", "   ", "blank"),
        ("Parlo!!!", "Parlo has 15-minute daily lessons in 12 languages.", "two words"),
        ("Parlo lessons", "][", "two words"),
    ],
)
def test_answers_that_parse_but_are_no_ad_are_invalid(headline: str, text: str, why: str) -> None:
    g = generate(Scripted([answer(headline, text)]), BRIEF, variants=1, attempts=1)
    assert g.attempts[0].outcome == "invalid" and why in (g.attempts[0].error or "")


def test_the_writer_runs_generation_off_the_caller_s_thread() -> None:
    import threading

    seen: list[str] = []

    class Recording(Scripted):
        def complete(self, messages: list[Message], **kw: Any) -> Completion:
            seen.append(threading.current_thread().name)
            return super().complete(messages, **kw)

    with CreativeWriter(Recording(list(GOOD))) as writer:
        g = writer.submit(BRIEF, variants=2).result(timeout=10)
    assert len(g.approved) == 2
    assert seen and all(name.startswith("creative-writer") for name in seen)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate(Scripted([]), BRIEF, variants=0)


def test_a_one_word_name_alone_is_a_headline() -> None:
    cut = answer("Parlo, a language app for learning in your", "Parlo has 15-minute lessons.")
    g = generate(Scripted([cut]), BRIEF, variants=1, attempts=1)
    assert g.attempts[0].outcome == "approved" and g.approved[0].headline == "Parlo"
