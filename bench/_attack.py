"""The two sides of the isolation benchmark, each run in a process of its own.

`normal_feeds`: one well-behaved app asking for feeds at a steady open-loop
rate (latency counted from when each request was due). `attack`: another
client doing the most expensive things the API lets it do, back to back:
maximal event batches, and reports and report pictures of its longest
campaign. Both use `_loadgen`'s bare asyncio client, so the client side
spends as little of the shared CPU as it can.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import asdict
from typing import Any

import numpy as np

from bench._loadgen import TIMEOUT_S, _Client, _feed_step

ATTACK_TIMEOUT_S = 120.0  # an attacker waits for its answers far longer than an app would


def normal_feeds(
    base_url: str, key: str, users: list[str], rate: float, seconds: float, seed: int
) -> dict[str, Any]:
    """Feeds (n=20) for random users at `rate` per second for `seconds`, after a short warm-up."""

    async def run() -> dict[str, Any]:
        client, rng = _Client(base_url, key), random.Random(seed)
        try:
            await _feed_step(client, users, rate, 2.0, 20, rng)  # warm connections, unmeasured
            return asdict(await _feed_step(client, users, rate, seconds, 20, rng))
        finally:
            client.close()

    return asyncio.run(run())


def event_bodies(
    users: list[str], items: list[str], n_batches: int, size: int, prefix: str, seed: int
) -> list[bytes]:
    """`n_batches` JSON bodies of `size` fresh impression events each (new event ids)."""
    rng = np.random.default_rng(seed)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out = []
    for b in range(n_batches):
        us, its = rng.integers(len(users), size=size), rng.integers(len(items), size=size)
        events = [
            {
                "event_id": f"{prefix}{b}-{k}",
                "user_id": users[us[k]],
                "item_id": items[its[k]],
                "action": "impression",
                "timestamp": now,
            }
            for k in range(size)
        ]
        out.append(json.dumps({"events": events}).encode())
    return out


def attack(
    base_url: str,
    operator_key: str,
    advertiser_key: str,
    campaign: str,
    bodies: list[bytes],
    *,
    seconds: float,
    event_senders: int,
    report_senders: int,
) -> dict[str, Any]:
    """Maximal event batches from `event_senders` connections and reports (JSON and
    PNG in turn) from `report_senders`, each back to back, for `seconds`.

    Bounded: each event sender stops when the bodies run out, everyone at the
    deadline. Returns, per kind of request, answers by status and latencies."""

    async def run() -> dict[str, Any]:
        events = _Client(base_url, operator_key)
        reports = _Client(base_url, advertiser_key)
        queue = list(reversed(bodies))
        deadline = time.monotonic() + seconds
        seen: dict[str, dict[str, Any]] = {}

        def note(kind: str, status: str, ms: float) -> None:
            s = seen.setdefault(kind, {"status": {}, "ms": []})
            s["status"][status] = s["status"].get(status, 0) + 1
            s["ms"].append(ms)

        async def one(client: _Client, kind: str, raw: bytes) -> None:
            t0 = time.monotonic()
            try:
                status, _ = await asyncio.wait_for(client.send(raw), ATTACK_TIMEOUT_S)
                note(kind, str(status), 1000 * (time.monotonic() - t0))
            except (TimeoutError, OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                note(kind, "error", 1000 * (time.monotonic() - t0))
                await asyncio.sleep(0.05)

        async def sender() -> None:
            while queue and time.monotonic() < deadline:
                await one(events, "events", events.post("/v1/events", queue.pop()))

        async def reporter(k: int) -> None:
            paths = (f"/v1/campaigns/{campaign}/report", f"/v1/campaigns/{campaign}/report.png")
            while time.monotonic() < deadline:
                path = paths[k % 2]
                await one(reports, path.rsplit("/", 1)[1], reports.get(path))
                k += 1

        try:
            await asyncio.gather(
                *(sender() for _ in range(event_senders)),
                *(reporter(k) for k in range(report_senders)),
            )
        finally:
            events.close()
            reports.close()
        return {
            kind: {
                "status": s["status"],
                "n": len(s["ms"]),
                "p50_ms": round(float(np.percentile(s["ms"], 50)), 1),
                "max_ms": round(float(np.max(s["ms"])), 1),
            }
            for kind, s in sorted(seen.items())
        }

    return asyncio.run(run())


__all__ = ["TIMEOUT_S", "attack", "event_bodies", "normal_feeds"]
