"""The day loop: simulated users use the real feed API, one arm per ranker.

Each arm gets its own data folder (store, checkpoints) and its own server,
started in a background thread, and is driven only through HTTP, exactly as
an app would drive it. All arms share one seeded world and one seeded
behaviour (`unifeed.sim.response`), so they differ only in what their rankers
chose to show. Each simulated day:

1. the day's new posts are uploaded (fresh items no model has trained on);
2. each of the day's active users fetches a feed, looks at it and reacts:
   an ``impression`` event for every item shown, plus ``click``, ``like``,
   ``long_view`` or ``hide`` events drawn from the hidden response model;
   then finds a few recent items outside the feed (the same in every arm)
   and reacts to those too; events go to the API in batches while the day
   runs;
3. the model arm retrains on everything in its store and reloads the new
   checkpoint, so the next day is ranked by it (the other arms need no
   training).
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import httpx
import numpy as np

from unifeed.sim.clock import SimClock
from unifeed.sim.response import ResponseModel, organic_items
from unifeed.sim.world import START, SimConfig, World, build_world, session_seconds

if TYPE_CHECKING:
    from unifeed.serving.training import StoreTrainConfig
    from unifeed.settings import Settings

logger = logging.getLogger(__name__)

Arm = Literal["model", "popularity", "random"]
ARMS: tuple[Arm, ...] = ("model", "popularity", "random")

# The service's operator key for the simulation's private servers; it never
# leaves 127.0.0.1.
OPERATOR_KEY = "unifeed-sim-operator-key"

# Largest batches the API takes, and how many events to collect before sending.
USERS_PER_BATCH = 1000
ITEMS_PER_BATCH = 1000
EVENTS_PER_BATCH = 2000

# Users open the app from 08:00 on, SESSION_GAP apart, so event times are ordered.
FIRST_SESSION = dt.timedelta(hours=8)
SESSION_GAP = dt.timedelta(seconds=10)
# Seconds after the impression at which each response happens.
RESPONSE_DELAY = {"click": 2, "long_view": 3, "like": 4, "hide": 2}
# How often, in simulated seconds, an arm's server refreshes what it refreshes
# on a timer (popularity's counts; items and checkpoints come in at once, on
# the sim's requests): every ten simulated minutes, as in a flight
# (`unifeed.sim.flight_config`). Production's 2 s would recount every event
# at each session, 10 s apart, which costs the default demo minutes.
POLL_SECONDS = 600.0


@dataclass
class DayStats:
    """What one arm served and what its users did on one simulated day."""

    day: int
    feeds: int = 0
    fallback_feeds: int = 0  # feeds the service answered with its fallback ranking
    impressions: int = 0
    fresh_impressions: int = 0  # impressions of items posted that same day
    clicks: int = 0
    likes: int = 0
    long_views: int = 0
    hides: int = 0
    organic: int = 0  # items users found outside the feed (not counted in engagement)
    train_seconds: float | None = None
    seconds: float = 0.0

    @property
    def engaged(self) -> int:
        """Engagement actions: clicks + likes + long views."""
        return self.clicks + self.likes + self.long_views

    @property
    def engagement(self) -> float:
        """Engagement actions per impression."""
        return self.engaged / self.impressions if self.impressions else 0.0

    @property
    def click_rate(self) -> float:
        return self.clicks / self.impressions if self.impressions else 0.0

    @property
    def hide_rate(self) -> float:
        return self.hides / self.impressions if self.impressions else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(engagement=self.engagement, click_rate=self.click_rate, hide_rate=self.hide_rate)
        return d


@dataclass
class ArmResult:
    name: str
    days: list[DayStats] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def overall_engagement(self) -> float:
        shown = sum(d.impressions for d in self.days)
        return sum(d.engaged for d in self.days) / shown if shown else 0.0


@dataclass
class SimResult:
    config: SimConfig
    world: dict[str, Any]  # World.summary()
    response: dict[str, Any]  # the hidden response model's weights
    encoder: str
    arms: dict[str, ArmResult]
    seconds: float = 0.0


class SimObserver(Protocol):
    """Progress callbacks; the command line draws them as bars."""

    def arm_start(self, arm: str, days: int) -> None: ...
    def day_start(self, arm: str, day: int, n_users: int) -> None: ...
    def feeds_done(self, n: int) -> None: ...
    def training(self, arm: str, day: int) -> None: ...
    def day_end(self, arm: str, stats: DayStats) -> None: ...


class _Quiet:
    def arm_start(self, arm: str, days: int) -> None:
        pass

    def day_start(self, arm: str, day: int, n_users: int) -> None:
        pass

    def feeds_done(self, n: int) -> None:
        pass

    def training(self, arm: str, day: int) -> None:
        pass

    def day_end(self, arm: str, stats: DayStats) -> None:
        pass


def run_simulation(
    config: SimConfig,
    out_dir: Path,
    *,
    arms: Sequence[Arm] = ARMS,
    encoder: Literal["minilm", "hashing"] = "minilm",
    response: ResponseModel | None = None,
    observer: SimObserver | None = None,
    after_arm: Callable[[str, Path], None] | None = None,
) -> SimResult:
    """Run every arm over the same world; stores go to ``out_dir/arms/<arm>``.

    An arm's folder is emptied first, so a rerun starts from a clean store.
    `after_arm(arm, data_dir)` is told when an arm is done and its server
    stopped (the demo starts its market on the model arm's store then).
    """
    unknown = [a for a in arms if a not in ARMS]
    if unknown or not arms:
        raise ValueError(f"arms must be some of {list(ARMS)}, got {list(arms)}")
    response = response or ResponseModel()
    observer = observer or _Quiet()
    start = time.perf_counter()
    world = build_world(config)
    results: dict[str, ArmResult] = {}
    for arm in arms:
        data_dir = out_dir / "arms" / arm
        if data_dir.exists():
            logger.info("removing the previous run's store %s", data_dir)
            shutil.rmtree(data_dir)
        data_dir.mkdir(parents=True)
        results[arm] = run_arm(
            world, arm, data_dir, encoder=encoder, response=response, observer=observer
        )
        if after_arm is not None:
            after_arm(arm, data_dir)
    return SimResult(
        config=config,
        world=world.summary(),
        response=asdict(response),
        encoder=encoder,
        arms=results,
        seconds=time.perf_counter() - start,
    )


def run_arm(
    world: World,
    arm: Arm,
    data_dir: Path,
    *,
    encoder: Literal["minilm", "hashing"] = "minilm",
    response: ResponseModel | None = None,
    observer: SimObserver | None = None,
) -> ArmResult:
    """Run one arm for all of the world's days against a fresh server on `data_dir`."""
    # Imported here: the simulator is a client of the service, and a world or
    # a report must not need the service's dependencies to load.
    from unifeed.api.server import running_server

    response = response or ResponseModel()
    observer = observer or _Quiet()
    cfg = world.config
    settings = arm_settings(world.config, arm, data_dir, encoder)
    result = ArmResult(arm)
    start = time.perf_counter()
    seen: set[tuple[int, int]] = set()
    observer.arm_start(arm, cfg.days)
    # The server runs on the simulation's clock, which each session moves: its
    # timed refreshes (popularity's counts, the catalogue) then come at the same
    # sessions however fast the machine serves them.
    clock = SimClock(START)
    with running_server(settings, clock=clock) as base_url, _client(base_url) as client:
        users = [world.user_payload(u) for u in range(world.n_users)]
        for chunk in _chunks(users, USERS_PER_BATCH):
            _post(client, "/v1/users", {"users": chunk})
        for day in range(cfg.days):
            clock.move_to(START + dt.timedelta(days=day))
            stats = _simulate_day(world, day, client, response, observer, arm, seen, clock.move_to)
            if arm == "model":
                observer.training(arm, day)
                stats.train_seconds = _retrain(settings, client, cfg, day)
            result.days.append(stats)
            observer.day_end(arm, stats)
    result.seconds = time.perf_counter() - start
    logger.info("arm %s: %d days in %.1fs", arm, cfg.days, result.seconds)
    return result


def arm_settings(
    cfg: SimConfig, arm: Arm, data_dir: Path, encoder: Literal["minilm", "hashing"]
) -> Settings:
    """The service's settings for one arm: production's, with the random
    ranker drawing from the run's seed and timed refreshes on `POLL_SECONDS`
    of the simulated clock."""
    from unifeed.settings import Settings

    return Settings(
        data_dir=data_dir,
        operator_key=OPERATOR_KEY,
        ranker=arm,
        encoder=encoder,
        reload_seconds=POLL_SECONDS,
        random_seed=cfg.seed,
    )


def _simulate_day(
    world: World,
    day: int,
    client: httpx.Client,
    response: ResponseModel,
    observer: SimObserver,
    arm: str,
    seen: set[tuple[int, int]],
    tick: Callable[[dt.datetime], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> DayStats:
    """One day of one arm; `seen` holds the (user, item) pairs this arm has shown.

    `tick(t)` is told each session's moment before its feed is fetched (it
    moves a simulated service clock, so the feed log has the day's shape).
    When `stop()` turns true the day ends early, its events sent."""
    start = time.perf_counter()
    cfg = world.config
    stats = DayStats(day)
    fresh = world.items_of_day(day)
    for chunk in _chunks([world.item_payload(int(i)) for i in fresh], ITEMS_PER_BATCH):
        _post(client, "/v1/items", {"items": chunk})
    fresh_set = set(fresh.tolist())
    code = {item_id: i for i, item_id in enumerate(world.item_ids)}

    users = world.active_users(day)
    observer.day_start(arm, day, len(users))
    events: list[dict[str, Any]] = []
    day_start = START + dt.timedelta(days=day) + FIRST_SESSION
    if cfg.diurnal:  # the users, in their order, open the app at moments of a real day
        moments = session_seconds(np.random.default_rng([cfg.seed, 8, day]), len(users))
        starts = [START + dt.timedelta(days=day, seconds=float(s)) for s in moments]
    else:  # one after the other from the morning on
        starts = [day_start + k * SESSION_GAP for k in range(len(users))]
    for k, u in enumerate(users.tolist()):
        user_id = world.user_ids[u]
        if tick is not None:
            tick(starts[k])
        if stop is not None and stop():
            break
        r = client.get("/v1/feed", params={"user_id": user_id, "n": cfg.feed_size})
        _check(r)
        feed = r.json()
        stats.feeds += 1
        stats.fallback_feeds += feed.get("ranker") == "fallback"
        shown = [code[entry["item_id"]] for entry in feed["items"]]
        seen_at = starts[k]
        for i, actions in zip(shown, response.respond(world, u, shown), strict=True):
            seen.add((u, i))
            stats.impressions += 1
            stats.fresh_impressions += i in fresh_set
            stats.clicks += "click" in actions
            stats.likes += "like" in actions
            stats.long_views += "long_view" in actions
            stats.hides += "hide" in actions
            events += _events(world, u, i, actions, seen_at, feed["request_id"])
        # Then what the user finds by themselves; never counted as feed engagement.
        found = [i for i in organic_items(world, u, day).tolist() if (u, i) not in seen]
        later = seen_at + SESSION_GAP / 2
        for i, actions in zip(found, response.respond(world, u, found), strict=True):
            seen.add((u, i))
            stats.organic += 1
            events += _events(world, u, i, actions, later, None)
        if len(events) >= EVENTS_PER_BATCH:
            _post(client, "/v1/events", {"events": events})
            events = []
        observer.feeds_done(1)
    if events:
        _post(client, "/v1/events", {"events": events})
    stats.seconds = time.perf_counter() - start
    return stats


def _events(
    world: World,
    u: int,
    i: int,
    actions: list[str],
    seen_at: dt.datetime,
    request_id: str | None,
) -> list[dict[str, Any]]:
    """The impression of item i and the user's responses to it, as API events."""
    user_id, item_id = world.user_ids[u], world.item_ids[i]
    out = [_event(user_id, item_id, "impression", seen_at, request_id)]
    for action in actions:
        when = seen_at + dt.timedelta(seconds=RESPONSE_DELAY[action])
        out.append(_event(user_id, item_id, action, when, request_id))
    return out


def retrain_config(cfg: SimConfig, day: int) -> StoreTrainConfig:
    """How the model arm trains at the end of `day`."""
    from unifeed.serving.training import StoreTrainConfig

    return StoreTrainConfig(
        epochs=cfg.train_epochs,
        max_seconds=cfg.train_max_seconds,
        dim=cfg.train_dim,
        seed=cfg.seed * 1000 + day,
    )


def _retrain(settings: Any, client: httpx.Client, cfg: SimConfig, day: int) -> float:
    """Train on the arm's whole store, publish, and make the server load it now."""
    from unifeed.serving.training import train_from_store

    start = time.perf_counter()
    train_from_store(settings, retrain_config(cfg, day))
    _post(client, "/v1/admin/reload", {})
    return time.perf_counter() - start


def _event(
    user_id: str, item_id: str, action: str, when: dt.datetime, request_id: str | None
) -> dict[str, Any]:
    # A user sees an item at most once in an arm (feeds exclude seen items, and
    # organic finds skip them), so this id is unique per store and a resent
    # batch is deduplicated by the service.
    return {
        "event_id": f"{user_id}:{item_id}:{action}",
        "user_id": user_id,
        "item_id": item_id,
        "action": action,
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "request_id": request_id,
        "value": None,
    }


def _client(base_url: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {OPERATOR_KEY}"},
        timeout=httpx.Timeout(120.0),
    )


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(path, json=body)
    _check(r)
    return r.json()


def _check(r: httpx.Response) -> None:
    if r.is_error:
        raise RuntimeError(
            f"{r.request.method} {r.request.url.path} failed with {r.status_code}: {r.text[:500]}"
        )


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]
