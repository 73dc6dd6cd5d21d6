"""Structured answers: a pydantic class in, a validated instance out, or `InvalidOutput`.

Small models ramble, so the parse is strict: the answer must be one JSON
object and nothing else (one Markdown code fence around it is tolerated,
since chat models add it by habit), and it must validate against the class.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from unifeed.llm.model import (
    Completion,
    InvalidOutput,
    JSONSchema,
    LanguageModel,
    Message,
)

__all__ = ["Structured", "complete_json", "parse_json", "schema_instruction", "schema_of"]

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"\A```(?:json)?[ \t]*\n(?P<body>.*)\n```\Z", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Structured(Generic[T]):
    value: T
    completion: Completion


def schema_of(output: type[BaseModel]) -> JSONSchema:
    """The JSON schema a back-end is asked to follow for `output`.

    Every property is required and no other is allowed: that is what OpenAI's
    strict structured output accepts, and what a grammar can enforce.
    """
    schema = output.model_json_schema()
    _close(schema)
    for definition in schema.get("$defs", {}).values():
        _close(definition)
    return schema


def _close(schema: JSONSchema) -> None:
    if schema.get("type") == "object" and "properties" in schema:
        schema["additionalProperties"] = False
        schema["required"] = list(schema["properties"])


def schema_instruction(schema: JSONSchema) -> str:
    """The prompt text for back-ends that cannot enforce a schema themselves."""
    return (
        "Reply with exactly one JSON object and nothing else: no Markdown, no comments. "
        f"It must match this JSON schema: {json.dumps(schema, separators=(',', ':'))}"
    )


def parse_json(text: str, output: type[T]) -> T:
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced["body"].strip()
    if not body.startswith("{"):
        raise InvalidOutput("the answer is not a JSON object", text)
    try:
        return output.model_validate_json(body, strict=True)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the answer"
        raise InvalidOutput(f"{where}: {first['msg']}", text) from e


def complete_json(
    model: LanguageModel,
    messages: list[Message],
    output: type[T],
    *,
    max_tokens: int = 256,
    temperature: float = 0.7,
    seed: int | None = None,
) -> Structured[T]:
    """Ask `model` for one `output`; raises `InvalidOutput` when the answer is not one."""
    completion = model.complete(
        messages,
        max_tokens=max_tokens,
        temperature=temperature,
        seed=seed,
        json_schema=schema_of(output),
    )
    if completion.finish_reason == "length":
        raise InvalidOutput(f"cut off at max_tokens={max_tokens}", completion.text, completion)
    try:
        value = parse_json(completion.text, output)
    except InvalidOutput as e:
        raise InvalidOutput(e.reason, e.text, completion) from e
    return Structured(value, completion)
