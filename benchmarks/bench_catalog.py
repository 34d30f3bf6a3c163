"""Benchmark loading the demo catalogue: zoning's checksum-keyed cache vs reading and
reprojecting every layer again (what a script without a cache pays on every run), and the
vectorised GCJ-02 → WGS84 conversion vs the per-point Python loop of the public snippet.

Usage: ``python benchmarks/bench_catalog.py [--quick]``
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import measure, report

import zoning as zn
from zoning.crs import ALBERS_CHINA
from zoning.gcj02 import gcj02_to_wgs84


def _peer_gcj(lon: float, lat: float) -> tuple[float, float]:
    """The per-point formula as commonly copied (one fixed-point step, pure Python)."""
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * math.sqrt(abs(x))
        + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
        + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
        + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * math.sqrt(abs(x))
        + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
        + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
        + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    )
    rad = math.radians(lat)
    magic = 1 - ee * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((a * (1 - ee)) / (magic * sq) * math.pi)
    dlon = (dlon * 180.0) / (a / sq * math.cos(rad) * math.pi)
    return lon - dlon, lat - dlat


def _large_layer(n: int, repeat: int) -> None:
    """A user layer of ``n`` 200-vertex polygons delivered in a Gauss–Krüger zone (EPSG:4547)."""
    import tempfile

    import shapely

    rng = np.random.default_rng(1)
    angles = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    x0 = rng.uniform(350_000, 600_000, n)
    y0 = rng.uniform(3_900_000, 4_400_000, n)
    radius = rng.uniform(200, 2000, n)[:, None] * (1 + 0.2 * np.sin(5 * angles))[None, :]
    rings = np.stack(
        [x0[:, None] + radius * np.cos(angles), y0[:, None] + radius * np.sin(angles)], axis=-1
    )
    polys = shapely.polygons(rings)
    with tempfile.TemporaryDirectory() as tmp:
        gpkg = Path(tmp) / "redline.gpkg"
        gpd.GeoDataFrame(
            {"编码": [f"R{i}" for i in range(n)]}, geometry=polys, crs="EPSG:4547"
        ).to_file(gpkg, engine="pyogrio")
        toml = Path(tmp) / "catalog.toml"
        toml.write_text(
            '[[layers]]\nkind = "eco_redline"\npath = "redline.gpkg"\nid_field = "编码"\n',
            encoding="utf-8",
        )
        zn.load_catalog(toml).frame("eco_redline", crs=ALBERS_CHINA)  # fill the cache
        rows = [
            measure(
                "zoning, cached",
                lambda: len(zn.load_catalog(toml).frame("eco_redline", crs=ALBERS_CHINA)),
                repeat=repeat,
            ),
            measure(
                "zoning, first load (validate + project)",
                lambda: len(
                    zn.load_catalog(toml, use_cache=False).frame("eco_redline", crs=ALBERS_CHINA)
                ),
                repeat=1,
            ),
            measure(
                "read_file + to_crs",
                lambda: len(gpd.read_file(gpkg, engine="pyogrio").to_crs(ALBERS_CHINA)),
                repeat=repeat,
            ),
        ]
        report(
            f"user layer of {n:,} polygons × 200 vertices in EPSG:4547, to Albers",
            rows,
            baseline="read_file + to_crs",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    path = zn.datasets.get_path("demo")
    cat = zn.load_catalog(path)
    cat.check()  # warm the cache once
    kinds = cat.kinds
    gpkg = path.parent / "demo.gpkg"

    def cached() -> int:
        c = zn.load_catalog(path)
        return sum(len(c.frame(k, crs=ALBERS_CHINA)) for k in kinds)

    def uncached() -> int:
        c = zn.load_catalog(path, use_cache=False)
        return sum(len(c.frame(k, crs=ALBERS_CHINA)) for k in kinds)

    def peer() -> int:
        n = 0
        for e in cat.entries:
            n += len(gpd.read_file(gpkg, layer=e.layer, engine="pyogrio").to_crs(ALBERS_CHINA))
        return n

    repeat = 2 if args.quick else 5
    rows = [
        measure("zoning, cached (validated, projected)", cached, repeat=repeat, warmup=1),
        measure("zoning, no cache (read, validate, repair, project)", uncached, repeat=repeat),
        measure("read_file + to_crs (no validation)", peer, repeat=repeat),
    ]
    assert rows[0].value == rows[1].value, "feature counts differ"
    report(
        "demo catalogue: load every layer in Albers",
        rows,
        baseline="read_file + to_crs (no validation)",
    )

    _large_layer(2_000 if args.quick else 50_000, repeat)

    n = 20_000 if args.quick else 200_000
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(110.2, 114.6, n), rng.uniform(34.6, 40.7, n)
    rows = [
        measure(
            "zoning.gcj02.gcj02_to_wgs84 (vectorised)", lambda: gcj02_to_wgs84(lon, lat), repeat=3
        ),
        measure(
            "per-point Python loop",
            lambda: [_peer_gcj(x, y) for x, y in zip(lon, lat, strict=True)],
            repeat=1,
        ),
    ]
    report(f"GCJ-02 → WGS84, {n:,} points", rows, baseline="per-point Python loop")


if __name__ == "__main__":
    main()
