"""Budget pacing and goal holding: multipliers on the bid, adjusted over time.

The pacing controller compares what a campaign has spent with where the
flight's target curve says it should be, and moves a bid multiplier in
proportion to the gap (a multiplicative PI controller: the log-multiplier
follows the proportional and integrated relative error). Spending behind the
curve raises bids, ahead of it lowers them, so spend tracks the curve and
lands on the budget at the end of the flight.

A cost-per-result or ROAS goal gets its own multiplier, moved by the gap
between the realised cost per result (or return) and the goal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta


def clamp(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


@dataclass
class Pacer:
    budget_minor: int
    start: datetime
    end: datetime
    # How far ahead each update looks: the spend it sets the bid for happens
    # between now and the next update, so it aims at the curve's next point.
    interval: timedelta = timedelta(hours=1)
    kp: float = 5.0
    ki: float = 1.0  # per update
    bounds: tuple[float, float] = (0.02, 50.0)
    multiplier: float = 1.0
    _integral: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a flight ends after it starts")

    def progress(self, t: datetime) -> float:
        span = (self.end - self.start).total_seconds()
        return clamp((t - self.start).total_seconds() / span, 0.0, 1.0)

    def target(self, t: datetime) -> float:
        """Spend the flight should have reached by t: an even curve."""
        return self.budget_minor * self.progress(t)

    def update(self, t: datetime, spent_minor: int) -> float:
        """New multiplier after observing the spend so far."""
        err = (self.target(t + self.interval) - spent_minor) / max(self.budget_minor, 1)
        self._integral = clamp(self._integral + self.ki * err, -5.0, 5.0)
        log_m = clamp(self.kp * err + self._integral, *map(math.log, self.bounds))
        self.multiplier = math.exp(log_m)
        return self.multiplier


@dataclass
class GoalHolder:
    """Keeps the realised cost per result near a goal (ROAS: cost per unit of value)."""

    goal: float  # minor units per result; for ROAS, 1 / roas (spend per unit value)
    gain: float = 0.5
    bounds: tuple[float, float] = (0.05, 5.0)
    multiplier: float = 1.0
    # Results are rare and lumpy early on: the realised cost counts this many
    # imaginary results bought at the goal, so a few unlucky impressions do
    # not drive the bid down before any result could have come.
    prior_results: float = 3.0

    def update(self, spent_minor: float, results: float) -> float:
        k = self.prior_results
        realised = (spent_minor + k * self.goal) / (results + k)
        step = self.gain * (self.goal - realised) / self.goal
        self.multiplier = clamp(self.multiplier * math.exp(step), *self.bounds)
        return self.multiplier
