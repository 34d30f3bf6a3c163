"""zoning.catalog.model: layers read lazily, validated, normalised, reprojected, cached."""

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from zoning.catalog import load_catalog
from zoning.errors import CatalogError, LayerValidationError


def _write(tmp_path, text):
    path = tmp_path / "catalog.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def ws_gpkg(tmp_path):
    frame = gpd.GeoDataFrame(
        {"级别": ["一级保护区", "二级保护区"], "名称": ["甲水源", "甲水源"], "编码": ["W1", "W2"]},
        geometry=[
            box(112.0, 37.0, 112.01, 37.01),
            box(111.99, 36.99, 112.02, 37.02).difference(box(112.0, 37.0, 112.01, 37.01)),
        ],
        crs=4490,
    )
    path = tmp_path / "ws.gpkg"
    frame.to_file(path, layer="ws", engine="pyogrio")
    return path


def test_frame_is_normalised_and_cached(tmp_path, ws_gpkg):
    path = _write(
        tmp_path,
        """
name = "one county"
[[layers]]
kind = "water_source"
path = "ws.gpkg"
layer = "ws"
zone_field = "级别"
name_field = "名称"
id_field = "编码"
""",
    )
    cat = load_catalog(path)
    frame = cat.frame("water_source")
    assert frame["zone"].tolist() == ["level1", "level2"]
    assert frame["feature_id"].tolist() == ["W1", "W2"]
    assert cat.load("water_source").from_cache is False
    again = load_catalog(path)
    assert again.load("water_source").from_cache is True
    assert again.frame("water_source").geometry.geom_equals(frame.geometry).all()
    # a changed source invalidates the cache (keyed by checksum)
    gpd.GeoDataFrame(
        {"级别": ["一级"], "名称": ["乙"], "编码": ["W9"]},
        geometry=[box(113, 37, 113.01, 37.01)],
        crs=4490,
    ).to_file(ws_gpkg, layer="ws", engine="pyogrio")
    third = load_catalog(path)
    assert third.load("water_source").from_cache is False
    assert third.frame("water_source")["feature_id"].tolist() == ["W9"]
    # an absent kind is an empty normalised frame
    assert third.frame("eco_redline").empty and "zone" in third.frame("eco_redline").columns


def test_layer_with_four_problems_raises_once_listing_all(tmp_path):
    bowtie = Polygon([(112.0, 37.0), (112.01, 37.01), (112.01, 37.0), (112.0, 37.01)])
    frame = gpd.GeoDataFrame(
        {"级别": ["一级保护区", "二级保护区", "三级"]},
        geometry=[bowtie, Polygon(), box(112.1, 37.1, 112.2, 37.2)],
    )
    with pytest.warns(UserWarning, match="crs"):  # pyogrio warns about writing no CRS
        frame.to_file(tmp_path / "bad.shp", engine="pyogrio", encoding="utf-8")
    path = _write(
        tmp_path,
        """
[[layers]]
kind = "water_source"
path = "bad.shp"
zone_field = "级别"
""",
    )
    cat = load_catalog(path)
    with pytest.raises(LayerValidationError) as info:
        cat.frame("water_source")
    codes = {p.code for p in info.value.problems}
    assert {"invalid_geometry", "crs_missing", "unknown_zone"} <= codes
    # a shapefile stores an empty polygon as a null shape
    assert codes & {"empty_geometry", "null_geometry"}
    text = str(info.value)
    assert "no CRS" in text and "'三级'" in text and "invalid" in text
    assert "null" in text or "empty" in text


def test_declared_crs_and_zone_map(tmp_path):
    frame = gpd.GeoDataFrame({"类型": ["红线核心"]}, geometry=[box(112, 37, 112.1, 37.1)])
    with pytest.warns(UserWarning, match="crs"):
        frame.to_file(tmp_path / "rl.shp", engine="pyogrio", encoding="utf-8")
    path = _write(
        tmp_path,
        """
[[layers]]
kind = "eco_redline"
path = "rl.shp"
crs = "EPSG:4490"
zone_field = "类型"
zone_map = { "红线核心" = "core" }
""",
    )
    frame = load_catalog(path).frame("eco_redline")
    assert frame.crs.to_epsg() == 4490 and frame["zone"].tolist() == ["core"]
    bad = _write(
        tmp_path,
        """
[[layers]]
kind = "eco_redline"
path = "rl.shp"
zone_map = { "红线核心" = "centre" }
""",
    )
    with pytest.raises(CatalogError, match="unknown zone 'centre'"):
        load_catalog(bad)


def test_gbk_shapefile_without_cpg_through_the_catalogue(tmp_path):
    frame = gpd.GeoDataFrame(
        {"名称": ["芦芽山自然保护区"], "功能分区": ["核心区"]},
        geometry=[box(111.9, 38.7, 112.0, 38.8)],
        crs=4490,
    )
    frame.to_file(tmp_path / "pa.shp", engine="pyogrio", encoding="gbk")
    (tmp_path / "pa.cpg").unlink(missing_ok=True)
    path = _write(
        tmp_path,
        """
[[layers]]
kind = "protected_area"
path = "pa.shp"
zone_field = "功能分区"
name_field = "名称"
""",
    )
    out = load_catalog(path).frame("protected_area")
    assert out["name"].tolist() == ["芦芽山自然保护区"] and out["zone"].tolist() == ["core"]


