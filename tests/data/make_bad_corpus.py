"""Generate the corpus of bad and awkward inputs, and the table of their answers (issue 7).

Planners feed zoning whatever their colleagues send them. Every case below is a file (or a small
catalogue) built from scratch in code — nothing here is a hand-edited binary — together with the
answer zoning must give when it meets it through the entry point users hit:

* ``error``: a clear message (what was found, what was expected, the fix), exit code 1, no
  traceback, no output file left behind;
* ``repaired``: the data is used after a repair that is reported (a warning, the repair log);
* ``result``: the data is read as it is and the answer is right.

``tests/test_bad_inputs.py`` runs every case and asserts its answer; ``docs/bad-inputs.md`` is the
table rendered by :func:`render_docs` (a test keeps the two in sync).

Usage::

    python tests/data/make_bad_corpus.py [OUT_DIR]            # default tests/data/bad/
    python tests/data/make_bad_corpus.py --docs docs/bad-inputs.md

Every case is built into its own folder ``OUT_DIR/<case id>/`` and its CLI arguments are written
to ``OUT_DIR/<case id>/args.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import struct
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CASES", "Built", "Case", "build", "render_docs", "write_scenario"]

# A small synthetic catalogue near Taiyuan (all EPSG:4490 lon/lat degrees):
#   the province and one county (coverage), one red-line square, nested water-source zones.
PROVINCE = (112.0, 37.5, 113.0, 38.2)
COUNTY = (112.2, 37.6, 112.8, 38.0)
REDLINE = (112.30, 37.70, 112.40, 37.80)
WS_LEVEL1 = (112.60, 37.70, 112.62, 37.72)
WS_LEVEL2 = (112.58, 37.68, 112.64, 37.74)


@dataclass
class Built:
    """What a case's builder wrote: the CLI arguments and the paths a test may look at."""

    args: list[str]
    paths: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One bad input and the answer it must get.

    Attributes
    ----------
    id : str
        Stable id (folder name, test id).
    title : str
        The input, as a planner would describe it.
    entry : str
        The entry point exercised (``zoning layers check``, ``zoning screen``, ``zoning stats``,
        ``zoning run`` or ``python: …``).
    answer : {"error", "repaired", "result"}
        The kind of answer.
    exit_code : int
        Exit code of the command (0 for the Python API when it returns).
    expect : tuple of str
        Fragments that must appear (case-insensitive) in the message or the output.
    doc : str
        The answer in words (the table in ``docs/bad-inputs.md``).
    build : callable
        ``build(folder) -> Built``.
    """

    id: str
    title: str
    entry: str
    answer: str
    exit_code: int
    expect: tuple[str, ...]
    doc: str
    build: Callable[[Path], Built]


# ---------------------------------------------------------------------------------------------
# Small writers
# ---------------------------------------------------------------------------------------------


def _gdf(rows: list[dict[str, Any]], geoms: list[Any], crs: Any = "EPSG:4490") -> Any:
    import geopandas as gpd

    return gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)


def _write(gdf: Any, path: Path, **kwargs: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    driver = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".shp": "ESRI Shapefile"}[path.suffix]
    gdf.to_file(path, driver=driver, engine="pyogrio", **kwargs)
    return path


def _write_geojson_text(path: Path, features: list[dict[str, Any]], crs: str | None) -> Path:
    """A GeoJSON file written by hand (null geometries, collections, CRS member as given)."""
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _ring(b: tuple[float, float, float, float]) -> list[list[float]]:
    x0, y0, x1, y1 = b
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def _feature(props: dict[str, Any], geometry: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _poly(b: tuple[float, float, float, float]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [_ring(b)]}


def _catalog(
    folder: Path, extra: list[dict[str, Any]] | None = None, *, name: str = "corpus"
) -> Path:
    """Write the base synthetic catalogue (admin, red line, water source) plus ``extra`` layers."""
    from shapely import box

    folder.mkdir(parents=True, exist_ok=True)
    _write(
        _gdf(
            [
                {"adcode": "140000", "name": "山西省", "level": "province"},
                {"adcode": "140100", "name": "示例县", "level": "county"},
            ],
            [box(*PROVINCE), box(*COUNTY)],
        ),
        folder / "admin.gpkg",
    )
    _write(
        _gdf([{"code": "HX-1", "名称": "示例红线"}], [box(*REDLINE)]),
        folder / "redline.gpkg",
    )
    _write(
        _gdf(
            [
                {"code": "WS-1", "级别": "一级保护区", "名称": "示例水源地"},
                {"code": "WS-2", "级别": "二级保护区", "名称": "示例水源地"},
            ],
            [box(*WS_LEVEL1), box(*WS_LEVEL2).difference(box(*WS_LEVEL1))],
        ),
        folder / "water.gpkg",
    )
    lines = [f'name = "{name}"', ""]
    base = [
        {
            "kind": "admin_unit",
            "path": "admin.gpkg",
            "zone_field": "level",
            "id_field": "adcode",
            "name_field": "name",
        },
        {"kind": "eco_redline", "path": "redline.gpkg", "id_field": "code", "name_field": "名称"},
        {
            "kind": "water_source",
            "path": "water.gpkg",
            "zone_field": "级别",
            "id_field": "code",
            "name_field": "名称",
        },
    ]
    for spec in base + (extra or []):
        lines.append("[[layers]]")
        lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in spec.items()]
        lines.append("")
    path = folder / "catalog.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _check(folder: Path, extra: list[dict[str, Any]]) -> Built:
    cat = _catalog(folder, extra)
    return Built(
        ["layers", "check", "--catalog", str(cat), "--json", "--no-cache"], {"catalog": cat}
    )


def _site_geojson(
    path: Path, geoms: list[dict[str, Any]], *, crs: str | None = "EPSG:4490"
) -> Path:
    feats = [_feature({"site_id": f"S{i + 1}"}, g) for i, g in enumerate(geoms)]
    return _write_geojson_text(path, feats, crs)


def _screen(folder: Path, site: Path, project_type: str = "chemical", *more: str) -> Built:
    cat = _catalog(folder / "catalog")
    return Built(
        [
            "screen",
            str(site),
            "--project-type",
            project_type,
            "--catalog",
            str(cat),
            "--json",
            *more,
        ],
        {"catalog": cat, "site": site},
    )


# ---------------------------------------------------------------------------------------------
# Builders, one per case
# ---------------------------------------------------------------------------------------------


def _no_crs_layer(folder: Path) -> Built:
    from shapely import box

    shp = _write(
        _gdf([{"code": "A"}], [box(112.3, 37.7, 112.35, 37.75)], crs=None), folder / "红线.shp"
    )
    return _check(folder, [{"kind": "eco_redline", "name": "no_prj", "path": shp.name}])


def _no_crs_declared(folder: Path) -> Built:
    from shapely import box

    shp = _write(
        _gdf([{"code": "A"}], [box(112.3, 37.7, 112.35, 37.75)], crs=None), folder / "红线.shp"
    )
    return _check(
        folder, [{"kind": "eco_redline", "name": "no_prj", "path": shp.name, "crs": "EPSG:4490"}]
    )


def _no_crs_site(folder: Path) -> Built:
    from shapely import Point

    site = _write(_gdf([{"site_id": "S1"}], [Point(112.5, 37.9)], crs=None), folder / "厂址.shp")
    return _screen(folder, site, "chemical", "--out", str(folder / "out"))


def _site_metres_declared_degrees(folder: Path) -> Built:
    from shapely import Point

    # GK metres (EPSG:4547) in a shapefile without .prj, declared EPSG:4490 on the command line
    site = _write(
        _gdf([{"site_id": "S1"}], [Point(538_000, 4_190_000)], crs=None), folder / "厂址.shp"
    )
    return _screen(folder, site, "chemical", "--crs", "EPSG:4490", "--out", str(folder / "out"))


def _projected_as_4490(folder: Path) -> Built:
    from shapely import box

    # CGCS2000 / 3-degree GK CM 111E (EPSG:4546) metres, but labelled EPSG:4490 degrees
    gpkg = _write(
        _gdf([{"code": "A"}], [box(540_000, 4_180_000, 545_000, 4_185_000)]), folder / "rl.gpkg"
    )
    return _check(folder, [{"kind": "eco_redline", "name": "metres", "path": gpkg.name}])


def _lonlat_swapped(folder: Path) -> Built:
    from shapely import box

    gpkg = _write(_gdf([{"code": "A"}], [box(37.7, 112.3, 37.75, 112.35)]), folder / "rl.gpkg")
    return _check(folder, [{"kind": "eco_redline", "name": "swapped", "path": gpkg.name}])


def _lonlat_swapped_csv(folder: Path) -> Built:
    site = folder / "sites.csv"
    folder.mkdir(parents=True, exist_ok=True)
    site.write_text("site_id,lon,lat\nP1,37.9,112.5\n", encoding="utf-8")  # columns swapped
    return _screen(folder, site)


def _gcj02_site(folder: Path) -> Built:
    # built against the demo: a real county outline, converted to GCJ-02 as Amap would give it
    from zoning.catalog import load_catalog
    from zoning.datasets import demo_catalog_path
    from zoning.gcj02 import to_gcj02

    cat_path = demo_catalog_path()
    county = load_catalog(cat_path).admin_units("county").iloc[[0]][["name", "geometry"]]
    site = _write(
        to_gcj02(county).rename(columns={"name": "site_id"}), folder / "amap_site.geojson"
    )
    return Built(
        ["screen", str(site), "--project-type", "road", "--catalog", str(cat_path), "--json"],
        {"catalog": cat_path, "site": site},
    )


def _dbf(folder: Path, encoding: str, cpg: bool, text: str) -> Built:
    """A water-source shapefile whose attribute table is in ``encoding``; .cpg kept or removed."""
    from shapely import box

    gdf = _gdf(
        [{"级别": "一级保护区", "名称": text}, {"级别": "二级保护区", "名称": text}],
        [box(*WS_LEVEL1), box(*WS_LEVEL2).difference(box(*WS_LEVEL1))],
    )
    shp = _write(gdf, folder / "水源地.shp", encoding=encoding)
    if not cpg:
        (folder / "水源地.cpg").unlink()
        # like many Chinese desktop exports: language driver id "not set"
        with open(folder / "水源地.dbf", "r+b") as fh:
            fh.seek(29)
            fh.write(b"\x00")
    return _check(
        folder,
        [
            {
                "kind": "water_source",
                "name": "ws_dbf",
                "path": shp.name,
                "zone_field": "级别",
                "name_field": "名称",
            }
        ],
    )


_GBK_TEXT = "太原市汾河水源地"
_GB18030_TEXT = "㐀䶵汾河水源地"  # CJK Extension A: 4-byte in GB18030, absent from GBK


def _dbf_case(encoding: str, cpg: bool, text: str) -> Callable[[Path], Built]:
    return lambda folder: _dbf(folder, encoding, cpg, text)


def _invalid_layer(folder: Path, wkt: str) -> Built:
    import shapely

    gpkg = _write(_gdf([{"code": "X-1"}], [shapely.from_wkt(wkt)]), folder / "rl_invalid.gpkg")
    return _check(
        folder, [{"kind": "eco_redline", "name": "invalid", "path": gpkg.name, "id_field": "code"}]
    )


BOWTIE_WKT = "POLYGON ((112.3 37.7, 112.4 37.8, 112.4 37.7, 112.3 37.8, 112.3 37.7))"
SPIKE_WKT = (
    "POLYGON ((112.3 37.7, 112.4 37.7, 112.4 37.75, 112.5 37.75, 112.4 37.75, 112.4 37.8, "
    "112.3 37.8, 112.3 37.7))"
)
# a shell that touches itself at (112.35, 37.7), enclosing an inverted hole
SELF_TOUCH_WKT = (
    "POLYGON ((112.3 37.7, 112.35 37.7, 112.33 37.75, 112.37 37.75, 112.35 37.7, 112.4 37.7, "
    "112.4 37.8, 112.3 37.8, 112.3 37.7))"
)


def _empty_null(folder: Path) -> Built:
    geo = _write_geojson_text(
        folder / "rl_holes.geojson",
        [
            _feature({"code": "G1"}, _poly(REDLINE)),
            _feature({"code": "N1"}, None),
            _feature({"code": "E1"}, {"type": "Polygon", "coordinates": []}),
        ],
        "urn:ogc:def:crs:OGC:1.3:CRS84",
    )
    return _check(
        folder, [{"kind": "eco_redline", "name": "holes", "path": geo.name, "id_field": "code"}]
    )


def _all_null(folder: Path) -> Built:
    geo = _write_geojson_text(
        folder / "rl_null.geojson",
        [_feature({"code": "N1"}, None), _feature({"code": "N2"}, None)],
        "urn:ogc:def:crs:OGC:1.3:CRS84",
    )
    return _check(folder, [{"kind": "eco_redline", "name": "all_null", "path": geo.name}])


def _z_m(folder: Path) -> Built:
    import shapely
    from pyogrio.raw import write

    folder.mkdir(parents=True, exist_ok=True)
    geoms = [
        shapely.from_wkt(
            "POLYGON Z ((112.3 37.7 950, 112.4 37.7 960, 112.4 37.8 970, 112.3 37.8 955, 112.3 37.7 950))"
        ),
        shapely.from_wkt("POLYGON M ((112.5 37.7 1, 112.55 37.7 2, 112.55 37.75 3, 112.5 37.7 1))"),
    ]
    wkb = np.array([shapely.to_wkb(g, flavor="iso") for g in geoms], dtype=object)
    path = folder / "rl_zm.gpkg"
    write(
        path,
        wkb,
        [np.array(["Z-1", "M-1"], dtype=object)],
        ["code"],
        geometry_type="Unknown",
        crs="EPSG:4490",
        driver="GPKG",
    )
    return _check(
        folder, [{"kind": "eco_redline", "name": "zm", "path": path.name, "id_field": "code"}]
    )


def _mixed(folder: Path) -> Built:
    geo = _write_geojson_text(
        folder / "rl_mixed.geojson",
        [
            _feature({"code": "P"}, _poly(REDLINE)),
            _feature(
                {"code": "L"}, {"type": "LineString", "coordinates": [[112.5, 37.7], [112.6, 37.8]]}
            ),
            _feature({"code": "T"}, {"type": "Point", "coordinates": [112.5, 37.9]}),
        ],
        "urn:ogc:def:crs:OGC:1.3:CRS84",
    )
    return _check(
        folder, [{"kind": "eco_redline", "name": "mixed", "path": geo.name, "id_field": "code"}]
    )


def _collection(folder: Path) -> Built:
    geo = _write_geojson_text(
        folder / "rl_gc.geojson",
        [
            _feature(
                {"code": "GC"},
                {
                    "type": "GeometryCollection",
                    "geometries": [
                        _poly(REDLINE),
                        {"type": "LineString", "coordinates": [[112.5, 37.7], [112.6, 37.8]]},
                        {"type": "Point", "coordinates": [112.5, 37.9]},
                    ],
                },
            )
        ],
        "urn:ogc:def:crs:OGC:1.3:CRS84",
    )
    return _check(
        folder,
        [{"kind": "eco_redline", "name": "collection", "path": geo.name, "id_field": "code"}],
    )


def _duplicate_ids(folder: Path) -> Built:
    from shapely import box

    gpkg = _write(
        _gdf(
            [{"code": "HX-9"}, {"code": "HX-9"}],
            [box(112.30, 37.70, 112.32, 37.72), box(112.35, 37.70, 112.37, 37.72)],
        ),
        folder / "rl_dup.gpkg",
    )
    return _check(
        folder, [{"kind": "eco_redline", "name": "dup", "path": gpkg.name, "id_field": "code"}]
    )


def _zip_missing(folder: Path, part: str) -> Built:
    from shapely import box

    src = folder / "src"
    _write(_gdf([{"code": "A"}], [box(*REDLINE)]), src / "redline.shp")
    zpath = folder / "redline.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(src.iterdir()):
            if p.suffix != part:
                zf.write(p, p.name)
    shutil.rmtree(src)
    return _check(folder, [{"kind": "eco_redline", "name": "zipped", "path": zpath.name}])


def _zip_damaged(folder: Path) -> Built:
    """A zipped shapefile whose ``.dbf`` member fails its CRC (a bit flipped in transit)."""
    from shapely import box

    src = folder / "src"
    _write(_gdf([{"code": "A"}], [box(*REDLINE)]), src / "redline.shp")
    zpath = folder / "redline.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_STORED) as zf:
        for p in sorted(src.iterdir()):
            zf.write(p, p.name)
    shutil.rmtree(src)
    data = bytearray(zpath.read_bytes())
    with zipfile.ZipFile(zpath) as zf:
        info = zf.getinfo("redline.dbf")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 40] ^= 0xFF  # inside the first record
    zpath.write_bytes(bytes(data))
    return _check(folder, [{"kind": "eco_redline", "name": "damaged", "path": zpath.name}])


def _truncated_gpkg(folder: Path) -> Built:
    from shapely import box

    full = _write(
        _gdf(
            [{"code": str(i)} for i in range(50)],
            [box(112.3 + i * 1e-3, 37.7, 112.3005 + i * 1e-3, 37.71) for i in range(50)],
        ),
        folder / "full.gpkg",
    )
    data = full.read_bytes()
    (folder / "rl_truncated.gpkg").write_bytes(data[: len(data) // 3])
    full.unlink()
    return _check(
        folder, [{"kind": "eco_redline", "name": "truncated", "path": "rl_truncated.gpkg"}]
    )


def _empty_file(folder: Path) -> Built:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rl_empty.geojson").write_bytes(b"")
    return _check(
        folder, [{"kind": "eco_redline", "name": "empty_file", "path": "rl_empty.geojson"}]
    )


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>红线</name>
<Placemark><name>示例红线</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
112.30,37.70 112.40,37.70 112.40,37.80 112.30,37.80 112.30,37.70
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Document></kml>
"""


