"""Benchmark site screening against the peer approaches, in the same run.

1. N mixed sites (points, lines, polygons) against M complex zone polygons (50–2,000 vertices,
   synthetic, seeded) end to end with the contract's metrics: hits with overlap area / length,
   and the nearest zone's distance for sites that hit none; at 1k x 10k, 10k x 10k and
   10k x 100k by default. Compared with
   - the shapely peer (the strongest): ``STRtree.query(predicate="intersects")`` + exact
     ``intersection`` + ``query_nearest`` for sites with no hit, sites split over two threads;
     with ``+ within 1 km`` it also lists every zone within 1 km and its distance (one
     ``dwithin`` tree query), as zoning's nearby zones;
   - the sjoin peer: ``geopandas.sjoin`` + ``intersection`` + ``sjoin_nearest``.
   ``zoning`` runs on two threads with the peer's metric set (search radius 0, its positional
   tolerance 10 m) and with the default 1 km "nearby zones" radius.
   Runs are interleaved (every method once per round), each in a freshly forked process: cold
   (no index cache), timed in wall and CPU seconds, its memory the peak RSS above the RSS at
   the start of the run. ``--impl old=/tmp/base --impl new=.`` runs several source trees of
   zoning in the same rounds.
2. One site against the demo catalogue (every kind, bundled rule packs), once loaded.

Usage::

    python benchmarks/bench_screen.py                       # the three sizes
    python benchmarks/bench_screen.py --quick               # 1,000 sites x 10,000 zones
    python benchmarks/bench_screen.py --sizes 10000x100000 --impl old=/tmp/base --impl new=.

Prints medians and ratios, and the load average. Figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

GK = "EPSG:4547"  # CGCS2000 3-degree Gauss–Krüger, CM 114E
X0, X1, Y0, Y1 = 380_000.0, 620_000.0, 4_000_000.0, 4_240_000.0


def make_zones(n: int, seed: int) -> gpd.GeoDataFrame:
    """Star-shaped irregular polygons (valid by construction), 50–2,000 vertices each."""
    rng = np.random.default_rng(seed)
    nv = np.exp(rng.uniform(np.log(50), np.log(2000), n)).astype(int)
    cx, cy = rng.uniform(X0, X1, n), rng.uniform(Y0, Y1, n)
    radius = np.exp(rng.uniform(np.log(150), np.log(900), n))
    total = int(nv.sum())
    owner = np.repeat(np.arange(n), nv)
    start = np.concatenate([[0], np.cumsum(nv)[:-1]])
    k = np.arange(total) - start[owner]
    theta = 2 * np.pi * k / nv[owner]
    # smooth random radial profile: a few harmonics with random phases
    r = np.ones(total)
    for h, amp in ((2, 0.18), (3, 0.12), (7, 0.06)):
        phase = rng.uniform(0, 2 * np.pi, n)[owner]
        r += amp * np.sin(h * theta + phase)
    r += rng.uniform(-0.03, 0.03, total)
    r *= radius[owner]
    x = cx[owner] + r * np.cos(theta)
    y = cy[owner] + r * np.sin(theta)
    # close each ring: repeat the first vertex
    last = np.cumsum(nv) - 1
    xs = np.insert(x, last + 1, x[start])
    ys = np.insert(y, last + 1, y[start])
    ring_owner = np.insert(owner, last + 1, np.arange(n))
    rings = shapely.linearrings(np.column_stack([xs, ys]), indices=ring_owner)
    polys = shapely.polygons(rings)
    return gpd.GeoDataFrame(
        {
            "feature_id": [f"z{i}" for i in range(n)],
            "kind": "eco_redline",
            "zone": "general",
            "name": None,
            "n_vertices": nv,
        },
        geometry=polys,
        crs=GK,
    )


def make_sites(n: int, seed: int) -> gpd.GeoDataFrame:
    """A third points, a third lines (0.5–5 km), a third polygons (100–800 m)."""
    rng = np.random.default_rng(seed + 1)
    cx, cy = rng.uniform(X0 + 5000, X1 - 5000, n), rng.uniform(Y0 + 5000, Y1 - 5000, n)
    kind = np.arange(n) % 3
    geoms = np.empty(n, dtype=object)
    pts = kind == 0
    geoms[pts] = shapely.points(cx[pts], cy[pts])
    for i in np.flatnonzero(kind == 1):
        m = rng.integers(2, 8)
        length = rng.uniform(500, 5000)
        ang = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.3, m - 1))
        step = length / (m - 1)
        xs = cx[i] + np.concatenate([[0], np.cumsum(step * np.cos(ang))])
        ys = cy[i] + np.concatenate([[0], np.cumsum(step * np.sin(ang))])
        geoms[i] = shapely.linestrings(xs, ys)
    for i in np.flatnonzero(kind == 2):
        w, h = rng.uniform(100, 800, 2)
        geoms[i] = shapely.box(cx[i] - w / 2, cy[i] - h / 2, cx[i] + w / 2, cy[i] + h / 2)
    return gpd.GeoDataFrame({"site_id": [f"s{i}" for i in range(n)]}, geometry=geoms, crs=GK)


# --------------------------------------------------------------------------- the three methods
def run_zoning(sites, zones, radius, workers=None):
    from zoning.screening import screen_sites

    return screen_sites(
        sites, {"eco_redline": zones}, "road", search_radius_m=radius, n_jobs=workers
    )


def run_peer(sites, zones):
    j = gpd.sjoin(sites, zones[["geometry"]], predicate="intersects", how="inner")
    s = sites.geometry.values[np.asarray(j.index)]
    z = zones.geometry.values[j["index_right"].to_numpy()]
    inter = shapely.intersection(np.asarray(s), np.asarray(z))
    dim = shapely.get_dimensions(np.asarray(s))
    out = pd.DataFrame(
        {
            "site": np.asarray(j.index),
            "feature": j["index_right"].to_numpy(),
            "overlap_area_m2": np.where(dim == 2, shapely.area(inter), 0.0),
            "overlap_length_m": np.where(dim == 1, shapely.length(inter), 0.0),
        }
    )
    nohit = sites[~sites.index.isin(out["site"])]
    near = gpd.sjoin_nearest(nohit, zones[["geometry"]], distance_col="distance_m")
    near = near[~near.index.duplicated()]
    return out, near


def run_shapely_peer(sites, zones, radius=0.0, threads=2):
    """The plain shapely peer a good engineer writes: STRtree + intersection + query_nearest.

    Sites are split over ``threads`` threads (GEOS releases the GIL); each thread queries the
    tree, intersects its candidate pairs and finds the nearest zone of the sites that hit
    nothing. With ``radius`` > 0 it also lists the zones within ``radius`` of every site and
    their distances, with one tree query (``dwithin``), as zoning's nearby zones.
    """
    from concurrent.futures import ThreadPoolExecutor

    zg = np.asarray(zones.geometry.values, dtype=object)
    sg = np.asarray(sites.geometry.values, dtype=object)
    tree = shapely.STRtree(zg)
    parts = np.array_split(np.arange(len(sg)), threads)

    def job(idx):
        s = sg[idx]
        si, zi = tree.query(s, predicate="intersects")
        inter = shapely.intersection(s[si], zg[zi])
        dim = shapely.get_dimensions(s[si])
        area = np.where(dim == 2, shapely.area(inter), 0.0)
        length = np.where(dim == 1, shapely.length(inter), 0.0)
        nohit = np.setdiff1d(np.arange(len(s)), si)
        (ni, nz), nd = tree.query_nearest(s[nohit], return_distance=True, all_matches=False)
        out = {"site": idx[si], "feature": zi, "area": area, "length": length,
               "near_site": idx[nohit[ni]], "near_feature": nz, "near_d": nd}  # fmt: skip
        if radius > 0:
            wi, wz = tree.query(s, predicate="dwithin", distance=radius)
            out["within_site"], out["within_feature"] = idx[wi], wz
            out["within_d"] = shapely.distance(s[wi], zg[wz])
        return out

    with ThreadPoolExecutor(threads) as pool:
        res = list(pool.map(job, parts))
    return {k: np.concatenate([r[k] for r in res]) for k in res[0]}


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


# ------------------------------------------------------------------ one run in a forked child
def _rss_kib(field: str) -> int:
    """``VmRSS`` or ``VmHWM`` of this process in KiB (Linux), 0 elsewhere."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak() -> bool:
    """Reset this process's peak RSS (``VmHWM``) to its current RSS (Linux ≥ 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


_DATA: dict[str, object] = {}


def _child(conn, method: str, impl: str | None) -> None:
    """Run one method once on the data inherited from the parent; send its figures back.

    The child is forked after the data is built, so every run starts cold (no index cache, no
    projected features) and its memory is its own: the peak RSS above the RSS at the start of
    the run (``/proc/self/clear_refs``), which counts GEOS's allocations that ``tracemalloc``
    cannot see.
    """
    import sys

    try:
        sites, zones = _DATA["sites"], _DATA["zones"]
        if impl is not None:  # zoning from this source tree
            sys.path.insert(0, impl)
            import zoning

            assert zoning.__file__.startswith(impl), zoning.__file__
            run_zoning(sites.iloc[:50], zones.iloc[:500], 0.0, workers=2)  # rule packs, imports
        fn = METHODS[method]
        gc.collect()
        peak_ok = _reset_peak()
        rss0 = _rss_kib("VmRSS")
        t, c = time.perf_counter(), time.process_time()
        out = fn(sites, zones)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        extra = (_rss_kib("VmHWM") - rss0) / 1024 if peak_ok else float("nan")
        conn.send((wall, cpu, extra, _summary(out)))
    except BaseException as exc:  # report, never hang the parent
        conn.send(exc)
    finally:
        conn.close()


def run_in_child(method: str, impl: str | None) -> tuple[float, float, float, dict]:
    """Fork, run ``method`` once, return (wall s, CPU s, extra peak RSS MiB, summary)."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(send, method, impl))
    p.start()
    send.close()
    msg = recv.recv()
    recv.close()
    p.join()
    p.close()
    if isinstance(msg, BaseException):
        raise msg
    return msg


