"""The background writer: one model per process, campaigns' variants written off the request path.

`CreativeWriter` checks the configured back-end when it is made (so a
missing or unreachable one stops start-up, not a campaign hours later) and
writes on its own single thread: a request handler submits a brief and
returns at once with a `Future`; the feed never waits on a model. One
thread, because the embedded model serves one call at a time anyway and the
feed needs the other core. A writer made by `deferred` loads the embedded
model on that thread at the first generation, so a server that never writes
a creative never spends the memory.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from unifeed.creative.brief import Brief
from unifeed.creative.generation import Generation, generate
from unifeed.creative.variant import Creative
from unifeed.llm import BackendUnavailable, LanguageModel, ModelNotFound, open_model, smollm2_path
from unifeed.settings import Settings

__all__ = ["CreativeWriter"]


class CreativeWriter:
    """Writes variants in the background with one model, opened at start-up or on first use."""

    def __init__(
        self,
        model: LanguageModel | None = None,
        *,
        opener: Callable[[], LanguageModel] | None = None,
        name: str | None = None,
    ) -> None:
        if model is None and opener is None:
            raise ValueError("a writer needs a model or a way to open one")
        self._model = model
        self._opener = opener
        self._name = name
        self._open_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="creative-writer")

    @classmethod
    def from_settings(cls, settings: Settings) -> CreativeWriter:
        """Open the back-end the settings name; raises `BackendUnavailable` when there is none."""
        model = open_model(settings)
        if model is None:
            raise BackendUnavailable("generated creatives are off (UNIFEED_LLM=none)")
        return cls(model)

    @classmethod
    def deferred(cls, settings: Settings) -> CreativeWriter | None:
        """A writer for the settings' back-end, None when UNIFEED_LLM=none.

        A chat API is opened (and checked) now; the embedded model is checked
        now (its package and file) and loaded at the first generation.
        Raises `BackendUnavailable` when the back-end cannot be used."""
        if settings.llm == "none":
            return None
        if settings.llm != "embedded":
            return cls.from_settings(settings)
        if settings.llm_model:
            path = Path(settings.llm_model).expanduser()
            if not path.is_file():
                raise ModelNotFound(f"UNIFEED_LLM_MODEL names {path}, which is not a file")
        else:
            path = smollm2_path()
        if importlib.util.find_spec("llama_cpp") is None:
            raise BackendUnavailable(
                "the embedded model needs llama-cpp-python (pip install llama-cpp-python)"
            )
        return cls(opener=lambda: _open(settings), name=f"embedded:{path.name}")

    @property
    def model_name(self) -> str:
        if self._model is not None:
            return self._model.name
        return self._name or "the configured model"

    def _loaded(self) -> LanguageModel:
        with self._open_lock:
            if self._model is None:
                assert self._opener is not None
                self._model = self._opener()
            return self._model

    def submit(
        self,
        brief: Brief,
        *,
        variants: int = 5,
        seed: int = 0,
        earlier: Sequence[Creative] = (),
        then: Callable[[Generation], object] | None = None,
    ) -> Future[Generation]:
        """Queue a campaign's variants; the future holds the `Generation` when done.

        `then` runs on the writer's thread with the generation (to store it),
        before the future is done; an error in it is the future's error."""
        earlier = tuple(earlier)

        def job() -> Generation:
            g = generate(self._loaded(), brief, variants=variants, seed=seed, earlier=earlier)
            if then is not None:
                then(g)
            return g

        return self._pool.submit(job)

    @property
    def model(self) -> LanguageModel:
        """The model (loaded now, on the caller's thread, if it was deferred)."""
        return self._loaded()

    def close(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def __enter__(self) -> CreativeWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open(settings: Settings) -> LanguageModel:
    model = open_model(settings)
    assert model is not None  # deferred() returned None for UNIFEED_LLM=none
    return model
