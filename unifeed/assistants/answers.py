"""Answer writing: the language model answers from the retrieved posts and cites them.

The model sees only the question and the numbered posts retrieved for it, and
must reply with one JSON object (a grammar enforces it on the embedded model):
the answer and the numbers of the posts it used. Whatever it writes is then
checked against those posts (`faithfulness`) before anyone reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from unifeed.assistants.config import AssistantConfig
from unifeed.assistants.knowledge import Post
from unifeed.llm import Completion, LanguageModel, Message, complete_json

__all__ = ["AnswerDraft", "Written", "messages_for", "write_answer"]

MAX_ANSWER_CHARS = 200


class AnswerDraft(BaseModel):
    """What the model must return. Post numbers, not ids: a small model copies a digit
    more reliably than an id, and a number outside the list cannot pass the grammar."""

    model_config = ConfigDict(extra="forbid")
    answer: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS)
    posts: list[Literal[1, 2, 3]] = Field(max_length=3)


@dataclass(frozen=True, slots=True)
class Written:
    text: str
    cited: tuple[str, ...]  # post ids, in the order the model named them, no repeats
    completion: Completion


def messages_for(config: AssistantConfig, question: str, posts: list[Post]) -> list[Message]:
    numbered = "\n".join(f"[{i}] {p.text}" for i, p in enumerate(posts, 1))
    system = (
        f"You are {config.name}, answering a follower with facts from the creator's posts. "
        f"Style: {config.persona} "
        "Use only facts written in the posts below, copying numbers and words exactly. "
        "Answer in one short sentence. In 'posts', list the numbers of the posts you used."
    )
    user = f"Posts:\n{numbered}\n\nQuestion: {question}"
    return [Message("system", system), Message("user", user)]


def write_answer(
    model: LanguageModel,
    config: AssistantConfig,
    question: str,
    posts: list[Post],
    *,
    max_tokens: int = 64,
    seed: int = 0,
) -> Written:
    """The model's answer; raises `unifeed.llm.LanguageModelError` when there is none."""
    posts = posts[:3]
    got = complete_json(
        model,
        messages_for(config, question, posts),
        AnswerDraft,
        max_tokens=max_tokens,
        temperature=0.0,
        seed=seed,
    )
    cited = []
    for n in got.value.posts:
        if n <= len(posts) and posts[n - 1].id not in cited:
            cited.append(posts[n - 1].id)
    return Written(got.value.answer.strip(), tuple(cited), got.completion)
