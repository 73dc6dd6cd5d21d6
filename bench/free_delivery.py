"""Free delivery under late reporting: ads served that the budget could not pay for.

    python bench/free_delivery.py [--delays 1,10,14,30,60,120,1+60@10%] [--show-rates 1,0.5]
                                  [--no-write]

A small synthetic world (`bench/_world.py`: items on topics, users with
histories, hashing encoder) is written to a SQLite store and a model trained
on it once. Every run then starts from a copy of that store, with its own
server on a simulated clock, and one traffic campaign (highest volume, a
lifetime budget, a flight that began 23 hours before the run and ends an hour
into it, so its pacer wants the whole budget at once) whose creatives are the
texts of the most popular items of one topic. Every STEP simulated seconds
of that hour a random user asks for a feed; each ad slot is seen with
probability `show rate` (the page's top item always is), and the impressions
of what was seen reach the API `delay` minutes after the page was served
(the app sends what is due once a simulated minute, and what is left once
the flight is over: a charge is booked when its slot was served). "1+60@10%"
has a tenth of the users (their phones offline) report 60 minutes late and
the others after a minute.

Two arms, from the same store and the same users in the same order: "held",
the auction as shipped (served slots count against the budget until their
impressions arrive, `unifeed.ads.unreported.held`), and "ledger only"
(`DeliveryConfig.hold_unreported=False`), the auction of 1c6da54, which asked
the ledger alone. Free delivery is the price of the slots that were seen and
reported but that the ledger refused to charge (the budget was spent), as a
share of the budget; what the held arm leaves unspent is its cost.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import func, select

# `python bench/free_delivery.py` puts bench/ on sys.path, not the checkout.
if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._world import load_store, make_world
from bench.report import commit, machine, today, write_section
from unifeed.ads.config import DeliveryConfig
from unifeed.ads.unreported import REPORT_LAG
from unifeed.settings import Settings
from unifeed.sim.clock import SimClock
from unifeed.store import Store, schema

KEY = "free-delivery-bench-operator-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
T0 = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)  # the runs' simulated start
STEP = dt.timedelta(seconds=4)  # between feed requests, simulated
FLIGHT = (T0 - dt.timedelta(hours=23), T0 + dt.timedelta(hours=1))  # the campaign's schedule
TRAIN: dict[str, Any] = {"dim": 32, "n_blocks": 1, "epochs": 4, "max_seconds": 60.0}
ARMS = {"held": True, "ledger only": False}


@dataclass(frozen=True)
class Reporting:
    """How late the app reports what a user saw: `minutes`, or for a
    `late_share` of the users `late_minutes`."""

    minutes: float
    late_minutes: float = 0.0
    late_share: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Reporting:
        """ "30" or "1+60@10%"."""
        if "+" not in text:
            return cls(float(text))
        base, rest = text.split("+", 1)
        late, share = rest.rstrip("%").split("@", 1)
        return cls(float(base), float(late), float(share) / 100)

    @property
    def label(self) -> str:
        if not self.late_share:
            return f"{self.minutes:g}"
        return f"{self.minutes:g}, {100 * self.late_share:g}% of users {self.late_minutes:g}"

    def delay(self, user_index: int, n_users: int) -> dt.timedelta:
        late = user_index < self.late_share * n_users
        return dt.timedelta(minutes=self.late_minutes if late else self.minutes)


@dataclass(frozen=True)
class Outcome:
    arm: str
    reporting: Reporting
    show_rate: float
    budget_minor: int
    requests: int
    served: int
    seen: int
    charged: int
    spent_minor: int
    free_minor: int  # seen and reported, refused by the ledger
    seconds: float

    @property
    def free_share(self) -> float:
        return self.free_minor / self.budget_minor


def prepare(root: Path, users: int, items: int, seed: int) -> tuple[Path, list[str], list[str]]:
    """The warm store (trained, model published); the users and the creatives' texts."""
    from unifeed.serving.training import StoreTrainConfig, train_from_store

    warm = root / "warm"
    warm.mkdir(parents=True)
    world = make_world(items, users, seed)
    load_store(f"sqlite:///{warm / 'unifeed.db'}", world)
    train_from_store(_settings(warm), StoreTrainConfig(**TRAIN))
    # The creatives: the most acted-on items' texts, so many users score them high.
    counts: dict[str, int] = {}
    for e in world.events:
        counts[e["item_id"]] = counts.get(e["item_id"], 0) + 1
    text = {i["id"]: i["text"] for i in world.items}
    top = sorted(counts, key=lambda i: (-counts[i], i))[:2]
    return warm, world.users, [text[i] for i in top]


def _settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        operator_key=KEY,
        ranker="model",
        encoder="hashing",
        reload_seconds=0.05,
    )


