"""The charts' geometry: axis labels fit inside the picture, whatever their length."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from unifeed.web import charts, formats

# A generous width for one character of the 12px tick labels (digits are ~0.55em).
EM = 12
CHAR = 0.6 * EM


@pytest.mark.parametrize("budget_minor", [500, 50_000, 1_250_000, 987_654_321])
def test_the_spend_axis_labels_are_never_cut_off(budget_minor: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    times = [start + timedelta(hours=h) for h in range(3)]
    ch = charts.line_chart(
        "c",
        "Spend",
        "",
        times,
        [("budget", "budget", [float(budget_minor)] * 3)],
        lambda v: formats.money(v, "EUR"),
    )
    widest = max(len(t.label) for t in ch.y_ticks)
    # Labels end 6 units left of the plot (the template's `ch.left - 6`), anchored there.
    assert ch.left - 6 - CHAR * widest >= 0, (ch.left, [t.label for t in ch.y_ticks])
    # The lines start where the axis does, and the top label is the budget's axis top.
    first_x = float(ch.lines[0].points.split()[0].split(",")[0])
    assert first_x == ch.left
    assert ch.y_ticks[-1].label == formats.money(charts.nice_max(budget_minor), "EUR")


def test_a_short_axis_keeps_the_usual_margin() -> None:
    times = [datetime(2026, 1, 1, tzinfo=UTC)]
    ch = charts.line_chart("c", "Results", "", times, [("r", "s2", [3.0])], formats.count)
    assert ch.left == charts.LEFT
