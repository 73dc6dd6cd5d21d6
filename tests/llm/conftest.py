"""A real OpenAI-compatible server for the chat-API client: llama-cpp-python's.

It serves the same GGUF file as the embedded back-end, on 127.0.0.1 and a
free port, with an API key, for the whole session.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from unifeed.llm import smollm2_path

MODEL_ALIAS = "smollm2"
API_KEY = "test-key-for-the-local-server"


@dataclass(frozen=True)
class LocalServer:
    base_url: str
    model: str
    api_key: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# llama-cpp-python's server, loading with Unifeed's `PlainBufferLlama`: on a CPU
# with AMX, llama.cpp's default buffer types crash the first decode
# (unifeed/llm/llama_loading.py). Arguments pass through as `-m llama_cpp.server`'s.
_SERVE = (
    "import sys, llama_cpp\n"
    "from unifeed.llm.llama_loading import PlainBufferLlama\n"
    "llama_cpp.Llama = PlainBufferLlama\n"
    "from llama_cpp.server.__main__ import main\n"
    "sys.argv[0] = 'llama_cpp.server'\n"
    "main()\n"
)


@pytest.fixture(scope="session")
def chat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [
        sys.executable,
        "-c",
        _SERVE,
        "--model",
        str(smollm2_path()),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_threads",
        "1",
        "--n_ctx",
        "2048",
        "--api_key",
        API_KEY,
        "--verbose",
        "False",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                r = httpx.get(f"{url}/models", headers={"Authorization": f"Bearer {API_KEY}"})
                if r.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer in 120 s: {log.read_text()[-2000:]}")
            time.sleep(0.25)
        yield LocalServer(url, MODEL_ALIAS, API_KEY)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
