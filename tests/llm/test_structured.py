"""Strict parsing: one JSON object of the asked class, or `InvalidOutput`."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field

from unifeed.llm import InvalidOutput, parse_json, schema_of


class AdText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    headline: str = Field(max_length=40)
    primary_text: str = Field(max_length=125)


GOOD = '{"headline": "Light that folds flat", "primary_text": "Three colour temperatures."}'


def test_a_plain_or_fenced_object_parses() -> None:
    for text in (GOOD, f"  {GOOD}\n", f"```json\n{GOOD}\n```", f"```\n{GOOD}\n```"):
        assert parse_json(text, AdText).headline == "Light that folds flat"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Sure! Here is your ad: " + GOOD, "not a JSON object"),
        (GOOD + "\nI hope you like it!", "Invalid JSON"),
        (GOOD + GOOD, "Invalid JSON"),
        ('{"headline": "Light that folds flat"}', "primary_text: Field required"),
        (GOOD[:-1] + ', "cta": "Buy"}', "cta: Extra inputs are not permitted"),
        ('{"headline": "' + "x" * 41 + '", "primary_text": "y"}', "headline: String should"),
        ('{"headline": 5, "primary_text": "y"}', "headline: Input should be a valid string"),
        ('{"headline": "Light', "Invalid JSON"),
        ("", "not a JSON object"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_rambling_or_wrong_answers_are_typed_failures(text: str, reason: str) -> None:
    with pytest.raises(InvalidOutput, match=reason) as e:
        parse_json(text, AdText)
    assert e.value.text == text


def test_the_schema_closes_every_object() -> None:
    schema = schema_of(AdText)
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["headline", "primary_text"]
    assert schema["properties"]["headline"]["maxLength"] == 40
