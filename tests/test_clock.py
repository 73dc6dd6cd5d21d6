"""The service's clock and the "refresh when due" timer every refreshing component uses."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from unifeed.clock import Every, WallClock
from unifeed.store.db import as_utc

T0 = datetime(2026, 3, 1, tzinfo=UTC)


class StoppedClock:
    """Service time that moves only when told, and a monotonic reading that never does."""

    def __init__(self, now: datetime) -> None:
        self.t = now

    def now(self) -> datetime:
        return self.t

    def elapsed(self) -> timedelta:
        return timedelta(0)

    def run_beside(self, name, job) -> bool:
        job()
        return True

    def wait(self, timeout: float = 60.0) -> None:
        pass


def test_refresh_is_due_when_the_clock_reaches_the_next_pacing_step() -> None:
    clock = StoppedClock(T0)
    d = Every(clock, 3600.0)
    assert d.due()  # never refreshed
    d.done()
    d.at = as_utc(T0 + timedelta(hours=1))
    assert not d.due()  # an hour of wall clock to go and the clock has not moved
    clock.t = T0 + timedelta(hours=1)
    assert d.due()  # a simulation moved its clock past the step


def test_a_timer_is_due_again_after_its_interval_or_a_reset() -> None:
    clock = WallClock()
    d = Every(clock, 0.05)
    d.done()
    assert not d.due()
    d.reset()
    assert d.due()
    d.done()
    threading.Event().wait(0.06)
    assert d.due()
    assert Every(StoppedClock(T0), None).due()  # never done: due


def test_the_wall_clock_runs_one_job_of_a_name_at_a_time() -> None:
    clock = WallClock()
    release = threading.Event()
    ran: list[int] = []
    assert clock.run_beside("job", lambda: (release.wait(10), ran.append(1)))
    assert clock.running("job")
    assert not clock.run_beside("job", lambda: ran.append(2))  # the first still runs
    release.set()
    clock.wait()
    assert ran == [1] and not clock.running("job")
    assert clock.run_beside("job", lambda: ran.append(3))
    clock.wait()
    assert ran == [1, 3]
