"""Candidate retrieval: the top items for a user state, exact or approximate."""

from unifeed.retrieval.index import ExactIndex, FaissIndex, VectorIndex, build_index

__all__ = ["ExactIndex", "FaissIndex", "VectorIndex", "build_index"]