def test_two_layers_of_one_kind_are_concatenated_with_unique_names(tmp_path, ws_gpkg):
    path = _write(
        tmp_path,
        """
[[layers]]
kind = "water_source"
path = "ws.gpkg"
zone_field = "级别"
[[layers]]
kind = "water_source"
path = "ws.gpkg"
zone_field = "级别"
""",
    )
    cat = load_catalog(path)
    assert [e.name for e in cat.entries] == ["water_source", "water_source_2"]
    assert len(cat.frame("water_source")) == 4


def test_provenance_and_coverage_of_demo(demo_catalog):
    prov = demo_catalog.provenance()
    assert prov["illustrative"] is True
    kinds = {layer["kind"] for layer in prov["layers"]}
    assert {"eco_redline", "admin_unit", "water_source"} <= kinds
    assert all(len(layer["sha256"]) == 64 for layer in prov["layers"])
    assert demo_catalog.coverage.contains(box(112.5, 37.8, 112.6, 37.9))
    assert not demo_catalog.coverage.contains(box(116.3, 39.9, 116.4, 40.0))  # Beijing


def test_projected_frame_is_cached_and_equals_a_fresh_projection(demo_catalog_path):
    from zoning.catalog import load_catalog
    from zoning.crs import ALBERS_CHINA, project

    cat = load_catalog(demo_catalog_path)
    albers = cat.frame("water_source", crs=ALBERS_CHINA)
    assert albers.crs == ALBERS_CHINA
    fresh = project(cat.frame("water_source"), ALBERS_CHINA)
    assert albers.area.sum() == pytest.approx(fresh.area.sum(), rel=1e-12)
    cached = list((cat._cache_paths(cat.entries[0], "x")[0].parent).glob("*-*.parquet"))
    assert cached  # written next to the validated frames
    again = load_catalog(demo_catalog_path).frame("water_source", crs=ALBERS_CHINA)
    assert again.geometry.geom_equals(albers.geometry).all()


def test_frame_columns_reads_only_those_columns_from_the_projected_cache(
    tmp_path, ws_gpkg, monkeypatch
):
    import shapely

    from zoning.crs import ALBERS_CHINA, is_marked_valid

    path = _write(
        tmp_path,
        """
[[layers]]
kind = "water_source"
path = "ws.gpkg"
layer = "ws"
zone_field = "级别"
id_field = "编码"
""",
    )
    first = load_catalog(path)
    # no projected cache yet: the whole frame is projected (and cached), a part is returned
    part = first.frame("water_source", crs=ALBERS_CHINA, columns=["zone"])
    assert part.columns.tolist() == ["zone", "geometry"]
    whole = first.frame("water_source", crs=ALBERS_CHINA)
    assert "feature_id" in whole.columns and "name" in whole.columns
    assert part["zone"].tolist() == ["level1", "level2"]
    assert is_marked_valid(part, ALBERS_CHINA)  # statistics skip the validity pass on it
    reads = []
    real = gpd.read_parquet
    monkeypatch.setattr(gpd, "read_parquet", lambda p, **kw: reads.append(kw) or real(p, **kw))
    fresh = load_catalog(path)  # a new run: the projected frame comes from the cache
    got = fresh.frame("water_source", crs=ALBERS_CHINA, columns=["feature_id", "zone"])
    assert {"columns": ["feature_id", "zone", "geometry"]} in reads
    assert got.columns.tolist() == ["feature_id", "zone", "geometry"]
    assert got["feature_id"].tolist() == ["W1", "W2"]
    assert got.crs == ALBERS_CHINA and is_marked_valid(got, ALBERS_CHINA)
    # the same geometries, bit for bit, as the whole frame
    assert (
        shapely.to_wkb(got.geometry.values).tolist()
        == shapely.to_wkb(whole.geometry.values).tolist()
    )
    # asked again, the part is not read again
    n = len(reads)
    fresh.frame("water_source", crs=ALBERS_CHINA, columns=["feature_id", "zone"])
    assert len(reads) == n
    # unprojected and absent kinds give the same columns
    assert fresh.frame("water_source", columns=["zone"]).columns.tolist() == ["zone", "geometry"]
    empty = fresh.frame("eco_redline", crs=ALBERS_CHINA, columns=["zone"])
    assert empty.empty and empty.columns.tolist() == ["zone", "geometry"]


def test_frame_columns_must_be_normalised_columns(tmp_path, ws_gpkg):
    path = _write(tmp_path, '[[layers]]\nkind = "water_source"\npath = "ws.gpkg"\n')
    with pytest.raises(ValueError, match="编码"):
        load_catalog(path).frame("water_source", columns=["zone", "编码"])
