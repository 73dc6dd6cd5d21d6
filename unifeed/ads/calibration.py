"""From ranking scores to probabilities: Platt scaling, fitted on what was shown.

The model's scores rank items; an auction needs p(result | impression). A
logistic map p = sigmoid(a·score + b), fitted on logged impressions and
whether the result followed, turns one into the other. The reliability table
(predicted against observed, by bucket) is what the ads benchmark reports.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np

# The model's p(click) is calibrated on organic items; each campaign's own
# clicks against what it predicted for them rescale it (an ad is not a post,
# and the auction picks the ads the model is most optimistic about). This
# many expected clicks' worth of evidence that the scale is right comes first.
PRIOR_LEVEL_CLICKS = 10.0
# Ads wear out: a viewer who has seen a campaign's ads clicks less often. How
# much less is learned from billed impressions of every campaign, by how many
# times the viewer had seen the campaign before (0, 1, 2, 3 or more) and
# whether they had clicked it then, again shrunk towards "no change" by this
# many expected clicks. The click splits the curve because a repeat view
# says most about the viewer, not the ad (`wearout_bucket`).
FREQUENCY_BUCKETS = 4
WEAROUT_BUCKETS = 2 * FREQUENCY_BUCKETS  # (views, clicked before): `wearout_bucket`
PRIOR_WEAROUT_CLICKS = 10.0
ROUNDS = 30  # of fit_click_levels' alternating fit; each is a few bincounts
NEWTON_ROUNDS = 50  # of fit_intercepts_and_slope: it converges in ~10
# The slope of p(click | score) for ads leans on the organic slope until ad
# impressions have brought this many clicks (`fit_ad_curve`).
PRIOR_SLOPE_CLICKS = 50.0


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


@dataclass
class Calibrator:
    a: float = 0.0
    b: float = -3.0  # before any data: a flat 5% prior
    n: int = 0  # impressions it was fitted on

    def predict(self, scores: np.ndarray | float) -> np.ndarray:
        return sigmoid(self.a * np.asarray(scores, dtype=np.float64) + self.b)

    @classmethod
    def fit(cls, scores: np.ndarray, labels: np.ndarray, l2: float = 1e-3) -> Calibrator:
        """Newton's method on the L2-regularised log loss (two parameters)."""
        x = np.asarray(scores, dtype=np.float64)
        y = np.asarray(labels, dtype=np.float64)
        if len(x) == 0:
            return cls()
        rate = float(np.clip(y.mean(), 1e-4, 1 - 1e-4))
        w = np.array([0.0, np.log(rate / (1 - rate))])  # (a, b)
        X = np.stack([x, np.ones_like(x)], axis=1)  # (N, 2)
        for _ in range(50):
            p = sigmoid(X @ w)
            grad = X.T @ (p - y) / len(x) + l2 * np.array([w[0], 0.0])
            hess = (X * (p * (1 - p))[:, None]).T @ X / len(x) + l2 * np.eye(2)
            step = np.linalg.solve(hess + 1e-9 * np.eye(2), grad)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        return cls(float(w[0]), float(w[1]), len(x))


