"""Serving: feed latency under open-loop load, and event ingestion, of a real `unifeed serve`.

    python bench/serve.py [--items 100000] [--users 10000] [--step-seconds 10] [--no-write]

A synthetic catalogue (items with short generated topic texts, embedded with
the hashing encoder so that loading takes seconds, not the minutes MiniLM
would) and users with 10–20 positive events each are written straight into a
SQLite store; a small model is trained on it with `train_from_store` and
published. `unifeed serve` then runs as a separate process (one uvicorn
worker), and a load generator in another process asks for feeds (n=20,
random users, all with histories, so the model ranker answers) at increasing
open-loop rates. Three server setups run in turn (see SETUPS): the defaults
(faiss HNSW above UNIFEED_FAISS_THRESHOLD=50000, checkpoint and catalogue
polled every 2 s), the same polling hourly, and exact search polling hourly,
the baseline for the index. Event ingestion is measured on the last server,
after its feed steps: POST /v1/events in batches of 1000, from one sender,
then from several at once.
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
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
import numpy as np

if __name__ == "__main__":  # `python bench/serve.py` puts bench/ on sys.path, not the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _loadgen
from bench._server import peak_rss_mb_of, server_process
from bench._world import ingest_batches, load_store, make_world
from bench.report import commit, machine, today, write_section

RATES = (10.0, 25.0, 50.0, 75.0, 100.0, 150.0, 200.0, 300.0)
BUDGET_MS = 50.0
TRAIN: dict[str, Any] = {"dim": 32, "n_blocks": 2, "epochs": 2, "max_seconds": 60.0}


@dataclass(frozen=True)
class Setup:
    label: str
    faiss_threshold: int  # UNIFEED_FAISS_THRESHOLD
    reload_seconds: float  # UNIFEED_RELOAD_SECONDS: checkpoint and catalogue poll


# The first is the server as shipped. Polling hourly takes the periodic
# catalogue re-read out of the measurement, so the last two isolate the index.
SETUPS = (
    Setup("defaults (HNSW, poll every 2 s)", 50_000, 2.0),
    Setup("HNSW, poll hourly", 50_000, 3600.0),
    Setup("exact search, poll hourly (baseline)", 10**9, 3600.0),
)
# (numerator, denominator, what the pair compares), as positions in SETUPS
RATIOS = (
    (1, 2, "HNSW / exact search, both polling hourly"),
    (0, 1, "polling every 2 s / hourly, both HNSW"),
)


# ------------------------------------------------------------------ helpers
def in_process(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run fn in a fresh process, so the load generator has its own interpreter and GIL."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args, **kwargs).result()


# ------------------------------------------------------------------ the run
def run(
    n_items: int,
    n_users: int,
    *,
    rates: tuple[float, ...] = RATES,
    step_seconds: float = 10.0,
    rounds: int = 2,
    train: dict[str, Any] | None = None,
    setups: tuple[Setup, ...] = SETUPS,
    ingest_batches_seq: int = 20,
    ingest_senders: int = 4,
    ingest_batches_conc: int = 40,
    batch_size: int = 1000,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Load, train, then every setup's rate ladder, `rounds` times over.

    Rounds alternate the setups (A B C A B C) so that a burst of outside load
    on a shared machine hits one round of a setup, not all of it.
    """
    from unifeed.serving.training import StoreTrainConfig, train_from_store
    from unifeed.settings import Settings

    train = {**TRAIN, **(train or {})}
    out: dict[str, Any] = {"items": n_items, "users": n_users, "step_seconds": step_seconds}
    out["load_before"] = os.getloadavg()
    with contextlib.ExitStack() as stack:
        root = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        data_dir, key = root / "data", secrets.token_urlsafe(24)
        data_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{(data_dir / 'unifeed.db').resolve()}"

        t0 = time.perf_counter()
        world = make_world(n_items, n_users)
        load_store(url, world)
        out["events"], out["load_seconds"] = len(world.events), round(time.perf_counter() - t0, 1)

        t0 = time.perf_counter()
        settings = Settings(data_dir=data_dir, database_url=url)
        out["checkpoint"] = train_from_store(settings, StoreTrainConfig(**train))
        out["train_seconds"], out["train"] = round(time.perf_counter() - t0, 1), train

        out["setups"] = [{**asdict(sp), "rounds": []} for sp in setups]
        for rnd in range(rounds):
            for i, sp in enumerate(setups):
                t0 = time.perf_counter()
                with server_process(
                    data_dir,
                    key,
                    faiss_threshold=sp.faiss_threshold,
                    reload_seconds=sp.reload_seconds,
                    log_path=root / f"server-{rnd}-{i}.log",
                    index="faiss" if n_items >= sp.faiss_threshold else "exact",
                ) as (base, proc):
                    setup = out["setups"][i]
                    setup["index"] = httpx.get(f"{base}/v1/ready", timeout=10).json()["index"]
                    setup["startup_seconds"] = round(time.perf_counter() - t0, 1)
                    setup["rounds"].append(
                        in_process(
                            _loadgen.feed_rates,
                            base,
                            key,
                            world.users,
                            list(rates),
                            step_seconds,
                            budget_ms=BUDGET_MS,
                            seed=rnd * len(setups) + i,
                        )
                    )
                    if rnd == rounds - 1 and i == len(setups) - 1:
                        # Last of all, so that every feed run sees the same store.
                        seq = ingest_batches(world, ingest_batches_seq, batch_size, "s", 1)
                        conc = ingest_batches(world, ingest_batches_conc, batch_size, "c", 2)
                        out["ingest"] = [
                            in_process(_loadgen.ingest, base, key, seq, 1),
                            in_process(_loadgen.ingest, base, key, conc, ingest_senders),
                        ]
                    setup["server_peak_rss_mb"] = peak_rss_mb_of(proc.pid)
        for setup in out["setups"]:
            # The worst round counts: a figure holds only if every round met it.
            per_round = [sustained(steps) for steps in setup["rounds"]]
            setup["sustained_rps"] = None if None in per_round else min(per_round)
            setup["peak_rps"] = min(peak(steps) or 0.0 for steps in setup["rounds"]) or None
    out["load_after"] = os.getloadavg()
    return out


