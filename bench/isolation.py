"""Isolation: one client's feed latency while another client attacks, on SQLite and PostgreSQL.

    python bench/isolation.py [--seconds 20] [--rate 20] [--rounds 2] [--backends sqlite postgresql]

Per back-end, a synthetic world (the serving benchmark's: items on topics,
users with histories, hashing encoder) is written into a fresh store and a
small model is trained on it. `unifeed serve` then runs as its own process
with two advertisers: a shop whose campaign serves ads in the feed, and a
rival whose daily-budget campaign has run for a year (written straight into
the store, as if created a year ago, with a year of charges in its ledger):
the longest flight the API accepts, so its report is the most expensive one.

Each round measures a normal client (its own process: `GET /v1/feed`, n=20,
random users, open loop at --rate) twice, for --seconds each: alone, and
while an attacker (another process) sends maximal event batches (5,000
events) from two connections and asks for the rival's report and report
picture from two more, all back to back. The figure is the normal client's
p99 under attack, against the 50 ms budget and as a ratio to its p99 alone
in the same round. The machine is shared, so each phase records the load
average (`uptime`) it started at.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
import numpy as np

# `python bench/isolation.py` puts bench/ on sys.path, not the checkout.
if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._attack import attack, event_bodies, normal_feeds
from bench._server import server_process
from bench._world import World, load_store, make_world
from bench.report import commit, machine, today, write_section

BUDGET_MS = 50.0
BATCH = 5000  # the largest event batch the API accepts
TRAIN: dict[str, Any] = {"dim": 32, "n_blocks": 2, "epochs": 1, "max_seconds": 30.0}
RIVAL_CHARGES = 20_000  # the rival's year of ledger rows
POSTGRES = os.environ.get("UNIFEED_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BRIEF = {"product": "Kettle", "description": "A quiet kettle", "landing_url": "https://k.example/"}


@contextlib.contextmanager
def database(backend: str, root: Path) -> Iterator[str]:
    """A fresh, empty store: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{(root / 'unifeed.db').resolve()}"
        return
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    plain = POSTGRES.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        sep = "&" if "?" in POSTGRES else "?"
        yield f"{POSTGRES}{sep}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


def _post(client: httpx.Client, path: str, body: dict[str, Any], key: str) -> dict[str, Any]:
    r = client.post(path, json=body, headers={"Authorization": f"Bearer {key}"})
    r.raise_for_status()
    return r.json()


def advertisers(base: str, key: str, url: str, world: World) -> dict[str, str]:
    """The shop (an API campaign) and the rival (a year-old daily campaign); their keys."""
    from sqlalchemy import insert, select

    from unifeed.ads.campaign_spec import Brief, CampaignSpec
    from unifeed.ads.objective import OBJECTIVES
    from unifeed.ads.records.campaigns import CampaignRecords
    from unifeed.store import Store, schema

    now = datetime.now(UTC).replace(microsecond=0)
    with httpx.Client(base_url=base, timeout=60) as client:
        shop = _post(client, "/v1/advertisers", {"id": "shop", "name": "Shop"}, key)["api_key"]
        body = {
            "name": "kettles",
            "objective": "traffic",
            "budget": {"amount_minor": 10**9, "currency": "EUR"},
            "schedule": {"start": now.isoformat(), "end": (now + timedelta(days=7)).isoformat()},
            "brief": BRIEF,
        }
        cid = _post(client, "/v1/campaigns", body, shop)["id"]
        _post(client, f"/v1/campaigns/{cid}/creatives", {"texts": ["a quiet kettle"] * 3}, shop)
        rival = _post(client, "/v1/advertisers", {"id": "rival", "name": "Rival"}, key)["api_key"]
        store = Store(url)
        try:
            repo = CampaignRecords(store)
            start = now - timedelta(days=365)
            c = repo.create(
                repo.advertiser_id("rival") or 0,
                CampaignSpec(
                    name="a year of kettles",
                    objective=OBJECTIVES["traffic"],
                    currency="EUR",
                    budget_kind="daily",
                    budget_minor=10**6,
                    start_at=start,
                    end_at=start + timedelta(days=366),
                    bid_strategy="highest_volume",
                    brief=Brief(**BRIEF),
                    click_window_days=7,
                    view_window_days=1,
                ),
            )
            _post(
                client, f"/v1/campaigns/{c.public_id}/creatives", {"texts": ["kettle"] * 3}, rival
            )
            with store.engine.connect() as conn:
                users = conn.execute(select(schema.users.c.id)).scalars().all()
                (item,) = repo.get(c.public_id, None).creative_item_ids[:1]  # type: ignore[union-attr]
            rng = np.random.default_rng(0)
            offsets = np.sort(rng.integers(0, 365 * 86400, size=RIVAL_CHARGES))
            rows = [
                {
                    "entry_key": f"bench:{k}",
                    "campaign_id": c.id,
                    "kind": "impression",
                    "amount_minor": 5,
                    "user_id": int(users[rng.integers(len(users))]),
                    "item_id": int(item),
                    "request_id": None,
                    "event_time": (start + timedelta(seconds=int(s))).replace(tzinfo=None),
                    "created_at": now.replace(tzinfo=None),
                }
                for k, s in enumerate(offsets)
            ]
            with store.write() as conn:
                conn.execute(insert(schema.ledger), rows)
        finally:
            store.close()
    return {"shop": shop, "rival": rival, "rival_campaign": c.public_id}


