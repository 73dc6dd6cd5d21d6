"""The report's picture draws the report's own numbers."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.image import imread

from unifeed.ads.report_chart import figure, major, png


def a_report(currency: str = "EUR") -> dict[str, Any]:
    hours = [f"2026-03-02T{h:02d}:00:00+00:00" for h in range(1, 5)]
    shares = {
        "impressions": {"35-44": 0.75, "25-34": 0.25},
        "results": {"25-34": 1.0},
        "population": {"18-24": 0.5, "25-34": 0.3, "35-44": 0.2},
    }
    return {
        "campaign": "c1",
        "objective": "sales",
        "currency": currency,
        "budget_minor": 3_000,
        "spend_minor": 450,
        "impressions": 40,
        "reach": 31,
        "results": 3,
        "cost_per_result_minor": 150.0,
        "pacing": [
            {"hour": h, "spend_minor": s, "target_minor": t}
            for h, s, t in zip(hours, [100, 200, 300, 450], [125, 250, 375, 500], strict=True)
        ],
        "delivery": {"status": "on track"},
        "audience": {
            "age": shares,
            "gender": {"impressions": {}, "results": {}, "population": {"f": 0.5, "m": 0.5}},
            "interest": {"impressions": {"food": 1.0}, "results": {}, "population": {"food": 1.0}},
        },
    }


def test_the_pacing_panel_draws_spend_and_target_in_major_units() -> None:
    fig = figure(a_report())
    pacing = fig.axes[0]
    spend, target = (line.get_ydata() for line in pacing.get_lines()[:2])
    assert np.allclose(spend, [1.0, 2.0, 3.0, 4.5])
    assert np.allclose(target, [1.25, 2.5, 3.75, 5.0])
    title = pacing.get_title(loc="left")
    assert "4.50 of 30.00 EUR spent" in title and "1.50 EUR per result" in title
    assert title.startswith("campaign c1 (sales): on track\n")


def test_the_audience_panels_draw_the_shares_against_everyone() -> None:
    fig = figure(a_report())
    age = fig.axes[1]
    labels = [t.get_text() for t in age.get_xticklabels()]
    assert labels == ["25-34", "35-44"]  # the bands the ads reached, in age order
    heights = [round(p.get_height(), 6) for p in age.patches]  # series by series
    assert heights == [0.25, 0.75, 1.0, 0.0, 0.3, 0.2]
    # Nobody reached yet: the dimension shows the population's values.
    gender = fig.axes[2]
    assert [t.get_text() for t in gender.get_xticklabels()] == ["f", "m"]


def test_minor_units_follow_the_currency() -> None:
    assert major(1_500, "EUR") == 15.0
    assert major(1_500, "JPY") == 1_500.0
    assert major(1_500, "KWD") == 1.5
    title = figure(a_report("JPY")).axes[0].get_title(loc="left")
    assert "450.00 of 3000.00 JPY spent" in title


def test_the_png_is_an_image() -> None:
    image = imread(io.BytesIO(png(a_report())), format="png")
    assert image.shape[0] > 400 and image.shape[1] > 600


def test_a_campaign_not_started_draws_empty_panels() -> None:
    """Scheduled: no hour, no impression, no result, nobody on the platform yet."""
    r = a_report()
    r["pacing"], r["cost_per_result_minor"] = [], None
    for shares in r["audience"].values():
        for key in shares:
            shares[key] = {}
    fig = figure(r)
    assert len(fig.axes[0].get_lines()[0].get_ydata()) == 0
    assert "no result yet" in fig.axes[0].get_title(loc="left")
    assert png(r).startswith(b"\x89PNG")
