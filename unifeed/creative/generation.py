"""Writing a campaign's variants from its brief: prompt, constrain, parse, review, retry.

Each variant slot takes the next angle and gets a bounded number of attempts;
an attempt ends as `approved`, `rejected` (review found a rule broken, with
its reasons), `invalid` (the answer did not parse, or parsed but is no ad:
cut at the length limit, a repeated headline, a loop), `wrong_language` or
`failed` (the back-end erred). A slot with no approved attempt is dropped.
The report keeps every attempt, so pass rates are counted, not estimated.

This runs model calls for seconds per variant: call it from a background
worker (`unifeed.creative.worker`), never while a feed request waits.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from unifeed.creative.brief import Brief
from unifeed.creative.fitting import fit_headline, fit_text
from unifeed.creative.language import detect
from unifeed.creative.prompt import button_for, calls_to_action, messages
from unifeed.creative.review import ReviewResult, review
from unifeed.creative.variant import HEADLINE_MAX, PRIMARY_TEXT_MAX, Angle, CallToAction, Creative
from unifeed.llm import GenerationFailed, InvalidOutput, LanguageModel, complete_json

__all__ = ["Attempt", "Generation", "Outcome", "answer_class", "generate", "malformed"]

Outcome = Literal["approved", "rejected", "invalid", "wrong_language", "failed"]
_WORDS = re.compile(r"[^\W_]+")
# Every token writes at least one character, and the answer's strings are
# bounded in characters without escapes (`answer_class`): no answer can reach
# this, so none is cut at the token limit.
MAX_TOKENS = 240
# Characters the grammar lets the model write in a headline: some beyond the
# limit, so that a phrase cut by the limit is seen to be cut (it runs on past
# 40) instead of being closed early by the grammar and taken as finished;
# `fit_headline` cuts it back to a whole phrase.
HEADLINE_ALLOWED = HEADLINE_MAX + 8


@dataclass(frozen=True, slots=True)
class Attempt:
    """One model call for one variant slot, and how it ended."""

    slot: int
    angle: Angle
    seed: int
    outcome: Outcome
    seconds: float
    completion_tokens: int
    creative: Creative | None = None  # parsed, whatever became of it
    review: ReviewResult | None = None
    error: str | None = None  # why an invalid or failed attempt failed
    trimmed: bool = False  # headline or text cut back to a whole phrase (or the name alone)


@dataclass
class Generation:
    """A campaign's generated variants and every attempt it took to get them."""

    brief: Brief
    model: str
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def approved(self) -> list[Creative]:
        return [a.creative for a in self.attempts if a.outcome == "approved" and a.creative]

    @property
    def rejected(self) -> list[Attempt]:
        return [a for a in self.attempts if a.outcome == "rejected"]

    @property
    def parse_pass_rate(self) -> float:
        """Share of answers that parsed (back-end failures not counted as answers)."""
        answered = [a for a in self.attempts if a.outcome != "failed"]
        return sum(a.outcome != "invalid" for a in answered) / max(len(answered), 1)

    @property
    def review_pass_rate(self) -> float:
        """Share of parsed answers in the brief's language that review approved."""
        reviewed = [a for a in self.attempts if a.review is not None]
        return sum(a.review.approved for a in reviewed if a.review) / max(len(reviewed), 1)

    @property
    def seconds(self) -> float:
        return sum(a.seconds for a in self.attempts)


def malformed(headline: str, primary_text: str, name: str = "") -> str | None:
    """Why an answer that parsed is still not an ad, or None.

    A grammar guarantees the shape, not the sense: a small model repeating
    its headline as the text, or looping on a phrase or on digits, still
    parses. (Ending mid-phrase is `unifeed.creative.fitting`'s to mend.) A
    headline that is the product's `name` alone is one, however short.
    """
    for part, value in (("headline", headline), ("primary text", primary_text)):
        if len(_WORDS.findall(value)) < 2 and value != name:
            return f"the {part} is not two words long"
    h, p = headline.casefold().strip(" .!"), primary_text.casefold().strip(" .!")
    if (h in p and len(h) > 0.6 * len(p)) or p in h:
        return "the primary text repeats the headline"
    words = _WORDS.findall(p)
    trigrams = Counter(zip(words, words[1:], words[2:], strict=False))
    if trigrams and trigrams.most_common(1)[0][1] >= 3:
        return "the text loops on one phrase"
    text = headline + primary_text
    if sum(ch.isalpha() for ch in text) < 0.6 * sum(not ch.isspace() for ch in text):
        return "mostly digits and symbols"
    return None


@cache
def answer_class(
    buttons: tuple[CallToAction, ...], product_name: str = "", pinned: CallToAction | None = None
) -> type[BaseModel]:
    """The schema the model fills, with lengths, buttons and name for a grammar to hold.

    With `product_name`, the headline starts with it: review rejects an ad
    that does not name the product, and SmolLM2 left the name out or
    misspelt it ("Lederly" for Ledgerly) in most of its answers. The model
    writes the rest of the headline after the name. With `pinned`, the
    schema the model is given fixes the button to it (so the embedded model
    decodes none of it), while an answer with another of `buttons` (a
    back-end that does not hold the schema) still parses.
    """
    button = Literal[tuple(b.value for b in buttons)]  # type: ignore[valid-type]
    extra = None if pinned is None else _pin(pinned.value)
    return create_model(
        "AdText",
        __config__=ConfigDict(extra="forbid"),
        headline=(
            str,
            Field(min_length=1, max_length=HEADLINE_ALLOWED, pattern=_headline(product_name)),
        ),
        primary_text=(
            str,
            Field(min_length=1, max_length=PRIMARY_TEXT_MAX, pattern=_plain(PRIMARY_TEXT_MAX)),
        ),
        call_to_action=(button, Field(json_schema_extra=extra)),
    )


