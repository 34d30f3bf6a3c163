"""Benchmark: red-line share of the 117 Shanxi counties with 10,000 / 100,000 complex polygons.

Compares, in the same run and on the same data:

* ``zoning.stats.area_by_unit`` (single machine, n_jobs=2: both cores even when others load the machine);
* ``zoning.stats.area_by_unit_dask`` (dask.distributed LocalCluster on this machine);
* ``geopandas.overlay`` (intersection) + ``dissolve`` per county — the reference numbers;
* dask-geopandas: the overlay per partition of the red-line layer (``map_partitions``), then a
  dissolve per county;
* DuckDB spatial (``ST_Intersection`` + ``ST_Union_Agg``), the extension loaded from the
  ``duckdb-extension-spatial`` wheel of the test extra (the benchmark never downloads).

The red-line polygons are synthetic and seeded: star-shaped (valid) polygons with 50–2,000
vertices (log-uniform), centred on a jittered grid over the province so that they cover about
22 % of it (the published share), 10 % of them shifted onto a neighbour so that overlaps must
be dissolved. Everything is measured in the Albers equal-area projection.

Usage::

    python benchmarks/bench_stats.py            # 10,000 and 100,000 polygons
    python benchmarks/bench_stats.py --quick    # 2,000 polygons
    python benchmarks/bench_stats.py --sizes 10000 --repeat 5 --skip-peers
    python benchmarks/bench_stats.py --peer-timeout 600  # stop a peer that takes > 10 min
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


def counties() -> Any:
    """The 117 demo counties in Albers (synthetic 9 x 13 grid if the demo is unavailable)."""
    import geopandas as gpd
    import shapely

    from zoning.crs import ALBERS_CHINA

    try:
        from zoning.catalog import load_catalog
        from zoning.datasets import demo_catalog_path

        admin = load_catalog(demo_catalog_path()).frame("admin_unit", crs=ALBERS_CHINA)
        units = admin[admin["level"] == "county"][["adcode", "geometry"]].reset_index(drop=True)
        units["adcode"] = units["adcode"].astype(str)
        return units, "demo counties"
    except Exception as exc:  # fall back to a synthetic grid, and say so
        print(f"demo counties unavailable ({exc}); using a synthetic 9 x 13 grid", file=sys.stderr)
        x0, y0, s = 400_000.0, 3_900_000.0, 36_000.0
        cells = [
            shapely.box(x0 + i * s, y0 + j * s, x0 + (i + 1) * s, y0 + (j + 1) * s)
            for i in range(9)
            for j in range(13)
        ]
        return gpd.GeoDataFrame(
            {"adcode": [f"{k:06d}" for k in range(117)]}, geometry=cells, crs=ALBERS_CHINA
        ), "synthetic grid"


def red_lines(units: Any, n: int, *, seed: int = 42, share: float = 0.22) -> Any:
    """``n`` seeded star-shaped polygons (50–2,000 vertices) covering ~``share`` of the units."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    region = shapely.union_all(units.geometry.values)
    area = region.area
    cell = np.sqrt(area / n)
    xmin, ymin, xmax, ymax = region.bounds
    xs = np.arange(xmin + cell / 2, xmax, cell)
    ys = np.arange(ymin + cell / 2, ymax, cell)
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    shapely.prepare(region)
    inside = shapely.contains_xy(region, gx, gy)
    gx, gy = gx[inside], gy[inside]
    pick = rng.choice(len(gx), size=min(n, len(gx)), replace=False)
    cx = gx[pick] + rng.uniform(-0.1, 0.1, len(pick)) * cell
    cy = gy[pick] + rng.uniform(-0.1, 0.1, len(pick)) * cell
    k = len(cx)
    shift = rng.random(k) < 0.10  # 10 % pushed half a cell onto a neighbour: overlaps
    ang0 = rng.uniform(0, 2 * np.pi, k)
    cx[shift] += 0.5 * cell * np.cos(ang0[shift])
    cy[shift] += 0.5 * cell * np.sin(ang0[shift])
    nverts = np.exp(rng.uniform(np.log(50), np.log(2000), k)).astype(int)
    # mean area of a star with radii r*(0.6..1.0): ~ pi r^2 * 0.65; aim at `share` per cell
    r = cell * np.sqrt(share / (np.pi * 0.65)) * rng.uniform(0.8, 1.2, k)
    r = np.minimum(r, 0.45 * cell)
    idx = np.repeat(np.arange(k), nverts)
    ang = np.concatenate([np.sort(rng.uniform(0, 2 * np.pi, m)) for m in nverts])
    rad = r[idx] * (0.6 + 0.4 * rng.random(len(idx)))
    coords = np.column_stack([cx[idx] + rad * np.cos(ang), cy[idx] + rad * np.sin(ang)])
    rings = shapely.linearrings(coords, indices=idx)
    polys = shapely.polygons(rings)
    return gpd.GeoDataFrame({"zone": ["general"] * len(polys)}, geometry=polys, crs=units.crs)


