"""Benchmark site screening against the peer approaches, in the same run.

1. One site against the demo catalogue (every kind, bundled rule packs), once loaded.
2. N mixed sites (points, lines, polygons) against M complex zone polygons (50–2,000 vertices,
   synthetic, seeded) end to end with the contract's metrics: hits with overlap area / length,
   and the nearest zone's distance for sites that hit none. Compared with
   - peer: ``geopandas.sjoin`` + exact ``intersection`` on candidate pairs + ``sjoin_nearest``
     for sites with no hit;
   - overlay: ``geopandas.overlay(how="intersection")`` per geometry type + ``sjoin_nearest``.
   ``zoning`` is run twice: with the peer's metric set (search radius 0) and with the default
   1 km "nearby zones" radius, which the peers do not compute.

Usage::

    python benchmarks/bench_screen.py            # 10,000 sites x 100,000 zones
    python benchmarks/bench_screen.py --quick    # 1,000 sites x 10,000 zones

Prints medians and ratios. Figures depend on the machine and its load.
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


def run_overlay(sites, zones):
    parts = []
    z = zones[["feature_id", "geometry"]]
    dims = shapely.get_dimensions(sites.geometry.values)
    for d in (0, 1, 2):
        sub = sites[dims == d]
        if len(sub):
            parts.append(gpd.overlay(sub, z, how="intersection", keep_geom_type=True))
    hits = pd.concat(parts, ignore_index=True)
    hit_ids = set(hits["site_id"])
    nohit = sites[~sites["site_id"].isin(hit_ids)]
    near = gpd.sjoin_nearest(nohit, zones[["geometry"]], distance_col="distance_m")
    return hits, near


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1,000 sites x 10,000 zones")
    ap.add_argument("--sites", type=int, default=None)
    ap.add_argument("--zones", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-overlay", action="store_true", help="skip geopandas.overlay")
    ap.add_argument("--seed", type=int, default=20261123)
    args = ap.parse_args()
    n_sites = args.sites or (1_000 if args.quick else 10_000)
    n_zones = args.zones or (10_000 if args.quick else 100_000)

    bench_one_site(repeat=20 if args.quick else 50)

    t = time.perf_counter()
    zones = make_zones(n_zones, args.seed)
    sites = make_sites(n_sites, args.seed)
    print(
        f"\n== {n_sites:,} mixed sites x {n_zones:,} zone polygons "
        f"({int(zones['n_vertices'].sum()):,} vertices; generated in "
        f"{time.perf_counter() - t:.1f} s)"
    )
    # warm-up (imports, rule packs) on a small slice
    run_zoning(sites.iloc[:50], zones.iloc[:500], 0.0)

    results = {}
    results["zoning (contract metrics)"] = timed(lambda: run_zoning(sites, zones, 0.0), args.repeat)
    results["zoning, one thread"] = timed(
        lambda: run_zoning(sites, zones, 0.0, workers=1), args.repeat
    )
    results["zoning, two threads"] = timed(
        lambda: run_zoning(sites, zones, 0.0, workers=2), args.repeat
    )
    results["zoning (+ nearby within 1 km)"] = timed(
        lambda: run_zoning(sites, zones, 1000.0), args.repeat
    )
    results["peer: sjoin + intersection + sjoin_nearest"] = timed(
        lambda: run_peer(sites, zones), args.repeat
    )
    results["peer: shapely STRtree, 2 threads"] = timed(
        lambda: run_shapely_peer(sites, zones), args.repeat
    )
    results["peer: shapely STRtree, 2 threads, + within 1 km"] = timed(
        lambda: run_shapely_peer(sites, zones, 1000.0), args.repeat
    )
    if not args.no_overlay:
        results["geopandas.overlay + sjoin_nearest"] = timed(
            lambda: run_overlay(sites, zones), max(1, args.repeat - 2)
        )

    # agreement check between zoning and the peer
    res = results["zoning (contract metrics)"][1]
    peer_hits, peer_near = results["peer: sjoin + intersection + sjoin_nearest"][1]
    h = res.hits[res.hits["intersects"].astype(bool)]
    ours = float(h["overlap_area_m2"].sum()) + float(h["overlap_length_m"].sum())
    theirs = float(peer_hits["overlap_area_m2"].sum() + peer_hits["overlap_length_m"].sum())
    print(
        f"   pairs hit: zoning {len(h):,}, peer {len(peer_hits):,}; "
        f"sum of area+length differs by {abs(ours - theirs) / max(theirs, 1):.2e} (relative)"
    )
    near = res.nearest.sort_values("site_idx")["distance_m"].to_numpy()
    pn = peer_near["distance_m"].to_numpy()
    if len(near) == len(pn):
        print(f"   nearest distances: max abs difference {np.max(np.abs(near - pn)):.3e} m")
    print(f"   sites with no hit: {len(near):,}")

    sp = results["peer: shapely STRtree, 2 threads"][1]
    theirs = float(sp["area"].sum() + sp["length"].sum())
    print(
        f"   shapely peer: pairs hit {len(sp['site']):,}; sum of area+length differs from "
        f"zoning by {abs(ours - theirs) / max(theirs, 1):.2e} (relative)"
    )

    # ratios against the strongest peer of the same metric set
    plain = [k for k in results if k.startswith("peer") and "within" not in k]
    base = min(results[k][0] for k in plain)
    near_base = results["peer: shapely STRtree, 2 threads, + within 1 km"][0]
    print(f"\n   {'method':50s} {'median s':>9s} {'ratio to strongest peer':>24s}")
    for name, (med, _) in results.items():
        ref = near_base if ("nearby" in name or "within" in name) else base
        print(f"   {name:50s} {med:9.2f} {med / ref:24.2f}")
    print("   (nearby-zone rows are compared with the shapely peer + within 1 km)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\n   (medians of repeated runs; {os.cpu_count()} CPUs, load average {load:.1f} at the "
        "end: other work was running)"
    )


if __name__ == "__main__":
    main()
