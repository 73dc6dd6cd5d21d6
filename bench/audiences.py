"""The ads benchmark's baseline audiences, against which the model's audience is measured.

Both predict every viewer alike, with the campaign's average response rates,
and rotate its creatives, as delivery worked before a model chose the
audience: manual targeting reaches only the age and gender groups its
advertiser picked (the campaign's audience suggestion), broad delivery
everyone the law allows. Production never selects them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from unifeed.ads.audience import Audience, ModelAudience, in_suggested_groups
from unifeed.ads.campaigns import Campaign
from unifeed.ads.variants import VariantEvidence


@dataclass(frozen=True)
class Broad:
    """Everyone the law allows, every viewer predicted alike."""

    @property
    def per_viewer(self) -> bool:
        return False

    def reaches(self, c: Campaign, viewer: Mapping[str, Any]) -> bool:
        return True

    def creative(
        self, scores: np.ndarray, rng: np.random.Generator, evidence: VariantEvidence
    ) -> int:
        return int(rng.integers(len(scores)))


@dataclass(frozen=True)
class ManualTargeting(Broad):
    """Only the age and gender groups of the campaign's audience suggestion."""

    def reaches(self, c: Campaign, viewer: Mapping[str, Any]) -> bool:
        return in_suggested_groups(c, viewer)


# The arms of a flight (`unifeed.sim.flight`), by the names the reports use.
ARMS: dict[str, Audience] = {
    "automatic": ModelAudience(),
    "demographic": ManualTargeting(),
    "broad": Broad(),
}


def audiences(names: Iterable[str]) -> dict[str, Audience]:
    """These arms' audiences, in order; a clear error for an unknown name."""
    names = list(names)
    unknown = [a for a in names if a not in ARMS]
    if unknown or not names:
        raise ValueError(f"arms must be some of {list(ARMS)}, got {names}")
    return {a: ARMS[a] for a in names}
