"""Tests of zoning.maps: offline HTML, cartography, legends, popups, simplification, basemaps."""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import math
import re
import sys
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString, Point, Polygon, box

from zoning import maps
from zoning.errors import CRSError, OutputExistsError, ZoningError, ZoningUsageError
from zoning.maps import assets as assets_mod
from zoning.maps.fetch import main as fetch_main
from zoning.maps.simplify import display_geometries, tolerance_for_zoom

needs_assets = pytest.mark.skipif(
    not (assets_mod.assets_dir() / "leaflet.js").is_file(),
    reason="offline map assets not installed: run `make setup` (scripts/fetch_map_assets.py)",
)

ASSET_TAG = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?https?://", re.I)


def water_zones() -> gpd.GeoDataFrame:
    """Three nested water-source zones around Taiyuan (hand-made)."""
    return gpd.GeoDataFrame(
        {
            "feature_id": ["w1", "w2", "w3"],
            "kind": "water_source",
            "zone": ["level1", "level2", "quasi"],
            "name": ["汾河一级", "汾河二级", "汾河准保护"],
            "layer": "water",
            "raw_blob": [object(), object(), object()],
        },
        geometry=[
            box(112.50, 37.80, 112.52, 37.82),
            box(112.48, 37.78, 112.54, 37.84),
            box(112.45, 37.75, 112.57, 37.87),
        ],
        crs="EPSG:4490",
    )


def features_of(group: folium.FeatureGroup) -> list[dict]:
    """The GeoJSON features drawn by a group made by add_layer / add_choropleth."""
    out = []
    for child in group._children.values():
        if isinstance(child, folium.GeoJson):
            out += child.data["features"]
    return out


def render(m: folium.Map) -> str:
    return maps.map_html(m)


def js(text: str) -> str:
    """A string as folium writes it into the page's JavaScript (JSON, non-ASCII escaped)."""
    return json.dumps(text)


# --------------------------------------------------------------------------- offline


@needs_assets
def test_html_is_offline_without_basemap():
    m = maps.new_map(title="离线 / Offline")
    maps.add_layer(m, water_zones())
    html = render(m)
    assert ASSET_TAG.search(html) is None
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html and "code.jquery" not in html
    # Leaflet, fullscreen and measure are inlined, not referenced
    assert "/* leaflet@1.9.4 */" in html
    assert "/* leaflet.fullscreen@3.0.0 */" in html
    assert "/* leaflet-measure@2.1.7 */" in html
    # images of the CSS are data URIs
    assert 'url("data:image/png;base64,' in html
    assert "L.tileLayer" not in html.split("/* leaflet-measure")[-1].split("</script>", 1)[-1]


@needs_assets
def test_basemap_adds_tiles_only_as_option(monkeypatch):
    m = maps.new_map(basemap="osm")
    html = render(m)
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in html
    # the libraries are still inlined: only the tiles need the network
    assert ASSET_TAG.search(html) is None


def test_missing_assets_error_says_make_setup(tmp_path, monkeypatch):
    monkeypatch.setenv("ZONING_ASSETS_DIR", str(tmp_path / "nothing"))
    m = maps.new_map()
    with pytest.raises(maps.MapAssetsMissingError, match="make setup") as err:
        maps.map_html(m)
    assert isinstance(err.value, ZoningError)


def test_unknown_cdn_script_is_refused():
    html = '<script src="https://cdn.example.org/x/unknown-plugin.js"></script>'
    with pytest.raises(maps.MapAssetsMissingError, match=r"unknown-plugin\.js"):
        assets_mod.inline_assets(html)


def test_dropped_libraries_disappear(tmp_path):
    html = (
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/'
        'bootstrap.min.css"/>'
    )
    assert assets_mod.inline_assets(html) == ""


def test_script_end_tag_inside_asset_is_escaped(tmp_path, monkeypatch):
    (tmp_path / "leaflet.js").write_text('var s = "</script>";', encoding="utf-8")
    monkeypatch.setenv("ZONING_ASSETS_DIR", str(tmp_path))
    html = '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>'
    out = assets_mod.inline_assets(html)
    assert out.count("</script>") == 1  # only the closing tag of the inlined block
    assert '"<\\/script>"' in out


