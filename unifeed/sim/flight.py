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

The same person opening the app at the same moment sees whatever that arm
serves; how they react to a given item (the n-th view of a given ad) is the
same in every arm, so arms differ only in whom the ads reached.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpx
import numpy as np

from unifeed.sim.adtext import AdTextResponse
from unifeed.sim.advertisers import (
    CURRENCY,
    AdResponses,
    Advertiser,
    ConversionModel,
    build_advertisers,
)
from unifeed.sim.clock import SimClock
from unifeed.sim.response import ResponseModel, organic_items
from unifeed.sim.run import (
    OPERATOR_KEY,
    USERS_PER_BATCH,
    _check,
    _chunks,
    _client,
    _event,
    _events,
    _post,
    _Quiet,
    _retrain,
    _simulate_day,
)
from unifeed.sim.world import START, SimConfig, World, build_world, session_seconds

if TYPE_CHECKING:
    from unifeed.ads.audience import Audience
    from unifeed.ads.config import DeliveryConfig
    from unifeed.settings import Settings

log = logging.getLogger(__name__)


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
DayHook = Callable[["_Flight", int], None]  # (the arm's flight, the day just ended)


def _quiet(stage: str, done: int, total: int) -> None:
    pass


def _settings(cfg: FlightConfig, data_dir: Path) -> Settings:
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


def warm_up(cfg: FlightConfig, world: World, data_dir: Path, progress: Progress = _quiet) -> None:
    """Organic days before the flight: users, posts, feeds, events, daily training."""
    from unifeed.api.server import running_server

    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    settings = _settings(cfg, data_dir)
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
    settings = _settings(cfg, data_dir)
    clock = SimClock(cfg.flight_start - dt.timedelta(hours=1))
    delivery = delivery_config(cfg, audience)
    with running_server(settings, clock=clock, delivery=delivery) as url, _client(url) as client:
        flight = _Flight(cfg, world, advertisers, client, clock)
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


