"""Choosing among a campaign's variants, and telling them apart in its report.

Serving: each viewer sees the variant with the highest sampled value, the
model's p(click) for this viewer times a click rate drawn from the variant's
Beta posterior (Thompson sampling). A variant with few impressions draws
from a wide posterior and so keeps being tried; one that has shown it does
worse is drawn low ever more surely. The draws come from the request's
seeded generator, so a simulated flight is the same on every run.

Reporting: a variant's label compares its results per impression with its
siblings' by the posterior probability of being the best (Monte Carlo over
the same Beta posteriors, seeded): `best` above BEST, `low` when it is below
the leader with probability above BEST, `good` otherwise, and `learning`
while it has fewer than MIN_IMPRESSIONS impressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

# The prior of a variant's click rate: the campaign's own rate (shrunk),
# worth this many impressions. Small, so a variant's own clicks soon count.
PRIOR_IMPRESSIONS = 50.0
PRIOR_CLICK_RATE = 0.05  # the campaign's rate before it has impressions

# Labels: a variant is labelled once it has this many impressions, and the
# label is `best` or `low` at this posterior probability.
MIN_IMPRESSIONS = 100
BEST = 0.95
DRAWS = 4000

Label = Literal["learning", "low", "good", "best"]


@dataclass(frozen=True)
class VariantEvidence:
    """What serving knows of one campaign's variants, aligned with their scores."""

    p_click: np.ndarray  # (K,) the model's calibrated p(click) of each for this viewer
    clicks: np.ndarray  # (K,) clicks on each so far
    impressions: np.ndarray  # (K,) its billed impressions so far


def thompson(evidence: VariantEvidence, rng: np.random.Generator) -> int:
    """The variant this viewer sees: argmax of p(click) x a draw of its click rate."""
    k = len(evidence.p_click)
    if k == 1:
        return 0  # nothing to choose, and no draw: one variant's flights are unchanged
    clicks = evidence.clicks.astype(np.float64)
    shown = np.maximum(evidence.impressions.astype(np.float64), clicks)
    rate = (clicks.sum() + PRIOR_IMPRESSIONS * PRIOR_CLICK_RATE) / (shown.sum() + PRIOR_IMPRESSIONS)
    drawn = rng.beta(
        PRIOR_IMPRESSIONS * rate + clicks, PRIOR_IMPRESSIONS * (1 - rate) + shown - clicks
    )
    return int(np.argmax(evidence.p_click * drawn))


def prob_best(results: np.ndarray, impressions: np.ndarray, seed: int = 0) -> np.ndarray:
    """(K,) the posterior probability that each variant has the highest results
    per impression, under Beta(1 + results, 1 + impressions - results)."""
    results = results.astype(np.float64)
    shown = np.maximum(impressions.astype(np.float64), results)
    rng = np.random.default_rng(seed)
    draws = rng.beta(1 + results, 1 + shown - results, size=(DRAWS, len(results)))  # (DRAWS, K)
    return np.bincount(draws.argmax(axis=1), minlength=len(results)) / DRAWS


def prob_below_leader(results: np.ndarray, impressions: np.ndarray, seed: int = 0) -> np.ndarray:
    """(K,) the posterior probability that each variant does worse than the
    one with the highest posterior mean (0 for that one)."""
    results = results.astype(np.float64)
    shown = np.maximum(impressions.astype(np.float64), results)
    a, b = 1 + results, 1 + shown - results
    leader = int(np.argmax(a / (a + b)))
    rng = np.random.default_rng(seed)
    draws = rng.beta(a, b, size=(DRAWS, len(results)))  # (DRAWS, K)
    below = (draws < draws[:, leader : leader + 1]).mean(axis=0)
    below[leader] = 0.0
    return below


def labels(
    results: np.ndarray, impressions: np.ndarray, seed: int = 0
) -> tuple[list[Label], np.ndarray]:
    """Each variant's label, and its probability of being the best among
    those past MIN_IMPRESSIONS (NaN for the others)."""
    k = len(results)
    ready = np.flatnonzero(impressions >= MIN_IMPRESSIONS)
    out: list[Label] = ["learning"] * k
    p = np.full(k, np.nan)
    if len(ready) == 0:
        return out, p
    if len(ready) == 1:
        out[int(ready[0])] = "good"  # nothing yet to compare it with
        p[ready] = 1.0
        return out, p
    best = prob_best(results[ready], impressions[ready], seed)
    below = prob_below_leader(results[ready], impressions[ready], seed + 1)
    for j, i in enumerate(ready):
        p[i] = best[j]
        out[int(i)] = "best" if best[j] > BEST else "low" if below[j] > BEST else "good"
    return out, p
