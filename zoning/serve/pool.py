"""A bounded pool of screening workers: a full queue is refused at once, never waited on.

At most ``workers`` screenings run at once and ``queue`` more wait; a request beyond that is
answered 503 with ``Retry-After``, so one heavy upload cannot starve everyone else and a flood
cannot pile up unbounded work.

The workers are threads (the default) or, for ``zoning serve``, processes forked once the
catalogue is loaded and warmed (:mod:`zoning.serve.processes`), so that screenings use every
core instead of sharing one interpreter lock. A worker process that dies is replaced: the
requests it held are answered 503 and the next ones go to fresh workers.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from zoning.serve.responses import ApiError

__all__ = ["WorkerPool"]

T = TypeVar("T")

log = logging.getLogger("zoning.serve")


class WorkerPool:
    """Workers (threads, or processes made by ``executor_factory``) with a bounded queue.

    Parameters
    ----------
    workers : int
        Screenings running at once.
    queue : int
        Screenings allowed to wait.
    retry_after_s : int
        The ``Retry-After`` of a 503.
    executor_factory : callable, optional
        ``factory(workers)`` returns the executor (e.g. a process pool); called again to
        replace an executor whose worker process died. Default: a thread pool.
    """

    def __init__(
        self,
        workers: int = 2,
        queue: int = 16,
        retry_after_s: int = 2,
        *,
        executor_factory: Callable[[int], Executor] | None = None,
    ) -> None:
        self.workers = max(1, int(workers))
        self.capacity = self.workers + max(0, int(queue))
        self.retry_after_s = retry_after_s
        self._factory = executor_factory or (
            lambda n: ThreadPoolExecutor(n, thread_name_prefix="zoning-screen")
        )
        self._executor = self._factory(self.workers)
        self._lock = threading.Lock()
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """Screenings running or waiting."""
        return self._in_flight

    def _busy(self, why: str) -> ApiError:
        return ApiError(
            503,
            "busy",
            f"{why}; expected a free worker; fix: retry in {self.retry_after_s} s",
            headers={"Retry-After": str(self.retry_after_s)},
        )

    def try_submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Submit ``fn(*args)`` or raise a 503 :class:`ApiError` when the pool is full."""
        with self._lock:
            if self._in_flight >= self.capacity:
                raise self._busy(f"the server is screening {self._in_flight} requests, its limit")
            self._in_flight += 1
            executor = self._executor
        try:
            future = executor.submit(fn, *args)
        except BrokenProcessPool:
            self._release(None)
            self._replace(executor)
            raise self._busy("a screening worker stopped and is being replaced") from None
        except BaseException:
            self._release(None)
            raise
        future.add_done_callback(self._release)
        return future

    def _release(self, _future: object) -> None:
        with self._lock:
            self._in_flight -= 1

    def _replace(self, broken: Executor) -> None:
        """Replace ``broken`` (once, however many requests noticed it) by a new executor."""
        with self._lock:
            if self._executor is not broken:
                return
            # how the workers ended (-11: a crash, -9: killed, 0: left on its own): the
            # executor keeps its processes in a private attribute, read only for this message
            ended = {
                pid: proc.exitcode
                for pid, proc in (getattr(broken, "_processes", None) or {}).items()
                if proc.exitcode is not None
            }
            log.error(
                "the screening worker processes broke (a worker died%s, or sent an answer the "
                "server could not read); starting new workers",
                f": exit codes {ended}" if ended else "",
            )
            self._executor = self._factory(self.workers)
        broken.shutdown(wait=False, cancel_futures=True)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the pool and await it (503 when full or a worker died)."""
        executor = self._executor
        try:
            return await asyncio.wrap_future(self.try_submit(fn, *args))
        except BrokenProcessPool:
            self._replace(executor)
            raise self._busy("a screening worker stopped and is being replaced") from None

    def shutdown(self) -> None:
        """Stop the workers (waiting for running screenings)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
