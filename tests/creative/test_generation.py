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
    answer("Try Parlo free for 7 days", "Daily lessons that fit a coffee break, offline too."),
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
    assert "feature" in model.asked[1]["messages"][-1].content


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
    assert props["headline"]["maxLength"] == 40 and props["primary_text"]["maxLength"] == 125
    assert set(props["call_to_action"]["enum"]) == {"Download", "Sign up", "Learn more"}
    assert schema["additionalProperties"] is False


def test_a_button_off_the_objective_s_list_does_not_parse() -> None:
    g = generate(
        Scripted([answer("Parlo lessons", "Parlo, daily.", "Shop now")]),
        BRIEF,
        variants=1,
        attempts=1,
    )
    assert g.attempts[0].outcome == "invalid" and "call_to_action" in (g.attempts[0].error or "")


def test_the_prompt_carries_the_brief_language_and_tone() -> None:
    fr = BRIEF.model_copy(update={"language": "fr", "tone": "chaleureux"})
    model = Scripted([answer("Parlo", "Parlo : des leçons de 15 minutes pour vous.")])
    generate(model, fr, variants=1, attempts=1)
    system, user = model.asked[0]["messages"]
    assert "French" in system.content and "chaleureux" in system.content
    assert BRIEF.description in system.content and "Angle" in user.content


def test_the_brief_is_all_but_the_last_message_so_variants_share_it() -> None:
    model = Scripted(list(GOOD))
    generate(model, BRIEF, variants=2)
    first, second = (asked["messages"] for asked in model.asked)
    assert first[:-1] == second[:-1] and first[-1] != second[-1]


@pytest.mark.parametrize(
    ("headline", "text", "why"),
    [
        ("Parlo is a language-learning app with da", "Parlo.", "length limit"),
        ("Parlo lessons", "Parlo lessons", "repeats the headline"),
        ("Parlo app", "Parlo has lessons, lessons, lessons, lessons, lessons, lessons.", "loops"),
        ("Parlo 1.1.2.3", "Parlo 2.1.3.2.3.4:5.1.2.1:5.1.3.3", "digits"),
        ("  ", "Parlo has daily lessons.", "blank"),
        (",", "Parlo has 15-minute daily lessons in 12 languages.", "two words"),
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
