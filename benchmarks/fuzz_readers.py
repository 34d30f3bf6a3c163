"""Fuzz the readers and the screening engine for a time budget (issue 7).

Every input must either work or be refused with a :class:`zoning.errors.ZoningError` (which the
CLI turns into a clear message and exit code 1); anything else — a GDAL, GEOS, pandas or
Python exception escaping — is a crash and is printed with the input that caused it.

Readers: valid seed files of every format ``read_vector`` takes (GeoJSON, GeoPackage, zipped
shapefile, KML, KMZ, CSV with lon/lat, CSV with WKT, GeoParquet) are mutated — bytes flipped,
truncated, spans zeroed, duplicated or spliced — and read. Screening: random sites, including
degenerate ones (empty, zero-length lines, zero-area polygons, bow-ties, collections, far-away
or huge coordinates, NaN), are screened against a small synthetic catalogue. TOML: valid
catalogues, batch and restoration scenarios and rule packs get one to three values replaced by
wrong types, NaN, infinities, huge numbers, booleans as strings, network paths or TOML dates,
keys removed or added, and are written in odd encodings (GBK, UTF-16, a byte order mark).

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
    "mutate_toml",
    "mutations",
    "seed_files",
    "toml_dumps",
    "toml_seeds",
    "try_read",
    "try_screen",
    "try_toml",
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
    from zoning.screening.report import to_dict

    def run() -> None:
        sites = gpd.GeoDataFrame(
            {"site_id": [f"s{i}" for i in range(len(geoms))]}, geometry=geoms, crs="EPSG:4490"
        )
        result = screen_sites(sites, _frames(), "chemical", n_jobs=1)
        doc = to_dict(result)
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
# TOML values: catalogues, batch scenarios, restoration scenarios, rule packs (issue 12)
# ---------------------------------------------------------------------------------------------

#: Values a careless or hostile hand writes into a TOML file: wrong types, NaN, huge numbers,
#: strings that look like booleans, encodings, paths to the network, TOML dates.
WEIRD_VALUES: list[Any] = [
    5,
    -1,
    0,
    2**63 - 1,
    -(2**63),
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    5e-324,
    -0.0,
    True,
    False,
    "",
    "x",
    "nan",
    "false",
    "no",
    "ANSI",
    "bogus",
    "gbk",
    "level1",
    "*",
    "../../etc/passwd",
    "/vsicurl/http://127.0.0.1:9/x",
    "http://127.0.0.1:9/x",
    "\x00",
    "名" * 5000,
    [],
    [1],
    ["a"],
    [[1, 2]],
    [{"a": 1}],
    {},
    {"path": 5},
    {"piecewise": "x"},
    __import__("datetime").date(2024, 2, 29),
    __import__("datetime").time(12, 0),
]

#: Encodings a TOML file arrives in (the first is the right one).
TOML_ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "utf-16", "latin-1"]


def toml_dumps(doc: dict[str, Any]) -> str:
    """Write ``doc`` as TOML with inline tables and arrays (enough for the fuzzer)."""
    import datetime as dt
    import math

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            if math.isnan(v):
                return "nan"
            if math.isinf(v):
                return "inf" if v > 0 else "-inf"
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, (dt.date, dt.time)):
            return v.isoformat()
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(str(k))} = {value(x)}" for k, x in v.items()) + "}"
        raise TypeError(type(v))

    return "".join(f"{json.dumps(str(k))} = {value(v)}\n" for k, v in doc.items())


def toml_seeds(folder: Path) -> dict[str, tuple[dict[str, Any], Callable[[Path], Any]]]:
    """Valid documents of each TOML zoning reads, in ``folder`` with the files they name,
    and the loader of each.
    """
    import geopandas as gpd
    from shapely import box

    from zoning.catalog import load_catalog
    from zoning.restoration.scenario import load_restoration_scenario
    from zoning.rules import load_rulepack
    from zoning.scenario import load_scenario

    folder.mkdir(parents=True, exist_ok=True)
    gdf = gpd.GeoDataFrame(
        {"code": ["A"], "level": ["county"]},
        geometry=[box(112.3, 37.7, 112.4, 37.8)],
        crs="EPSG:4490",
    )
    gdf.to_file(folder / "rl.gpkg", engine="pyogrio")
    gdf.to_file(folder / "sites.geojson", engine="pyogrio")
    catalog = {
        "name": "fuzz",
        "coverage": "rl.gpkg",
        "vintage": "2024",
        "layers": [
            {"kind": "admin_unit", "path": "rl.gpkg", "zone_field": "level", "id_field": "code"},
            {
                "kind": "water_source",
                "path": "rl.gpkg",
                "name": "ws",
                "zone_field": "level",
                "zone_map": {"county": "level1"},
                "encoding": "gbk",
                "crs": "EPSG:4490",
                "illustrative": False,
            },
        ],
    }
    (folder / "catalog.toml").write_text(toml_dumps(catalog), encoding="utf-8")
    scenario = {
        "schema_version": 1,
        "id": "fuzz",
        "title": "fuzz",
        "catalog": "catalog.toml",
        "layers": ["water_source"],
        "units": {"level": "county", "id_field": "code"},
        "stats": {"rollup": [], "overlaps": True, "indicators": False, "scale": "local"},
        "outputs": {"excel": False, "gpkg": False, "map": False, "map_layer": "water_source"},
        "screening": {
            "sites": "sites.geojson",
            "project_type": "chemical",
            "attrs": {"discharges_wastewater": True},
        },
    }
    restoration = {
        "name": "fuzz",
        "catalog": "catalog.toml",
        "study_area": {"kind": "admin_unit", "level": "county"},
        "units": {"grid_m": 2000},
        "rasters": {"resolution_m": 250.0, "lc": {"path": "rl.gpkg"}},
        "criteria": [
            {"name": "ws", "type": "coverage", "layer": {"kind": "water_source"}, "weight": 0.5},
            {"name": "lc", "type": "raster", "raster": "lc", "weight": 0.5, "direction": "cost"},
        ],
        "weights": {"method": "direct"},
        "interventions": [{"name": "plant", "cost_per_ha": 1000.0}],
        "portfolio": {"budget": 1e6, "locked_out": [{"layer": {"kind": "water_source"}}]},
        "classes": {"method": "quantile"},
    }
    rulepack = {
        "pack": {"id": "fuzz", "version": "1", "name_zh": "测试", "name_en": "fuzz"},
        "rules": [
            {
                "id": "FZ-1",
                "kind": "water_source",
                "zones": ["level1"],
                "categories": ["industrial"],
                "outcome": "prohibited",
                "text_zh": "禁止",
                "text_en": "Prohibited.",
                "citation": {"document": "fuzz", "seed_file": "x.txt", "line": "1"},
                "buffer_m": 100.0,
                "conditions": [{"attr": "discharges_wastewater", "op": "eq", "value": True}],
            }
        ],
    }
    return {
        "catalog": (catalog, lambda p: load_catalog(p, use_cache=False)),
        "scenario": (scenario, load_scenario),
        "restoration": (restoration, load_restoration_scenario),
        "rulepack": (rulepack, load_rulepack),
    }


def _paths(doc: Any, here: tuple = ()) -> list[tuple]:
    """Every key path of a nested document (dict keys and list indices)."""
    out = [here] if here else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*here, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*here, i))
    return out


def mutate_toml(doc: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], str]:
    """A copy of ``doc`` with one to three values replaced, removed or added; and a label."""
    import copy

    doc = copy.deepcopy(doc)
    labels = []
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_paths(doc))
        *parent_path, key = path
        parent: Any = doc
        for k in parent_path:
            parent = parent[k]
        action = rng.random()
        if action < 0.8:
            parent[key] = copy.deepcopy(rng.choice(WEIRD_VALUES))
            labels.append(f"{'.'.join(map(str, path))}={parent[key]!r:.40}")
        elif action < 0.9 and isinstance(parent, dict):
            del parent[key]
            labels.append(f"del {'.'.join(map(str, path))}")
        elif isinstance(parent, dict):
            parent[f"unknown_{rng.randint(0, 9)}"] = copy.deepcopy(rng.choice(WEIRD_VALUES))
            labels.append(f"add key under {'.'.join(map(str, parent_path)) or 'top'}")
    return doc, "; ".join(labels)


def try_toml(
    path: Path, doc: dict[str, Any], loader: Callable[[Path], Any], encoding: str = "utf-8"
) -> str:
    """Write ``doc`` as TOML in ``encoding`` and load it: ``"ok"``, ``"refused"`` or a crash."""
    text = toml_dumps(doc)
    path.write_bytes(text.encode(encoding, errors="replace"))
    try:
        return classify(lambda: loader(path))
    finally:
        path.unlink(missing_ok=True)


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
        while time.perf_counter() - t1 < budget * 0.15:
            geoms = [weird_site(rng) for _ in range(rng.randint(1, 4))]
            outcome = try_screen(geoms)
            counts["screen"][outcome.split(":")[0]] += 1
            if outcome.startswith("crash"):
                crashes.append(("screen", outcome, " | ".join(g.wkt for g in geoms)))
        docs = toml_seeds(Path(tmp) / "toml")
        t2 = time.perf_counter()
        while time.perf_counter() - t2 < budget * 0.15:
            target = rng.choice(sorted(docs))
            seed, loader = docs[target]
            doc, label = mutate_toml(seed, rng)
            encoding = TOML_ENCODINGS[0] if rng.random() < 0.8 else rng.choice(TOML_ENCODINGS)
            outcome = try_toml(Path(tmp) / "toml" / "case.toml", doc, loader, encoding)
            counts[f"toml {target}"][outcome.split(":")[0]] += 1
            if outcome.startswith("crash"):
                crashes.append((f"toml {target}", outcome, f"{label} ({encoding})"))
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
