"""Who may see a campaign's ads, and what a view of a reach campaign is worth.

The law (a campaign's countries and minimum age) is the only hard filter in
production. The age and gender groups of an audience suggestion filter only
for the "demographic" benchmark baseline (`unifeed.ads.delivery`).
"""

from __future__ import annotations

from typing import Any, Literal

from unifeed.ads.campaigns import Campaign

Audience = Literal["model", "demographic", "broad"]
AUDIENCES: tuple[Audience, ...] = ("model", "demographic", "broad")


def may_see(c: Campaign, user: dict[str, Any]) -> bool:
    """Whether the campaign's legal constraints (countries, minimum age) let the user see it."""
    countries = c.constraints.get("countries")
    if countries and user.get("country") not in countries:
        return False
    min_age = c.constraints.get("min_age")
    return not (min_age and (user.get("age") is None or user["age"] < min_age))


def in_suggested_groups(c: Campaign, user: dict[str, Any]) -> bool:
    """Whether a user is in the age and gender groups of the campaign's audience suggestion.

    Only the "demographic" baseline uses this as a filter; keys it reads:
    age_min, age_max, genders.
    """
    hint = c.audience_hint or {}
    age = user.get("age")
    lo, hi = hint.get("age_min"), hint.get("age_max")
    if (lo is not None or hi is not None) and age is None:
        return False
    if lo is not None and age < lo:
        return False
    if hi is not None and age > hi:
        return False
    genders = hint.get("genders")
    return not genders or user.get("gender") in genders


# A repeat view of an awareness campaign's ad is worth this share of a new
# person reached, halving with every further view. It is never a result (a
# person is reached once), but without any worth a campaign that had reached
# everyone it could stopped spending: the benchmark's fuller market left 6%
# of its budget unspent. A repeat wins only once the campaign's bid has risen
# to several times what reaching new people takes, that is once new people
# run out; the halving spreads the repeats over people instead of piling
# them on a few.
REPEAT_WORTH = 0.25


def reach_worth(exposures: int) -> float:
    """What an awareness impression is worth, in people reached, after `exposures` earlier views."""
    return 1.0 if exposures <= 0 else REPEAT_WORTH * 0.5 ** (exposures - 1)