def run(
    warm: Path,
    root: Path,
    users: list[str],
    texts: list[str],
    arm: str,
    reporting: Reporting,
    show_rate: float,
    budget_minor: int,
    seed: int,
    report_lag: dt.timedelta = REPORT_LAG,
) -> Outcome:
    from unifeed.api.server import running_server

    started = time.perf_counter()
    data = root / f"run-{len(list(root.iterdir()))}"
    shutil.copytree(warm, data)
    clock = SimClock(T0)
    delivery = DeliveryConfig(
        hold_unreported=ARMS[arm],
        report_lag=report_lag,
        # as every simulated clock refits (unifeed.sim.flight)
        calibrate_every=dt.timedelta(hours=1),
        fit_every=dt.timedelta(0),
    )
    # Two streams, so that both arms see the same users in the same order.
    rngs = np.random.default_rng([seed, 0]), np.random.default_rng([seed, 1])
    with running_server(_settings(data), clock=clock, delivery=delivery) as url:
        client = httpx.Client(base_url=url, headers=AUTH, timeout=120.0)
        try:
            _campaign(client, texts, budget_minor)
            time.sleep(0.1)  # past the catalogue's reload interval
            requests, served, seen = _drive(client, clock, users, rngs, reporting, show_rate)
        finally:
            client.close()
    charged, spent, free = _money(data, budget_minor)
    assert charged + free[0] == seen, "every seen slot is charged or refused"
    return Outcome(
        arm,
        reporting,
        show_rate,
        budget_minor,
        requests,
        served,
        seen,
        charged,
        spent,
        free[1],
        time.perf_counter() - started,
    )


def _drive(
    client: httpx.Client,
    clock: SimClock,
    users: list[str],
    rngs: tuple[np.random.Generator, np.random.Generator],  # who asks; which ads are seen
    reporting: Reporting,
    show_rate: float,
) -> tuple[int, int, int]:
    """Feeds and late impressions until done (module docstring); (feeds, served, seen)."""
    pending: list[tuple[dt.datetime, dict[str, Any]]] = []
    requests = served = seen = 0
    while clock.now() < FLIGHT[1]:
        if clock.now().second < STEP.total_seconds():  # once a simulated minute
            due = [e for t, e in pending if t <= clock.now()]
            pending = [(t, e) for t, e in pending if t > clock.now()]
            if due:
                client.post("/v1/events", json={"events": due}).raise_for_status()
        u = int(rngs[0].integers(len(users)))
        user, delay = users[u], reporting.delay(u, len(users))
        r = client.get("/v1/feed", params={"user_id": user, "n": 10})
        r.raise_for_status()
        page = r.json()
        requests += 1
        # The top of the page is always seen, and reported like the rest.
        top = page["items"][0]
        if not top["sponsored"]:
            event = _impression(user, top["item_id"], page["request_id"], clock.now())
            pending.append((clock.now() + delay, event))
        for it in page["items"]:
            if not it["sponsored"]:
                continue
            served += 1
            if rngs[1].random() < show_rate:
                seen += 1
                event = _impression(user, it["item_id"], page["request_id"], clock.now())
                pending.append((clock.now() + delay, event))
        clock.move_to(clock.now() + STEP)
    if pending:  # the flight is over: what is still on its way arrives (booked when served)
        clock.move_to(max(t for t, _ in pending))
        client.post("/v1/events", json={"events": [e for _, e in pending]}).raise_for_status()
    return requests, served, seen


def _campaign(client: httpx.Client, texts: list[str], budget_minor: int) -> None:
    adv = client.post("/v1/advertisers", json={"id": "bench", "name": "Bench"})
    adv.raise_for_status()
    headers = {"Authorization": f"Bearer {adv.json()['api_key']}"}
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    body = {
        "name": "late reports",
        "objective": "traffic",
        "budget": {"amount_minor": budget_minor, "currency": "EUR"},
        "schedule": {
            "start": FLIGHT[0].strftime(fmt),
            "end": FLIGHT[1].strftime(fmt),
        },
        "brief": {"product": "Bench", "description": "bench", "landing_url": "https://b.example"},
    }
    r = client.post("/v1/campaigns", json=body, headers=headers)
    r.raise_for_status()
    cid = r.json()["id"]
    r = client.post(f"/v1/campaigns/{cid}/creatives", json={"texts": texts}, headers=headers)
    r.raise_for_status()


def _impression(user: str, item: str, request_id: str, at: dt.datetime) -> dict[str, Any]:
    return {
        "event_id": f"imp-{request_id}-{item}",
        "user_id": user,
        "item_id": item,
        "action": "impression",
        "timestamp": at.isoformat(),
        "request_id": request_id,
    }