def _summary(out: object) -> dict:
    """Totals every method reports, to check that they agree."""
    if isinstance(out, dict):  # the shapely peer
        return {
            "pairs": len(out["site"]),
            "measure": float(out["area"].sum() + out["length"].sum()),
            "near": np.asarray(out["near_d"])[np.argsort(out["near_site"])],
            "within": len(out.get("within_site", ())),
        }
    if isinstance(out, tuple):  # the sjoin peer
        hits, near = out
        return {
            "pairs": len(hits),
            "measure": float(hits["overlap_area_m2"].sum() + hits["overlap_length_m"].sum()),
            "near": near["distance_m"].to_numpy(),
            "within": -1,
        }
    h = out.hits[out.hits["intersects"].astype(bool)]
    return {
        "pairs": len(h),
        "measure": float(h["overlap_area_m2"].sum() + h["overlap_length_m"].sum()),
        "near": out.nearest.sort_values("site_idx")["distance_m"].to_numpy(),
        "within": int((~out.hits["intersects"].astype(bool)).sum()),
        "digest": _digest(out),
    }


def _digest(result: object) -> str:
    """SHA-256 of a screening's frames as CSV (floats written round-trip, so bit for bit).

    Two source trees that should answer alike (``--impl old=… --impl new=…``) must give the
    same digest: the sites with their verdicts, every hit row, the per-layer totals and the
    nearest features.
    """
    import hashlib

    h = hashlib.sha256()
    sites = result.sites.drop(columns="geometry")  # type: ignore[attr-defined]
    for frame in (sites, result.hits, result.by_layer, result.nearest):  # type: ignore[attr-defined]
        h.update(frame.to_csv(index=False).encode())
    return h.hexdigest()[:16]


