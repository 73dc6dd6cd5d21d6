"""Exact and HNSW retrieval answer the same question through one interface."""

from __future__ import annotations

import numpy as np

from unifeed.retrieval import ExactIndex, FaissIndex, build_index


def clustered(n: int, dim: int = 32, clusters: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    return (centres[rng.integers(clusters, size=n)] + 0.3 * rng.normal(size=(n, dim))).astype(
        np.float32
    )


def test_exact_index_is_a_sorted_brute_force() -> None:
    v = clustered(500)
    q = v[3]
    rows, scores = ExactIndex(v).search(q, 10)
    truth = np.argsort(-(v @ q), kind="stable")[:10]
    assert set(rows) == set(truth)
    assert np.all(np.diff(scores) <= 0)
    np.testing.assert_allclose(scores, v[rows] @ q, rtol=1e-5)


def test_k_larger_than_the_catalogue_returns_everything() -> None:
    v = clustered(5)
    rows, _ = ExactIndex(v).search(v[0], 50)
    assert sorted(rows) == list(range(5))
    rows, _ = FaissIndex(v).search(v[0], 50)
    assert sorted(rows) == list(range(5))


def test_faiss_recall_against_exact() -> None:
    v = clustered(20_000)
    exact, faiss = ExactIndex(v), FaissIndex(v)
    rng = np.random.default_rng(1)
    recalls = []
    for q in v[rng.integers(len(v), size=20)]:
        want, _ = exact.search(q, 20)
        got, got_scores = faiss.search(q, 20)
        recalls.append(len(set(want) & set(got)) / 20)
        np.testing.assert_allclose(got_scores, v[got] @ q, rtol=1e-5)  # scores are exact
    assert np.mean(recalls) >= 0.9


def test_build_index_switches_at_the_threshold() -> None:
    v = clustered(100)
    assert build_index(v, faiss_threshold=101).kind == "exact"
    assert build_index(v, faiss_threshold=100).kind == "faiss"
