"""Running the API with uvicorn: in the foreground (the CLI) or in a thread (the demo)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from unifeed.ads.config import DeliveryConfig
from unifeed.api.app import create_app
from unifeed.clock import Clock
from unifeed.settings import Settings

log = logging.getLogger(__name__)


def serve(
    settings: Settings, host: str = "127.0.0.1", port: int = 8000, app: FastAPI | None = None
) -> None:
    """Serve `app` (the API alone when None; `unifeed serve` gives it the dashboard too)."""
    uvicorn.run(app or create_app(settings), host=host, port=port, log_level="info")


@contextmanager
def running_server(
    settings: Settings,
    host: str = "127.0.0.1",
    *,
    clock: Clock | None = None,
    delivery: DeliveryConfig | None = None,
    app: FastAPI | None = None,
    port: int = 0,
) -> Iterator[str]:
    """Serve on `port` (0: a free one) in a background thread; yields the base URL.

    `clock` and `delivery` go to `create_app` (a simulation's own time, a
    benchmark's ad delivery baseline); `app` replaces the API's app (the
    dashboard's tests serve `unifeed.web.create_app`'s).
    """
    app = app or create_app(settings, clock, delivery)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="unifeed-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the API server failed to start (see the log above)")
        if time.monotonic() > deadline:
            raise TimeoutError("the API server did not start within 120 s")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
