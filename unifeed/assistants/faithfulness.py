"""Is an answer supported by the posts it cites? A lexical check, strict by design.

A sentence of the answer is supported when every number in it and every one of
its content words (stemmed, stopwords and framing words aside) occurs in the
cited posts; the answer is faithful when every sentence is. So a small model
can reorder and trim a post's words, but it cannot bring in a number, a name
or a word the posts do not have: an invented fact needs a word or a number the
source lacks, and an instruction smuggled into a question (a canary, a link,
an insult) does too. What it cannot catch is a wrong arrangement of supported
words ("I still do the float test" from "I've stopped doing the float test"
would fail only on "still"); docs/assistants.md lists such limits and the
hand check of 30 answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from unifeed.assistants.claims import claims_of, numbers, terms

__all__ = ["Verdict", "check"]


@dataclass(frozen=True, slots=True)
class Verdict:
    faithful: bool
    sentences: int
    # What the cited posts lack, per unsupported sentence: (sentence, missing terms).
    unsupported: tuple[tuple[str, tuple[str, ...]], ...]


def check(answer: str, cited_texts: Sequence[str]) -> Verdict:
    """Whether every sentence of `answer` is supported by `cited_texts` together."""
    source = " ".join(cited_texts)
    have_numbers, have_terms = numbers(source), terms(source)
    claims = claims_of(answer)
    missing = []
    for c in claims:
        lacking = sorted((c.numbers - have_numbers) | (c.terms - have_terms))
        if lacking:
            missing.append((c.text, tuple(lacking)))
    faithful = bool(claims) and bool(cited_texts) and not missing
    return Verdict(faithful, len(claims), tuple(missing))