def _kmz(folder: Path) -> Built:
    folder.mkdir(parents=True, exist_ok=True)
    kmz = folder / "红线 2024.kmz"
    with zipfile.ZipFile(kmz, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", KML)
    return _check(folder, [{"kind": "eco_redline", "name": "kmz", "path": kmz.name}])


def _csv_bad_numbers(folder: Path) -> Built:
    folder.mkdir(parents=True, exist_ok=True)
    site = folder / "sites.csv"
    site.write_text("site_id,lon,lat\nP1,112.5,37.9\nP2,112°30',37.9\nP3,,37.8\n", encoding="utf-8")
    return _screen(folder, site, "chemical", "--out", str(folder / "out"))


def _zip_bomb(folder: Path) -> Built:
    """A zipped shapefile whose ``.shp`` declares 1.1 GB of zeros (cheap: the header is crafted).

    A real 1 GB bomb would cost a gigabyte of writing; the reader must refuse it from the sizes
    declared in the headers, before unpacking anything, so a crafted header is the same test.
    The data really is raw deflate of zeros (1 MiB here), so the declared ratio is plausible.
    """
    import zlib

    folder.mkdir(parents=True, exist_ok=True)
    zeros = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = zeros.compress(b"\0" * (1 << 20)) + zeros.flush()
    entries = [("bomb.shp", payload, 1_100_000_000, 8)]
    entries += [(n, b"x", 1, 0) for n in ("bomb.shx", "bomb.dbf")]
    body, central = bytearray(), bytearray()
    for name, data, size, method in entries:
        raw = name.encode()
        offset = len(body)
        body += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, 0, len(data), size, len(raw), 0
        )
        body += raw + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            method,
            0,
            0,
            0,
            len(data),
            size,
            len(raw),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += raw
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(body), 0
    )
    zpath = folder / "bomb.zip"
    zpath.write_bytes(bytes(body + central + end))
    return _check(folder, [{"kind": "eco_redline", "name": "bomb", "path": zpath.name}])


