"""Two runs of `bench/ads.py --part sim` side by side: a baseline commit and a change.

Issue 24's check in Unifeed's own simulator: every objective but awareness
at least 2× manual targeting, the automatic arm's results per euro within 5%
of the baseline's or better, highest-volume budgets 98-100% spent and never
over, pacing at least the baseline's. Both runs must use the same command
(same world, seed, flight and budgets); this script only reads their
`result.json` files and writes the comparison.

    python bench/ads_compare.py --base runs/ads-base/result.json \\
        --change runs/ads-branch/result.json --command "..." --section ads-sim-i24
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import write_section


def _ratio(a: float, b: float) -> str:
    if b == 0:
        return "∞" if a else "–"
    return f"{a / b:.2f}x"


def _manual(row: dict[str, Any]) -> str:
    """Automatic over manual (demographic) results per euro; "n/a" for a run without that arm."""
    if "demographic" not in row:
        return "n/a"
    return _ratio(row["automatic"]["results_per_euro"], row["demographic"]["results_per_euro"])


def compare(base: dict[str, Any], change: dict[str, Any], labels: tuple[str, str]) -> list[str]:
    lb, lc = labels
    lines = [
        "### Results per euro (part 1)",
        "",
        f"| campaign | objective | strategy | automatic / manual: {lb} | {lc} "
        f"| automatic results per euro: {lb} | {lc} | {lc} / {lb} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    logs = []
    for rb, rc in zip(base["campaigns"], change["campaigns"], strict=True):
        assert rb["advertiser"] == rc["advertiser"]
        ab, ac = rb["automatic"]["results_per_euro"], rc["automatic"]["results_per_euro"]
        if ab > 0 and ac > 0:
            logs.append(math.log(ac / ab))
        lines.append(
            f"| {rb['product']} | {rb['objective']} | {rb['strategy']} | {_manual(rb)} "
            f"| {_manual(rc)} | {ab:.2f} | {ac:.2f} | {_ratio(ac, ab)} |"
        )
    geo = math.exp(sum(logs) / len(logs)) if logs else float("nan")
    lines += [
        "",
        f"Automatic arm, {lc} / {lb} results per euro, geometric mean over the campaigns: "
        f"**{geo:.2f}x**.",
        "",
        "### Highest-volume pacing (part 2, automatic arm)",
        "",
        "| campaign | budget spent | overspent | cumulative: worst deviation | cumulative: "
        "hours within 20% | hourly: median deviation | hourly: hours within 20% | Poisson "
        "floor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for aid, pb in base["pacing"].items():
        pc = change["pacing"][aid]
        name = next(r["product"] for r in base["campaigns"] if str(r["advertiser"]) == str(aid))
        lines.append(
            f"| {name} | {100 * pb['spent_share']:.1f}% → {100 * pc['spent_share']:.1f}% "
            f"| {'yes' if pb['overspent'] else 'no'} → {'yes' if pc['overspent'] else 'no'} "
            f"| {100 * pb['max_cumulative_dev']:.1f}% → {100 * pc['max_cumulative_dev']:.1f}% "
            f"| {100 * pb['hours_cumulative_within_20']:.0f}% → "
            f"{100 * pc['hours_cumulative_within_20']:.0f}% "
            f"| {100 * pb['median_hourly_dev']:.0f}% → {100 * pc['median_hourly_dev']:.0f}% "
            f"| {100 * pb['hours_hourly_within_20']:.0f}% → "
            f"{100 * pc['hours_hourly_within_20']:.0f}% "
            f"| {100 * pc['poisson_within_20']:.0f}% |"
        )
    lines += [
        "",
        "### Cost-per-result goals (all arms)",
        "",
        "| campaign | goal | arm | CPR / goal | spent | score |",
        "|---|---|---|---|---|---|",
    ]
    for aid, gb in base.get("goals", {}).items():
        gc = change["goals"][aid]
        name = next(r["product"] for r in base["campaigns"] if str(r["advertiser"]) == str(aid))
        for arm in change["arms"]:
            if arm not in gb:
                continue
            xb, xc = gb[arm], gc[arm]

            def cpr(x: dict[str, Any]) -> str:
                return f"{x['cpr_vs_goal']:.2f}" if x["cpr_vs_goal"] else "–"

            lines.append(
                f"| {name} | {gb['goal_minor']} | {arm} | {cpr(xb)} → {cpr(xc)} "
                f"| {100 * xb['spent_share']:.0f}% → {100 * xc['spent_share']:.0f}% "
                f"| {xb['auctionnet']:.1f} → {xc['auctionnet']:.1f} |"
            )
    runs = []
    for label, r in ((lb, base), (lc, change)):
        runs.append(
            f"{label}: "
            + "; ".join(
                f"{arm} {x['feeds']} feeds, {x['ad_impressions']} ad impressions, "
                f"{x['conversions']} conversions, {x['seconds']:.0f} s"
                for arm, x in r["runs"].items()
            )
        )
    lines += ["", "Runs: " + " · ".join(runs)]
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", type=Path, required=True)
    p.add_argument("--change", type=Path, required=True)
    p.add_argument("--labels", default="main,branch", help="two comma-separated names")
    p.add_argument("--title", default="Ads in the simulator: baseline against change")
    p.add_argument("--intro", default="", help="the commands, commits, machine and load")
    p.add_argument("--section", default=None, help="docs/benchmarks.md section to write")
    a = p.parse_args(argv)
    labels = tuple(a.labels.split(","))
    assert len(labels) == 2
    base, change = (json.loads(x.read_text()) for x in (a.base, a.change))
    body = "\n".join([f"## {a.title}", "", a.intro, "", *compare(base, change, labels)])  # type: ignore[arg-type]
    print(body)
    if a.section:
        write_section(a.section, body)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
