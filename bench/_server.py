"""`unifeed serve` as a child process, for benchmarks and tests that need a real server.

A child process rather than a thread: its latency is not disturbed by the
caller's GIL, and it can be killed outright (SIGKILL) to test what survives.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    data_dir: Path,
    key: str,
    *,
    ranker: str = "model",
    faiss_threshold: int = 50_000,
    reload_seconds: float | None = None,
    database_url: str | None = None,
    log_path: Path | None = None,
    port: int | None = None,
) -> tuple[str, subprocess.Popen[bytes]]:
    """Launch `unifeed serve` (hashing encoder); returns (base URL, process) at once."""
    port = port or free_port()
    # Only what is set here: a UNIFEED_DATABASE_URL in the caller's environment
    # must not point the server at another store.
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNIFEED_")}
    env |= {"UNIFEED_OPERATOR_KEY": key, "UNIFEED_FAISS_THRESHOLD": str(faiss_threshold)}
    if reload_seconds is not None:
        env["UNIFEED_RELOAD_SECONDS"] = str(reload_seconds)
    cmd = [sys.executable, "-m", "unifeed", "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--data-dir", str(data_dir), "--ranker", ranker, "--encoder", "hashing"]
    if database_url:
        cmd += ["--database-url", database_url]
    if profile := os.environ.get("PYSPY_OUT"):
        # Profiling a benchmark's server: `pip install py-spy`, set PYSPY_OUT=<prefix>.
        spy = str(Path(sys.executable).parent / "py-spy")
        cmd = [spy, "record", "-r", "200", "-f", "raw", "-o", f"{profile}-{port}.txt", "--", *cmd]
    with open(log_path or os.devnull, "ab") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    return f"http://127.0.0.1:{port}", proc


def wait_ready(
    url: str,
    proc: subprocess.Popen[bytes],
    *,
    need_model: bool = False,
    index: str | None = None,
    timeout: float = 300.0,
) -> None:
    """Poll /v1/ready until the server is ready (with a model, on `index` if given)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode} while starting")
        try:
            r = httpx.get(f"{url}/v1/ready", timeout=2.0)
            body = r.json() if r.status_code == 200 else {}
            model_ok = not need_model or body.get("model_version")
            # The faiss graph is built in the background after start-up.
            if body and model_ok and (index is None or body.get("index") == index):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"the server at {url} was not ready within {timeout:.0f} s")


def stop_server(proc: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    """SIGINT (uvicorn's graceful shutdown), then SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def server_process(
    data_dir: Path,
    key: str,
    *,
    ranker: str = "model",
    faiss_threshold: int = 50_000,
    reload_seconds: float | None = None,
    database_url: str | None = None,
    log_path: Path | None = None,
    index: str | None = None,
    timeout: float = 300.0,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A ready server for the duration of the block; yields (base URL, process)."""
    url, proc = start_server(
        data_dir,
        key,
        ranker=ranker,
        faiss_threshold=faiss_threshold,
        reload_seconds=reload_seconds,
        database_url=database_url,
        log_path=log_path,
    )
    try:
        try:
            wait_ready(url, proc, need_model=ranker == "model", index=index, timeout=timeout)
        except (RuntimeError, TimeoutError) as e:
            tail = log_path.read_text(errors="replace")[-3000:] if log_path else ""
            raise RuntimeError(f"{e}; its log ends:\n{tail}" if tail else str(e)) from None
        yield url, proc
    finally:
        stop_server(proc)


def peak_rss_mb_of(pid: int) -> float | None:
    """Peak resident memory of another live process (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None
