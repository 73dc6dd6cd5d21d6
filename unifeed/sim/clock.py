"""The service's clock in a simulation, which the driver moves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable


class SimClock:
    """The service's clock in a simulation (`unifeed.clock.Clock`): the driver
    moves it, requests read it, and work a server does beside its requests
    runs at once, in step with it, so a flight does not depend on how fast the
    machine runs it."""

    def __init__(self, now: dt.datetime) -> None:
        self._now = now

    def __call__(self) -> dt.datetime:
        return self._now

    def now(self) -> dt.datetime:
        return self._now

    def elapsed(self) -> dt.timedelta:
        t = self._now.astimezone(dt.UTC).replace(tzinfo=None) if self._now.tzinfo else self._now
        return t - dt.datetime(1970, 1, 1)

    def run_beside(self, name: str, job: Callable[[], None]) -> bool:
        job()
        return True

    def wait(self, timeout: float = 60.0) -> None:
        pass

    def move_to(self, t: dt.datetime) -> None:
        self._now = t
