"""Review: the policy check every creative passes before it can serve, generated or typed.

`review` returns a `ReviewResult`; a rejected one lists every rule broken,
each with a reason a person can act on ("numbers the brief does not state:
30"). Mechanical rules live in `rules`, the judgement rules' word lists in
`lexicon`. A claim the brief itself makes is not held against the ad: the
brief is the advertiser's statement, and the advertiser stays responsible.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from unifeed.creative import lexicon, rules
from unifeed.creative.brief import Brief, numbers_in
from unifeed.creative.offers import numbers_not_stated, offers_not_stated
from unifeed.creative.variant import Creative

__all__ = ["Rejection", "ReviewResult", "Rule", "review", "review_campaign"]


class Rule(StrEnum):
    guaranteed_results = "guaranteed_results"
    health_claim = "health_claim"
    financial_promise = "financial_promise"
    personal_attributes = "personal_attributes"
    unsupported_claim = "unsupported_claim"
    profanity = "profanity"
    shouting = "shouting"
    missing_product_name = "missing_product_name"
    over_length = "over_length"
    off_domain_url = "off_domain_url"
    near_duplicate = "near_duplicate"
    bad_call_to_action = "bad_call_to_action"


_JUDGEMENT: dict[Rule, str] = {
    Rule.guaranteed_results: "promises an outcome",
    Rule.health_claim: "claims an effect on health, body or mind",
    Rule.financial_promise: "promises money",
    Rule.personal_attributes: "asserts a sensitive attribute of the viewer",
    Rule.unsupported_claim: "claims what the brief does not state",
    Rule.profanity: "swears",
}
# A brief may state these itself ("guaranteed next-day delivery", "free
# returns", "organic"); then an ad may repeat them.
_EXCUSED_BY_BRIEF = {Rule.guaranteed_results, Rule.unsupported_claim, Rule.financial_promise}
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Rejection:
    rule: Rule
    reason: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """Approved when no rule is broken; `rejections` says which and why otherwise."""

    rejections: tuple[Rejection, ...] = ()

    @property
    def approved(self) -> bool:
        return not self.rejections

    @property
    def rules(self) -> frozenset[Rule]:
        return frozenset(r.rule for r in self.rejections)


def review(creative: Creative, brief: Brief, earlier: Sequence[Creative] = ()) -> ReviewResult:
    """Check one creative against its brief and the campaign's earlier variants."""
    found: list[Rejection] = []

    def add(rule: Rule, reason: str | None) -> None:
        if reason:
            found.append(Rejection(rule, reason))

    add(Rule.over_length, rules.over_length(creative))
    add(Rule.bad_call_to_action, rules.bad_call_to_action(creative))
    add(Rule.off_domain_url, rules.off_domain(creative, brief))
    add(Rule.missing_product_name, rules.product_name_missing(creative, brief))
    add(Rule.shouting, rules.shouting(creative, brief))
    for rule, what in _JUDGEMENT.items():
        phrases = _claims(rule, creative, brief)
        if phrases:
            add(rule, f"{what}: {', '.join(repr(p) for p in phrases)}")
    for claim in _unstated(creative, brief):
        if Rule.unsupported_claim in {r.rule for r in found}:
            i = next(i for i, r in enumerate(found) if r.rule is Rule.unsupported_claim)
            found[i] = Rejection(Rule.unsupported_claim, f"{found[i].reason}; {claim}")
        else:
            add(Rule.unsupported_claim, claim)
    add(Rule.near_duplicate, _near_duplicate(creative, earlier))
    return ReviewResult(tuple(found))


def _unstated(creative: Creative, brief: Brief) -> list[str]:
    """Numbers and offers the brief does not state (unifeed/creative/offers.py)."""
    out = []
    numbers = rules.numbers_not_in_brief(creative, brief)
    if numbers:
        out.append(numbers)
    text, facts = rules.fold(creative.text), rules.fold(brief.facts)
    elsewhere = [
        n
        for n in numbers_not_stated(text, facts, brief.language, rules.fold(brief.product_name))
        if numbers_in(n) <= brief.numbers  # the rest are in `numbers` above
    ]
    if elsewhere:
        out.append(f"numbers the brief states of something else: {', '.join(elsewhere)}")
    offers = offers_not_stated(text, facts, brief.language)
    if offers:
        out.append(f"offers the brief does not make: {', '.join(repr(o) for o in offers)}")
    return out


def review_campaign(creatives: Sequence[Creative], brief: Brief) -> list[ReviewResult]:
    """Review a campaign's variants in order; a later near-copy of an earlier one is rejected.

    Near-duplicates are measured against earlier variants that are not
    themselves near-duplicates, so one original never rejects a chain.
    """
    results: list[ReviewResult] = []
    originals: list[Creative] = []
    for creative in creatives:
        result = review(creative, brief, originals)
        results.append(result)
        if Rule.near_duplicate not in result.rules:
            originals.append(creative)
    return results


def _near_duplicate(creative: Creative, earlier: Sequence[Creative]) -> str | None:
    best = max(earlier, key=lambda e: rules.similarity(creative, e), default=None)
    if best is None:
        return None
    score = rules.similarity(creative, best)
    if score < rules.NEAR_DUPLICATE:
        return None
    return f"{score:.2f} similar to the earlier variant {best.headline!r}"


def _claims(rule: Rule, creative: Creative, brief: Brief) -> list[str]:
    """The phrases of `creative` that `rule`'s word list flags and the brief does not state."""
    text = rules.fold(creative.text)
    facts = rules.fold(brief.facts)
    phrases: list[str] = []
    for pattern in lexicon.compiled(rule.value, brief.language):
        for m in pattern.finditer(text):
            phrase = m.group(0).strip()
            if rule in _EXCUSED_BY_BRIEF and _stated(rule, phrase, text, m.start(), facts):
                continue
            if phrase not in phrases:
                phrases.append(phrase)
    return phrases


def _stated(rule: Rule, phrase: str, text: str, at: int, facts: str) -> bool:
    """Does the brief state this claim? The phrase itself, or its key word in the same company.

    A promise must keep its company: "guaranteed" counts as stated only when a
    word next to it in the ad (same sentence) is next to it in the brief too
    ("guaranteed next-day delivery"), so a brief's delivery guarantee does not
    license "guaranteed fluency". A descriptive claim word the brief uses
    itself ("organic", "free") is stated wherever it stands.
    """
    words = _WORD.findall(phrase)
    if not words:
        return False
    literal = re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", facts) is not None
    if literal and (rule is Rule.unsupported_claim or len(words) > 1):
        return True
    key = words[0][:7]
    if not re.search(rf"(?<!\w){re.escape(key)}", facts):
        return False
    near_ad = _stems(_sentence(text, at, at + len(phrase))) - _stems(phrase)
    for m in re.finditer(rf"(?<!\w){re.escape(key)}", facts):
        if near_ad & _stems(_sentence(facts, m.start(), m.end())):
            return True
    return False


def _stems(text: str) -> set[str]:
    """Words of 4+ letters cut to 5, a crude stem across inflections (Jahre, Jahren)."""
    return {w[:5] for w in _WORD.findall(text) if len(w) > 3}


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence (or line) around text[start:end]."""
    left = max(text.rfind(c, 0, start) for c in ".!?\n") + 1
    rights = [i for i in (text.find(c, end) for c in ".!?\n") if i >= 0]
    return text[left : min(rights, default=len(text))]