def fit_intercepts_and_slope(
    x: np.ndarray,  # (N,) score
    y: np.ndarray,  # (N,) 1.0 where the outcome happened
    group: np.ndarray,  # (N,) int64 in 0 .. G-1
    prior: np.ndarray,  # (G,) each intercept's prior, where it starts
    intercept_weight: float | np.ndarray,  # scalar or (G,): the pull towards it
    slope: float,  # where the slope starts
    slope_weight: float,  # the pull of the slope towards 0
    rounds: int = NEWTON_ROUNDS,
    tol: float = 1e-8,  # stop once no parameter moves more than this
) -> tuple[np.ndarray, float]:
    """sigmoid(intercept[group] + slope · x) by Newton's method on the
    penalised log loss, halving a step until the loss does not rise;
    returns (intercepts (G,), slope).

    The Hessian is an arrow: diagonal in the intercepts, plus the slope's
    row and column, so a step costs a few bincounts, not a (G+1)-square
    solve. Alternating one-dimensional steps, as this once did, can
    diverge when the slope starts far from the answer (a within-campaign
    slope of -2 from a prior of 1 ran off to -4e11), and a full Newton step
    can too; the halving is what makes it converge.
    """
    a, b = prior.copy(), float(slope)
    k_a, k_b = intercept_weight, slope_weight
    G = len(a)

    def loss(a: np.ndarray, b: float) -> float:
        z = a[group] + b * x
        fit = float(np.sum(np.logaddexp(0.0, z) - y * z))
        return fit + 0.5 * float(np.sum(k_a * (a - prior) ** 2)) + 0.5 * k_b * b * b

    current = loss(a, b)
    for _ in range(rounds):
        p = sigmoid(a[group] + b * x)
        w = p * (1 - p)
        grad_a = np.bincount(group, p - y, minlength=G) + k_a * (a - prior)  # (G,)
        grad_b = float((p - y) @ x) + k_b * b
        h_aa = np.bincount(group, w, minlength=G) + k_a  # (G,) the diagonal
        h_ab = np.bincount(group, w * x, minlength=G)  # (G,) the slope's column
        h_bb = float(w @ (x * x)) + k_b
        # Eliminate the intercepts (Schur complement), solve for the slope.
        schur = max(h_bb - float(h_ab @ (h_ab / h_aa)), 1e-12)
        d_b = (grad_b - float(h_ab @ (grad_a / h_aa))) / schur
        d_a = (grad_a - h_ab * d_b) / h_aa
        t = 1.0
        while (trial := loss(a - t * d_a, b - t * d_b)) > current and t > 1e-10:
            t /= 2
        a, b, current = a - t * d_a, b - t * d_b, trial
        if max(abs(t * d_b), float(np.abs(t * d_a).max())) < tol:
            break
    return a, b


def fit_ad_curve(
    score: np.ndarray,  # (N,) the model's score of each ad impression
    clicked: np.ndarray,  # (N,) 1.0 where it was clicked
    group: np.ndarray,  # (N,) int64 its campaign
    prior: Calibrator,
    strength: float = PRIOR_SLOPE_CLICKS,
) -> Calibrator:
    """p(click | score) for ads, fitted on ad impressions.

    The organic calibration is fitted on what the feed showed: its best
    items, whose scores are bunched at the top, where the score tells
    little more. Ads reach viewers far down a model's ranking, where it
    tells more; the organic slope there is too flat for targeting. This
    fits sigmoid(a·score + b[campaign]) (one slope, each campaign its own
    intercept, so campaigns' own click rates do not pass for slope), shrinks
    the slope towards the prior's by `strength` clicks, and returns it with
    the one intercept that fits all the impressions at that slope.
    """
    x = np.asarray(score, dtype=np.float64)
    y = np.asarray(clicked, dtype=np.float64)
    n_clicks = float(y.sum())
    if n_clicks == 0 or n_clicks == len(y):
        return prior
    ids, g = np.unique(group, return_inverse=True)
    base = np.log(y.mean() / (1 - y.mean()))
    # Each intercept leans on the pooled rate by one impression's worth, so a
    # campaign without clicks stays finite; the slope starts at the prior's.
    a0 = np.full(len(ids), base)
    _, a = fit_intercepts_and_slope(x, y, g, a0, 1.0, prior.a, 0.0)
    share = n_clicks / (n_clicks + strength)
    slope = share * a + (1 - share) * prior.a
    # The one intercept at that slope.
    c = base - slope * float(x.mean())
    for _ in range(50):
        p = sigmoid(slope * x + c)
        step = float((y - p).sum()) / (float((p * (1 - p)).sum()) + 1e-9)
        c += step
        if abs(step) < 1e-8:
            break
    return Calibrator(float(slope), float(c), len(x))


