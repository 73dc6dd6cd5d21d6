"""The generation prompt and answer shape of commit f991b28, kept as the benchmarks' baseline.

Then the brief went into the system message with written rules, and the
angle into the last message as an instruction ("Write the ad. Angle: one
concrete feature from the facts."); the model answered the primary text
first, its strings bounded only by maxLength. bench/llm_runtimes.py and
bench/creative_generation.py run it beside today's prompt, on the same
back-end, so the ratio between them is measured in one run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from unifeed.creative import generation
from unifeed.creative.brief import LANGUAGES, Brief
from unifeed.creative.variant import HEADLINE_MAX, PRIMARY_TEXT_MAX, Angle, CallToAction
from unifeed.llm import Message

MAX_TOKENS = 220  # what generation asked for then

ANGLE_HINTS: dict[Angle, str] = {
    Angle.benefit: "what the product does for the buyer",
    Angle.feature: "one concrete feature from the facts",
    Angle.offer: "the price or the offer stated in the facts",
    Angle.social_proof: "who it suits and why, without inventing reviews, ratings or numbers",
    Angle.urgency: "acting soon, using only a date or a limit stated in the facts",
}


def _system(brief: Brief) -> str:
    language = LANGUAGES[brief.language]
    return (
        f"You write one short online ad in {language}, as JSON. "
        f"headline: 3 to 6 words that name {brief.product_name}. "
        "primary_text: one sentence about the angle, different from the headline. "
        "Use only facts from the brief: no other numbers, prices, awards or claims. "
        "Do not promise results, health or money, and do not ask about the reader's "
        "health, age, weight or money. No capitals for emphasis, at most one '!'."
    )


def messages(brief: Brief, angle: Angle, audience: str = "", slot: int = 0) -> list[Message]:
    brief_text = (
        f"Product: {brief.product_name} ({brief.product})\n"
        f"Facts: {brief.description}\n"
        f"Tone: {brief.tone or 'plain'}\n"
        f"Language: {LANGUAGES[brief.language]}"
    )
    for_whom = f" Write it for {audience.strip()}, in words they use." if audience.strip() else ""
    return [
        Message("system", f"{_system(brief)}\n\n{brief_text}"),
        Message("user", f"Write the ad. Angle: {ANGLE_HINTS[angle]}.{for_whom}"),
    ]


@cache
def answer_class(buttons: tuple[CallToAction, ...], product_name: str = "") -> type[BaseModel]:
    button = Literal[tuple(b.value for b in buttons)]  # type: ignore[valid-type]
    return create_model(
        "AdText",
        __config__=ConfigDict(extra="forbid"),
        primary_text=(str, Field(min_length=1, max_length=PRIMARY_TEXT_MAX)),
        headline=(str, Field(min_length=1, max_length=HEADLINE_MAX)),
        call_to_action=(button, ...),
    )


@contextmanager
def previous_generation() -> Iterator[None]:
    """`unifeed.creative.generate` as it was: that prompt and shape, no cutting back."""
    saved = (generation.messages, generation.answer_class, generation.trim, generation.MAX_TOKENS)
    generation.messages = messages  # type: ignore[assignment]
    generation.answer_class = answer_class  # type: ignore[assignment]
    generation.trim = lambda value, *args, **kw: value  # type: ignore[assignment]
    generation.MAX_TOKENS = MAX_TOKENS
    try:
        yield
    finally:
        (generation.messages, generation.answer_class, generation.trim) = saved[:3]  # type: ignore[assignment]
        generation.MAX_TOKENS = saved[3]