def _chinese_path(folder: Path) -> Built:
    where = folder / "山西 数据" / "项目 选址"
    where.mkdir(parents=True, exist_ok=True)
    site = _site_geojson(where / "化工 厂址.geojson", [_poly((112.33, 37.73, 112.34, 37.74))])
    cat = _catalog(folder / "山西 数据" / "图层 目录")
    return Built(
        [
            "screen",
            str(site),
            "--project-type",
            "chemical",
            "--catalog",
            str(cat),
            "--json",
            "--out",
            str(where / "结果 输出"),
        ],
        {"catalog": cat, "site": site, "out": where / "结果 输出"},
    )


def _outside_shanxi(folder: Path) -> Built:
    site = _site_geojson(
        folder / "guangzhou.geojson", [{"type": "Point", "coordinates": [113.26, 23.13]}]
    )
    return _screen(folder, site, "chemical")


def _outside_catalogue(folder: Path) -> Built:
    # inside Shanxi (Datong), outside the synthetic catalogue's coverage
    site = _site_geojson(folder / "datong.geojson", [_poly((113.29, 40.07, 113.30, 40.08))])
    return _screen(folder, site, "chemical")


def _units_overlap(folder: Path) -> Built:
    from shapely import box

    units = _write(
        _gdf(
            [{"code": "U1"}, {"code": "U2"}, {"code": "U3"}],
            [
                box(112.2, 37.6, 112.5, 38.0),
                box(112.45, 37.6, 112.8, 38.0),  # overlap 0.05°
                box(112.85, 37.6, 112.95, 38.0),
            ],
        ),  # gap 112.8–112.85
        folder / "units.gpkg",
    )
    cat = _catalog(folder / "catalog")
    return Built(
        [
            "stats",
            "--catalog",
            str(cat),
            "--units",
            str(units),
            "--unit-field",
            "code",
            "--out",
            str(folder / "out"),
        ],
        {"catalog": cat, "units": units, "out": folder / "out"},
    )


