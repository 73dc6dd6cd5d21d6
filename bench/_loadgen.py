"""Open-loop HTTP load for the serving benchmark, run in a process of its own.

A bare HTTP/1.1 client over asyncio streams rather than httpx: on a 2-core
machine the load generator shares the CPU with the server, and every
millisecond the client spends parsing is a millisecond taken from the server.

Open loop: request k of a step is due at start + k / rate whether or not
earlier ones have come back, and its latency is measured from when it was
due, so a server that falls behind is charged for the queue it builds
(no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import numpy as np

TIMEOUT_S = 5.0  # a request slower than this counts as an error
MAX_CONNECTIONS = 512
IDLE_S = 3.0  # uvicorn closes keep-alive connections idle for 5 s; retire them before


class _Stale(ConnectionError):
    """A kept-alive connection the server had already closed."""


@dataclass
class StepResult:
    rate: float  # requests per second offered
    seconds: float
    sent: int
    ok: int
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    achieved_rps: float  # successful responses per second of the step
    rankers: dict[str, int] = field(default_factory=dict)  # ranker named in 200 answers
    error_kinds: dict[str, int] = field(default_factory=dict)


@dataclass
class IngestResult:
    senders: int
    batches: int
    batch_size: int
    seconds: float
    accepted: int
    duplicates: int
    errors: int
    events_per_s: float


class _Client:
    """Keep-alive connections to one server; a request borrows one, so overlapping
    requests each get their own (HTTP/1.1 has no multiplexing)."""

    def __init__(self, base_url: str, key: str) -> None:
        u = urlsplit(base_url)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.auth = f"Authorization: Bearer {key}\r\n"
        # (reader, writer, when it was last used)
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    def get(self, path: str) -> bytes:
        return f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.auth}\r\n".encode()

    def post(self, path: str, body: bytes) -> bytes:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.auth}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        now = time.monotonic()
        while self.idle:
            reader, writer, used = self.idle.pop()
            if now - used < IDLE_S:
                try:
                    return await self._exchange(reader, writer, raw)
                except _Stale:
                    break  # the server closed it between requests: use a new one
            writer.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return await self._exchange(reader, writer, raw)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
    ) -> tuple[int, bytes]:
        try:
            writer.write(raw)
            line = await reader.readline()
            if not line:
                raise _Stale("connection closed before the status line")
            status = int(line.split(b" ", 2)[1])
            length, close = None, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            if length is None:
                raise ConnectionError("response without Content-Length")
            body = await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        if close or len(self.idle) >= MAX_CONNECTIONS:
            writer.close()
        else:
            self.idle.append((reader, writer, time.monotonic()))
        return status, body

    def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()
        self.idle.clear()


def _ranker_of(body: bytes) -> str:
    # A substring test, not json.loads: parsing 20 items per answer costs the
    # shared CPU more than the answer is worth here.
    for name in ("model", "fallback", "popularity", "random"):
        if f'"ranker":"{name}"'.encode() in body:
            return name
    return "?"


async def _feed_step(
    client: _Client, users: list[str], rate: float, seconds: float, n: int, rng: random.Random
) -> StepResult:
    loop = asyncio.get_running_loop()
    total = max(1, round(rate * seconds))
    latencies: list[float] = []
    rankers: dict[str, int] = {}
    errors: dict[str, int] = {}

    async def one(due: float, user: str) -> None:
        try:
            status, body = await asyncio.wait_for(
                client.send(client.get(f"/v1/feed?user_id={quote(user)}&n={n}")), TIMEOUT_S
            )
        except (TimeoutError, OSError, ValueError, IndexError, asyncio.IncompleteReadError) as e:
            errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
            return
        if status != 200:
            errors[f"HTTP {status}"] = errors.get(f"HTTP {status}", 0) + 1
            return
        latencies.append(loop.time() - due)
        name = _ranker_of(body)
        rankers[name] = rankers.get(name, 0) + 1

    start = loop.time() + 0.05
    tasks = []
    for k in range(total):
        due = start + k / rate
        if (delay := due - loop.time()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due, rng.choice(users))))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    lat = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    return StepResult(
        rate=rate,
        seconds=round(elapsed, 2),
        sent=total,
        ok=len(latencies),
        errors=sum(errors.values()),
        p50_ms=round(float(np.percentile(lat, 50)), 2),
        p90_ms=round(float(np.percentile(lat, 90)), 2),
        p99_ms=round(float(np.percentile(lat, 99)), 2),
        max_ms=round(float(np.max(lat)), 2),
        achieved_rps=round(len(latencies) / max(elapsed, 1e-9), 1),
        rankers=rankers,
        error_kinds=errors,
    )


def feed_rates(
    base_url: str,
    key: str,
    users: list[str],
    rates: list[float],
    seconds: float,
    *,
    n: int = 20,
    budget_ms: float = 50.0,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Feeds at each rate in turn, until the server is saturated.

    Saturated: a step with errors, a median over the budget, or fewer than 90%
    of the offered requests answered per second. The median, not p99, decides:
    a periodic stall can put p99 over budget at every rate, and the steps
    above it still show where throughput runs out.
    """

    async def run() -> list[dict[str, Any]]:
        client, rng = _Client(base_url, key), random.Random(seed)
        out: list[dict[str, Any]] = []
        try:
            # Open connections and warm the server (caches, first torch calls) unmeasured.
            await _feed_step(client, users, min(rates[0], 20.0), min(seconds, 3.0), n, rng)
            for rate in rates:
                step = await _feed_step(client, users, rate, seconds, n, rng)
                out.append(asdict(step))
                if step.errors or step.p50_ms > budget_ms or step.achieved_rps < 0.9 * step.rate:
                    break
        finally:
            client.close()
        return out

    return asyncio.run(run())


def ingest(
    base_url: str, key: str, batches: list[list[dict[str, Any]]], senders: int
) -> dict[str, Any]:
    """POST the batches to /v1/events from `senders` concurrent connections."""

    async def run() -> IngestResult:
        client = _Client(base_url, key)
        bodies = [json.dumps({"events": b}).encode() for b in batches]
        queue = list(reversed(bodies))
        totals = {"accepted": 0, "duplicates": 0, "errors": 0}

        async def sender() -> None:
            while queue:
                body = queue.pop()
                try:
                    status, answer = await client.send(client.post("/v1/events", body))
                except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                    totals["errors"] += 1
                    continue
                if status != 200:
                    totals["errors"] += 1
                    continue
                got = json.loads(answer)
                totals["accepted"] += got["accepted"]
                totals["duplicates"] += got["duplicates"]

        t0 = time.perf_counter()
        try:
            await asyncio.gather(*(sender() for _ in range(senders)))
        finally:
            client.close()
        secs = time.perf_counter() - t0
        return IngestResult(
            senders=senders,
            batches=len(batches),
            batch_size=max((len(b) for b in batches), default=0),
            seconds=round(secs, 2),
            accepted=totals["accepted"],
            duplicates=totals["duplicates"],
            errors=totals["errors"],
            events_per_s=round(totals["accepted"] / max(secs, 1e-9), 1),
        )

    return asdict(asyncio.run(run()))
