"""Tests for zoning.crs: zones, measuring, declared-CRS checks, GCJ-02."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely import LineString, Point, box

from zoning import crs as zc
from zoning.errors import CRSError, EmptyInputError, ProjectionError

# GRS80 (the CGCS2000 ellipsoid) constants, for hand formulas.
A_GRS80 = 6378137.0
F_GRS80 = 1 / 298.257222101
E2 = F_GRS80 * (2 - F_GRS80)


def _q(phi_deg: float) -> float:
    """Authalic q(φ) of the ellipsoid (Snyder, Map Projections, eq. 3-12)."""
    e = math.sqrt(E2)
    s = math.sin(math.radians(phi_deg))
    return (1 - E2) * (s / (1 - E2 * s * s) - (1 / (2 * e)) * math.log((1 - e * s) / (1 + e * s)))


def quadrangle_area_m2(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """Exact ellipsoidal area of a lon/lat quadrangle: a²·Δλ·(q(φ1) − q(φ0)) / 2."""
    return A_GRS80**2 * math.radians(lon1 - lon0) * (_q(lat1) - _q(lat0)) / 2


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


# ---------------------------------------------------------------- constants and zones


def test_constants():
    assert zc.CGCS2000 == "EPSG:4490"
    assert zc.WGS84 == "EPSG:4326"
    op = zc.ALBERS_CHINA.coordinate_operation
    params = {p.name: p.value for p in op.params}
    assert op.method_name == "Albers Equal Area"
    assert params["Longitude of false origin"] == 105
    assert params["Latitude of 1st standard parallel"] == 25
    assert params["Latitude of 2nd standard parallel"] == 47
    # on the CGCS2000 datum (files written in it keep that identity), whose ellipsoid has
    # GRS80's parameters: areas are the same as on the former "+ellps=GRS80" definition
    assert zc.ALBERS_CHINA.datum.name == "China 2000"
    grs80 = pyproj.CRS.from_proj4("+proj=longlat +ellps=GRS80").ellipsoid
    assert zc.ALBERS_CHINA.ellipsoid.semi_major_metre == grs80.semi_major_metre
    assert zc.ALBERS_CHINA.ellipsoid.inverse_flattening == pytest.approx(
        grs80.inverse_flattening, abs=1e-9
    )


@pytest.mark.parametrize(
    ("lon", "epsg"),
    [
        # CM = 3 * floor(lon / 3 + 0.5): the boundary between CM 111 and CM 114 is 112.5E.
        (110.2, 4546),  # Shanxi's western extreme → CM 111
        (111.0, 4546),
        (112.4999, 4546),
        (112.5, 4547),  # the boundary goes to the east zone
        (112.55, 4547),  # Taiyuan
        (114.6, 4547),  # Shanxi's eastern extreme → CM 114
        (75.0, 4534),  # first zone
        (73.6, 4534),
        (135.0, 4554),  # last zone
        (136.4, 4554),
    ],
)
def test_gk_epsg_for_lon(lon, epsg):
    assert zc.gk_epsg_for_lon(lon) == epsg
    # the code and its pyproj central meridian agree
    crs = pyproj.CRS.from_epsg(epsg)
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    assert abs(params["Longitude of natural origin"] - lon) <= 1.5


@pytest.mark.parametrize("lon", [72.0, 137.0, -112.5, float("nan")])
def test_gk_epsg_for_lon_outside_china(lon):
    with pytest.raises(CRSError):
        zc.gk_epsg_for_lon(lon)


@pytest.mark.parametrize(
    ("code", "cm"),
    [
        ("EPSG:4534", 75.0),
        ("EPSG:4546", 111.0),
        ("EPSG:4547", 114.0),
        ("EPSG:4554", 135.0),
        ("EPSG:4513", 75.0),  # zone 25, prefixed eastings
        ("EPSG:4525", 111.0),  # zone 37
        ("EPSG:4526", 114.0),  # zone 38
        ("EPSG:4533", 135.0),
        ("EPSG:4490", None),
        ("EPSG:32649", None),  # UTM is TM but not GK CGCS2000
        ("EPSG:2385", None),  # Xian 1980 GK
        (None, None),
    ],
)
def test_gk_central_meridian(code, cm):
    assert zc.gk_central_meridian(code) == cm
    assert zc.is_gk_crs(code) is (cm is not None)


def test_gk_crs_for_geometry_and_frames():
    assert zc.gk_crs_for(Point(112.55, 37.87)).to_epsg() == 4547
    assert zc.gk_crs_for(box(110.2, 34.6, 111.5, 36)).to_epsg() == 4546
    # Shanxi's extent: centre (110.2 + 114.6) / 2 = 112.4 → CM 111
    shanxi = gpd.GeoDataFrame(geometry=[box(110.2, 34.6, 114.6, 40.7)], crs="EPSG:4490")
    assert zc.gk_crs_for(shanxi).to_epsg() == 4546
    # projected input: a square near the CM 114 origin in EPSG:4547
    sq = gpd.GeoSeries([box(500_000, 4_190_000, 510_000, 4_200_000)], crs="EPSG:4547")
    assert zc.gk_crs_for(sq).to_epsg() == 4547


def test_gk_crs_for_errors():
    with pytest.raises(CRSError, match="no CRS"):
        zc.gk_crs_for(gpd.GeoSeries([Point(112, 37)]))
    with pytest.raises(EmptyInputError):
        zc.gk_crs_for(gpd.GeoSeries([], crs="EPSG:4490"))
    with pytest.raises(EmptyInputError):
        zc.gk_crs_for(Point())


# ---------------------------------------------------------------- require_measurable


@pytest.mark.parametrize(
    "crs",
    [
        "EPSG:4490",
        "EPSG:4326",
        "EPSG:3857",
        "EPSG:900913",
        "EPSG:3395",
        "ESRI:54004",
        "ESRI:102100",
        "+proj=merc +lon_0=110 +datum=WGS84 +units=m",  # no code at all: caught by method
        "EPSG:2264",  # US survey feet
        "EPSG:4978",  # geocentric
        None,
    ],
)
def test_require_measurable_rejects(crs):
    with pytest.raises(ProjectionError) as info:
        zc.require_measurable(crs, "area")
    msg = str(info.value)
    assert "ALBERS_CHINA" in msg and "EPSG:4547" in msg and "fix" in msg
    if crs is not None and crs.startswith("EPSG"):
        assert crs in msg  # names the CRS found


@pytest.mark.parametrize(
    "crs", ["EPSG:4547", "EPSG:4526", "EPSG:32649", "EPSG:6933", zc.ALBERS_CHINA]
)
def test_require_measurable_accepts(crs):
    assert isinstance(zc.require_measurable(crs), pyproj.CRS)


# ---------------------------------------------------------------- area and length


@pytest.fixture
def square_4547():
    """A 10 km × 10 km square (100 km²) built in EPSG:4547 metres on the CM 114E meridian."""
    return gpd.GeoSeries(
        [box(495_000, 4_190_000, 505_000, 4_200_000)], index=["sq"], crs="EPSG:4547"
    )


def test_square_area_same_in_albers_and_gk(square_4547):
    geo = square_4547.to_crs("EPSG:4490")
    a_gk = zc.area_m2(geo, crs="EPSG:4547").loc["sq"]
    a_albers = zc.area_m2(geo).loc["sq"]
    assert a_gk == pytest.approx(1e8, rel=1e-9)
    assert a_albers == pytest.approx(a_gk, rel=1e-4)  # within 0.01 %


def test_gk_area_scale_off_the_central_meridian():
    # GK is conformal with scale k ≈ 1 + x²/(2R²) at x metres from the CM, so a square built in
    # GK metres 65 km off the CM is smaller on the ground by k² ≈ 1 + (65/6371)² = 1.000104.
    sq = gpd.GeoSeries([box(560_000, 4_190_000, 570_000, 4_200_000)], crs="EPSG:4547")
    ratio = 1e8 / zc.area_m2(sq.to_crs("EPSG:4490")).iloc[0]
    assert ratio == pytest.approx(1 + (65 / 6371) ** 2, abs=2e-6)


def test_area_of_lonlat_quadrangle_matches_ellipsoid_formula():
    # a 1° × 1° cell at 37–38N, densified so edges follow the meridians and parallels
    cell = shapely.segmentize(box(112, 37, 113, 38), 0.01)
    gs = gpd.GeoSeries([cell], crs="EPSG:4490")
    exact = quadrangle_area_m2(112, 37, 113, 38)  # ≈ 9,768 km²
    assert 9.7e9 < exact < 9.85e9
    assert zc.area_m2(gs).iloc[0] == pytest.approx(exact, rel=1e-6)  # Albers is equal-area


def test_area_keeps_index_and_accepts_frames(square_4547):
    gdf = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[box(500_000, 4_000_000, 501_000, 4_002_000), Point(0, 0).buffer(1)],
        index=[10, 7],
        crs="EPSG:4547",
    )
    out = zc.area_m2(gdf, crs="EPSG:4547")
    assert list(out.index) == [10, 7]
    assert out.name == "area_m2"
    assert out.loc[10] == pytest.approx(2e6)


@pytest.mark.parametrize("bad", ["EPSG:4490", "EPSG:3857", "EPSG:4326", None])
def test_area_in_degrees_or_web_mercator_raises(square_4547, bad):
    with pytest.raises(ProjectionError):
        zc.area_m2(square_4547.to_crs("EPSG:4490"), crs=bad)
    with pytest.raises(ProjectionError):
        zc.length_m(square_4547, crs=bad or "EPSG:3395")


def test_area_without_crs_raises():
    with pytest.raises(CRSError, match="no CRS"):
        zc.area_m2(gpd.GeoSeries([box(0, 0, 1, 1)]))


def test_length(square_4547):
    geo = square_4547.to_crs("EPSG:4490")
    assert zc.length_m(geo).loc["sq"] == pytest.approx(40_000, rel=1e-4)  # default: local GK
    # a 1° meridian arc 37–38N, checked against the geodesic distance on GRS80
    line = gpd.GeoSeries([shapely.segmentize(LineString([(112, 37), (112, 38)]), 0.01)], crs=4490)
    _, _, geodesic = pyproj.Geod(ellps="GRS80").inv(112, 37, 112, 38)
    assert 110_900 < geodesic < 111_100
    assert zc.length_m(line).iloc[0] == pytest.approx(geodesic, rel=2e-4)  # GK k at 0.5° off


# ---------------------------------------------------------------- ensure_crs


def _pts(xy, crs=None):
    return gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in xy], crs=crs)


def test_ensure_crs_missing_without_declaration():
    with pytest.raises(CRSError) as info:
        zc.ensure_crs(_pts([(112.5, 37.8)]), what="layer 'rivers'")
    msg = str(info.value)
    assert "rivers" in msg and 'crs = "EPSG:4490"' in msg and "--crs" in msg


def test_ensure_crs_declared_used_only_when_missing():
    out = zc.ensure_crs(_pts([(112.5, 37.8)]), "EPSG:4490")
    assert out.crs.to_epsg() == 4490
    own = _pts([(112.5, 37.8)], crs="EPSG:4326")
    assert zc.ensure_crs(own, "EPSG:4490").crs.to_epsg() == 4326


def test_ensure_crs_projected_metres_labelled_4490():
    data = _pts([(530_000.0, 4_190_000.0), (560_000.0, 4_200_000.0)])
    with pytest.raises(CRSError) as info:
        zc.ensure_crs(data, "EPSG:4490")
    msg = str(info.value)
    assert "projected metres" in msg and "EPSG:4547" in msg


def test_ensure_crs_zone_prefixed_metres_suggests_zone():
    data = _pts([(38_530_000.0, 4_190_000.0), (38_560_000.0, 4_200_000.0)], crs="EPSG:4490")
    with pytest.raises(CRSError, match="EPSG:4526"):  # zone 38 → CM 114 → EPSG:4526
        zc.ensure_crs(data)


def test_ensure_crs_swapped_lonlat():
    with pytest.raises(CRSError, match="swapped"):
        zc.ensure_crs(_pts([(37.87, 112.55), (36.2, 113.1)]), "EPSG:4490")


def test_ensure_crs_gk_checks():
    ok = _pts([(530_000.0, 4_190_000.0)], crs="EPSG:4547")
    assert zc.ensure_crs(ok) is ok
    with pytest.raises(CRSError, match="look like lon/lat degrees"):
        zc.ensure_crs(_pts([(112.55, 37.87)], crs="EPSG:4547"))
    with pytest.raises(CRSError, match="far outside China"):  # prefixed eastings in 4547
        zc.ensure_crs(_pts([(38_530_000.0, 4_190_000.0)], crs="EPSG:4547"))


def test_ensure_crs_plausible_passes_and_empty_ok():
    gdf = _pts([(110.3, 34.7), (114.5, 40.6)], crs="EPSG:4490")
    assert zc.ensure_crs(gdf) is gdf
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:4490")
    assert zc.ensure_crs(empty) is empty


# ---------------------------------------------------------------- GCJ-02


def test_gcj_vectorised_matches_scalar_reference():
    for lon, lat in [*SHANXI_PLACES.values(), (116.39, 39.91), (121.47, 31.23)]:
        glon, glat = zc.wgs84_to_gcj02(lon, lat)
        rlon, rlat = _gcj_ref(lon, lat)
        assert isinstance(glon, float)
        assert glon == pytest.approx(rlon, abs=1e-12)
        assert glat == pytest.approx(rlat, abs=1e-12)
    lons = np.array([p[0] for p in SHANXI_PLACES.values()])
    lats = np.array([p[1] for p in SHANXI_PLACES.values()])
    glon, glat = zc.wgs84_to_gcj02(lons, lats)
    assert glon.shape == lons.shape
    assert glon[0] == pytest.approx(_gcj_ref(*SHANXI_PLACES["Taiyuan"])[0], abs=1e-12)


def test_gcj_round_trip_under_a_centimetre_over_shanxi():
    lon, lat = np.meshgrid(np.linspace(110.2, 114.6, 45), np.linspace(34.5, 40.8, 64))
    glon, glat = zc.wgs84_to_gcj02(lon, lat)
    wlon, wlat = zc.gcj02_to_wgs84(glon, glat)
    geod = pyproj.Geod(ellps="GRS80")
    _, _, err = geod.inv(lon.ravel(), lat.ravel(), wlon.ravel(), wlat.ravel())
    assert err.max() < 0.01
    # and the forward shift is real (so the round trip is not trivially the identity)
    _, _, shift = pyproj.Geod(ellps="GRS80").inv(
        lon.ravel(), lat.ravel(), glon.ravel(), glat.ravel()
    )
    assert shift.min() > 100


def test_gcj_single_iteration_is_not_enough():
    glon, glat = zc.wgs84_to_gcj02(112.55, 37.87)
    one = zc.gcj02_to_wgs84(glon, glat, iterations=1)
    _, _, err1 = pyproj.Geod(ellps="GRS80").inv(112.55, 37.87, *one)
    assert 0.01 < err1 < 20  # a one-step inverse leaves metres (the cnmaps residual)


@pytest.mark.parametrize("name", list(SHANXI_PLACES))
def test_shanxi_shift_magnitude(name):
    lon, lat = SHANXI_PLACES[name]
    shift = zc.gcj02_shift_m(lon, lat)
    assert 300 < shift < 700
    # cross-check with the scalar reference and an independent geodesic
    rlon, rlat = _gcj_ref(lon, lat)
    assert shift == pytest.approx(pyproj.Geod(ellps="WGS84").inv(lon, lat, rlon, rlat)[2], rel=1e-6)


@pytest.mark.parametrize(("lon", "lat"), [(2.35, 48.86), (139.69, 35.69), (-74.0, 40.7)])
def test_gcj_identity_outside_china(lon, lat):
    assert zc.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert zc.gcj02_to_wgs84(lon, lat) == (lon, lat)
    assert zc.gcj02_shift_m(lon, lat) == 0.0


def test_to_from_gcj02_frames():
    gdf = gpd.GeoDataFrame(
        {"v": [1, 2]},
        geometry=[box(112.5, 37.8, 112.6, 37.9), LineString([(111, 36), (111.2, 36.1)])],
        index=["a", "b"],
        crs="EPSG:4490",
    )
    shifted = zc.to_gcj02(gdf)
    assert list(shifted.index) == ["a", "b"] and shifted.crs == gdf.crs
    assert list(shifted["v"]) == [1, 2]
    d = shifted.geometry.iloc[0].exterior.coords[0]
    assert (d[0], d[1]) == pytest.approx(_gcj_ref(112.6, 37.8), abs=1e-12)
    back = zc.from_gcj02(shifted)
    assert shapely.equals_exact(back.geometry.values, gdf.geometry.values, tolerance=1e-9).all()
    # projected frames are converted through lon/lat and come back in their own CRS
    proj = gdf.to_crs("EPSG:4547")
    sproj = zc.to_gcj02(proj)
    assert sproj.crs == proj.crs
    dist = sproj.geometry.distance(proj.geometry, align=True)
    assert (dist < 700).all()
    assert shapely.hausdorff_distance(sproj.geometry.iloc[0], proj.geometry.iloc[0]) > 300
    # a GeoSeries in, a GeoSeries out
    assert isinstance(zc.from_gcj02(gdf.geometry), gpd.GeoSeries)


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
    check = zc.detect_gcj02(zc.to_gcj02(counties), counties)
    assert check.likely_gcj02
    assert 100 < check.offset_m < 700
    # not 0: the shift is not uniform, so straight edges between shifted vertices bend back
    assert check.offset_after_correction_m < 5
    assert "from_gcj02" in check.message


def test_detect_gcj02_clean_layer_not_flagged(counties):
    check = zc.detect_gcj02(counties, counties.to_crs("EPSG:4490"))
    assert not check.likely_gcj02
    assert check.offset_m < 1
    # the correction would move it off by the shift
    assert check.offset_after_correction_m > 100


def test_detect_gcj02_other_shift_not_flagged(counties):
    # a 500 m shift to the south-west (opposite to GCJ's north-east): misfit in the band, but
    # undoing GCJ-02 makes it worse, so it is not GCJ-02
    gk = counties.to_crs("EPSG:4547")
    moved = gk.set_geometry(gk.geometry.translate(-400, -300)).to_crs("EPSG:4326")
    check = zc.detect_gcj02(moved, counties)
    assert not check.likely_gcj02
    assert check.offset_m > 100
    assert check.offset_after_correction_m > check.offset_m


def test_detect_gcj02_unrelated_data_cannot_tell(counties):
    far = gpd.GeoDataFrame(geometry=[box(100, 30, 100.1, 30.1)], crs="EPSG:4326")
    check = zc.detect_gcj02(far, counties)
    assert not check.likely_gcj02
    assert "cannot tell" in check.message


def test_gcj02_check_is_frozen(counties):
    check = zc.detect_gcj02(counties, counties)
    with pytest.raises(AttributeError):
        check.likely_gcj02 = True  # type: ignore[misc]


def test_detect_gcj02_on_lines_and_collections(counties):
    # boundaries as MultiLineStrings (e.g. a river or boundary-line layer): the lines themselves
    # are sampled, not their end points
    lines = counties.set_geometry(counties.boundary.apply(lambda g: shapely.MultiLineString([g])))
    check = zc.detect_gcj02(zc.to_gcj02(lines), counties)
    assert check.likely_gcj02 and check.offset_after_correction_m < 5
    mixed = gpd.GeoDataFrame(
        geometry=[shapely.GeometryCollection([counties.geometry.iloc[0], Point(112.5, 37.8)])],
        crs="EPSG:4326",
    )
    assert not zc.detect_gcj02(mixed, counties).likely_gcj02


# ---------------------------------------------------------------- project


def test_project_keeps_valid_geometries_and_index(square_4547):
    gdf = gpd.GeoDataFrame({"v": [1]}, index=["sq"], geometry=square_4547.to_crs("EPSG:4490"))
    out = zc.project(gdf)
    assert isinstance(out, gpd.GeoDataFrame) and list(out.index) == ["sq"]
    assert out.crs == zc.ALBERS_CHINA
    assert out.geometry.iloc[0].equals(gdf.to_crs(zc.ALBERS_CHINA).geometry.iloc[0])
    assert isinstance(zc.project(gdf.geometry, "EPSG:4547"), gpd.GeoSeries)


def test_project_repairs_invalid_keeping_area():
    # bow-tie crossing at (1000, 1000): two triangles of ½·2000·1000 = 1 km² each
    bow = shapely.Polygon([(0, 0), (2000, 2000), (2000, 0), (0, 2000)])
    assert not bow.is_valid
    gs = gpd.GeoSeries([bow], crs="EPSG:4547")
    out = zc.project(gs, "EPSG:4547")
    assert out.is_valid.all()
    assert out.iloc[0].geom_type == "MultiPolygon"
    assert out.area.iloc[0] == pytest.approx(2e6)


def test_project_guards():
    gs = gpd.GeoSeries([box(112, 37, 112.1, 37.1)], crs="EPSG:4490")
    with pytest.raises(ProjectionError):
        zc.project(gs, "EPSG:3857")
    with pytest.raises(CRSError, match="no CRS"):
        zc.project(gpd.GeoSeries([box(112, 37, 112.1, 37.1)]))


@pytest.mark.parametrize("n_segments", [1, 3, 31, 32, 33, 64, 65, 500])
def test_short_pieces_keep_every_nearest_distance(n_segments):
    """Lines cut for detect_gcj02's tree: pieces of ≤ 32 segments sharing their ends, so the
    distance to the nearest piece is the distance to the whole line (a star-shaped ring too).
    """
    import shapely

    from zoning.crs import _short_pieces

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
