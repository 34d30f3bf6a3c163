"""Benchmark: statistics on layers cut along unit boundaries, as real layers are.

Real zoning layers are cut along county lines: red-line patches are split where a county
line crosses them, control units tile each county, farmland and urban areas are clipped to
their county. Their edges then run along the units' edges (shared, collinear, vertices on
edges), which is the hard case for the area kernel (before its tie rule it declined 68 % of
the demo's tasks). This benchmark measures, interleaved (zoning, then each peer, repeated;
medians of wall and CPU time):

* ``zoning.stats.area_by_unit`` on synthetic cut layers holding 10k and 100k features in all
  (:func:`cut_layers_of`): red-line stars cut by the counties, control units tiling them
  (county ∩ a grid), farmland and urban blobs clipped to their county; with the share of
  kernel tasks declined. Cutting splits a star crossing a county line into its body and
  the tips of its spikes on the other side, so ``n`` shapes before the cut give more
  features (1.9 ``n`` at 100k, 2.4 ``n`` at 42k, 8 ``n`` at 1.3k: fewer stars are larger);
  the count before the cut is chosen so that the layers hold the size asked;
* the random-star case of ``bench_stats.py`` at the same number of features (not cut), for
  the ratio, and the cut layers made from that many stars before the cut (about twice the
  features, about as many vertices as the random stars), for the ratio at equal stars;
* peers: plain ``geopandas.overlay`` + ``dissolve`` (only at 10k: it takes minutes at
  100k), and the prefiltered shapely peer a good engineer writes in forty lines (union only
  the groups of overlapping features, then intersect them with the units they meet, on two
  threads);
* the demo catalogue end to end: ``zoning stats`` as a whole process against the same two
  peers as whole processes (reading the same cached catalogue frames), wall + CPU + peak
  memory (``os.wait4``).

Usage::

    python benchmarks/bench_realistic.py                    # 10k and 100k, demo, 3 repeats
    python benchmarks/bench_realistic.py --quick            # 2,000 features, one repeat
    python benchmarks/bench_realistic.py --sizes 10000 --repeat 3
    python benchmarks/bench_realistic.py --demo-only
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

KINDS = ("eco_redline", "control_unit", "basic_farmland", "urban_boundary")


# ------------------------------------------------------------------------------------ layers


def cut_layers(units: Any, n: int, *, seed: int = 7) -> dict[str, Any]:
    """Four layers made from ``n`` shapes and cut along the units' boundaries (GEOS cuts).

    ``0.6 n`` red-line stars, ``0.2 n`` farmland and ``0.1 n`` urban blobs, each cut by the
    units, and control units tiling the units (a grid of ~``0.1 n`` cells). The cut layers
    hold more features than ``n`` (1.9 ``n`` at 100k, more at smaller ``n``, whose stars are
    larger): :func:`cut_layers_of` sizes them by the features they hold.
    """
    from bench_stats import red_lines

    from zoning.datasets.nation import cut_by_units, grid_control_units

    n_red, n_farm, n_urban = int(0.6 * n), int(0.2 * n), int(0.1 * n)
    red = red_lines(units, n_red, seed=seed)
    farm = red_lines(units, n_farm, seed=seed + 1, share=0.3)
    urban = red_lines(units, n_urban, seed=seed + 2, share=0.05)
    layers = {
        name: cut_by_units(frame, units, np.full(len(frame), "general", dtype=object))
        for name, frame in (
            ("eco_redline", red),
            ("basic_farmland", farm),
            ("urban_boundary", urban),
        )
    }
    # control units: each county cut by a square grid sized for ~10 % of n cells in all
    layers["control_unit"] = grid_control_units(units, max(int(0.1 * n), 1), seed=seed)
    return layers


def feature_count(layers: dict[str, Any]) -> int:
    """Features in all layers."""
    return sum(len(v) for v in layers.values())


def cut_layers_of(
    units: Any, features: int, *, seed: int = 7, tol: float = 0.02
) -> tuple[dict[str, Any], int]:
    """Cut layers (:func:`cut_layers`) holding ``features`` features in all, to within ``tol``.

    The features a cut gives per star depend on ``n`` (fewer stars are larger and crossed
    by more county lines) and not monotonically (the stars are random), so ``n`` is found by
    proportional steps from ``features / 2``, keeping the closest layers found (at most eight
    tries; deterministic: the same ``n`` and layers every run).

    Returns
    -------
    layers, n
        The layers and the ``n`` of :func:`cut_layers` that made them.
    """
    n = max(features // 2, 1)
    tried: dict[int, dict[str, Any]] = {}
    best = n
    for _ in range(8):
        tried[n] = cut_layers(units, n, seed=seed)
        got = feature_count(tried[n])
        if abs(got - features) < abs(feature_count(tried[best]) - features):
            best = n
        if abs(got - features) <= tol * features:
            break
        step = max(round(n * features / got), 1)
        n = step if step not in tried else step + (1 if got < features else -1)
        if n < 1 or n in tried:
            break
    return tried[best], best


# ------------------------------------------------------------------------------------ peers


def ours(units: Any, layers: dict[str, Any]) -> pd.Series:
    from zoning.stats import area_by_unit

    s = area_by_unit(units, layers, make_valid=False, n_jobs=2)
    return s[s.zone == "all"].set_index(["unit_id", "layer_kind"]).area_km2


def overlay_peer(units: Any, layers: dict[str, Any]) -> pd.Series:
    """Plain geopandas: overlay each layer with the units, dissolve per unit."""
    import warnings

    import geopandas as gpd

    warnings.filterwarnings("ignore", "`keep_geom_type=True` in overlay")

    out = {}
    for kind, layer in layers.items():
        ov = gpd.overlay(units[["adcode", "geometry"]], layer[["geometry"]], how="intersection")
        for unit, area in (ov.dissolve(by="adcode").area / 1e6).items():
            out[(str(unit), kind)] = area
    return pd.Series(out)


def shapely_peer(units: Any, layers: dict[str, Any], threads: int = 2) -> pd.Series:
    """Prefiltered shapely on ``threads`` threads: union only the groups of features whose
    envelopes overlap and that intersect (connected components), then intersect each group
    with the units it meets and add the areas per unit.
    """
    from concurrent.futures import ThreadPoolExecutor

    import shapely
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ug = np.asarray(units.geometry.values)
    utree = shapely.STRtree(ug)
    ids = units["adcode"].astype(str).to_numpy()

    def chunks(items: np.ndarray) -> list[np.ndarray]:
        return [c for c in np.array_split(items, threads * 4) if len(c)]

    out = {}
    with ThreadPoolExecutor(threads) as pool:
        for kind, layer in layers.items():
            geoms = np.asarray(layer.geometry.values)
            a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
            keep = a < b
            graph = coo_matrix((np.ones(keep.sum()), (a[keep], b[keep])), (len(geoms),) * 2)
            _, comp = connected_components(graph, directed=False)
            order = np.argsort(comp, kind="stable")
            cut = np.flatnonzero(np.r_[True, comp[order][1:] != comp[order][:-1], True])
            groups = [order[s:e] for s, e in itertools.pairwise(cut)]
            single = np.array([g[0] for g in groups if len(g) == 1], dtype=np.int64)
            multi = [g for g in groups if len(g) > 1]
            merged = list(pool.map(lambda g, geoms=geoms: _union(geoms[g]), multi))
            whole = np.r_[geoms[single], np.array(merged, dtype=object)]
            w_idx, u_idx = utree.query(whole, predicate="intersects")
            pairs = np.stack([w_idx, u_idx], axis=1)
            areas = np.concatenate(
                list(
                    pool.map(
                        lambda p, w=whole: shapely.area(shapely.intersection(w[p[:, 0]], ug[p[:, 1]])),
                        chunks(pairs),
                    )
                )
            ) if len(pairs) else np.array([])  # fmt: skip
            sums = np.bincount(u_idx, weights=areas, minlength=len(ug)) / 1e6
            for u in np.flatnonzero(sums > 0):
                out[(ids[u], kind)] = sums[u]
    return pd.Series(out)


def _union(geoms: np.ndarray) -> Any:
    """``union_all``; on a GEOS topology error (cut layers trigger them), repaired inputs,
    then a 1 mm precision grid, as a careful peer would.
    """
    import shapely

    try:
        return shapely.union_all(geoms)
    except shapely.errors.GEOSException:
        try:
            return shapely.union_all(shapely.make_valid(geoms))
        except shapely.errors.GEOSException:
            return shapely.union_all(geoms, grid_size=1e-3)


# ----------------------------------------------------------------------------------- timing


def declines(func: Callable[[], Any]) -> tuple[Any, int, int]:
    """Run ``func`` counting the kernel's tasks and declines."""
    import zoning.polyarea

    real = zoning.polyarea.union_clip_areas
    seen = [0, 0]

    def counting(*args: Any, **kwargs: Any) -> Any:
        res = real(*args, **kwargs)
        area = res[0] if isinstance(res, tuple) else res
        seen[0] += len(area)
        seen[1] += int(np.isnan(area).sum())
        return res

    zoning.polyarea.union_clip_areas = counting
    try:
        return func(), seen[0], seen[1]
    finally:
        zoning.polyarea.union_clip_areas = real