def _units_gaps(folder: Path) -> Built:
    from shapely import box

    # two units with a gap between them; the red line straddles the gap
    units = _write(
        _gdf(
            [{"code": "W"}, {"code": "E"}],
            [box(112.20, 37.6, 112.34, 38.0), box(112.36, 37.6, 112.8, 38.0)],
        ),
        folder / "units.gpkg",
    )
    cat = _catalog(folder / "catalog")
    return Built(
        [
            "stats",
            "--catalog",
            str(cat),
            "--units",
            str(units),
            "--unit-field",
            "code",
            "--layers",
            "eco_redline",
            "--out",
            str(folder / "out"),
        ],
        {"catalog": cat, "units": units, "out": folder / "out"},
    )


def _existing_output(folder: Path) -> Built:
    site = _site_geojson(folder / "site.geojson", [_poly((112.33, 37.73, 112.34, 37.74))])
    out = folder / "out"
    out.mkdir(parents=True)
    (out / "result.json").write_text("earlier result — keep me\n", encoding="utf-8")
    b = _screen(folder, site, "chemical", "--out", str(out))
    b.paths["out"] = out
    return b


def _unknown_project_type(folder: Path) -> Built:
    site = _site_geojson(folder / "site.geojson", [{"type": "Point", "coordinates": [112.5, 37.9]}])
    return _screen(folder, site, "chemcial")


def _bad_site_no_partial(folder: Path) -> Built:
    site = folder / "site.geojson"
    folder.mkdir(parents=True, exist_ok=True)
    site.write_text('{"type": "FeatureCollection", "features": [{"type": "Feat', encoding="utf-8")
    b = _screen(folder, site, "chemical", "--out", str(folder / "out"))
    b.paths["out"] = folder / "out"
    return b


def _scenario_bad_path(folder: Path) -> Built:
    cat = _catalog(folder / "catalog")
    scn = folder / "scenario.toml"
    scn.write_text(
        "schema_version = 1\n"
        'id = "bad_input"\n'
        f"catalog = {json.dumps(str(cat))}\n"
        'layers = ["eco_redline"]\n\n'
        "[units]\n"
        'level = "county"\n\n'
        "[screening]\n"
        'sites = "missing_sites.geojson"\n'
        'project_type = "chemical"\n',
        encoding="utf-8",
    )
    return Built(
        ["run", str(scn), "--out", str(folder / "out")], {"scenario": scn, "out": folder / "out"}
    )


def _map_bad_layer(folder: Path) -> Built:
    from shapely import box

    gpkg = _write(_gdf([{"code": "A"}], [box(37.7, 112.3, 37.75, 112.35)]), folder / "rl.gpkg")
    cat = _catalog(folder, [{"kind": "eco_redline", "name": "swapped", "path": gpkg.name}])
    out = folder / "地图 输出" / "map.html"
    out.parent.mkdir()
    return Built(["map", "--catalog", str(cat), "--out", str(out)], {"catalog": cat, "out": out})


def _map_existing(folder: Path) -> Built:
    cat = _catalog(folder / "catalog")
    out = folder / "map.html"
    out.write_text("<html>earlier map — keep me</html>\n", encoding="utf-8")
    return Built(["map", "--catalog", str(cat), "--out", str(out)], {"catalog": cat, "map": out})


