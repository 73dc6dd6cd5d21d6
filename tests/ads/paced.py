"""A campaign without a goal as learning paces it: its budget plan and its bidder's budget dual."""

from __future__ import annotations

from datetime import UTC, datetime

from unifeed.ads.bidder import Bidder, Observation, Strategy
from unifeed.ads.learner import START_PACE
from unifeed.ads.pacing import BudgetPlan
from unifeed.ads.traffic import TrafficCurve

T0 = datetime(2026, 3, 1, tzinfo=UTC)
START_RATE = 0.1  # DeliveryConfig.start_rate


class Pacer:
    """A campaign's budget plan and its bidder's budget dual, stepped as learning steps them."""

    def __init__(
        self,
        budget_minor: int,
        start: datetime,
        end: datetime,
        throttle: bool = False,
        curve: TrafficCurve | None = None,
        start_pace: float | None = None,
    ) -> None:
        self.plan = BudgetPlan(budget_minor, start, end, curve or TrafficCurve())
        self.budget_minor = budget_minor
        if start_pace is None:
            start_pace = START_RATE if throttle else START_PACE
        self.bidder = Bidder(Strategy.highest_volume, pace=start_pace, throttle=throttle)

    def target(self, t: datetime) -> float:
        return self.plan.target(t)

    def update(self, t: datetime, spent_minor: float) -> float:
        """Step the dual on the spend so far; the pace on the bid."""
        self.bidder.step(
            Observation(
                hours=hours_of(t),
                spent=spent_minor,
                expected=0.0,
                realised=0.0,
                due=self.plan.target(t),
                budget=float(self.budget_minor),
                end_hours=hours_of(self.plan.end),
            )
        )
        return self.multiplier

    @property
    def multiplier(self) -> float:
        return self.bidder.bid_pace

    @property
    def rate(self) -> float:
        return self.bidder.rate


def hours_of(t: datetime) -> float:
    return (t - T0).total_seconds() / 3600
