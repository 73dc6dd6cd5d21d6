"""A language model that follows the prompt mechanically, for tests about routes and flow.

It implements unifeed.llm's interface and nothing more: asked for an answer, it
copies the first sentence of post [1] (or says `invent` when told to), asked for
a draft, it joins the example posts' first words. Tests that judge the real
model's answers use the embedded SmolLM2 (marked slow).
"""

from __future__ import annotations

import json
import re

from unifeed.llm import Completion, Message
from unifeed.llm.model import JSONSchema


class CopyingModel:
    name = "fake-copying"

    def __init__(self, invent: str | None = None) -> None:
        self.invent = invent  # an answer the posts do not support, when set
        self.calls = 0

    def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        seed: int | None = None,
        json_schema: JSONSchema | None = None,
    ) -> Completion:
        self.calls += 1
        prompt = messages[-1].content
        props = (json_schema or {}).get("properties", {})
        if "answer" in props:
            first = re.search(r"^\[1\] (.+?[.!?])(\s|$)", prompt, re.MULTILINE)
            answer = self.invent or (first.group(1) if first else "I do not know.")
            text = json.dumps({"answer": answer, "posts": [1]})
        else:
            examples = re.findall(r"^- (.+)$", prompt, re.MULTILINE)
            text = json.dumps({"text": " ".join(e.split(".")[0] + "." for e in examples[:2])})
        return Completion(text, self.name, len(prompt) // 4, len(text) // 4, 0.0, "stop")