def _pin(value: str) -> Any:
    def pin(schema: dict[str, Any]) -> None:
        schema.pop("enum", None)
        schema["const"] = value

    return pin


_CHAR = r'[^"\\\x00-\x1f\x7f]'


def _plain(most: int) -> str:
    """Up to `most` characters that need no JSON escape (a quotation mark can be typographic).

    Without escapes a string of n characters is at most n tokens. The length
    is in the pattern as well as in maxLength: a grammar made from a schema
    follows a string's pattern and ignores its length keywords.
    """
    return f"^{_CHAR}{{1,{most}}}$"


def _headline(name: str) -> str:
    """The name, then 3 or more characters; a plain headline for a name a pattern cannot spell.

    llama-cpp-python's schema converter copies a regex escape such as ``\\.``
    into the grammar, where llama.cpp refuses it, so a name with a character
    that needs escaping is not forced.
    """
    room = HEADLINE_ALLOWED - len(name)
    if not name or room < 8 or re.search(r'[.^$*+?{}\[\]|()\\"\x00-\x1f\x7f]', name):
        return _plain(HEADLINE_ALLOWED)
    return f"^{name}{_CHAR}{{3,{room}}}$"


def generate(
    model: LanguageModel,
    brief: Brief,
    *,
    variants: int = 5,
    angles: Sequence[Angle] = tuple(Angle),
    attempts: int = 3,
    seed: int = 0,
    temperature: float = 0.7,
    earlier: Sequence[Creative] = (),
    audience: str = "",
) -> Generation:
    """Up to `variants` approved variants, one angle per slot, `attempts` tries per slot.

    `earlier` holds the campaign's existing variants, so a new one that copies
    one of them is rejected as a near-duplicate; `audience` describes whom the
    variants are for (`unifeed.creative.audience`). Seeded: the same model,
    brief, audience and seed give the same variants.
    """
    if variants < 1 or attempts < 1 or not angles:
        raise ValueError("variants and attempts must be at least 1, with at least one angle")
    out = Generation(brief, model.name)
    kept = list(earlier)
    for slot in range(variants):
        angle = angles[slot % len(angles)]
        answer = answer_class(calls_to_action(brief), brief.product_name, button_for(brief, angle))
        prompt = messages(brief, angle, audience, slot)
        for k in range(attempts):
            s = seed * 1_000_003 + slot * 101 + k
            attempt = _attempt(model, prompt, answer, brief, kept, slot, angle, s, temperature)
            out.attempts.append(attempt)
            if attempt.outcome == "approved" and attempt.creative is not None:
                kept.append(attempt.creative)
                break
    return out


def _attempt(
    model: LanguageModel,
    prompt: list,
    answer: type[BaseModel],
    brief: Brief,
    kept: list[Creative],
    slot: int,
    angle: Angle,
    seed: int,
    temperature: float,
) -> Attempt:
    base = {"slot": slot, "angle": angle, "seed": seed}
    try:
        got = complete_json(
            model, prompt, answer, max_tokens=MAX_TOKENS, temperature=temperature, seed=seed
        )
    except InvalidOutput as e:
        spent = e.completion
        return Attempt(
            **base,
            outcome="invalid",
            seconds=spent.seconds if spent else 0.0,
            completion_tokens=spent.completion_tokens if spent else 0,
            error=str(e),
        )
    except GenerationFailed as e:
        return Attempt(**base, outcome="failed", seconds=0.0, completion_tokens=0, error=str(e))
    c = got.completion
    value = got.value
    timing: dict[str, Any] = {"seconds": c.seconds, "completion_tokens": c.completion_tokens}
    raw_headline, raw_text = value.headline, value.primary_text  # type: ignore[attr-defined]
    if not raw_headline.strip() or not raw_text.strip():
        return Attempt(**base, **timing, outcome="invalid", error="a blank headline or text")
    lang = brief.language
    headline = fit_headline(raw_headline, HEADLINE_MAX, HEADLINE_ALLOWED, brief.product_name, lang)
    text = fit_text(raw_text, PRIMARY_TEXT_MAX, PRIMARY_TEXT_MAX, lang)
    if headline is None or text is None:
        error = "ends mid-phrase, with no whole sentence or clause to cut back to"
        return Attempt(**base, **timing, outcome="invalid", error=error)
    timing["trimmed"] = headline != raw_headline.strip() or text != raw_text.strip()
    creative = Creative(
        headline=headline,
        primary_text=text,
        call_to_action=str(value.call_to_action),  # type: ignore[attr-defined]
        landing_url=str(brief.landing_url),
        origin="generated",
        angle=angle,
        model=model.name,
    )
    flaw = malformed(creative.headline, creative.primary_text, brief.product_name)
    if flaw:
        return Attempt(**base, **timing, outcome="invalid", creative=creative, error=flaw)
    language = detect(creative.text)
    if language is not None and language != brief.language:
        error = f"written in {language}, the brief asks for {brief.language}"
        return Attempt(**base, **timing, outcome="wrong_language", creative=creative, error=error)
    result = review(creative, brief, kept)
    outcome: Outcome = "approved" if result.approved else "rejected"
    return Attempt(**base, **timing, outcome=outcome, creative=creative, review=result)
