"""Scores the review check on the labelled set: precision and recall on rejections.

Briefs are split before any rule was written: every third brief from b03 is
held out (b03 b06 b09 b12 b15 b18 b21: four English, one each in French,
Spanish and German) and was not read while writing the word lists; the rest
is the development split. Figures are reported for both, and by origin.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tests.creative.labelled import validate as labelled
from unifeed.creative import Brief, Creative, ReviewResult, review_campaign

HELD_OUT = frozenset({"b03", "b06", "b09", "b12", "b15", "b18", "b21"})


@dataclass
class Scored:
    """Counts for rejections as the positive class, overall and per rule."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    per_rule: Counter[str] = field(default_factory=Counter)  # rule hits on labelled rejects
    rule_labelled: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / max(self.tp + self.fp, 1)

    @property
    def recall(self) -> float:
        return self.tp / max(self.tp + self.fn, 1)


def brief_of(raw: dict) -> Brief:
    fields = ("product_name", "product", "description", "landing_url", "language", "tone")
    return Brief(advertiser=raw["advertiser"], **{k: raw[k] for k in fields})


def creative_of(raw: dict) -> Creative:
    return Creative(
        headline=raw["headline"],
        primary_text=raw["primary_text"],
        call_to_action=raw["call_to_action"],
        landing_url=raw["landing_url"],
        origin="generated" if raw["origin"] == "generated" else "typed",
        model=raw.get("model"),
    )


def reviewed() -> list[tuple[dict, ReviewResult]]:
    """Every labelled creative with the check's verdict, each brief's variants in order."""
    briefs, creatives = labelled.load()
    out: list[tuple[dict, ReviewResult]] = []
    for brief_id, raw_brief in briefs.items():
        mine = [c for c in creatives if c["brief_id"] == brief_id]
        results = review_campaign([creative_of(c) for c in mine], brief_of(raw_brief))
        out += zip(mine, results, strict=True)
    return out


def score(pairs: list[tuple[dict, ReviewResult]]) -> Scored:
    s = Scored()
    for raw, result in pairs:
        truth, said = raw["label"] == "reject", not result.approved
        if truth and said:
            s.tp += 1
        elif said:
            s.fp += 1
            s.errors.append(f"FP {raw['id']}: {'; '.join(map(str, result.rejections))}")
        elif truth:
            s.fn += 1
            s.errors.append(
                f"FN {raw['id']} {raw['rules']}: {raw['headline']} | {raw['primary_text']}"
            )
        else:
            s.tn += 1
        for rule in raw["rules"]:
            s.rule_labelled[rule] += 1
            s.per_rule[rule] += rule in {r.rule.value for r in result.rejections}
    return s


def splits() -> dict[str, list[tuple[dict, ReviewResult]]]:
    pairs = reviewed()
    dev = [p for p in pairs if p[0]["brief_id"] not in HELD_OUT]
    held = [p for p in pairs if p[0]["brief_id"] in HELD_OUT]
    out = {"development": dev, "held out": held, "all": pairs}
    for origin in ("hand", "generated"):
        mine = [p for p in pairs if p[0]["origin"] == origin]
        if mine:
            out[f"all, {origin}"] = mine
    return out
