"""The three ways a feed can be ranked: the unified model, popularity, random.

Each ranks rows of the live catalogue and returns (rows, scores), best first,
with the excluded rows left out.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import torch
import torch.nn.functional as F

from unifeed.data.interactions import ITEM_KINDS
from unifeed.model.checkpoint import Checkpoint
from unifeed.retrieval import ExactIndex, VectorIndex, build_index
from unifeed.serving.actions import POSITIVE_ACTIONS
from unifeed.serving.catalogue import LiveCatalogue
from unifeed.store import Store

log = logging.getLogger(__name__)


def _kind_codes(kinds: np.ndarray) -> np.ndarray:
    lookup = {k: i for i, k in enumerate(ITEM_KINDS)}
    return np.array([lookup.get(k, 0) for k in kinds], dtype=np.int64)


class ModelRanker:
    """A checkpoint scoring the live catalogue, new items from their content."""

    name = "model"

    def __init__(self, ckpt: Checkpoint, version: str, faiss_threshold: int) -> None:
        self.ckpt = ckpt
        self.version = version
        self.model = ckpt.model.eval()
        self.faiss_threshold = faiss_threshold
        self.code_of = {str(i): k + 1 for k, i in enumerate(ckpt.item_ids)}
        self.action_code = {a: k for k, a in enumerate(ckpt.action_names)}
        self.encoder = ckpt.meta.get("encoder")
        self.catalogue_version = -1
        self.item_vectors = np.zeros((0, self.model.cfg.dim), dtype=np.float32)  # (I, D) raw
        self.index: VectorIndex = ExactIndex(self.item_vectors)
        self._lock = threading.Lock()

    def sync(self, cat: LiveCatalogue) -> None:
        """Recompute item vectors when the catalogue changed since the last call."""
        if cat.version == self.catalogue_version:
            return
        with self._lock:
            if cat.version == self.catalogue_version:
                return
            version = cat.version
            vectors = self._vectors(cat)
            scored = vectors
            if self.model.cfg.normalize:
                scored = F.normalize(torch.from_numpy(vectors), dim=-1).numpy()
            if len(scored) >= self.faiss_threshold:
                # Building HNSW over a large catalogue takes seconds: serve
                # exactly meanwhile and swap the graph in when it is ready.
                self.index = ExactIndex(scored)
                threading.Thread(
                    target=self._build_faiss, args=(scored, version), daemon=True
                ).start()
            else:
                self.index = ExactIndex(scored)
            self.item_vectors = vectors
            self.catalogue_version = version

    def _build_faiss(self, scored: np.ndarray, version: int) -> None:
        index = build_index(scored, self.faiss_threshold)
        with self._lock:
            if self.catalogue_version == version:
                self.index = index

    def wait_for_index(self, timeout: float = 120.0) -> str:
        """Block until a pending faiss build is in (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while self.index.kind == "exact" and len(self.index) >= self.faiss_threshold:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return self.index.kind

    @torch.no_grad()
    def _vectors(self, cat: LiveCatalogue) -> np.ndarray:
        m = self.model
        n = len(cat)
        codes = np.array([self.code_of.get(str(e), 0) for e in cat.external_id], dtype=np.int64)
        out = torch.zeros(n, m.cfg.dim)
        known = codes > 0
        if known.any():
            out[known] = m.item_repr(torch.from_numpy(codes[known]))
        fresh = np.flatnonzero(~known)
        if len(fresh):
            # Items the checkpoint has never seen: kind plus content, exactly
            # what the model learned to use for items whose id it hid.
            e = m.kind_emb(torch.from_numpy(_kind_codes(cat.kind[fresh])))
            usable = (
                m.content_proj is not None
                and cat.embedding is not None
                and cat.embedding.shape[1] == m.cfg.content_dim
                and (self.encoder is None or cat.encoder == self.encoder)
            )
            if usable:
                assert m.content_proj is not None and cat.embedding is not None
                c = m.content_proj(torch.from_numpy(cat.embedding[fresh]))
                e = e + c * torch.from_numpy(cat.has_embedding[fresh]).unsqueeze(-1)
            out[fresh] = e
        return out.numpy()

    @torch.no_grad()
    def state(self, rows: list[int], actions: list[str]) -> np.ndarray | None:
        """The query vector after this history (rows of the catalogue, oldest first)."""
        keep = [(r, self.action_code.get(a)) for r, a in zip(rows, actions, strict=True)]
        keep = [(r, a) for r, a in keep if a is not None][-self.model.cfg.max_len :]
        if not keep:
            return None
        vec = torch.from_numpy(self.item_vectors[[r for r, _ in keep]]).unsqueeze(0)  # (1, T, D)
        T = vec.shape[1]
        ones = torch.ones(1, T, dtype=torch.long)
        acts = torch.tensor([[a for _, a in keep]], dtype=torch.long)  # (1, T)
        h = self.model.last_state(ones, acts, torch.tensor([T]), item_vectors=vec)[0]  # (D,)
        if self.model.cfg.normalize:
            h = F.normalize(h, dim=-1) / self.model.cfg.temperature
        return h.numpy()

    def rank(self, query: np.ndarray, n: int, exclude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = min(n + int(exclude.sum()), len(self.index))
        rows, scores = self.index.search(query, k)
        ok = ~exclude[rows]
        if ok.sum() < min(n, int((~exclude).sum())) and self.index.kind != "exact":
            # The approximate index came back short after exclusions.
            rows, scores = ExactIndex(self.item_vectors).search(query, k)
            ok = ~exclude[rows]
        return rows[ok][:n], scores[ok][:n]


class PopularityRanker:
    """Items by their count of positive events; ties go to the newer item."""

    name = "popularity"

    def __init__(self, store: Store, refresh_seconds: float) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self._checked = -1e18
        self._counts: dict[int, int] = {}
        self._key: tuple[int, int] = (-1, -1)
        self._order = np.zeros(0, dtype=np.int64)
        self._scores = np.zeros(0)
        self._generation = 0

    def rank(
        self, cat: LiveCatalogue, n: int, exclude: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if time.monotonic() - self._checked >= self.refresh_seconds:
            self._counts = self.store.item_counts(POSITIVE_ACTIONS)
            self._checked = time.monotonic()
            self._generation += 1
        if self._key != (cat.version, self._generation):
            counts = np.array([self._counts.get(int(p), 0) for p in cat.pk], dtype=np.float64)
            order = np.lexsort((-cat.pk, -counts))
            self._order, self._scores = order, counts[order]
            self._key = (cat.version, self._generation)
        order, scores = self._order, self._scores
        # Walk down the ranking only as far as the exclusions require.
        k = min(len(order), n + int(exclude.sum()))
        ok = ~exclude[order[:k]]
        return order[:k][ok][:n], scores[:k][ok][:n]


class RandomRanker:
    name = "random"

    def __init__(self) -> None:
        self._rng = np.random.default_rng()

    def rank(
        self, cat: LiveCatalogue, n: int, exclude: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        allowed = np.flatnonzero(~exclude)
        rows = self._rng.permutation(allowed)[:n]
        return rows, np.zeros(len(rows))
