"""The background writer: one model per process, campaigns' variants written off the request path.

`CreativeWriter` opens the configured back-end when it is made (so a missing
or unreachable one stops start-up, not a campaign hours later) and writes on
its own single thread: a request handler submits a brief and returns at once
with a `Future`; the feed never waits on a model. One thread, because the
embedded model serves one call at a time anyway and the feed needs the other
core.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from unifeed.creative.brief import Brief
from unifeed.creative.generation import Generation, generate
from unifeed.creative.variant import Creative
from unifeed.llm import BackendUnavailable, LanguageModel, open_model
from unifeed.settings import Settings

__all__ = ["CreativeWriter"]


class CreativeWriter:
    """Writes variants in the background with one model opened at start-up."""

    def __init__(self, model: LanguageModel) -> None:
        self.model = model
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="creative-writer")

    @classmethod
    def from_settings(cls, settings: Settings) -> CreativeWriter:
        """Open the back-end the settings name; raises `BackendUnavailable` when there is none."""
        model = open_model(settings)
        if model is None:
            raise BackendUnavailable("generated creatives are off (UNIFEED_LLM=none)")
        return cls(model)

    def submit(
        self,
        brief: Brief,
        *,
        variants: int = 5,
        seed: int = 0,
        earlier: Sequence[Creative] = (),
    ) -> Future[Generation]:
        """Queue a campaign's variants; the future holds the `Generation` when done."""
        return self._pool.submit(
            generate, self.model, brief, variants=variants, seed=seed, earlier=tuple(earlier)
        )

    def close(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def __enter__(self) -> CreativeWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
