"""Lookalikes: which viewers respond to a campaign, learned from who clicked it.

The model scores a new ad from its content, and ranks its viewers only as
well as the text says who it is for. Every billed impression then says more:
the viewer's model vector (the query the auction scored the ad with) and
whether they clicked. Per campaign, a direction w in that space turns it into
a factor on p(click),

    factor(q) = exp(clip(w · (q - centre), ±LOOKALIKE_CLIP) + shift),

fitted as a Poisson regression of clicks on the vectors, offset by what was
already expected of each impression, under a Gaussian prior on w: before any
click, log factor varies across viewers with a standard deviation of
LOOKALIKE_SPREAD at most, so a handful of clicks moves it little and a few
hundred move it as far as they agree. The shift leaves the campaign's
expected clicks where its click level put them: the factor says who, not
how many.

A model's vectors live in its own space: a new model starts without any.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOOKALIKE_SPREAD = 0.5  # prior sd of log factor across a campaign's viewers
LOOKALIKE_CLIP = 2.0  # |log factor| at most: e^2 ~ 7x either way
NEWTON_ROUNDS = 20
MIN_CLICKS = 3  # a campaign's fit needs this many clicked impressions


@dataclass(frozen=True)
class Lookalike:
    direction: np.ndarray  # (D,)
    centre: np.ndarray  # (D,)
    shift: float = 0.0  # keeps the campaign's expected clicks where they were

    def log_factor(self, query: np.ndarray) -> np.ndarray:
        """(N,) for (N, D) vectors, or () for one."""
        x = (np.asarray(query, dtype=np.float64) - self.centre) @ self.direction
        return np.clip(x, -LOOKALIKE_CLIP, LOOKALIKE_CLIP) + self.shift

    def factor(self, query: np.ndarray) -> float:
        """How much likelier than expected this viewer is to click."""
        if np.shape(query) != self.centre.shape:
            return 1.0  # a vector of another model
        return float(np.exp(self.log_factor(query)))


def fit_one(
    query: np.ndarray,  # (N, D) the viewers' vectors
    expected: np.ndarray,  # (N,) clicks expected of each impression without the factor
    clicked: np.ndarray,  # (N,) 1.0 where it was clicked
) -> Lookalike:
    """One campaign's lookalike: MAP of the Poisson model (module docstring)."""
    q = np.asarray(query, dtype=np.float64)
    e = np.maximum(np.asarray(expected, dtype=np.float64), 1e-9)
    y = np.asarray(clicked, dtype=np.float64)
    centre = e @ q / e.sum()  # (D,)
    n, d = q.shape
    # A free intercept beside w: the clicks' level is the click level's to
    # say, and without one w would bend to fit it.
    x = np.hstack([q - centre, np.ones((n, 1))])  # (N, D+1)
    # Var(w·x) = τ² tr(Cov x) for w ~ N(0, τ² I): the prior precision 1/τ²
    # that makes the spread of log factor LOOKALIKE_SPREAD, whatever the scale.
    spread2 = float(((q - q.mean(0)) ** 2).sum(1).mean())
    prior = np.full(d + 1, max(spread2, 1e-12) / LOOKALIKE_SPREAD**2)
    prior[-1] = 1e-6
    w = np.zeros(d + 1)
    for _ in range(NEWTON_ROUNDS):
        mu = e * np.exp(np.clip(x @ w, -LOOKALIKE_CLIP, LOOKALIKE_CLIP))  # (N,)
        grad = x.T @ (y - mu) - prior * w  # (D+1,)
        hess = (x * mu[:, None]).T @ x + np.diag(prior)  # (D+1, D+1)
        step = np.linalg.solve(hess, grad)
        w += step
        if np.abs(step).max() < 1e-8:
            break
    look = Lookalike(w[:d], centre)
    # The viewers it was fitted on keep their expected clicks in total.
    total = float(e @ np.exp(look.log_factor(q)))
    return Lookalike(w[:d], centre, float(np.log(e.sum() / total)))


def fit_lookalikes(
    campaign: np.ndarray,  # (N,) int64
    query: np.ndarray,  # (N, D); rows of NaN where the slot logged no vector
    expected: np.ndarray,  # (N,)
    clicked: np.ndarray,  # (N,)
) -> dict[int, Lookalike]:
    """Each campaign's lookalike, where it has MIN_CLICKS clicked impressions with vectors."""
    if query.ndim != 2 or query.shape[1] == 0:
        return {}
    known = ~np.isnan(query).any(axis=1)
    out: dict[int, Lookalike] = {}
    for cid in np.unique(campaign[known]):
        m = known & (campaign == cid)
        if clicked[m].sum() >= MIN_CLICKS:
            out[int(cid)] = fit_one(query[m], expected[m], clicked[m])
    return out
