"""The day loop against the real API (a tiny world, hashing encoder), the report and the CLI."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from unifeed.cli import app
from unifeed.sim import SimConfig, run_simulation, summarize, write_report
from unifeed.sim.report import TARGET_RATIO, render_html
from unifeed.sim.run import ArmResult, DayStats, SimResult
from unifeed.sim.world import build_world

TINY = SimConfig(
    n_users=30,
    n_creators=6,
    n_topics=6,
    days=2,
    items_per_day=30,
    feed_size=5,
    train_epochs=2,
    train_dim=16,
)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[SimResult, Path]:
    out = tmp_path_factory.mktemp("sim")
    return run_simulation(TINY, out, encoder="hashing"), out


def test_every_arm_serves_the_same_users_every_day(tiny_run: tuple[SimResult, Path]) -> None:
    result, _ = tiny_run
    world = build_world(TINY)
    assert list(result.arms) == ["model", "popularity", "random"]
    for arm in result.arms.values():
        assert [d.day for d in arm.days] == [0, 1]
        for d in arm.days:
            assert d.feeds == len(world.active_users(d.day))
            # The catalogue is far larger than a feed, so every feed is full.
            assert d.impressions == d.feeds * TINY.feed_size
            assert d.clicks >= d.likes and d.clicks >= d.long_views
            assert 0 <= d.engagement <= 3 and 0 <= d.hide_rate <= 1
        # Day 0's items are all fresh: nothing older exists.
        assert arm.days[0].fresh_impressions == arm.days[0].impressions


def test_the_model_arm_retrains_and_leaves_the_fallback(tiny_run: tuple[SimResult, Path]) -> None:
    result, out = tiny_run
    model = result.arms["model"]
    first, second = model.days
    assert first.fallback_feeds == first.feeds  # no checkpoint yet on day 0
    assert second.fallback_feeds < second.feeds  # day 0's checkpoint ranks day 1
    assert all(d.train_seconds is not None and d.train_seconds > 0 for d in model.days)
    for name in ("popularity", "random"):
        assert all(d.train_seconds is None for d in result.arms[name].days)
        assert all(d.fallback_feeds == 0 for d in result.arms[name].days)
    # Each arm has its own store.
    for name in result.arms:
        assert any((out / "arms" / name).iterdir())


def test_the_report_is_written(tiny_run: tuple[SimResult, Path]) -> None:
    result, out = tiny_run
    path = write_report(result, out)
    page = path.read_text()
    assert path.name == "report.html"
    pngs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(pngs) == 3
    assert all(base64.b64decode(p).startswith(b"\x89PNG") for p in pngs)
    assert "Engagement per impression = (clicks + likes + long views) / impressions" in page
    assert all(t in page for t in build_world(TINY).topics)
    saved = json.loads((out / "summary.json").read_text())
    assert saved["summary"]["ratio"] == pytest.approx(summarize(result)["ratio"])
    assert len(saved["daily"]["model"]) == 2


def _fake(model: list[float], popularity: list[float]) -> SimResult:
    def arm(name: str, rates: list[float]) -> ArmResult:
        days = [
            DayStats(day, feeds=10, impressions=100, clicks=round(r * 100))
            for day, r in enumerate(rates)
        ]
        return ArmResult(name, days, seconds=1.0)

    world = build_world(TINY)
    arms = {"model": arm("model", model), "popularity": arm("popularity", popularity)}
    return SimResult(TINY, world.summary(), {}, "hashing", arms)


def test_summary_compares_the_last_day() -> None:
    s = summarize(_fake([0.1, 0.6], [0.2, 0.3]))
    assert s["ratio"] == pytest.approx(2.0) and s["passed"] is True
    assert s["arms"]["model"]["overall_engagement"] == pytest.approx(0.35)
    s = summarize(_fake([0.5, 0.4], [0.2, 0.3]))
    assert s["ratio"] == pytest.approx(4 / 3) and s["passed"] is False
    assert s["target_ratio"] == TARGET_RATIO
    assert "FAIL" in render_html(_fake([0.5, 0.4], [0.2, 0.3]), s)


def test_unknown_arm_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="arms"):
        run_simulation(TINY, tmp_path, arms=["best"])  # type: ignore[list-item]


def test_demo_command_prints_a_verdict_and_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    args = ["demo", "--users", "30", "--days", "2", "--items-per-day", "40"]
    off = ["--no-ads", "--no-assistants"]  # the market phase: tests/sim/test_market.py
    result = CliRunner().invoke(app, [*args, *off, "--encoder", "hashing", "--out", str(out)])
    # A world this small and short need not reach the target; either verdict is honest.
    assert result.exit_code in (0, 1), result.output
    assert ("PASS" in result.output) == (result.exit_code == 0)
    assert "FAIL" in result.output or "PASS" in result.output
    assert "popularity" in result.output and "random" in result.output
    assert (out / "report.html").is_file() and (out / "summary.json").is_file()
    assert "ads Unifeed wrote" not in result.output and "assistants:" not in result.output
    assert json.loads((out / "summary.json").read_text())["market"] is None


def test_the_nightly_retrain_is_bound_by_epochs_not_the_clock() -> None:
    # A wall-clock budget would make a replay of the same seed rank differently.
    from unifeed.sim.run import retrain_config

    cfg = retrain_config(SimConfig(seed=3), day=2)
    assert cfg.max_seconds is None
    assert (cfg.epochs, cfg.seed) == (SimConfig().train_epochs, 3002)
