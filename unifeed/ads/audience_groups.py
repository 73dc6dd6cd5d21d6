"""The groups a report breaks an audience into: age band, gender, country and interest.

A user's interest is the tag they engaged with most. Shared by the
campaign's audience breakdown and its variants' (`unifeed.ads.variant_report`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from unifeed.ads.records.reports import ReportRecords
from unifeed.store import Store

__all__ = ["AGE_BANDS", "DIMENSIONS", "Groups", "age_band", "shares", "shares_of"]

DIMENSIONS = ("age", "gender", "country", "interest")
AGE_BANDS = ((13, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 130))


def age_band(age: int | None) -> str:
    if age is None:
        return "unknown"
    for lo, hi in AGE_BANDS:
        if lo <= age <= hi:
            return f"{lo}+" if hi == 130 else f"{lo}-{hi}"
    return "under 13"


def shares(counter: Counter[str]) -> dict[str, float]:
    total = sum(counter.values())
    return {k: v / total for k, v in counter.most_common()} if total else {}


class Groups:
    """Which age band, gender, country and interest (most engaged-with tag) each user is in."""

    def __init__(self, store: Store) -> None:
        self.people, tags_of, engaged = ReportRecords(store).population()
        interest_counts: dict[int, Counter[str]] = {}
        for user, item in engaged:
            interest_counts.setdefault(user, Counter()).update(tags_of.get(item, []))
        self.interest = {u: c.most_common(1)[0][0] for u, c in interest_counts.items() if c}

    def __call__(self, user: int) -> dict[str, str]:
        p = self.people.get(user)
        return {
            "age": age_band(p.age if p else None),
            "gender": (p.gender if p and p.gender else "unknown"),
            "country": (p.country if p and p.country else "unknown"),
            "interest": self.interest.get(user, "unknown"),
        }


def shares_of(shown: Mapping[int, int], dims: Groups, dim: str) -> dict[str, float]:
    """Shares of these impressions (per person) by the people's group on `dim`."""
    seen: Counter[str] = Counter()
    for x, n in shown.items():
        seen[dims(x)[dim]] += n
    return shares(seen)
