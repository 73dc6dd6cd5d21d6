"""Any OpenAI-compatible chat endpoint: Ollama, vLLM, llama.cpp's server, a hosted API.

Only two routes are used: ``GET /models`` (start-up check) and
``POST /chat/completions``. A JSON schema goes out as the standard
``response_format: json_schema``; a server that refuses that field gets the
older ``json_object`` form with the schema, then the schema in the prompt.
The first form a server accepts is kept for the process.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from unifeed.llm.model import (
    BackendUnavailable,
    Completion,
    GenerationFailed,
    InvalidOutput,
    JSONSchema,
    Message,
    ModelNotFound,
)
from unifeed.llm.structured import schema_instruction

__all__ = ["ChatAPIModel", "api_root"]

logger = logging.getLogger(__name__)

SchemaMode = Literal["auto", "json_schema", "json_object", "prompt"]
# Tried in this order under "auto": the standard field (OpenAI, vLLM, Ollama,
# llama.cpp's llama-server), the older json_object-with-schema form
# (llama-cpp-python's server), then only the prompt.
_FALLBACKS: tuple[SchemaMode, ...] = ("json_schema", "json_object", "prompt")


def api_root(base_url: str) -> str:
    """The URL the routes hang off: as the OpenAI SDK takes it, ``/v1`` added to a bare host."""
    url = base_url.rstrip("/")
    return url + "/v1" if urlsplit(url).path in ("", "/") else url


class ChatAPIModel:
    """A model behind ``/chat/completions``; thread-safe (one pooled HTTP client)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        schema_mode: SchemaMode = "auto",
    ) -> None:
        self.root = api_root(base_url)
        self.model = model
        self.name = f"{model} at {self.root}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(headers=headers, timeout=timeout)
        self._schema_mode = schema_mode
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def check(self) -> None:
        """Raise `BackendUnavailable` (or `ModelNotFound`) unless the model can answer."""
        try:
            r = self._http.get(f"{self.root}/models")
        except httpx.HTTPError as e:
            raise BackendUnavailable(
                f"LLM back-end at {self.root} is not reachable ({type(e).__name__}: {e})"
            ) from e
        if r.status_code in (401, 403):
            raise BackendUnavailable(f"LLM back-end at {self.root} refused the API key")
        if r.status_code == 404:
            # Not every server lists its models; a one-token answer proves the name.
            self._probe()
            return
        if r.status_code != 200:
            raise BackendUnavailable(
                f"LLM back-end at {self.root}: GET /models answered {r.status_code}"
            )
        served = _model_ids(r)
        if not any(m in (self.model, f"{self.model}:latest") for m in served):
            listed = ", ".join(sorted(served)[:10]) or "none"
            raise ModelNotFound(
                f"LLM back-end at {self.root} does not serve model {self.model!r} "
                f"(it serves: {listed})"
            )

    def _probe(self) -> None:
        try:
            self.complete([Message("user", "Say OK.")], max_tokens=1, temperature=0.0)
        except GenerationFailed as e:
            raise ModelNotFound(f"LLM back-end at {self.root}: {e}") from e

    def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        seed: int | None = None,
        json_schema: JSONSchema | None = None,
    ) -> Completion:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if seed is not None:
            body["seed"] = seed
        if json_schema is None:
            return self._post(body)
        mode = self._schema_mode
        modes = _FALLBACKS if mode == "auto" else (mode,)
        for i, candidate in enumerate(modes):
            try:
                completion = self._post(_structured(body, candidate, json_schema))
            except _Refused as e:
                if i == len(modes) - 1:
                    raise GenerationFailed(str(e)) from e
                logger.info("%s refused %s (%s); trying %s", self.root, candidate, e, modes[i + 1])
                continue
            if candidate != mode:
                # Remembered only once the server answered: it refused the field, not the request.
                with self._lock:
                    self._schema_mode = candidate
            return completion
        raise AssertionError("unreachable")

    @property
    def schema_mode(self) -> SchemaMode:
        """How schemas reach this server; "auto" until the first structured request."""
        return self._schema_mode

    def _post(self, body: dict[str, Any]) -> Completion:
        start = time.perf_counter()
        try:
            r = self._http.post(f"{self.root}/chat/completions", json=body)
        except httpx.HTTPError as e:
            raise GenerationFailed(f"{self.root}: {type(e).__name__}: {e}") from e
        seconds = time.perf_counter() - start
        if "response_format" in body and _refuses_format(r):
            raise _Refused(f"{r.status_code} {_error_text(r)}")
        if r.status_code != 200:
            raise GenerationFailed(f"{self.root} answered {r.status_code}: {_error_text(r)}")
        try:
            data = r.json()
            choice = data["choices"][0]
            text = choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise GenerationFailed(f"{self.root}: not a chat completion: {r.text[:200]!r}") from e
        if not isinstance(text, str):
            raise InvalidOutput("the answer has no text content", repr(choice)[:200])
        usage = data.get("usage") or {}
        return Completion(
            text=text,
            model=str(data.get("model") or self.model),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            seconds=seconds,
            finish_reason=str(choice.get("finish_reason") or "stop"),
        )


class _Refused(Exception):
    """The server rejected the request's response_format."""


def _refuses_format(r: httpx.Response) -> bool:
    # llama-cpp-python's server answers a field it does not know with a 500
    # that names the field; others answer 400 or 422.
    return r.status_code in (400, 422) or (r.status_code >= 500 and "response_format" in r.text)


def _structured(body: dict[str, Any], mode: SchemaMode, schema: JSONSchema) -> dict[str, Any]:
    if mode == "json_schema":
        fmt = {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}
        return {**body, "response_format": fmt}
    if mode == "json_object":
        return {**body, "response_format": {"type": "json_object", "schema": schema}}
    return {**body, "messages": _with_instruction(body["messages"], schema)}


def _with_instruction(messages: list[dict[str, str]], schema: JSONSchema) -> list[dict[str, str]]:
    instruction = schema_instruction(schema)
    if messages and messages[0]["role"] == "system":
        first = {"role": "system", "content": f"{messages[0]['content']}\n\n{instruction}"}
        return [first, *messages[1:]]
    return [{"role": "system", "content": instruction}, *messages]


def _model_ids(r: httpx.Response) -> list[str]:
    try:
        return [str(m["id"]) for m in r.json().get("data", [])]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


def _error_text(r: httpx.Response) -> str:
    try:
        error = r.json().get("error")
        message = error.get("message") if isinstance(error, dict) else error
        if message:
            return str(message)[:300]
    except (ValueError, AttributeError):
        pass
    return r.text[:300]
