"""A flight of ad campaigns in the simulated marketplace, over the real API.

The market warms up first: a few days of organic feeds (no ads) so the model
has histories to learn from, served and trained exactly as in the demo. Each
arm then starts from a copy of that store, with its own server running on
the simulation's clock and its own audience policy (the model's, or a
benchmark's baseline: `unifeed.ads.audience`), and runs the same flight:

1. advertisers sign up and post their campaigns (objective, budget, schedule,
   brief, an audience suggestion) and ad texts, each with its own key;
2. every simulated day the day's posts are uploaded; active users open the
   app a few times at random moments of the day, fetch a feed, and react to
   every item shown, ads included; clicks on ads lead some users on to the
   advertiser's goal (a lead, an install, a purchase) minutes to hours later;
   events reach the API every few simulated minutes, so spend and results
   come in as they would in production;
3. at the end of each day the model retrains on the arm's whole store.

What one arm's flight does in a day, and holds (campaigns, queued events,
views per person), is `unifeed.sim.flight_state.FlightState`; its sizes and
the server's settings, `unifeed.sim.flight_config`.

The same person opening the app at the same moment sees whatever that arm
serves; how they react to a given item (the n-th view of a given ad) is the
same in every arm, so arms differ only in whom the ads reached.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unifeed.sim.advertisers import Advertiser, build_advertisers
from unifeed.sim.clock import SimClock
from unifeed.sim.flight_config import FlightConfig, delivery_config, service_settings
from unifeed.sim.flight_state import FlightState, _get
from unifeed.sim.response import ResponseModel
from unifeed.sim.run import (
    USERS_PER_BATCH,
    _chunks,
    _client,
    _post,
    _Quiet,
    _retrain,
    _simulate_day,
)
from unifeed.sim.world import START, World, build_world

if TYPE_CHECKING:
    from unifeed.ads.audience import Audience

log = logging.getLogger(__name__)


@dataclass
class ArmOutcome:
    arm: str
    data_dir: Path
    campaigns: dict[str, str]  # advertiser id -> campaign public id
    reports: dict[str, dict[str, Any]]  # advertiser id -> the API's campaign report
    feeds: int = 0
    ad_impressions: int = 0
    conversions: int = 0
    seconds: float = 0.0


Progress = Callable[[str, int, int], None]  # (stage, done, total)
DayHook = Callable[[FlightState, int], None]  # (the arm's flight, the day just ended)


def _quiet(stage: str, done: int, total: int) -> None:
    pass


def warm_up(cfg: FlightConfig, world: World, data_dir: Path, progress: Progress = _quiet) -> None:
    """Organic days before the flight: users, posts, feeds, events, daily training."""
    from unifeed.api.server import running_server

    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    settings = service_settings(cfg, data_dir)
    response = ResponseModel()
    seen: set[tuple[int, int]] = set()
    clock = SimClock(START)
    with running_server(settings, clock=clock) as url, _client(url) as client:
        users = [world.user_payload(u) for u in range(world.n_users)]
        for chunk in _chunks(users, USERS_PER_BATCH):
            _post(client, "/v1/users", {"users": chunk})
        for day in range(cfg.warmup_days):
            progress("warm-up", day, cfg.warmup_days)
            clock.move_to(START + dt.timedelta(days=day))
            _simulate_day(world, day, client, response, _Quiet(), "model", seen, clock.move_to)
            _retrain(settings, client, world.config, day)
        progress("warm-up", cfg.warmup_days, cfg.warmup_days)


def run_arm(
    cfg: FlightConfig,
    world: World,
    advertisers: list[Advertiser],
    arm: str,
    audience: Audience,
    warm_dir: Path,
    data_dir: Path,
    progress: Progress = _quiet,
    after_day: DayHook | None = None,
) -> ArmOutcome:
    """The flight for one arm (named `arm`, delivering to `audience`), on a
    copy of the warmed-up store. `after_day(flight, day)` runs after each
    day's retrain (an arm that adds creatives mid-flight, say)."""
    from unifeed.api.server import running_server

    start = time.perf_counter()
    if data_dir.exists():
        shutil.rmtree(data_dir)
    shutil.copytree(warm_dir, data_dir)
    settings = service_settings(cfg, data_dir)
    clock = SimClock(cfg.flight_start - dt.timedelta(hours=1))
    delivery = delivery_config(cfg, audience)
    with running_server(settings, clock=clock, delivery=delivery) as url, _client(url) as client:
        flight = FlightState(cfg, world, advertisers, client, clock)
        flight.data_dir = data_dir
        flight.sign_up(url)
        days = range(cfg.warmup_days, world.config.days)
        schedule = [flight.sessions(day) for day in days]
        total = sum(map(len, schedule))
        for k, day in enumerate(days):
            before = sum(map(len, schedule[:k]))
            flight.run_day(
                day, schedule[k], lambda done, _, b=before: progress(arm, b + done, total)
            )
            _retrain(settings, client, world.config, day)
            if after_day is not None:
                after_day(flight, day)
        clock.move_to(cfg.flight_end + dt.timedelta(hours=6))
        flight.flush(clock.now())
        reports = {
            a.id: _get(
                flight.advertiser_clients[a.id], f"/v1/campaigns/{flight.campaigns[a.id]}/report"
            )
            for a in advertisers
        }
        for c in flight.advertiser_clients.values():
            c.close()
    return ArmOutcome(
        arm,
        data_dir,
        dict(flight.campaigns),
        reports,
        flight.feeds,
        flight.ad_impressions,
        flight.conversions,
        time.perf_counter() - start,
    )


def run_flight(
    cfg: FlightConfig,
    out_dir: Path,
    arms: Mapping[str, Audience],
    progress: Progress = _quiet,
) -> tuple[World, list[Advertiser], dict[str, ArmOutcome]]:
    """Warm the market up once, then run every arm's flight from a copy of
    it; `arms`: each arm's name and audience policy."""
    if not arms:
        raise ValueError("a flight needs at least one arm")
    world = build_world(cfg.sim)
    advertisers = build_advertisers(world, cfg.cost_goals_minor, cfg.creatives)
    warm_dir = out_dir / "warm"
    warm_up(cfg, world, warm_dir, progress)
    outcomes = {
        arm: run_arm(
            cfg, world, advertisers, arm, audience, warm_dir, out_dir / "arms" / arm, progress
        )
        for arm, audience in arms.items()
    }
    return world, advertisers, outcomes
