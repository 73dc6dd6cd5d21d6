"""The ads benchmark's write-up: markdown tables and plots of `bench.ads.analyse`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bench.report import REPO, commit, machine, today
from unifeed.ads.calibration import FREQUENCY_BUCKETS
from unifeed.sim.advertisers import WEAROUT
from unifeed.sim.flight import FlightConfig

IMG = REPO / "docs" / "img"
EARLY = 0.1  # the share of the flight before the pacing check starts


def _fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def render(
    cfg: FlightConfig,
    r: dict[str, Any],
    command: str,
    seconds: float,
    title: str | None = None,
    intro: str | None = None,
    images: bool = True,
) -> str:
    """The section's markdown. `images`: link the plots (only the run that
    draws them should: other sections would show another run's plots)."""
    arms = r["arms"]
    # Ratios only against the baselines this run had.
    baselines = [b for b in ("demographic", "broad") if b in arms] if "automatic" in arms else []
    label = {"demographic": "manual", "broad": "broad"}
    sim = cfg.sim
    lines = [
        "## "
        + (title or "Ads, parts 1 and 2: a campaign flight in the simulated marketplace")
        + " (`bench/ads.py`)",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine()}  ",
        f"Date: {today()}, commit {commit()}, {seconds / 60:.1f} min",
        "",
        f"World: {sim.n_users} users, {sim.items_per_day} posts a day, seed {sim.seed}; "
        f"{cfg.warmup_days} organic days to warm the model up, then a "
        f"{sim.days - cfg.warmup_days}-day flight of {len(r['campaigns'])} campaigns, each "
        f"with a lifetime budget of {cfg.budget_minor / 100:.2f} EUR. Active users open the "
        f"app {cfg.sessions_per_day:g} times a day on average, at moments that follow a "
        "social app's day (busiest in the evening, quietest before dawn); events reach "
        f"the API every {cfg.flush_minutes} simulated minutes; conversions come up to 3 hours "
        "after the click; the model retrains every night. Each arm starts from a copy of the "
        "same warmed-up store and runs the same flight over the real API; only the audience "
        "policy differs (see `bench/ads.py`). The auction's reserve is "
        f"{cfg.reserve_minor:g} minor units per impression: it stands for the rest of the "
        "market's demand, so an ad takes a slot only when it is worth more than that. "
        "Results per euro = attributed results per 100 minor units spent.",
        "",
        *([intro, ""] if intro else []),
        "### Part 1: results per euro, automatic audience against manual targeting and broad",
        "",
        "| campaign | objective | manual targeting | "
        + " | ".join(arms)
        + " |"
        + "".join(f" automatic / {label[b]} |" for b in baselines),
        "|---|---|---|" + "---|" * (len(arms) + len(baselines)),
    ]
    for c in r["campaigns"]:
        t = c["targeting"]
        group = f"{'+'.join(t['genders'])} {t['age_min']}-{t['age_max']}"
        vals = [c[a]["results_per_euro"] for a in arms]
        ratios = [
            _ratio(vals[arms.index("automatic")], c[b]["results_per_euro"]) for b in baselines
        ]
        lines.append(
            f"| {c['product']} | {c['objective']} | {group} | "
            + " | ".join(_fmt(v) for v in vals)
            + " |"
            + "".join(f" {x} |" for x in ratios)
        )
    lines += [
        "",
        "Who each audience reached: the share of a campaign's impressions that went to fans "
        "of the product's topic (users whose largest hidden interest it is; the service never "
        "sees interests), against their share of the population.",
        "",
        "| campaign | population | " + " | ".join(arms) + " |",
        "|---|---|" + "---|" * len(arms),
    ]
    for c in r["campaigns"]:
        lines.append(
            f"| {c['product']} | {c['population_fans']:.0%} | "
            + " | ".join(f"{r['fans_reached'][a][c['advertiser']]:.0%}" for a in arms)
            + " |"
        )
    lines += [
        "",
        "Spend, impressions, reach and results per arm:",
        "",
        "| campaign | " + " | ".join(f"{a} spend / impr. / reach / results" for a in arms) + " |",
        "|---|" + "---|" * len(arms),
    ]
    for c in r["campaigns"]:
        cells = [
            f"{c[a]['spend_minor']} / {c[a]['impressions']} / {c[a]['reach']} / {c[a]['results']}"
            for a in arms
        ]
        lines.append(f"| {c['product']} | " + " | ".join(cells) + " |")
    if "pacing" in r:
        lines += _render_pacing(r, images)
    if images:
        lines += ["", "![results per euro](img/ads_results.png)"]
    lines += [
        "",
        "Runs: "
        + "; ".join(
            f"{a}: {v['feeds']} feeds, {v['ad_impressions']} ad impressions, "
            f"{v['conversions']} conversions, {v['seconds']:.0f} s"
            for a, v in r["runs"].items()
        ),
    ]
    return "\n".join(lines) + "\n"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "–"
    return f"{a / b:.2f}x" if b > 0 else "∞"


