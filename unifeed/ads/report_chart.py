"""A campaign's report as one picture: spend against its target, and whom it found.

Drawn from the report itself (`unifeed.ads.report.campaign_report`), so the
picture and the numbers cannot disagree. It uses matplotlib's object API
(no pyplot): each request draws on its own Figure, with no global state
shared between the server's threads.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from matplotlib.figure import Figure

from unifeed.ads.audience_groups import AGE_BANDS, age_band

# The dimensions drawn, and how many of each one's values at most (by share
# of impressions): interests and countries can be many.
DIMENSIONS = (("age", 8), ("gender", 4), ("interest", 6))
SERIES = (("impressions", "impressions"), ("results", "results"), ("population", "everyone"))
AGE_ORDER = ["under 13", *(age_band(lo) for lo, _ in AGE_BANDS), "unknown"]
# ISO 4217 currencies whose minor unit is not a hundredth of the major one.
MINOR_DIGITS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG"), 0),
    **dict.fromkeys(("RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


def major(amount_minor: float, currency: str) -> float:
    """An amount in minor units, in the currency's major unit."""
    return amount_minor / 10 ** MINOR_DIGITS.get(currency, 2)


def figure(r: dict[str, Any]) -> Figure:
    """Top: cumulative spend and the target curve by hour, in major units.
    Below: per dimension, the shares of impressions, of results and of the
    platform's population."""
    fig = Figure(figsize=(10, 7), layout="constrained")
    grid = fig.add_gridspec(2, len(DIMENSIONS))
    pacing = fig.add_subplot(grid[0, :])
    cur = r["currency"]
    hours = [datetime.fromisoformat(h["hour"]) for h in r["pacing"]]
    pacing.plot(hours, [major(h["spend_minor"], cur) for h in r["pacing"]], label="spend", lw=2)
    pacing.plot(hours, [major(h["target_minor"], cur) for h in r["pacing"]], "k--", label="target")
    pacing.axhline(major(r["budget_minor"], cur), color="grey", lw=0.8, label="budget")
    pacing.set_ylabel(f"cumulative spend ({cur})")
    pacing.legend(loc="upper left")
    pacing.set_title(_title(r), loc="left", fontsize=10)
    for k, (dim, most) in enumerate(DIMENSIONS):
        ax = fig.add_subplot(grid[1, k])
        shares = r["audience"][dim]
        values = list(shares["impressions"])[:most] or list(shares["population"])[:most]
        if dim == "age":  # bands read in their own order
            values.sort(key=AGE_ORDER.index)
        width = 0.8 / len(SERIES)
        for s, (key, label) in enumerate(SERIES):
            xs = [v + (s - 1) * width for v in range(len(values))]
            ax.bar(xs, [shares[key].get(v, 0.0) for v in values], width, label=label)
        ax.set_xticks(range(len(values)), values, rotation=45, ha="right", fontsize=8)
        ax.set_title(dim, fontsize=10)
        ax.set_ylabel("share")
        if k == 0:
            ax.legend(fontsize=8)
    return fig


def png(r: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    figure(r).savefig(buf, format="png", dpi=90)
    return buf.getvalue()


def _title(r: dict[str, Any]) -> str:
    cur, cost = r["currency"], r["cost_per_result_minor"]
    per = "no result yet" if cost is None else f"{major(cost, cur):.2f} {cur} per result"
    return (
        f"campaign {r['campaign']} ({r['objective']}): {r['delivery']['status']}\n"
        f"{major(r['spend_minor'], cur):.2f} of {major(r['budget_minor'], cur):.2f} {cur} spent, "
        f"{r['impressions']} impressions, reach {r['reach']}, {r['results']} results, {per}"
    )
