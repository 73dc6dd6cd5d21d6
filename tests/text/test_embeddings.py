"""Item text embeddings: the encoders, the missing-text mask and the disk cache."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from unifeed.text import HashingEncoder, MiniLMEncoder, TextEncoder, embed_items

TITLES = [
    "Toy Story (1995)",
    "GoldenEye (1995)",
    "Four Rooms (1995)",
    "Get Shorty (1995)",
    "Copycat (1995)",
]


class CountingEncoder:
    """Wraps an encoder and records every text it is asked to encode."""

    def __init__(self, inner: TextEncoder, batch_size: int | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        if batch_size is not None:
            self.batch_size = batch_size
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return self.inner.encode(texts)

    @property
    def n_encoded(self) -> int:
        return sum(len(c) for c in self.calls)


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- hashing encoder ---------------------------------------------------------


def test_hashing_encoder_satisfies_interface() -> None:
    enc = HashingEncoder(dim=32)
    assert isinstance(enc, TextEncoder)
    assert isinstance(MiniLMEncoder(), TextEncoder)
    assert enc.dim == 32
    assert "32" in enc.name
    assert HashingEncoder(dim=64).name != enc.name


def test_hashing_encoder_deterministic_and_normalised() -> None:
    enc = HashingEncoder(dim=64)
    texts = [*TITLES, "!!!", "ünïcödé title"]
    a = enc.encode(texts)
    b = HashingEncoder(dim=64).encode(list(reversed(texts)))[::-1]
    assert a.dtype == np.float32
    assert a.shape == (len(texts), 64)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-6)
    assert enc.encode([]).shape == (0, 64)


def test_hashing_encoder_similar_texts_closer() -> None:
    enc = HashingEncoder(dim=256)
    a, b, c = enc.encode(
        ["red running shoes for men", "running shoe in red", "chocolate cake recipe"]
    )
    assert cos(a, b) > cos(a, c) + 0.3


def test_hashing_encoder_rejects_tiny_dim() -> None:
    with pytest.raises(ValueError):
        HashingEncoder(dim=1)


# --- embed_items -------------------------------------------------------------


def test_missing_text_gives_zero_rows_and_mask(tmp_path: Path) -> None:
    enc = HashingEncoder(dim=16)
    texts = ["Toy Story", None, "", "   ", "GoldenEye", "Toy Story"]
    emb, has_text = embed_items(texts, enc, cache_dir=tmp_path)
    assert emb.dtype == np.float32
    assert emb.shape == (6, 16)
    assert has_text.dtype == np.bool_
    assert has_text.tolist() == [True, False, False, False, True, True]
    assert not emb[~has_text].any()
    np.testing.assert_allclose(np.linalg.norm(emb[has_text], axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(emb[0], emb[5])
    np.testing.assert_array_equal(emb[0], enc.encode(["Toy Story"])[0])


def test_only_unique_texts_are_encoded(tmp_path: Path) -> None:
    enc = CountingEncoder(HashingEncoder(dim=16))
    embed_items(["a b", "c d", "a b", " a b ", None, "c d"], enc, cache_dir=tmp_path)
    assert sorted(t for call in enc.calls for t in call) == ["a b", "c d"]


def test_all_missing_encodes_nothing(tmp_path: Path) -> None:
    enc = CountingEncoder(HashingEncoder(dim=8))
    emb, has_text = embed_items([None, ""], enc, cache_dir=tmp_path)
    assert emb.shape == (2, 8)
    assert not emb.any()
    assert not has_text.any()
    assert enc.calls == []
    assert embed_items([], enc, cache_dir=tmp_path)[0].shape == (0, 8)


def test_cache_hit_encodes_nothing(tmp_path: Path) -> None:
    enc = CountingEncoder(HashingEncoder(dim=16))
    texts = [*TITLES, None]
    emb1, mask1 = embed_items(texts, enc, cache_dir=tmp_path)
    assert enc.n_encoded == len(TITLES)
    assert len(list(tmp_path.glob("*.npz"))) == 1

    enc2 = CountingEncoder(HashingEncoder(dim=16))
    emb2, mask2 = embed_items(texts, enc2, cache_dir=tmp_path)
    assert enc2.calls == []
    np.testing.assert_array_equal(emb1, emb2)
    np.testing.assert_array_equal(mask1, mask2)


def test_cache_only_encodes_new_texts(tmp_path: Path) -> None:
    enc = CountingEncoder(HashingEncoder(dim=16))
    embed_items(TITLES[:3], enc, cache_dir=tmp_path)
    enc.calls.clear()
    emb, _ = embed_items(TITLES, enc, cache_dir=tmp_path)
    assert [t for call in enc.calls for t in call] == TITLES[3:]
    np.testing.assert_array_equal(emb, HashingEncoder(dim=16).encode(TITLES))


def test_cache_is_per_encoder(tmp_path: Path) -> None:
    a = CountingEncoder(HashingEncoder(dim=16))
    b = CountingEncoder(HashingEncoder(dim=32))
    embed_items(TITLES, a, cache_dir=tmp_path)
    emb, _ = embed_items(TITLES, b, cache_dir=tmp_path)
    assert b.n_encoded == len(TITLES)
    assert emb.shape == (len(TITLES), 32)
    assert len(list(tmp_path.glob("*.npz"))) == 2


def test_cache_dir_defaults_to_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNIFEED_CACHE", str(tmp_path))
    embed_items(TITLES, HashingEncoder(dim=8))
    assert list((tmp_path / "embeddings").glob("*.npz"))


def test_no_temp_files_left(tmp_path: Path) -> None:
    embed_items(TITLES, HashingEncoder(dim=8), cache_dir=tmp_path)
    embed_items(["another"], HashingEncoder(dim=8), cache_dir=tmp_path)
    assert [p.suffix for p in tmp_path.iterdir()] == [".npz"]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "wrong_dim"])
def test_corrupt_cache_is_ignored_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    enc = HashingEncoder(dim=16)
    expected, _ = embed_items(TITLES, enc, cache_dir=tmp_path)
    (path,) = tmp_path.glob("*.npz")
    if damage == "garbage":
        path.write_bytes(b"not a zip file at all")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        np.savez(path, vectors=np.zeros((3, 5), dtype=np.float32))

    counting = CountingEncoder(enc)
    with caplog.at_level(logging.WARNING, logger="unifeed.text.embeddings"):
        emb, _ = embed_items(TITLES, counting, cache_dir=tmp_path)
    assert counting.n_encoded == len(TITLES)
    np.testing.assert_array_equal(emb, expected)
    assert any("embedding cache" in r.getMessage() for r in caplog.records)

    # The rebuilt file is whole again: the next run is all hits.
    again = CountingEncoder(enc)
    emb2, _ = embed_items(TITLES, again, cache_dir=tmp_path)
    assert again.calls == []
    np.testing.assert_array_equal(emb2, expected)


def test_failed_encode_keeps_finished_chunks(tmp_path: Path) -> None:
    class Failing(CountingEncoder):
        def encode(self, texts: list[str]) -> np.ndarray:
            if len(self.calls) == 1:
                raise RuntimeError("boom")
            return super().encode(texts)

    with pytest.raises(RuntimeError):
        embed_items(TITLES, Failing(HashingEncoder(dim=8), batch_size=2), cache_dir=tmp_path)
    enc = CountingEncoder(HashingEncoder(dim=8))
    embed_items(TITLES, enc, cache_dir=tmp_path)
    assert enc.n_encoded == len(TITLES) - 2


def test_wrong_encoder_output_shape_is_an_error(tmp_path: Path) -> None:
    class Bad:
        name = "bad"
        dim = 4

        def encode(self, texts: list[str]) -> np.ndarray:
            return np.zeros((len(texts), 3), dtype=np.float32)

    with pytest.raises(ValueError, match="shape"):
        embed_items(["x"], Bad(), cache_dir=tmp_path)


def test_progress_reports_batches(tmp_path: Path) -> None:
    texts = [f"title {i}" for i in range(10)]
    calls: list[tuple[int, int]] = []
    enc = CountingEncoder(HashingEncoder(dim=8), batch_size=4)
    embed_items(texts, enc, cache_dir=tmp_path, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(0, 10), (4, 10), (8, 10), (10, 10)]

    calls.clear()
    embed_items(
        [*texts, "new"], enc, cache_dir=tmp_path, progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(10, 11), (11, 11)]


# --- MiniLM ------------------------------------------------------------------


def test_minilm_embeddings(tmp_path: Path) -> None:
    enc = MiniLMEncoder(batch_size=8)
    assert enc.dim == 384
    texts = ["a red running shoe", "sneakers for jogging", "a chocolate cake recipe"]
    emb, has_text = embed_items([*texts, None], enc, cache_dir=tmp_path)
    assert emb.shape == (4, 384)
    assert emb.dtype == np.float32
    assert has_text.tolist() == [True, True, True, False]
    np.testing.assert_allclose(np.linalg.norm(emb[:3], axis=1), 1.0, rtol=1e-5)
    shoe, sneakers, cake = emb[:3]
    assert shoe @ sneakers > shoe @ cake + 0.1
    # A second encoder shares the loaded model and agrees with the cache.
    direct = MiniLMEncoder().encode(texts)
    np.testing.assert_allclose(direct, emb[:3], atol=1e-5)