def timed(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def timed_peer(func: Callable[[], Any], repeat: int, timeout: float | None) -> tuple[float, Any]:
    """Like :func:`timed`, but stop a peer that runs longer than ``timeout`` seconds.

    The peer runs in a forked child (it inherits the data, nothing is pickled but the
    result); a stopped peer returns ``(timeout, None)``: its time is a lower bound.
    """
    if timeout is None:
        return timed(func, repeat)
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)

    def child() -> None:
        send.send(timed(func, repeat))

    proc = ctx.Process(target=child)
    proc.start()
    if recv.poll(timeout):
        out = recv.recv()
        proc.join()
        return out
    proc.kill()
    proc.join()
    return timeout, None


def ours(units: Any, red: Any) -> pd.Series:
    from zoning.stats import area_by_unit

    s = area_by_unit(units, {"eco_redline": red}, make_valid=False, n_jobs=2)
    return s[s.zone == "all"].set_index("unit_id").area_km2


def ours_dask(units: Any, red: Any, client: Any) -> pd.Series:
    from zoning.stats import area_by_unit_dask

    s = area_by_unit_dask(units, {"eco_redline": red}, client=client, make_valid=False)
    return s[s.zone == "all"].set_index("unit_id").area_km2


def overlay(units: Any, red: Any) -> pd.Series:
    import geopandas as gpd

    ov = gpd.overlay(units, red[["geometry"]], how="intersection", make_valid=False)
    return ov.dissolve(by="adcode").area / 1e6


def dask_overlay(units: Any, red: Any, client: Any) -> pd.Series:
    import dask_geopandas
    import geopandas as gpd

    d = dask_geopandas.from_geopandas(red[["geometry"]], npartitions=8)
    meta = gpd.GeoDataFrame({"adcode": pd.Series(dtype=str)}, geometry=[], crs=red.crs)
    pieces = d.map_partitions(
        lambda part: gpd.overlay(units, part, how="intersection", make_valid=False),
        meta=meta,
    ).compute()
    return pieces.dissolve(by="adcode").area / 1e6


def duckdb_spatial(units: Any, red: Any) -> pd.Series | None:
    """Red-line area per county with DuckDB spatial (``None`` when it cannot be loaded).

    The extension comes from the ``duckdb-extension-spatial`` wheel of the test extra (built
    for the pinned DuckDB), loaded from its file, or from an ``INSTALL spatial`` done before;
    the benchmark never downloads anything.
    """
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"LOAD '{_spatial_extension_file(duckdb.__version__)}'")
    except (duckdb.Error, ImportError, StopIteration):
        try:
            con.execute("LOAD spatial")
        except duckdb.Error as exc:
            print(
                f"  duckdb spatial: not available ({str(exc).splitlines()[0]}); install the "
                f"test extra (duckdb-extension-spatial=={duckdb.__version__})"
            )
            return None
    u = pd.DataFrame({"adcode": units.adcode, "wkb": units.geometry.to_wkb()})
    r = pd.DataFrame({"wkb": red.geometry.to_wkb()})
    con.register("u", u)
    con.register("r", r)
    df = con.execute(
        """
        SELECT adcode, ST_Area(ST_Union_Agg(ST_Intersection(ST_GeomFromWKB(u.wkb),
               ST_GeomFromWKB(r.wkb)))) / 1e6 AS km2
        FROM u JOIN r ON ST_Intersects(ST_GeomFromWKB(u.wkb), ST_GeomFromWKB(r.wkb))
        GROUP BY adcode
        """
    ).df()
    return df.set_index("adcode").km2