def _map_chinese_path(folder: Path) -> Built:
    cat = _catalog(folder / "山西 图层")
    out = folder / "审图 草稿" / "红线 地图.html"
    out.parent.mkdir()
    return Built(["map", "--catalog", str(cat), "--out", str(out)], {"catalog": cat, "map": out})


def _restore_missing_raster(folder: Path) -> Built:
    cat = _catalog(folder / "catalog")
    scn = folder / "修复 情景.toml"
    scn.write_text(
        'name = "bad-restoration"\n'
        f"catalog = {json.dumps(str(cat), ensure_ascii=False)}\n\n"
        '[study_area]\nkind = "admin_unit"\nlevel = "county"\n\n'
        "[units]\ngrid_m = 2000\n\n"
        '[rasters.landcover]\npath = "missing_landcover.tif"\n\n'
        '[[criteria]]\nname = "landcover"\ntype = "raster"\nraster = "landcover"\n'
        "weight = 1.0\n",
        encoding="utf-8",
    )
    out = folder / "out"
    return Built(["restore", "--scenario", str(scn), "--out", str(out)], {"out": out})


def _restore_not_toml(folder: Path) -> Built:
    scn = folder / "scenario.toml"
    scn.write_text('name = "unclosed\n[[criteria]\n', encoding="utf-8")
    out = folder / "out"
    return Built(["restore", "--scenario", str(scn), "--out", str(out)], {"out": out})


def _access_field_missing(folder: Path) -> Built:
    from shapely import box

    _write(
        _gdf(
            [{"code": "ZH-1", "管控类别": "重点管控单元", "KJBJ": "新建工业项目进入园区"}],
            [box(*COUNTY)],
        ),
        folder / "units.gpkg",
    )
    unit = {
        "kind": "control_unit",
        "path": "units.gpkg",
        "zone_field": "管控类别",
        "id_field": "code",
    }
    built = _check(folder, [unit])
    cat = built.paths["catalog"]  # the unit layer is the last table: its access list follows
    cat.write_text(
        cat.read_text(encoding="utf-8")
        + 'access_fields = { spatial_layout = "KJBJ", environmental_risk = "HJFX" }\n',
        encoding="utf-8",
    )
    return built


def write_scenario(folder: Path, *, scenario_id: str = "corpus_run") -> Path:
    """A small synthetic batch scenario (statistics, overlaps, workbook, GeoPackage, map).

    Used by the fault and determinism tests: it runs in about a second.
    """
    cat = _catalog(folder / "catalog")
    path = folder / "scenario.toml"
    path.write_text(
        "schema_version = 1\n"
        f'id = "{scenario_id}"\n'
        f"catalog = {json.dumps(str(cat.resolve()), ensure_ascii=False)}\n"
        'layers = ["eco_redline", "water_source"]\n\n'
        '[units]\nlevel = "county"\n\n'
        "[stats]\nrollup = []\noverlaps = true\nindicators = false\n\n"
        '[outputs]\nexcel = true\ngpkg = true\nmap = true\nmap_layer = "eco_redline"\n',
        encoding="utf-8",
    )
    return path


# ---------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------

CHECK = "zoning layers check"
SCREEN = "zoning screen"

