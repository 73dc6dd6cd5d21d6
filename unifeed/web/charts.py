"""Charts as geometry: the server works out where every line, bar and tick goes,
and a template (`templates/_charts.html`) writes them as inline SVG.

No chart library and no script: the picture arrives with the page, scales
with it, and reads the same to a screen reader, since every chart has a
title, a one-line summary and its numbers as a table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 36  # the plot's margins, for the axes' labels
# Room per character of a y-axis label (12px text; digits are about 0.55em wide,
# so this errs wide): the left margin grows with the longest label, which the
# SVG would otherwise cut off at its edge ("500.00 EUR" read as "00.00 EUR").
TICK_CHAR, TICK_GAP = 7.2, 12


@dataclass(frozen=True)
class Tick:
    at: float  # the position along its axis, in SVG units
    label: str


@dataclass(frozen=True)
class Line:
    name: str
    css: str  # the stroke's class: s1, s2, target, ...
    points: str  # "x,y x,y ..." for a polyline


@dataclass(frozen=True)
class Table:
    """The chart's numbers, for the table beside it."""

    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass(frozen=True)
class LineChart:
    id: str
    title: str
    summary: str
    lines: list[Line]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    table: Table
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def nice_max(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above x (an axis' top)."""
    if x <= 0:
        return 1.0
    base = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * base >= x * (1 - 1e-9):
            return m * base
    return 10 * base


def line_chart(
    id: str,
    title: str,
    summary: str,
    times: Sequence[datetime],
    series: Sequence[tuple[str, str, Sequence[float]]],
    fmt: Callable[[float], str],
) -> LineChart:
    """Lines over time. `series`: (name, css class, values at `times`)."""
    top = nice_max(max((v for _, _, vs in series for v in vs), default=0.0))
    labels = [fmt(top * k / 4) for k in range(5)]
    left = max(LEFT, math.ceil(TICK_CHAR * max(len(t) for t in labels)) + TICK_GAP)
    x0, x1, y0, y1 = left, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP
    n = len(times)

    def x(i: int) -> float:
        return x0 + (x1 - x0) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return y0 - (y0 - y1) * (v / top)

    lines = [
        Line(name, css, " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vs)))
        for name, css, vs in series
    ]
    y_ticks = [Tick(y(top * k / 4), label) for k, label in enumerate(labels)]
    x_ticks = []
    if n:
        for i in sorted({0, n // 2, n - 1}):
            x_ticks.append(Tick(x(i), f"{times[i]:%b %d %H:%M}"))
    rows = [
        (f"{t:%Y-%m-%d %H:%M}", *(fmt(vs[i]) for _, _, vs in series)) for i, t in enumerate(times)
    ]
    table = Table(("time (UTC)", *(name for name, _, _ in series)), rows)
    return LineChart(id, title, summary, lines, x_ticks, y_ticks, table, left=left)


@dataclass(frozen=True)
class Bar:
    y: float
    width: float
    css: str
    label: str  # the value, written at the bar's end


@dataclass(frozen=True)
class BarGroup:
    label: str
    y: float  # the middle of the group, for its label
    bars: list[Bar]


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    summary: str
    groups: list[BarGroup]
    legend: list[tuple[str, str]]  # (name, css)
    table: Table
    height: int
    width: int = WIDTH
    left: int = 120  # room for the categories' names
    bar_height: int = 10


def bar_chart(
    id: str,
    title: str,
    summary: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, str, dict[str, float]]],
) -> BarChart:
    """Shares per category, one bar per series, horizontally (long names fit).
    `series`: (name, css class, share by category)."""
    bar, gap = 10, 10
    left, right = 120, WIDTH - 56
    top = max((s.get(c, 0.0) for _, _, s in series for c in categories), default=0.0) or 1.0
    groups, y = [], 8.0
    for cat in categories:
        bars = []
        for k, (_, css, shares) in enumerate(series):
            v = shares.get(cat, 0.0)
            bars.append(Bar(y + k * bar, (right - left) * v / top, css, f"{100 * v:.0f}%"))
        groups.append(BarGroup(cat, y + len(series) * bar / 2, bars))
        y += len(series) * bar + gap
    rows = [(c, *(f"{100 * s.get(c, 0.0):.1f}%" for _, _, s in series)) for c in categories]
    table = Table(("", *(name for name, _, _ in series)), rows)
    legend = [(name, css) for name, css, _ in series]
    return BarChart(id, title, summary, groups, legend, table, int(y + 4), WIDTH, left, bar)
