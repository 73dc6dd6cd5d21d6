"""The three ways a feed can be ranked: the unified model, popularity, random.

Each is a `Ranker`: it ranks rows of a catalogue view for a user, best first,
with the excluded rows left out, or says it cannot (the model, before its
first checkpoint or for a user without history), and the feed falls back to
popularity. The model's ranking also carries the user's model vector and the
item vectors, which the ads score their creatives with.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F

from unifeed.actions import POSITIVE_ACTIONS
from unifeed.clock import Clock, Every, WallClock
from unifeed.data.interactions import kind_code
from unifeed.model.checkpoint import Checkpoint, CheckpointError
from unifeed.retrieval import ExactIndex, VectorIndex, build_index
from unifeed.serving.catalogue import CatalogueView, LiveCatalogue
from unifeed.serving.publish import current_version
from unifeed.settings import Settings
from unifeed.store import Store
from unifeed.store.activity import UserActivity

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ranking:
    """A ranked page: catalogue rows, best first, and who ranked them."""

    rows: np.ndarray  # (n,)
    scores: np.ndarray  # (n,)
    ranker: str  # as the response names it: model, popularity, random or fallback
    model_version: str | None = None
    query: np.ndarray | None = None  # (D,) the user's model vector, when a model ranked
    item_vectors: np.ndarray | None = None  # (I, D) the view's items as that model scores them


class Ranker(Protocol):
    def rank(
        self, cat: CatalogueView, user: UserActivity | None, n: int, exclude: np.ndarray
    ) -> Ranking | None:
        """The n best rows of `cat` not excluded, for this user (None: unknown
        to the store); None when this ranker cannot rank for them."""
        ...


@dataclass(frozen=True)
class ScoredItems:
    """One catalogue view's item vectors and the index over them, swapped as one."""

    catalogue_version: int
    vectors: np.ndarray  # (I, D) item representations as the model reads them
    index: VectorIndex = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.index is None:
            object.__setattr__(self, "index", ExactIndex(self.vectors))


