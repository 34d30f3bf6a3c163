"""The 三线一单 unit's access list: catalogue fields, detection, and what the screening quotes.

Two hand-built units side by side in EPSG:4547 (metres): unit ZH-A on x 0–1000 m and unit ZH-B
on x 1000–2000 m, y 0–1000 m, with hand-written access-list texts (ZH-B has no resource
efficiency text). Site s1 is a point in ZH-A, s2 a 200 m box across the shared edge, s3 a
point 5 km away in no unit.
"""

from __future__ import annotations

import io
import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point, box

from zoning.access_list import (
    DIMENSIONS,
    detect_access_fields,
    frame_access_lists,
    parse_access_fields,
)
from zoning.catalog import load_catalog
from zoning.errors import CatalogError, LayerValidationError
from zoning.screening import screen_sites
from zoning.screening.html import render_html
from zoning.screening.report import to_csv, to_dict, to_json

X0, Y0 = 500_000.0, 4_200_000.0
GK = "EPSG:4547"

A = {
    "KJBJ": "甲：新建工业项目进入园区",
    "WRPF": "甲：实施总量控制",
    "FXFK": "甲：建立园区风险防控体系",
    "ZYLY": "甲：落实用水总量控制",
}
B = {
    "KJBJ": "乙：落实普适性要求",
    "WRPF": "乙：执行排放标准",
    "FXFK": "乙：防控农村面源污染",
    "ZYLY": "",  # no text for this dimension
}
FIELDS = (
    'access_fields = { spatial_layout = "KJBJ", pollutant_discharge = "WRPF", '
    'environmental_risk = "FXFK", resource_efficiency = "ZYLY" }'
)


def b(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _units(columns: dict[str, str] | None = None) -> gpd.GeoDataFrame:
    """The two units; ``columns`` renames the access-list fields (KJBJ → …)."""
    rename = columns or {}
    data = {
        "编码": ["ZH-A", "ZH-B"],
        "名称": ["甲单元", "乙单元"],
        "管控类别": ["重点管控单元", "一般管控单元"],
    }
    for f in A:
        data[rename.get(f, f)] = [A[f], B[f]]
    return gpd.GeoDataFrame(data, geometry=[b(0, 0, 1000, 1000), b(1000, 0, 2000, 1000)], crs=GK)


def _catalog(tmp_path, units: gpd.GeoDataFrame, extra: str = "", kind: str = "control_unit"):
    gpkg = tmp_path / "units.gpkg"
    units.to_file(gpkg, layer="units", engine="pyogrio")
    gpd.GeoDataFrame(geometry=[b(-10_000, -10_000, 10_000, 10_000)], crs=GK).to_file(
        gpkg, layer="cov", engine="pyogrio"
    )
    zone = 'zone_field = "管控类别"' if kind == "control_unit" else ""
    path = tmp_path / "catalog.toml"
    path.write_text(
        f"""name = "units"
coverage = {{ path = "units.gpkg", layer = "cov" }}
[[layers]]
kind = "{kind}"
path = "units.gpkg"
layer = "units"
{zone}
name_field = "名称"
id_field = "编码"
{extra}
""",
        encoding="utf-8",
    )
    return path


def _sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": ["s1", "s2", "s3"]},
        geometry=[Point(X0 + 500, Y0 + 500), b(900, 400, 1100, 600), Point(X0 + 5000, Y0 + 5000)],
        crs=GK,
    )


@pytest.fixture
def result(tmp_path):
    cat = load_catalog(_catalog(tmp_path, _units(), FIELDS), use_cache=False)
    return screen_sites(_sites(), cat, "solar_pv")


LIST_A = {
    "spatial_layout": A["KJBJ"],
    "pollutant_discharge": A["WRPF"],
    "environmental_risk": A["FXFK"],
    "resource_efficiency": A["ZYLY"],
}
LIST_B = {
    "spatial_layout": B["KJBJ"],
    "pollutant_discharge": B["WRPF"],
    "environmental_risk": B["FXFK"],
}


