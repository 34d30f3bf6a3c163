"""How many threads an analysis uses: one policy and one name (``n_jobs``) for all of zoning.

Statistics, screening and the area kernel run their exact geometry on threads (shapely and the
numba kernel release the GIL). Each takes ``n_jobs``: a positive number is used as given;
``None`` asks this module for the CPUs that are free now.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

#: (wall clock, CPU time of this process) at the last call of :func:`free_cpus`
_LAST_SAMPLE: list[tuple[float, float]] = []

#: More threads than this never paid off on the benchmarks (the work is memory-bound beyond).
MAX_DEFAULT_JOBS = 4


def _own_load() -> float:
    """Return the CPUs this process kept busy since the previous call.

    The 1-minute load average counts this process's own threads too: right after a two-thread
    screening it reads ~2 on a 2-core machine although nothing else runs. Subtracting what this
    process itself used leaves the load of *other* work.
    """
    now = (time.monotonic(), time.process_time())
    last = _LAST_SAMPLE[-1] if _LAST_SAMPLE else None
    _LAST_SAMPLE[:] = [now]
    if last is None or not 0.5 < now[0] - last[0] < 60.0:
        return 0.0
    return max(0.0, (now[1] - last[1]) / (now[0] - last[0]))


def free_cpus() -> int:
    """Return the CPUs that are free now (at most :data:`MAX_DEFAULT_JOBS`, at least 1).

    Measured on a 2-core machine: two threads help when the second core is idle and cost
    ~15 % when other processes already keep both cores busy (load average ≥ 2), so the load
    of other work decides: the load average (which counts this process too, hence the + 1)
    minus what this process itself used since the previous call.
    """
    cpus = os.cpu_count() or 1
    own = _own_load()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - platforms without getloadavg
        return min(MAX_DEFAULT_JOBS, cpus)
    others = max(0.0, load - own)
    return int(max(1, min(MAX_DEFAULT_JOBS, cpus, round(cpus - others + 1))))


def resolve_n_jobs(n_jobs: int | None) -> int:
    """Return the threads to use for ``n_jobs``: the number given (at least 1), or the free CPUs.

    Parameters
    ----------
    n_jobs : int or None
        Threads asked for; ``None`` (the default everywhere) means :func:`free_cpus`.

    Returns
    -------
    int
        A positive thread count.

    Examples
    --------
    >>> resolve_n_jobs(3)
    3
    >>> resolve_n_jobs(0)
    1
    >>> resolve_n_jobs(None) >= 1
    True
    """
    return free_cpus() if n_jobs is None else max(1, int(n_jobs))


class Background:
    """Run ``task`` on its own thread from now on; :meth:`wait` joins it and raises its error.

    For work that holds the GIL only part of the time (numba loading compiled code, GDAL and
    Arrow reading files), started early so that it overlaps what the caller does meanwhile.

    Parameters
    ----------
    task : callable
        Called once with no arguments; its return value is dropped.
    name : str
        The thread's name (shown by debuggers and ``faulthandler``).

    Examples
    --------
    >>> done = []
    >>> Background(lambda: done.append(1), "example").wait()
    >>> done
    [1]
    """

    def __init__(self, task: Callable[[], object], name: str):
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(task,), name=name)
        self._thread.start()

    def _run(self, task: Callable[[], object]) -> None:
        try:
            task()
        except BaseException as exc:  # handed to the caller by wait()
            self._error = exc

    def wait(self, *, raise_error: bool = True) -> None:
        """Wait for the task to end; raise what it raised (unless ``raise_error`` is False)."""
        self._thread.join()
        if raise_error and self._error is not None:
            error, self._error = self._error, None
            raise error
