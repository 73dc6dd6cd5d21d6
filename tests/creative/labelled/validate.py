"""Checks that the labelled ad-creative set is consistent (standard library only).

Run `python tests/creative/labelled/validate.py` for a summary; it exits 1 on any problem.
Five rules are mechanical and defined here exactly (length, call to action, landing domain,
product name, shouting): their labels must agree with these functions in both directions.
Numbers absent from the brief must carry `unsupported_claim`. The other rules are judgement,
checked only for counts and shape.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter
from itertools import combinations, pairwise
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
RULES = (
    "guaranteed_results",
    "health_claim",
    "financial_promise",
    "personal_attributes",
    "unsupported_claim",
    "profanity",
    "shouting",
    "missing_product_name",
    "over_length",
    "off_domain_url",
    "near_duplicate",
    "bad_call_to_action",
)
CALLS_TO_ACTION = (
    "Learn more",
    "Shop now",
    "Sign up",
    "Download",
    "Get offer",
    "Book now",
    "Contact us",
    "Subscribe",
    "Apply now",
    "Get quote",
    "Watch more",
    "Order now",
)
HEADLINE_MAX, PRIMARY_MAX = 40, 125
MIN_PER_RULE, MIN_CREATIVES, APPROVE_SHARE = 12, 200, (0.40, 0.50)
# Jaccard over word bigrams between two variants of one brief: a marked near-duplicate is at
# least NEAR_MIN similar to its original, and no unmarked pair reaches NEAR_MAX. Bigrams, not
# words, because short ads from one brief share most of their words by necessity.
NEAR_MIN, NEAR_MAX = 0.50, 0.45
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def text_of(creative: dict) -> str:
    return f"{creative['headline']}\n{creative['primary_text']}"


def is_over_length(creative: dict) -> bool:
    return len(creative["headline"]) > HEADLINE_MAX or len(creative["primary_text"]) > PRIMARY_MAX


def is_bad_call_to_action(creative: dict) -> bool:
    return creative["call_to_action"] not in CALLS_TO_ACTION


def is_off_domain(creative: dict, brief: dict) -> bool:
    """Off the brief's domain: same host, or a subdomain of it (www. dropped), is on it."""
    home = (urlsplit(brief["landing_url"]).hostname or "").removeprefix("www.")
    host = urlsplit(creative["landing_url"]).hostname or ""
    return not (host.removeprefix("www.") == home or host.endswith("." + home))


def names_product(creative: dict, brief: dict) -> bool:
    """The product name appears as whole words in the headline or primary text."""
    name = re.escape(_norm(brief["product_name"]))
    return re.search(rf"(?<!\w){name}(?!\w)", _norm(text_of(creative))) is not None


def shouting_reasons(creative: dict, brief: dict) -> list[str]:
    """ALL-CAPS words of 3+ letters the brief does not define, '!!', or more than two '!'."""
    text = text_of(creative)
    allowed = set(brief.get("allowed_caps", []))
    reasons = [
        word
        for word in re.findall(r"[^\W_]+", text)
        if sum(ch.isalpha() for ch in word) >= 3 and word.isupper() and word not in allowed
    ]
    if "!!" in text or text.count("!") > 2:
        reasons.append("exclamation marks")
    return reasons


def numbers(text: str) -> set[str]:
    """Digits with their separators removed: '£85,000' and '85.000 €' both give '85000'."""
    return {re.sub(r"[.,]", "", n) for n in NUMBER.findall(text)}


def numbers_not_in_brief(creative: dict, brief: dict) -> set[str]:
    stated = numbers(" ".join((brief["description"], brief["product"], brief["product_name"])))
    return numbers(text_of(creative)) - stated


def _bigrams(creative: dict) -> set[tuple[str, str]]:
    words = re.findall(r"[^\W_]+", _norm(text_of(creative)))
    return set(pairwise(words))


def similarity(a: dict, b: dict) -> float:
    """Jaccard similarity of the two creatives' word bigrams (headline and primary text)."""
    ba, bb = _bigrams(a), _bigrams(b)
    return len(ba & bb) / max(len(ba | bb), 1)


MECHANICAL = {
    "over_length": lambda c, b: is_over_length(c),
    "bad_call_to_action": lambda c, b: is_bad_call_to_action(c),
    "off_domain_url": is_off_domain,
    "missing_product_name": lambda c, b: not names_product(c, b),
    "shouting": lambda c, b: bool(shouting_reasons(c, b)),
}


def load(root: Path = HERE) -> tuple[dict[str, dict], list[dict]]:
    briefs = json.loads((root / "briefs.json").read_text(encoding="utf-8"))
    lines = (root / "creatives.jsonl").read_text(encoding="utf-8").splitlines()
    return {b["id"]: b for b in briefs}, [json.loads(line) for line in lines if line.strip()]


def _check_brief(b: dict, problems: list[str]) -> None:
    for key in ("id", "advertiser", "product_name", "product", "description", "landing_url"):
        if not b.get(key):
            problems.append(f"brief {b.get('id')}: missing {key}")
    if not b.get("language") or not b.get("tone"):
        problems.append(f"brief {b.get('id')}: needs a language and a tone")
    if not names_product({"headline": b["product"], "primary_text": b["description"]}, b):
        problems.append(f"brief {b['id']}: its description never names {b['product_name']!r}")
    for word in b.get("allowed_caps", []):
        if word not in b["description"]:
            problems.append(f"brief {b['id']}: allowed capital {word!r} is not in the description")