def run_backend(
    backend: str,
    world: World,
    *,
    rate: float,
    seconds: float,
    rounds: int,
    root: Path,
    attackers: tuple[int, int] = (2, 2),
) -> dict[str, Any]:
    """`attackers`: (event senders, report senders)."""
    from unifeed.serving.training import StoreTrainConfig, train_from_store
    from unifeed.settings import Settings

    out: dict[str, Any] = {"backend": backend, "rounds": []}
    data_dir, key = root / backend, secrets.token_urlsafe(24)
    data_dir.mkdir(parents=True)
    with database(backend, data_dir) as url:
        t0 = time.perf_counter()
        load_store(url, world)
        train_from_store(Settings(data_dir=data_dir, database_url=url), StoreTrainConfig(**TRAIN))
        out["setup_seconds"] = round(time.perf_counter() - t0, 1)
        log = root / f"server-{backend}.log"
        with (
            server_process(data_dir, key, database_url=url, log_path=log) as (base, _),
            ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool,
        ):
            keys = advertisers(base, key, url, world)
            items = [i["id"] for i in world.items]
            for r in range(rounds):
                rnd: dict[str, Any] = {"load_alone": os.getloadavg()[0]}
                rnd["alone"] = pool.submit(
                    normal_feeds, base, key, world.users, rate, seconds, 2 * r
                ).result()
                bodies = event_bodies(world.users, items, 60, BATCH, f"atk{r}-", r)
                rnd["load_attacked"] = os.getloadavg()[0]
                attacker = pool.submit(
                    attack,
                    base,
                    key,
                    keys["rival"],
                    keys["rival_campaign"],
                    bodies,
                    seconds=seconds + 4.0,
                    event_senders=attackers[0],
                    report_senders=attackers[1],
                )
                time.sleep(1.0)  # the attack is under way before the normal client starts
                victim = pool.submit(normal_feeds, base, key, world.users, rate, seconds, 2 * r + 1)
                rnd["attacked"] = victim.result()
                rnd["attack"] = attacker.result()
                out["rounds"].append(rnd)
                print(json.dumps({"backend": backend, "round": r, **rnd}), flush=True)
    return out


