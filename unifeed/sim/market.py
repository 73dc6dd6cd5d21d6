"""The demo's market after the comparison: brief-only advertisers and creators' assistants.

The three arms compare organic feeds; this phase shows the two other
promises on the market the model arm left (its store: users, history and
trained model), copied, so the comparison's figures are not touched. A
server with the embedded language model runs on the simulation's clock, on
the day after the arms' last one, and through its API:

1. advertisers sign up and post a campaign with an objective, a budget, a
   schedule and a brief, and nothing else: no ad text, no audience. They ask
   the service to write `variants` creatives (`generate_creatives`); the
   service's background writer does, off the request path, while this
   phase goes on. The first advertiser lets reviewed variants serve at once
   (`auto_approve_creatives`); the others approve the drafts themselves,
   as an advertiser does in the dashboard;
2. creators set up their assistants and followers ask them questions
   (`unifeed.sim.followers`);
3. once the writer is done, a day of sessions runs as in the ads flight
   (`unifeed.sim.flight`), with people who read the ads' text
   (`unifeed.sim.adtext`), and each campaign's report is read back: spend,
   results, and per creative its figures and the audience it won with.

A campaign whose brief gave no variant that passed parsing and review has
nothing to serve: the phase says so, and the report shows why.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from unifeed.sim.advertisers import PRODUCTS, Advertiser
from unifeed.sim.briefs import brief_body
from unifeed.sim.clock import SimClock
from unifeed.sim.flight_config import FlightConfig, delivery_config, service_settings
from unifeed.sim.flight_state import FlightState, _get
from unifeed.sim.followers import load_creators, run_followers
from unifeed.sim.market_result import CampaignOutcome, MarketResult
from unifeed.sim.run import _check, _client, _post
from unifeed.sim.world import World

log = logging.getLogger(__name__)

# The objectives the demo's advertisers take in turn: each has a result that
# follows a click, which a creative's text can move.
OBJECTIVES: tuple[str, ...] = ("traffic", "leads", "sales", "app_promotion", "engagement")
POLL_SECONDS = 0.5

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _quiet(stage: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True)
class MarketConfig:
    """Sizes of the phase; the defaults are sized for `unifeed demo`'s five minutes on a
    quiet two-core machine (docs/benchmarks.md, "Demo", has what they cost)."""

    advertisers: int = 3  # brief-only campaigns (0: no ads)
    variants: int = 3  # creatives each asks the service to write
    budget_minor: int = 2_000  # each campaign's lifetime budget, for the one day
    sessions_per_day: float = 2.0
    creators: int = 3  # creators with assistants (0: none)
    questions: int = 4  # asked of each creator's assistant, one per follower
    # How long the phase waits for the writer before it runs the day without
    # what is still unwritten (and says so).
    generation_timeout_s: float = 900.0
    encoder: Literal["minilm", "hashing"] = "minilm"

    def __post_init__(self) -> None:
        for name in ("advertisers", "creators", "questions"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.variants < 1 or self.budget_minor < 1 or self.sessions_per_day < 1:
            raise ValueError("variants, budget_minor and sessions_per_day must be at least 1")
        if self.creators > len(load_creators()):
            raise ValueError(f"the demo ships {len(load_creators())} creators")


def demo_advertisers(world: World, n: int) -> list[Advertiser]:
    """`n` advertisers, each selling the product of a different topic of the world."""
    rng = np.random.default_rng([world.config.seed, 12])
    topics = rng.permutation(len(world.topics))[:n]
    out = []
    for k, t in enumerate(topics.tolist()):
        topic = world.topics[t]
        brand, product, _, value = PRODUCTS[topic]
        objective = OBJECTIVES[k % len(OBJECTIVES)]
        out.append(
            Advertiser(
                id=f"brief{k}",
                name=brand,
                topic=int(t),
                objective=objective,
                bid_strategy={"type": "highest_volume"},
                texts=(),
                order_value_minor=value,
                campaign_name=f"{product}: {objective.replace('_', ' ')}, written by Unifeed",
            )
        )
    return out


def run_market(
    world: World,
    cfg: MarketConfig,
    model_dir: Path,
    data_dir: Path,
    progress: Progress = _quiet,
) -> MarketResult:
    """The phase of the module docstring on a copy of `model_dir` in `data_dir`."""
    from unifeed.ads.audience import ModelAudience
    from unifeed.api.server import running_server

    start = time.perf_counter()
    days = world.config.days
    flight_cfg = FlightConfig(
        sim=dataclasses.replace(world.config, diurnal=True, days=days + 1),
        warmup_days=days,
        sessions_per_day=cfg.sessions_per_day,
        budget_minor=cfg.budget_minor,
        encoder=cfg.encoder,
        ad_text="read",
    )
    if data_dir.exists():
        shutil.rmtree(data_dir)
    shutil.copytree(model_dir, data_dir)
    settings = service_settings(flight_cfg, data_dir)
    clock = SimClock(flight_cfg.flight_start - dt.timedelta(hours=1))
    delivery = delivery_config(flight_cfg, ModelAudience())
    advertisers = demo_advertisers(world, cfg.advertisers)
    result = MarketResult(day=days, budget_minor=cfg.budget_minor)
    lap = time.perf_counter()

    def stage(name: str) -> None:
        nonlocal lap
        now = time.perf_counter()
        result.stages[name] = now - lap
        lap = now

    with running_server(settings, clock=clock, delivery=delivery) as url, _client(url) as client:
        flight = FlightState(flight_cfg, world, advertisers, client, clock)
        stage("start")
        # The assistants are asked first: the server has one model, which answers
        # and writes in turn, so an answer asked while the writer works would wait
        # for it, and its latency would measure the queue.
        if cfg.creators and cfg.questions:
            progress("assistants", 0, cfg.creators * cfg.questions)
            result.exchanges = run_followers(
                client,
                world,
                load_creators()[: cfg.creators],
                cfg.questions,
                clock.now(),
                lambda done, total: progress("assistants", done, total),
            )
        stage("assistants")
        asked = _sign_up(flight, url, advertisers, cfg)
        if advertisers:
            result.campaigns = _settle(flight, advertisers, asked, cfg, progress)
            result.writer_model = _writer_model(result.campaigns)
        stage("writing")
        if any(c.serving for c in result.campaigns):
            sessions = flight.sessions(days)
            flight.run_day(days, sessions, lambda done, total: progress("ads", done, total))
            clock.move_to(flight_cfg.flight_end + dt.timedelta(hours=6))
            flight.flush(clock.now())
            result.day_ran = True
        for c in result.campaigns:
            adv = flight.advertiser_clients[c.advertiser.id]
            c.creatives = _get(adv, f"/v1/campaigns/{c.campaign}/creatives")["creatives"]
            if result.day_ran:
                c.report = _get(adv, f"/v1/campaigns/{c.campaign}/report")
        for adv in flight.advertiser_clients.values():
            adv.close()
        stage("day")
    result.feeds, result.ad_impressions = flight.feeds, flight.ad_impressions
    result.conversions = flight.conversions
    result.seconds = time.perf_counter() - start
    return result


def _sign_up(
    flight: FlightState, base_url: str, advertisers: list[Advertiser], cfg: MarketConfig
) -> dict[str, float]:
    """Each advertiser's account and brief-only campaign; campaign id -> when it was asked."""
    start, end = flight.window
    asked: dict[str, float] = {}
    for k, a in enumerate(advertisers):
        adv = flight.open_account(a, base_url)
        body = {
            "name": a.campaign_name,
            "objective": a.objective,
            "budget": {"amount_minor": cfg.budget_minor, "currency": "EUR", "kind": "lifetime"},
            "schedule": {"start": start, "end": end},
            "brief": brief_body(flight.world.topics[a.topic]),
            "generate_creatives": cfg.variants,
            "auto_approve_creatives": k == 0,
        }
        cid = _post(adv, "/v1/campaigns", body)["id"]
        flight.campaigns[a.id] = cid
        asked[cid] = time.perf_counter()
    return asked


