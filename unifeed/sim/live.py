"""The demo's marketplace kept running, so a person can watch it in the dashboard.

After `unifeed demo` the model arm's store holds a trained model, its users
and their history. `run_live` serves that store on a fixed port (the API with
the dashboard, whichever app the caller passes) and lets the same seeded
world go on, day after day: new sessions spread over wall-clock time, events
sent as they happen, the model retrained at the end of each day. Until `stop`
is set, nothing here returns.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from unifeed.sim.response import ResponseModel
from unifeed.sim.run import (
    OPERATOR_KEY,
    SimObserver,
    _client,
    _Quiet,
    _retrain,
    _simulate_day,
)
from unifeed.sim.world import START, World

if TYPE_CHECKING:
    from fastapi import FastAPI

    from unifeed.settings import Settings

DAY = dt.timedelta(days=1)


def live_settings(data_dir: Path, encoder: Literal["minilm", "hashing"] = "minilm") -> Settings:
    """The model arm's settings, as the demo ran it (same store, key and ranker)."""
    from unifeed.settings import Settings

    return Settings(data_dir=data_dir, operator_key=OPERATOR_KEY, ranker="model", encoder=encoder)


def run_live(
    world: World,
    settings: Settings,
    app: FastAPI,
    *,
    port: int,
    stop: threading.Event,
    seconds_per_day: float = 120.0,
    on_serving: Callable[[str], None] = lambda url: None,
    observer: SimObserver | None = None,
    response: ResponseModel | None = None,
) -> int:
    """Serve `app` on 127.0.0.1:`port` and simulate days after the world's last
    one, each lasting `seconds_per_day` of wall time, until `stop` is set.

    Returns how many days were completed. A day cut short by `stop` sends
    the events of the sessions it ran, so nothing acknowledged is lost.
    """
    from unifeed.api.server import running_server

    if seconds_per_day <= 0:
        raise ValueError(f"seconds_per_day must be positive, got {seconds_per_day}")
    observer = observer or _Quiet()
    response = response or ResponseModel()
    cfg = world.config
    seen: set[tuple[int, int]] = set()
    days_done = 0
    with running_server(settings, app=app, port=port) as base_url, _client(base_url) as client:
        on_serving(base_url)
        day = cfg.days
        while not stop.is_set():
            began = time.monotonic()
            day_start = START + day * DAY

            def pace(
                t: dt.datetime, began: float = began, day_start: dt.datetime = day_start
            ) -> None:
                # Session moments are spread over the day; wall time follows them.
                due = began + (t - day_start) / DAY * seconds_per_day
                stop.wait(max(0.0, due - time.monotonic()))

            stats = _simulate_day(
                world, day, client, response, observer, "model", seen, pace, stop.is_set
            )
            if stop.is_set():
                break
            observer.training("model", day)
            stats.train_seconds = _retrain(settings, client, cfg, day)
            observer.day_end("model", stats)
            days_done += 1
            day += 1
    return days_done


__all__ = ["live_settings", "run_live"]
