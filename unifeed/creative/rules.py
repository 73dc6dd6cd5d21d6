"""The mechanical review rules: each is exact, so each reason names what it measured.

These need no judgement: length, the button list, the landing domain, the
product name, shouting, numbers the brief never states, and near-duplicates
(word-bigram Jaccard similarity, since short ads from one brief must share
their words but rarely their word pairs).
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from itertools import pairwise
from urllib.parse import urlsplit

from unifeed.creative.brief import Brief, numbers_in
from unifeed.creative.variant import HEADLINE_MAX, PRIMARY_TEXT_MAX, CallToAction, Creative

__all__ = [
    "NEAR_DUPLICATE",
    "bad_call_to_action",
    "fold",
    "misnamed",
    "numbers_not_in_brief",
    "off_domain",
    "over_length",
    "product_name_missing",
    "shouting",
    "similarity",
]

# Bigram Jaccard at which two variants say the same thing with word-level edits.
NEAR_DUPLICATE = 0.5
_WORD = re.compile(r"[^\W_]+")
_CALLS = frozenset(c.value for c in CallToAction)


def fold(text: str) -> str:
    """Case- and width-folded text for matching (NFKC, casefold)."""
    return unicodedata.normalize("NFKC", text).casefold()


def over_length(c: Creative) -> str | None:
    parts = []
    if len(c.headline) > HEADLINE_MAX:
        parts.append(f"headline is {len(c.headline)} characters (at most {HEADLINE_MAX})")
    if len(c.primary_text) > PRIMARY_TEXT_MAX:
        parts.append(
            f"primary text is {len(c.primary_text)} characters (at most {PRIMARY_TEXT_MAX})"
        )
    return "; ".join(parts) or None


def bad_call_to_action(c: Creative) -> str | None:
    if c.call_to_action in _CALLS:
        return None
    return f"button {c.call_to_action!r} is not one of: {', '.join(sorted(_CALLS))}"


def off_domain(c: Creative, brief: Brief) -> str | None:
    try:
        parts = urlsplit(c.landing_url)
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return f"landing URL {c.landing_url!r} is not a URL"
    if parts.scheme not in ("http", "https"):
        return f"landing URL {c.landing_url!r} is not an http(s) page"
    if host == brief.domain or host.endswith("." + brief.domain):
        return None
    return f"landing host {host or '(none)'!r} is not {brief.domain!r} or a subdomain of it"


def product_name_missing(c: Creative, brief: Brief) -> str | None:
    name = re.escape(fold(brief.product_name))
    if not re.search(rf"(?<!\w){name}(?!\w)", fold(c.text)):
        return f"neither headline nor primary text names {brief.product_name!r}"
    wrong = misnamed(c, brief)
    return f"misspells the product's name: {', '.join(wrong)}" if wrong else None


# A capitalised word this close to a word of the product's name, and found nowhere
# in the brief, is the name written wrongly ("Pixelgo" for "Pixelforge"), which a
# small model does; an advertiser would not let it run.
_MISNAME_SIMILARITY = 0.7
_MISNAME_MIN = 5  # name words shorter than this are too common to compare


def misnamed(c: Creative, brief: Brief) -> list[str]:
    """Capitalised words that look like a word of the product's name but are not it."""
    names = {w for w in _WORD.findall(fold(brief.product_name)) if len(w) >= _MISNAME_MIN}
    known = set(_WORD.findall(fold(f"{brief.facts}\n{brief.advertiser}")))
    found: dict[str, str] = {}  # folded: as written, the first time
    for word in _WORD.findall(c.text):
        w = fold(word)
        if not word[0].isupper() or w in known or w in found or len(w) < _MISNAME_MIN - 1:
            continue
        for n in names:
            if w.startswith(n) or n.startswith(w):  # the name itself, a plural, a cut
                continue
            if w[:3] == n[:3] and SequenceMatcher(None, w, n).ratio() >= _MISNAME_SIMILARITY:
                found[w] = word
                break
    return list(found.values())


def shouting(c: Creative, brief: Brief) -> str | None:
    """Capitals the brief does not write itself, '!!', or more than two '!' in all."""
    loud = [
        w
        for w in _WORD.findall(c.text)
        if sum(ch.isalpha() for ch in w) >= 3 and w.isupper() and w not in brief.allowed_caps
    ]
    found = [f"capitals {', '.join(dict.fromkeys(loud))}"] if loud else []
    bangs = c.text.count("!")
    if "!!" in c.text or bangs > 2:
        found.append(f"{bangs} exclamation marks")
    return "; ".join(found) or None


def numbers_not_in_brief(c: Creative, brief: Brief) -> str | None:
    extra = sorted(numbers_in(c.text) - brief.numbers)
    return f"numbers the brief does not state: {', '.join(extra)}" if extra else None


def _bigrams(c: Creative) -> set[tuple[str, str]]:
    return set(pairwise(_WORD.findall(fold(c.text))))


def similarity(a: Creative, b: Creative) -> float:
    """Jaccard similarity of the word bigrams of headline and primary text."""
    ba, bb = _bigrams(a), _bigrams(b)
    return len(ba & bb) / max(len(ba | bb), 1)
