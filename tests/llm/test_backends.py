"""Settings choose the back-end; a broken one stops start-up with one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.llm.conftest import LocalServer, free_port
from unifeed.llm import (
    BackendUnavailable,
    ChatAPIModel,
    EmbeddedModel,
    Message,
    ModelNotFound,
    open_model,
)
from unifeed.settings import Settings


def test_none_turns_generation_off() -> None:
    assert open_model(Settings(llm="none")) is None


def test_embedded_is_the_default_and_answers() -> None:
    model = open_model(Settings())
    assert isinstance(model, EmbeddedModel)
    c = model.complete([Message("user", "Say hi.")], max_tokens=4, temperature=0.0)
    assert c.completion_tokens > 0


def test_embedded_with_a_missing_gguf_file_fails_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="no GGUF model file"):
        open_model(Settings(llm="embedded", llm_model=str(tmp_path / "big.gguf")))


def test_openai_needs_a_url_and_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNIFEED_LLM", "openai")
    with pytest.raises(ValidationError, match="needs UNIFEED_LLM_BASE_URL and UNIFEED_LLM_MODEL"):
        Settings()
    monkeypatch.setenv("UNIFEED_LLM_BASE_URL", "127.0.0.1:11434")
    monkeypatch.setenv("UNIFEED_LLM_MODEL", "smollm2")
    with pytest.raises(ValidationError, match="http:// or https://"):
        Settings()
    with pytest.raises(ValidationError):
        Settings(llm="gpt")  # type: ignore[arg-type]


def test_openai_settings_from_the_environment_reach_the_server(
    chat_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNIFEED_LLM", "openai")
    monkeypatch.setenv("UNIFEED_LLM_BASE_URL", chat_server.base_url)
    monkeypatch.setenv("UNIFEED_LLM_MODEL", chat_server.model)
    monkeypatch.setenv("UNIFEED_LLM_API_KEY", chat_server.api_key)
    settings = Settings()
    assert chat_server.api_key not in repr(settings)  # a secret, not logged
    model = open_model(settings)
    assert isinstance(model, ChatAPIModel)
    assert model.complete([Message("user", "Hi")], max_tokens=2).completion_tokens > 0


def test_unreachable_or_unknown_back_ends_fail_at_start_up(chat_server: LocalServer) -> None:
    dead = Settings(llm="openai", llm_base_url=f"http://127.0.0.1:{free_port()}", llm_model="m")
    with pytest.raises(BackendUnavailable, match=r"at http://127\.0\.0\.1:\d+/v1 is not reachable"):
        open_model(dead)
    unknown = Settings(
        llm="openai",
        llm_base_url=chat_server.base_url,
        llm_model="llama-70b",
        llm_api_key=chat_server.api_key,  # type: ignore[arg-type]
    )
    with pytest.raises(ModelNotFound, match="does not serve model 'llama-70b'") as e:
        open_model(unknown)
    assert len(str(e.value).splitlines()) == 1
