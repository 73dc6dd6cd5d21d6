"""Fitting a model's headline and primary text to their limits without ending mid-phrase.

A small model does not count characters. Stopped by a length limit, it left
headlines such as "Atelier Nord jacket, a tailored denim j" and texts such as
"Ledgerly app is free to download, and no"; asked to close the string where
its next word no longer fitted, it closed it after an article or a
preposition ("An aluminium, an"). People skip such ads, and the simulated
people of bench/creatives.py mark them down as unreadable. So a headline or
text is kept only where it ends a phrase:

* as written, when the model closed it well inside the limit and its last
  word is not one that needs a word after it (an article, a preposition, a
  conjunction, a possessive, an auxiliary: `DANGLING`, per language);
* otherwise cut back to the last point where the model itself ended a
  sentence or, failing that, a clause (a comma, colon, semicolon or dash it
  wrote), again only where the last word does not dangle;
* a headline with no such point beyond the product name is the product name
  alone: a long name ("Pixelforge controller", 21 of the 40 characters)
  leaves no room for a phrase, and the angle is then the primary text's
  (the grammar gives the headline some characters beyond the limit, so a
  phrase that would have ended just past it is seen to be cut, not taken as
  finished);
* a primary text with nothing whole to keep is refused (the attempt is
  invalid and retried).
"""

from __future__ import annotations

import re

__all__ = ["DANGLING", "dangles", "fit_headline", "fit_text"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words after which a phrase cannot end, per language.
DANGLING: dict[str, frozenset[str]] = {
    "en": _words(
        "a an the and or but nor with without for of to in into on onto at by from as "
        "than that which who whose whom your our their its his her my this these those "
        "every each any some no not is are was were be been being has have had will can "
        "could would should may must so very more most less plus per via like about over "
        "under after before between through including &"
    ),
    "fr": _words(
        "le la les l d qu un une des du de et ou mais ni avec sans pour par en à au aux sur "
        "sous dans chez vers entre dès que qui dont où votre vos notre nos son sa ses leur "
        "leurs mon ma mes ce cet cette ces est sont a ont très plus moins comme chaque "
        "tout toute"
    ),
    "de": _words(
        "der die das den dem des ein eine einen einem einer eines und oder aber mit ohne "
        "für von vom zu zum zur in im an am auf aus bei nach über unter vor durch gegen "
        "ihr ihre ihren ihrem unser unsere dein deine sein seine ist sind hat haben wird "
        "sehr mehr wie als dass jeder jede jedes kein keine"
    ),
    "es": _words(
        "el la los las un una unos unas y e o u pero ni con sin para por de del en a al "
        "sobre entre desde hasta su sus tu tus nuestro nuestra nuestros nuestras es son "
        "muy más menos como que cada todo toda"
    ),
}
# Where a sentence ends, and where a clause ends inside one.
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")
_CLAUSE_MARK = re.compile(r"\s*(?:[,:;]|\s[-–—])(?=\s|$)")
_ADJECTIVE = re.compile(
    r"(?:[^aeiou]al|ful|ous|ive|able|ible|ic|less|ish|ary|bright|warm|light|new|long|"
    r"short|soft|smart|great|small|big|full)$"
)
# A string closed this close to the characters the grammar allowed may have
# been closed by the grammar, not by the model: its next word did not fit.
SLACK = 8


def dangles(text: str, language: str) -> bool:
    """Does `text` end on a word that needs another after it, or on a mark that opens one?"""
    stripped = text.rstrip()
    if not stripped or stripped[-1] in ",:;-–—&/(+'’":
        return True
    # A bracket opened and not closed: cut inside it ("Tonehaus headphones (studio sound").
    if stripped.count("(") > stripped.count(")"):
        return True
    # The last word as written: "carry-on" ends a phrase though "on" alone would not.
    words = [w.casefold().strip('.!?…"“”«»()') for w in stripped.split()]
    slots = DANGLING.get(language, DANGLING["en"])
    if words[-1] in slots:
        return True
    # An English adjective straight after an article or preposition lacks its noun
    # ("a box of seasonal", "a bright"): the model stopped before the noun.
    return (
        language == "en"
        and len(words) >= 2
        and words[-2] in slots
        and _ADJECTIVE.search(words[-1]) is not None
    )


def fit_headline(value: str, limit: int, allowed: int, name: str, language: str) -> str | None:
    """The headline as a whole phrase of at most `limit` characters, or the name alone.

    `allowed` is how many characters the grammar let the model write. None
    only when even the name does not fit.
    """
    text = value.strip()
    closed = len(value) < allowed - SLACK
    if closed and len(text) <= limit and not dangles(text, language):
        return text.rstrip(" ,:;-–—")
    floor = len(name) + 3 if name and text.startswith(name) else 3
    for cut in _cuts(text, limit, clauses=True):
        if len(cut) >= floor and not dangles(cut, language):
            return cut
    return name if name and len(name) <= limit else None


def fit_text(value: str, limit: int, allowed: int, language: str, least: int = 20) -> str | None:
    """The primary text ending a sentence within `limit` characters, or None.

    Written to its end, it keeps its words and gets a full stop if it has
    none. Otherwise it is cut back to its last sentence end, or its last
    clause end (which then takes a full stop), not shorter than `least`.
    """
    text = value.strip()
    closed = len(value) < allowed - SLACK
    if closed and len(text) <= limit and not dangles(text, language):
        if text[-1] in ".!?…":
            return text
        if len(text) < limit:
            return text + "."
    for cut in _cuts(text, limit, clauses=False):
        if len(cut) >= least and not dangles(cut, language):
            return cut
    for cut in _cuts(text, limit - 1, clauses=True):
        if len(cut) >= least and not dangles(cut, language):
            return cut if cut[-1] in ".!?…" else cut + "."
    return None


def _cuts(text: str, limit: int, *, clauses: bool) -> list[str]:
    """Prefixes of `text` that end a sentence (or, with `clauses`, a clause), longest first."""
    out: list[str] = []
    for m in _SENTENCE_END.finditer(text):
        out.append(text[: m.end()])
    if clauses:
        for m in _CLAUSE_MARK.finditer(text):
            out.append(text[: m.start()].rstrip())
    return sorted((c for c in set(out) if c and len(c) <= limit), key=len, reverse=True)
