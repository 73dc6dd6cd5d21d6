"""The quoted answer: the sentences of a post that best match the question, word for word.

It is what a follower gets when the model's answer fails the faithfulness
check (or no model is configured): less fluent, but every word is the
creator's, and its citation is exact by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

from unifeed.assistants.claims import numbers, sentences, terms
from unifeed.assistants.knowledge import Post

__all__ = ["Quote", "quote"]


@dataclass(frozen=True, slots=True)
class Quote:
    text: str  # the answer as shown: a lead-in and the quoted sentences
    post_id: str
    quoted: str  # the quoted sentences alone


def quote(question: str, post: Post, max_sentences: int = 2) -> Quote:
    """Up to `max_sentences` of the post's sentences sharing most words with the question,
    in the post's order (the first sentence when none shares any)."""
    asked = terms(question) | numbers(question)
    parts = sentences(post.text)
    overlap = [len((terms(s) | numbers(s)) & asked) for s in parts]
    ranked = sorted(range(len(parts)), key=lambda i: (-overlap[i], i))[:max_sentences]
    if overlap[ranked[0]] == 0:
        ranked = [0]
    chosen = [i for i in sorted(ranked) if overlap[i] > 0 or i == ranked[0]]
    quoted = " ".join(parts[i] for i in chosen)
    return Quote(f'From my post: "{quoted}"', post.id, quoted)