class _Flight:
    """The state of one arm's flight: campaigns, queued events, ad views per person."""

    def __init__(
        self,
        cfg: FlightConfig,
        world: World,
        advertisers: list[Advertiser],
        client: httpx.Client,
        clock: SimClock,
    ) -> None:
        self.cfg, self.world, self.client, self.clock = cfg, world, client, clock
        self.data_dir: Path | None = None  # the arm's store, for a hook to read
        self.advertisers = {a.id: a for a in advertisers}
        self.response = ResponseModel()
        text = (
            None
            if cfg.ad_text == "ignored"
            else AdTextResponse(world, text_blind=cfg.ad_text == "blind")
        )
        self.ads = AdResponses(world, self.response, ConversionModel(), text=text)
        self.code = {item_id: i for i, item_id in enumerate(world.item_ids)}
        self.campaigns: dict[str, str] = {}
        self.advertiser_clients: dict[str, httpx.Client] = {}
        self.owner: dict[str, Advertiser] = {}  # creative item id -> advertiser
        # Creative item id -> the advertiser's own name for it ("adv3:1"): the
        # service's ids differ from run to run and arm to arm, and people
        # must react to the same creative alike in every arm.
        self.creative_key: dict[str, str] = {}
        self.creative_text: dict[str, str] = {}  # creative item id -> its text
        self.views: dict[tuple[int, str], int] = {}  # (user, creative) -> views so far
        self.exposures: dict[tuple[int, str], int] = {}  # (user, advertiser) -> views so far
        self.seen: set[tuple[int, int]] = set()  # (user, item) organic items met
        self.queue: list[tuple[dt.datetime, int, dict[str, Any]]] = []  # heap by time
        self._n = 0
        self.feeds = self.ad_impressions = self.conversions = 0

    def sign_up(self, base_url: str) -> None:
        start = self.cfg.flight_start.strftime("%Y-%m-%dT%H:%M:%SZ")
        end = self.cfg.flight_end.strftime("%Y-%m-%dT%H:%M:%SZ")
        for a in self.advertisers.values():
            key = _post(self.client, "/v1/advertisers", {"id": a.id, "name": a.name})["api_key"]
            adv = httpx.Client(
                base_url=base_url,
                headers={"Authorization": f"Bearer {key}"},
                timeout=httpx.Timeout(120.0),
            )
            self.advertiser_clients[a.id] = adv
            body = a.campaign_body(self.world, self.cfg.budget_minor, start, end)
            cid = _post(adv, "/v1/campaigns", body)["id"]
            self.campaigns[a.id] = cid
            self.add_creatives(a, a.texts)

    def add_creatives(self, a: Advertiser, texts: Sequence[str], prefix: str = "") -> list[str]:
        """Post ad texts to `a`'s campaign; each is named `{a.id}:{prefix}{k}` across arms.

        No texts, no creatives: the campaign then serves nothing."""
        if not texts:
            return []
        adv, cid = self.advertiser_clients[a.id], self.campaigns[a.id]
        made = _post(adv, f"/v1/campaigns/{cid}/creatives", {"texts": list(texts)})
        for k, (item_id, text) in enumerate(zip(made["item_ids"], texts, strict=True)):
            self.adopt(a, item_id, f"{a.id}:{prefix}{k}", text)
        return list(made["item_ids"])

    def adopt(self, a: Advertiser, item_id: str, key: str, text: str) -> None:
        """Know the creative item `item_id` of `a`'s campaign (one the service wrote,
        say): people read `text` and react to it alike wherever it is named `key`."""
        self.owner[item_id] = a
        self.creative_key[item_id] = key
        self.creative_text[item_id] = text

    def sessions(self, day: int) -> list[tuple[dt.datetime, int, bool]]:
        """(time, user, first of the user's day) for every session of the day, in time order."""
        rng = np.random.default_rng([self.world.config.seed, 7, day])
        day_start = START + dt.timedelta(days=day)
        out = []
        for u in self.world.active_users(day).tolist():
            n = 1 + int(rng.poisson(self.cfg.sessions_per_day - 1))
            seconds = session_seconds(rng, n)
            out += [
                (day_start + dt.timedelta(seconds=float(s)), u, j == 0)
                for j, s in enumerate(seconds)
            ]
        out.sort(key=lambda x: x[0])
        return out

    def run_day(
        self,
        day: int,
        sessions: list[tuple[dt.datetime, int, bool]],
        progress: Callable[[int, int], None],
    ) -> None:
        day_start = START + dt.timedelta(days=day)
        self.clock.move_to(day_start)
        fresh = self.world.items_of_day(day)
        for chunk in _chunks([self.world.item_payload(int(i)) for i in fresh], 1000):
            _post(self.client, "/v1/items", {"items": chunk})
        step = dt.timedelta(minutes=self.cfg.flush_minutes)
        next_flush = day_start + step
        for k, (when, u, first) in enumerate(sessions):
            while when >= next_flush:
                self.clock.move_to(next_flush)
                self.flush(next_flush)
                next_flush += step
            self.clock.move_to(when)
            self.session(u, day, when, first)
            if k % 50 == 0:
                progress(k, len(sessions))
        self.clock.move_to(day_start + dt.timedelta(days=1))
        self.flush(self.clock.now())
        progress(len(sessions), len(sessions))

    def session(self, u: int, day: int, when: dt.datetime, first: bool) -> None:
        world = self.world
        user_id = world.user_ids[u]
        r = self.client.get("/v1/feed", params={"user_id": user_id, "n": world.config.feed_size})
        _check(r)
        feed = r.json()
        self.feeds += 1
        rid = feed["request_id"]
        for pos, entry in enumerate(feed["items"]):
            seen_at = when + dt.timedelta(seconds=2 * pos)
            item_id = entry["item_id"]
            adv = self.owner.get(item_id)
            if adv is None:
                i = self.code.get(item_id)
                if i is None:
                    # A post the world did not write (the demo's creators with
                    # assistants write real text, not the world's topic words):
                    # people have no taste for it, so they see it and move on.
                    self.push(seen_at, _event(user_id, item_id, "impression", seen_at, rid))
                    continue
                self.seen.add((u, i))
                acts = self.response.respond(world, u, np.array([i]))[0]
                for e in _events(world, u, i, acts, seen_at, rid):
                    self.push(seen_at, e)
                continue
            self.ad_impressions += 1
            nth = self.views.get((u, item_id), 0)
            self.views[(u, item_id)] = nth + 1
            seen_before = self.exposures.get((u, adv.id), 0)
            self.exposures[(u, adv.id)] = seen_before + 1
            acts, conversion = self.ads.respond(
                u, adv, self.creative_key[item_id], nth, seen_before, self.creative_text[item_id]
            )
            self.push(seen_at, _ad_event(user_id, item_id, "impression", seen_at, rid))
            for a in acts:
                t = seen_at + dt.timedelta(seconds=3)
                self.push(t, _ad_event(user_id, item_id, a, t, rid))
            if conversion is not None:
                action, delay, value = conversion
                t = seen_at + dt.timedelta(seconds=delay)
                self.push(t, _ad_event(user_id, item_id, action, t, rid, value or None))
                self.conversions += 1
        if first:
            # What the user finds outside the feed today, as in the demo.
            for i in organic_items(world, u, day).tolist():
                if (u, i) in self.seen:
                    continue
                self.seen.add((u, i))
                acts = self.response.respond(world, u, np.array([i]))[0]
                for e in _events(world, u, i, acts, when, None):
                    e["event_id"] += f":found{day}"
                    self.push(when, e)

    def push(self, t: dt.datetime, event: dict[str, Any]) -> None:
        self._n += 1
        heapq.heappush(self.queue, (t, self._n, event))

    def flush(self, now: dt.datetime) -> None:
        """Send every queued event that has happened by `now`."""
        batch: list[dict[str, Any]] = []
        while self.queue and self.queue[0][0] <= now:
            batch.append(heapq.heappop(self.queue)[2])
        for chunk in _chunks(batch, 5000):
            _post(self.client, "/v1/events", {"events": chunk})


def _ad_event(
    user_id: str,
    item_id: str,
    action: str,
    when: dt.datetime,
    request_id: str,
    value: float | None = None,
) -> dict[str, Any]:
    # The same ad may be shown to the same person again: ids name the request.
    event = _event(user_id, item_id, action, when, request_id)
    event["event_id"] += f":{request_id}"
    if value is not None:
        event["value"], event["currency"] = value, CURRENCY
    return event


def _get(client: httpx.Client, path: str) -> dict[str, Any]:
    r = client.get(path)
    _check(r)
    return r.json()


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