def _check_creative(c: dict, briefs: dict, earlier: dict, problems: list[str]) -> None:
    cid, b = c.get("id", "?"), briefs.get(c.get("brief_id"))
    if b is None:
        problems.append(f"{cid}: unknown brief {c.get('brief_id')!r}")
        return
    for key in ("headline", "primary_text", "call_to_action", "landing_url"):
        if not isinstance(c.get(key), str) or not c[key]:
            problems.append(f"{cid}: missing {key}")
            return
    if c.get("origin") not in ("hand", "generated"):
        problems.append(f"{cid}: origin must be 'hand' or 'generated'")
    if c.get("origin") == "generated" and not c.get("model"):
        problems.append(f"{cid}: a generated creative names its model")
    rules, label = c.get("rules", []), c.get("label")
    if label not in ("approve", "reject"):
        problems.append(f"{cid}: label must be approve or reject")
    if (label == "reject") != bool(rules):
        problems.append(f"{cid}: a reject lists its rules and an approve lists none")
    for rule in rules:
        if rule not in RULES:
            problems.append(f"{cid}: unknown rule {rule!r}")
    if (label == "reject" or c.get("hard_case")) and not c.get("note"):
        problems.append(f"{cid}: rejects and hard cases explain themselves in a note")
    for rule, fires in MECHANICAL.items():
        if fires(c, b) != (rule in rules):
            state = "fires" if fires(c, b) else "does not fire"
            problems.append(f"{cid}: {rule} {state} but the label says otherwise")
    extra = numbers_not_in_brief(c, b)
    if extra and "unsupported_claim" not in rules:
        problems.append(f"{cid}: numbers {sorted(extra)} are not in the brief")
    original = c.get("duplicate_of")
    if ("near_duplicate" in rules) != bool(original):
        problems.append(f"{cid}: near_duplicate and duplicate_of go together")
    elif original:
        first = earlier.get(original)
        if first is None or first["brief_id"] != c["brief_id"]:
            problems.append(
                f"{cid}: duplicate_of {original} is not an earlier variant of its brief"
            )
        elif "near_duplicate" in first.get("rules", []):
            problems.append(f"{cid}: duplicate_of points at another duplicate")
        elif similarity(c, first) < NEAR_MIN:
            problems.append(f"{cid}: only {similarity(c, first):.2f} similar to {original}")


def check(briefs: dict[str, dict], creatives: list[dict]) -> list[str]:
    """Every inconsistency in the set, as readable lines (empty when all is well)."""
    problems: list[str] = []
    for b in briefs.values():
        _check_brief(b, problems)
    ids = Counter(c.get("id") for c in creatives)
    problems += [f"{cid}: duplicate id" for cid, n in ids.items() if n > 1]
    earlier: dict[str, dict] = {}
    for c in creatives:
        _check_creative(c, briefs, earlier, problems)
        earlier[c.get("id")] = c
    for brief_id in briefs:
        mine = [c for c in creatives if c.get("brief_id") == brief_id]
        for a, b in combinations(mine, 2):
            marked = b.get("duplicate_of") == a["id"] or a.get("duplicate_of") == b["id"]
            if not marked and similarity(a, b) >= NEAR_MAX:
                problems.append(
                    f"{a['id']} and {b['id']} are {similarity(a, b):.2f} similar but not marked"
                )
    if len(creatives) < MIN_CREATIVES:
        problems.append(f"{len(creatives)} creatives, needs at least {MIN_CREATIVES}")
    per_rule = Counter(r for c in creatives for r in c.get("rules", []))
    for rule in RULES:
        if per_rule[rule] < MIN_PER_RULE:
            problems.append(f"{rule}: {per_rule[rule]} rejects, needs at least {MIN_PER_RULE}")
    share = sum(c.get("label") == "approve" for c in creatives) / max(len(creatives), 1)
    if not APPROVE_SHARE[0] <= share <= APPROVE_SHARE[1]:
        problems.append(
            f"approvals are {share:.0%}, want {APPROVE_SHARE[0]:.0%}-{APPROVE_SHARE[1]:.0%}"
        )
    if len({b["language"] for b in briefs.values()}) < 4:
        problems.append("briefs need English and at least three other languages")
    return problems


def summary(briefs: dict[str, dict], creatives: list[dict]) -> str:
    labels = Counter(c["label"] for c in creatives)
    share = labels["approve"] / len(creatives)
    per_rule = Counter(r for c in creatives for r in c["rules"])
    multi = sum(len(c["rules"]) > 1 for c in creatives)
    hard = Counter(c["label"] for c in creatives if c.get("hard_case"))
    langs = Counter(briefs[c["brief_id"]]["language"] for c in creatives)
    lines = [
        f"{len(briefs)} briefs, {len(creatives)} creatives: approve {labels['approve']} "
        f"({share:.0%}), reject {labels['reject']} ({multi} with two rules or more)",
        f"  hard cases: approve {hard['approve']}, reject {hard['reject']}",
        "  languages: " + ", ".join(f"{k} {n}" for k, n in sorted(langs.items())),
        "  origin: "
        + ", ".join(f"{k} {n}" for k, n in Counter(c["origin"] for c in creatives).items()),
    ]
    lines += [f"  {rule}: {per_rule[rule]}" for rule in RULES]
    return "\n".join(lines)


def main() -> int:
    briefs, creatives = load()
    problems = check(briefs, creatives)
    print(summary(briefs, creatives))
    for line in problems:
        print("PROBLEM", line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