def sustained(steps: list[dict[str, Any]], budget_ms: float = BUDGET_MS) -> float | None:
    """The highest offered rate met with p99 under budget and no errors."""
    good = [s["rate"] for s in steps if s["errors"] == 0 and s["p99_ms"] < budget_ms]
    return max(good, default=None)


def peak(steps: list[dict[str, Any]]) -> float | None:
    """The most requests per second answered in a step without errors."""
    return max((s["achieved_rps"] for s in steps if not s["errors"]), default=None)


# ------------------------------------------------------------------ the report
def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "–"


def _by_rate(setup: dict[str, Any]) -> dict[float, list[dict[str, Any] | None]]:
    """rate -> that step in each round (None where a round stopped before it)."""
    rates = sorted({st["rate"] for steps in setup["rounds"] for st in steps})
    table = {r: [None] * len(setup["rounds"]) for r in rates}
    for k, steps in enumerate(setup["rounds"]):
        for st in steps:
            table[st["rate"]][k] = st
    return table  # type: ignore[return-value]


def _p50_ratio(a: dict[str, Any], b: dict[str, Any]) -> str:
    """Ratio of median latencies at the highest rate both met without errors in every round."""

    def clean(setup: dict[str, Any]) -> dict[float, float]:
        return {
            rate: float(np.mean([st["p50_ms"] for st in steps]))  # type: ignore[index]
            for rate, steps in _by_rate(setup).items()
            if all(st is not None and not st["errors"] for st in steps)
        }

    ca, cb = clean(a), clean(b)
    common = sorted(ca.keys() & cb.keys())
    if not common:
        return "–"
    return f"{_ratio(ca[common[-1]], cb[common[-1]])} (at {common[-1]:.0f} req/s)"


def _cell(steps: list[dict[str, Any] | None], key: str, fmt: str) -> str:
    return " / ".join("–" if st is None else format(st[key], fmt) for st in steps)


