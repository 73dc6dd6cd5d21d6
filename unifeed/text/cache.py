"""Embedding items' texts, remembering each text's vector on disk.

`embed_items` maps a catalogue's texts (some missing) to an embedding matrix
plus a has-text mask, encoding each distinct text once and remembering the
result on disk, keyed by the text's SHA-256, in one ``.npz`` file per encoder,
so a catalogue of 100k items is not re-encoded by every run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from unifeed.text.embeddings import MiniLMEncoder, TextEncoder

logger = logging.getLogger(__name__)

# Texts handed to the encoder per call when the encoder does not say what it
# prefers; also the granularity of progress reports.
_DEFAULT_CHUNK = 256
# Bumped when the on-disk layout changes, so old files are rebuilt, not misread.
_CACHE_FORMAT = 1


# ---------------------------------------------------------------------------
# On-disk cache


def default_cache_dir() -> Path:
    """``$UNIFEED_CACHE/embeddings``, else ``~/.cache/unifeed/embeddings``."""
    root = os.environ.get("UNIFEED_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "unifeed"
    return base / "embeddings"


def _cache_path(cache_dir: Path, encoder: TextEncoder) -> Path:
    # Names come from code, but keep them from escaping the folder or
    # colliding with characters some file systems reject.
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", encoder.name).strip("._") or "encoder"
    return cache_dir / f"{safe}.npz"


def _text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class _Cache:
    """SHA-256(text) -> vector for one encoder, loaded whole into memory."""

    def __init__(self, path: Path, encoder: TextEncoder) -> None:
        self.path = path
        self.name = encoder.name
        self.dim = int(encoder.dim)
        self.index: dict[bytes, int] = {}
        self.vectors = np.zeros((0, self.dim), dtype=np.float32)
        self._read_into_self()

    def _read(self) -> tuple[list[bytes], np.ndarray] | None:
        if not self.path.exists():
            return None
        try:
            with np.load(self.path, allow_pickle=False) as z:
                fmt = int(z["format"])
                name = str(z["encoder"])
                keys = np.asarray(z["keys"])
                vectors = np.asarray(z["vectors"])
            if fmt != _CACHE_FORMAT:
                raise ValueError(f"format {fmt}, expected {_CACHE_FORMAT}")
            if name != self.name:
                raise ValueError(f"written by encoder {name!r}, not {self.name!r}")
            if keys.dtype != np.uint8 or keys.ndim != 2 or keys.shape[1] != 32:
                raise ValueError(f"bad key array {keys.dtype} {keys.shape}")
            if vectors.dtype != np.float32 or vectors.shape != (len(keys), self.dim):
                raise ValueError(f"bad vector array {vectors.dtype} {vectors.shape}")
            if not np.isfinite(vectors).all():
                raise ValueError("non-finite vectors")
        except Exception as exc:
            # The cache only saves time: never let a damaged file stop a run.
            # It is overwritten on the next save.
            logger.warning("ignoring unreadable embedding cache %s: %s", self.path, exc)
            return None
        return [k.tobytes() for k in keys], vectors

    def _read_into_self(self) -> None:
        loaded = self._read()
        if loaded is None:
            return
        keys, vectors = loaded
        self.index = {k: i for i, k in enumerate(keys)}
        if len(self.index) != len(keys):
            # Duplicate keys would break the row bookkeeping below.
            logger.warning("ignoring embedding cache %s: duplicate keys", self.path)
            self.index = {}
            return
        self.vectors = vectors

    def get(self, key: bytes) -> np.ndarray | None:
        i = self.index.get(key)
        return None if i is None else self.vectors[i]

    def save(self, new_keys: list[bytes], new_vectors: np.ndarray) -> None:
        """Add entries and rewrite the file atomically; failures only log."""
        if not new_keys:
            return
        # Another process may have written entries since we loaded; fold them
        # in so concurrent runs don't keep erasing each other's work.
        on_disk = self._read()
        keys = list(self.index)
        vectors = [self.vectors]
        if on_disk is not None:
            disk_keys, disk_vectors = on_disk
            extra = [i for i, k in enumerate(disk_keys) if k not in self.index]
            keys += [disk_keys[i] for i in extra]
            vectors.append(disk_vectors[extra])
        seen = set(keys)
        fresh = [i for i, k in enumerate(new_keys) if k not in seen]
        keys += [new_keys[i] for i in fresh]
        vectors.append(new_vectors[fresh])
        all_vectors = np.concatenate(vectors).astype(np.float32, copy=False)
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 32)

        tmp_name: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(
                dir=self.path.parent, prefix=f".{self.path.stem}.", suffix=".tmp"
            )
            with os.fdopen(fd, "wb") as f:
                np.savez(
                    f,
                    format=np.int64(_CACHE_FORMAT),
                    encoder=np.str_(self.name),
                    keys=key_array,
                    vectors=all_vectors,
                )
                f.flush()
                # Without fsync a power cut after the rename can leave an
                # empty file under the final name on some file systems.
                os.fsync(f.fileno())
            os.replace(tmp_name, self.path)
            tmp_name = None
        except OSError as exc:
            logger.warning("could not write embedding cache %s: %s", self.path, exc)
        finally:
            if tmp_name is not None:
                Path(tmp_name).unlink(missing_ok=True)
        self.index = {k: i for i, k in enumerate(keys)}
        self.vectors = all_vectors
        logger.debug("embedding cache %s now holds %d texts", self.path, len(keys))


# ---------------------------------------------------------------------------
# Items


def embed_items(
    texts: Sequence[str | None],
    encoder: TextEncoder | None = None,
    cache_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Embed one text per item, reusing vectors cached on disk.

    Returns ``(emb, has_text)``: `emb` is (I, encoder.dim) float32 with unit
    rows, `has_text` is (I,) bool. Items whose text is None, empty or only
    whitespace get a zero row and ``has_text=False``. Texts are stripped of
    surrounding whitespace before encoding, so "Heat " and "Heat" share a row.

    Only distinct texts missing from the cache are encoded. The cache is one
    file per encoder under `cache_dir` (default: `default_cache_dir()`), and
    `cache_dir` is used as is, without an ``embeddings`` subfolder.

    `progress(done, total)` counts distinct non-empty texts: it is called once
    up front with the number already cached, then after every encoded chunk;
    the last call has ``done == total``.
    """
    enc: TextEncoder = encoder if encoder is not None else MiniLMEncoder()
    dim = int(enc.dim)
    n = len(texts)
    emb = np.zeros((n, dim), dtype=np.float32)
    has_text = np.zeros(n, dtype=bool)

    # Distinct stripped text -> the item rows that carry it.
    rows_of: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        if text is None:
            continue
        if not isinstance(text, str):
            raise TypeError(f"item {i}: text must be str or None, got {type(text).__name__}")
        stripped = text.strip()
        if stripped:
            rows_of.setdefault(stripped, []).append(i)
            has_text[i] = True
    total = len(rows_of)
    if total == 0:
        if progress is not None:
            progress(0, 0)
        return emb, has_text

    cache = _Cache(_cache_path(Path(cache_dir) if cache_dir else default_cache_dir(), enc), enc)
    todo: list[tuple[str, bytes]] = []
    for text, rows in rows_of.items():
        key = _text_key(text)
        vec = cache.get(key)
        if vec is None:
            todo.append((text, key))
        else:
            emb[rows] = vec
    done = total - len(todo)
    logger.info(
        "embedding %d items with %s: %d distinct texts, %d cached",
        n,
        enc.name,
        total,
        done,
    )
    if progress is not None:
        progress(done, total)
    if not todo:
        return emb, has_text

    chunk = int(getattr(enc, "batch_size", 0) or 0) or _DEFAULT_CHUNK
    chunk = max(chunk, 1)
    new_keys: list[bytes] = []
    new_vectors: list[np.ndarray] = []
    try:
        for start in range(0, len(todo), chunk):
            part = todo[start : start + chunk]
            vecs = np.asarray(enc.encode([t for t, _ in part]), dtype=np.float32)
            if vecs.shape != (len(part), dim):
                raise ValueError(
                    f"encoder {enc.name!r} returned shape {vecs.shape}, expected {(len(part), dim)}"
                )
            for (text, key), vec in zip(part, vecs, strict=True):
                emb[rows_of[text]] = vec
                new_keys.append(key)
            new_vectors.append(vecs)
            done += len(part)
            if progress is not None:
                progress(done, total)
    finally:
        # Also on Ctrl-C or an encoder error: keep what was already paid for.
        if new_keys:
            cache.save(new_keys, np.concatenate(new_vectors))
    return emb, has_text
