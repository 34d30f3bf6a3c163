"""Tests for zoning.crs: zones, measuring, reprojection."""

from __future__ import annotations

import math

import geopandas as gpd
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


def test_gk_crs_for_every_shapely_geometry_type():
    # the zone is the one whose central meridian (75° + 3°·k, EPSG:4534 + k) is nearest the
    # centre of the lon/lat bounds: 116..118 → 117 (k = 14), 119.4..119.6 → 120 (k = 15)
    line = LineString([(116.0, 37.0), (118.0, 38.0)])
    assert zc.gk_crs_for(line).to_epsg() == 4548
    assert zc.gk_crs_for(shapely.MultiLineString([line])).to_epsg() == 4548
    both = shapely.GeometryCollection([Point(119.4, 37.0), box(119.5, 37.0, 119.6, 37.1)])
    assert zc.gk_crs_for(both).to_epsg() == 4549
    assert zc.gk_crs_for(shapely.MultiPoint([(119.4, 37.0), (119.6, 37.0)])).to_epsg() == 4549
    with pytest.raises(EmptyInputError):
        zc.gk_crs_for(shapely.GeometryCollection())
    with pytest.raises(TypeError, match="expected a shapely geometry"):
        zc.gk_crs_for([(112.0, 37.0)])


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
