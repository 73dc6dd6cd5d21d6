"""The simulator's report: a summary dict for the command line and one HTML page.

The page is self-contained (plots embedded as base64 PNG), so it can be
mailed or archived as one file. Plots are drawn on `matplotlib.figure.Figure`
objects, never through pyplot, so nothing global is touched and no display
is needed.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from unifeed.sim.market_result import MarketResult
    from unifeed.sim.run import ArmResult, SimResult

# Unifeed must beat popularity by this factor on the last simulated day.
TARGET_RATIO = 1.5

ENGAGEMENT_DEFINITION = (
    "Engagement per impression = (clicks + likes + long views) / impressions, over the "
    "feeds served that day. Every item in a returned feed counts as one impression. "
    "Likes and long views only happen after a click, so a single item contributes 0 to 3. "
    "Hides are not subtracted; they are reported separately as the hide rate "
    "(hides / impressions)."
)

# Same colour for an arm in every plot.
COLOURS = {"model": "#1f77b4", "popularity": "#ff7f0e", "random": "#7f7f7f"}
LABELS = {"model": "Unifeed (model)", "popularity": "popularity", "random": "random"}


def summarize(result: SimResult, target: float = TARGET_RATIO) -> dict[str, Any]:
    """Per-arm figures and the verdict: last-day engagement of model vs popularity."""
    arms: dict[str, Any] = {}
    for name, arm in result.arms.items():
        last = arm.days[-1]
        arms[name] = {
            "last_day_engagement": last.engagement,
            "last_day_click_rate": last.click_rate,
            "last_day_hide_rate": last.hide_rate,
            "overall_engagement": arm.overall_engagement,
            "impressions": sum(d.impressions for d in arm.days),
            "engagement_actions": sum(d.engaged for d in arm.days),
            "seconds": arm.seconds,
        }
    out: dict[str, Any] = {
        "days": len(next(iter(result.arms.values())).days) if result.arms else 0,
        "arms": arms,
        "target_ratio": target,
        "ratio": None,
        "passed": None,
        "seconds": result.seconds,
        "encoder": result.encoder,
    }
    if "model" in arms and "popularity" in arms:
        pop = arms["popularity"]["last_day_engagement"]
        mod = arms["model"]["last_day_engagement"]
        ratio = mod / pop if pop > 0 else float("inf")
        out["ratio"] = ratio
        out["passed"] = bool(ratio >= target)
    return out


def write_report(
    result: SimResult,
    out_dir: Path,
    target: float = TARGET_RATIO,
    market: MarketResult | None = None,
) -> Path:
    """Write ``report.html`` and ``summary.json`` into `out_dir`; return the HTML path.

    `market`: the demo's market phase, whose sections follow the arms'."""
    from unifeed.sim.market_report import market_summary, render_market

    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summarize(result, target)
    page = render_html(result, summary).replace(_MARKET, render_market(market))
    path = out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    data = {
        "summary": summary,
        "config": result.config.to_dict(),
        "world": result.world,
        "daily": {name: [d.to_dict() for d in arm.days] for name, arm in result.arms.items()},
        "market": None if market is None else market_summary(market),
    }
    (out_dir / "summary.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def render_html(result: SimResult, summary: dict[str, Any]) -> str:
    arms = result.arms
    plots = [
        _plot(
            arms,
            "Engagement per impression, by day",
            "engagement per impression",
            _daily,
            summary["target_ratio"],
        ),
        _plot(arms, "Cumulative engagement actions", "clicks + likes + long views", _cumulative),
        _plot(arms, "Hide rate, by day", "hides per impression", _hides),
    ]
    images = "\n".join(
        f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,{png}"></figure>'
        for title, png in plots
    )
    return _PAGE.format(
        verdict=_verdict(summary),
        definition=html.escape(ENGAGEMENT_DEFINITION),
        images=images,
        summary_table=_summary_table(summary),
        daily_table=_daily_table(arms),
        world_table=_world_table(result),
        config=html.escape(json.dumps(result.config.to_dict(), indent=2)),
        response=html.escape(json.dumps(result.response, indent=2)),
    )


# ------------------------------------------------------------------ plots
def _daily(arm: ArmResult) -> list[float]:
    return [d.engagement for d in arm.days]


def _cumulative(arm: ArmResult) -> list[float]:
    total, out = 0, []
    for d in arm.days:
        total += d.engaged
        out.append(float(total))
    return out


def _hides(arm: ArmResult) -> list[float]:
    return [d.hide_rate for d in arm.days]


def _plot(
    arms: dict[str, ArmResult],
    title: str,
    ylabel: str,
    series: Any,
    target: float | None = None,
) -> tuple[str, str]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.5, 3.6), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for name, arm in arms.items():
        days = [d.day + 1 for d in arm.days]
        ax.plot(
            days,
            series(arm),
            marker="o",
            linewidth=2,
            color=COLOURS.get(name),
            label=LABELS.get(name, name),
        )
    if target is not None and "popularity" in arms:
        pop = arms["popularity"]
        ax.plot(
            [d.day + 1 for d in pop.days],
            [target * v for v in series(pop)],
            linestyle="--",
            linewidth=1.2,
            color=COLOURS["popularity"],
            label=f"target: {target:g} × popularity",
        )
    ax.set_title(title)
    ax.set_xlabel("simulated day")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    if arms:
        n_days = max(len(a.days) for a in arms.values())
        ax.set_xticks(range(1, n_days + 1))
    # Outside the axes, so it never hides a line.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return title, base64.b64encode(buf.getvalue()).decode("ascii")


# ------------------------------------------------------------------ tables
def _verdict(summary: dict[str, Any]) -> str:
    ratio = summary["ratio"]
    if ratio is None:
        return "<p>No model-vs-popularity comparison in this run.</p>"
    ok = summary["passed"]
    arms = summary["arms"]
    return (
        f'<p class="{"pass" if ok else "fail"}"><strong>{"PASS" if ok else "FAIL"}</strong>: '
        f"on the last day Unifeed's engagement per impression is "
        f"{arms['model']['last_day_engagement']:.3f} against popularity's "
        f"{arms['popularity']['last_day_engagement']:.3f}, a ratio of {ratio:.2f} "
        f"(target: at least {summary['target_ratio']:.1f}).</p>"
    )


def _summary_table(summary: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(LABELS.get(n, n))}</td>"
        f"<td>{a['last_day_engagement']:.3f}</td><td>{a['last_day_click_rate']:.3f}</td>"
        f"<td>{a['last_day_hide_rate']:.3f}</td><td>{a['overall_engagement']:.3f}</td>"
        f"<td>{a['impressions']:,}</td><td>{a['seconds']:.0f}</td></tr>"
        for n, a in summary["arms"].items()
    )
    return (
        "<table><tr><th>arm</th><th>last-day engagement</th><th>last-day click rate</th>"
        "<th>last-day hide rate</th><th>engagement, all days</th><th>impressions</th>"
        f"<th>seconds</th></tr>{rows}</table>"
    )


def _daily_table(arms: dict[str, ArmResult]) -> str:
    columns = (
        "arm", "day", "feeds", "fallback feeds", "impressions", "fresh", "organic", "clicks",
        "likes", "long views", "hides", "engagement", "hide rate", "train s",
    )  # fmt: skip
    head = "<tr>" + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"
    rows = []
    for name, arm in arms.items():
        for d in arm.days:
            train = "-" if d.train_seconds is None else f"{d.train_seconds:.1f}"
            rows.append(
                f"<tr><td>{html.escape(LABELS.get(name, name))}</td><td>{d.day + 1}</td>"
                f"<td>{d.feeds}</td><td>{d.fallback_feeds}</td><td>{d.impressions}</td>"
                f"<td>{d.fresh_impressions}</td><td>{d.organic}</td><td>{d.clicks}</td><td>{d.likes}</td><td>{d.long_views}</td><td>{d.hides}</td>"
                f"<td>{d.engagement:.3f}</td><td>{d.hide_rate:.3f}</td><td>{train}</td></tr>"
            )
    return f"<table>{head}{''.join(rows)}</table>"


def _world_table(result: SimResult) -> str:
    w = result.world
    rows = [
        ("users", f"{w['users']:,}"),
        ("creators", f"{w['creators']:,}"),
        ("items (all days)", f"{w['items']:,} ({w['items_per_day']} new per day)"),
        ("feed size", str(result.config.feed_size)),
        ("share of users active on a day", f"{result.config.active_share:.0%}"),
        ("items a user finds outside the feed per day", str(result.config.organic_per_day)),
        ("topics", ", ".join(w["topics"])),
        ("mean share of a user's interest in their top topic", f"{w['mean_top_interest']:.2f}"),
        (
            "mean topics covering 80% of a user's interest",
            f"{w['mean_topics_for_80pct_interest']:.1f}",
        ),
        ("text encoder of the service", result.encoder),
    ]
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


_MARKET = "<!-- market -->"  # where the market's sections go
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Unifeed marketplace simulation</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }}
th {{ background: #f4f4f4; }}
td:first-child, th:first-child {{ text-align: left; }}
figure {{ margin: 1rem 0; }} img {{ max-width: 100%; }}
.pass {{ color: #17692e; }} .fail {{ color: #a11; }}
pre {{ background: #f7f7f7; padding: 0.6rem; font-size: 0.8rem; overflow-x: auto; }}
.conv {{ border-left: 3px solid #ccc; padding-left: 0.8rem; margin: 1rem 0; }}
</style></head><body>
<h1>Unifeed marketplace simulation</h1>
<p>The same seeded world (users, creators, posts) and the same seeded user behaviour
were run three times against the real feed API, each arm with its own store and server:
Unifeed's learned model (retrained at the end of every simulated day), a popularity
ranker and a random ranker. Each day creators post new items, the day's active users
fetch a feed, and their responses (drawn from a hidden ground-truth model the service
never sees) are sent back as events, along with what they did with a few items they found
outside the feed.</p>
{verdict}
<h2>Engagement</h2>
<p>{definition}</p>
{summary_table}
{images}
<h2>Per day</h2>
<p>Fallback feeds: feeds the service answered with its fallback ranking (popularity),
e.g. for the model arm before its first checkpoint. Fresh: impressions of items posted
that same day, which no model has trained on; they are ranked from their text. Organic:
items users found outside the feed (search, shares, creators they follow), drawn the
same way in every arm; their events go to the service (so popularity and the model
learn from them) but they are not feed impressions and do not count in engagement.</p>
{daily_table}
<!-- market -->
<h2>World</h2>
{world_table}
<h3>Simulation settings</h3>
<pre>{config}</pre>
<h3>Hidden response model</h3>
<pre>{response}</pre>
</body></html>
"""
