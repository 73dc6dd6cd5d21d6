"""`unifeed demo --serve`: the model arm's market goes on over a real server, with the dashboard."""

from __future__ import annotations

import re
import socket
import threading
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.sim.test_run import TINY
from unifeed.cli import app as cli
from unifeed.sim import DayStats, run_simulation
from unifeed.sim.live import live_settings, run_live
from unifeed.sim.run import OPERATOR_KEY
from unifeed.sim.world import build_world
from unifeed.store import Store
from unifeed.web import create_app

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Days:
    """Records each live day and stops the market after the first."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.started: list[int] = []
        self.ended: list[DayStats] = []

    def arm_start(self, arm: str, days: int) -> None: ...
    def feeds_done(self, n: int) -> None: ...
    def training(self, arm: str, day: int) -> None: ...

    def day_start(self, arm: str, day: int, n_users: int) -> None:
        self.started.append(day)

    def day_end(self, arm: str, stats: DayStats) -> None:
        self.ended.append(stats)
        self.stop.set()


def test_the_market_goes_on_live_and_the_dashboard_shows_it(tmp_path: Path) -> None:
    run_simulation(TINY, tmp_path, arms=("model",), encoder="hashing")
    settings = live_settings(tmp_path / "arms" / "model", "hashing")
    store = Store(settings.resolved_database_url)
    events_before = store.count("events")
    store.close()

    stop = threading.Event()
    days = _Days(stop)
    urls: list[str] = []
    serving = threading.Event()
    done: list[int] = []

    def market() -> None:
        done.append(
            run_live(
                build_world(TINY),
                settings,
                create_app(settings),
                port=_free_port(),
                stop=stop,
                seconds_per_day=3.0,
                on_serving=lambda url: (urls.append(url), serving.set()),
                observer=days,
            )
        )

    thread = threading.Thread(target=market, daemon=True)
    thread.start()
    assert serving.wait(60), "the live server did not start"
    with httpx.Client(base_url=urls[0], timeout=30) as browser:
        csrf = CSRF.search(browser.get("/app/sign-in").text)
        assert csrf is not None
        r = browser.post("/app/sign-in", data={"csrf": csrf.group(1), "key": OPERATOR_KEY})
        assert r.status_code == 303
        page = browser.get("/app/operator")
        assert page.status_code == 200 and "Users" in page.text
    thread.join(120)
    assert not thread.is_alive()
    # The first live day is the day after the world's last; it ran, retrained, and stopped.
    assert days.started == [TINY.days] and done == [1]
    assert days.ended[0].feeds > 0 and days.ended[0].train_seconds
    store = Store(settings.resolved_database_url)
    assert store.count("events") > events_before
    store.close()


def test_serve_refuses_a_port_in_use_before_any_work() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["demo", "--serve", "--port", str(port)])
    assert result.exit_code == 2
    assert f"port {port}" in result.output and "in use" in result.output


def test_a_non_positive_day_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="seconds_per_day"):
        run_live(
            build_world(TINY),
            live_settings(tmp_path),
            create_app(live_settings(tmp_path)),
            port=_free_port(),
            stop=threading.Event(),
            seconds_per_day=0,
        )