METHODS: dict[str, Callable] = {
    "zoning": lambda s, z: run_zoning(s, z, 0.0, workers=2),
    "zoning + nearby 1 km": lambda s, z: run_zoning(s, z, 1000.0, workers=2),
    "shapely peer, 2 threads": lambda s, z: run_shapely_peer(s, z),
    "shapely peer + within 1 km": lambda s, z: run_shapely_peer(s, z, 1000.0),
    "sjoin peer": run_peer,
}


def bench_one_site(repeat: int) -> None:
    from zoning.catalog import load_catalog
    from zoning.datasets import demo_catalog_path
    from zoning.screening import screen_sites
    from zoning.screening.report import to_json

    cat = load_catalog(demo_catalog_path())
    ws = cat.frame("water_source").to_crs(GK)
    centre = ws.geometry.iloc[0].representative_point()
    site = gpd.GeoDataFrame({"site_id": ["one"]}, geometry=[centre.buffer(400)], crs=GK)
    t = time.perf_counter()
    screen_sites(site, cat, "chemical")  # loads every layer and builds the indexes once
    first = time.perf_counter() - t
    med, res = timed(lambda: screen_sites(site, cat, "chemical"), repeat)
    med_gcj, _ = timed(lambda: screen_sites(site, cat, "chemical", check_gcj02=True), repeat)
    med_json, _ = timed(lambda: to_json(screen_sites(site, cat, "chemical")), repeat)
    print("== one site vs the demo catalogue (10 kinds, bundled packs)")
    print(f"   first call (loads layers, builds indexes): {first * 1000:8.1f} ms")
    print(f"   screen_sites, median of {repeat}:            {med * 1000:8.1f} ms")
    print(f"   + GCJ-02 check against county boundaries:  {med_gcj * 1000:8.1f} ms")
    print(f"   screen_sites + to_json:                    {med_json * 1000:8.1f} ms")
    print(f"   verdict: {res.sites['verdict'].iloc[0]}, hits: {int(res.sites['n_hits'].iloc[0])}")


