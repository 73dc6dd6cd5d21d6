"""Heavy requests, worked on in a process of their own at the lowest CPU priority.

A 5,000-event batch or a year-long campaign's report costs a CPU-second of
Python. In the server's own process that second would be taken from every
feed being served at the time (threads share one interpreter lock); in a
worker process the operating system gives feeds the CPU first, and the
heavy work what is left. One worker, started on first use, works on one
job at a time and stops with the server (on Linux, even when the server
is killed). Jobs open the store afresh and close it after, so the worker
holds no database connection between jobs. On PostgreSQL a large event
batch is stored entirely in the worker; on SQLite its insert is the
server's (HeavyWork.ingest says why).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from multiprocessing import get_context
from typing import Any

import anyio.to_thread
from pydantic import ValidationError

from unifeed.ads import report
from unifeed.ads.billing import Billing
from unifeed.ads.campaigns import Campaign
from unifeed.api.schemas import EventBatch
from unifeed.store import Store, UnknownReference, events

log = logging.getLogger(__name__)

NICE = 19  # the worker's niceness: it runs when nothing else needs the CPU


class HeavyWork:
    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self._pool: ProcessPoolExecutor | None = None
        self._in_threads = False
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=get_context("spawn"), initializer=_start_worker
                )
            return self._pool

    async def run(self, job: Any, *args: Any) -> Any:
        """`job(database_url, *args)` in the worker; in a thread of the server
        when no worker can run (e.g. a server started from an interpreter
        prompt, which a spawned process cannot re-import). Every job is
        idempotent or read-only, so one a dead worker left may run again."""
        if not self._in_threads:
            try:
                return await asyncio.wrap_future(self._executor().submit(job, self.url, *args))
            except BrokenProcessPool:
                log.warning("the heavy-work process stopped; heavy work runs in threads now")
                with self._lock:
                    self._pool, self._in_threads = None, True
        return await anyio.to_thread.run_sync(job, self.url, *args)

    async def ingest(self, store: Store, raw: bytes) -> tuple[str, Any]:
        """What `ingest` does, in the worker. On SQLite the insert itself runs
        here, at the server's priority: every other writer waits while it
        holds the database, so it must not wait for the CPU. (PostgreSQL's
        writers do not wait on each other's inserts.)"""
        if store.dialect != "sqlite":
            return await self.run(store_events, raw)  # type: ignore[no-any-return]
        kind, out = await self.run(prepare_events, raw)
        if kind != "ok":
            return kind, out
        prepared, event_ids = out
        accepted = await anyio.to_thread.run_sync(events.write, store, prepared)
        await self.run(bill, event_ids)
        return "ok", (accepted, prepared.sent - accepted)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _start_worker() -> None:
    # First of all: even loading its modules (seconds of CPU) must not take
    # the CPU from the server's feeds.
    with contextlib.suppress(OSError):
        os.nice(NICE)
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        # PR_SET_PDEATHSIG: die with the server, even when it is SIGKILLed,
        # rather than finish a write nobody will acknowledge.
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    # Ctrl-C in a terminal reaches the whole process group; the server decides
    # when its worker stops, so the worker does not take the signal itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# ------------------------------------------------------------ jobs (in the worker)
_pictures: dict[str, bytes] = {}  # the last pictures drawn, by their report's hash


def ingest(store: Store, billing: Billing, raw: bytes) -> tuple[str, Any]:
    """Validate and store a batch of events: ("ok", (accepted, duplicates)),
    ("invalid", pydantic's errors) or ("unknown", the unknown references).
    The server runs it for a small batch; a large one goes through `HeavyWork.ingest`."""
    try:
        batch = EventBatch.model_validate_json(raw)
    except ValidationError as e:
        return "invalid", [_picklable(err) for err in e.errors(include_url=False)]
    try:
        accepted, duplicates = store.add_events(batch.model_dump()["events"])
    except UnknownReference as e:
        return "unknown", e.problems
    # New or re-sent alike: charges and attribution are idempotent, so a
    # batch re-sent after a crash finishes what the crash interrupted.
    billing.on_events([e.event_id for e in batch.events])
    return "ok", (accepted, duplicates)


def prepare_events(url: str, raw: bytes) -> tuple[str, Any]:
    """`ingest`'s validation and look-ups, in the worker: ("ok", (the prepared
    batch, its event ids)), or what `ingest` answers for a bad batch."""
    try:
        batch = EventBatch.model_validate_json(raw)
    except ValidationError as e:
        return "invalid", [_picklable(err) for err in e.errors(include_url=False)]
    store = Store(url)
    try:
        prepared = events.prepare(store, batch.model_dump()["events"])
    except UnknownReference as e:
        return "unknown", e.problems
    finally:
        store.close()
    return "ok", (prepared, [e.event_id for e in batch.events])


def store_events(url: str, raw: bytes) -> tuple[str, Any]:
    store = Store(url)
    try:
        return ingest(store, Billing(store), raw)
    finally:
        store.close()


def bill(url: str, event_ids: list[str]) -> None:
    store = Store(url)
    try:
        Billing(store).on_events(event_ids)
    finally:
        store.close()


def campaign_report(url: str, c: Campaign, now: datetime, picture: bool) -> Any:
    """The campaign's report, or its picture (not drawn again for an unchanged report)."""
    store = Store(url)
    try:
        r = report.campaign_report(store, c, now)
    finally:
        store.close()
    if not picture:
        return r
    from unifeed.ads import report_chart

    digest = hashlib.sha256(json.dumps(r, sort_keys=True).encode()).hexdigest()
    if digest not in _pictures:
        if len(_pictures) >= 32:
            _pictures.pop(next(iter(_pictures)))
        _pictures[digest] = report_chart.png(r)
    return _pictures[digest]


def campaign_reports(url: str, campaigns: list[Campaign], now: datetime) -> list[dict[str, Any]]:
    """Each campaign's report without the audience breakdown (which reads the
    whole population), in one connection pool."""
    store = Store(url)
    try:
        return [report.campaign_report(store, c, now, audience_breakdown=False) for c in campaigns]
    finally:
        store.close()


def _picklable(err: Any) -> dict[str, Any]:
    """A validation error with its context's objects (exceptions) as text."""
    out = dict(err)
    if "ctx" in out:
        ctx = out["ctx"].items()
        out["ctx"] = {k: v if isinstance(v, str | int | float) else str(v) for k, v in ctx}
    return out
