"""Independent jobs run on the calling thread and helper threads, results in order.

Screening spreads its pair metrics and its polygon unions (GEOS calls that release the GIL)
over threads with :func:`run_buckets`. The calling thread works too: every new thread gets
its own glibc malloc arena, which keeps the memory its jobs freed, so a thread that only
waited for the others would cost memory for nothing.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

__all__ = ["paused_gc", "pausing_gc", "run_buckets"]

_T = TypeVar("_T")
_P = ParamSpec("_P")


def run_buckets(
    job: Callable[[int], _T],
    n: int,
    n_jobs: int,
    first: Callable[[], object] | None = None,
) -> list[_T]:
    """Run ``job(0)`` … ``job(n - 1)`` on the calling thread and ``n_jobs - 1`` helper threads.

    The calling thread takes buckets too, so one thread fewer is started: every new thread
    gets its own glibc malloc arena, which keeps the freed memory of the buckets it ran (about
    7 MiB each at 10k sites × 10k zones), so a thread that only waited would cost memory for
    nothing. Buckets are handed out in order from a shared counter; results keep their order.
    ``first``, if given, runs on the calling thread before it takes buckets, while the helpers
    already work: other work of the caller (numpy, holding the GIL at times) overlaps GEOS
    calls that release it, instead of running before them on one core.
    """
    if n_jobs <= 1 or n <= 1:
        if first is not None:
            first()
        return [job(k) for k in range(n)]
    out: list[Any] = [None] * n
    counter = itertools.count()
    lock = threading.Lock()
    failed = threading.Event()  # a bucket raised: the others stop taking buckets

    def work() -> None:
        while not failed.is_set():
            with lock:
                k = next(counter)
            if k >= n:
                return
            try:
                out[k] = job(k)
            except BaseException:
                failed.set()
                raise

    with ThreadPoolExecutor(max_workers=min(n_jobs, n) - 1) as pool:
        helpers = [pool.submit(work) for _ in range(min(n_jobs, n) - 1)]
        try:
            if first is not None:
                first()
        except BaseException:
            failed.set()  # the helpers take no more buckets; the caller's error is raised
            raise
        work()
        for f in helpers:
            f.result()
    return out


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block, if it runs; restart it after.

    A large screening makes ~10⁵ objects the collector tracks (geometry pieces, rows' lists)
    that live until the result is built; every full collection then walks the whole heap
    (~40 ms at 10k sites × 100k zones, several per screening, 0.2–0.35 s of CPU in all).
    Reference counting still frees everything that is not in a cycle; cycles made meanwhile
    are collected by the next collection after the block. Only the thread that paused the
    collector restarts it, and only if it was running (``gc.disable`` by the caller is kept).
    """
    was = gc.isenabled()
    if was:
        gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def pausing_gc(fn: Callable[_P, _T]) -> Callable[_P, _T]:
    """Decorate ``fn`` to run with the cyclic garbage collector paused (:func:`paused_gc`)."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        with paused_gc():
            return fn(*args, **kwargs)

    return wrapper