def _spatial_extension_file(version: str) -> str:
    """Path of the spatial extension shipped by the ``duckdb-extension-spatial`` wheel."""
    from pathlib import Path

    import duckdb_extension_spatial

    root = Path(duckdb_extension_spatial.__file__).parent / "extensions" / f"v{version}"
    return str(next(root.glob("spatial.duckdb_extension")))


def compare(name: str, ref: pd.Series, got: pd.Series, ref_name: str | None = None) -> float:
    j = pd.concat([ref.rename("ref"), got.rename("got")], axis=1).fillna(0.0)
    rel = ((j.got - j.ref).abs() / j.ref.where(j.ref > 0, 1.0)).max()
    print(f"  {name}: max relative difference to {ref_name or 'overlay+dissolve'} = {rel:.2e}")
    return float(rel)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,000 polygons, one repeat of peers")
    ap.add_argument("--sizes", type=int, nargs="*", default=None)
    ap.add_argument("--repeat", type=int, default=3, help="repeats of the zoning paths")
    ap.add_argument("--peer-repeat", type=int, default=1, help="repeats of the (slow) peers")
    ap.add_argument("--skip-peers", action="store_true", help="only the zoning paths")
    ap.add_argument(
        "--peer-timeout",
        type=float,
        default=None,
        help="stop a peer after this many seconds and report its time as a lower bound",
    )
    args = ap.parse_args(argv)
    sizes = args.sizes or ([2_000] if args.quick else [10_000, 100_000])

    from zoning.stats import dask_client

    units, what = counties()
    print(f"units: {len(units)} {what}; CPU cores: {__import__('os').cpu_count()}")
    with dask_client(n_local_workers=2, processes=False) as client:
        for n in sizes:
            t = time.perf_counter()
            red = red_lines(units, n)
            nv = int(__import__("shapely").get_num_coordinates(red.geometry.values).sum())
            print(
                f"\n{len(red):,} red-line polygons, {nv:,} vertices "
                f"(built in {time.perf_counter() - t:.1f} s)"
            )
            t_ours, a = timed(lambda red=red: ours(units, red), args.repeat)
            print(f"  zoning.stats.area_by_unit        median {t_ours:8.2f} s")
            t_dask, b = timed(lambda red=red: ours_dask(units, red, client), args.repeat)
            print(
                f"  zoning.stats (dask, 2 workers)   median {t_dask:8.2f} s"
                f"  ({t_dask / t_ours:.2f}x the single-machine path)"
            )
            same = a.equals(b)
            print(f"  dask numbers identical to single-machine: {same}")
            if args.skip_peers:
                continue
            t_ov, ref = timed_peer(
                lambda red=red: overlay(units, red), args.peer_repeat, args.peer_timeout
            )
            if ref is None:
                print(
                    f"  geopandas.overlay + dissolve     stopped after {t_ov:.0f} s"
                    f"  (zoning is > {t_ov / t_ours:.0f}x faster); dask-geopandas overlay "
                    "skipped at this size (the same overlays, in partitions)"
                )
            else:
                print(
                    f"  geopandas.overlay + dissolve     median {t_ov:8.2f} s"
                    f"  (zoning is {t_ov / t_ours:.1f}x faster)"
                )
                compare("zoning", ref, a)
                t_dov, c = timed(lambda red=red: dask_overlay(units, red, client), args.peer_repeat)
                print(
                    f"  dask-geopandas overlay           median {t_dov:8.2f} s"
                    f"  (zoning is {t_dov / t_ours:.1f}x faster)"
                )
                compare("dask-geopandas overlay", ref, c)
            t_duck, d = timed_peer(
                lambda red=red: duckdb_spatial(units, red), args.peer_repeat, args.peer_timeout
            )
            if d is None and t_duck == args.peer_timeout:
                print(
                    f"  duckdb spatial                   stopped after {t_duck:.0f} s"
                    f"  (zoning is > {t_duck / t_ours:.0f}x faster)"
                )
            elif d is not None:
                print(
                    f"  duckdb spatial                   median {t_duck:8.2f} s"
                    f"  (zoning is {t_duck / t_ours:.1f}x faster)"
                )
                compare("duckdb", a if ref is None else ref, d, "zoning" if ref is None else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
