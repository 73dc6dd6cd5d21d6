"""A budget's plan: the spend its period should have reached by each moment.

The plan follows the app's traffic (`unifeed.ads.traffic`): an hour is asked
its share of a day's feed requests, so a campaign does not bid up at night
for the few slots there are. The bidder (`unifeed.ads.bidder`) paces every
strategy against it with its budget dual; the campaign report draws it.
docs/ads.md ("Pacing", "The bidder") explains both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from unifeed.ads.traffic import TrafficCurve


@dataclass
class BudgetPlan:
    """A budget over one period (the flight, or a daily budget's day) along the traffic curve."""

    budget_minor: int
    start: datetime
    end: datetime
    curve: TrafficCurve = field(default_factory=TrafficCurve)  # the target's shape

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a flight ends after it starts")

    def target(self, t: datetime) -> float:
        """Spend the period should have reached by t: the share of its traffic before t."""
        return self.budget_minor * self.curve.share(self.start, t, self.end)
