"""Small encodes run on worker threads whose torch uses one intra-op thread.

Why: one short text (an assistant's question) is too little work to split. At
two intra-op threads it costs about twice the CPU of one for no gain in wall
time, and several times more when other processes hold the cores, as OpenMP's
second thread waits for its share (figures: the commit that added this module).

Why not `torch.set_num_threads(1)` around the call: in torch's OpenMP build
that call sets the calling thread's OpenMP and MKL counts, which are per
thread, but also the count every thread yet to use torch starts from (and
QNNPACK's pool size), which is the process's. Set around a request's encode, a
thread whose first torch operation fell in that moment would keep one thread
for good, and that thread, restoring its own count after a later encode, would
make one the default of every later thread. Setting it once and putting the
default back from another thread still leaves that moment open (the test of
this module caught it).

So each worker sets only its own counts, once, when it starts, with the two
per-thread calls that `torch.set_num_threads` itself makes (`omp_set_num_threads`
of the OpenMP runtime and `mkl_set_num_threads_local` of MKL, both found in the
libtorch_cpu torch loaded), and checks that they took. Where they cannot be
found (another platform, a build without OpenMP), small encodes run on the
caller's thread as before; where they did not take, a warning says so.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

_POOL_LOCK = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_checked = False
_local = threading.local()


@dataclass(frozen=True)
class _Setters:
    """The per-thread thread-count calls of the runtimes torch loaded."""

    omp_set_num_threads: Callable[[int], object]
    mkl_set_num_threads_local: Callable[[int], object] | None
    mkl_get_max_threads: Callable[[], int] | None


def run_single_threaded(fn: Callable[[list[str]], T], texts: list[str]) -> T:
    """`fn(texts)` on a worker whose torch uses one intra-op thread; the caller's
    thread and every other thread keep their own setting."""
    if getattr(_local, "worker", False):  # already on a worker: a nested call would wait on itself
        return fn(texts)
    pool = _workers()
    if pool is None:
        return fn(texts)
    return pool.submit(fn, texts).result()


def _workers() -> ThreadPoolExecutor | None:
    global _pool, _checked
    with _POOL_LOCK:
        if not _checked:
            import torch

            _checked = True
            setters = _find_setters()
            if setters is None:
                log.info(
                    "torch's thread counts cannot be set per thread: small encodes run as before"
                )
            else:
                # As many workers as the process has intra-op threads: concurrent
                # small encodes still spread over the cores they used before.
                _pool = ThreadPoolExecutor(
                    max_workers=torch.get_num_threads(),
                    thread_name_prefix="unifeed-encode-1t",
                    initializer=_confine,
                    initargs=(setters,),
                )
        return _pool


def _find_setters() -> _Setters | None:
    import torch

    if "parallel backend: OpenMP" not in torch.__config__.parallel_info():
        return None  # a native thread pool has one count for the whole process
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:  # not Linux
        return None
    found = {
        p
        for p in re.findall(r"(/\S+\.so(?:\.\d+)*)$", maps, re.M)
        if Path(p).name.startswith("libtorch_cpu.")
    }
    if len(found) != 1:
        return None
    try:
        cpu = ctypes.CDLL(found.pop())  # the library already loaded, not a second copy
    except OSError:
        return None
    # Looked up through libtorch_cpu, a name resolves to the runtime torch itself is
    # linked against: other packages load their own libgomp (scikit-learn does).
    omp_set = getattr(cpu, "omp_set_num_threads", None)
    # MKL's C functions are the CamelCase ones (mkl_service.h defines the lower-case
    # names as macros for them); the lower-case symbols are its Fortran interface,
    # which takes pointers.
    mkl_set = getattr(cpu, "MKL_Set_Num_Threads_Local", None)
    mkl_get = getattr(cpu, "MKL_Get_Max_Threads", None)
    if omp_set is None or (mkl_set is None) != (mkl_get is None):
        return None
    omp_set.argtypes, omp_set.restype = [ctypes.c_int], None
    if mkl_set is not None and mkl_get is not None:
        mkl_set.argtypes, mkl_set.restype = [ctypes.c_int], ctypes.c_int
        mkl_get.argtypes, mkl_get.restype = [], ctypes.c_int
    return _Setters(omp_set, mkl_set, mkl_get)


def _confine(setters: _Setters) -> None:
    """Run first on each worker: this thread's counts to one, no other thread's."""
    import torch

    _local.worker = True
    torch.get_num_threads()  # this thread's first torch call: it starts from the default
    setters.omp_set_num_threads(1)
    if setters.mkl_set_num_threads_local is not None:
        setters.mkl_set_num_threads_local(1)
    mkl = setters.mkl_get_max_threads() if setters.mkl_get_max_threads is not None else 1
    if torch.get_num_threads() != 1 or mkl != 1:
        log.warning("small encodes could not be confined to one torch thread; they run as before")


def _forget_workers() -> None:
    global _pool, _checked
    _pool, _checked = None, False


# A forked child has the pool object but none of its threads: it would wait on
# work nobody runs. (The service spawns its processes; this is for other users.)
os.register_at_fork(after_in_child=_forget_workers)
