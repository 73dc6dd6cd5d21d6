"""The knobs of ad delivery, for learning and serving alike; the defaults are production's.

Benchmarks and simulations replace some (a baseline audience, a reserve, a
simulated clock's refit schedule); the API and the settings never do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from unifeed.ads.auction import AdLoad
from unifeed.ads.audience import Audience, ModelAudience
from unifeed.ads.unreported import REPORT_LAG


@dataclass
class DeliveryConfig:
    ad_load: AdLoad = field(default_factory=AdLoad)
    engagement_value_minor: float = 2.0  # what one organic engagement is worth
    reserve_minor: float = 0.0
    pacing_interval: timedelta = timedelta(minutes=10)
    audience: Audience = field(default_factory=ModelAudience)  # others: benchmark baselines
    # The share of auctions a throttled campaign enters at first (see
    # unifeed.ads.bidder); its budget dual moves it from there.
    start_rate: float = 0.1
    # How late an app may report an impression; pacing counts the spend
    # of ads served since then from the auction's record (unifeed.ads.unreported).
    report_lag: timedelta = REPORT_LAG
    # Served slots hold their price against the budget until reported
    # (unifeed.ads.unreported.held); False only for a benchmark's baseline.
    hold_unreported: bool = True
    # How often the click calibration, and the click levels and wear-out on
    # it, are refitted (beside the requests, on the service's clock). None:
    # the levels with the calibration. A simulation, whose clock runs hours
    # in minutes, refits its calibration every simulated hour and its levels
    # at every refresh.
    calibrate_every: timedelta = timedelta(seconds=60)
    fit_every: timedelta | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.audience, Audience):
            raise ValueError(f"audience must be an Audience policy, got {self.audience!r}")
        if not 0.0 < self.start_rate <= 1.0:
            raise ValueError(f"start_rate must be in (0, 1], got {self.start_rate}")
