"""What an answer claims: its sentences, and in each the terms a source must contain.

Both the faithfulness check and the extractive answer read text through this
module, so "the post says it" means the same thing everywhere: the same
normalisation (case, Unicode forms, quotes, dashes), the same sentence split,
the same light stemming ("feeds", "feeding" and "feed" are one term).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Claim", "claims_of", "normalize", "sentences", "stem", "terms"]

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(‘“]?[A-Z0-9£$¿¡])")
# A number with its decimal or ratio parts ("1:5:5", "2.5", "1,200"); "24°C" gives "24".
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_FANCY = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "−": "-"})

# Words that carry no checkable claim: function words, and the framing an
# assistant wraps a post's facts in ("in my post I said", "you can", "yes").
_STOPWORDS = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each either
    else even ever every few for from further get gets got had has have having he her here
    hers herself him himself his how i if in into is it its itself just least less let lets
    like me might more most much must my myself neither no nor not now of off often on once
    one only or other our ours ourselves out over own per quite rather really same shall she
    should so some such than that the their theirs them themselves then there these they this
    those though through to too under until up upon us very was we were what when where which
    while who whom whose why will with within without would yes yet you your yours yourself
    yourselves i'm i've i'd i'll it's don't doesn't didn't isn't aren't wasn't can't won't
    that's there's you're you've you'll we're they're let's
    post posts posted say said says wrote write tell told mention mentioned answer question
    sure thing things way use used using make makes made well okay ok hi hello thanks thank
"""
STOPWORDS = frozenset(_STOPWORDS.split())


def normalize(text: str) -> str:
    """Lower case, NFKC, straight quotes and plain hyphens, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_FANCY).lower()
    return re.sub(r"\s+", " ", text).strip()


def sentences(text: str) -> list[str]:
    """The text's sentences, each stripped; an empty text has none."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


# Common irregular verb forms, so "fed" is "feed" and "grew" is "grow".
_IRREGULAR = {
    **dict.fromkeys(("fed",), "feed"), **dict.fromkeys(("ate", "eaten"), "eat"),
    **dict.fromkeys(("went", "gone"), "go"), **dict.fromkeys(("kept",), "keep"),
    **dict.fromkeys(("left",), "leave"), **dict.fromkeys(("took", "taken"), "take"),
    **dict.fromkeys(("gave", "given"), "give"), **dict.fromkeys(("came",), "come"),
    **dict.fromkeys(("bought",), "buy"), **dict.fromkeys(("brought",), "bring"),
    **dict.fromkeys(("sold",), "sell"), **dict.fromkeys(("found",), "find"),
    **dict.fromkeys(("grew", "grown"), "grow"), **dict.fromkeys(("rose", "risen"), "rise"),
    **dict.fromkeys(("froze", "frozen"), "freeze"), **dict.fromkeys(("broke", "broken"), "break"),
    **dict.fromkeys(("began", "begun"), "begin"), **dict.fromkeys(("ran",), "run"),
    **dict.fromkeys(("rode", "ridden"), "ride"), **dict.fromkeys(("spent",), "spend"),
    **dict.fromkeys(("paid",), "pay"), **dict.fromkeys(("lost",), "lose"),
    **dict.fromkeys(("stood",), "stand"), **dict.fromkeys(("held",), "hold"),
    **dict.fromkeys(("chose", "chosen"), "choose"), **dict.fromkeys(("drew", "drawn"), "draw"),
    **dict.fromkeys(("threw", "thrown"), "throw"), **dict.fromkeys(("bent",), "bend"),
    **dict.fromkeys(("built",), "build"), **dict.fromkeys(("cut",), "cut"),
    **dict.fromkeys(("kept",), "keep"), **dict.fromkeys(("slept",), "sleep"),
}  # fmt: skip


def stem(word: str) -> str:
    """A crude suffix stripper: enough to match "feeding" with "feeds", never a lemmatiser."""
    w = word.lower().replace("'", "")
    w = _IRREGULAR.get(w, w)
    for suffix in ("ingly", "edly", "ing", "ies", "ied", "ed", "es", "s", "ly"):
        if len(w) - len(suffix) >= 3 and w.endswith(suffix):
            w = w[: -len(suffix)]
            break
    if len(w) > 3 and w[-1] == w[-2]:  # "stopped" -> "stopp" -> "stop"
        w = w[:-1]
    if len(w) > 3 and w[-1] == "e":  # "lose" and "loss", "bake" and "baked"
        w = w[:-1]
    return w[:6]


def numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(normalize(text))}


def terms(text: str) -> set[str]:
    """The stems of the text's content words (no stopwords, no single letters)."""
    words = _WORD.findall(normalize(text))
    return {stem(w) for w in words if len(w) > 1 and w not in STOPWORDS}


@dataclass(frozen=True, slots=True)
class Claim:
    """One sentence of an answer and what a source must contain for it to stand."""

    text: str
    numbers: frozenset[str]
    terms: frozenset[str]


def claims_of(answer: str) -> list[Claim]:
    return [Claim(s, frozenset(numbers(s)), frozenset(terms(s))) for s in sentences(answer)]
