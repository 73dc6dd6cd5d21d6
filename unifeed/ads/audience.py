"""Who a campaign's ads are for: the law, and the audience policy that chooses among the rest.

The law (a campaign's countries and minimum age) is the only hard filter in
production. Beyond it an `Audience` policy decides whom a campaign reaches
and whether p(result) tells viewers apart. Production's is `ModelAudience`:
everyone the law allows, each viewer predicted by the model. The baselines
the ads benchmark compares it with (manual targeting, broad delivery) are
policies too, and live next to that benchmark (`bench/audiences.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from unifeed.ads.campaign_spec import AudienceHint
from unifeed.ads.campaigns import Campaign
from unifeed.ads.variants import VariantEvidence, thompson


@runtime_checkable
class Audience(Protocol):
    @property
    def per_viewer(self) -> bool:
        """Whether the model predicts each viewer (and so who clicked before,
        and whom they resemble) or every viewer is predicted alike, from the
        campaign's average rates; alike, every viewer is worth the same to a
        campaign, which then paces by throttling (`unifeed.ads.pacing`)."""
        ...

    def reaches(self, c: Campaign, viewer: Mapping[str, Any]) -> bool:
        """Whether the campaign may be shown to this viewer, whom the law allows."""
        ...

    def creative(
        self, scores: np.ndarray, rng: np.random.Generator, evidence: VariantEvidence
    ) -> int:
        """Which of the campaign's creatives the viewer sees, by the model's
        scores for them and what their impressions have shown so far."""
        ...


@dataclass(frozen=True)
class ModelAudience:
    """Everyone the law allows, each viewer predicted by the model and shown
    a creative by Thompson sampling over the model's p(click) for them and
    each creative's click rate so far (`unifeed.ads.variants`)."""

    @property
    def per_viewer(self) -> bool:
        return True

    def reaches(self, c: Campaign, viewer: Mapping[str, Any]) -> bool:
        return True

    def creative(
        self, scores: np.ndarray, rng: np.random.Generator, evidence: VariantEvidence
    ) -> int:
        return thompson(evidence, rng)


def may_see(c: Campaign, user: Mapping[str, Any]) -> bool:
    """Whether the campaign's legal constraints (countries, minimum age) let the user see it."""
    countries = c.constraints.countries
    if countries and user.get("country") not in countries:
        return False
    min_age = c.constraints.min_age
    return not (min_age and (user.get("age") is None or user["age"] < min_age))


def in_suggested_groups(c: Campaign, user: Mapping[str, Any]) -> bool:
    """Whether a user is in the age and gender groups of the campaign's audience suggestion.

    The model weighs it as a hint (`unifeed.ads.prediction`); only the manual
    targeting baseline filters by it. Keys it reads: age_min, age_max, genders.
    """
    hint = c.audience_hint or AudienceHint()
    age = user.get("age")
    lo, hi = hint.age_min, hint.age_max
    if (lo is not None or hi is not None) and age is None:
        return False
    if lo is not None and age < lo:
        return False
    if hi is not None and age > hi:
        return False
    genders = hint.genders
    return not genders or user.get("gender") in genders


# A repeat view of an awareness campaign's ad is worth this share of a new
# person reached, halving with every further view. It is never a result (a
# person is reached once), but without any worth a campaign that had reached
# everyone it could would stop spending. A repeat wins only once the
# campaign's bid has risen to several times what reaching new people takes,
# that is once new people run out; the halving spreads the repeats over
# people instead of piling them on a few.
REPEAT_WORTH = 0.25


def reach_worth(exposures: int) -> float:
    """What an awareness impression is worth, in people reached, after `exposures` earlier views."""
    return 1.0 if exposures <= 0 else REPEAT_WORTH * 0.5 ** (exposures - 1)