def render(r: dict[str, Any], command: str) -> str:
    n_rounds = max(len(s["rounds"]) for s in r["setups"])
    lines = [
        "## Serving: feed latency and event ingestion (`bench/serve.py`)",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine()}  ",
        f"Date: {today()}, commit {commit()}; load average before / after: "
        f"{r['load_before'][0]:.2f} / {r['load_after'][0]:.2f}",
        "",
        f"Store: SQLite (WAL, synchronous=FULL) with {r['items']:,} items and {r['users']:,} "
        f"users with {r['events']:,} positive events (10–20 each), written straight into the "
        f"store in {r['load_seconds']} s. Item texts are short generated topic phrases, embedded "
        "with the **hashing** encoder (not MiniLM) to keep loading fast. Model: "
        f"`train_from_store` with {json.dumps(r['train'])}, {r['train_seconds']} s. Server: "
        "`unifeed serve` (one uvicorn process, model ranker) in its own process; the load "
        "generator (open loop: request k is due at k / rate and its latency counts from then) "
        "in another, on the same machine, so they share its cores. Each request: "
        "`GET /v1/feed?user_id=<random user>&n=20`; every feed is also recorded in the store "
        f"(one committed write). Budget: p99 < {BUDGET_MS:.0f} ms with no errors. Each rate "
        f"runs for {r['step_seconds']:g} s; rates rise until the server saturates (errors, "
        "median over budget, or under 90% of the offered rate answered). Setups: the "
        "defaults; the same with the checkpoint and catalogue polled hourly "
        "(`UNIFEED_RELOAD_SECONDS=3600`), which takes the periodic catalogue refresh out of "
        "the requests; and exact search polling hourly (`UNIFEED_FAISS_THRESHOLD` above the "
        f"catalogue size), the baseline for the index. Each setup ran {n_rounds} times, the "
        "setups taking turns (a restarted server each time); cells show every round, "
        "`round 1 / round 2`, and a summary figure holds only if every round met it.",
        "",
        "| setup | index | offered req/s | answered req/s | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in r["setups"]:
        for rate, steps in _by_rate(s).items():
            lines.append(
                f"| {s['label']} | {s['index']} | {rate:.0f} "
                f"| {_cell(steps, 'achieved_rps', '.1f')} "
                f"| {_cell(steps, 'p50_ms', '.1f')} | {_cell(steps, 'p99_ms', '.1f')} "
                f"| {_cell(steps, 'errors', 'd')} |"
            )
    lines += [
        "",
        "| setup | highest rate with p99 < 50 ms, no errors | most answered req/s (no errors) "
        "| feeds by the model ranker | start-up s (to the index above) | server peak RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    for s in r["setups"]:
        rss = f"{s['server_peak_rss_mb']:.0f}" if s["server_peak_rss_mb"] else "–"
        got = f"{s['sustained_rps']:.0f} req/s" if s["sustained_rps"] else "none"
        top = f"{s['peak_rps']:.1f}" if s["peak_rps"] else "–"
        steps = [st for rnd in s["rounds"] for st in rnd]
        ok = sum(st["ok"] for st in steps)
        by_model = sum(st["rankers"].get("model", 0) for st in steps) / max(ok, 1)
        lines.append(
            f"| {s['label']} | {got} | {top} | {by_model:.0%} | {s['startup_seconds']} | {rss} |"
        )
    lines += [
        "",
        "| ratio | highest rate under budget | most answered req/s "
        "| p50 at the highest rate both met without errors |",
        "|---|---|---|---|",
    ]
    for num, den, what in RATIOS:
        if max(num, den) < len(r["setups"]):
            a, b = r["setups"][num], r["setups"][den]
            lines.append(
                f"| {what} | {_ratio(a['sustained_rps'], b['sustained_rps'])} "
                f"| {_ratio(a['peak_rps'], b['peak_rps'])} | {_p50_ratio(a, b)} |"
            )
    lines += [
        "",
        "Event ingestion (last server, after its feed steps; `POST /v1/events`, new event ids "
        "on known users and items, each batch one committed transaction):",
        "",
        "| senders | batches × events | seconds | accepted | errors | events/s |",
        "|---|---|---|---|---|---|",
    ]
    for ing in r.get("ingest", []):
        lines.append(
            f"| {ing['senders']} | {ing['batches']} × {ing['batch_size']} | {ing['seconds']} | "
            f"{ing['accepted']:,} | {ing['errors']} | {ing['events_per_s']:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/serve.py", description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--step-seconds", type=float, default=10.0)
    ap.add_argument("--rates", type=float, nargs="+", default=list(RATES))
    ap.add_argument("--rounds", type=int, default=2, help="rate ladders per setup")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    a = ap.parse_args(argv)
    r = run(a.items, a.users, rates=tuple(a.rates), step_seconds=a.step_seconds, rounds=a.rounds)
    print(json.dumps(r), flush=True)
    command = "python bench/serve.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = render(r, command.strip())
    print(text, flush=True)
    if not a.no_write:
        print(f"wrote {write_section('serve', text)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
