"""Independent jobs run on the calling thread and helper threads, results in order.

Screening spreads its pair metrics and its polygon unions (GEOS calls that release the GIL)
over threads with :func:`run_buckets`. The calling thread works too: every new thread gets
its own glibc malloc arena, which keeps the memory its jobs freed, so a thread that only
waited for the others would cost memory for nothing.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["run_buckets"]

_T = TypeVar("_T")


def run_buckets(job: Callable[[int], _T], n: int, n_jobs: int) -> list[_T]:
    """Run ``job(0)`` … ``job(n - 1)`` on the calling thread and ``n_jobs - 1`` helper threads.

    The calling thread takes buckets too, so one thread fewer is started: every new thread
    gets its own glibc malloc arena, which keeps the freed memory of the buckets it ran (about
    7 MiB each at 10k sites × 10k zones), so a thread that only waited would cost memory for
    nothing. Buckets are handed out in order from a shared counter; results keep their order.
    """
    if n_jobs <= 1 or n <= 1:
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
        work()
        for f in helpers:
            f.result()
    return out
