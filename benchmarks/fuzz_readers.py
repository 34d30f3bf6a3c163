"""Fuzz the readers and the screening engine for a time budget (issue 7).

Every input must either work or be refused with a :class:`zoning.errors.ZoningError` (which the
CLI turns into a clear message and exit code 1); anything else — a GDAL, GEOS, pandas or
Python exception escaping — is a crash and is printed with the input that caused it.

Readers: valid seed files of every format ``read_vector`` takes (GeoJSON, GeoPackage, zipped
shapefile, KML, KMZ, CSV with lon/lat, CSV with WKT, GeoParquet) are mutated — bytes flipped,
truncated, spans zeroed, duplicated or spliced — and read. Screening: random sites, including
degenerate ones (empty, zero-length lines, zero-area polygons, bow-ties, collections, far-away
or huge coordinates, NaN), are screened against a small synthetic catalogue.

``tests/test_properties.py`` runs the same fuzzers with a bounded number of hypothesis examples
on every test run; this script runs them for as long as asked::

    python benchmarks/fuzz_readers.py --seconds 120
    python benchmarks/fuzz_readers.py --quick          # 15 s

It prints the number of cases tried per target, the outcomes and any crash; exit code 1 when
there was a crash.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

__all__ = [
    "classify",
    "mutate",
    "mutations",
    "seed_files",
    "try_read",
    "try_screen",
    "weird_site",
    "weird_sites",
]

GK = "EPSG:4547"
X0, Y0 = 500_000.0, 4_200_000.0


# ---------------------------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------------------------


def classify(fn: Callable[[], Any]) -> str:
    """Run ``fn``: ``"ok"``, ``"refused"`` (a ZoningError) or ``"crash: <type>: <message>"``."""
    from zoning.errors import ZoningError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except ZoningError:
        return "refused"
    except Exception as exc:  # the point: anything else is a crash
        return f"crash: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    return "ok"


# ---------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------

_KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>红线</name>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
112.3,37.7 112.4,37.7 112.4,37.8 112.3,37.8 112.3,37.7
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>
"""


