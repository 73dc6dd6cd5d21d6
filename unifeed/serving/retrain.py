"""Retraining on demand: the operator asks, a process of its own trains and publishes.

Training takes every core it can for minutes; in the server's process it
would take them from the feeds. So one retrain at a time runs in a spawned
process at the lowest CPU priority, and publishes its checkpoint the usual
way (`unifeed.serving.publish`): every server, this one included, picks it
up at its next reload poll. The process dies with the server.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from unifeed.serving.training import StoreTrainConfig, train_from_store
from unifeed.settings import Settings

log = logging.getLogger(__name__)

NICE = 19


@dataclass(frozen=True)
class RetrainStatus:
    running: bool = False
    started_at: datetime | None = None
    finished_at: datetime | None = None
    version: str | None = None  # the checkpoint the last retrain published
    error: str | None = None  # why the last retrain failed


class Retrainer:
    def __init__(self, settings: Settings, config: StoreTrainConfig | None = None) -> None:
        self.settings = settings
        self.config = config or StoreTrainConfig()
        self._status = RetrainStatus()
        self._process: BaseProcess | None = None
        self._lock = threading.Lock()

    def status(self) -> RetrainStatus:
        return self._status

    def start(self) -> bool:
        """Start a retrain; False when one is already running."""
        with self._lock:
            if self._status.running:
                return False
            ctx = get_context("spawn")
            receive, send = ctx.Pipe(duplex=False)
            process = ctx.Process(
                target=_train, args=(self.settings, self.config, send), name="unifeed-retrain"
            )
            process.start()
            send.close()
            self._process = process
            self._status = RetrainStatus(running=True, started_at=datetime.now(UTC))
        threading.Thread(
            target=self._wait, args=(process, receive), name="unifeed-retrain-wait", daemon=True
        ).start()
        return True

    def _wait(self, process: BaseProcess, receive: Connection) -> None:
        version, error = None, "the training process stopped without an answer"
        try:
            if receive.poll(None):
                version, error = receive.recv()
        except (EOFError, OSError):
            pass
        finally:
            receive.close()
        process.join()
        with self._lock:
            self._status = replace(
                self._status,
                running=False,
                finished_at=datetime.now(UTC),
                version=version,
                error=error,
            )
            self._process = None
        if error:
            log.error("retrain failed: %s", error)
        else:
            log.info("retrain published checkpoint %s", version)

    def close(self) -> None:
        """Stop a retrain under way (the server is stopping)."""
        with self._lock:
            process = self._process
        if process is not None:
            process.terminate()
            process.join(timeout=10)


def _train(settings: Settings, config: StoreTrainConfig, send: Connection) -> None:
    with contextlib.suppress(OSError):
        os.nice(NICE)
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        # PR_SET_PDEATHSIG: die with the server, even when it is killed.
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    try:
        send.send((train_from_store(settings, config), None))
    except Exception as e:  # every failure is the operator's to read, whatever its kind
        send.send((None, f"{type(e).__name__}: {e}"))
    finally:
        send.close()