def test_json_quotes_the_access_list_on_each_unit_hit(result):
    doc = json.loads(to_json(result))
    by_site = {s["site_id"]: s for s in doc["sites"]}
    units = {
        sid: {
            h["feature_id"]: h["access_list"]
            for h in s["hits"]
            if h["layer_kind"] == "control_unit"
        }
        for sid, s in by_site.items()
    }
    assert units["s1"] == {"ZH-A": LIST_A}
    assert list(units["s1"]["ZH-A"]) == list(LIST_A)  # the guide's order of dimensions
    assert units["s2"] == {"ZH-A": LIST_A, "ZH-B": LIST_B}  # the empty text is left out
    assert units["s3"] == {}
    # only control-unit hits carry the key
    assert all(
        ("access_list" in h) == (h["layer_kind"] == "control_unit")
        for s in doc["sites"]
        for h in s["hits"]
    )


def test_csv_has_the_unit_and_one_column_per_dimension(result):
    csv = pd.read_csv(io.StringIO(to_csv(result)), dtype=str, keep_default_na=False)
    csv = csv.set_index("site_id")
    assert [f"access_{d}" for d in DIMENSIONS] == [
        c for c in csv.columns if c.startswith("access_")
    ]
    assert csv.loc["s1", "control_unit"] == "ZH-A"
    assert csv.loc["s1", "access_spatial_layout"] == A["KJBJ"]
    assert csv.loc["s1", "access_resource_efficiency"] == A["ZYLY"]
    assert csv.loc["s1", "access_combined"] == ""
    # a site across two units: each text prefixed by its unit, in the order of the unit column
    order = csv.loc["s2", "control_unit"].split(";")
    assert sorted(order) == ["ZH-A", "ZH-B"]
    texts = {"ZH-A": A, "ZH-B": B}
    assert csv.loc["s2", "access_environmental_risk"] == " | ".join(
        f"[{u}] {texts[u]['FXFK']}" for u in order
    )
    assert csv.loc["s2", "access_resource_efficiency"] == f"[ZH-A] {A['ZYLY']}"
    assert csv.loc["s3", "control_unit"] == "" and csv.loc["s3", "access_spatial_layout"] == ""


def test_html_report_has_a_table_per_unit_under_the_reasons(result):
    page = render_html(result, include_map=False)
    assert page.count("生态环境准入清单 / Environmental access list") == 3  # s1: 1, s2: 2
    assert "甲单元 · ZH-A · 重点管控单元" in page
    assert "环境风险防控 / Environmental risk prevention" in page
    for text in (*A.values(), B["KJBJ"], B["WRPF"], B["FXFK"]):
        if text:
            assert text in page
    s1 = page[page.index("站点 / Site s1") : page.index("站点 / Site s2")]
    assert s1.index("理由 / Reasons") < s1.index("生态环境准入清单") < s1.index("命中要素")


def test_fields_found_by_their_chinese_names_without_access_fields(tmp_path):
    chinese = {
        "KJBJ": "空间布局约束",
        "WRPF": "污染物排放管控要求",
        "FXFK": "环境风险防控",
        "ZYLY": "资源开发效率",
    }
    cat = load_catalog(_catalog(tmp_path, _units(chinese)), use_cache=False)
    assert cat.access_fields("control_unit") == {
        "spatial_layout": "空间布局约束",
        "pollutant_discharge": "污染物排放管控要求",
        "environmental_risk": "环境风险防控",
        "resource_efficiency": "资源开发效率",
    }
    doc = to_dict(screen_sites(_sites(), cat, "solar_pv"))
    hit = next(h for h in doc["sites"][0]["hits"] if h["layer_kind"] == "control_unit")
    assert hit["access_list"] == LIST_A


def test_unit_layer_without_access_fields_says_so(tmp_path):
    plain = _units().drop(columns=list(A))
    cat = load_catalog(_catalog(tmp_path, plain), use_cache=False)
    result = screen_sites(_sites(), cat, "solar_pv")
    hit = next(h for h in to_dict(result)["sites"][0]["hits"] if h["layer_kind"] == "control_unit")
    assert hit["access_list"] is None
    assert "carries no access-list fields" in render_html(result, include_map=False)


def test_frames_without_a_catalogue_detect_the_fields():
    units = _units({"KJBJ": "空间布局约束", "FXFK": "环境风险防控"}).to_crs("EPSG:4490")
    units = units.assign(
        feature_id=units["编码"], kind="control_unit", zone="key", name=units["名称"]
    )
    lists = frame_access_lists(units)
    assert lists[0] == {"spatial_layout": A["KJBJ"], "environmental_risk": A["FXFK"]}
    result = screen_sites(_sites().iloc[[0]], {"control_unit": units}, "solar_pv")
    hit = next(h for h in to_dict(result)["sites"][0]["hits"] if h["layer_kind"] == "control_unit")
    assert hit["access_list"] == {"spatial_layout": A["KJBJ"], "environmental_risk": A["FXFK"]}


