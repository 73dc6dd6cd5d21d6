"""A GGUF file's own chat template, turned into tokens message by message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llama_cpp import Llama


class ChatTemplate:
    """The GGUF's own chat template, so the prompt's tokens are known before generation.

    Knowing them lets `EmbeddedModel` evaluate every message but the last as
    one batch of its own, kept between calls: prompts that start with the
    same messages (the same system message and worked examples for every
    creative in a language, the same brief for a campaign's variants) pay for
    them once, and the numbers the model computes depend only on the prompt,
    not on what it was asked before. llama-cpp-python's own prefix reuse
    evaluates whatever part of a prompt is new as one batch, so the same
    prompt was split differently after different predecessors, which rounds
    differently and made the same seed give another answer.
    """

    def __init__(self, llama: Llama, template: str) -> None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        eos = llama.detokenize([llama.token_eos()], special=True).decode("utf-8", "replace")
        bos = llama.detokenize([llama.token_bos()], special=True).decode("utf-8", "replace")
        self._llama = llama
        self._full = Jinja2ChatFormatter(template, eos, bos, add_generation_prompt=True)
        self._head = Jinja2ChatFormatter(template, eos, bos, add_generation_prompt=False)

    def tokens(self, chat: list[Any]) -> tuple[list[int], list[tuple[int, ...]]]:
        """(the whole prompt, its messages but the last as token segments); may be no segments.

        The segments concatenated are a prefix of the prompt; a message whose
        tokens do not start where the previous one's ended (a template that
        rewrites earlier messages) ends the segments there.
        """
        text = self._full(messages=chat).prompt
        tokens = self._tokenize(text)
        segments: list[tuple[int, ...]] = []
        done = 0
        for k in range(1, len(chat)):
            head = self._head(messages=chat[:k]).prompt
            if not text.startswith(head):
                break
            upto = self._tokenize(head)
            if len(upto) <= done or len(upto) >= len(tokens) or tokens[: len(upto)] != upto:
                break
            segments.append(tuple(upto[done:]))
            done = len(upto)
        return tokens, segments

    def _tokenize(self, text: str) -> list[int]:
        return self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)