def _render_pacing(r: dict[str, Any], images: bool) -> list[str]:
    names = {c["advertiser"]: c["product"] for c in r["campaigns"]}
    lines = [
        "",
        "### Part 2: pacing and goals (automatic arm)",
        "",
        f"Highest-volume campaigns, over the flight after its first {EARLY:.0%}: cumulative "
        "spend against the target curve at every hour, and each hour's own spend against "
        "the hour's share of the budget. The target follows the day's traffic as delivery "
        "learned it from its feed log (simulated people open the app nine times as often at "
        "9 pm as at 4 am). At a handful of impressions an hour, an hour's own spend is noisy "
        "however well it is paced: the last column is the share of hours a perfect pacer "
        "would land within 20% if its impressions arrived at random (Poisson) at the "
        "hour's expected rate.",
        "",
        "| campaign | budget spent | overspent | cumulative: worst deviation | "
        "cumulative: hours within 20% | hourly: median deviation | hourly: hours within 20% | "
        "impressions per hour | Poisson: hours within 20% |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for adv, p in r["pacing"].items():
        lines.append(
            f"| {names[adv]} | {p['spent_share']:.1%} | {'yes' if p['overspent'] else 'no'} | "
            f"{p['max_cumulative_dev']:.1%} | {p['hours_cumulative_within_20']:.0%} | "
            f"{p['median_hourly_dev']:.0%} | {p['hours_hourly_within_20']:.0%} | "
            f"{p['impressions_per_hour']:.1f} | {p['poisson_within_20']:.0%} |"
        )
    arms = r["arms"]
    lines += [
        "",
        "Cost-per-result goals: realised cost per result against the goal, budget spent, and "
        "the AuctionNet score (results × min(1, (goal / realised cost per result)²)), per arm.",
        "",
        "| campaign | goal | " + " | ".join(f"{a}: CPR / goal, spent, score" for a in arms) + " |",
        "|---|---|" + "---|" * len(arms),
    ]
    for adv, g in r["goals"].items():
        cells = [
            f"{_fmt(g[a]['cpr_vs_goal'])}, {g[a]['spent_share']:.0%}, {g[a]['auctionnet']:.1f}"
            for a in arms
        ]
        lines.append(f"| {names[adv]} | {g['goal_minor']} | " + " | ".join(cells) + " |")
    cal = r["calibration"]
    if images:
        lines += ["", "![pacing](img/ads_pacing.png)"]
    lines += [
        "",
        f"Calibration of p(result) in the automatic arm: {cal['n']} ad impressions (awareness "
        "left out: its result is the impression), ten buckets of equal count. Observed is the "
        "results per impression: p(result) is the results an impression is expected to bring, "
        "and an engagement impression can bring two (a like and a long view).",
        "",
        "| bucket | impressions | predicted | observed |",
        "|---|---|---|---|",
    ]
    for k, b in enumerate(cal["buckets"]):
        lines.append(f"| {k + 1} | {b['n']} | {b['predicted']:.4f} | {b['observed']:.4f} |")
    lines += ["", "| objective | impressions | mean predicted | observed |", "|---|---|---|---|"]
    for obj, b in cal["by_objective"].items():
        lines.append(f"| {obj} | {b['n']} | {b['predicted']:.4f} | {b['observed']:.4f} |")
    lines += [
        "",
        "By how often the viewer had seen the campaign's ads before (ads wear out in the "
        f"simulator: each earlier view multiplies p(click) by {WEAROUT}; delivery learns the curve "
        "from billed impressions, one for viewers who clicked the campaign before and one for "
        "those who did not, so repeat views go mostly to the first):",
        "",
        "| earlier views | impressions | mean predicted | observed |",
        "|---|---|---|---|",
    ]
    for f, b in cal.get("by_earlier_views", {}).items():
        label = f"{f}+" if int(f) == FREQUENCY_BUCKETS - 1 else str(f)
        lines.append(f"| {label} | {b['n']} | {b['predicted']:.4f} | {b['observed']:.4f} |")
    if images:
        lines += [
            "",
            "![calibration](img/ads_calibration.png)",
            "",
            "The automatic arm's highest-volume traffic campaign as its advertiser sees it "
            "(`GET /v1/campaigns/$ID/report.png`, at the end of the flight):",
            "",
            "![a campaign's report](img/ads_report.png)",
        ]
    return lines


def report_picture(
    outcomes: dict[str, Any], advertisers: list[Any], img: Path = IMG
) -> Path | None:
    """The automatic arm's highest-volume traffic campaign's report as the
    API draws it, from the report the flight fetched from the API."""
    from unifeed.ads.report_chart import png

    arm = outcomes.get("automatic")
    pick = [
        a
        for a in advertisers
        if a.objective == "traffic" and a.bid_strategy["type"] == "highest_volume"
    ]
    if arm is None or not pick or pick[0].id not in arm.reports:
        return None
    out = img / "ads_report.png"
    out.write_bytes(png(arm.reports[pick[0].id]))
    return out


def plots(r: dict[str, Any], img: Path = IMG) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    img.mkdir(parents=True, exist_ok=True)
    out = []
    arms = r["arms"]
    camps = r["campaigns"]
    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.8 / len(arms)
    for k, a in enumerate(arms):
        ax.bar(
            np.arange(len(camps)) + k * width,
            [c[a]["results_per_euro"] for c in camps],
            width,
            label=a,
        )
    ax.set_xticks(np.arange(len(camps)) + width * (len(arms) - 1) / 2)
    ax.set_xticklabels(
        [f"{c['objective']}\n{c['strategy'].replace('_', ' ')}" for c in camps], fontsize=8
    )
    ax.set_yscale("log")
    ax.set_ylabel("results per euro (log)")
    ax.legend()
    ax.set_title("Results per euro by campaign and audience")
    fig.tight_layout()
    out.append(img / "ads_results.png")
    fig.savefig(out[-1], dpi=110)
    plt.close(fig)
    if "pacing_curves" in r:
        fig, ax = plt.subplots(figsize=(8, 4))
        for c in camps:
            curve = r["pacing_curves"][c["advertiser"]]
            budget = curve[-1]["target_minor"] or 1
            ax.plot([h["spend_minor"] / budget for h in curve], label=c["objective"], lw=1)
        ax.plot([h["target_minor"] / budget for h in curve], "k--", lw=1.5, label="target")
        ax.set_xlabel("hour of the flight")
        ax.set_ylabel("cumulative spend / budget")
        ax.legend(fontsize=7)
        ax.set_title("Spend against the target curve (automatic arm)")
        fig.tight_layout()
        out.append(img / "ads_pacing.png")
        fig.savefig(out[-1], dpi=110)
        plt.close(fig)
        buckets = r["calibration"]["buckets"]
        if buckets:
            fig, ax = plt.subplots(figsize=(4.5, 4.5))
            pred = [b["predicted"] for b in buckets]
            obs = [b["observed"] for b in buckets]
            top = max(max(pred), max(obs)) * 1.1
            ax.plot([0, top], [0, top], "k--", lw=1)
            ax.plot(pred, obs, "o-")
            ax.set_xlabel("predicted p(result)")
            ax.set_ylabel("observed results per impression")
            ax.set_title("Calibration by bucket")
            fig.tight_layout()
            out.append(img / "ads_calibration.png")
            fig.savefig(out[-1], dpi=110)
            plt.close(fig)
    return out
