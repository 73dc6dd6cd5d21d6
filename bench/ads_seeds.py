"""Ads benchmark, parts 1 and 2 across worlds: one flight per seed, the spread.

One flight (`bench/ads.py`) is one world: which products meet which
objectives, who the fans of each topic are and how the stereotype groups
hold them. A ratio from one world says little about the next, so this runs
the flight for several seeds (each another world and another pairing of
products with objectives) and reports, per objective, the automatic audience
against manual targeting in every world with the mean and the lowest; the
cost goals' realised cost per result against the goal; and the share of
hours each highest-volume campaign spent within 20% of its hourly target,
next to the Poisson floor of `bench.ads.pacing`.

Flights on the simulated clock replay the same people, sessions and
responses, so seeds differ by their worlds, and a rerun of a seed is exact:
the nightly retrain is bound by epochs, not by the wall clock (an earlier
8-second budget steered its learning rate by how busy the machine was, and
reruns under load drifted by up to 0.2x).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # `python bench/ads_seeds.py` puts bench/ on sys.path, not the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ads import analyse, run_with_progress
from bench.report import REPO, commit, machine, today, write_section
from unifeed.sim.flight import FlightConfig
from unifeed.sim.world import SimConfig

SECTION = "ads-seeds"


def summarise(seed: int, r: dict[str, Any]) -> dict[str, Any]:
    """What the spread table needs from one seed's `analyse` result."""
    ratios: dict[str, float | None] = {}
    for c in r["campaigns"]:
        if c["strategy"] != "highest_volume":
            continue
        auto = c["automatic"]["results_per_euro"]
        manual = c["demographic"]["results_per_euro"] if "demographic" in c else None
        ratios[c["objective"]] = auto / manual if manual else None
    goals = {
        c["objective"]: {
            "topic": c["topic"],
            "cpr_vs_goal": r["goals"][c["advertiser"]]["automatic"]["cpr_vs_goal"],
            "spent_share": r["goals"][c["advertiser"]]["automatic"]["spent_share"],
            "results": r["goals"][c["advertiser"]]["automatic"]["results"],
        }
        for c in r["campaigns"]
        if c["advertiser"] in r.get("goals", {})
    }
    objective_of = {c["advertiser"]: c["objective"] for c in r["campaigns"]}
    pacing = {
        objective_of[a]: {
            "hourly_within_20": p["hours_hourly_within_20"],
            "poisson_within_20": p["poisson_within_20"],
            "cumulative_within_20": p["hours_cumulative_within_20"],
            "worst_cumulative_dev": p["max_cumulative_dev"],
            "spent_share": p["spent_share"],
            "overspent": p["overspent"],
        }
        for a, p in r.get("pacing", {}).items()
    }
    return {"seed": seed, "ratios": ratios, "goals": goals, "pacing": pacing}


def _x(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}x"


def _row(
    label: str, rows: list[dict[str, Any]], part: str, cell: Callable[[dict[str, Any]], str]
) -> str:
    """One table row: `label`'s entry of `part` in every seed, "–" where it has none."""
    cells = [s[part].get(label) for s in rows]
    return f"| {label} | " + " | ".join("–" if c is None else cell(c) for c in cells) + " |"


def _goal_cell(g: dict[str, Any]) -> str:
    return f"{_x(g['cpr_vs_goal'])}, {g['spent_share']:.0%}, {g['results']} ({g['topic']})"


def _pacing_cell(p: dict[str, Any]) -> str:
    over = " OVER" if p["overspent"] else ""
    return (
        f"{p['spent_share']:.1%}{over}, {p['hourly_within_20']:.0%} / {p['poisson_within_20']:.0%}"
    )


