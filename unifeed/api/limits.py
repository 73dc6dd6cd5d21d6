"""What keeps one client from starving the others.

Heavy work (a large event batch, a report, a report's picture) never runs
on the event loop, which every request waits on, and never more than one
piece at a time: it queues for one lane to the worker process
(api/heavy.py). Small event batches are stored in the server, SMALL at a
time. So whatever a client sends, feeds keep the server's threads and
most of its interpreter. One caller has at most PER_KEY heavy requests
admitted at once (more are a 429), and a request whose client hung up
while it queued is dropped before any work is done.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
from fastapi import HTTPException, Request, status

from unifeed.api.deps import Principal

LANES = 1  # heavy requests worked on at once, over all callers
PER_KEY = 2  # heavy requests admitted at once for one caller (a report and its picture)
SMALL = 2  # small event batches stored at once in the server's own process
RETRY_AFTER_S = 1


class Gone(Exception):
    """The client hung up before its heavy work started: none was done."""


@dataclass
class Limits:
    """Made once per running app (its event loop), kept in `app.state.limits`."""

    lanes: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(LANES))
    small: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(SMALL))
    busy: dict[str, int] = field(default_factory=dict)


def caller(who: Principal) -> str:
    return "operator" if who.advertiser_id is None else f"advertiser:{who.advertiser_id}"


@asynccontextmanager
async def admitted(request: Request, who: Principal) -> AsyncIterator[None]:
    """Count a heavy request against its caller, or refuse it with a 429."""
    limits: Limits = request.app.state.limits
    key = caller(who)
    if limits.busy.get(key, 0) >= PER_KEY:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"this key has {PER_KEY} heavy requests (reports, large event batches) under way; "
            "retry when one is done",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    limits.busy[key] = limits.busy.get(key, 0) + 1
    try:
        yield
    finally:
        limits.busy[key] -= 1
        if not limits.busy[key]:
            del limits.busy[key]


@asynccontextmanager
async def lane(request: Request) -> AsyncIterator[None]:
    """Hold the heavy lane; raises Gone if the client left while waiting for it."""
    limits: Limits = request.app.state.limits
    async with limits.lanes:
        if await request.is_disconnected():
            raise Gone
        yield


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, refused with a 413 as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE, f"request body over {limit:,} bytes: send less"
    )
