"""The OpenAI-compatible client against a real server (llama_cpp.server, see conftest)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field

from tests.llm.conftest import LocalServer, free_port
from unifeed.llm import (
    BackendUnavailable,
    ChatAPIModel,
    InvalidOutput,
    Message,
    ModelNotFound,
    complete_json,
)
from unifeed.llm.chat_api import api_root


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str = Field(max_length=20)
    sure: bool


ASK = [
    Message("system", "You answer in JSON."),
    Message("user", "Is the sky blue on a clear day? Answer with a short word and a yes/no."),
]


def client(server: LocalServer, **kw: object) -> ChatAPIModel:
    return ChatAPIModel(server.base_url, server.model, server.api_key, timeout=60, **kw)  # type: ignore[arg-type]


def test_api_root_takes_the_sdk_base_url_or_a_bare_host() -> None:
    assert api_root("http://127.0.0.1:11434/v1") == "http://127.0.0.1:11434/v1"
    assert api_root("http://127.0.0.1:11434/v1/") == "http://127.0.0.1:11434/v1"
    assert api_root("http://127.0.0.1:8080") == "http://127.0.0.1:8080/v1"
    assert api_root("https://api.example.test/openai/v1") == "https://api.example.test/openai/v1"


def test_check_passes_for_the_served_model(chat_server: LocalServer) -> None:
    client(chat_server).check()


def test_a_model_the_server_does_not_serve_is_a_clear_error(chat_server: LocalServer) -> None:
    model = ChatAPIModel(chat_server.base_url, "no-such-model", chat_server.api_key)
    with pytest.raises(ModelNotFound, match=r"does not serve model 'no-such-model'.*smollm2"):
        model.check()


def test_a_missing_or_wrong_api_key_is_a_clear_error(chat_server: LocalServer) -> None:
    for key in (None, "wrong-key"):
        model = ChatAPIModel(chat_server.base_url, chat_server.model, key)
        with pytest.raises(BackendUnavailable, match="refused the API key"):
            model.check()


def test_an_unreachable_url_is_a_clear_error() -> None:
    model = ChatAPIModel(f"http://127.0.0.1:{free_port()}/v1", "smollm2", timeout=5)
    with pytest.raises(BackendUnavailable, match="is not reachable") as e:
        model.check()
    assert "\n" not in str(e.value)


def test_plain_completion_reports_text_and_token_counts(chat_server: LocalServer) -> None:
    c = client(chat_server).complete(
        [Message("user", "Name a colour.")], max_tokens=8, temperature=0.0, seed=1
    )
    assert c.text.strip()
    assert c.prompt_tokens > 0 and 0 < c.completion_tokens <= 8
    assert c.seconds > 0 and c.finish_reason in ("stop", "length")


def test_schema_falls_back_to_the_form_the_server_accepts(chat_server: LocalServer) -> None:
    """llama_cpp.server refuses response_format json_schema (422) and takes json_object
    with a schema, which it turns into a grammar: the answer is valid every time."""
    model = client(chat_server)
    assert model.schema_mode == "auto"
    for seed in range(3):
        answer = complete_json(model, ASK, Verdict, max_tokens=60, seed=seed)
        assert len(answer.value.answer) <= 20
    assert model.schema_mode == "json_object"


@pytest.mark.slow
def test_prompt_mode_puts_the_schema_in_the_prompt(chat_server: LocalServer) -> None:
    """Without any server-side constraint the parse decides: a Verdict or a typed failure."""
    model = client(chat_server, schema_mode="prompt")
    outcomes = []
    for seed in range(3):
        try:
            outcomes.append(complete_json(model, ASK, Verdict, max_tokens=60, seed=seed))
        except InvalidOutput as e:
            outcomes.append(e)
            assert e.text  # what the model said is kept for the report
    assert len(outcomes) == 3
    assert model.schema_mode == "prompt"


def test_an_answer_cut_off_by_max_tokens_is_a_typed_failure(chat_server: LocalServer) -> None:
    with pytest.raises(InvalidOutput, match="cut off at max_tokens=3"):
        complete_json(client(chat_server), ASK, Verdict, max_tokens=3, seed=0)
