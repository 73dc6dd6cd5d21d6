"""Flat JSON answers written field by field: the plan, the value grammars, the real model."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ConfigDict, Field

from unifeed.creative.generation import answer_class
from unifeed.creative.variant import CallToAction
from unifeed.llm import EmbeddedModel, Message, complete_json
from unifeed.llm.fields import plan, value_grammar
from unifeed.llm.structured import schema_of

AD = answer_class((CallToAction.shop_now, CallToAction.learn_more), "Lumo")
ASK = [
    Message("system", "You write short online ads in English, as JSON."),
    Message(
        "user", "Product: Lumo (an LED desk lamp)\nFacts: A USB-C port in the base charges a phone."
    ),
]


def test_a_flat_schema_is_planned_with_its_keys_quotes_and_forced_name_as_text() -> None:
    fields = plan(schema_of(AD))
    assert fields is not None
    head, text, button = fields
    # What json.dumps writes, the layout of the prompt's worked examples.
    assert head.forced == '{"headline": "Lumo' and head.literal == "Lumo" and head.most == 44
    assert text.forced == '", "primary_text": "' and text.most == 125
    assert button.forced == '", "call_to_action": "' and button.choices == (
        "Shop now",
        "Learn more",
    )
    pinned = plan(schema_of(answer_class((CallToAction.shop_now,), "Lumo")))
    assert pinned is not None and pinned[-1].forced.endswith('"call_to_action": "Shop now')


def test_what_it_cannot_plan_falls_back_to_the_whole_answer_grammar() -> None:
    class Nested(BaseModel):
        model_config = ConfigDict(extra="forbid")
        n: int

    class Escaped(BaseModel):
        h: str = Field(pattern=r"^A\.B[a-z]{1,5}$")

    assert plan(schema_of(Nested)) is None
    assert plan(schema_of(Escaped)) is None


def test_a_value_may_close_with_the_quote_and_comma_token_the_examples_show() -> None:
    """A grammar ending at the quote refused the model's '",' and it wrote on to the limit."""
    fields = plan(schema_of(AD))
    assert fields is not None
    gbnf = value_grammar(fields[1])
    assert gbnf.splitlines()[-1].endswith('"\\"" [ ,}\\n]*')


def test_the_answer_is_the_same_json_and_decodes_no_forced_token(smollm2: EmbeddedModel) -> None:
    whole = EmbeddedModel(fields=False)
    for seed in range(2):
        got = complete_json(smollm2, ASK, AD, max_tokens=240, seed=seed)
        assert got.value.headline.startswith("Lumo")  # type: ignore[attr-defined]
        body = json.loads(got.completion.text)
        assert list(body) == ["headline", "primary_text", "call_to_action"]
        free = len(body["headline"]) - 4 + len(body["primary_text"]) + len(body["call_to_action"])
        assert got.completion.completion_tokens <= free + 3  # the values and their quotes only
        base = complete_json(whole, ASK, AD, max_tokens=240, seed=seed).completion
        assert got.completion.completion_tokens < base.completion_tokens


@pytest.mark.slow
def test_the_same_seed_gives_the_same_fields_whatever_came_before(smollm2: EmbeddedModel) -> None:
    a = complete_json(smollm2, ASK, AD, max_tokens=240, seed=5).value
    complete_json(smollm2, [ASK[0], Message("user", "Product: Brio grinder")], AD, seed=5)
    assert complete_json(smollm2, ASK, AD, max_tokens=240, seed=5).value == a