def bench_size(n_sites: int, n_zones: int, args: argparse.Namespace) -> None:
    """Every method at one size, interleaved, each run in its own forked child."""
    t = time.perf_counter()
    zones = make_zones(n_zones, args.seed)
    sites = make_sites(n_sites, args.seed)
    _DATA.update(sites=sites, zones=zones)
    print(
        f"\n== {n_sites:,} mixed sites x {n_zones:,} zone polygons "
        f"({int(zones['n_vertices'].sum()):,} vertices; generated in "
        f"{time.perf_counter() - t:.1f} s)",
        flush=True,
    )
    runs: list[tuple[str, str | None]] = []
    for label, path in args.impl:
        if not args.nearby_only:
            runs.append((f"{label}: zoning", path))
        if not args.no_nearby:
            runs.append((f"{label}: zoning + nearby 1 km", path))
    if not args.nearby_only:
        runs += [("shapely peer, 2 threads", None)]
    if not args.no_nearby:
        runs.append(("shapely peer + within 1 km", None))
    if not args.no_sjoin:
        runs.append(("sjoin peer", None))
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _ in runs}
    summaries: dict[str, dict] = {}
    loads = [os.getloadavg()[0]]
    for _ in range(args.repeat):  # interleaved: every method once per round
        for name, path in runs:
            method = name.split(": ", 1)[-1]
            wall, cpu, extra, summary = run_in_child(method, path)
            figures[name].append((wall, cpu, extra))
            summaries[name] = summary
        loads.append(os.getloadavg()[0])
    med = {
        k: tuple(statistics.median(x[i] for x in v) for i in range(3)) for k, v in figures.items()
    }
    peer_near = med.get("shapely peer + within 1 km")
    peer = med.get("shapely peer, 2 threads", peer_near)
    peer_near = peer_near or peer
    sjoin = med.get("sjoin peer")
    print(
        f"   {'method':34s} {'wall s':>7s} {'CPU s':>7s} {'+MiB':>7s}  "
        f"{'wall/peer':>9s} {'CPU/peer':>8s} {'MiB/peer':>8s}" + ("  wall/sjoin" if sjoin else "")
    )
    for name, (w, c, m) in med.items():
        ref = peer_near if "nearby" in name or "within" in name else peer
        line = (
            f"   {name:34s} {w:7.3f} {c:7.3f} {m:7.0f}  {w / ref[0]:9.3f} {c / ref[1]:8.3f} "
            f"{m / max(ref[2], 1.0):8.2f}"
        )
        if sjoin:
            line += f"  {w / sjoin[0]:10.2f}"
        print(line)
    print(
        "   (medians of "
        f"{args.repeat} interleaved runs, each in a fresh forked process; +MiB: peak RSS above "
        "the start of the run; nearby/within rows against the shapely peer + within 1 km)"
    )
    ref = summaries.get("shapely peer, 2 threads") or summaries["shapely peer + within 1 km"]
    for name, sm in summaries.items():
        rel = abs(sm["measure"] - ref["measure"]) / max(ref["measure"], 1.0)
        near = ""
        if len(sm["near"]) == len(ref["near"]):
            near = f", nearest max |Δ| {np.max(np.abs(sm['near'] - ref['near']), initial=0):.1e} m"
        else:
            near = f", {len(sm['near'])} nearest vs {len(ref['near'])}"
        print(f"   {name:34s} pairs hit {sm['pairs']:,}, Σ area+length rel. Δ {rel:.1e}{near}")
    # source trees compared with --impl: identical frames, byte for byte, or say where not
    for method in ("zoning", "zoning + nearby 1 km"):
        digests = {n: s["digest"] for n, s in summaries.items() if n.endswith(": " + method)}
        if len(digests) > 1:
            same = len(set(digests.values())) == 1
            listed = ", ".join(f"{n.split(': ')[0]} {d}" for n, d in digests.items())
            verdict = "identical" if same else "DIFFER"
            print(f"   {method}: frames {verdict} across trees ({listed})")
    print(
        f"   load average (1 min) during the runs: {', '.join(f'{x:.1f}' for x in loads)}; "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )


