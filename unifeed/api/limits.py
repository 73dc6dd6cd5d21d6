"""What keeps one client from starving the others.

Heavy work never runs on the event loop, which every request waits on:
a large body is read there (cheaply, with a size cap) and parsed in a
worker thread. Expensive reads (reports and their pictures) run in worker
threads too, at most `SLOTS` at once across all keys and `PER_KEY` at once
for one caller (more are a 429), and not at all for a caller who has hung
up while waiting for a slot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import HTTPException, Request, status

from unifeed.api.deps import Principal

T = TypeVar("T")

SLOTS = 2  # expensive reads computed at once, over all callers
PER_KEY = 2  # ... and for one caller (a report and its picture side by side)
RETRY_AFTER_S = 1


class Gone(Exception):
    """The client hung up before its expensive work started: none was done."""


@dataclass
class Limits:
    """Made once per running app (its event loop), kept in `app.state.limits`."""

    slots: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(SLOTS))
    busy: dict[str, int] = field(default_factory=dict)


def caller(who: Principal) -> str:
    return "operator" if who.advertiser_id is None else f"advertiser:{who.advertiser_id}"


async def expensive(request: Request, who: Principal, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a worker thread, within the limits above."""
    limits: Limits = request.app.state.limits
    key = caller(who)
    if limits.busy.get(key, 0) >= PER_KEY:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"this key already has {PER_KEY} reports being computed; retry when one is done",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    limits.busy[key] = limits.busy.get(key, 0) + 1
    try:
        async with limits.slots:
            if await request.is_disconnected():
                raise Gone
            return await anyio.to_thread.run_sync(fn, *args)
    finally:
        limits.busy[key] -= 1
        if not limits.busy[key]:
            del limits.busy[key]


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
        status.HTTP_413_CONTENT_TOO_LARGE, f"request body over {limit // 2**20} MiB: send less"
    )