def run(
    backends: list[str],
    *,
    rate: float,
    seconds: float,
    rounds: int,
    n_items: int,
    n_users: int,
    attackers: tuple[int, int] = (2, 2),
) -> dict[str, Any]:
    world = make_world(n_items, n_users)
    out: dict[str, Any] = {"items": n_items, "users": n_users, "events": len(world.events)}
    out |= {"rate": rate, "seconds": seconds, "train": TRAIN, "attackers": attackers}
    out["backends"] = []
    with tempfile.TemporaryDirectory(prefix="bench-isolation-") as tmp:
        for backend in backends:
            out["backends"].append(
                run_backend(
                    backend,
                    world,
                    rate=rate,
                    seconds=seconds,
                    rounds=rounds,
                    root=Path(tmp),
                    attackers=attackers,
                )
            )
    return out


def _statuses(attack: dict[str, Any], kind: str) -> str:
    got = attack.get(kind)
    if not got:
        return "–"
    return ", ".join(f"{n}× {s}" for s, n in sorted(got["status"].items()))


def render(r: dict[str, Any], command: str) -> str:
    lines = [
        "## Isolation: a client's feed while another attacks (`bench/isolation.py`)",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine()}; shared with other engineers' jobs: the load average (1 min) "
        "at the start of each phase is in the table  ",
        f"Date: {today()}, commit {commit()}",
        "",
        f"World: {r['items']:,} items, {r['users']:,} users, {r['events']:,} positive events "
        f"(the serving benchmark's generator), model `train_from_store` with "
        f"{json.dumps(r['train'])}. One `unifeed serve` process per back-end; the normal "
        f"client asks for feeds (n=20, open loop, {r['rate']:g} req/s, latency from when each "
        f"request was due) for {r['seconds']:g} s, alone and then while an attacker sends "
        f"{BATCH:,}-event batches from {r['attackers'][0]} connections and the rival's report "
        f"and report.png (a daily flight of 366 days, {RIVAL_CHARGES:,} ledger rows) from "
        f"{r['attackers'][1]} more, all back "
        f"to back. Budget: the normal client's p99 under {BUDGET_MS:.0f} ms under attack.",
        "",
        "| back-end | round | load alone / attacked | p50 ms alone | p99 ms alone "
        "| p50 ms attacked | p99 ms attacked | p99 ratio | feed errors attacked "
        "| event batches | reports | report.png | report p50 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for b in r["backends"]:
        for k, rnd in enumerate(b["rounds"]):
            a, v, atk = rnd["alone"], rnd["attacked"], rnd["attack"]
            ratio = v["p99_ms"] / a["p99_ms"] if a["p99_ms"] else float("nan")
            rep = atk.get("report", {}).get("p50_ms", "–")
            lines.append(
                f"| {b['backend']} | {k + 1} | {rnd['load_alone']:.2f} / "
                f"{rnd['load_attacked']:.2f} | {a['p50_ms']:.1f} | {a['p99_ms']:.1f} "
                f"| {v['p50_ms']:.1f} | {v['p99_ms']:.1f} | {ratio:.2f} | {v['errors']} "
                f"| {_statuses(atk, 'events')} | {_statuses(atk, 'report')} "
                f"| {_statuses(atk, 'report.png')} | {rep} |"
            )
    lines += ["", "| back-end | worst p99 ms attacked | under budget |", "|---|---|---|"]
    for b in r["backends"]:
        worst = max(rnd["attacked"]["p99_ms"] for rnd in b["rounds"])
        errors = sum(rnd["attacked"]["errors"] for rnd in b["rounds"])
        ok = worst < BUDGET_MS and not errors
        lines.append(f"| {b['backend']} | {worst:.1f} | {'yes' if ok else 'no'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/isolation.py", description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    ap.add_argument("--event-senders", type=int, default=2)
    ap.add_argument("--report-senders", type=int, default=2)
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    a = ap.parse_args(argv)
    r = run(
        a.backends,
        rate=a.rate,
        seconds=a.seconds,
        rounds=a.rounds,
        n_items=a.items,
        n_users=a.users,
        attackers=(a.event_senders, a.report_senders),
    )
    print(json.dumps(r), flush=True)
    command = "python bench/isolation.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = render(r, command.strip())
    print(text, flush=True)
    if not a.no_write:
        print(f"wrote {write_section('isolation', text)}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # worker processes import this file; only the script runs
    raise SystemExit(main())
