"""Benchmark: what validating layers costs the statistics (issue 17 item 6).

Statistics through the API on frames not from a catalogue check every geometry first
(``make_valid=True``, the default): :func:`zoning.polyarea.certified_valid` certifies simple
rings with exact predicates, GEOS ``is_valid`` decides only the rest. This script measures, on
the seeded random stars of ``bench_stats.py`` (10k stars: 5.3 M vertices), in one run and
interleaved (on, off, peers, on, off, … — medians of ``--repeat``):

* ``stats, validation on``: ``area_by_unit(..., make_valid=True)``, the whole call;
* ``stats, validation off``: the same with ``make_valid=False`` (what on must stay near:
  the aim is ≤ 1.5×);
* ``check alone``: the validation step alone (``zoning.stats.layer_reads.invalid_features``: read,
  certify, GEOS on the rest), and ``certify alone`` (:func:`~zoning.polyarea.certified_valid`
  on an already packed layer);
* ``GEOS is_valid`` (the peer: a full ``shapely.is_valid`` pass, one thread, and in
  ``--jobs`` threads).

``--cut`` runs the same contenders on layers cut along the county lines, as real layers
are (``bench_realistic.py``: red-line stars cut by the counties, farmland and urban blobs
clipped to them, control units tiling them; ``--sizes`` features in all four layers).

``--shapes`` measures only :func:`~zoning.polyarea.certified_valid` on rings that are hard
for a sweep or a grid (a 100k-vertex zigzag star, combs and rectilinear blobs whose vertices
share ``x``).

With ``--against DIR`` (a checkout of another version, e.g. ``git worktree add --detach
/tmp/base main``), the same contenders of that version run in a second process, round by
round alternately with this one (each process keeps its data and compiled code; a round is
one run of every contender), so the two versions see the same load. Wall and CPU seconds
(``time.process_time``: all threads of the process) are printed, with the machine's load
average before and after (two cores shared: read ratios, not absolutes).

Usage::

    python benchmarks/bench_validation.py                       # 10,000 stars
    python benchmarks/bench_validation.py --sizes 2000 --repeat 3
    python benchmarks/bench_validation.py --against /tmp/base   # interleaved with main
    python benchmarks/bench_validation.py --cut --against /tmp/base     # cut layers
    python benchmarks/bench_validation.py --shapes --against /tmp/base  # hard rings only
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
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


def _contenders(
    n: int, jobs: int, peers: bool, cut: bool = False
) -> tuple[dict[str, Callable[[], Any]], str]:
    """The contenders on ``n`` stars (or cut layers) and a line that describes the data."""
    import shapely

    from zoning.polyarea import certified_valid, pack, warm_up
    from zoning.stats import area_by_unit
    from zoning.stats.geos import map_chunks

    try:  # the validation step the API runs
        from zoning.stats.layer_reads import invalid_features as check
    except ImportError:  # a version before zoning.stats.layer_reads (--against)
        from zoning.stats import dissolve as dissolve_mod

        check = dissolve_mod._invalid

    units, what = counties()
    if cut:
        from bench_realistic import cut_layers_of  # a sibling script

        layers, _ = cut_layers_of(units, n)  # n features in all, after the cut
        kind = "cut features in 4 layers"
    else:
        layers = {"red": red_lines(units, n)}
        kind = "stars"
    geoms = np.concatenate(
        [np.asarray(f.to_crs(units.crs).geometry.values) for f in layers.values()]
    )
    verts = int(shapely.get_num_coordinates(geoms).sum())
    warm_up()
    packed = pack(geoms)
    contenders: dict[str, Callable[[], Any]] = {
        "stats, validation on": lambda: area_by_unit(units, layers, n_jobs=jobs),
        "stats, validation off": lambda: area_by_unit(units, layers, n_jobs=jobs, make_valid=False),
        "check alone (read + certify + GEOS on the rest)": lambda: check(geoms, jobs),
        "certify alone (packed)": lambda: certified_valid(packed, n_jobs=jobs),
    }
    if peers:
        contenders["GEOS is_valid, 1 thread"] = lambda: shapely.is_valid(geoms)
        contenders[f"GEOS is_valid, {jobs} threads"] = lambda: map_chunks(
            shapely.is_valid, geoms, jobs
        )
    a = area_by_unit(units, layers, n_jobs=jobs)
    b = area_by_unit(units, layers, n_jobs=jobs, make_valid=False)
    certified = int(certified_valid(packed, n_jobs=jobs).sum())
    note = (
        f"{len(geoms):,} {kind} ({verts:,} vertices), {len(units)} {what}; invalid found: "
        f"{int(check(geoms, jobs).sum())}; certified {certified:,}; tables on == off: "
        f"{a.equals(b)}"
    )
    return contenders, note


def _shape_contenders() -> tuple[dict[str, Callable[[], Any]], str]:
    """``certified_valid`` (one thread) on rings that are hard for a sweep or a grid.

    A 100k-vertex zigzag star (thousands of edges across the sweep line), combs (columns of
    vertices sharing an ``x``, vertical edges: unprojected data), rectilinear blobs.
    """
    import shapely
    from shapely import Polygon

    from zoning.polyarea import certified_valid, pack

    rng = np.random.default_rng(5)

    def star(n: int) -> Polygon:
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        rad = 1e4 * (0.6 + 0.4 * rng.random(n))
        return Polygon(np.c_[rad * np.cos(ang), rad * np.sin(ang)] + [5e5, 4e6])

    def comb(teeth: int) -> Polygon:
        ring = [(0.0, 0.0)]
        for j in range(teeth):
            ring += [(1.0, 2.0 * j), (100.0, 2.0 * j), (100.0, 2.0 * j + 1), (1.0, 2.0 * j + 1)]
        return Polygon([*ring, (0.0, 2.0 * teeth - 1)])

    def blob(steps: int) -> Polygon:  # the outline of the cells of a random walk
        cells, x, y = set(), 0, 0
        for _ in range(steps):
            cells.add((x, y))
            d = int(rng.integers(4))
            x, y = x + (1, -1, 0, 0)[d], y + (0, 0, 1, -1)[d]
        u = shapely.union_all([shapely.box(a, b, a + 1, b + 1) for a, b in cells])
        parts = getattr(u, "geoms", [u])
        return Polygon(max(parts, key=lambda g: g.area).exterior)

    sets = {
        "1 zigzag star of 100k vertices": [star(100_000)],
        "100 combs of 400 teeth (shared x)": [comb(400)] * 100,
        "200 rectilinear blobs (shared x)": [blob(3000) for _ in range(200)],
    }
    contenders: dict[str, Callable[[], Any]] = {}
    notes = []
    for name, geoms in sets.items():
        packed = pack(np.array(geoms, dtype=object))
        verts = int(packed.ring_off[-1])
        contenders[f"certify, {name}"] = lambda packed=packed: certified_valid(packed)
        notes.append(f"{name}: {verts:,} vertices, {int(certified_valid(packed).sum())} certified")
    return contenders, "; ".join(notes)


def worker(n: int, jobs: int, peers: bool, shapes: bool = False, cut: bool = False) -> None:
    """Serve rounds on stdin/stdout: print the data line, then one JSON line per round."""
    contenders, note = _shape_contenders() if shapes else _contenders(n, jobs, peers, cut)
    print(json.dumps(note), flush=True)
    for _ in sys.stdin:
        print(json.dumps({k: _clock(fn) for k, fn in contenders.items()}), flush=True)


def _spawn(
    root: Path, n: int, jobs: int, peers: bool, shapes: bool, cut: bool
) -> subprocess.Popen[str]:
    """Start a worker whose ``zoning`` is the one in ``root``."""
    env = dict(os.environ, PYTHONPATH=str(root))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--jobs", str(jobs)]
    cmd += ["--sizes", str(n)] + (["--skip-peers"] if not peers else [])
    cmd += ["--shapes"] if shapes else []
    cmd += ["--cut"] if cut else []
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)


def validation(
    n: int,
    repeat: int,
    jobs: int,
    against: Path | None,
    peers: bool,
    shapes: bool = False,
    cut: bool = False,
) -> None:
    """Validation on vs off through the API, the check alone and the GEOS peer, interleaved."""
    here = Path(__file__).resolve().parent.parent
    sides = {"this": _spawn(here, n, jobs, peers, shapes, cut)}
    if against is not None:
        sides["against"] = _spawn(against.resolve(), n, jobs, False, shapes, cut)
    notes = {}
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    try:
        for side, proc in sides.items():
            assert proc.stdout is not None
            notes[side] = json.loads(proc.stdout.readline())
        load0 = os.getloadavg()
        for _ in range(repeat):  # interleaved: every contender of each side once per round
            for side, proc in sides.items():
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
                for name, t in json.loads(proc.stdout.readline()).items():
                    times.setdefault((side, name), []).append(tuple(t))
        load1 = os.getloadavg()
    finally:
        for proc in sides.values():
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait()
            assert proc.stdout is not None
            proc.stdout.close()
    print(f"== validation, {notes['this']}")
    if against is not None:
        print(f"   against {against}: {notes['against']}")
    print(f"   load average before {load0[0]:.2f}, after {load1[0]:.2f}; {jobs} threads")
    width = max(len(f"{s}: {k}") for s, k in times)
    print(
        f"{'contender':<{width}}  {'wall s':>7}  {'CPU s':>7}  {'CPU / off':>9}  {'wall / off':>10}"
    )
    for side in sides:
        off = times.get((side, "stats, validation off"), [(float("nan"), float("nan"))])
        off_w = statistics.median(w for w, _ in off)
        off_c = statistics.median(c for _, c in off)
        for (s, name), t in times.items():
            if s != side:
                continue
            w = statistics.median(x for x, _ in t)
            c = statistics.median(y for _, y in t)
            label = f"{side}: {name}"
            ratios = f"{c / off_c:9.2f}  {w / off_w:10.2f}" if off_c == off_c else ""  # not NaN
            print(f"{label:<{width}}  {w:7.3f}  {c:7.3f}  {ratios}")


def main() -> None:
    """Parse the arguments and run the chosen mode."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--validation", action="store_true", help="validation on vs off (default)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--against", type=Path, help="a checkout of another version to interleave")
    ap.add_argument("--skip-peers", action="store_true", help="leave out GEOS is_valid")
    ap.add_argument("--shapes", action="store_true", help="certify hard rings (no statistics)")
    ap.add_argument("--cut", action="store_true", help="layers cut along the county lines")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    for n in args.sizes[:1] if args.shapes else args.sizes:
        if args.worker:
            worker(n, args.jobs, not args.skip_peers, args.shapes, args.cut)
        else:
            validation(
                n, args.repeat, args.jobs, args.against, not args.skip_peers, args.shapes, args.cut
            )


if __name__ == "__main__":
    main()
