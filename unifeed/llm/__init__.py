"""Language models behind one small interface (docs/llm.md).

    model = open_model(Settings())          # embedded llama.cpp, or any OpenAI-compatible API
    answer = complete_json(model, [Message("user", "...")], AdText)
    answer.value.headline, answer.completion.seconds

Back-ends: `EmbeddedModel` (a GGUF file in-process, SmolLM2 by default) and
`ChatAPIModel` (``/v1/chat/completions`` on Ollama, vLLM, llama.cpp's server
or a hosted API). Errors derive from `LanguageModelError`.
"""

from unifeed.llm.backends import open_model
from unifeed.llm.chat_api import ChatAPIModel
from unifeed.llm.embedded import EmbeddedModel, smollm2_path
from unifeed.llm.model import (
    BackendUnavailable,
    Completion,
    GenerationFailed,
    InvalidOutput,
    LanguageModel,
    LanguageModelError,
    Message,
    ModelNotFound,
)
from unifeed.llm.structured import Structured, complete_json, parse_json, schema_of

__all__ = [
    "BackendUnavailable",
    "ChatAPIModel",
    "Completion",
    "EmbeddedModel",
    "GenerationFailed",
    "InvalidOutput",
    "LanguageModel",
    "LanguageModelError",
    "Message",
    "ModelNotFound",
    "Structured",
    "complete_json",
    "open_model",
    "parse_json",
    "schema_of",
    "smollm2_path",
]
