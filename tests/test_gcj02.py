"""Tests for zoning.gcj02: the GCJ-02 offset, its inverse, frames, and detection."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely import LineString, Point, box

from zoning import gcj02 as zg


# Reference GCJ-02 offset: scalar transcription of the public formula, written separately
# from the vectorised implementation (constants as in shared/domain/data-sources.md §1.3).
def _gcj_ref(lon: float, lat: float) -> tuple[float, float]:
    a, ee = 6378245.0, 0.00669342162296594323
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
    magic = 1 - ee * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    return (
        lon + dlon * 180.0 / (a / sq * math.cos(rad) * math.pi),
        lat + dlat * 180.0 / ((a * (1 - ee)) / (magic * sq) * math.pi),
    )


SHANXI_PLACES = {
    "Taiyuan": (112.55, 37.87),
    "Datong": (113.30, 40.08),
    "Yuncheng": (111.00, 35.03),
    "Changzhi": (113.12, 36.20),
    "Lvliang": (111.14, 37.52),
}


# ---------------------------------------------------------------- GCJ-02


def test_gcj_vectorised_matches_scalar_reference():
    for lon, lat in [*SHANXI_PLACES.values(), (116.39, 39.91), (121.47, 31.23)]:
        glon, glat = zg.wgs84_to_gcj02(lon, lat)
        rlon, rlat = _gcj_ref(lon, lat)
        assert isinstance(glon, float)
        assert glon == pytest.approx(rlon, abs=1e-12)
        assert glat == pytest.approx(rlat, abs=1e-12)
    lons = np.array([p[0] for p in SHANXI_PLACES.values()])
    lats = np.array([p[1] for p in SHANXI_PLACES.values()])
    glon, glat = zg.wgs84_to_gcj02(lons, lats)
    assert glon.shape == lons.shape
    assert glon[0] == pytest.approx(_gcj_ref(*SHANXI_PLACES["Taiyuan"])[0], abs=1e-12)


def test_gcj_round_trip_under_a_centimetre_over_shanxi():
    lon, lat = np.meshgrid(np.linspace(110.2, 114.6, 45), np.linspace(34.5, 40.8, 64))
    glon, glat = zg.wgs84_to_gcj02(lon, lat)
    wlon, wlat = zg.gcj02_to_wgs84(glon, glat)
    geod = pyproj.Geod(ellps="GRS80")
    _, _, err = geod.inv(lon.ravel(), lat.ravel(), wlon.ravel(), wlat.ravel())
    assert err.max() < 0.01
    # and the forward shift is real (so the round trip is not trivially the identity)
    _, _, shift = pyproj.Geod(ellps="GRS80").inv(
        lon.ravel(), lat.ravel(), glon.ravel(), glat.ravel()
    )
    assert shift.min() > 100


def test_gcj_single_iteration_is_not_enough():
    glon, glat = zg.wgs84_to_gcj02(112.55, 37.87)
    one = zg.gcj02_to_wgs84(glon, glat, iterations=1)
    _, _, err1 = pyproj.Geod(ellps="GRS80").inv(112.55, 37.87, *one)
    assert 0.01 < err1 < 20  # a one-step inverse leaves metres (the cnmaps residual)


@pytest.mark.parametrize("name", list(SHANXI_PLACES))
def test_shanxi_shift_magnitude(name):
    lon, lat = SHANXI_PLACES[name]
    shift = zg.gcj02_shift_m(lon, lat)
    assert 300 < shift < 700
    # cross-check with the scalar reference and an independent geodesic
    rlon, rlat = _gcj_ref(lon, lat)
    assert shift == pytest.approx(pyproj.Geod(ellps="WGS84").inv(lon, lat, rlon, rlat)[2], rel=1e-6)


@pytest.mark.parametrize(("lon", "lat"), [(2.35, 48.86), (139.69, 35.69), (-74.0, 40.7)])
def test_gcj_identity_outside_china(lon, lat):
    assert zg.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert zg.gcj02_to_wgs84(lon, lat) == (lon, lat)
    assert zg.gcj02_shift_m(lon, lat) == 0.0


def test_to_from_gcj02_frames():
    gdf = gpd.GeoDataFrame(
        {"v": [1, 2]},
        geometry=[box(112.5, 37.8, 112.6, 37.9), LineString([(111, 36), (111.2, 36.1)])],
        index=["a", "b"],
        crs="EPSG:4490",
    )
    shifted = zg.to_gcj02(gdf)
    assert list(shifted.index) == ["a", "b"] and shifted.crs == gdf.crs
    assert list(shifted["v"]) == [1, 2]
    d = shifted.geometry.iloc[0].exterior.coords[0]
    assert (d[0], d[1]) == pytest.approx(_gcj_ref(112.6, 37.8), abs=1e-12)
    back = zg.from_gcj02(shifted)
    assert shapely.equals_exact(back.geometry.values, gdf.geometry.values, tolerance=1e-9).all()
    # projected frames are converted through lon/lat and come back in their own CRS
    proj = gdf.to_crs("EPSG:4547")
    sproj = zg.to_gcj02(proj)
    assert sproj.crs == proj.crs
    dist = sproj.geometry.distance(proj.geometry, align=True)
    assert (dist < 700).all()
    assert shapely.hausdorff_distance(sproj.geometry.iloc[0], proj.geometry.iloc[0]) > 300
    # a GeoSeries in, a GeoSeries out
    assert isinstance(zg.from_gcj02(gdf.geometry), gpd.GeoSeries)


# ---------------------------------------------------------------- detect_gcj02


@pytest.fixture(scope="module")
def counties():
    """Irregular 'county' polygons around Taiyuan: a seeded Voronoi tessellation (WGS84)."""
    rng = np.random.default_rng(7)
    frame = box(111.8, 37.3, 113.2, 38.4)
    pts = shapely.multipoints(
        np.column_stack([rng.uniform(111.8, 113.2, 30), rng.uniform(37.3, 38.4, 30)])
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=frame))
    cells = shapely.intersection(cells, frame)
    return gpd.GeoDataFrame({"id": range(len(cells))}, geometry=cells, crs="EPSG:4326")


def test_detect_gcj02_flags_shifted_layer(counties):
    check = zg.detect_gcj02(zg.to_gcj02(counties), counties)
    assert check.likely_gcj02
    assert 100 < check.offset_m < 700
    # not 0: the shift is not uniform, so straight edges between shifted vertices bend back
    assert check.offset_after_correction_m < 5
    assert "from_gcj02" in check.message


def test_detect_gcj02_clean_layer_not_flagged(counties):
    check = zg.detect_gcj02(counties, counties.to_crs("EPSG:4490"))
    assert not check.likely_gcj02
    assert check.offset_m < 1
    # the correction would move it off by the shift
    assert check.offset_after_correction_m > 100


def test_detect_gcj02_other_shift_not_flagged(counties):
    # a 500 m shift to the south-west (opposite to GCJ's north-east): misfit in the band, but
    # undoing GCJ-02 makes it worse, so it is not GCJ-02
    gk = counties.to_crs("EPSG:4547")
    moved = gk.set_geometry(gk.geometry.translate(-400, -300)).to_crs("EPSG:4326")
    check = zg.detect_gcj02(moved, counties)
    assert not check.likely_gcj02
    assert check.offset_m > 100
    assert check.offset_after_correction_m > check.offset_m


def test_detect_gcj02_unrelated_data_cannot_tell(counties):
    far = gpd.GeoDataFrame(geometry=[box(100, 30, 100.1, 30.1)], crs="EPSG:4326")
    check = zg.detect_gcj02(far, counties)
    assert not check.likely_gcj02
    assert "cannot tell" in check.message


def test_gcj02_check_is_frozen(counties):
    check = zg.detect_gcj02(counties, counties)
    with pytest.raises(AttributeError):
        check.likely_gcj02 = True  # type: ignore[misc]


def test_detect_gcj02_on_lines_and_collections(counties):
    # boundaries as MultiLineStrings (e.g. a river or boundary-line layer): the lines themselves
    # are sampled, not their end points
    lines = counties.set_geometry(counties.boundary.apply(lambda g: shapely.MultiLineString([g])))
    check = zg.detect_gcj02(zg.to_gcj02(lines), counties)
    assert check.likely_gcj02 and check.offset_after_correction_m < 5
    mixed = gpd.GeoDataFrame(
        geometry=[shapely.GeometryCollection([counties.geometry.iloc[0], Point(112.5, 37.8)])],
        crs="EPSG:4326",
    )
    assert not zg.detect_gcj02(mixed, counties).likely_gcj02


@pytest.mark.parametrize("n_segments", [1, 3, 31, 32, 33, 64, 65, 500])
def test_short_pieces_keep_every_nearest_distance(n_segments):
    """Lines cut for detect_gcj02's tree: pieces of ≤ 32 segments sharing their ends, so the
    distance to the nearest piece is the distance to the whole line (a star-shaped ring too).
    """
    import shapely

    from zoning.gcj02 import _short_pieces

    rng = np.random.default_rng(n_segments)
    line = shapely.LineString(rng.uniform(0, 100, (n_segments + 1, 2)))
    theta = np.linspace(0, 2 * np.pi, n_segments + 3)[:-1]
    ring = shapely.LinearRing(np.column_stack([50 + 40 * np.cos(theta), 50 + 20 * np.sin(theta)]))
    pieces = _short_pieces(np.array([line, ring], dtype=object))
    n_line, n_ring = n_segments, len(ring.coords) - 1
    expected = -(-n_line // 32) + -(-n_ring // 32)  # ceil: pieces of at most 32 segments
    assert len(pieces) == expected
    assert all(2 <= len(p.coords) <= 33 for p in pieces)
    # together the pieces hold every segment once: lengths add up
    assert shapely.length(pieces).sum() == pytest.approx(line.length + ring.length, rel=1e-12)
    tree = shapely.STRtree(pieces)
    probes = shapely.points(rng.uniform(-20, 120, (200, 2)))
    _, d = tree.query_nearest(probes, return_distance=True, all_matches=False)
    whole = np.minimum(shapely.distance(probes, line), shapely.distance(probes, ring))
    np.testing.assert_array_equal(d, whole)