CASES: list[Case] = [
    Case(
        "no_crs",
        "shapefile without .prj (no CRS), none declared",
        CHECK,
        "error",
        1,
        ("has no CRS", "expected", "crs ="),
        'exit 1: layer has no CRS; expected one in the file or the catalogue; fix: add `crs = "EPSG:4490"`',
        _no_crs_layer,
    ),
    Case(
        "no_crs_declared",
        'shapefile without .prj, `crs = "EPSG:4490"` in the catalogue',
        CHECK,
        "result",
        0,
        ('"ok": true',),
        "read with the declared CRS",
        _no_crs_declared,
    ),
    Case(
        "no_crs_site",
        "site shapefile without `.prj`",
        SCREEN,
        "error",
        1,
        ("has no CRS", "--crs EPSG:4490"),
        "exit 1: no CRS; fix: `--crs EPSG:4490`; no `--out` folder",
        _no_crs_site,
    ),
    Case(
        "site_metres_as_degrees",
        "site in GK metres without `.prj`, declared `--crs EPSG:4490`",
        SCREEN,
        "error",
        1,
        ("projected metres", "EPSG:4547"),
        "exit 1: the declaration cannot be right; the fix names the GK zone",
        _site_metres_declared_degrees,
    ),
    Case(
        "projected_as_4490",
        "Gauss–Krüger metres labelled EPSG:4490",
        CHECK,
        "error",
        1,
        ("projected metres", "EPSG:4546", "fix"),
        "exit 1: coordinates outside ±180/±90 look like metres; the fix names the GK zone",
        _projected_as_4490,
    ),
    Case(
        "lonlat_swapped",
        "lon/lat swapped (x≈37, y≈112)",
        CHECK,
        "error",
        1,
        ("swapped", "expected x = longitude", "fix"),
        "exit 1: lat/lon look swapped; fix: swap the columns",
        _lonlat_swapped,
    ),
    Case(
        "lonlat_swapped_csv",
        "site CSV with the lon and lat columns swapped",
        SCREEN,
        "error",
        1,
        ("swapped", "fix"),
        "exit 1: lat/lon look swapped (never screened at the wrong place)",
        _lonlat_swapped_csv,
    ),
    Case(
        "gcj02_site",
        "site drawn on Amap (GCJ-02-shifted county outline), labelled WGS84",
        SCREEN,
        "repaired",
        0,
        ("GCJ-02",),
        "screened, with a warning from `detect_gcj02` against the admin units: median misfit and "
        "the fix (`--crs gcj02`)",
        _gcj02_site,
    ),
    Case(
        "dbf_gbk_cpg",
        "GBK DBF with `.cpg` = GBK",
        CHECK,
        "result",
        0,
        ('"level1": 1',),
        "Chinese zone values and names read right",
        _dbf_case("GBK", True, _GBK_TEXT),
    ),
    Case(
        "dbf_gbk_no_cpg",
        "GBK DBF without `.cpg`, language driver id 0",
        CHECK,
        "result",
        0,
        ('"level1": 1',),
        "encoding detected from content (GB18030 ⊇ GBK); read right",
        _dbf_case("GBK", False, _GBK_TEXT),
    ),
    Case(
        "dbf_gb18030_cpg",
        "GB18030 DBF (4-byte characters) with `.cpg`",
        CHECK,
        "result",
        0,
        ('"level1": 1',),
        "read right, 4-byte characters included",
        _dbf_case("GB18030", True, _GB18030_TEXT),
    ),
    Case(
        "dbf_gb18030_no_cpg",
        "GB18030 DBF without `.cpg`, language driver id 0",
        CHECK,
        "result",
        0,
        ('"level1": 1',),
        "detected from content; read right",
        _dbf_case("GB18030", False, _GB18030_TEXT),
    ),
    Case(
        "dbf_utf8_cpg",
        "UTF-8 DBF with `.cpg`",
        CHECK,
        "result",
        0,
        ('"level1": 1',),
        "read right",
        _dbf_case("UTF-8", True, _GBK_TEXT),
    ),
    Case(
        "dbf_utf8_no_cpg",
        "UTF-8 DBF without `.cpg`",
        CHECK,
        "result",
        0,
        ('"level1": 1',),
        "detected from content (valid UTF-8); read right",
        _dbf_case("UTF-8", False, _GBK_TEXT),
    ),
    Case(
        "bowtie",
        "bow-tie polygon (self-intersecting)",
        CHECK,
        "repaired",
        0,
        ("invalid_geometry", "make_valid"),
        "repaired with make_valid into two triangles; reported as a warning with the repair log",
        lambda f: _invalid_layer(f, BOWTIE_WKT),
    ),
    Case(
        "spike",
        "polygon with a zero-width spike",
        CHECK,
        "repaired",
        0,
        ("invalid_geometry",),
        "repaired (spike removed, area unchanged); reported",
        lambda f: _invalid_layer(f, SPIKE_WKT),
    ),
    Case(
        "self_touching",
        "self-touching ring (inverted hole)",
        CHECK,
        "repaired",
        0,
        ("invalid_geometry",),
        "repaired into a polygon with a hole; reported",
        lambda f: _invalid_layer(f, SELF_TOUCH_WKT),
    ),
    Case(
        "empty_null_geoms",
        "null and empty geometries among good ones",
        CHECK,
        "repaired",
        0,
        ("null geometry", "empty geometry", "dropped"),
        "those features dropped and listed by row; the rest used",
        _empty_null,
    ),
    Case(
        "all_null_geoms",
        "a layer whose every geometry is null",
        CHECK,
        "error",
        1,
        ("no features", "expected"),
        "exit 1: no usable feature",
        _all_null,
    ),
    Case(
        "z_m",
        "Polygon Z and Polygon M",
        CHECK,
        "repaired",
        0,
        ("Z/M",),
        "Z dropped to 2-D and reported; M is dropped by the reader (it carries no position)",
        _z_m,
    ),
    Case(
        "mixed_types",
        "polygons, a line and a point in a polygon layer",
        CHECK,
        "error",
        1,
        ("LineString", "Point", "expected MultiPolygon or Polygon", "fix"),
        "exit 1: wrong geometry types listed by row; fix: export the right type",
        _mixed,
    ),
    Case(
        "geometry_collection",
        "a GeometryCollection (polygon + line + point)",
        CHECK,
        "repaired",
        0,
        ("GeometryCollection", "polygon parts were kept"),
        "its polygon parts kept; reported",
        _collection,
    ),
    Case(
        "duplicate_ids",
        "two features with the same id",
        CHECK,
        "repaired",
        0,
        ("share ids", "#n"),
        "made unique (`HX-9`, `HX-9#2`); reported",
        _duplicate_ids,
    ),
    Case(
        "zip_missing_shx",
        "zipped shapefile without its `.shx`",
        CHECK,
        "error",
        1,
        ("missing redline.shx (shape index)", "fix"),
        "exit 1: names the missing part; fix: zip all the parts",
        lambda f: _zip_missing(f, ".shx"),
    ),
    Case(
        "zip_missing_dbf",
        "zipped shapefile without its `.dbf`",
        CHECK,
        "error",
        1,
        ("missing redline.dbf (attribute table)", "fix"),
        "exit 1: names the missing part",
        lambda f: _zip_missing(f, ".dbf"),
    ),
    Case(
        "zip_damaged",
        "zipped shapefile whose `.dbf` fails its CRC",
        CHECK,
        "error",
        1,
        ("damaged", "re-create the archive"),
        "exit 1: archive damaged; fix: re-create it",
        _zip_damaged,
    ),
    Case(
        "truncated_gpkg",
        "GeoPackage cut to a third of its size",
        CHECK,
        "error",
        1,
        ("cannot read", "truncated", "fix"),
        "exit 1: cannot read; fix: re-copy or re-export",
        _truncated_gpkg,
    ),
    Case(
        "empty_file",
        "a 0-byte `.geojson`",
        CHECK,
        "error",
        1,
        ("cannot read", "expected"),
        "exit 1: cannot read; expected formats listed",
        _empty_file,
    ),
    Case(
        "kmz",
        "a KMZ (zipped KML, name with a space and Chinese)",
        CHECK,
        "result",
        0,
        ('"ok": true', '"features": 1'),
        "read (WGS84 from KML)",
        _kmz,
    ),
    Case(
        "csv_bad_numbers",
        "site CSV with `112°30'` and an empty lon",
        SCREEN,
        "error",
        1,
        ("no numeric lon/lat", "file lines 3, 4", "fix"),
        "exit 1: the bad rows by file line; `--out` folder not created",
        _csv_bad_numbers,
    ),
    Case(
        "zip_bomb",
        "zipped shapefile whose `.shp` declares 1.1 GB of zeros",
        CHECK,
        "error",
        1,
        ("bytes uncompressed", "zip bomb", "nothing was unpacked"),
        "exit 1: refused by the declared size before unpacking",
        _zip_bomb,
    ),
    Case(
        "chinese_path",
        "catalogue, site and output under paths with Chinese and spaces",
        SCREEN,
        "result",
        0,
        ('"verdict": "prohibited"',),
        "screened (chemical plant inside the red line: prohibited); outputs written",
        _chinese_path,
    ),
    Case(
        "outside_shanxi",
        "a site in Guangzhou",
        SCREEN,
        "result",
        0,
        ('"verdict": "needs_info"',),
        "`needs_info` (outside the catalogue's coverage), never `allowed`",
        _outside_shanxi,
    ),
    Case(
        "outside_catalogue",
        "a site in Shanxi outside the catalogue's coverage",
        SCREEN,
        "result",
        0,
        ('"verdict": "needs_info"',),
        "`needs_info`, never `allowed`",
        _outside_catalogue,
    ),
    Case(
        "units_overlap",
        "unit layer with overlapping units (and a gap)",
        "zoning stats",
        "error",
        1,
        ("overlap", "U1", "U2"),
        "exit 1: the overlapping pairs with their area; no output folder",
        _units_overlap,
    ),
    Case(
        "units_gaps",
        "unit layer with a gap crossed by the red line",
        "zoning stats",
        "result",
        0,
        ("stats.csv",),
        "statistics per unit; the part in the gap is in no unit",
        _units_gaps,
    ),
    Case(
        "existing_output",
        "`--out` folder that already exists",
        SCREEN,
        "error",
        1,
        ("already exists", "--overwrite"),
        "exit 1; the existing files untouched",
        _existing_output,
    ),
    Case(
        "unknown_project_type",
        "project type `chemcial` (typo)",
        SCREEN,
        "error",
        2,
        ("chemical",),
        "exit 2 (usage) with the closest ids suggested",
        _unknown_project_type,
    ),
    Case(
        "broken_site_no_partial",
        "truncated site GeoJSON with `--out`",
        SCREEN,
        "error",
        1,
        ("cannot read", "fix"),
        "exit 1; no `--out` folder left behind",
        _bad_site_no_partial,
    ),
    Case(
        "map_bad_layer",
        "map of a catalogue with a swapped lon/lat layer",
        "zoning map",
        "error",
        1,
        ("swapped", "fix"),
        "exit 1 with the layer's problem; no HTML written",
        _map_bad_layer,
    ),
    Case(
        "map_existing_output",
        "map `--out` file that already exists",
        "zoning map",
        "error",
        1,
        ("exists", "--overwrite"),
        "exit 1; the existing file untouched",
        _map_existing,
    ),
    Case(
        "map_chinese_path",
        "map written under a path with Chinese and spaces",
        "zoning map",
        "result",
        0,
        (),
        "a self-contained HTML map written there",
        _map_chinese_path,
    ),
    Case(
        "restore_missing_raster",
        "restoration scenario naming a raster that does not exist",
        "zoning restore",
        "error",
        1,
        ("missing_landcover.tif",),
        "exit 1 naming the file; no output folder",
        _restore_missing_raster,
    ),
    Case(
        "restore_not_toml",
        "restoration scenario that is not valid TOML",
        "zoning restore",
        "error",
        1,
        ("not valid TOML",),
        "exit 1 with the position of the syntax error; no output folder",
        _restore_not_toml,
    ),
    Case(
        "scenario_missing_input",
        "scenario naming a site file that does not exist",
        "zoning run",
        "error",
        1,
        ("missing_sites.geojson",),
        "exit 1 before any work; no output folder",
        _scenario_bad_path,
    ),
    Case(
        "access_field_missing",
        "三线一单 unit layer whose `access_fields` names a field it does not have",
        CHECK,
        "error",
        1,
        ("'HJFX'", "environmental_risk", "KJBJ"),
        "exit 1: names the dimension, the missing field and the fields the layer has",
        _access_field_missing,
    ),
]


