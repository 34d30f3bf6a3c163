import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, Point, Polygon, box

from zoning.crs import ALBERS_CHINA
from zoning.validation import validate_layer


def _albers_box(x0, y0, side):
    """A square of ``side`` metres in Albers (near 112.5E 37.5N), as EPSG:4490."""
    return gpd.GeoSeries([box(x0, y0, x0 + side, y0 + side)], crs=ALBERS_CHINA).to_crs(4490)[0]


X0, Y0 = 650_000.0, 4_200_000.0  # inside Shanxi in ALBERS_CHINA


def test_four_problems_reported_at_once():
    bowtie = Polygon([(112.0, 37.0), (112.01, 37.01), (112.01, 37.0), (112.0, 37.01)])
    frame = gpd.GeoDataFrame(
        {"级别": ["一级保护区", "二级保护区", "三级保护区"]},
        geometry=[bowtie, Polygon(), box(112.1, 37.1, 112.2, 37.2)],
        crs=None,
    )
    check = validate_layer(frame, kind="water_source", layer_name="ws", zone_field="级别")
    codes = {p.code for p in check.problems}
    assert {"invalid_geometry", "empty_geometry", "crs_missing", "unknown_zone"} <= codes
    assert not check.ok
    by_code = {p.code: p for p in check.problems}
    assert by_code["invalid_geometry"].rows == ("0",)
    assert by_code["empty_geometry"].rows == ("1",)
    assert by_code["unknown_zone"].rows == ("2",)
    assert "三级保护区" in by_code["unknown_zone"].message
    assert "zone_map" in by_code["unknown_zone"].message  # the fix is named
    assert "crs =" in by_code["crs_missing"].message


def test_bowtie_repaired_and_logged_with_areas():
    # a bow-tie of two triangles, each of area side²/4 → make_valid keeps both: side²/2
    side = 1000.0
    pts = [(X0, Y0), (X0 + side, Y0 + side), (X0 + side, Y0), (X0, Y0 + side)]
    bowtie = gpd.GeoSeries([Polygon(pts)], crs=ALBERS_CHINA).to_crs(4490)[0]
    frame = gpd.GeoDataFrame({"编码": ["A1"]}, geometry=[bowtie], crs=4490)
    check = validate_layer(frame, kind="eco_redline", layer_name="rl", id_field="编码")
    assert check.ok
    assert check.frame.geometry.iloc[0].is_valid
    log = check.repairs
    assert log.loc[0, "action"] == "make_valid" and log.loc[0, "feature_id"] == "A1"
    assert "Self-intersection" in log.loc[0, "problem"]
    area = gpd.GeoSeries(check.frame.geometry, crs=4490).to_crs(ALBERS_CHINA).area.iloc[0]
    assert area == pytest.approx(side**2 / 2, rel=1e-6)
    assert log.loc[0, "area_after_m2"] == pytest.approx(side**2 / 2, rel=1e-6)


def test_normalised_columns_and_crs():
    frame = gpd.GeoDataFrame(
        {"名称": ["甲"], "编码": ["X"], "功能分区": ["缓冲区"]},
        geometry=[_albers_box(X0, Y0, 500)],
        crs=4490,
    ).to_crs(4547)
    check = validate_layer(
        frame,
        kind="protected_area",
        layer_name="pa",
        zone_field="功能分区",
        name_field="名称",
        id_field="编码",
    )
    out = check.frame
    assert list(out.columns[:5]) == ["feature_id", "kind", "zone", "name", "layer"]
    assert out.loc[0, "zone"] == "buffer" and out.loc[0, "name"] == "甲"
    assert out.crs.to_epsg() == 4490
    assert "功能分区" in out.columns  # source attributes kept


