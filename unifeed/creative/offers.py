"""Claims review checks against the brief's own words: numbers with their units, and offers.

Two kinds of claim a small model adds by habit, in words a claim list does
not catch:

* a number the brief states, but of something else: "2 bags of fresh
  flowers" when the brief's 2 is a "2-year warranty". A number in an ad is
  stated only where the brief writes the same number with the same unit:
  the same currency sign or per cent sign, and the same word after it (first
  four letters, so "12 weeks" matches "12-week"), or the same word before it
  when the number is a label ("Trail 2 weighs", "SPF 50 keeps"); a number with
  no unit word in the ad needs only the number and its sign (the facts
  include the product name, so "Pika 2" is stated by it).
* an offer: "free delivery", "delivery is free", "free to download", "no
  annual fees", "no contract". Such a phrase is stated only where one
  sentence of the brief has the offered thing (its first five letters) and
  an offer word (free, no, without, and their French, German and Spanish
  counterparts). A brief whose only free thing is the card does not state
  free delivery; one that says "No contract: cancel whenever you like"
  states "no contract".
"""

from __future__ import annotations

import re

from unifeed.creative.fitting import DANGLING

__all__ = ["numbers_not_stated", "offers_not_stated"]

_NUMBER = re.compile(
    r"(?:(?<![\w-])(?P<prev>[^\W\d_]+) )?(?P<before>[£$€]\s?)?(?<![\w.,])"
    r"(?P<n>\d+(?:[.,]\d+)*)(?P<after>\s?%|\s?[£$€])?"
    r"(?:[\s-]?(?P<unit>[^\W\d_]+))?"
)
_SENTENCES = re.compile(r"(?<=[.!?:;\n])\s+")


def _occurrences(text: str) -> list[tuple[str, str, str, str]]:
    """(number without separators, sign, unit word, word before) for each number of `text`."""
    out = []
    for m in _NUMBER.finditer(text):
        sign = ((m["before"] or "") + (m["after"] or "")).replace(" ", "")
        unit = (m["unit"] or "").casefold()
        out.append((re.sub(r"[.,]", "", m["n"]), sign, unit, (m["prev"] or "").casefold()))
    return out


def _same_unit(a: str, b: str) -> bool:
    k = min(4, len(a), len(b))
    return k > 0 and a[:k] == b[:k]


def numbers_not_stated(text: str, facts: str, language: str, name: str = "") -> list[str]:
    """The numbers of `text` the brief's `facts` do not state as such (see the module).

    A word of the product's `name` after a number is no unit ("5 FreshCrate recipes").
    """
    function_words = DANGLING.get(language, DANGLING["en"]) | set(name.split())
    stated = _occurrences(facts)
    missing: list[str] = []
    for number, sign, unit, prev in _occurrences(text):
        same = [(s, u, p) for n, s, u, p in stated if n == number]
        unit = "" if unit in function_words else unit
        # A sign is the number's unit ("20% off" = "20% discount"); else the word after
        # it, or the word before when the number is a label ("Trail 2", "SPF 50").
        ok = any(
            (sign == s)
            if sign
            else (not unit or (bool(u) and _same_unit(unit, u)) or (bool(prev) and prev == p))
            for s, u, p in same
        )
        if not ok:
            shown = f"{sign}{number}" + (f" {unit}" if unit else "")
            if shown not in missing:
                missing.append(shown)
    return missing


# Offer phrases per language: the group "thing" is what is offered.
_OFFERS: dict[str, list[re.Pattern[str]]] = {
    "en": [
        re.compile(
            r"(?<![\w-])free (?:uk |next-day |express |home )?(?P<thing>deliver\w*|shipping|"
            r"postage|returns?|trial|install\w*|cancell?ation|download|gift|samples?|"
            r"consultation|quotes?|fitting|upgrades?|lessons?|classes|accounts?|months?|"
            r"weeks?|app|card|plan|service|setup|collection)\b"
        ),
        re.compile(r"(?<![\w-])free to (?P<thing>download|use|try|join|install|cancel|return)\b"),
        re.compile(
            r"\b(?P<thing>deliver\w*|shipping|postage|returns?|installation|download|setup|"
            r"the app|the trial|the first \w+) (?:is|are) (?:always )?free\b"
        ),
        re.compile(
            r"\b(?:no|zero|without(?: any)?) (?:annual |monthly |hidden |extra |setup |"
            r"booking |delivery |account |transfer |exit |cancellation )?"
            r"(?P<thing>fees?|charges?|commission|contracts?|subscriptions?|deposit|"
            r"interest|minimum|credit check|catch|commitment|costs?|tie-in)\b"
        ),
    ],
    "fr": [
        re.compile(
            r"\b(?P<thing>livraison|retours?|essai|installation|inscription|abonnement|"
            r"téléchargement|frais de port)s? (?:\w+ )?(?:gratuit\w*|offert\w*)"
        ),
        re.compile(r"\bsans (?P<thing>frais|engagement|abonnement|commission|contrat)\b"),
    ],
    "de": [
        re.compile(
            r"\b(?:kostenlose?[nrs]?|gratis) (?P<thing>versand|lieferung|rücksendung\w*|"
            r"rückversand|probe\w*|test\w*|installation|download|app|konto)\b"
        ),
        re.compile(r"\b(?P<thing>versandkostenfrei|portofrei)\b"),
        re.compile(
            r"\bohne (?:versteckte |zusätzliche )?(?P<thing>gebühr\w*|vertrag\w*|abo\w*|"
            r"kosten|provision\w*|grundgebühr\w*)\b"
        ),
    ],
    "es": [
        re.compile(
            r"\b(?P<thing>envío|envíos|devolución|devoluciones|prueba|instalación|descarga|"
            r"inscripción|matrícula)s? (?:\w+ )?(?:gratis|gratuit\w*)"
        ),
        re.compile(r"\bsin (?P<thing>comisi\w+|cuotas?|permanencia|compromiso|contrato|gastos)\b"),
    ],
}
# The words that make a thing an offer in a brief's sentence.
_OFFER_WORDS = re.compile(
    r"(?<![\w])(?:free|no|zero|without|cancel|gratuit\w*|offert\w*|sans|kostenlos\w*|gratis|"
    r"ohne|sin)\b|\w-?free\b|\w*frei\b"
)


def offers_not_stated(text: str, facts: str, language: str) -> list[str]:
    """The offer phrases of `text` (folded) that no sentence of `facts` (folded) makes."""
    sentences = [s for s in _SENTENCES.split(facts) if _OFFER_WORDS.search(s)]
    missing: list[str] = []
    for pattern in _OFFERS.get(language, []) + (_OFFERS["en"] if language != "en" else []):
        for m in pattern.finditer(text):
            thing = m["thing"].removeprefix("the ")
            stem = thing[:5]
            if any(stem in s for s in sentences):
                continue
            phrase = m.group(0).strip()
            if phrase not in missing:
                missing.append(phrase)
    return missing
