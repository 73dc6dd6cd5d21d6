"""p(result | click, viewer) for results that happen after the click: leads,
installs, purchases.

The model predicts the click. Whether a click goes on to a lead or a sale
depends on the viewer too: someone who cares for what the ad offers is
both likelier to click and likelier to buy once they have. A campaign's own
results per click (`CampaignState.results_per_click`) say how often its
clicks convert on average; this module learns how that rate moves with the
model's score for the viewer:

    p(result | click) = sigmoid(a[campaign] + slope · score)

with one slope shared by every campaign that buys such results (a campaign
has too few conversions to learn its own) and each campaign's intercept
shrunk towards its average rate while its clicks are few. It is fitted on
the clicks on billed ads under the serving model, each labelled by whether
a result credited to the campaign followed it (before the viewer's next
click); clicks younger than `SETTLE` wait until their result could have
come, whether or not it already has. Only results off the platform (a
lead, an install, a purchase) are modelled so: engagement counts several
actions per click, and keeps its average.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from unifeed.ads.calibration import fit_intercepts_and_slope, sigmoid
from unifeed.ads.records.learning import LearningRecords
from unifeed.ads.records.slots import BilledImpressions
from unifeed.store import Store
from unifeed.store.db import as_utc

# Results that come later than this after the click are rare enough to
# treat a viewer who clicked this long ago without one as not converting.
SETTLE = timedelta(hours=6)
# The intercept leans on the campaign's average rate with this many
# clicks' worth of weight; the slope on 0 with this many.
PRIOR_CLICKS = 20.0
PRIOR_SLOPE_CLICKS = 50.0


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return float(np.log(p / (1 - p)))


@dataclass
class ConversionCurve:
    """sigmoid(intercept[campaign] + slope · score); a campaign without an
    intercept keeps its average rate (slope 0)."""

    slope: float = 0.0
    intercept: dict[int, float] = field(default_factory=dict)

    def rate(self, campaign: int, average: float, scores: np.ndarray) -> np.ndarray:
        """(N,) p(result | click) for viewers with these model scores."""
        a = self.intercept.get(campaign)
        if a is None:
            return np.full(len(scores), average)
        return sigmoid(a + self.slope * np.asarray(scores, dtype=np.float64))


def fit(
    campaign: np.ndarray,  # (N,) one row per (campaign, viewer who clicked)
    score: np.ndarray,  # (N,) mean model score of the viewer's clicked impressions
    converted: np.ndarray,  # (N,) 1.0 where a result followed
    average: dict[int, float],  # campaign -> its average results per click (the prior)
) -> ConversionCurve:
    """Newton's method on the penalised log loss (`fit_intercepts_and_slope`)."""
    if len(campaign) == 0:
        return ConversionCurve()
    ids, idx = np.unique(campaign, return_inverse=True)
    a0 = np.array([logit(average.get(int(c), 0.1)) for c in ids])
    r0 = sigmoid(a0)
    k_a = PRIOR_CLICKS * r0 * (1 - r0)  # curvature of the prior, per campaign
    center = float(np.mean(score))
    x = np.asarray(score, dtype=np.float64) - center  # so a is the rate at an average viewer
    y = np.asarray(converted, dtype=np.float64)
    k_b = PRIOR_SLOPE_CLICKS * 0.25 / max(float(np.var(x)), 1e-6)
    a, b = fit_intercepts_and_slope(x, y, idx, a0, k_a, 0.0, k_b)
    # Back on the raw score: a + b·(s - center) = (a - b·center) + b·s.
    return ConversionCurve(b, {int(c): float(v - b * center) for c, v in zip(ids, a, strict=True)})


def clicks(
    store: Store, billed: BilledImpressions, campaign_ids: list[int], now: datetime
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(campaign, model score, converted) per click on these campaigns' ads
    among `billed` (one model's billed impressions, which delivery has
    already read for its click levels): converted when a result credited to
    the campaign after a click came from that viewer after this click and
    before their next one (the click attribution credits). Clicks younger
    than SETTLE are left out, converted or not."""
    empty = np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    if not campaign_ids:
        return empty
    settled = as_utc(now) - SETTLE
    ours = np.isin(billed.campaign, campaign_ids)
    results = LearningRecords(store).click_results(campaign_ids)
    # (campaign, viewer) -> their clicks as [time, score, converted], in time order
    by_viewer: dict[tuple[int, int], list[list]] = {}
    for k in np.flatnonzero((billed.clicked > 0) & ours):
        key = (int(billed.campaign[k]), int(billed.user[k]))
        by_viewer.setdefault(key, []).append([billed.at[k], float(billed.score[k]), 0.0])
    for rows in by_viewer.values():
        rows.sort(key=lambda x: x[0])
    for cid, uid, at in results:
        rows = by_viewer.get((cid, uid), [])
        k = bisect_right([x[0] for x in rows], as_utc(at)) - 1
        if k >= 0:
            rows[k][2] = 1.0
    # Every click younger than SETTLE waits, converted or not: keeping the
    # ones that converted early would fill the first hours of a flight, and
    # of every new model, with conversions only, and the rate would read as
    # near 1 (the benchmark's conversion campaigns then bid several times
    # too high and overspent their first hours).
    keep = [
        (cid, score, won)
        for (cid, _), rows in by_viewer.items()
        for at, score, won in rows
        if at <= settled
    ]
    if not keep:
        return empty
    cids, scores, labels = zip(*keep, strict=True)
    return np.array(cids, dtype=np.int64), np.array(scores), np.array(labels)
