"""Drafts: "write a post about X in my voice", from the creator's own posts.

The model sees the creator's posts closest to the topic (their facts and
their style) and writes one new post. A draft is the creator's alone: nothing
serves it until they publish it, and then it is an item like any other,
ranked from its content on the first day.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from unifeed.assistants.config import AssistantConfig
from unifeed.assistants.knowledge import Knowledge
from unifeed.llm import Completion, LanguageModel, Message, complete_json
from unifeed.text.embeddings import TextEncoder

__all__ = ["DraftText", "PostDraft", "write_draft"]

MAX_DRAFT_CHARS = 500
EXAMPLES = 3  # posts shown to the model


class PostDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_DRAFT_CHARS)


@dataclass(frozen=True, slots=True)
class DraftText:
    text: str
    source_post_ids: tuple[str, ...]  # the posts it was written from
    completion: Completion


def write_draft(
    model: LanguageModel,
    config: AssistantConfig,
    topic: str,
    knowledge: Knowledge,
    encoder: TextEncoder,
    *,
    seed: int = 0,
) -> DraftText:
    """One new post on `topic`; raises `unifeed.llm.LanguageModelError` when there is none."""
    hits = knowledge.search(encoder.encode([topic])[0], EXAMPLES)
    examples = "\n".join(f"- {h.post.text}" for h in hits)
    system = (
        f"You write social media posts for {config.name}. Style: {config.persona} "
        "Write one new post of two to four sentences in the same voice as the example posts, "
        "using only facts the examples state."
    )
    user = f"Example posts:\n{examples}\n\nWrite a new post about: {topic}"
    got = complete_json(
        model,
        [Message("system", system), Message("user", user)],
        PostDraft,
        max_tokens=200,
        temperature=0.7,
        seed=seed,
    )
    return DraftText(got.value.text.strip(), tuple(h.post.id for h in hits), got.completion)
