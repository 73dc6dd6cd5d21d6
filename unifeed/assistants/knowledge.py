"""What an assistant knows: its creator's published posts and their content embeddings.

Retrieval ranks posts by the cosine of the question's embedding with each
post's, using the embeddings stored with the items (the encoder the unified
model reads content with), so a post is known from the moment it is written.
A `Library` keeps each creator's `Knowledge` for `refresh_seconds` and then
reloads it: a post that was removed leaves what the assistant knows within
one refresh (at once when the caller `forget`s the creator).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from unifeed.text.embeddings import TextEncoder

__all__ = ["Hit", "Knowledge", "Library", "Post"]


@dataclass(frozen=True, slots=True)
class Post:
    id: str  # the item's external id
    text: str
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    post: Post
    score: float  # cosine of the question with the post, in [-1, 1]


class Knowledge:
    """One creator's posts; `vectors` (P, D) float32 unit rows in `posts` order."""

    def __init__(self, posts: list[Post], vectors: np.ndarray) -> None:
        if len(posts) != len(vectors):
            raise ValueError(f"{len(posts)} posts but {len(vectors)} vectors")
        self.posts = posts
        vectors = np.asarray(vectors, dtype=np.float32)
        self.vectors = vectors.reshape(len(posts), vectors.shape[-1] if vectors.ndim == 2 else 0)
        self.by_id = {p.id: p for p in posts}

    def __len__(self) -> int:
        return len(self.posts)

    def search(self, query: np.ndarray, k: int = 3) -> list[Hit]:
        """The k posts closest to `query` (D,), best first."""
        if not self.posts:
            return []
        scores = self.vectors @ np.asarray(query, dtype=np.float32).reshape(-1)  # (P,)
        order = np.argsort(-scores, kind="stable")[:k]
        return [Hit(self.posts[i], float(scores[i])) for i in order]

    @classmethod
    def encode(cls, posts: list[Post], encoder: TextEncoder) -> Knowledge:
        """Knowledge whose vectors are computed now (the benchmark's corpus has no store)."""
        vectors = encoder.encode([p.text for p in posts]) if posts else np.zeros((0, encoder.dim))
        return cls(posts, vectors)


Loader = Callable[[str], Knowledge]


class Library:
    """Each creator's knowledge, loaded by `load(creator)` and kept `refresh_seconds`."""

    def __init__(self, load: Loader, refresh_seconds: float = 30.0) -> None:
        self._load, self.refresh_seconds = load, refresh_seconds
        self._kept: dict[str, tuple[Knowledge, float]] = {}
        self._lock = threading.Lock()

    def get(self, creator: str) -> Knowledge:
        with self._lock:
            kept = self._kept.get(creator)
        if kept is not None and time.monotonic() - kept[1] < self.refresh_seconds:
            return kept[0]
        knowledge = self._load(creator)
        with self._lock:
            self._kept[creator] = (knowledge, time.monotonic())
        return knowledge

    def forget(self, creator: str) -> None:
        with self._lock:
            self._kept.pop(creator, None)
