"""A seeded simulation replays exactly, however fast the machine runs it.

The arms used to refresh popularity's counts on the wall clock and draw the
random arm's feeds from fresh entropy, so two runs of one seed differed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from tests.sim.test_run import TINY
from unifeed.serving.catalogue import CatalogueView
from unifeed.serving.rankers import RandomRanker
from unifeed.settings import Settings
from unifeed.sim import run_simulation
from unifeed.sim.run import DayStats, SimResult, _Quiet

TIMINGS = ("seconds", "train_seconds")


class BusyMachine(_Quiet):
    """Stalls between days longer than the service's refresh interval, as a
    machine busy with something else would."""

    def day_start(self, arm: str, day: int, n_users: int) -> None:
        if day > 0:
            time.sleep(Settings().reload_seconds + 0.5)


def _figures(result: SimResult) -> dict[str, list[dict[str, Any]]]:
    def day(d: DayStats) -> dict[str, Any]:
        return {k: v for k, v in d.to_dict().items() if k not in TIMINGS}

    return {name: [day(d) for d in arm.days] for name, arm in result.arms.items()}


def test_two_runs_of_a_seed_give_the_same_figures_at_any_speed(tmp_path: Path) -> None:
    fast = run_simulation(TINY, tmp_path / "fast", encoder="hashing")
    slow = run_simulation(TINY, tmp_path / "slow", encoder="hashing", observer=BusyMachine())
    a, b = _figures(fast), _figures(slow)
    assert [arm for arm in a if a[arm] != b[arm]] == []
    assert all(d.impressions > 0 for arm in fast.arms.values() for d in arm.days)


def test_the_arms_random_ranker_draws_from_the_run_seed(tmp_path: Path) -> None:
    from unifeed.sim.run import arm_settings

    assert arm_settings(TINY, "random", tmp_path, "hashing").random_seed == TINY.seed
    view = CatalogueView(pk=np.arange(50))
    exclude = np.zeros(50, dtype=bool)

    def pages(seed: int | None) -> list[list[int]]:
        ranker = RandomRanker(np.random.default_rng(seed))
        return [ranker.rank(view, None, 10, exclude).rows.tolist() for _ in range(3)]

    assert pages(7) == pages(7)
    assert pages(7) != pages(8)
    # A server for real users keeps drawing from fresh entropy.
    assert Settings().random_seed is None
    assert pages(None) != pages(None)
