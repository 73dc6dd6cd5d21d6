"""Maximum inner product search over item vectors, behind one small interface.

Small catalogues are scored exactly (one matrix-vector product). Above a
threshold an HNSW graph (faiss) answers in roughly logarithmic time; its
results are re-scored exactly, so the scores a feed reports never depend on
which index found the items.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)


class VectorIndex(Protocol):
    kind: str

    def __len__(self) -> int: ...

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of the k best items for `query` (D,), best first."""
        ...


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    # Ties break by row so the order is deterministic.
    return part[np.lexsort((part, -scores[part]))]


class ExactIndex:
    kind = "exact"

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)  # (I, D)

    def __len__(self) -> int:
        return len(self.vectors)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self.vectors @ query.astype(np.float32)  # (I,)
        rows = _top_k(scores, k)
        return rows, scores[rows]


class FaissIndex:
    """HNSW over inner products; `ef_search` trades recall for time."""

    kind = "faiss"

    def __init__(self, vectors: np.ndarray, m: int = 32, ef_search: int = 128) -> None:
        import faiss  # imported here: a small deployment never needs it loaded

        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.index = faiss.IndexHNSWFlat(self.vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = 80
        self.index.add(self.vectors)
        self.ef_search = ef_search

    def __len__(self) -> int:
        return len(self.vectors)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, len(self.vectors))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        self.index.hnsw.efSearch = max(self.ef_search, k)
        _, rows = self.index.search(query.astype(np.float32)[None, :], k)
        rows = rows[0][rows[0] >= 0]
        scores = self.vectors[rows] @ query.astype(np.float32)
        order = np.lexsort((rows, -scores))
        return rows[order], scores[order]


def build_index(vectors: np.ndarray, faiss_threshold: int) -> VectorIndex:
    """Exact below `faiss_threshold` items, HNSW at or above it."""
    if len(vectors) >= faiss_threshold:
        log.info("building an HNSW index over %d items", len(vectors))
        return FaissIndex(vectors)
    return ExactIndex(vectors)