# --------------------------------------------------------------------------- layers


@needs_assets
def test_layer_cartography_popups_and_legend():
    src = water_zones()
    before = src.copy()
    m = maps.new_map()
    group = maps.add_layer(m, src)
    feats = features_of(group)
    assert len(feats) == 3
    # nesting: the quasi zone is drawn first, level-1 last (on top)
    assert [f["properties"]["zone"] for f in feats] == ["quasi", "level2", "level1"]
    # only the popup/tooltip columns travel to the HTML (not raw_blob)
    assert set(feats[0]["properties"]) == {"name", "zone_label", "feature_id", "layer", "zone"}
    html = render(m)
    assert html.count('"type": "Feature"}') == 3
    assert "饮用水水源保护区 / Drinking-water source protection area" in html  # layer control
    assert '"fillColor": "#08306b"' in html  # level-1 dark blue
    assert '"fillColor": "#9ecae1"' in html  # quasi light blue
    legend = html.split('id="zoning-legend"', 1)[1].split('id="zoning-disclaimer"', 1)[0]
    labels = re.findall(r"<span>([^<]+)</span>", legend)
    assert labels == [
        "一级保护区 / Level-1 protection zone",
        "二级保护区 / Level-2 protection zone",
        "准保护区 / Quasi-protection zone",
    ]
    assert js("名称 / Name") in html and js("分区 / Zone") in html  # popup aliases
    assert "仅供规划分析，非正式地图 / For planning analysis, not an official map" in html
    # the caller's frame is untouched (display copies only)
    assert src.drop(columns="raw_blob").equals(before.drop(columns="raw_blob"))


def test_red_lines_are_red_and_admin_units_unfilled():
    redline = gpd.GeoDataFrame(
        {"kind": ["eco_redline"], "zone": ["general"], "name": ["红线"]},
        geometry=[box(112, 37, 112.1, 37.1)],
        crs=4490,
    )
    admin = gpd.GeoDataFrame(
        {"kind": ["admin_unit"], "zone": ["county"], "name": ["小店区"]},
        geometry=[box(112, 37, 113, 38)],
        crs=4490,
    )
    m = maps.new_map()
    g1 = maps.add_layer(m, redline)
    g2 = maps.add_layer(m, admin)
    s1 = next(c for c in g1._children.values() if isinstance(c, folium.GeoJson))
    s2 = next(c for c in g2._children.values() if isinstance(c, folium.GeoJson))
    assert s1.style_function(features_of(g1)[0])["fillColor"] == "#d7191c"
    assert s2.style_function(features_of(g2)[0])["fill"] is False


def test_layer_without_crs_is_refused():
    frame = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(112, 37)])
    with pytest.raises(CRSError, match="no CRS"):
        maps.add_layer(maps.new_map(), frame)


def test_unknown_popup_field_names_columns():
    with pytest.raises(ZoningError, match="not in the layer"):
        maps.add_layer(maps.new_map(), water_zones(), popup_fields=["nope"])


def test_projected_input_is_drawn_in_lonlat():
    src = water_zones().to_crs(4547)  # CGCS2000 GK zone 38 (lon 112.5)
    group = maps.add_layer(maps.new_map(), src)
    ring = features_of(group)[2]["geometry"]["coordinates"][0]  # level1 box, drawn last
    xs = [p[0] for p in ring]
    ys = [p[1] for p in ring]
    assert min(xs) == pytest.approx(112.50, abs=2e-5)
    assert max(ys) == pytest.approx(37.82, abs=2e-5)


def test_points_are_circle_markers():
    pts = gpd.GeoDataFrame(
        {"site_id": ["A", "B"]}, geometry=[Point(112.1, 37.1), Point(112.2, 37.2)], crs=4490
    )
    m = maps.new_map()
    maps.add_layer(m, pts, name="点 / points", style={"color": "#000"})
    html = m.get_root().render()
    assert "new L.CircleMarker(latlng, opts)" in html


