"""Benchmark: what validating layers costs the statistics (issue 17 item 6).

Statistics through the API on frames not from a catalogue check every geometry first
(``make_valid=True``, the default): :func:`zoning.polyarea.certified_valid` certifies simple
rings with exact predicates, GEOS ``is_valid`` decides only the rest. This script measures, on
the seeded random stars of ``bench_stats.py`` (10k stars: 5.3 M vertices), in one run and
interleaved (on, off, peers, on, off, … — medians of ``--repeat``):

* ``stats, validation on``: ``area_by_unit(..., make_valid=True)``, the whole call;
* ``stats, validation off``: the same with ``make_valid=False`` (what on must stay near:
  the aim is ≤ 1.5×);
* ``check alone``: the validation step alone (``zoning.stats.dissolve`` ``_invalid``: pack,
  certify, GEOS on the rest);
* ``GEOS is_valid`` (the peer: a full ``shapely.is_valid`` pass, one thread, and in
  ``--jobs`` threads).

Wall and CPU seconds (``time.process_time``, all threads of the process) are printed, with the
machine's load average before and after (two cores shared: read ratios, not absolutes).

Usage::

    python benchmarks/bench_validation.py --validation            # 10,000 stars
    python benchmarks/bench_validation.py --validation --sizes 2000 --repeat 3
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stats import counties, red_lines  # a sibling script


def _clock(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    gc.collect()
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def validation(n: int, repeat: int, jobs: int) -> None:
    """Validation on vs off through the API, the check alone and the GEOS peer, interleaved."""
    import shapely

    from zoning.polyarea import warm_up
    from zoning.stats import area_by_unit
    from zoning.stats import dissolve as dissolve_mod
    from zoning.stats.geos import map_chunks

    units, what = counties()
    red = red_lines(units, n)
    geoms = np.asarray(red.to_crs(units.crs).geometry.values)
    verts = int(shapely.get_num_coordinates(geoms).sum())
    warm_up()
    check = dissolve_mod._invalid  # the validation step the API runs
    contenders: dict[str, Callable[[], Any]] = {
        "stats, validation on": lambda: area_by_unit(units, {"red": red}, n_jobs=jobs),
        "stats, validation off": lambda: area_by_unit(
            units, {"red": red}, n_jobs=jobs, make_valid=False
        ),
        "check alone (certify + GEOS on the rest)": lambda: check(geoms, jobs),
        "GEOS is_valid, 1 thread": lambda: shapely.is_valid(geoms),
        f"GEOS is_valid, {jobs} threads": lambda: map_chunks(shapely.is_valid, geoms, jobs),
    }
    a = area_by_unit(units, {"red": red}, n_jobs=jobs)
    b = area_by_unit(units, {"red": red}, n_jobs=jobs, make_valid=False)
    same = a.equals(b)
    invalid = int(check(geoms, jobs).sum())
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in contenders}
    load0 = os.getloadavg()
    for _ in range(repeat):  # interleaved: every contender once per round
        for name, fn in contenders.items():
            times[name].append(_clock(fn))
    load1 = os.getloadavg()
    print(f"== validation, {len(geoms):,} stars ({verts:,} vertices), {len(units)} {what}")
    print(f"   load average before {load0[0]:.2f}, after {load1[0]:.2f}; {jobs} threads")
    print(f"   invalid found: {invalid}; tables on == off: {same}")
    off = statistics.median(c for _, c in times["stats, validation off"])
    off_w = statistics.median(w for w, _ in times["stats, validation off"])
    width = max(map(len, times))
    print(
        f"{'contender':<{width}}  {'wall s':>7}  {'CPU s':>7}  {'CPU / off':>9}  {'wall / off':>10}"
    )
    for name, t in times.items():
        w = statistics.median(x for x, _ in t)
        c = statistics.median(y for _, y in t)
        print(f"{name:<{width}}  {w:7.3f}  {c:7.3f}  {c / off:9.2f}  {w / off_w:10.2f}")


def main() -> None:
    """Parse the arguments and run the chosen mode."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--validation", action="store_true", help="validation on vs off (default)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    for n in args.sizes:
        validation(n, args.repeat, args.jobs)


if __name__ == "__main__":
    main()