def render(rows: list[dict[str, Any]], cfg: FlightConfig, command: str, seconds: float) -> str:
    seeds = [s["seed"] for s in rows]
    head = "| objective | " + " | ".join(f"seed {s}" for s in seeds) + " | mean | lowest |"
    rule = "|---" * (len(seeds) + 3) + "|"
    lines = [
        "## Ads, parts 1 and 2 across worlds (`bench/ads_seeds.py`)",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine()}  ",
        f"Date: {today()}, commit {commit()}, {seconds / 60:.1f} min",
        "",
        f"The flight of the ads-sim section ({cfg.sim.n_users} users, a "
        f"{cfg.sim.days - cfg.warmup_days}-day flight, {cfg.budget_minor / 100:.2f} EUR per "
        "campaign), once per seed: each seed is another world and another pairing of products "
        "with objectives. Flights on the simulated clock replay the same people, sessions and "
        "responses, so seeds differ by their worlds, and a rerun of a seed is exact (the "
        "nightly retrain is bound by epochs, not the wall clock). Seed 0 is the ads-sim "
        "section's world.",
        "",
        "Part 1, results per euro, automatic audience / manual targeting "
        "(highest-volume campaigns):",
        "",
        head,
        rule,
    ]
    objectives = list(dict.fromkeys(o for s in rows for o in s["ratios"]))
    for o in objectives:
        vals = [s["ratios"].get(o) for s in rows]
        known = [v for v in vals if v is not None]
        mean = statistics.fmean(known) if known else None
        low = min(known) if known else None
        lines.append(f"| {o} | " + " | ".join(map(_x, vals)) + f" | {_x(mean)} | {_x(low)} |")
    lines += [
        "",
        "Part 2, cost per result goals (automatic arm): realised cost per result / goal, "
        "budget spent, results (the product's topic). Its cost per result has a sampling "
        "error of about 1/√results on its own: 45% at 5 results, 15% at 45. Under 1x with "
        "the whole budget spent is a goal held (it is a cap on the average cost).",
        "",
        "| goal campaign | " + " | ".join(f"seed {s}" for s in seeds) + " |",
        "|---" * (len(seeds) + 1) + "|",
    ]
    lines += [
        _row(o, rows, "goals", _goal_cell)
        for o in dict.fromkeys(o for s in rows for o in s["goals"])
    ]
    lines += [
        "",
        "Part 2, pacing of the highest-volume campaigns: budget spent (never over), and the "
        "share of hours after the first 10% whose own spend is within 20% of the hour's "
        "target (its share of the day's traffic), against the share a perfect pacer would "
        "reach if impressions arrived at random (Poisson) at the hour's expected rate.",
        "",
        "| objective | " + " | ".join(f"seed {s}: spent, hourly / Poisson" for s in seeds) + " |",
        "|---" * (len(seeds) + 1) + "|",
    ]
    lines += [_row(o, rows, "pacing", _pacing_cell) for o in objectives]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0,1,2", help="comma-separated")
    p.add_argument("--users", type=int, default=FlightConfig().sim.n_users)
    p.add_argument("--flight-days", type=int, default=3)
    p.add_argument("--arms", default="automatic,demographic", help="comma-separated")
    p.add_argument(
        "--budget-minor", type=int, default=FlightConfig.budget_minor, help="each campaign's"
    )
    p.add_argument("--out", type=Path, default=REPO / "runs" / "ads-seeds")
    p.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    args = p.parse_args(argv)
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        p.error(f"--seeds takes comma-separated integers, got {args.seeds!r}")
    arms = tuple(a.strip() for a in args.arms.split(",") if a.strip())
    if "automatic" not in arms:
        p.error("--arms must include automatic")
    command = "python bench/ads_seeds.py" + (" " + " ".join(argv) if argv else "")
    start = time.perf_counter()
    rows = []
    cfg = FlightConfig()
    for seed in seeds:
        cfg = FlightConfig(
            sim=SimConfig(seed=seed, n_users=args.users, days=2 + args.flight_days, diurnal=True),
            budget_minor=args.budget_minor,
        )
        world, advertisers, outcomes = run_with_progress(cfg, args.out / f"seed{seed}", arms)
        rows.append(summarise(seed, analyse(cfg, world, advertisers, outcomes)))
    body = render(rows, cfg, command, time.perf_counter() - start)
    print(body)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "result.json").write_text(json.dumps(rows, indent=1))
    if not args.no_write:
        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