# ---------------------------------------------------------------------------------------------
# Outputs (issue 12, items 5, 6 and 12): --out that would destroy inputs, long names, layers
# ---------------------------------------------------------------------------------------------


def _out_holds_site(folder: Path) -> Built:
    """`screen D/site.geojson --catalog D/catalog/catalog.toml --out D --overwrite`."""
    site = _site_geojson(folder / "site.geojson", [_poly((112.33, 37.73, 112.34, 37.74))])
    b = _screen(folder, site, "chemical", "--out", str(folder), "--overwrite")
    b.paths["target"] = folder
    return b


def _out_is_catalogue_folder(folder: Path) -> Built:
    site = _site_geojson(folder / "sites" / "site.geojson", [_poly((112.33, 37.73, 112.34, 37.74))])
    b = _screen(folder, site, "chemical", "--out", str(folder / "catalog"), "--overwrite")
    return b


def _out_is_root(folder: Path) -> Built:
    """`--out / --overwrite`; the catalogue does not exist, so any work would fail first."""
    site = _site_geojson(folder / "site.geojson", [_poly((112.33, 37.73, 112.34, 37.74))])
    missing = folder / "no such catalogue.toml"
    args = ["screen", str(site), "-t", "chemical", "--catalog", str(missing)]
    return Built([*args, "--out", "/", "--overwrite"], {"site": site})


def _out_is_current_folder(folder: Path) -> Built:
    site = _site_geojson(folder / "site.geojson", [_poly((112.33, 37.73, 112.34, 37.74))])
    return _screen(folder, site, "chemical", "--out", ".")


def _out_is_home(folder: Path) -> Built:
    site = _site_geojson(folder / "site.geojson", [_poly((112.33, 37.73, 112.34, 37.74))])
    return _screen(folder, site, "chemical", "--out", str(Path.home()))


def _stats_out_holds_catalogue(folder: Path) -> Built:
    cat = _catalog(folder / "catalog")
    args = ["stats", "--catalog", str(cat), "--out", str(folder), "--overwrite"]
    return Built(args, {"catalog": cat})


def _map_out_is_catalogue(folder: Path) -> Built:
    cat = _catalog(folder / "catalog")
    args = ["map", "--catalog", str(cat), "--out", str(cat), "--overwrite"]
    return Built(args, {"catalog": cat})


def _run_out_holds_scenario(folder: Path) -> Built:
    scn = write_scenario(folder)
    return Built(["run", str(scn), "--out", str(folder), "--overwrite"], {"scenario": scn})


def _long_out_name(folder: Path) -> Built:
    site = _site_geojson(folder / "site.geojson", [_poly((112.33, 37.73, 112.34, 37.74))])
    out = folder / ("筛查" + "x" * 248)  # 250 characters, 254 bytes: a valid name
    b = _screen(folder, site, "chemical", "--out", str(out))
    b.args.remove("--json")
    b.paths["out"] = out
    return b


