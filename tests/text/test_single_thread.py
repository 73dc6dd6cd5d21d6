"""Small encodes run on one intra-op thread without changing any other thread's count."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

torch = pytest.importorskip("torch")
# As in the service, where the encoder's library is loaded: it brings scikit-learn,
# and with it a second OpenMP runtime beside torch's.
pytest.importorskip("sentence_transformers")

from unifeed.text import single_thread  # noqa: E402
from unifeed.text.embeddings import SMALL_BATCH, MiniLMEncoder  # noqa: E402

pytestmark = pytest.mark.skipif(
    "parallel backend: OpenMP" not in torch.__config__.parallel_info(),
    reason="other torch builds run small encodes inline",
)


@pytest.fixture
def two_threads() -> Iterator[None]:
    """The process at two intra-op threads, as the service runs on two cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def _count_here(texts: list[str]) -> dict[str, int]:
    counts = {"worker": torch.get_num_threads()}

    def newcomer() -> None:  # a thread whose first torch work comes mid-encode
        torch.ones(4).sum()
        counts["new thread"] = torch.get_num_threads()

    t = threading.Thread(target=newcomer)
    t.start()
    t.join()
    return counts


def _in_new_thread() -> int:
    got: list[int] = []
    t = threading.Thread(target=lambda: got.append(torch.get_num_threads()))
    t.start()
    t.join()
    return got[0]


def test_the_worker_runs_one_thread_and_leaves_the_others_theirs(two_threads: None) -> None:
    counts = single_thread.run_single_threaded(_count_here, ["a question"])
    assert counts["worker"] == 1
    # torch.set_num_threads(1) around the call would start this thread at one.
    assert counts["new thread"] == 2
    assert torch.get_num_threads() == 2  # the caller's
    assert _in_new_thread() == 2  # and the default after


def test_concurrent_callers_each_keep_their_count(two_threads: None) -> None:
    """Threads that first use torch while the workers are setting themselves up
    start from the default all the same."""
    for _ in range(5):
        single_thread._forget_workers()  # fresh workers, set up while the callers start
        seen: list[tuple[int, int, int]] = []

        def caller(seen: list[tuple[int, int, int]] = seen) -> None:
            torch.ones(4).sum()
            before = torch.get_num_threads()
            inside = single_thread.run_single_threaded(_count_here, ["q"])["worker"]
            seen.append((before, inside, torch.get_num_threads()))

        threads = [threading.Thread(target=caller) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert seen == [(2, 1, 2)] * 6
        assert _in_new_thread() == 2


def test_a_nested_call_runs_inline() -> None:
    def outer(texts: list[str]) -> int:
        return single_thread.run_single_threaded(lambda _: torch.get_num_threads(), texts)

    assert single_thread.run_single_threaded(outer, ["q"]) == 1


def test_small_and_large_batches_give_the_same_vectors(two_threads: None) -> None:
    """A small batch goes to the worker, a larger one stays on the caller's thread; at
    more than one text the thread count does not change a bit of the vectors."""
    enc = MiniLMEncoder()
    texts = [f"how often do you water your plant number {k}?" for k in range(SMALL_BATCH + 1)]
    small = enc.encode(texts[:SMALL_BATCH])
    large = enc.encode(texts)
    assert np.array_equal(small, large[:SMALL_BATCH])
    # One text alone on one thread: within a float32 rounding of the batch's vector.
    one = enc.encode(texts[:1])
    assert np.allclose(one[0], large[0], atol=1e-6)
    assert torch.get_num_threads() == 2
