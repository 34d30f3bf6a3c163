"""Benchmark ``zoning screen --out`` against ``zoning screen --json`` as the sites grow.

Writing the report folder (``result.json``, ``report.html``, ``summary.csv``) must grow linearly
with the sites and hits, like printing the JSON document (issue 12 item 9: 10k sites took 25 s
with ``--out`` against 6 s with ``--json``, and 100k did not finish in 600 s). Each size is run
as two real ``zoning screen`` processes on the same synthetic catalogue and sites (points and
small polygons over a red line and nested water-source zones, about one site in five hitting a
zone); wall time and peak memory (``ru_maxrss`` of the child) are printed with the ratio
``--out`` / ``--json`` and the growth per tenfold step.

Usage::

    python benchmarks/bench_screen_out.py                 # 1k, 10k sites
    python benchmarks/bench_screen_out.py --sizes 1000 10000 100000
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CLI = "from zoning.cli.main import cli; cli(prog_name='zoning')"
PROVINCE = (112.0, 37.5, 113.0, 38.2)


def write_catalog(folder: Path) -> Path:
    """Province and county units, 40 red-line squares, 40 nested water-source zone pairs."""
    import geopandas as gpd
    from shapely import box

    folder.mkdir(parents=True, exist_ok=True)
    admin = gpd.GeoDataFrame(
        {"adcode": ["140000", "140100"], "name": ["省", "县"], "level": ["province", "county"]},
        geometry=[box(*PROVINCE), box(112.0, 37.5, 112.9, 38.1)],
        crs="EPSG:4490",
    )
    admin.to_file(folder / "admin.gpkg")
    rng = np.random.default_rng(1)
    x, y = rng.uniform(112.05, 112.9, 40), rng.uniform(37.55, 38.1, 40)
    red = gpd.GeoDataFrame(
        {"code": [f"R{i}" for i in range(40)]},
        geometry=[box(a, b, a + 0.03, b + 0.03) for a, b in zip(x, y, strict=True)],
        crs="EPSG:4490",
    )
    red.to_file(folder / "redline.gpkg")
    x, y = rng.uniform(112.05, 112.9, 40), rng.uniform(37.55, 38.1, 40)
    inner = [box(a, b, a + 0.01, b + 0.01) for a, b in zip(x, y, strict=True)]
    outer = [box(a - 0.01, b - 0.01, a + 0.02, b + 0.02) for a, b in zip(x, y, strict=True)]
    ws = gpd.GeoDataFrame(
        {
            "code": [f"W{i}" for i in range(80)],
            "级别": ["一级保护区"] * 40 + ["二级保护区"] * 40,
        },
        geometry=inner + [o.difference(i) for o, i in zip(outer, inner, strict=True)],
        crs="EPSG:4490",
    )
    ws.to_file(folder / "water.gpkg")
    toml = (
        'name = "bench"\n\n[[layers]]\nkind = "admin_unit"\npath = "admin.gpkg"\n'
        'zone_field = "level"\nid_field = "adcode"\nname_field = "name"\n\n'
        '[[layers]]\nkind = "eco_redline"\npath = "redline.gpkg"\nid_field = "code"\n\n'
        '[[layers]]\nkind = "water_source"\npath = "water.gpkg"\nzone_field = "级别"\n'
        'id_field = "code"\n'
    )
    (folder / "catalog.toml").write_text(toml, encoding="utf-8")
    return folder / "catalog.toml"


def write_sites(path: Path, n: int) -> Path:
    """``n`` sites: four in five points, one in five 100–300 m squares (seeded)."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(n)
    x, y = rng.uniform(112.02, 112.95, n), rng.uniform(37.52, 38.15, n)
    geoms = shapely.points(x, y)
    poly = rng.random(n) < 0.2
    half = rng.uniform(0.0006, 0.0018, n)
    geoms[poly] = shapely.box(
        x[poly] - half[poly], y[poly] - half[poly], x[poly] + half[poly], y[poly] + half[poly]
    )
    gpd.GeoDataFrame(
        {"site_id": [f"S{i:06d}" for i in range(n)]}, geometry=geoms, crs="EPSG:4490"
    ).to_parquet(path)
    return path


def run(args: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and exit code of one ``zoning`` process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(err[-2000:], file=sys.stderr)
    return elapsed, usage.ru_maxrss / 1024, code


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--no-map", action="store_true", help="pass --no-map to the --out runs")
    ns = ap.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="bench-screen-out-"))
    rows = []
    try:
        cat = write_catalog(root / "catalog")
        env_cache = root / "cache"
        os.environ["ZONING_CACHE_DIR"] = str(env_cache)
        # warm the layer cache (and numba) once so every timed run starts alike
        warm = write_sites(root / "warm.parquet", 10)
        run(["screen", str(warm), "-t", "chemical", "--catalog", str(cat), "--json"], root)
        for n in ns.sizes:
            sites = write_sites(root / f"sites{n}.parquet", n)
            base = ["screen", str(sites), "-t", "chemical", "--catalog", str(cat)]
            tj, mj, cj = run([*base, "--json"], root)
            out = root / f"out{n}"
            to, mo, co = run([*base, "--out", str(out), *(["--no-map"] if ns.no_map else [])], root)
            size = sum(p.stat().st_size for p in out.iterdir()) / 1e6 if out.exists() else 0.0
            rows.append({"sites": n, "json_s": tj, "json_mb": mj, "out_s": to, "out_mb": mo})
            print(
                f"{n:>7} sites: --json {tj:7.1f} s {mj:6.0f} MB (exit {cj}) | --out {to:7.1f} s "
                f"{mo:6.0f} MB (exit {co}, {size:.0f} MB written) | --out/--json time "
                f"{to / tj:4.2f}× memory {mo / mj:4.2f}×",
                flush=True,
            )
            shutil.rmtree(out, ignore_errors=True)
        for a, b in itertools.pairwise(rows):
            k = b["sites"] / a["sites"]
            print(
                f"{a['sites']} -> {b['sites']} sites (×{k:g}): --json time ×"
                f"{b['json_s'] / a['json_s']:.1f}, --out time ×{b['out_s'] / a['out_s']:.1f} "
                f"(linear growth: about ×{k:g} once start-up is amortised)"
            )
        print(json.dumps(rows))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