def test_detection_rules():
    # the usual names, with 要求 and the 资源开发效率 variant; unrelated fields ignored
    cols = ["编码", "空间布局约束要求", "环境风险 防控", "资源开发效率要求", "备注", "geometry"]
    assert detect_access_fields(cols) == {
        "spatial_layout": "空间布局约束要求",
        "environmental_risk": "环境风险 防控",
        "resource_efficiency": "资源开发效率要求",
    }
    # a single field holding the whole list
    assert detect_access_fields(["编码", "生态环境准入清单"]) == {"combined": "生态环境准入清单"}
    # ... is dropped when per-dimension fields exist
    assert detect_access_fields(["准入清单", "空间布局约束", "环境风险防控"]) == {
        "spatial_layout": "空间布局约束",
        "environmental_risk": "环境风险防控",
    }
    assert detect_access_fields(["编码", "名称"]) == {}


def test_parse_access_fields_reports_each_bad_entry():
    ok, problems = parse_access_fields(
        {
            "spatial_layout": "KJ",
            "spatial": "X",
            "pollutant_discharge": 3,
            "environmental_risk": " ",
        },
        "layer 2",
    )
    assert ok == {"spatial_layout": "KJ"}
    assert [p.code for p in problems] == [
        "unknown_access_dimension",
        "bad_access_fields",
        "bad_access_fields",
    ]
    assert (
        "'spatial'" in problems[0].message
        and "spatial_layout (空间布局约束)" in problems[0].message
    )
    _, problems = parse_access_fields("KJBJ", "layer 1")
    assert problems[0].code == "bad_access_fields" and "expected a table" in problems[0].message


def test_catalogue_refuses_bad_access_fields(tmp_path):
    path = _catalog(
        tmp_path, _units(), 'access_fields = { spatial = "KJBJ", pollutant_discharge = 3 }'
    )
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    codes = [p.code for p in info.value.problems]
    assert codes == ["unknown_access_dimension", "bad_access_fields"]
    message = str(info.value)
    assert "'spatial'" in message and "resource_efficiency (资源利用效率)" in message


def test_catalogue_refuses_access_fields_on_another_kind(tmp_path):
    path = _catalog(tmp_path, _units(), FIELDS, kind="industrial_park")
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert [p.code for p in info.value.problems] == ["bad_access_fields"]
    assert "control_unit" in str(info.value) and "industrial_park" in str(info.value)


def test_declared_field_missing_from_the_layer_is_an_error(tmp_path):
    path = _catalog(
        tmp_path,
        _units(),
        'access_fields = { spatial_layout = "KJBJ", environmental_risk = "FXFK_2" }',
    )
    cat = load_catalog(path, use_cache=False)  # the file itself is fine
    with pytest.raises(LayerValidationError) as info:
        cat.load("control_unit")
    message = str(info.value)
    assert "'FXFK_2'" in message and "environmental_risk" in message
    assert "KJBJ, WRPF, FXFK, ZYLY" in message  # what the layer has
    [checked] = load_catalog(path, use_cache=False).check()
    assert [p.code for p in checked.problems if p.severity == "error"] == ["missing_access_field"]


def test_cli_prints_the_access_list_under_the_site(tmp_path):
    from click.testing import CliRunner

    from zoning.cli.main import cli

    cat = _catalog(tmp_path, _units(), FIELDS)
    site = tmp_path / "site.geojson"
    _sites().iloc[[0]].to_file(site, driver="GeoJSON", engine="pyogrio")
    result = CliRunner().invoke(cli, ["screen", str(site), "-t", "solar_pv", "--catalog", str(cat)])
    assert result.exit_code == 0, result.output
    assert "Access list of unit ZH-A 甲单元:" in result.output
    assert f"空间布局约束 / Spatial layout constraints: {A['KJBJ']}" in result.output
    assert f"资源利用效率 / Resource use efficiency: {A['ZYLY']}" in result.output
    assert B["KJBJ"] not in result.output  # s1 lies in ZH-A only
