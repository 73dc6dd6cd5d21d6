"""Unifeed's bidder against PID and OnlineLp on AuctionNet's 11 development settings.

AuctionNet (NeurIPS 2024 Datasets and Benchmarks) is a public auto-bidding
benchmark nobody here wrote: 48 advertisers, ~500k opportunities a day in 48
half-hour ticks, GSP with 3 slots, each advertiser a budget and a CPA goal;
score = conversions × min(1, (goal / realised CPA)²). Its offline copy and
harness live in ../shared/auctionnet (see its README); each episode runs in
that copy's own virtual environment, one at a time, niced. The project's
strategy is `bench/auctionnet_strategy.py` (unifeed.ads.bidder as is).

    python bench/auctionnet.py                      # all 33 episodes, writes docs/benchmarks.md
    python bench/auctionnet.py --settings 0,0 5,6 --strategies project   # a quick look

Pooled CPA / goal is the spend over the conversions valued at their goal
(Σ cost / Σ conversions × goal): under 1, the conversions cost less than allowed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.auctionnet_ceiling import Ceiling, ceiling
from bench.report import REPO, commit, today, write_section

SECTION = "auctionnet"
HOME = Path(os.environ.get("AUCTIONNET_HOME", REPO.parent / "shared" / "auctionnet"))
VENV = REPO / ".venv-auctionnet"
WORK = REPO / "auctionnet-work"  # AuctionNet writes logs under its root: a writable copy
DEV_SETTINGS = [
    (0, 0), (0, 1), (1, 0), (1, 1), (5, 6), (11, 2), (20, 3), (27, 7), (30, 4), (38, 5), (42, 8),
]  # fmt: skip
STRATEGIES = ["pid", "onlinelp", "project"]
NAMES = {"pid": "PID", "onlinelp": "OnlineLp", "project": "**Unifeed bidder**"}


@dataclass(frozen=True)
class Episode:
    strategy: str
    player: int
    episode: int
    score: float
    conversions: float
    cost: float
    budget: float
    goal: float
    wall_s: float
    reused: bool = False  # read back from an earlier run (--reuse-baselines)
    ceiling: Ceiling | None = None  # hindsight, in the market this episode met


def ceiling_of(out: Path, budget: float, goal: float) -> Ceiling | None:
    """The episode's hindsight ceiling (bench/auctionnet_ceiling.py), cached beside it."""
    probe, cached = out.with_suffix(".npz"), out.with_suffix(".ceiling.json")
    if cached.exists() and probe.exists() and cached.stat().st_mtime >= probe.stat().st_mtime:
        return Ceiling(**json.loads(cached.read_text()))
    if not probe.exists():
        return None
    c = ceiling(probe, budget, goal)
    cached.write_text(json.dumps(c.__dict__))
    return c


def machine() -> str:
    """CPU, cores and memory (bench.report's line also names the project's torch,
    which plays no part here: episodes run in AuctionNet's venv)."""
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB"


def prepare_work() -> None:
    """A writable copy of AuctionNet with its one Python 3.11 fix."""
    if WORK.exists():
        return
    shutil.copytree(HOME / "AuctionNet", WORK)
    for p in WORK.rglob("*"):
        p.chmod(p.stat().st_mode | 0o200)
    run_test = WORK / "run" / "run_test.py"
    run_test.write_text(
        run_test.read_text().replace(
            "from collections import Iterable", "from collections.abc import Iterable"
        )
    )


def play(strategy: str, player: int, episode: int, out_dir: Path, reuse: str) -> Episode:
    """One episode; a finished one in `out_dir` is read back with `reuse` "baselines"
    (the baselines do not depend on this checkout, and the harness seeds every
    episode) or "all" (to rewrite the table of a finished run)."""
    out = out_dir / f"{strategy}_p{player}_e{episode}.json"
    if (reuse == "all" or (reuse == "baselines" and strategy != "project")) and out.exists():
        r = json.loads(out.read_text().splitlines()[-1])
        ep = episode_of(strategy, player, episode, r)
        return replace(ep, reused=True, ceiling=ceiling_of(out, ep.budget, ep.goal))
    out.unlink(missing_ok=True)
    env = {
        **os.environ,
        "AUCTIONNET_ROOT": str(WORK),
        "PYTHONDONTWRITEBYTECODE": "1",
        "AUCTIONNET_HOME": str(HOME),
        "AUCTIONNET_STRATEGY": f"{REPO / 'bench' / 'auctionnet_strategy.py'}:UnifeedBidder",
        # The opportunities and the others' bids, for the hindsight ceiling.
        "AUCTIONNET_PROBE": str(out.with_suffix(".npz")),
    }
    probe = REPO / "bench" / "auctionnet_probe.py"
    # Niced to 10 in all (a parent already niced passes its niceness on).
    cmd = ["nice", "-n", str(max(0, 10 - os.nice(0))), str(VENV / "bin" / "python"), str(probe)]
    cmd += ["--strategy", strategy, "--player-index", str(player), "--episode", str(episode)]
    cmd += ["--out", str(out)]
    t0 = time.time()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    r = json.loads(out.read_text().splitlines()[-1])
    r["wall_s"] = round(time.time() - t0, 1)
    ep = episode_of(strategy, player, episode, r)
    return replace(ep, ceiling=ceiling_of(out, ep.budget, ep.goal))


