"""A Dask cluster of separate processes on this machine: ``dask scheduler`` and ``dask worker``.

:func:`process_cluster` starts a scheduler and workers as their own operating-system processes
(the ``dask`` command-line entry points of this Python), bound to ``127.0.0.1`` on ports the
system picks, waits until every worker has joined, yields a :class:`ProcessCluster` with the
``tcp://`` address, and always stops them — on success, on error or on interrupt — by their
process ids. Unlike ``distributed.LocalCluster``, nothing runs in the caller's process: data
goes through TCP and pickling exactly as on a cluster of machines, so a run against it is the
multi-process check of :func:`zoning.stats.area_by_unit_dask` and ``zoning stats --scheduler``.

Workers run without a nanny (one process each, so its memory is the worker's) and import
``zoning`` from the same folder as the caller (``PYTHONPATH`` is set to it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ProcessCluster", "process_cluster"]


@dataclass
class ProcessCluster:
    """A running scheduler and its workers, each a separate process.

    Attributes
    ----------
    address : str
        The scheduler's ``tcp://127.0.0.1:PORT``.
    scheduler : subprocess.Popen
        The scheduler process.
    workers : list of subprocess.Popen
        The worker processes.
    """

    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        """Return the process ids: the scheduler's, then the workers'."""
        return [self.scheduler.pid, *(w.pid for w in self.workers)]


def _dask_command() -> list[str]:
    """Return the ``dask`` entry point of this Python (``python -m dask`` if it has none)."""
    exe = Path(sys.executable).parent / "dask"
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "dask"]


def _stop(procs: list[subprocess.Popen[bytes]], timeout: float = 10.0) -> None:
    """Stop ``procs``: SIGTERM to each one's own process group, then SIGKILL after ``timeout``.

    The workers (all but the first) go first: a worker that loses its scheduler keeps trying
    to reconnect for seconds before it exits.
    """
    for group in (procs[1:], procs[:1]):
        for p in group:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)  # its own session: only what it started
                except ProcessLookupError:  # pragma: no cover - gone meanwhile
                    pass
        deadline = time.monotonic() + timeout
        for p in group:
            try:
                p.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:  # pragma: no cover
                    pass
                p.wait()


@contextmanager
def process_cluster(
    n_workers: int = 2,
    *,
    threads_per_worker: int = 1,
    timeout: float = 60.0,
    log_dir: str | os.PathLike[str] | None = None,
) -> Iterator[ProcessCluster]:
    """Start ``dask scheduler`` and ``n_workers`` ``dask worker`` processes on 127.0.0.1.

    Parameters
    ----------
    n_workers : int
        Worker processes.
    threads_per_worker : int
        Threads of each worker.
    timeout : float
        Seconds to wait for the scheduler and for every worker to join.
    log_dir : path, optional
        Folder for the processes' logs (``scheduler.log``, ``worker-<i>.log``); default a
        temporary folder removed on exit.

    Yields
    ------
    ProcessCluster
        The address and processes; all of them are stopped when the block exits.

    Raises
    ------
    RuntimeError
        When the scheduler or a worker does not come up within ``timeout`` (with the end of
        its log).
    """
    from distributed import Client

    import zoning

    with tempfile.TemporaryDirectory(prefix="zoning-cluster-") as tmp:
        logs = Path(log_dir) if log_dir is not None else Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        here = str(Path(zoning.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(
            [here, *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
        )
        procs: list[subprocess.Popen[bytes]] = []

        def start(args: list[str], log: str) -> subprocess.Popen[bytes]:
            with open(logs / log, "wb") as fh:
                p = subprocess.Popen(
                    [*_dask_command(), *args],
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=tmp,
                    start_new_session=True,  # a process group of its own, stopped as one
                )
            procs.append(p)
            return p

        try:
            try:
                sched_file = Path(tmp) / "scheduler.json"
                scheduler = start(
                    ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(sched_file)],
                    "scheduler.log",
                )  # fmt: skip
                address = _wait_for_address(sched_file, scheduler, logs / "scheduler.log", timeout)
                workers = []
                for i in range(n_workers):
                    args = ["worker", address, "--host", "127.0.0.1", "--no-nanny"]
                    args += ["--no-dashboard", "--nthreads", str(threads_per_worker)]
                    args += ["--memory-limit", "0", "--name", f"worker-{i}"]
                    args += ["--local-directory", str(Path(tmp) / f"w{i}")]
                    workers.append(start(args, f"worker-{i}.log"))
                with Client(address, timeout=timeout) as client:
                    client.wait_for_workers(n_workers, timeout=timeout)
            except (TimeoutError, OSError, RuntimeError) as exc:
                tails = "".join(
                    f"\n--- {f.name}:\n{f.read_text(errors='replace')[-1500:]}"
                    for f in sorted(logs.glob("*.log"))
                )
                raise RuntimeError(f"the Dask processes did not come up: {exc}{tails}") from exc
            yield ProcessCluster(address, scheduler, workers)
        finally:
            _stop(procs)


def _wait_for_address(
    sched_file: Path, proc: subprocess.Popen[bytes], log: Path, timeout: float
) -> str:
    """Return the scheduler's address once it has written its scheduler file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"dask scheduler exited with status {proc.returncode}:\n"
                f"{log.read_text(errors='replace')[-1500:]}"
            )
        if sched_file.is_file():
            try:
                return str(json.loads(sched_file.read_text())["address"])
            except (ValueError, KeyError):  # being written
                pass
        time.sleep(0.1)
    raise TimeoutError(f"no scheduler address after {timeout:.0f} s")