class ModelRanker:
    """A checkpoint scoring the live catalogue, new items from their content."""

    def __init__(self, ckpt: Checkpoint, version: str, faiss_threshold: int, store: Store) -> None:
        self.store = store  # the users' histories
        self.ckpt = ckpt
        self.version = version
        self.model = ckpt.model.eval()
        self.faiss_threshold = faiss_threshold
        self.code_of = {str(i): k + 1 for k, i in enumerate(ckpt.item_ids)}
        self.action_code = {a: k for k, a in enumerate(ckpt.action_names)}
        self.encoder = ckpt.meta.get("encoder")
        self.scored = ScoredItems(-1, np.zeros((0, self.model.cfg.dim), np.float32))
        self._lock = threading.Lock()

    @property
    def index(self) -> VectorIndex:
        return self.scored.index

    def sync(self, cat: CatalogueView) -> ScoredItems:
        """Item vectors and index for this catalogue view, recomputed when it changed."""
        current = self.scored
        if cat.version == current.catalogue_version:
            return current
        with self._lock:
            if cat.version == self.scored.catalogue_version:
                return self.scored
            vectors = self._vectors(cat)
            scored = vectors
            if self.model.cfg.normalize:
                scored = F.normalize(torch.from_numpy(vectors), dim=-1).numpy()
            # Building HNSW over a large catalogue takes seconds: serve exactly
            # meanwhile and swap the graph in when it is ready.
            self.scored = ScoredItems(cat.version, vectors, ExactIndex(scored))
            if len(scored) >= self.faiss_threshold:
                threading.Thread(
                    target=self._build_faiss, args=(self.scored, scored), daemon=True
                ).start()
            return self.scored

    def _build_faiss(self, items: ScoredItems, scored: np.ndarray) -> None:
        index = build_index(scored, self.faiss_threshold)
        with self._lock:
            if self.scored is items:
                self.scored = ScoredItems(items.catalogue_version, items.vectors, index)

    def wait_for_index(self, timeout: float = 120.0) -> str:
        """Block until a pending faiss build is in (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while self.index.kind == "exact" and len(self.index) >= self.faiss_threshold:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return self.index.kind

    @torch.no_grad()
    def _vectors(self, cat: CatalogueView) -> np.ndarray:
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
            e = m.kind_emb(torch.tensor([kind_code(k) for k in cat.kind[fresh]]))
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
    def state(self, items: ScoredItems, rows: list[int], actions: list[str]) -> np.ndarray | None:
        """The query vector after this history (rows of the catalogue, oldest first)."""
        keep = [(r, self.action_code.get(a)) for r, a in zip(rows, actions, strict=True)]
        keep = [(r, a) for r, a in keep if a is not None][-self.model.cfg.max_len :]
        if not keep:
            return None
        vec = torch.from_numpy(items.vectors[[r for r, _ in keep]]).unsqueeze(0)  # (1, T, D)
        T = vec.shape[1]
        ones = torch.ones(1, T, dtype=torch.long)
        acts = torch.tensor([[a for _, a in keep]], dtype=torch.long)  # (1, T)
        h = self.model.last_state(ones, acts, torch.tensor([T]), item_vectors=vec)[0]  # (D,)
        if self.model.cfg.normalize:
            h = F.normalize(h, dim=-1) / self.model.cfg.temperature
        return h.numpy()

    def rank(
        self, cat: CatalogueView, user: UserActivity | None, n: int, exclude: np.ndarray
    ) -> Ranking | None:
        """By the user's state after their history; None for a user without one."""
        if user is None:
            return None
        scored = self.sync(cat)
        history = user.history(POSITIVE_ACTIONS, self.model.cfg.max_len)
        pairs = [(cat.row_of_pk.get(pk), a) for pk, a in history]
        pairs = [(r, a) for r, a in pairs if r is not None]
        query = self.state(scored, [r for r, _ in pairs], [a for _, a in pairs])
        if query is None:
            return None
        rows, scores = self.top(scored, query, n, exclude)
        return Ranking(rows, scores, "model", self.version, query, scored.vectors)

    @staticmethod
    def top(
        items: ScoredItems, query: np.ndarray, n: int, exclude: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The n best rows not excluded.

        Asks the index for a few more than n and widens the search only while
        exclusions leave too few: a catalogue where most rows are excluded
        (ads, say) must not make every request search for all of them.
        """
        available = int((~exclude).sum())
        want = min(n, available)
        k = min(2 * n + 16, len(items.index))
        while True:
            rows, scores = items.index.search(query, k)
            ok = ~exclude[rows]
            if ok.sum() >= want or k >= len(items.index):
                break
            k = min(4 * k, len(items.index))
        if ok.sum() < want:
            # The approximate index missed some: the exact one cannot.
            rows, scores = ExactIndex(items.vectors).search(query, len(items.index))
            ok = ~exclude[rows]
        return rows[ok][:n], scores[ok][:n]


class PublishedModel:
    """The model ranker of the checkpoint published under the checkpoint root,
    reloaded when CURRENT names another (polled, or at once when asked)."""

    def __init__(
        self, store: Store, settings: Settings, catalogue: LiveCatalogue, clock: Clock
    ) -> None:
        self.store, self.settings, self.catalogue = store, settings, catalogue
        self.current: ModelRanker | None = None
        self.error: str | None = None  # why the newest checkpoint could not be loaded
        self._poll = Every(clock, settings.reload_seconds)
        self._lock = threading.Lock()

    def reload(self, force: bool = False) -> bool:
        """Load the published checkpoint if it changed; True when a new one loaded."""
        if not force and not self._poll.due():
            return False
        with self._lock:
            self._poll.done()
            root = Path(self.settings.checkpoint_root)
            version = current_version(root)
            if version is None or (self.current is not None and self.current.version == version):
                return False
            try:
                ckpt = Checkpoint.load(root / version)
            except CheckpointError as e:
                # Keep serving the previous model; readiness reports the problem.
                self.error = str(e)
                log.error("cannot load checkpoint %s: %s", version, e)
                return False
            ranker = ModelRanker(ckpt, version, self.settings.faiss_threshold, self.store)
            self.catalogue.refresh()
            ranker.sync(self.catalogue.view())
            self.current, self.error = ranker, None
            log.info("serving checkpoint %s", version)
            return True

    def rank(
        self, cat: CatalogueView, user: UserActivity | None, n: int, exclude: np.ndarray
    ) -> Ranking | None:
        model = self.current
        return None if model is None else model.rank(cat, user, n, exclude)


class PopularityRanker:
    """Items by their count of positive events; ties go to the newer item."""

    def __init__(self, store: Store, refresh_seconds: float, clock: Clock | None = None) -> None:
        self.store = store
        self._due = Every(clock or WallClock(), refresh_seconds)
        self._counts: dict[int, int] = {}
        self._generation = 0
        # (catalogue version, counts generation, order, scores), swapped as one.
        self._cache: tuple[int, int, np.ndarray, np.ndarray] = (
            -1,
            -1,
            np.zeros(0, np.int64),
            np.zeros(0),
        )

    def rank(
        self, cat: CatalogueView, user: UserActivity | None, n: int, exclude: np.ndarray
    ) -> Ranking:
        if self._due.due():
            self._counts = self.store.item_counts(POSITIVE_ACTIONS)
            self._due.done()
            self._generation += 1
        version, generation, order, scores = self._cache
        if (version, generation) != (cat.version, self._generation):
            counts = np.array([self._counts.get(int(p), 0) for p in cat.pk], dtype=np.float64)
            order = np.lexsort((-cat.pk, -counts))
            scores = counts[order]
            self._cache = (cat.version, self._generation, order, scores)
        # Walk down the ranking only as far as the exclusions require.
        k = min(len(order), n + int(exclude.sum()))
        ok = ~exclude[order[:k]]
        return Ranking(order[:k][ok][:n], scores[:k][ok][:n], "popularity")


class RandomRanker:
    """Rows in a random order. The generator is injected: a server draws from
    fresh entropy, a replay from its seed (`Settings.random_seed`)."""

    def __init__(self, rng: np.random.Generator | None = None) -> None:
        self._rng = rng if rng is not None else np.random.default_rng()

    def rank(
        self, cat: CatalogueView, user: UserActivity | None, n: int, exclude: np.ndarray
    ) -> Ranking:
        allowed = np.flatnonzero(~exclude)
        rows = self._rng.permutation(allowed)[:n]
        return Ranking(rows, np.zeros(len(rows)), "random")