def _money(data: Path, budget_minor: int) -> tuple[int, int, tuple[int, int]]:
    """(charges, spend, (refused slots, their price)) from the run's store."""
    store = Store(f"sqlite:///{data / 'unifeed.db'}")
    lg, slot, fr, e = schema.ledger, schema.ad_slots, schema.feed_requests, schema.events
    try:
        with store.engine.connect() as conn:
            charged, spent = conn.execute(
                select(func.count(), func.coalesce(func.sum(lg.c.amount_minor), 0))
            ).one()
            billed = {r for (r,) in conn.execute(select(lg.c.request_id))}
            reported = conn.execute(
                select(fr.c.request_id, slot.c.price_minor)
                .join(fr, fr.c.id == slot.c.feed_request_id)
                .join(e, (e.c.request_id == fr.c.request_id) & (e.c.item_id == slot.c.item_id))
                .where(e.c.action == "impression")
            ).all()
    finally:
        store.close()
    refused = [p for rid, p in reported if rid not in billed]
    assert int(spent) <= budget_minor, "the ledger never overspends"
    return int(charged), int(spent), (len(refused), int(sum(refused)))


def render(outcomes: list[Outcome], cmd: str, setup: str, seconds: float, lag: float) -> str:
    lines = [
        f"## Free delivery under late reporting, report lag {lag:g} min (`bench/free_delivery.py`)",
        "",
        f"Command: `{cmd}`  ",
        f"Machine: {machine()}  ",
        f"Date: {today()}, commit {commit()}; {seconds:.0f} s in all",
        "",
        setup,
        "",
        "| arm | report delay, min | show rate | feeds | ads served | seen | charged | "
        "spent / budget | refused (free) | free delivery, share of budget |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.arm} | {o.reporting.label} | {o.show_rate:g} | {o.requests:,} | {o.served:,} "
            f"| {o.seen:,} | {o.charged:,} | {o.spent_minor:,} / {o.budget_minor:,} "
            f"| {o.seen - o.charged:,} | {100 * o.free_share:.1f}% |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--delays",
        default="1,10,14,30,60,120,1+60@10%",
        help="report delays, simulated minutes (module docstring)",
    )
    p.add_argument("--show-rates", default="1,0.5", help="shares of served ads that are seen")
    p.add_argument("--budget-minor", type=int, default=300)
    p.add_argument("--users", type=int, default=300)
    p.add_argument("--items", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--report-lag",
        type=float,
        default=REPORT_LAG.total_seconds() / 60,
        help="minutes (UNIFEED_ADS_REPORT_LAG_MINUTES); both arms' pacers count it",
    )
    p.add_argument("--section", default="free-delivery", help="docs/benchmarks.md section")
    p.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    args = p.parse_args(argv)
    cmd = "python bench/free_delivery.py" + (" " + " ".join(argv) if argv else "")
    delays = [Reporting.parse(x) for x in args.delays.split(",")]
    rates = [float(x) for x in args.show_rates.split(",")]
    started = time.perf_counter()
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="unifeed-free-") as tmp:
        root = Path(tmp)
        warm, users, texts = prepare(root, args.users, args.items, args.seed)
        total, k = len(delays) * len(rates) * len(ARMS), 0
        for rate in rates:
            for d in delays:
                for arm in ARMS:
                    k += 1
                    o = run(
                        warm,
                        root,
                        users,
                        texts,
                        arm,
                        d,
                        rate,
                        args.budget_minor,
                        args.seed,
                        dt.timedelta(minutes=args.report_lag),
                    )
                    outcomes.append(o)
                    print(
                        f"[{k}/{total}] {arm:>11}  delay {d.label} min  show {rate:g}: "
                        f"{o.served} served, {o.seen} seen, {o.charged} charged, "
                        f"free {100 * o.free_share:.1f}% of the budget ({o.seconds:.0f} s)",
                        flush=True,
                    )
    setup = (
        f"World: {args.users} users, {args.items} items (`bench/_world.py`, seed "
        f"{args.seed}); one traffic campaign, lifetime budget {args.budget_minor} minor units; "
        f"a feed request every {STEP.total_seconds():g} simulated seconds from a random user; "
        f"report lag {args.report_lag:g} minutes (UNIFEED_ADS_REPORT_LAG_MINUTES). "
        "Ads served: slots the auction sold; seen: those whose impression the app reported; "
        "charged: those the ledger booked; refused: seen but not paid for, the budget being spent."
    )
    body = render(outcomes, cmd, setup, time.perf_counter() - started, args.report_lag)
    print(body)
    if not args.no_write:
        write_section(args.section, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
