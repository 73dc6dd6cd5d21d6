"""Which of the four languages a short ad is written in, from its function words.

Small models drift into English when asked for French or German; an ad in
the wrong language is dropped at generation. Function words (articles,
pronouns, prepositions) are what short texts in these languages share least.
"""

from __future__ import annotations

import re

__all__ = ["detect"]

_FUNCTION_WORDS = {
    "en": "the and for with your you our this that from are is it its of to in on at "
    "a an by be or all new now get can will just more",
    "fr": "le la les des du de un une et pour avec votre vos nos notre ce cette est sont "
    "dans sur par en au aux vous tu ton ta tes qui que plus sans chez",
    "de": "der die das den dem des ein eine einen und für mit ihr ihre dein deine unser "
    "unsere ist sind im in auf von zu zum zur bei sie du nicht noch jetzt",
    "es": "el la los las un una unos y para con tu tus su sus nuestro nuestra es son en "
    "del al por de que más sin te tú ya",
}
_STOPWORDS = {lang: frozenset(words.split()) for lang, words in _FUNCTION_WORDS.items()}
_WORD = re.compile(r"[^\W\d_]+")


def detect(text: str, *, min_hits: int = 3) -> str | None:
    """The language with the most function words, or None when the text has too few to tell."""
    words = [w.casefold() for w in _WORD.findall(text)]
    hits = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    best = max(hits, key=lambda lang: hits[lang])
    ranked = sorted(hits.values(), reverse=True)
    if ranked[0] < min_hits or ranked[0] == ranked[1]:
        return None
    return best