def _run_long_out_name(folder: Path) -> Built:
    scn = write_scenario(folder)
    out = folder / ("统计" + "y" * 248)  # its staging folder and lock get shortened names
    return Built(["run", str(scn), "--out", str(out)], {"scenario": scn, "out": out})


def _site_gpkg_layers(folder: Path, *more: str) -> Built:
    from shapely import Point, box

    site = folder / "sites.gpkg"
    _write(_gdf([{"site_id": "P1"}], [box(112.33, 37.73, 112.34, 37.74)]), site, layer="plants")
    _write(_gdf([{"site_id": "R1"}], [Point(112.5, 37.9)]), site, layer="roads")
    return _screen(folder, site, "chemical", *more)


def _site_two_layers(folder: Path) -> Built:
    return _site_gpkg_layers(folder)


def _site_layer_chosen(folder: Path) -> Built:
    return _site_gpkg_layers(folder, "--layer", "plants")


_UNSAFE = "exit 1 before any work; every input still there"
CASES += [
    Case(
        "out_holds_the_site",
        "`--out` is the folder holding the site file and the catalogue, with `--overwrite`",
        SCREEN,
        "error",
        1,
        ("a folder holding the site file", "expected", "choose another --out"),
        _UNSAFE,
        _out_holds_site,
    ),
    Case(
        "out_is_the_catalogue_folder",
        "`--out` is the catalogue's folder, with `--overwrite`",
        SCREEN,
        "error",
        1,
        ("holding the catalogue", "expected"),
        _UNSAFE,
        _out_is_catalogue_folder,
    ),
    Case(
        "out_is_root",
        "`--out /` with `--overwrite`",
        SCREEN,
        "error",
        1,
        ("root of the file system", "expected"),
        "exit 1 before any work (the catalogue is not even read)",
        _out_is_root,
    ),
    Case(
        "out_is_current_folder",
        "`--out .`",
        SCREEN,
        "error",
        1,
        ("the current folder", "expected"),
        "exit 1 before any work",
        _out_is_current_folder,
    ),
    Case(
        "out_is_home",
        "`--out ~` (the home folder)",
        SCREEN,
        "error",
        1,
        ("home folder", "expected"),
        "exit 1 before any work",
        _out_is_home,
    ),
    Case(
        "stats_out_holds_catalogue",
        "`zoning stats --out` the folder holding the catalogue, with `--overwrite`",
        "zoning stats",
        "error",
        1,
        ("holding the catalogue", "expected"),
        _UNSAFE,
        _stats_out_holds_catalogue,
    ),
    Case(
        "map_out_is_catalogue",
        "`zoning map --out` the catalogue TOML itself, with `--overwrite`",
        "zoning map",
        "error",
        1,
        ("is the catalogue", "expected"),
        "exit 1 before any work; the catalogue untouched",
        _map_out_is_catalogue,
    ),
    Case(
        "run_out_holds_scenario",
        "`zoning run --out` the folder holding the scenario, with `--overwrite`",
        "zoning run",
        "error",
        1,
        ("holding the scenario", "expected"),
        _UNSAFE,
        _run_out_holds_scenario,
    ),
    Case(
        "long_out_name",
        "a valid 250-character `--out` folder name",
        SCREEN,
        "result",
        0,
        ("result.json, report.html, summary.csv",),
        "written there (hidden temporary and lock names are shortened to fit NAME_MAX)",
        _long_out_name,
    ),
    Case(
        "run_long_out_name",
        "`zoning run` into a valid 250-character `--out` folder name",
        "zoning run",
        "result",
        0,
        (),
        "the run folder is written there",
        _run_long_out_name,
    ),
    Case(
        "site_gpkg_two_layers",
        "a site GeoPackage with two layers, no `--layer`",
        SCREEN,
        "error",
        1,
        ("plants, roads", "--layer"),
        "exit 1 listing the layers; fix: `--layer NAME`",
        _site_two_layers,
    ),
    Case(
        "site_gpkg_layer_chosen",
        "the same GeoPackage with `--layer plants`",
        SCREEN,
        "result",
        0,
        ("prohibited",),
        "that layer is screened (the plant in the red line: prohibited)",
        _site_layer_chosen,
    ),
]


def _more_cases(name: str) -> list[Case]:
    """The cases of a later round, kept in their own module beside this one."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cases(sys.modules[__name__])


CASES += _more_cases("bad_corpus_inputs")  # issue 12, the input half


def build(case: Case | str, root: Path) -> Built:
    """Build one case into ``root/<case id>/`` (removed first) and return what was written."""
    if isinstance(case, str):
        case = next(c for c in CASES if c.id == case)
    folder = Path(root) / case.id
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    built = case.build(folder)
    (folder / "args.json").write_text(
        json.dumps(built.args, ensure_ascii=False), encoding="utf-8", errors="surrogateescape"
    )
    return built


def render_docs() -> str:
    """The Markdown table of every case and its answer (``docs/bad-inputs.md``)."""
    lines = [
        "# Bad and awkward inputs, and the answers zoning gives",
        "",
        "Generated by `python tests/data/make_bad_corpus.py --docs docs/bad-inputs.md`; every row",
        "is a test in `tests/test_bad_inputs.py` (the corpus is rebuilt in a temporary folder on",
        "each run). Answers: **error** = a message saying what was found, what was expected and",
        "the fix, exit code 1 (2 for bad usage), no traceback, no partial output, existing",
        "outputs untouched; **repaired** = used after a repair that is reported; **result** = read",
        "as it is, with the right answer.",
        "",
        "| case | input | entry point | answer | exit | what zoning does |",
        "|---|---|---|---|---|---|",
    ]
    for c in CASES:
        lines.append(
            f"| `{c.id}` | {c.title} | `{c.entry}` | {c.answer} | {c.exit_code} | {c.doc} |"
        )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: build the corpus, or write the docs table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default=str(Path(__file__).parent / "bad"))
    ap.add_argument("--docs", help="write the Markdown table to this file and exit")
    ap.add_argument("--case", action="append", help="build only these case ids")
    ns = ap.parse_args(argv)
    if ns.docs:
        Path(ns.docs).write_text(render_docs(), encoding="utf-8")
        return 0
    for c in CASES:
        if ns.case and c.id not in ns.case:
            continue
        build(c, Path(ns.out))
        print(f"{c.id}: {Path(ns.out) / c.id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
