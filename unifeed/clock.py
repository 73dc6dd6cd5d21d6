"""The service's time: one clock, injected, read by everything that happens over time.

A server runs on the wall clock. A simulation moves a clock of its own and
must get the same flight however fast the machine runs it, so nothing in the
service measures time any other way: timers read `Clock.elapsed`, and work
that a server does beside its requests (refitting what the ads learned) goes
through `Clock.run_beside`, which the wall clock runs in a thread and a
simulation's clock runs at once, in step with its time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from unifeed.store.db import as_utc, utcnow

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime:
        """The service's time (UTC)."""
        ...

    def elapsed(self) -> timedelta:
        """A monotonic reading, for intervals: only differences mean anything."""
        ...

    def run_beside(self, name: str, job: Callable[[], None]) -> bool:
        """Run `job` beside the requests, one `name` at a time; False when
        the previous run of `name` is still going (the job is dropped)."""
        ...

    def wait(self, timeout: float = 60.0) -> None:
        """Block until the jobs running beside the requests are done (tests, benchmarks)."""
        ...


class WallClock:
    """Real time; jobs run in daemon threads, so no request waits on them."""

    def __init__(self) -> None:
        self._jobs: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return utcnow()

    def elapsed(self) -> timedelta:
        return timedelta(seconds=time.monotonic())

    def run_beside(self, name: str, job: Callable[[], None]) -> bool:
        def run() -> None:
            try:
                job()
            except Exception:  # the next run tries again; serving goes on meanwhile
                log.exception("%s failed", name)

        with self._lock:
            running = self._jobs.get(name)
            if running is not None and running.is_alive():
                return False
            thread = threading.Thread(target=run, name=f"unifeed-{name}", daemon=True)
            self._jobs[name] = thread
            thread.start()
            return True

    def running(self, name: str) -> bool:
        job = self._jobs.get(name)
        return job is not None and job.is_alive()

    def wait(self, timeout: float = 60.0) -> None:
        for thread in list(self._jobs.values()):
            thread.join(timeout)


class Every:
    """The "refresh when due" timer: due when never done, `interval` after the
    last time (None: never by time alone), once the clock reaches `at`, or
    after `reset`."""

    def __init__(self, clock: Clock, interval: timedelta | float | None) -> None:
        self.clock = clock
        if isinstance(interval, float | int):
            interval = timedelta(seconds=interval)
        self.interval = interval
        self.at: datetime | None = None  # also due once the service time reaches this
        self._last: timedelta | None = None

    def due(self) -> bool:
        if self._last is None:
            return True
        if self.interval is not None and self.clock.elapsed() - self._last >= self.interval:
            return True
        return self.at is not None and as_utc(self.clock.now()) >= self.at

    def done(self) -> None:
        self._last = self.clock.elapsed()

    def reset(self) -> None:
        self._last = None
