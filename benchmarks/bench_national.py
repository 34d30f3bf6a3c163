"""Benchmark: statistics at national scale on a real multi-process Dask cluster (issue 17, item 4).

For each size (features in total: red-line patches and control units cut along 2,875
synthetic counties, :mod:`zoning.datasets.nation`), against one cluster of separate processes
— ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, random ports, started
once and always torn down (:func:`zoning.process_cluster.process_cluster`):

* **API**: ``zoning.stats.area_by_unit`` (local, this process) and
  ``zoning.stats.area_by_unit_dask`` with a client of the cluster; the tables must be
  bitwise identical (every float64). The cluster run is split into its stages from the task
  stream: client before the first task (unit checks, dissolve, partition, scatter), the
  measure stage on the workers (first task start to last task end, and the workers' summed
  task time), and the client after the last task (gather, sum);
* **whole process**: ``zoning stats --catalog … --units … --unit-field adcode`` locally and
  with ``--scheduler tcp://127.0.0.1:PORT``, on the same layers written as GeoParquet in
  CGCS2000 lon/lat (catalogue validation paid once beforehand, as a cached catalogue would);
  ``stats.csv`` must be byte-identical.

Peak memory is the largest sum of the resident set sizes of the processes involved, sampled
every 50 ms (client — this process for the API, the ``zoning stats`` process otherwise — plus,
for the cluster runs, the scheduler and the workers; each without children: they start none). The cost curve is a least-squares fit
of log time on log features. The whole run is bounded by ``--max-seconds``: a size whose
projected time does not fit in what is left is skipped, and says so.

Usage::

    python benchmarks/bench_national.py                       # 30k, 100k, 300k
    python benchmarks/bench_national.py --sizes 30000 100000  # choose
    python benchmarks/bench_national.py --sizes 3000 --counties 200 --max-seconds 300
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MB = 1024 * 1024


class RssPeak:
    """Sample the summed resident memory of some processes every 50 ms (the peak of the sum)."""

    def __init__(self, pids: Callable[[], Iterable[int]]):
        self.pids = pids
        self.peak = self.start = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        import psutil

        total = 0
        for pid in set(self.pids()):
            try:
                total += psutil.Process(pid).memory_info().rss
            except psutil.Error:  # not started yet, or gone
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(0.05)

    def __enter__(self) -> RssPeak:
        self.peak = self.start = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds used so far by ``pids``."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def identical(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Same rows, same strings, same float64 bits in every numeric column."""
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if x.dtype.kind == "f":
            if x.astype(np.float64).tobytes() != y.astype(np.float64).tobytes():
                return False
        elif not (x == y).all():
            return False
    return True


class TimedClient:
    """A ``distributed.Client`` that notes when the run first asks for the workers (the client's
    units check and dissolve are done then) and how long its scatters take (pickling the
    pieces and sending them to the workers).
    """

    def __init__(self, client: Any):
        self._client = client
        self.first_call: float | None = None
        self.scatter_seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        if self.first_call is None:
            self.first_call = time.time()
        return getattr(self._client, name)

    def scatter(self, *args: Any, **kwargs: Any) -> Any:
        """Scatter through the wrapped client, timed."""
        if self.first_call is None:
            self.first_call = time.time()
        t = time.perf_counter()
        try:
            return self._client.scatter(*args, **kwargs)
        finally:
            self.scatter_seconds += time.perf_counter() - t


def run_api(units: Any, layers: dict[str, Any], client: Any, cluster_pids: list[int]) -> dict:
    """Local and cluster API runs on the same frames; timings, stages, memory, identity."""
    from distributed import get_task_stream

    from zoning.stats import area_by_unit, area_by_unit_dask

    me = os.getpid()
    out: dict[str, Any] = {}
    with RssPeak(lambda: [me]) as mem:
        t, c = time.perf_counter(), time.process_time()
        local = area_by_unit(units, layers)
        out["local_wall"] = time.perf_counter() - t
        out["local_cpu"] = time.process_time() - c
    out["local_peak"], out["local_start"] = mem.peak, mem.start
    cpu0 = cpu_seconds(cluster_pids)
    with RssPeak(lambda: [me, *cluster_pids]) as mem, get_task_stream(client) as ts:
        t0, c = time.time(), time.process_time()
        timed = TimedClient(client)
        remote = area_by_unit_dask(units, layers, client=timed)
        t1 = time.time()
    out["dask_wall"] = t1 - t0
    out["dask_cpu_client"] = time.process_time() - c
    out["dask_cpu_cluster"] = cpu_seconds(cluster_pids) - cpu0
    out["dask_peak"], out["dask_start"] = mem.peak, mem.start
    spans = [
        (s["start"], s["stop"])
        for task in ts.data
        for s in task["startstops"]
        if s["action"] == "compute"
    ]
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    out["stage_before"] = first - t0
    out["stage_dissolve"] = (timed.first_call or first) - t0
    out["stage_scatter"] = timed.scatter_seconds
    out["stage_measure"] = last - first
    out["stage_after"] = t1 - last
    out["measure_task_seconds"] = sum(e - s for s, e in spans)
    out["tasks"] = len(spans)
    out["identical"] = identical(local, remote)
    out["rows"] = len(local)
    return out


