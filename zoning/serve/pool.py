"""A bounded pool of screening workers: a full queue is refused at once, never waited on.

At most ``workers`` screenings run at once and ``queue`` more wait; a request beyond that is
answered 503 with ``Retry-After``, so one heavy upload cannot starve everyone else and a flood
cannot pile up unbounded work.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from zoning.serve.responses import ApiError

__all__ = ["WorkerPool"]

T = TypeVar("T")


class WorkerPool:
    """Threads for screenings with a bounded queue.

    Parameters
    ----------
    workers : int
        Screenings running at once.
    queue : int
        Screenings allowed to wait.
    retry_after_s : int
        The ``Retry-After`` of a 503.
    """

    def __init__(self, workers: int = 2, queue: int = 16, retry_after_s: int = 2) -> None:
        self.workers = max(1, int(workers))
        self.capacity = self.workers + max(0, int(queue))
        self.retry_after_s = retry_after_s
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="zoning-screen")
        self._lock = threading.Lock()
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """Screenings running or waiting."""
        return self._in_flight

    def try_submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Submit ``fn(*args)`` or raise a 503 :class:`ApiError` when the pool is full."""
        with self._lock:
            if self._in_flight >= self.capacity:
                raise ApiError(
                    503,
                    "busy",
                    f"the server is screening {self._in_flight} requests, its limit; expected a "
                    f"free worker; fix: retry in {self.retry_after_s} s",
                    headers={"Retry-After": str(self.retry_after_s)},
                )
            self._in_flight += 1
        try:
            future = self._executor.submit(fn, *args)
        except BaseException:
            self._release(None)
            raise
        future.add_done_callback(self._release)
        return future

    def _release(self, _future: object) -> None:
        with self._lock:
            self._in_flight -= 1

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the pool and await it (503 when full)."""
        return await asyncio.wrap_future(self.try_submit(fn, *args))

    def shutdown(self) -> None:
        """Stop the threads (waiting for running screenings)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