def test_wrong_geometry_type_is_an_error_and_collections_keep_polygons():
    frame = gpd.GeoDataFrame(
        geometry=[
            Point(112, 37),
            GeometryCollection([box(112, 37, 112.1, 37.1), LineString([(112, 37), (113, 38)])]),
        ],
        crs=4490,
    )
    check = validate_layer(frame, kind="basic_farmland", layer_name="bf")
    codes = {p.code: p for p in check.problems}
    assert codes["geometry_type"].rows == ("0",) and codes["geometry_type"].severity == "error"
    assert codes["geometry_collection"].severity == "warning"
    assert check.frame.geometry.iloc[1].geom_type == "Polygon"


def test_z_coordinates_dropped():
    poly = shapely.force_3d(box(112, 37, 112.1, 37.1), 5.0)
    check = validate_layer(
        gpd.GeoDataFrame(geometry=[poly], crs=4490), kind="basic_farmland", layer_name="bf"
    )
    assert check.ok and not check.frame.has_z.any()
    assert [p.code for p in check.problems] == ["z_coordinates"]


def test_duplicate_ids_made_unique():
    frame = gpd.GeoDataFrame(
        {"id": ["a", "a", "b"]},
        geometry=[box(112 + i, 37, 112.1 + i, 37.1) for i in range(3)],
        crs=4490,
    )
    check = validate_layer(frame, kind="urban_boundary", layer_name="ub", id_field="id")
    assert check.frame["feature_id"].tolist() == ["a", "a#2", "b"]
    assert check.problems[0].code == "duplicate_id"


def test_overlap_reported_for_kinds_without_overlaps():
    a, b = _albers_box(X0, Y0, 1000), _albers_box(X0 + 500, Y0, 1000)
    frame = gpd.GeoDataFrame({"类": ["一般管控单元"] * 2}, geometry=[a, b], crs=4490)
    check = validate_layer(frame, kind="control_unit", layer_name="cu", zone_field="类")
    overlap = [p for p in check.problems if p.code == "overlap"]
    assert len(overlap) == 1
    # the squares overlap on 500 m × 1000 m = 0.5 km²
    assert "0.5000 km²" in overlap[0].message
    # red lines may overlap: nothing reported
    frame2 = gpd.GeoDataFrame(geometry=[a, b], crs=4490)
    assert validate_layer(frame2, kind="eco_redline", layer_name="rl").problems == []


def test_nesting_rings_accepted_and_orphan_level1_flagged():
    inner = _albers_box(X0, Y0, 1000)
    ring = (
        gpd.GeoSeries([box(X0 - 1000, Y0 - 1000, X0 + 2000, Y0 + 2000)], crs=ALBERS_CHINA)
        .to_crs(4490)[0]
        .difference(inner)
    )
    orphan = _albers_box(X0 + 50_000, Y0, 1000)
    frame = gpd.GeoDataFrame(
        {"级别": ["一级保护区", "二级保护区", "一级保护区"]},
        geometry=[inner, ring, orphan],
        crs=4490,
    )
    check = validate_layer(frame, kind="water_source", layer_name="ws", zone_field="级别")
    nesting = [p for p in check.problems if p.code == "nesting"]
    assert len(nesting) == 1 and nesting[0].rows == ("ws:2",)


def test_empty_layer_is_an_error():
    check = validate_layer(
        gpd.GeoDataFrame(geometry=[], crs=4490), kind="eco_redline", layer_name="rl"
    )
    assert [p.code for p in check.problems] == ["empty_layer"]
    assert not check.ok


def test_projected_coordinates_labelled_4490_are_caught():
    frame = gpd.GeoDataFrame(geometry=[box(500_000, 4_100_000, 501_000, 4_101_000)], crs=4490)
    check = validate_layer(frame, kind="eco_redline", layer_name="rl")
    assert [p.code for p in check.problems] == ["crs_implausible"]


def test_repair_log_is_a_dataframe_even_without_repairs():
    check = validate_layer(
        gpd.GeoDataFrame(geometry=[box(112, 37, 112.1, 37.1)], crs=4490),
        kind="eco_redline",
        layer_name="rl",
    )
    assert isinstance(check.repairs, pd.DataFrame) and check.repairs.empty