def run_process(cmd: list[str], env: dict[str, str], also: list[int], timeout: float) -> dict:
    """Wall, CPU (the process's own, via wait4) and peak RSS (it + ``also``) of one command."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        with RssPeak(lambda: [proc.pid, *also]) as mem:
            _, status, ru = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        timer.cancel()
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}:\n{err[-2000:]}")
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "peak": mem.peak}


def run_cli(
    units: Any, layers: dict[str, Any], address: str, cluster_pids: list[int], tmp: Path,
    timeout: float,
) -> dict:  # fmt: skip
    """``zoning stats`` as whole processes, local and against the cluster; CSV bytes compared."""
    from zoning.datasets.nation import write_nation

    out: dict[str, Any] = {}
    t = time.perf_counter()
    catalog, counties = write_nation(tmp / "nation", units, layers)
    out["write"] = time.perf_counter() - t
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    # the catalogue validates and caches the layers once; both runs below read the cache
    warm = (
        "from zoning.catalog import load_catalog; from zoning.crs import ALBERS_CHINA; "
        f"c = load_catalog({str(catalog)!r}); [c.frame(k, crs=ALBERS_CHINA) for k in c.kinds]"
    )
    out["validate"] = run_process([sys.executable, "-c", warm], env, [], timeout)["wall"]
    exe = Path(sys.executable).parent / "zoning"
    base = [str(exe), "stats", "--catalog", str(catalog), "--units", str(counties)]
    base += ["--unit-field", "adcode", "--overwrite"]
    out["local"] = run_process([*base, "--out", str(tmp / "local")], env, [], timeout)
    cmd = [*base, "--out", str(tmp / "dask"), "--scheduler", address]
    cpu0 = cpu_seconds(cluster_pids)
    out["dask"] = run_process(cmd, env, cluster_pids, timeout)
    out["dask"]["cpu_cluster"] = cpu_seconds(cluster_pids) - cpu0
    a = (tmp / "local" / "stats.csv").read_bytes()
    b = (tmp / "dask" / "stats.csv").read_bytes()
    out["csv_identical"] = a == b
    out["csv_bytes"] = len(a)
    return out


def fit(xs: list[float], ys: list[float]) -> str:
    """Return ``y ~ a x^b`` fitted by least squares on logs."""
    if len(xs) < 2:
        return "n/a (one size)"
    b, a = np.polyfit(np.log(xs), np.log(ys), 1)
    return f"t ~ {np.exp(a):.3g} * n^{b:.2f}"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[30_000, 100_000, 300_000])
    ap.add_argument("--counties", type=int, default=2875)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-seconds", type=float, default=1800.0, help="budget of the whole run")
    ap.add_argument("--skip-cli", action="store_true", help="API runs only")
    args = ap.parse_args(argv)
    t_start = time.monotonic()
    deadline = t_start + args.max_seconds

    from distributed import Client

    from zoning.datasets.nation import nation
    from zoning.process_cluster import process_cluster
    from zoning.stats import area_by_unit_dask

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-national-") as tmpdir:
        tmp = Path(tmpdir)
        os.environ.setdefault("ZONING_CACHE_DIR", str(tmp / "cache"))
        print(f"machine: {os.cpu_count()} cores; {load()}")
        with process_cluster(args.workers) as pc, Client(pc.address) as client:
            pids = pc.pids
            print(f"cluster: scheduler + {args.workers} worker processes at {pc.address} "
                  f"(pids {pids})")  # fmt: skip
            t = time.perf_counter()
            u, lay = nation(400, n_counties=20)
            area_by_unit_dask(u, lay, client=client)
            print(f"warm-up (workers import zoning, load the numba kernels): "
                  f"{time.perf_counter() - t:.1f} s")  # fmt: skip
            last: tuple[int, float] | None = None
            for n in args.sizes:
                left = deadline - time.monotonic()
                if last is not None:
                    guess = last[1] * (n / last[0]) ** 1.15
                    if guess > left:
                        print(f"\n{n:,}: skipped — projected {guess:.0f} s, {left:.0f} s left")
                        continue
                t_size = time.monotonic()
                t = time.perf_counter()
                units, layers = nation(n, n_counties=args.counties)
                gen = time.perf_counter() - t
                import shapely

                nf = sum(len(v) for v in layers.values())
                nv = sum(int(shapely.get_num_coordinates(v.geometry.values).sum())
                         for v in layers.values())  # fmt: skip
                print(f"\n{n:,} aimed: {nf:,} features "
                      f"({', '.join(f'{k} {len(v):,}' for k, v in layers.items())}), "
                      f"{nv:,} vertices, {len(units):,} counties; built in {gen:.1f} s; "
                      f"{load()}")  # fmt: skip
                row: dict[str, Any] = {"n": n, "features": nf, "vertices": nv}
                row.update(run_api(units, layers, client, pids))
                print(
                    f"  API local      wall {row['local_wall']:7.2f} s  CPU "
                    f"{row['local_cpu']:7.2f} s  peak {row['local_peak'] / MB:6.0f} MB (this process; "
                    f"{row['local_start'] / MB:.0f} MB before)\n"
                    f"  API cluster    wall {row['dask_wall']:7.2f} s  CPU client "
                    f"{row['dask_cpu_client']:.2f} s + cluster {row['dask_cpu_cluster']:.2f} s"
                    f"  peak {row['dask_peak'] / MB:6.0f} MB (client + scheduler + workers; "
                    f"{row['dask_start'] / MB:.0f} MB before)\n"
                    f"    stages: client before {row['stage_before']:.2f} s (units + dissolve "
                    f"{row['stage_dissolve']:.2f} s, scatter {row['stage_scatter']:.2f} s) | measure on "
                    f"workers {row['stage_measure']:.2f} s ({row['tasks']} tasks, "
                    f"{row['measure_task_seconds']:.2f} task-s) | client after "
                    f"{row['stage_after']:.2f} s\n"
                    f"    float64 identical to local: {row['identical']} ({row['rows']:,} rows)"
                )
                if not args.skip_cli:
                    left = deadline - time.monotonic()
                    cli = run_cli(units, layers, pc.address, pids, tmp / str(n), max(left, 30))
                    row["cli"] = cli
                    loc, dsk = cli["local"], cli["dask"]
                    print(
                        f"  write GeoParquet {cli['write']:.1f} s; catalogue validation (once, "
                        f"cached) {cli['validate']:.1f} s\n"
                        f"  zoning stats         wall {loc['wall']:7.2f} s  CPU {loc['cpu']:7.2f}"
                        f" s  peak {loc['peak'] / MB:6.0f} MB\n"
                        f"  zoning stats --sched wall {dsk['wall']:7.2f} s  CPU {dsk['cpu']:7.2f}"
                        f" s + cluster {dsk['cpu_cluster']:.2f} s  peak {dsk['peak'] / MB:6.0f} MB"
                        f" (client + scheduler + workers)\n"
                        f"    stats.csv byte-identical: {cli['csv_identical']} "
                        f"({cli['csv_bytes']:,} bytes)"
                    )
                del units, layers
                rows.append(row)
                last = (n, time.monotonic() - t_size)
    print(f"\ncost curve (time vs features), {load()}:")
    xs = [r["features"] for r in rows]
    curves = {
        "API local": [r["local_wall"] for r in rows],
        "API local, CPU": [r["local_cpu"] for r in rows],
        "API cluster": [r["dask_wall"] for r in rows],
        "  measure stage (workers)": [r["stage_measure"] for r in rows],
        "    task seconds (workers)": [r["measure_task_seconds"] for r in rows],
        "  client: units + dissolve": [r["stage_dissolve"] for r in rows],
        "  client: scatter": [r["stage_scatter"] for r in rows],
        "  client before + after": [r["stage_before"] + r["stage_after"] for r in rows],
        "API cluster, CPU all procs": [r["dask_cpu_client"] + r["dask_cpu_cluster"] for r in rows],
    }
    if not args.skip_cli:
        curves["zoning stats"] = [r["cli"]["local"]["wall"] for r in rows]
        curves["zoning stats --scheduler"] = [r["cli"]["dask"]["wall"] for r in rows]
    for name, ys in curves.items():
        print(f"  {name:28s} {fit(xs, ys):28s} " + "  ".join(f"{y:.2f}" for y in ys))
    ok = all(r["identical"] and r.get("cli", {}).get("csv_identical", True) for r in rows)
    print(f"\nidentical numbers at every size: {ok}; total {time.monotonic() - t_start:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
