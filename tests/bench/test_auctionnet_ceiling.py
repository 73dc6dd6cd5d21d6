"""The hindsight ceiling of an AuctionNet setting, on markets small enough to solve by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.auctionnet_ceiling import ceiling


def market(tmp_path: Path, prices: list[float], second: float = 0.0) -> Path:
    """Four opportunities of pValue 0.1; the others' bids: `prices` on top,
    then `second` (0: slots 2 and 3 unsold)."""
    n = len(prices)
    others = np.zeros((n, 3), dtype=np.float32)
    others[:, 0] = prices
    others[:, 1] = second
    path = tmp_path / "m.npz"
    np.savez(
        path,
        tick=np.zeros(n, dtype=np.int8),
        pvalue=np.full(n, 0.1, dtype=np.float32),
        others=others,
        bid=np.zeros(n, dtype=np.float32),
    )
    return path


def test_the_held_ceiling_is_the_days_linear_programme(tmp_path: Path) -> None:
    m = market(tmp_path, [1.0, 2.0, 3.0, 4.0])  # 10, 20, 30, 40 per conversion
    # A goal of 25 per conversion allows all four (average 25).
    assert ceiling(m, budget=100.0, goal=25.0).held == pytest.approx(0.4, rel=1e-3)
    # A budget of 4.5 buys the two cheapest and half the third.
    c = ceiling(m, budget=4.5, goal=25.0)
    assert c.held == pytest.approx(0.25, rel=1e-3) and c.held_spend <= 4.5 + 1e-6
    # A goal of 10 allows the cheapest only, and the score agrees: paying
    # over the goal costs more (squared) than the conversions bring.
    c = ceiling(m, budget=100.0, goal=10.0)
    assert c.held == pytest.approx(0.1, rel=1e-3)
    assert c.scored == pytest.approx(0.1, rel=1e-3)
    # One multiplier on pValue for the day can do no better than the LP.
    assert c.linear_held <= c.held + 1e-9


def test_the_scored_ceiling_may_pay_over_the_goal(tmp_path: Path) -> None:
    # 10, 11, 12, 13 per conversion against a goal of 10: buying all four at
    # 11.5 scores 0.4 × (10 / 11.5)² = 0.30, three times the held 0.1.
    m = market(tmp_path, [1.0, 1.1, 1.2, 1.3])
    c = ceiling(m, budget=100.0, goal=10.0)
    assert c.held == pytest.approx(0.1, rel=1e-3)
    assert c.scored == pytest.approx(0.4 * (10 / 11.5) ** 2, rel=1e-2)


def test_a_lower_slot_is_cheaper_and_shown_less(tmp_path: Path) -> None:
    # The second slot pays the second bid (0.5) and is shown 80% of the time:
    # 0.08 conversions for 0.4, against 0.1 for 1.0 in the first.
    m = market(tmp_path, [1.0], second=0.5)
    c = ceiling(m, budget=0.4, goal=100.0)
    assert c.held == pytest.approx(0.08, rel=1e-3)
