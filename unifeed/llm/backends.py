"""The back-end the settings choose, opened and checked once at start-up.

`open_model` is what the server calls before it accepts requests: a back-end
that is missing (package, model file) or unreachable (URL, model name, key)
raises `BackendUnavailable` with a one-line message, instead of failing on
the first creative generated in the background hours later.
"""

from __future__ import annotations

from pathlib import Path

from unifeed.llm.chat_api import ChatAPIModel
from unifeed.llm.embedded import EmbeddedModel
from unifeed.llm.model import LanguageModel
from unifeed.settings import Settings

__all__ = ["open_model"]


def open_model(settings: Settings) -> LanguageModel | None:
    """The configured model, ready to answer; None when UNIFEED_LLM=none."""
    if settings.llm == "none":
        return None
    if settings.llm == "embedded":
        path = Path(settings.llm_model).expanduser() if settings.llm_model else None
        return EmbeddedModel(path, threads=settings.llm_threads)
    # The settings validator guarantees both are set for "openai".
    assert settings.llm_base_url is not None and settings.llm_model is not None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    model = ChatAPIModel(
        settings.llm_base_url, settings.llm_model, key, timeout=settings.llm_timeout
    )
    try:
        model.check()
    except BaseException:
        model.close()
        raise
    return model