def reliability(p: np.ndarray, labels: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Predicted against observed rate in buckets of equal count."""
    order = np.argsort(p, kind="stable")
    out = []
    for chunk in np.array_split(order, min(bins, max(len(order), 1))):
        if len(chunk) == 0:
            continue
        out.append(
            {
                "n": len(chunk),
                "predicted": float(np.mean(p[chunk])),
                "observed": float(np.mean(labels[chunk])),
            }
        )
    return out


def earlier_views(viewers: Iterable[Hashable]) -> np.ndarray:
    """(N,) for impressions in time order, each named by (campaign, viewer):
    how often that viewer had seen that campaign before, bucketed (the last
    bucket is FREQUENCY_BUCKETS - 1 or more)."""
    seen: dict[Hashable, int] = {}
    out = []
    for key in viewers:
        f = seen.get(key, 0)
        seen[key] = f + 1
        out.append(min(f, FREQUENCY_BUCKETS - 1))
    return np.array(out, dtype=np.int64)


def wearout_bucket(exposures: np.ndarray | int, clicked_before: np.ndarray | bool) -> np.ndarray:
    """Index into the wear-out curve: the viewer's earlier views of the
    campaign (the last bucket: FREQUENCY_BUCKETS - 1 or more), then again
    for viewers who had clicked it."""
    views = np.minimum(np.asarray(exposures, dtype=np.int64), FREQUENCY_BUCKETS - 1)
    return views + FREQUENCY_BUCKETS * np.asarray(clicked_before, dtype=np.int64)


def fit_click_levels(
    campaign: np.ndarray,  # (N,) campaign of each billed impression
    predicted: np.ndarray,  # (N,) calibrated p(click) of the model for it
    frequency: np.ndarray,  # (N,) its `wearout_bucket`
    clicked: np.ndarray,  # (N,) 1.0 where it was clicked
    prior_level: dict[int, float] | None = None,
    prior_wearout: np.ndarray | None = None,  # (WEAROUT_BUCKETS,)
) -> tuple[dict[int, float], np.ndarray]:
    """Each campaign's click level and the wear-out curve, fitted together.

    Expected clicks of an impression = predicted × level[campaign] ×
    wearout[frequency], with wearout[0] = 1. Who sees a campaign for the
    third time depends on the campaign, so each factor is refitted against
    the other (alternating rounds of a rate ratio). Each is shrunk towards
    its prior (what the last model's impressions said; else 1) while the
    impressions behind it are few.
    """
    ids, idx = np.unique(campaign, return_inverse=True)
    p0 = np.array([(prior_level or {}).get(int(c), 1.0) for c in ids])
    w0 = np.ones(WEAROUT_BUCKETS) if prior_wearout is None else np.asarray(prior_wearout)
    wearout, per = w0.copy(), p0.copy()
    hits = np.bincount(idx, clicked, minlength=len(ids))
    hits_f = np.bincount(frequency, clicked, minlength=len(w0))
    for _ in range(ROUNDS):
        expected = np.bincount(idx, predicted * wearout[frequency], minlength=len(ids))
        per = (hits + PRIOR_LEVEL_CLICKS * p0) / (expected + PRIOR_LEVEL_CLICKS)
        expected_f = np.bincount(frequency, predicted * per[idx], minlength=len(w0))
        wearout = (hits_f + PRIOR_WEAROUT_CLICKS * w0) / (expected_f + PRIOR_WEAROUT_CLICKS)
        wearout = wearout / wearout[0]
    return {int(c): float(v) for c, v in zip(ids, per, strict=True)}, wearout


def shrunk_ratios(
    key: np.ndarray,  # (N,) int64 the group of each impression
    expected: np.ndarray,  # (N,) expected clicks of each impression
    clicked: np.ndarray,  # (N,) 1.0 where it was clicked
    prior: dict[int, float] | None = None,
    strength: float = PRIOR_LEVEL_CLICKS,
) -> dict[int, float]:
    """Per group: its clicks over the clicks expected of it, shrunk towards
    its prior (else 1) by `strength` expected clicks."""
    ids, idx = np.unique(key, return_inverse=True)
    hits = np.bincount(idx, clicked, minlength=len(ids))
    exp = np.bincount(idx, expected, minlength=len(ids))
    p0 = np.array([(prior or {}).get(int(k), 1.0) for k in ids])
    ratio = (hits + strength * p0) / (exp + strength)
    return {int(k): float(v) for k, v in zip(ids, ratio, strict=True)}