def _settle(
    flight: FlightState,
    advertisers: list[Advertiser],
    asked: dict[str, float],
    cfg: MarketConfig,
    progress: Progress,
) -> list[CampaignOutcome]:
    """Wait for the writer, approve drafts as each advertiser would, and let the
    flight know every creative that serves."""
    deadline = time.monotonic() + cfg.generation_timeout_s
    out = []
    for k, a in enumerate(advertisers):
        progress("writing ads", k, len(advertisers))
        adv, cid = flight.advertiser_clients[a.id], flight.campaigns[a.id]
        while True:
            listed = _get(adv, f"/v1/campaigns/{cid}/creatives")
            if listed["generation"]["status"] != "queued" or time.monotonic() > deadline:
                break
            time.sleep(POLL_SECONDS)
        waited = time.perf_counter() - asked[cid]
        approved = []
        if k > 0:  # the advertiser reads the drafts and approves those review passed
            for c in listed["creatives"]:
                if c["status"] == "draft" and c["current"]["review"]["passed"]:
                    _check(adv.post(f"/v1/campaigns/{cid}/creatives/{c['id']}/approve"))
                    approved.append(c["id"])
            listed = _get(adv, f"/v1/campaigns/{cid}/creatives")
        for c in listed["creatives"]:
            if c["serves"]:
                v = c["current"]
                text = f"{v['headline'] or ''}\n{v['primary_text']}".strip()
                flight.adopt(a, v["item_id"], f"{a.id}:gen{c['id']}v{v['version']}", text)
        out.append(
            CampaignOutcome(
                advertiser=a,
                topic=flight.world.topics[a.topic],
                brief=brief_body(flight.world.topics[a.topic]),
                campaign=cid,
                approval="automatic" if k == 0 else "advertiser",
                generation=listed["generation"],
                generation_wall_s=waited,
                approved_by_advertiser=approved,
                creatives=listed["creatives"],
                report=None,
            )
        )
        if listed["generation"]["status"] == "queued":
            log.warning("campaign %s: generation unfinished after the timeout", cid)
    progress("writing ads", len(advertisers), len(advertisers))
    return out


def _writer_model(campaigns: list[CampaignOutcome]) -> str | None:
    for c in campaigns:
        for x in c.creatives:
            if x.get("model"):
                return str(x["model"])
    return None