def interleaved(runs: dict[str, Callable[[], Any]], repeat: int) -> dict[str, dict[str, Any]]:
    """Each function once per round, rounds repeated; medians of wall and CPU seconds."""
    res: dict[str, dict[str, Any]] = {k: {"wall": [], "cpu": [], "out": None} for k in runs}
    for _ in range(repeat):
        for name, func in runs.items():
            t, c = time.perf_counter(), time.process_time()
            out = func()
            res[name]["wall"].append(time.perf_counter() - t)
            res[name]["cpu"].append(time.process_time() - c)
            res[name]["out"] = out
    for r in res.values():
        r["wall"] = statistics.median(r["wall"])
        r["cpu"] = statistics.median(r["cpu"])
    return res


def compare(ref: pd.Series, got: pd.Series) -> float:
    j = pd.concat([ref.rename("ref"), got.rename("got")], axis=1).fillna(0.0)
    return float(((j.got - j.ref).abs() / j.ref.where(j.ref > 0, 1.0)).max())


def run_process(args: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak memory (MB) of one process."""
    t = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        raise RuntimeError(f"{args} exited with status {status}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def demo_peer_process(which: str, out: str) -> int:
    """The demo statistics by a peer, as its own process (``--peer-process``)."""
    from zoning.catalog import load_catalog
    from zoning.crs import ALBERS_CHINA
    from zoning.datasets import demo_catalog_path
    from zoning.kinds import get_kind

    cat = load_catalog(demo_catalog_path())
    kinds = [k for k in cat.kinds if k != "admin_unit" and get_kind(k).geometry == "polygon"]
    units = cat.admin_units("county").to_crs(ALBERS_CHINA)[["adcode", "geometry"]]
    units["adcode"] = units["adcode"].astype(str)
    layers = {k: cat.frame(k, crs=ALBERS_CHINA) for k in kinds}
    layers = {k: v[v.geom_type.isin(["Polygon", "MultiPolygon"])] for k, v in layers.items()}
    res = overlay_peer(units, layers) if which == "overlay" else shapely_peer(units, layers)
    res.to_csv(Path(out) / "peer.csv")
    return 0


def zoning_stats_process(jobs: int, args: list[str]) -> int:
    """``zoning stats ARGS`` in this process with ``jobs`` threads (``--zoning-process``).

    The CLI takes the threads from :func:`zoning.threads.free_cpus`, which drops to one when
    the machine is loaded (other work counts): pinned here so that runs compare.
    """
    import zoning.threads
    from zoning.cli.main import cli

    zoning.threads.free_cpus = lambda: jobs
    sys.argv = ["zoning", "stats", *args]
    try:
        cli()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def demo_declines() -> None:
    """Print the share of the demo's kernel tasks that the kernel declines (GEOS measures them)."""
    from zoning.catalog import load_catalog, units_of_level
    from zoning.crs import ALBERS_CHINA
    from zoning.datasets import demo_catalog_path
    from zoning.stats import area_by_unit, choose_kinds

    cat = load_catalog(demo_catalog_path())
    units = units_of_level(cat, "county")
    frames = {k: cat.frame(k, crs=ALBERS_CHINA) for k in choose_kinds(cat, None)}
    _, tasks, declined = declines(lambda: area_by_unit(units, frames, crs=ALBERS_CHINA))
    print(
        f"  demo kernel tasks {tasks:,} (unit overlaps, dissolve, measure), declined "
        f"{declined:,} ({100 * declined / max(tasks, 1):.2f} %)"
    )


def demo(repeat: int, jobs: int | None) -> None:
    exe = Path(sys.executable).parent / "zoning"
    with tempfile.TemporaryDirectory() as tmp:
        ours_cmd = [str(exe), "stats", "--out", f"{tmp}/z", "--overwrite"]
        if jobs is not None:
            ours_cmd = [sys.executable, __file__, "--zoning-process", "--jobs", str(jobs)]
            ours_cmd += ["--out", f"{tmp}/z"]
        cmds = {
            "zoning stats (process)": ours_cmd,
            "geopandas overlay + dissolve": [
                sys.executable, __file__, "--peer-process", "overlay", "--out", tmp,
            ],
            "prefiltered shapely, 2 threads": [
                sys.executable, __file__, "--peer-process", "shapely", "--out", tmp,
            ],
        }  # fmt: skip
        res: dict[str, list[tuple[float, float, float]]] = {k: [] for k in cmds}
        for _ in range(repeat):
            for name, cmd in cmds.items():
                res[name].append(run_process(cmd))
    threads = "threads as zoning.threads chooses" if jobs is None else f"{jobs} threads"
    print(
        f"\ndemo catalogue, every polygon layer, 117 counties, whole process (median of "
        f"{repeat}, interleaved; zoning on {threads}; load average "
        f"{os.getloadavg()[0]:.2f})"
    )
    med = {k: [statistics.median(x[i] for x in v) for i in range(3)] for k, v in res.items()}
    base = med["zoning stats (process)"]
    for name, (wall, cpu, mem) in med.items():
        ratio = "" if name.startswith("zoning") else f"  zoning/peer wall {base[0] / wall:.2f}x"
        print(f"  {name:32s} wall {wall:6.2f} s  CPU {cpu:6.2f} s  peak {mem:6.0f} MB{ratio}")
    demo_declines()


def synthetic(sizes: list[int], repeat: int, overlay_max: int) -> None:
    import shapely
    from bench_stats import counties, red_lines

    units, what = counties()
    print(f"units: {len(units)} {what}; CPU cores: {os.cpu_count()}")

    def vertices(layers: dict[str, Any]) -> int:
        return sum(
            int(shapely.get_num_coordinates(v.geometry.values).sum()) for v in layers.values()
        )

    for n in sizes:
        t = time.perf_counter()
        layers, n_stars = cut_layers_of(units, n)
        same_stars = cut_layers(units, n)  # as many stars before the cut as random stars
        stars = {"eco_redline": red_lines(units, n)}
        sizes_of = {
            "cut": (feature_count(layers), vertices(layers)),
            "same stars": (feature_count(same_stars), vertices(same_stars)),
            "stars": (feature_count(stars), vertices(stars)),
        }
        print(
            f"\ncut layers: {sizes_of['cut'][0]:,} features in {len(layers)} layers (from "
            f"{n_stars:,} before the cut), {sizes_of['cut'][1]:,} vertices; cut from {n:,}: "
            f"{sizes_of['same stars'][0]:,} features, {sizes_of['same stars'][1]:,} vertices; "
            f"random stars {sizes_of['stars'][0]:,} / {sizes_of['stars'][1]:,} vertices "
            f"(built in {time.perf_counter() - t:.0f} s)"
        )
        _, tasks, declined = declines(lambda layers=layers: ours(units, layers))
        print(
            f"  kernel tasks {tasks:,}, declined {declined:,} ({100 * declined / max(tasks, 1):.2f} %)"
        )
        runs = {
            "zoning, cut layers": lambda layers=layers: ours(units, layers),
            "zoning, random stars": lambda stars=stars: ours(units, stars),
            "zoning, cut from as many stars": lambda same=same_stars: ours(units, same),
            "prefiltered shapely, cut layers": lambda layers=layers: shapely_peer(units, layers),
        }
        if n <= overlay_max:
            runs["geopandas overlay, cut layers"] = lambda layers=layers: overlay_peer(
                units, layers
            )
        res = interleaved(runs, repeat)
        z = res["zoning, cut layers"]
        s = res["zoning, random stars"]
        for name, r in res.items():
            extra = ""
            if name.endswith("cut layers") and not name.startswith("zoning"):
                extra = (
                    f"  ({r['wall'] / z['wall']:.1f}x zoning's wall; max rel diff "
                    f"{compare(r['out'], z['out']):.1e})"
                )
            elif name == "zoning, random stars":
                extra = f"  (cut / stars at equal features: {z['wall'] / r['wall']:.2f}x)"
            elif name == "zoning, cut from as many stars":
                extra = f"  (/ random stars at equal stars: {r['wall'] / s['wall']:.2f}x)"
            print(f"  {name:34s} wall {r['wall']:7.2f} s  CPU {r['cpu']:7.2f} s{extra}")
        for key, name in (
            ("cut", "zoning, cut layers"),
            ("same stars", "zoning, cut from as many stars"),
            ("stars", "zoning, random stars"),
        ):
            f, v = sizes_of[key]
            wall = res[name]["wall"]
            print(
                f"  {name:34s} {1e6 * wall / f:6.2f} us per feature, "
                f"{1e9 * wall / v:6.2f} ns per vertex"
            )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,000 features, one repeat")
    ap.add_argument("--sizes", type=int, nargs="*", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--overlay-max", type=int, default=10_000, help="largest size for overlay")
    ap.add_argument("--demo-only", action="store_true")
    ap.add_argument("--skip-demo", action="store_true")
    ap.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="threads of the demo's zoning stats process (default: as zoning.threads chooses, "
        "one when the machine is loaded)",
    )
    ap.add_argument("--peer-process", choices=["overlay", "shapely"], help=argparse.SUPPRESS)
    ap.add_argument("--zoning-process", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.peer_process:
        return demo_peer_process(args.peer_process, args.out)
    if args.zoning_process:
        return zoning_stats_process(args.jobs or 2, ["--out", args.out, "--overwrite"])
    sizes = args.sizes or ([2_000] if args.quick else [10_000, 100_000])
    repeat = 1 if args.quick else args.repeat
    if not args.skip_demo:
        demo(repeat, args.jobs)
    if not args.demo_only:
        synthetic(sizes, repeat, args.overlay_max)
    return 0


if __name__ == "__main__":
    sys.exit(main())