def main() -> None:
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--sizes",
        default="1000x10000,10000x10000,10000x100000",
        help="comma-separated SITESxZONES (default: 1000x10000,10000x10000,10000x100000)",
    )
    ap.add_argument("--quick", action="store_true", help="only 1,000 sites x 10,000 zones")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--impl",
        action="append",
        default=None,
        metavar="LABEL=PATH",
        help="a zoning source tree to run (repeatable, e.g. old=/tmp/base); default this tree",
    )
    ap.add_argument("--no-nearby", action="store_true", help="skip the 1 km nearby runs")
    ap.add_argument("--no-sjoin", action="store_true", help="skip the geopandas sjoin peer")
    ap.add_argument(
        "--nearby-only",
        action="store_true",
        help="only the 1 km nearby runs (and the sjoin peer): skip zoning and the shapely peer "
        "without a radius",
    )
    ap.add_argument("--no-one-site", action="store_true", help="skip the one-site benchmark")
    ap.add_argument("--seed", type=int, default=20261123)
    args = ap.parse_args()
    impls = args.impl or [f"zoning={here}"]
    args.impl = [tuple(x.split("=", 1)) for x in impls]
    sizes = ["1000x10000"] if args.quick else args.sizes.split(",")
    for size in sizes:
        n_sites, n_zones = (int(x) for x in size.lower().split("x"))
        bench_size(n_sites, n_zones, args)
    if not args.no_one_site:  # last: the children above import the trees they run
        import sys

        sys.path.insert(0, args.impl[-1][1])
        bench_one_site(repeat=20)


if __name__ == "__main__":
    main()
