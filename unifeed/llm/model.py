"""What every language-model back-end speaks: messages in, one completion out.

A back-end is anything with `name` and `complete`; callers never learn which
one they hold. Failures are typed so a caller can tell "the back-end is not
there" (fix the settings) from "this answer was bad" (retry or drop it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = [
    "BackendUnavailable",
    "Completion",
    "GenerationFailed",
    "InvalidOutput",
    "LanguageModel",
    "LanguageModelError",
    "Message",
    "ModelNotFound",
]

Role = Literal["system", "user", "assistant"]
JSONSchema = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class Completion:
    """One answer. `finish_reason` is "length" when max_tokens cut it short."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    finish_reason: str

    @property
    def tokens_per_second(self) -> float:
        return self.completion_tokens / self.seconds if self.seconds > 0 else 0.0


@runtime_checkable
class LanguageModel(Protocol):
    """A chat model. `json_schema`, when given, asks for one JSON object matching it.

    Back-ends enforce the schema as well as they can (a grammar, the server's
    structured output, or only the prompt); the caller still parses strictly
    (`unifeed.llm.complete_json`), because only a grammar guarantees the shape.
    """

    name: str

    def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        seed: int | None = None,
        json_schema: JSONSchema | None = None,
    ) -> Completion: ...


class LanguageModelError(Exception):
    """Base of every error this package raises."""


class BackendUnavailable(LanguageModelError):
    """The configured back-end cannot be used at all: not installed, not reachable."""


class ModelNotFound(BackendUnavailable):
    """The back-end answers but does not serve the model the settings name."""


class GenerationFailed(LanguageModelError):
    """One request failed (timeout, server error); the back-end may work next time."""


class InvalidOutput(LanguageModelError):
    """The model answered, but not with what was asked; `text` is what it said.

    `completion` is the whole answer when there was one, so a caller counting
    seconds and tokens counts the failed attempts too.
    """

    def __init__(self, reason: str, text: str, completion: Completion | None = None) -> None:
        super().__init__(f"{reason}: {text[:120]!r}")
        self.reason = reason
        self.text = text
        self.completion = completion