def seed_files(folder: Path) -> dict[str, bytes]:
    """Valid files of every readable format (name → bytes), written into ``folder`` first."""
    import geopandas as gpd
    from shapely import Point, box

    folder.mkdir(parents=True, exist_ok=True)
    gdf = gpd.GeoDataFrame(
        {"名称": ["一级保护区", "二级保护区"], "code": [1, 2]},
        geometry=[box(112.3, 37.7, 112.31, 37.71), box(112.32, 37.7, 112.34, 37.72)],
        crs="EPSG:4490",
    )
    gdf.to_file(folder / "a.geojson", driver="GeoJSON", engine="pyogrio")
    gdf.to_file(folder / "a.gpkg", driver="GPKG", engine="pyogrio")
    gdf.to_parquet(folder / "a.parquet")
    shp = folder / "shp"
    shp.mkdir(exist_ok=True)
    gdf.to_file(shp / "a.shp", engine="pyogrio", encoding="GBK")
    with zipfile.ZipFile(folder / "a.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(shp.iterdir()):
            zf.write(p, p.name)
    (folder / "a.kml").write_text(_KML, encoding="utf-8")
    with zipfile.ZipFile(folder / "a.kmz", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", _KML)
    (folder / "a.csv").write_text("id,lon,lat\n1,112.5,37.9\n2,112.6,37.8\n", encoding="utf-8")
    pts = gpd.GeoSeries([Point(112.5, 37.9)]).to_wkt()[0]
    (folder / "w.csv").write_text(
        f'id,wkt,crs\n1,"{pts}",EPSG:4490\n'
        '2,"POLYGON ((112.3 37.7, 112.4 37.7, 112.4 37.8, 112.3 37.7))",EPSG:4490\n',
        encoding="utf-8",
    )
    names = ["a.geojson", "a.gpkg", "a.parquet", "a.zip", "a.kml", "a.kmz", "a.csv", "w.csv"]
    return {n: (folder / n).read_bytes() for n in names}


def mutate(blob: bytes, rng: random.Random) -> bytes:
    """One to four random mutations of ``blob``: flip, truncate, zero, duplicate, splice, insert."""
    data = bytearray(blob)
    for _ in range(rng.randint(1, 4)):
        if not data:
            break
        op = rng.choice(["flip", "truncate", "zero", "dup", "splice", "insert", "flip"])
        i = rng.randrange(len(data))
        j = min(len(data), i + rng.randint(1, 64))
        if op == "flip":
            data[i] ^= 1 << rng.randrange(8)
        elif op == "truncate":
            del data[i:]
        elif op == "zero":
            data[i:j] = bytes(j - i)
        elif op == "dup":
            data[i:i] = data[i:j]
        elif op == "splice":
            k = rng.randrange(len(data))
            data[i:j] = data[k : k + (j - i)]
        else:
            data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(data)


def mutations(blob: bytes) -> Any:
    """Hypothesis strategy of mutated copies of ``blob``."""
    from hypothesis import strategies as st

    return st.randoms(use_true_random=False).map(partial(mutate, blob))


def try_read(path: Path, blob: bytes) -> str:
    """Write ``blob`` to ``path`` and read it: ``"read"``, ``"refused"`` or ``"crash: …"``."""
    from zoning.io import read_vector

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    try:
        outcome = classify(lambda: read_vector(path))
    finally:
        path.unlink(missing_ok=True)
    return "read" if outcome == "ok" else outcome


# ---------------------------------------------------------------------------------------------
# Screening
# ---------------------------------------------------------------------------------------------

_FRAMES: dict[str, Any] = {}


def _frames() -> dict[str, Any]:
    if not _FRAMES:
        import geopandas as gpd
        from shapely import box

        def frame(kind: str, zone: str, geoms: list) -> gpd.GeoDataFrame:
            return gpd.GeoDataFrame(
                {
                    "feature_id": [f"{kind}{i}" for i in range(len(geoms))],
                    "kind": kind,
                    "zone": zone,
                    "name": None,
                    "layer": "fuzz",
                },
                geometry=geoms,
                crs=GK,
            ).to_crs("EPSG:4490")

        _FRAMES.update(
            eco_redline=frame("eco_redline", "general", [box(X0, Y0, X0 + 2000, Y0 + 2000)]),
            water_source=frame("water_source", "level1", [box(X0 + 3000, Y0, X0 + 3500, Y0 + 500)]),
            river=gpd.GeoDataFrame(
                {
                    "feature_id": ["r0"],
                    "kind": "river",
                    "zone": "all",
                    "name": "河",
                    "layer": "fuzz",
                },
                geometry=[
                    __import__("shapely").LineString([(X0 - 500, Y0 - 500), (X0 + 5000, Y0 + 5000)])
                ],
                crs=GK,
            ).to_crs("EPSG:4490"),
        )
    return _FRAMES


def weird_site(rng: random.Random) -> Any:
    """A random site in EPSG:4490: ordinary or degenerate."""
    import shapely

    lon, lat = 114.0 + rng.uniform(-0.05, 0.08), 37.93 + rng.uniform(-0.05, 0.08)
    d = rng.choice([0.0, 1e-9, 1e-5, 0.001, 0.02])
    kind = rng.choice(
        [
            "point",
            "line",
            "box",
            "bowtie",
            "zero_line",
            "flat_polygon",
            "empty",
            "collection",
            "far",
            "huge",
            "nan",
            "multi",
            "ring_repeat",
        ]
    )
    if kind == "point":
        return shapely.Point(lon, lat)
    if kind == "line":
        return shapely.LineString([(lon, lat), (lon + d, lat + d / 2), (lon - d, lat + d)])
    if kind == "box":
        return shapely.box(lon, lat, lon + d, lat + d)
    if kind == "bowtie":
        return shapely.Polygon([(lon, lat), (lon + d, lat + d), (lon + d, lat), (lon, lat + d)])
    if kind == "zero_line":
        return shapely.LineString([(lon, lat), (lon, lat)])
    if kind == "flat_polygon":
        return shapely.Polygon([(lon, lat), (lon + d, lat), (lon + 2 * d, lat)])
    if kind == "empty":
        return rng.choice([shapely.Point(), shapely.Polygon(), shapely.LineString()])
    if kind == "collection":
        return shapely.GeometryCollection(
            [shapely.Point(lon, lat), shapely.box(lon, lat, lon + d, lat + d)]
        )
    if kind == "far":
        return shapely.Point(rng.uniform(-180, 180), rng.uniform(-90, 90))
    if kind == "huge":
        return shapely.Point(rng.choice([1e7, -1e9, 4.5e6]), rng.choice([4.2e6, 1e12]))
    if kind == "nan":
        return shapely.Point(float("nan"), lat)
    if kind == "multi":
        return shapely.MultiPoint([(lon, lat), (lon + d, lat + d), (lon, lat)])
    return shapely.Polygon([(lon, lat), (lon, lat), (lon + d, lat + d), (lon, lat + d)])


def weird_sites() -> Any:
    """Hypothesis strategy of :func:`weird_site` geometries."""
    from hypothesis import strategies as st

    return st.randoms(use_true_random=False).map(weird_site)


def try_screen(geoms: list[Any]) -> str:
    """Screen ``geoms`` (EPSG:4490): ``"screened"``, ``"refused"`` or ``"crash: …"``."""
    import geopandas as gpd

    from zoning.screening import screen_sites

    def run() -> None:
        sites = gpd.GeoDataFrame(
            {"site_id": [f"s{i}" for i in range(len(geoms))]}, geometry=geoms, crs="EPSG:4490"
        )
        result = screen_sites(sites, _frames(), "chemical", workers=1)
        doc = result.to_dict()
        json.dumps(doc, default=str)
        assert len(doc["sites"]) == len(geoms)
        assert all(
            s["verdict"] in {"prohibited", "conditional", "allowed", "needs_info"}
            for s in doc["sites"]
        )

    outcome = classify(run)
    return "screened" if outcome == "ok" else outcome


# ---------------------------------------------------------------------------------------------
# Time-budget run
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Fuzz for ``--seconds`` (split between readers and screening); report counts and crashes."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--quick", action="store_true", help="15 s in all")
    ap.add_argument("--seed", type=int, default=7)
    ns = ap.parse_args(argv)
    budget = 15.0 if ns.quick else ns.seconds
    rng = random.Random(ns.seed)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    crashes: list[tuple[str, str, bytes | str]] = []
    with tempfile.TemporaryDirectory(prefix="zoning-fuzz-") as tmp:
        seeds = seed_files(Path(tmp) / "seeds")
        names = sorted(seeds)
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < budget * 0.7:
            name = rng.choice(names)
            blob = mutate(seeds[name], rng)
            outcome = try_read(Path(tmp) / "case" / f"x{Path(name).suffix}", blob)
            counts[f"read {name}"][outcome.split(":")[0]] += 1
            if outcome.startswith("crash"):
                crashes.append((name, outcome, blob))
        t1 = time.perf_counter()
        while time.perf_counter() - t1 < budget * 0.3:
            geoms = [weird_site(rng) for _ in range(rng.randint(1, 4))]
            outcome = try_screen(geoms)
            counts["screen"][outcome.split(":")[0]] += 1
            if outcome.startswith("crash"):
                crashes.append(("screen", outcome, " | ".join(g.wkt for g in geoms)))
    total = sum(sum(c.values()) for c in counts.values())
    print(f"fuzzed {total} cases in {budget:.0f} s (seed {ns.seed}; measured under load)")
    for target in sorted(counts):
        print(f"  {target:<16} " + ", ".join(f"{k}={v}" for k, v in sorted(counts[target].items())))
    seen: set[str] = set()
    for target, outcome, sample in crashes:
        key = f"{target} {outcome[:80]}"
        if key in seen:
            continue
        seen.add(key)
        shown = sample[:200] if isinstance(sample, str) else repr(sample[:80])
        print(f"CRASH {target}: {outcome}\n  input: {shown}")
    if crashes:
        print(f"{len(crashes)} crash(es)")
        return 1
    print("no crash")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # pragma: no cover
        traceback.print_exc()
        sys.exit(130)
