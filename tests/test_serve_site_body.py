"""A JSON body's site built without a file (``zoning.serve.site_body``) = the file path.

For every kind of site the fast path takes, the frame (geometry bytes, columns, CRS) and the
screening's JSON must be what writing the site to its GeoJSON file and reading it with GDAL
(``read_sites``, as ``zoning screen FILE`` does) gives; every kind it must not take is left to
the file path; a CRS error says the same words.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from zoning.errors import CRSError
from zoning.screening.report import screening_document
from zoning.screening.request import read_sites, screen_read_sites
from zoning.serve.site_body import MAX_POSITIONS, plan_body_sites, sites_from_plan
from zoning.serve.uploads import site_document

DEMO_SITES = Path(__file__).resolve().parent.parent / "scenarios" / "demo_sites.geojson"
DEMO = json.loads(DEMO_SITES.read_text(encoding="utf-8"))


def _random_sites(n: int, seed: int = 7) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        lon, lat = float(rng.uniform(111.0, 113.6)), float(rng.uniform(35.5, 39.5))
        d = float(rng.uniform(0.0005, 0.01))
        if i % 3 == 0:
            out.append({"type": "Point", "coordinates": [lon, lat]})
        elif i % 3 == 1:
            out.append({"type": "LineString", "coordinates": [[lon, lat], [lon + d, lat + d / 3]]})
        else:
            ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
            out.append({"type": "Polygon", "coordinates": [ring]})
    return out


def _square(lon: float, lat: float, d: float, clockwise: bool = False) -> list[list[float]]:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return ring[::-1] if clockwise else ring


HAND_BUILT = [
    # what the page posts: a drawn FeatureCollection with text site ids
    (
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"site_id": "绘制 1"},
                    "geometry": DEMO["features"][0]["geometry"],
                },
                {
                    "type": "Feature",
                    "properties": {"site_id": "绘制 2"},
                    "geometry": {"type": "Point", "coordinates": [112.55, 37.87]},
                },
            ],
        },
        "EPSG:4490",
    ),
    # the demo site S1 as a Feature (text properties), no crs given (EPSG:4490 is written)
    (dict(DEMO["features"][0]), None),
    # a clockwise polygon with a clockwise hole, integer coordinates among them
    (
        {
            "type": "Polygon",
            "coordinates": [_square(112, 37.5, 0.02, True), _square(112.005, 37.505, 0.005, True)],
        },
        "EPSG:4326",
    ),
    (
        {
            "type": "MultiPolygon",
            "coordinates": [[_square(112.2, 37.6, 0.01)], [_square(112.25, 37.6, 0.01)]],
        },
        None,
    ),
    (
        {
            "type": "MultiLineString",
            "coordinates": [[[112.3, 37.7], [112.31, 37.71]], [[112.32, 37.7], [112.33, 37.72]]],
        },
        None,
    ),
    ({"type": "MultiPoint", "coordinates": [[112.3, 37.7], [112.31, 37.71]]}, None),
    # a 400 m x 300 m box in CGCS2000 Gauss–Krüger zone 38 (EPSG:4526) near Yangquan
    (
        {
            "type": "Polygon",
            "coordinates": [
                [
                    [38_600_000, 4_190_000],
                    [38_600_400, 4_190_000],
                    [38_600_400, 4_190_300],
                    [38_600_000, 4_190_300],
                    [38_600_000, 4_190_000],
                ]
            ],
        },
        "EPSG:4526",
    ),
]


def _both(site: dict, crs: str | None, tmp_path: Path):
    doc, epsg = site_document(site, crs)
    path = tmp_path / "site.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    plan = plan_body_sites(doc, epsg)
    assert plan is not None, site
    return sites_from_plan(plan, path), read_sites(path, None)[0]


@pytest.mark.parametrize("case", range(len(HAND_BUILT)))
def test_hand_built_sites_screen_as_their_file(case: int, demo_catalog, tmp_path: Path) -> None:
    site, crs = HAND_BUILT[case]
    fast, slow = _both(site, crs, tmp_path)
    assert list(fast.columns) == list(slow.columns)
    assert fast.crs == slow.crs and fast.crs.to_epsg() == slow.crs.to_epsg()
    assert list(shapely.to_wkb(fast.geometry.values)) == list(shapely.to_wkb(slow.geometry.values))
    for col in fast.columns.drop("geometry"):
        assert fast[col].tolist() == slow[col].tolist()
    docs = [
        json.dumps(
            screening_document(screen_read_sites(f, demo_catalog, "solar_pv")), ensure_ascii=False
        )
        for f in (fast, slow)
    ]
    assert docs[0] == docs[1]


def test_random_sites_screen_as_their_file(demo_catalog, tmp_path: Path) -> None:
    for site in _random_sites(30):
        fast, slow = _both(site, "EPSG:4490", tmp_path)
        assert list(shapely.to_wkb(fast.geometry.values)) == list(
            shapely.to_wkb(slow.geometry.values)
        )
        a, b = (screen_read_sites(f, demo_catalog, "solar_pv") for f in (fast, slow))
        assert json.dumps(screening_document(a)) == json.dumps(screening_document(b))


def _feature(geometry: object, **props: object) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


POINT = {"type": "Point", "coordinates": [112.55, 37.87]}
LEFT_TO_THE_FILE = {
    "3-D coordinates": {"type": "Point", "coordinates": [112.5, 37.8, 900.0]},
    "an unclosed ring": {
        "type": "Polygon",
        "coordinates": [[[112, 37], [112.1, 37], [112.1, 37.1], [112, 37.1]]],
    },
    "a one-point line": {"type": "LineString", "coordinates": [[112, 37]]},
    "an empty part": {"type": "MultiPolygon", "coordinates": []},
    "a collection": {"type": "GeometryCollection", "geometries": [POINT]},
    "a null geometry": _feature(None),
    "a feature id": {**_feature(POINT), "id": 7},
    "a number property": _feature(POINT, capacity=50),
    "a date-like property": _feature(POINT, site_id="2024-06-01"),
    "a numeric text": _feature(POINT, site_id="12"),
    "a boolean coordinate": {"type": "Point", "coordinates": [True, 37.8]},
    "mixed keys": {
        "type": "FeatureCollection",
        "features": [_feature(POINT, a="x"), _feature(POINT, b="y")],
    },
    "too many positions": {
        "type": "MultiPoint",
        "coordinates": [[112 + i * 1e-5, 37.8] for i in range(MAX_POSITIONS + 1)],
    },
}


@pytest.mark.parametrize("what", sorted(LEFT_TO_THE_FILE))
def test_other_sites_take_the_file_path(what: str) -> None:
    doc, epsg = site_document(LEFT_TO_THE_FILE[what], "EPSG:4490")
    assert epsg == 4490
    assert plan_body_sites(doc, epsg) is None


def test_gcj02_and_the_collections_own_crs_take_the_file_path() -> None:
    assert site_document(POINT, "gcj02")[1] is None
    own = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4526"}}
    fc = {"type": "FeatureCollection", "crs": own, "features": [_feature(POINT)]}
    assert site_document(fc, None)[1] is None
    assert site_document(fc, "EPSG:4490")[1] == 4490


def test_a_crs_error_says_what_the_file_path_says(tmp_path: Path) -> None:
    # Gauss–Krüger metres sent as lon/lat degrees
    site = {"type": "Point", "coordinates": [38_600_000.0, 4_190_000.0]}
    doc, epsg = site_document(site, "EPSG:4490")
    path = tmp_path / "site.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    plan = plan_body_sites(doc, epsg)
    assert plan is not None
    with pytest.raises(CRSError) as fast:
        sites_from_plan(plan, path)
    with pytest.raises(CRSError) as slow:
        read_sites(path, None)
    assert str(fast.value) == str(slow.value) and str(path) in str(fast.value)