# --------------------------------------------------------------------------- choropleth


# --------------------------------------------------------------------------- basemaps


def _gcj_reference(lon: float, lat: float) -> tuple[float, float]:
    """Textbook GCJ-02 forward transform (Krasovsky ellipsoid), written out independently."""
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlon += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (
        (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    radlat = lat / 180.0 * math.pi
    magic = 1 - ee * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((a * (1 - ee)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (a / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def test_gaode_shifts_display_data_to_gcj02_only():
    from zoning.gcj02 import wgs84_to_gcj02

    src = gpd.GeoDataFrame(
        {"site_id": ["太原"]}, geometry=[Point(112.549, 37.857)], crs="EPSG:4490"
    )
    m = maps.new_map(basemap="gaode")
    group = maps.add_layer(m, src, style={"color": "#000"})
    lon, lat = features_of(group)[0]["geometry"]["coordinates"]
    exp_lon, exp_lat = wgs84_to_gcj02(112.549, 37.857)
    ref_lon, ref_lat = _gcj_reference(112.549, 37.857)
    assert lon == pytest.approx(float(exp_lon), abs=1e-6)
    assert lat == pytest.approx(float(exp_lat), abs=1e-6)
    assert lon == pytest.approx(ref_lon, abs=1e-6)
    assert lat == pytest.approx(ref_lat, abs=1e-6)
    # the shift is the famous few hundred metres (here ≈ 0.006° of lon ≈ 540 m at 37.9° N)
    shift_m = math.hypot(
        (lon - 112.549) * 111_320 * math.cos(math.radians(37.857)), (lat - 37.857) * 110_574
    )
    assert 300 < shift_m < 700
    # statistics frames are never shifted
    assert src.geometry.iloc[0].equals(Point(112.549, 37.857))
    html = m.get_root().render()
    assert "GCJ-02" in html and "autonavi.com" in html


def test_no_basemap_keeps_coordinates():
    src = gpd.GeoDataFrame({"a": ["x"]}, geometry=[Point(112.549, 37.857)], crs="EPSG:4490")
    group = maps.add_layer(maps.new_map(), src, style={"color": "#000"})
    assert list(features_of(group)[0]["geometry"]["coordinates"]) == [112.549, 37.857]


def test_tianditu_needs_key_and_never_hardcodes(monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(ZoningUsageError, match="TIANDITU_KEY"):
        maps.new_map(basemap="tianditu")
    monkeypatch.setenv("TIANDITU_KEY", "env-key-123")
    html = maps.new_map(basemap="tianditu").get_root().render()
    assert "tianditu.gov.cn/vec_w/wmts" in html and "tk=env-key-123" in html
    html = maps.new_map(basemap="tianditu", tianditu_key="arg-key").get_root().render()
    assert "tk=arg-key" in html and "env-key-123" not in html


def test_unknown_basemap_is_usage_error():
    with pytest.raises(ZoningUsageError, match="unknown basemap 'baidu'"):
        maps.new_map(basemap="baidu")


# --------------------------------------------------------------------------- simplification


def test_tolerance_is_half_a_pixel():
    # zoom 10: 360° / (256 px * 1024 tiles) / 2
    assert tolerance_for_zoom(10) == pytest.approx(360 / 256 / 1024 / 2)


def test_simplify_keeps_shape_within_tolerance():
    circle = Point(112.5, 37.5).buffer(0.2, quad_segs=512)  # 2049 vertices
    out = display_geometries(np.array([circle]), zoom=8)
    tol = tolerance_for_zoom(8)
    assert out.simplified and out.vertices_after < out.vertices_before / 4
    assert shapely.hausdorff_distance(circle, out.geometries[0]) <= tol + 1e-5
    assert out.decimals == math.ceil(-math.log10(tol / 10))


def test_coverage_simplify_keeps_shared_edges():
    # two squares sharing a wiggly edge (many vertices), a valid coverage
    ys = np.linspace(0, 1, 400)
    wiggle = [(0.5 + 0.001 * math.sin(40 * y), y) for y in ys]
    left = Polygon([(0, 0), *wiggle, (0, 1)])
    right = Polygon([*wiggle, (1, 1), (1, 0)])
    geoms = np.array([left, right])
    assert shapely.coverage_is_valid(geoms)
    out = display_geometries(geoms, zoom=9, coverage=True)
    assert out.method == "coverage"
    a, b = out.geometries
    assert a.intersection(b).area == pytest.approx(0.0, abs=1e-12)
    assert a.union(b).area == pytest.approx(1.0, abs=1e-9)  # no gap, no overlap


def test_simplification_never_drops_a_feature():
    tiny = box(112.0, 37.0, 112.000001, 37.000001)
    out = display_geometries(np.array([tiny]), zoom=5)
    assert not out.geometries[0].is_empty


@needs_assets
def test_html_says_when_geometry_is_simplified():
    circle = gpd.GeoDataFrame(
        {"kind": ["eco_redline"], "zone": ["general"], "name": ["c"]},
        geometry=[Point(112.5, 37.5).buffer(0.2, quad_segs=256)],
        crs=4490,
    )
    m = maps.new_map(detail_zoom=10)
    maps.add_layer(m, circle)
    assert "Display geometry simplified" in render(m)
    m2 = maps.new_map()
    maps.add_layer(m2, water_zones())  # boxes: nothing to simplify
    assert "Display geometry simplified" not in render(m2)


# --------------------------------------------------------------------------- saving


@needs_assets
def test_save_map_atomic_and_refuses_existing(tmp_path):
    m = maps.new_map()
    maps.add_layer(m, water_zones())
    out = maps.save_map(m, tmp_path / "m.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(OutputExistsError, match="overwrite"):
        maps.save_map(m, tmp_path / "m.html")
    maps.save_map(m, tmp_path / "m.html", overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.html"]  # no temp files left


def test_save_map_missing_folder(tmp_path):
    with pytest.raises(ZoningError, match="does not exist"):
        maps.save_map(maps.new_map(), tmp_path / "no" / "m.html")


def test_foreign_map_is_refused():
    with pytest.raises(ZoningError, match="new_map"):
        maps.add_layer(folium.Map(), water_zones())


# --------------------------------------------------------------------------- products


@needs_assets
def test_site_map_verdicts_hits_and_citations():
    sites = gpd.GeoDataFrame(
        {"site_id": ["S1", "S2"], "verdict": ["prohibited", "allowed"]},
        geometry=[Point(112.51, 37.81), Point(113.0, 37.0)],
        crs=4490,
    )
    hits = water_zones().iloc[[0]].rename(columns={"kind": "layer_kind"})
    hits["site_id"] = "S1"
    hits["outcome"] = "prohibited"
    hits["rule_id"] = "water_source.level1.coal_mine"
    hits["citation"] = "《中华人民共和国水污染防治法》第六十五条"
    m = maps.site_map(sites, hits)
    html = render(m)
    summary = maps.layer_summary(m)
    assert [s["features"] for s in summary] == [1, 2]
    assert js("《中华人民共和国水污染防治法》第六十五条") in html
    assert js("依据 / Citation") in html and js("规则 / Rule") in html
    assert "禁止 / Prohibited" in html and "允许 / Allowed" in html


def test_compare_map_added_and_removed_by_hand():
    left = gpd.GeoDataFrame(
        {"kind": ["eco_redline"], "zone": ["general"]},
        geometry=[box(112.0, 37.0, 112.2, 37.1)],
        crs=4490,
    )
    right = gpd.GeoDataFrame(
        {"kind": ["eco_redline"], "zone": ["general"]},
        geometry=[box(112.1, 37.0, 112.3, 37.1)],
        crs=4490,
    )
    m = maps.compare_map(left, right)
    summary = {s["name"]: s for s in maps.layer_summary(m)}
    assert list(summary) == ["旧版 / Before", "新版 / After", "新增 / Added", "移除 / Removed"]
    groups = [c for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    added = shapely.geometry.shape(features_of(groups[2])[0]["geometry"])
    removed = shapely.geometry.shape(features_of(groups[3])[0]["geometry"])
    assert added.equals(box(112.2, 37.0, 112.3, 37.1))
    assert removed.equals(box(112.0, 37.0, 112.1, 37.1))


def test_restoration_map_has_raster_and_units():
    units = gpd.GeoDataFrame(
        {"name": ["u1", "u2"], "score": [0.2, 0.9]},
        geometry=[box(112, 37, 112.1, 37.1), box(112.1, 37, 112.2, 37.1)],
        crs=4490,
    )
    m = maps.restoration_map(np.ones((4, 4)), (112, 37, 112.2, 37.1), units=units, classes=2)
    kinds = [s["kind"] for s in maps.layer_summary(m)]
    assert kinds == ["raster", "choropleth"]


class _FakeCatalog:
    def __init__(self, frames: dict[str, gpd.GeoDataFrame]):
        self._frames = frames
        self.kinds = list(frames)
        self.coverage = None

    def frame(self, kind: str) -> gpd.GeoDataFrame:
        return self._frames[kind]


def test_catalog_map_order_visibility_and_kinds():
    farmland = gpd.GeoDataFrame(
        {"kind": ["basic_farmland"], "zone": ["all"]}, geometry=[box(112, 37, 113, 38)], crs=4490
    )
    catalog = _FakeCatalog({"water_source": water_zones(), "basic_farmland": farmland})
    m = maps.catalog_map(catalog)
    groups = [c for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    assert [g.layer_name for g in groups] == [
        "永久基本农田 / Permanent basic farmland",
        "饮用水水源保护区 / Drinking-water source protection area",
    ]
    assert [g.show for g in groups] == [False, True]  # province-wide farmland off at start
    with pytest.raises(ZoningUsageError, match="not in the catalogue"):
        maps.catalog_map(catalog, kinds=["eco_redline"])


def test_rivers_legend_uses_lines():
    rivers = gpd.GeoDataFrame(
        {"kind": ["river"], "zone": ["yellow_main"], "name": ["黄河"]},
        geometry=[LineString([(110.5, 36), (110.6, 37)])],
        crs=4490,
    )
    m = maps.new_map()
    maps.add_layer(m, rivers)
    entry = maps.map_info(m).legends[0][1][0]
    assert entry.line and entry.color == "#08519c"


# --------------------------------------------------------------------------- reports


def test_report_css_has_print_rules():
    css = maps.report_css()
    print_block = css.split("@media print", 1)[1]
    assert "@page{size:A4" in css
    assert "thead{display:table-header-group}" in print_block
    assert "break-inside:avoid" in print_block
    # the live map is hidden in print; its static copy (.print-only) is shown instead
    assert ".leaflet-control-container,.map-frame{display:none!important}" in print_block
    assert ".print-only{display:block}" in print_block
    assert ".print-only{display:none}" in css.split("@media print", 1)[0]


def test_report_page_escapes_and_has_disclaimer():
    page = maps.report_page("A<B 报告", "<p>body</p>", subtitle="v1 & v2")
    assert "<title>A&lt;B 报告</title>" in page and "v1 &amp; v2" in page
    assert page.count(maps.DISCLAIMER) == 2 and "<p>body</p>" in page


@needs_assets
def test_embed_map_iframe_is_self_contained():
    m = maps.new_map()
    maps.add_layer(m, water_zones())
    frame = maps.embed_map(m, title="t")
    assert frame.startswith('<iframe class="map-frame"') and "srcdoc=" in frame
    assert "&lt;script&gt;" in frame and "<script" not in frame


# --------------------------------------------------------------------------- CLI


def test_cli_refuses_existing_output(tmp_path):
    from zoning.cli.map import map_command

    out = tmp_path / "m.html"
    out.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(map_command, ["--out", str(out)])
    assert isinstance(result.exception, OutputExistsError)
    assert out.read_text(encoding="utf-8") == "x"


@needs_assets
def test_cli_map_of_the_demo(tmp_path, request):
    catalog_path = request.getfixturevalue("demo_catalog_path")
    from zoning.cli.map import map_command

    out = tmp_path / "demo.html"
    args = ["--catalog", str(catalog_path), "--out", str(out)]
    result = CliRunner().invoke(map_command, [*args, "--layers", "eco_redline,water_source"])
    assert result.exit_code == 0, result.output
    assert "2 layers" in result.output
    html = out.read_text(encoding="utf-8")
    assert ASSET_TAG.search(html) is None
    assert "生态保护红线 / Ecological protection red line" in html
    bad = CliRunner().invoke(map_command, [*args, "--overwrite", "--layers", "no_such_kind"])
    assert isinstance(bad.exception, ZoningUsageError)


@needs_assets
def test_whole_demo_province_map_under_budget(tmp_path, request):
    catalog = request.getfixturevalue("demo_catalog")
    m = maps.catalog_map(catalog)
    out = maps.save_map(m, tmp_path / "province.html")
    size_mb = out.stat().st_size / 1e6
    assert size_mb < 15.0, f"demo map is {size_mb:.1f} MB, over the 15 MB budget"
    total = sum(s["features"] for s in maps.layer_summary(m))
    assert total == sum(len(catalog.frame(k)) for k in catalog.kinds)


# --------------------------------------------------------------------------- set-up step


def _fake_npm(tmp_path: Path) -> Path:
    """An `npm` stand-in that packs tarballs like the registry's (no network)."""
    script = tmp_path / "npm"
    script.write_text(
        f"""#!{sys.executable}
import io, sys, tarfile
from pathlib import Path
spec = sys.argv[2]
dest = Path(sys.argv[sys.argv.index("--pack-destination") + 1])
name = spec.split("@")[0] if not spec.startswith("@") else spec
files = {{
    "leaflet": {{"package/dist/leaflet.js": "/* L */",
                 "package/dist/leaflet.css": ".a{{background:url(images/layers.png)}}",
                 "package/dist/images/layers.png": "PNG"}},
    "leaflet.fullscreen": {{"package/Control.FullScreen.js": "/* fs */",
                            "package/Control.FullScreen.css": ".b{{}}"}},
    "leaflet-measure": {{"package/dist/leaflet-measure.min.js": "/* m */",
                         "package/dist/leaflet-measure.css": ".c{{}}"}},
    "leaflet.sync": {{"package/L.Map.Sync.js": "/* sync */"}},
    "leaflet-draw": {{"package/dist/leaflet.draw.js": "/* draw */",
                      "package/dist/leaflet.draw.css": ".d{{}}"}},
}}[name]
files["package/LICENSE"] = "Licence of " + name
out = dest / (spec.replace("@", "-") + ".tgz")
with tarfile.open(out, "w:gz") as tar:
    for member, text in files.items():
        data = text.encode()
        info = tarfile.TarInfo(member)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
print(out.name)
""",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def test_fetch_assets_from_packed_tarballs(tmp_path, monkeypatch):
    npm = _fake_npm(tmp_path)
    dest = tmp_path / "assets"
    manifest = assets_mod.fetch_assets(dest, npm=str(npm))
    assert set(manifest["assets"]) == {a.key for a in assets_mod.ASSETS}
    assert manifest["assets"]["leaflet.js"]["package"] == "leaflet@1.9.4"
    assert manifest["assets"]["leaflet.js"]["sha256"] == hashlib.sha256(b"/* L */").hexdigest()
    # every package's licence travels with its assets (they are redistributed in the wheel)
    assert set(manifest["licenses"]) == set(assets_mod.NPM_PACKAGES)
    lic = dest / manifest["licenses"]["leaflet@1.9.4"]
    assert lic.read_text(encoding="utf-8") == "Licence of leaflet"
    monkeypatch.setenv("ZONING_ASSETS_DIR", str(dest))
    css = assets_mod.load_asset("leaflet.css")
    assert css == '.a{background:url("data:image/png;base64,UE5H")}'  # b64("PNG")
    # a second call finds the complete manifest and does not run npm again
    npm.unlink()
    assert assets_mod.fetch_assets(dest, npm=str(npm)) == manifest


def test_fetch_assets_without_npm_says_what_to_install(tmp_path):
    with pytest.raises(maps.MapAssetsMissingError, match="npm"):
        assets_mod.fetch_assets(tmp_path / "a", npm=str(tmp_path / "no-npm"))


@needs_assets
def test_rendering_twice_gives_one_legend():
    m = maps.new_map()
    maps.add_layer(m, water_zones())
    first = maps.map_html(m)
    second = maps.map_html(m)
    assert first.count('id="zoning-legend"') == second.count('id="zoning-legend"') == 1
    assert second.count("L.control.layers(") == 1


@needs_assets
def test_notebook_display_is_offline():
    m = maps.new_map()
    maps.add_layer(m, water_zones())
    shown = m._repr_html_()
    assert "srcdoc=" in shown
    assert ASSET_TAG.search(html_lib.unescape(shown.split('srcdoc="', 1)[1])) is None
    assert "cdn.jsdelivr" not in shown


def test_popup_values_are_escaped():
    frame = water_zones().iloc[[0]].assign(name="<img src=x onerror=alert(1)>")
    group = maps.add_layer(maps.new_map(), frame)
    assert features_of(group)[0]["properties"]["name"] == "&lt;img src=x onerror=alert(1)&gt;"


def test_bounds_must_be_lonlat():
    with pytest.raises(CRSError, match="not lon/lat"):
        maps.new_map(bounds=(500000, 4.0e6, 510000, 4.1e6))


def test_lines_are_never_filled_and_mixed_points_are_circles():
    mixed = gpd.GeoDataFrame(
        {"kind": "river", "zone": ["seven_rivers", "other"], "name": ["汾河", "泉"]},
        geometry=[LineString([(112, 37), (112.5, 37.5), (112.5, 37)]), Point(112.2, 37.1)],
        crs=4490,
    )
    m = maps.new_map()
    group = maps.add_layer(m, mixed)
    layer = next(c for c in group._children.values() if isinstance(c, folium.GeoJson))
    line, point = sorted(features_of(group), key=lambda f: f["geometry"]["type"])
    assert line["geometry"]["type"] == "LineString"
    assert layer.style_function(line)["fill"] is False
    assert layer.style_function(point)["fill"] is True  # the circle marker is filled
    assert "new L.CircleMarker(latlng, opts)" in m.get_root().render()


@needs_assets
def test_empty_layers_render():
    empty = gpd.GeoDataFrame({"kind": [], "zone": [], "name": []}, geometry=[], crs=4490)
    m = maps.new_map()
    maps.add_layer(m, empty, kind="eco_redline")
    maps.add_choropleth(m, empty.assign(share=[]), "share", name="s", legend_title="s")
    html = maps.map_html(m)
    assert [s["features"] for s in maps.layer_summary(m)] == [0, 0]
    assert js("生态保护红线 / Ecological protection red line") in html  # in the layer control


def test_share_map_joins_statistics_to_units():
    import pandas as pd

    units = gpd.GeoDataFrame(
        {"adcode": ["140105", "140106", "140107"], "name": ["小店区", "迎泽区", "杏花岭区"]},
        geometry=[box(112.5 + 0.1 * i, 37.7, 112.6 + 0.1 * i, 37.8) for i in range(3)],
        crs=4490,
    )
    stats = pd.DataFrame(
        {
            "unit_id": ["140105", "140106", "140105"],
            "layer_kind": ["eco_redline", "eco_redline", "water_source"],
            "zone": ["all", "all", "all"],
            "area_km2": [20.0, 5.0, 1.0],
            "share_pct": [22.0, 8.0, 1.1],
        }
    )
    m = maps.share_map(stats, units, layer_kind="eco_redline", classes=1)
    group = next(c for c in m._children.values() if isinstance(c, folium.FeatureGroup))
    props = [f["properties"] for f in features_of(group)]
    # 140107 has no statistics row: "no data" (class -1), never 0 %
    assert [(p["name"], p["value"], p["_class"]) for p in props] == [
        ("小店区", "22.0", 0),
        ("迎泽区", "8.0", 0),
        ("杏花岭区", "—", -1),
    ]
    heading = maps.map_info(m).legends[0].heading
    assert heading == "生态保护红线占比 (%) / Ecological protection red line share (%)"
    with pytest.raises(ZoningError, match="share_pct"):
        maps.share_map(stats.drop(columns="share_pct"), units, layer_kind="eco_redline")


def test_fetch_command_line(tmp_path, capsys):
    npm = _fake_npm(tmp_path)
    assert fetch_main(["--dest", str(tmp_path / "a"), "--npm", str(npm)]) == 0
    assert "leaflet.js" in capsys.readouterr().out
    assert fetch_main(["--dest", str(tmp_path / "b"), "--npm", str(tmp_path / "x")]) == 1
    assert "npm" in capsys.readouterr().err


@needs_assets
def test_fit_to_budget_coarsens_detail_until_it_fits():
    circle = gpd.GeoDataFrame(
        {"kind": ["eco_redline"], "zone": ["general"], "name": ["圆"]},
        geometry=[Point(112.5, 37.5).buffer(0.5, quad_segs=8000)],  # 32 001 vertices
        crs=4490,
    )

    def build(zoom: int) -> folium.Map:
        m = maps.new_map(detail_zoom=zoom)
        maps.add_layer(m, circle)
        return m

    fine = maps.html_size_mb(maps.map_html(build(16)))
    coarse = maps.html_size_mb(maps.map_html(build(10)))
    assert coarse < fine
    budget = (fine + coarse) / 2
    m, html = maps.fit_to_budget(build, max_mb=budget, start_zoom=16, min_zoom=8)
    assert 10 <= maps.map_info(m).detail_zoom < 16
    assert maps.html_size_mb(html) <= budget
    assert "display detail lowered to zoom" in html
    with pytest.raises(ZoningError, match="even with display detail at zoom 8"):
        maps.fit_to_budget(build, max_mb=0.01, start_zoom=9, min_zoom=8)


@needs_assets
def test_side_by_side_compare_is_offline_and_synchronised():
    left = gpd.GeoDataFrame(
        {"kind": ["eco_redline"], "zone": ["general"]},
        geometry=[box(112.0, 37.0, 112.2, 37.1)],
        crs=4490,
    )
    right = left.set_geometry([box(112.1, 37.0, 112.3, 37.1)], crs=4490)
    dual = maps.compare_map(left, right, side_by_side=True)
    assert [s["name"] for s in maps.layer_summary(dual)] == [
        "旧版 / Before",
        "移除 / Removed",
        "新版 / After",
        "新增 / Added",
    ]
    html = maps.map_html(dual)
    assert ASSET_TAG.search(html) is None
    assert "/* leaflet.sync@0.2.4 */" in html
    # element ids are renumbered in the saved HTML (byte-identical reruns): find the sync call
    sync = re.search(r"(map_[0-9a-f]{32})\.sync\((map_[0-9a-f]{32})\)", html)
    assert sync is not None and sync[1] != sync[2]
    assert f'id="{sync[1]}"' in html and f'id="{sync[2]}"' in html  # both map divs exist
    assert html.count('id="zoning-legend"') == 1 and html.count('id="zoning-disclaimer"') == 1
    assert js("旧版 / Before") in html and js("新版 / After") in html  # the two map labels


def test_view_fits_the_layers_unless_bounds_are_given():
    m = maps.new_map()
    maps.add_layer(m, water_zones())  # 112.45–112.57 E, 37.75–37.87 N
    maps.finish(m)
    fits = [c for c in m._children.values() if type(c).__name__ == "FitBounds"]
    (s, w), (n, e) = fits[-1].bounds
    # 5 % padding of the 0.12° extent on each side
    assert (w, s, e, n) == pytest.approx((112.444, 37.744, 112.576, 37.876), abs=1e-9)
    fixed = maps.new_map(bounds=(110.0, 34.0, 115.0, 41.0))
    maps.add_layer(fixed, water_zones())
    maps.finish(fixed)
    fits = [c for c in fixed._children.values() if type(c).__name__ == "FitBounds"]
    assert len(fits) == 1 and fits[0].bounds == [[34.0, 110.0], [41.0, 115.0]]
