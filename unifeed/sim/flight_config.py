"""What a flight is made of, and the service it runs against.

`FlightConfig` sizes the flight of `unifeed.sim.flight` (and the demo market's
one day, `unifeed.sim.market`); `service_settings` and `delivery_config` turn
it into the settings of the server each arm runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from unifeed.sim.run import OPERATOR_KEY
from unifeed.sim.world import START, SimConfig

if TYPE_CHECKING:
    from unifeed.ads.audience import Audience
    from unifeed.ads.config import DeliveryConfig
    from unifeed.settings import Settings


@dataclass(frozen=True)
class FlightConfig:
    sim: SimConfig = field(default_factory=lambda: SimConfig(days=5, n_users=1200, diurnal=True))
    warmup_days: int = 2
    sessions_per_day: float = 3.0  # mean sessions of a user on a day they are active
    # Every campaign's lifetime budget: with 1200 users, each campaign can buy
    # about a sixteenth of the flight's ad slots. A platform has far more
    # inventory than any one campaign buys; the smaller that share, the more
    # room the audience has to choose (docs/benchmarks.md shows a fuller market).
    budget_minor: int = 8_000
    # Set under what a highest-volume campaign of the objective pays, so the
    # goals bind: a goal far above the market price tests nothing.
    cost_goals_minor: dict[str, int] = field(default_factory=lambda: {"traffic": 100, "leads": 80})
    # The auction's reserve, per impression: it stands for the rest of the
    # market's demand (a platform has far more than eight advertisers), so an
    # ad takes a slot only when it is worth more than that to its advertiser.
    reserve_minor: float = 12.0
    flush_minutes: int = 10  # how often the app sends its queued events
    creatives: int = 3
    encoder: Literal["minilm", "hashing"] = "minilm"
    # How people treat an ad's text: "ignored" (the ads benchmark), "read"
    # (`unifeed.sim.adtext`) or "blind" (the same rules, switched off: the
    # creatives benchmark's control world).
    ad_text: Literal["ignored", "read", "blind"] = "ignored"

    def __post_init__(self) -> None:
        if not 1 <= self.warmup_days < self.sim.days:
            raise ValueError("need 1 <= warmup_days < sim.days (the rest is the flight)")
        if not self.sim.diurnal:
            # Delivery paces to the day's traffic as its feed log shows it; the
            # warm-up's even queue of sessions would teach it a morning rush.
            raise ValueError("a flight's world needs diurnal sessions (SimConfig.diurnal)")
        if self.sessions_per_day < 1:
            raise ValueError("sessions_per_day must be at least 1")
        if self.budget_minor < 1:
            raise ValueError("budget_minor must be positive")

    @property
    def flight_start(self) -> dt.datetime:
        return START + dt.timedelta(days=self.warmup_days)

    @property
    def flight_end(self) -> dt.datetime:
        return START + dt.timedelta(days=self.sim.days)


def service_settings(cfg: FlightConfig, data_dir: Path) -> Settings:
    """The service's settings for a flight: on the simulated clock, timed
    refreshes (popularity) come once per event flush."""
    from unifeed.settings import Settings

    return Settings(
        data_dir=data_dir,
        operator_key=OPERATOR_KEY,
        ranker="model",
        encoder=cfg.encoder,
        reload_seconds=60.0 * cfg.flush_minutes,
    )


def delivery_config(cfg: FlightConfig, audience: Audience) -> DeliveryConfig:
    """Delivery for a flight: production's, with the flight's reserve and `audience`."""
    from unifeed.ads.config import DeliveryConfig

    return DeliveryConfig(
        audience=audience,
        reserve_minor=cfg.reserve_minor,
        # The simulated clock runs hours in minutes: the calibration is
        # refitted every simulated hour, the click levels at every refresh.
        calibrate_every=dt.timedelta(hours=1),
        fit_every=dt.timedelta(0),
    )
