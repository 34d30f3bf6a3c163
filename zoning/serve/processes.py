"""Screening in worker processes forked after the catalogue is loaded and warmed.

One Python process screens on one core at a time (the interpreter lock): with threads, a
2-core machine screens on one core while the other waits. ``zoning serve`` therefore forks its
screening workers once :func:`zoning.serve.app.create_app` has loaded the catalogue, built the
spatial index and projected every feature (:mod:`zoning.serve.warmup`): each worker starts
with all of it in memory (shared copy-on-write) and nothing is sent to it per request but the
:class:`~zoning.serve.screen_job.ScreenJob` (a path in the request's private folder and the
CLI's options). A worker answers the JSON text and the sites it read
(:class:`~zoning.serve.screen_job.Screened`); the main process keeps those for the downloads.

Workers are forked (on Linux; elsewhere ``zoning serve`` screens on threads) while the main
process still runs a single thread, before the web server starts, with what is alive frozen
(:func:`gc.freeze`) for them. They ignore Ctrl-C (the main process stops them) and leave by
themselves when the main process is gone, so none outlives the server.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from zoning.serve.responses import ApiError

if TYPE_CHECKING:
    from zoning.serve.archives import ArchiveLimits
    from zoning.serve.screen_job import Screened, ScreenJob

__all__ = ["can_fork", "process_executor_factory", "screen_in_worker"]

#: (catalog, archive limits) of this process, set before the workers are forked
_WORKER_STATE: list[tuple[Any, ArchiveLimits]] = []


def can_fork() -> bool:
    """Return True where worker processes are forked: Linux (macOS and Windows use threads).

    On macOS a forked child of a process that loaded system frameworks may crash (Python's
    own default there is ``spawn``); Windows cannot fork.
    """
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _watch_parent(parent: int) -> None:  # pragma: no cover - runs in the worker process
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _init_worker(parent: int) -> None:  # pragma: no cover - runs in the worker process
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _ready() -> int:
    return os.getpid()


def process_executor_factory(catalog: Any, limits: ArchiveLimits) -> Any:
    """Return ``factory(workers)`` making a pool of processes forked with ``catalog`` loaded.

    Parameters
    ----------
    catalog : Catalog
        The loaded (and warmed) catalogue the workers screen against.
    limits : ArchiveLimits
        The archive checks of uploads.

    Returns
    -------
    callable
        ``factory(workers) -> ProcessPoolExecutor`` for :class:`zoning.serve.pool.WorkerPool`;
        the workers are started before it returns.
    """
    _WORKER_STATE[:] = [(catalog, limits)]

    def factory(workers: int) -> Executor:
        # the workers start with what is alive now (the catalogue, the index, the caches)
        # frozen: their collections never walk it, so do not write to (and copy) the pages
        # they share with this process, which unfreezes it again for itself
        gc.freeze()
        try:
            executor = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker,
                initargs=(os.getpid(),),
            )
            # with fork, every worker starts on the first submit: start them now, from here
            executor.submit(_ready).result(timeout=120)
        finally:
            gc.unfreeze()
        return executor

    return factory


def screen_in_worker(job: ScreenJob) -> Screened:
    """Screen ``job`` in a worker process, against the catalogue it was forked with."""
    from zoning.serve.screen_job import screen_job

    catalog, limits = _WORKER_STATE[0]
    try:
        return screen_job(job, catalog, limits, keep_result=False)
    except ApiError as exc:
        failure: Exception = ApiError(exc.status, exc.code, exc.message, exc.headers)
    except Exception as exc:  # the server answers a 500 without detail; the text is logged
        failure = RuntimeError(f"{type(exc).__name__} in a screening worker: {exc}")
    # raised outside the handler, a fresh error carries no __context__: once tblib's pickling
    # support is installed (importing distributed does it) an exception is pickled with its
    # context chain, and a reader's error in it (pyogrio's CPLE_OpenFailedError) cannot be
    # unpickled: the server's pool then broke and answered 503 instead of the 400
    raise failure