def episode_of(strategy: str, player: int, episode: int, r: dict) -> Episode:
    return Episode(
        strategy,
        player,
        episode,
        r["score"],
        r["conversions"],
        r["cost"],
        r["budget"],
        r["cpa_goal"],
        r["wall_s"],
    )


def summary(eps: list[Episode]) -> tuple[float, float, float, float]:
    """Total score, conversions, mean budget spent (%), pooled CPA / goal."""
    score = sum(e.score for e in eps)
    conv = sum(e.conversions for e in eps)
    spent = statistics.mean(100 * e.cost / e.budget for e in eps)
    valued = sum(e.conversions * e.goal for e in eps)
    pooled = sum(e.cost for e in eps) / valued if valued else float("inf")
    return score, conv, spent, pooled


def report(results: dict[str, list[Episode]], settings: list[tuple[int, int]], cmd: str) -> str:
    lines = [
        "## AuctionNet: the bidder against PID and OnlineLp (11 development settings)",
        "",
        f"`{cmd}` · {machine()} · commit {commit()} · {today()}",
        "",
        "Each strategy plays advertiser *player* in episode *episode* against the",
        "harness's 47 competitors (../shared/auctionnet); score = conversions ×",
        "min(1, (goal / realised CPA)²), summed over the settings. Pooled CPA / goal",
        "= Σ cost / Σ conversions × goal.",
        "",
        "| strategy | score | conversions | budget spent (mean) | realised CPA / goal (pooled) |",
        "|---|---|---|---|---|",
    ]
    for s, eps in results.items():
        score, conv, spent, pooled = summary(eps)
        lines.append(f"| {NAMES[s]} | {score:.1f} | {conv:.0f} | {spent:.0f}% | {pooled:.2f} |")
    baselines = [summary(results[s])[0] for s in results if s != "project"]
    if "project" in results and baselines:
        best = max(baselines)
        ratio = summary(results["project"])[0] / best if best else float("inf")
        lines += ["", f"Unifeed bidder / best baseline in this run: **{ratio:.2f}×** (score)."]
    lines += [
        "",
        "Per setting (score; CPA / goal in brackets):",
        "",
        "| player, episode | " + " | ".join(NAMES[s].strip("*") for s in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for i, (p, e) in enumerate(settings):
        cells = []
        for s in results:
            ep = results[s][i]
            cpa = ep.cost / (ep.conversions * ep.goal) if ep.conversions else float("inf")
            cells.append(f"{ep.score:.1f} ({cpa:.2f})")
        lines.append(f"| {p}, {e} | " + " | ".join(cells) + " |")
    everything = [e for eps in results.values() for e in eps]
    reused = [f"{e.strategy} {e.player},{e.episode}" for e in everything if e.reused]
    if reused:
        lines += [
            "",
            "Read back from episode files already in the run's folder (--reuse; the "
            "harness seeds every episode: PID on 0,0 scored 8.19 in two separate runs): "
            f"{', '.join(reused)}.",
        ]
    lines += ceiling_report(results, settings)
    if "project" in results and baselines:
        best_of = [
            max(results[s][i].score for s in results if s != "project")
            for i in range(len(settings))
        ]
        wins = sum(results["project"][i].score >= best_of[i] for i in range(len(settings)))
        lines += ["", f"The bidder scores at least the best baseline in {wins} of {len(settings)}."]
    return "\n".join(lines)


def ceiling_report(results: dict[str, list[Episode]], settings: list[tuple[int, int]]) -> list[str]:
    """Each strategy against the hindsight ceilings of the markets it met
    (bench/auctionnet_ceiling.py), and the target against them."""
    if any(e.ceiling is None for eps in results.values() for e in eps):
        return []
    lines = [
        "",
        "### Against the hindsight ceiling",
        "",
        "The most the advertiser could have bought in each episode's market, knowing in",
        "advance every opportunity's pValue and the others' bids (`bench/auctionnet_ceiling.py`;",
        "expected conversions; the others' bids are those of the strategy's own episode).",
        "*Held*: the day's linear programme, spend ≤ budget and CPA ≤ goal. *Scored*: the best",
        "of AuctionNet's score (CPA may pass the goal at the squared penalty), spend ≤ budget.",
        "*Linear*: the same with one bid multiplier on pValue for the whole day.",
        "",
        "| strategy | score | ceiling: held | scored | linear held | linear scored "
        "| score / held | score / scored |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s, eps in results.items():
        score = sum(e.score for e in eps)
        c = [e.ceiling for e in eps if e.ceiling is not None]
        held, scored = sum(x.held for x in c), sum(x.scored for x in c)
        lin_h, lin_s = sum(x.linear_held for x in c), sum(x.linear_scored for x in c)
        lines.append(
            f"| {NAMES[s]} | {score:.1f} | {held:.1f} | {scored:.1f} | {lin_h:.1f} | {lin_s:.1f} "
            f"| {score / held:.2f} | {score / scored:.2f} |"
        )
    n = len(results)
    mean_held = sum(e.ceiling.held for eps in results.values() for e in eps if e.ceiling) / n
    mean_scored = sum(e.ceiling.scored for eps in results.values() for e in eps if e.ceiling) / n
    baselines = [sum(e.score for e in results[s]) for s in results if s != "project"]
    if baselines:
        bar = 1.10 * max(baselines)
        lines += [
            "",
            f"Ceilings averaged over the strategies' markets: held {mean_held:.1f}, scored "
            f"{mean_scored:.1f}. The issue's bar, 1.10× the best baseline, is {bar:.1f}: "
            f"{bar / mean_held:.2f} of the held ceiling, "
            f"{bar / mean_scored:.2f} of the scored one.",
        ]
    lines += [
        "",
        "Per setting (expected conversions, in the market of the first strategy's episode):",
        "",
        "| player, episode | held | scored | held spend / budget |",
        "|---|---|---|---|",
    ]
    ref = results.get("pid") or next(iter(results.values()))
    for (p, e), ep in zip(settings, ref, strict=True):
        c = ep.ceiling
        assert c is not None
        lines.append(
            f"| {p}, {e} | {c.held:.1f} | {c.scored:.1f} | {100 * c.held_spend / ep.budget:.0f}% |"
        )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--settings", nargs="*", help="player,episode pairs (default: the 11)")
    ap.add_argument("--strategies", nargs="*", default=STRATEGIES, choices=STRATEGIES)
    ap.add_argument("--out-dir", type=Path, default=REPO / "runs" / "auctionnet")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument(
        "--reuse",
        choices=["none", "baselines", "all"],
        default="none",
        help="read back finished episodes already in --out-dir: PID and OnlineLp "
        "(they are seeded), or all (to rewrite a finished run's table)",
    )
    a = ap.parse_args()
    settings = [tuple(map(int, s.split(","))) for s in a.settings] if a.settings else DEV_SETTINGS
    if not (VENV / "bin" / "python").exists():
        raise SystemExit(f"no AuctionNet venv at {VENV}: see {HOME / 'README.md'}")
    prepare_work()
    a.out_dir = a.out_dir.resolve()
    a.out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[Episode]] = {s: [] for s in a.strategies}
    n, k = len(settings) * len(a.strategies), 0
    for p, e in settings:
        for s in a.strategies:
            k += 1
            ep = play(s, p, e, a.out_dir, a.reuse)
            results[s].append(ep)
            print(
                f"[{k}/{n}] {s:9s} player {p:2d} episode {e}: score {ep.score:5.1f}, "
                f"{ep.conversions:3.0f} conversions, spent {100 * ep.cost / ep.budget:3.0f}%, "
                f"CPA/goal {ep.cost / max(ep.conversions, 1e-9) / ep.goal:.2f} ({ep.wall_s} s"
                + (", read back)" if ep.reused else ")"),
                flush=True,
            )
    cmd = "python bench/auctionnet.py" + (
        " --settings " + " ".join(f"{p},{e}" for p, e in settings) if a.settings else ""
    )
    if a.reuse != "none":
        cmd += f" --reuse {a.reuse}"
    body = report(results, list(settings), cmd)
    print(body)
    if not a.no_write and settings == DEV_SETTINGS and set(a.strategies) == set(STRATEGIES):
        write_section(SECTION, body)


if __name__ == "__main__":
    main()
