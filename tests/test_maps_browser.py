"""Real-browser tests of the offline maps: headless Chromium with networking disabled.

Each map is opened from a ``file://`` URL. The tests assert zero JavaScript console errors,
the number of vector features Leaflet actually drew, a working layer toggle and popup click,
and save a screenshot under ``tests/artifacts/`` (ignored by git).

Needs the Debian packages ``chromium`` and ``chromium-driver`` and the Python package
``selenium``; skipped with the reason when any is missing.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import chromium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from zoning import maps

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _skip_reason() -> str | None:
    return chromium.missing()


pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason())),
]

# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One headless Chromium for the module, with every network request failing."""
    driver = chromium.start(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


_READY = """
const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
if (!key) return null;
const map = window[key];
window.__zmap = map;
return map._loaded === true;
"""

_COUNT_PATHS = """
let n = 0;
window.__zmap.eachLayer(l => { if (l instanceof L.Path) n += 1; });
return n;
"""

_CANVAS_INK = """
let ink = 0;
for (const c of document.querySelectorAll('.leaflet-overlay-pane canvas')) {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) ink += 1;
}
return ink;
"""


def open_map(driver, path: Path) -> tuple[float, list[dict]]:
    """Open ``path``; return the load time (s, navigation start → map ready) and console log."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # flush
    start = time.perf_counter()
    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(_READY))
    elapsed = time.perf_counter() - start
    time.sleep(0.2)  # let the canvas renderer finish its frame
    return elapsed, driver.get_log("browser")


def errors(log: list[dict]) -> list[str]:
    return [entry["message"] for entry in log if entry["level"] == "SEVERE"]


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(out))
    return out


def paths_in_report_map(driver) -> int:
    """Wait for the map inside a report's iframe to draw; return its number of SVG paths."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, "iframe.map-frame"))
    try:
        WebDriverWait(driver, 30).until(lambda d: d.execute_script(_READY))
        return driver.execute_script(_COUNT_PATHS)
    finally:
        driver.switch_to.default_content()


def print_pdf(driver, name: str) -> bytes:
    """Print the page as the browser would to PDF; keep it as a test artefact."""
    import base64

    from selenium.webdriver.common.print_page_options import PrintOptions

    pdf = base64.b64decode(driver.print_page(PrintOptions()))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_bytes(pdf)
    return pdf


def toggle(driver, label_text: str) -> None:
    from selenium.webdriver.common.by import By

    for label in driver.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-overlays label"):
        if label_text in label.text:
            label.find_element(By.TAG_NAME, "input").click()
            return
    raise AssertionError(f"no layer control entry {label_text!r}")


def click_feature(driver, lon: float, lat: float) -> str:
    """Click the map at (lon, lat) like a user; return the text of the popup that opens."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    x, y = driver.execute_script(
        "const p = window.__zmap.latLngToContainerPoint([arguments[1], arguments[0]]);"
        "return [p.x, p.y];",
        lon,
        lat,
    )
    container = driver.find_element(By.CSS_SELECTOR, ".leaflet-container")
    size = container.size
    ActionChains(driver).move_to_element_with_offset(
        container, int(x - size["width"] / 2), int(y - size["height"] / 2)
    ).click().perform()

    def popup_text(d) -> str:
        found = d.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content")
        return found[0].get_attribute("textContent").strip() if found else ""

    text = WebDriverWait(driver, 5).until(popup_text)
    time.sleep(0.3)  # let the popup fade in before any screenshot
    return text


# --------------------------------------------------------------------------- maps under test


def _frames() -> dict[str, gpd.GeoDataFrame]:
    water = gpd.GeoDataFrame(
        {
            "feature_id": ["w1", "w2", "w3"],
            "kind": "water_source",
            "zone": ["level1", "level2", "quasi"],
            "name": ["汾河水库一级", "汾河水库二级", "汾河水库准保护区"],
            "layer": "water",
        },
        geometry=[
            box(112.20, 37.90, 112.30, 38.00),
            box(112.10, 37.80, 112.40, 38.10),
            box(112.00, 37.70, 112.50, 38.20),
        ],
        crs=4490,
    )
    redline = gpd.GeoDataFrame(
        {
            "feature_id": [f"r{i}" for i in range(4)],
            "kind": "eco_redline",
            "zone": "general",
            "name": [f"红线 {i}" for i in range(4)],
            "layer": "red",
        },
        geometry=[box(112.8 + 0.15 * i, 37.1, 112.9 + 0.15 * i, 37.2) for i in range(4)],
        crs=4490,
    )
    counties = gpd.GeoDataFrame(
        {
            "feature_id": ["140100", "140200"],
            "kind": "admin_unit",
            "zone": "county",
            "name": ["甲县", "乙县"],
            "layer": "admin",
        },
        geometry=[box(111.8, 36.9, 112.7, 38.4), box(112.7, 36.9, 113.6, 38.4)],
        crs=4490,
    )
    river = gpd.GeoDataFrame(
        {
            "feature_id": ["f1"],
            "kind": "river",
            "zone": "seven_rivers",
            "name": ["汾河"],
            "layer": "river",
        },
        geometry=[LineString([(111.9, 38.3), (112.6, 37.0)])],
        crs=4490,
    )
    return {"admin_unit": counties, "eco_redline": redline, "water_source": water, "river": river}


class _Catalog:
    def __init__(self, frames: dict[str, gpd.GeoDataFrame]):
        self._frames = frames
        self.kinds = list(frames)
        self.coverage = None
        self.name = "浏览器测试 / Browser test"

    def frame(self, kind: str) -> gpd.GeoDataFrame:
        return self._frames[kind]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("maps")
    frames = _frames()
    paths: dict[str, Path] = {}
    paths["catalog"] = maps.save_map(maps.catalog_map(_Catalog(frames)), out / "catalog.html")
    counties = frames["admin_unit"].assign(share=[12.5, 40.0])
    paths["choropleth"] = maps.save_map(
        maps.choropleth_map(
            counties,
            "share",
            name="红线占比 / Share",
            legend_title="红线占比 (%) / Share (%)",
            classes=2,
        ),
        out / "choropleth.html",
    )
    grid = np.linspace(0, 1, 60 * 80).reshape(60, 80)
    grid[:5, :5] = np.nan
    paths["restoration"] = maps.save_map(
        maps.restoration_map(
            grid, (111.8, 36.9, 113.6, 38.4), units=counties.assign(score=[0.3, 0.8]), classes=2
        ),
        out / "restoration.html",
    )
    sites = gpd.GeoDataFrame(
        {"site_id": ["S1", "S2"], "verdict": ["prohibited", "allowed"]},
        geometry=[Point(112.25, 37.95), Point(113.3, 37.5)],
        crs=4490,
    )
    hits = frames["water_source"].iloc[[0]].rename(columns={"kind": "layer_kind"})
    hits = hits.assign(
        site_id="S1",
        outcome="prohibited",
        rule_id="ws.level1.coal",
        citation="《水污染防治法》第六十五条",
    )
    paths["site"] = maps.save_map(maps.site_map(sites, hits), out / "site.html")
    left = frames["eco_redline"].iloc[:3]
    right = frames["eco_redline"].iloc[1:]
    paths["compare"] = maps.save_map(maps.compare_map(left, right), out / "compare.html")
    paths["side_by_side"] = maps.save_map(
        maps.compare_map(left, right, side_by_side=True), out / "side_by_side.html"
    )
    return paths


# --------------------------------------------------------------------------- tests


def test_catalogue_map_renders_toggles_and_pops_up(browser, built):
    elapsed, log = open_map(browser, built["catalog"])
    assert errors(log) == []
    # 2 counties + 4 red-line polygons + 3 water zones + 1 river, all drawn
    assert browser.execute_script(_COUNT_PATHS) == 10
    assert browser.execute_script(_CANVAS_INK) > 1000
    legend = browser.find_element("id", "zoning-legend")
    assert "Level-1 protection zone" in legend.text
    toggle(browser, "饮用水水源保护区")
    assert browser.execute_script(_COUNT_PATHS) == 7
    assert "Level-1 protection zone" not in legend.text  # its legend follows the layer
    toggle(browser, "饮用水水源保护区")
    assert browser.execute_script(_COUNT_PATHS) == 10
    assert "Level-1 protection zone" in legend.text
    text = click_feature(browser, 112.25, 37.95)  # inside all three nested zones
    assert "汾河水库一级" in text and "一级保护区 / Level-1 protection zone" in text
    legend = browser.find_element("id", "zoning-legend").text
    assert "生态保护红线 / Ecological protection red line" in legend
    assert "仅供规划分析" in browser.find_element("id", "zoning-disclaimer").text
    screenshot(browser, "catalog_map")
    assert elapsed < 10


def test_choropleth_popup_and_legend(browser, built):
    _, log = open_map(browser, built["choropleth"])
    assert errors(log) == []
    assert browser.execute_script(_COUNT_PATHS) == 2
    text = click_feature(browser, 113.2, 37.6)
    assert "乙县" in text and "40.0" in text
    legend = browser.find_element("id", "zoning-legend").text
    assert "12.5 – 26.2" in legend and "26.2 – 40.0" in legend
    screenshot(browser, "choropleth_map")


def test_restoration_raster_is_drawn(browser, built):
    _, log = open_map(browser, built["restoration"])
    assert errors(log) == []
    widths = browser.execute_script(
        "return [...document.querySelectorAll('img.leaflet-image-layer')].map(i => i.naturalWidth);"
    )
    assert widths == [80]  # the PNG decoded at its own width (mercator rows re-sampled)
    assert browser.execute_script(_COUNT_PATHS) == 2
    text = click_feature(browser, 113.2, 37.6)  # transparent fill still answers clicks
    assert "0.80" in text
    screenshot(browser, "restoration_map")
    toggle(browser, "修复优先级栅格")
    hidden = browser.execute_script(
        "return document.querySelectorAll('img.leaflet-image-layer').length;"
    )
    assert hidden == 0


def test_site_map_popup_shows_rule_and_citation(browser, built):
    _, log = open_map(browser, built["site"])
    assert errors(log) == []
    assert browser.execute_script(_COUNT_PATHS) == 3  # 1 hit zone + 2 site markers
    text = click_feature(browser, 112.22, 37.92)  # inside the hit zone, away from the site
    assert "ws.level1.coal" in text and "《水污染防治法》第六十五条" in text
    screenshot(browser, "site_map")


def test_compare_map_layers(browser, built):
    _, log = open_map(browser, built["compare"])
    assert errors(log) == []
    # before 3 + after 3 + added 1 + removed 1
    assert browser.execute_script(_COUNT_PATHS) == 8
    toggle(browser, "旧版 / Before")
    assert browser.execute_script(_COUNT_PATHS) == 5
    screenshot(browser, "compare_map")


def test_side_by_side_maps_move_together(browser, built):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get_log("browser")
    browser.get(built["side_by_side"].resolve().as_uri())
    names = WebDriverWait(browser, 30).until(
        lambda d: d.execute_script(
            "const ks = Object.keys(window).filter(k => k.startsWith('map_')"
            " && window[k] instanceof L.Map && window[k]._loaded);"
            "return ks.length === 2 ? ks : null;"
        )
    )
    assert errors(browser.get_log("browser")) == []
    counts = browser.execute_script(
        "return arguments[0].map(k => { let n = 0;"
        " window[k].eachLayer(l => { if (l instanceof L.Path) n += 1; }); return n; });",
        names,
    )
    # left: 3 earlier red lines + 1 removed; right: 3 later red lines + 1 added
    assert counts == [4, 4]

    def moved_together(d) -> list | None:
        # pan and zoom the left map like a user; the right one must follow
        centre = d.execute_script(
            "const [a, b] = arguments[0].map(k => window[k]);"
            "a.setView([37.3, 113.0], 11, {animate: false});"
            "const c = b.getCenter(); return [c.lat, c.lng, b.getZoom()];",
            names,
        )
        ok = abs(centre[0] - 37.3) < 1e-3 and abs(centre[1] - 113.0) < 1e-3 and centre[2] == 11
        return centre if ok else None

    # right after loading, the page may still settle its layout, which resets views once
    assert WebDriverWait(browser, 5, poll_frequency=0.2).until(moved_together)
    screenshot(browser, "side_by_side_map")


def test_network_is_really_off(browser, tmp_path):
    """Sanity check of the harness: a basemap tile cannot load, so offline maps prove offline."""
    path = maps.save_map(maps.new_map(basemap="osm"), tmp_path / "osm.html")
    open_map(browser, path)
    time.sleep(0.5)
    loaded = browser.execute_script(
        "return [...document.querySelectorAll('img.leaflet-tile')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length;"
    )
    assert loaded == 0


def test_demo_province_map(browser, demo_catalog, tmp_path):
    m = maps.catalog_map(demo_catalog)
    path = maps.save_map(m, tmp_path / "province.html")
    size_mb = path.stat().st_size / 1e6
    visible = sum(
        s["features"]
        for s in maps.layer_summary(m)
        if s["kind"] not in maps.products.HIDDEN_BY_DEFAULT
    )
    elapsed, log = open_map(browser, path)
    assert errors(log) == []
    assert browser.execute_script(_COUNT_PATHS) == visible
    legend = browser.find_element("id", "zoning-legend").text
    assert "Ecological protection red line" in legend
    assert "Environmental control unit" not in legend  # off at start, so is its legend
    screenshot(browser, "province_map")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "province_map.json").write_text(
        json.dumps(
            {"size_mb": round(size_mb, 2), "load_s": round(elapsed, 2), "features_drawn": visible}
        ),
        encoding="utf-8",
    )
    assert size_mb < 15.0
    assert elapsed < 20.0


def test_report_prints_to_pdf(browser, tmp_path):
    rows = "".join(f"<tr><td>{i}</td><td class='num'>{i * 1.5:.1f}</td></tr>" for i in range(120))
    body = (
        '<p class="no-print">仅屏幕显示 / screen only</p>'
        f"<table><thead><tr><th>县 / County</th><th class='num'>km²</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    page = tmp_path / "report.html"
    page.write_text(maps.report_page("统计报告 / Statistics report", body), encoding="utf-8")
    browser.get_log("browser")
    browser.get(page.as_uri())
    assert errors(browser.get_log("browser")) == []
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        styles = browser.execute_script(
            "return [getComputedStyle(document.querySelector('.no-print')).display,"
            " getComputedStyle(document.querySelector('thead')).display];"
        )
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert styles == ["none", "table-header-group"]
    pdf = print_pdf(browser, "report.pdf")
    assert pdf.startswith(b"%PDF")
    # 120 rows of ~20 px do not fit on one page: the table flows over several pages
    pages = re.search(rb"/Type\s*/Pages\b.*?/Count (\d+)", pdf, re.S) or re.search(
        rb"/Count (\d+)", pdf
    )
    assert pages is not None and int(pages.group(1)) >= 2


def test_map_embedded_in_a_report_works(browser, tmp_path):
    m = maps.new_map()
    maps.add_layer(m, _frames()["water_source"])
    page = tmp_path / "report_with_map.html"
    page.write_text(
        maps.report_page("报告 / Report", maps.embed_map(m, title="map")), encoding="utf-8"
    )
    browser.get_log("browser")
    browser.get(page.as_uri())
    assert paths_in_report_map(browser) == 3
    assert errors(browser.get_log("browser")) == []
    screenshot(browser, "report_with_map")


def test_statistics_report_opens_and_prints(browser, tmp_path):
    """The run's report.html (zoning.stats.report): no console error, the embedded choropleth
    draws its two counties, and it prints to a PDF with its tables.
    """
    from zoning.stats.report import render_stats_report

    rows = []
    for uid, name, level, area, red in [
        ("140000", "省", "province", 200.0, 20.0),
        ("140100", "市", "city", 200.0, 20.0),
        ("140101", "甲县", "county", 100.0, 10.0),
        ("140102", "乙县", "county", 100.0, 10.0),
    ]:
        rows.append((uid, "eco_redline", "all", red, area, 100 * red / area, level, name))
    stats = pd.DataFrame(
        rows,
        columns=["unit_id", "layer_kind", "zone", "area_km2", "unit_area_km2", "share_pct",
                 "level", "unit_name"],
    )  # fmt: skip
    counties = gpd.GeoDataFrame(
        {"name": ["甲县", "乙县"], "share": [10.0, 10.0]},
        geometry=[box(112.0, 37.0, 112.1, 37.1), box(112.1, 37.0, 112.2, 37.1)],
        crs=4490,
    )
    m = maps.choropleth_map(counties, "share", name="share", legend_title="红线占比 %")
    page = tmp_path / "report.html"
    page.write_text(
        render_stats_report(
            title="测试 / test",
            stats=stats,
            inputs={"layers": [{"name": "red", "kind": "eco_redline", "sha256": "ab" * 32}]},
            parameters={"units": "county"},
            map_html=maps.map_html(m),
        ),
        encoding="utf-8",
    )
    browser.get_log("browser")
    browser.get(page.as_uri())
    assert paths_in_report_map(browser) == 2
    assert errors(browser.get_log("browser")) == []
    pdf = print_pdf(browser, "statistics_report.pdf")
    assert pdf.startswith(b"%PDF")
    screenshot(browser, "statistics_report")


# --------------------------------------------------------------------------- clicks and panels


def _zoom_to(driver, lon: float, lat: float, zoom: int = 11) -> None:
    driver.execute_script(
        "window.__zmap.setView([arguments[1], arguments[0]], arguments[2], {animate: false});",
        lon,
        lat,
        zoom,
    )
    time.sleep(0.4)


def _open_points(demo_catalog, kind: str) -> list[tuple[float, float, str]]:
    """Points inside features of ``kind`` that no other layer shown at start covers."""
    import shapely

    shown = [
        k
        for k in demo_catalog.kinds
        if k not in maps.products.HIDDEN_BY_DEFAULT and k not in (kind, "admin_unit")
    ]
    from zoning.crs import ALBERS_CHINA

    others = shapely.union_all(
        [demo_catalog.frame(k, crs=ALBERS_CHINA).geometry.buffer(2000).union_all() for k in shown]
    )
    frame = demo_catalog.frame(kind, crs=ALBERS_CHINA)
    frame = frame.assign(a=frame.geometry.area).sort_values("a", ascending=False)
    picked = []
    for fid, geom in zip(frame["feature_id"], frame.geometry, strict=True):
        inner = geom.buffer(-2000)  # 2 km inside the feature, 2 km clear of other layers
        p = inner.representative_point() if not inner.is_empty else None
        if p is not None and not others.contains(p):
            picked.append((p, str(fid)))
        if len(picked) == 3:
            break
    lonlat = gpd.GeoSeries([p for p, _ in picked], crs=ALBERS_CHINA).to_crs("EPSG:4490")
    return [(q.x, q.y, fid) for q, (_, fid) in zip(lonlat, picked, strict=True)]


def test_a_click_inside_a_county_reaches_the_red_line(browser, demo_catalog, tmp_path):
    """County outlines take no clicks: the red line under them answers with its own popup."""
    path = maps.save_map(maps.catalog_map(demo_catalog), tmp_path / "province.html")
    _, log = open_map(browser, path)
    assert errors(log) == []
    points = _open_points(demo_catalog, "eco_redline")
    assert points
    lon, lat, fid = points[0]
    _zoom_to(browser, lon, lat)
    text = click_feature(browser, lon, lat)
    assert fid in text, text
    assert "生态保护红线" in text or "红线" in text


def test_a_click_on_bare_territory_names_the_units(browser, demo_catalog, tmp_path):
    import shapely

    path = maps.save_map(maps.catalog_map(demo_catalog), tmp_path / "province.html")
    open_map(browser, path)
    from zoning.crs import ALBERS_CHINA

    admin = demo_catalog.frame("admin_unit", crs=ALBERS_CHINA)
    shown = [
        k
        for k in demo_catalog.kinds
        if k not in maps.products.HIDDEN_BY_DEFAULT and k != "admin_unit"
    ]
    drawn = shapely.union_all(
        [demo_catalog.frame(k, crs=ALBERS_CHINA).geometry.buffer(3000).union_all() for k in shown]
    )
    counties = admin[admin.zone == "county"]
    for _, county in counties.iterrows():
        bare = county.geometry.buffer(-3000).difference(drawn)
        if bare.area > 20e6:  # 20 km² of county with nothing else drawn
            break
    else:
        pytest.skip("no bare county interior in the demo")
    p = gpd.GeoSeries([bare.representative_point()], crs=ALBERS_CHINA).to_crs("EPSG:4490")[0]
    city = admin[admin.adcode == county["parent_adcode"]].iloc[0]
    _zoom_to(browser, p.x, p.y, 10)
    text = click_feature(browser, p.x, p.y)
    assert text == f"山西省 › {city['name']} › {county['name']}"


def test_title_never_covers_the_layer_control(browser, demo_catalog, tmp_path):
    path = maps.save_map(
        maps.catalog_map(demo_catalog, title="山西省生态保护红线与自然保护地 " * 3),
        tmp_path / "t.html",
    )
    open_map(browser, path)
    browser.execute_script(
        "document.querySelector('.leaflet-control-layers')"
        ".classList.add('leaflet-control-layers-expanded');"
    )
    rects = browser.execute_script(
        "const r = e => document.querySelector(e).getBoundingClientRect();"
        "const t = r('.zoning-title'), c = r('.leaflet-control-layers');"
        "return [t.left, t.top, t.right, t.bottom, c.left, c.top, c.right, c.bottom];"
    )
    tl, tt, tr, tb, cl, ct, cr, cb = rects
    overlap = not (tr <= cl or cr <= tl or tb <= ct or cb <= tt)
    assert not overlap, rects


def test_screening_map_starts_collapsed_with_the_county_outline(browser, demo_catalog, tmp_path):
    from zoning.screening import screen_sites
    from zoning.screening.html import result_map

    counties = demo_catalog.frame("admin_unit")
    county = counties[counties["name"] == "迎泽区"].iloc[0]
    p = county.geometry.representative_point()
    site = gpd.GeoDataFrame({"site_id": ["A"]}, geometry=[p.buffer(0.01)], crs="EPSG:4490")
    result = screen_sites(site, demo_catalog, "housing")
    path = maps.save_map(result_map(result), tmp_path / "site.html")
    _, log = open_map(browser, path)
    assert errors(log) == []
    control = browser.find_element("css selector", ".leaflet-control-layers")
    assert "leaflet-control-layers-expanded" not in control.get_attribute("class")
    labels = browser.execute_script(
        "return Array.from(document.querySelectorAll("
        "'.leaflet-control-layers-overlays label')).map(l => l.textContent.trim());"
    )
    assert any("行政区" in lab or "Administrative" in lab for lab in labels), labels
    on = browser.execute_script(
        "let n = 0; window.__zmap.eachLayer(l => { if (l.feature && "
        "l.feature.properties && l.feature.properties.name === '迎泽区') n += 1; }); return n;"
    )
    assert on >= 1  # the site's county is drawn at start


_PRINTED_MAP = """
const img = document.querySelector('figure.print-only img');
const frame = document.querySelector('iframe.map-frame');
if (!img || !img.complete) return null;
const c = document.createElement('canvas');
c.width = img.naturalWidth; c.height = img.naturalHeight;
const g = c.getContext('2d'); g.drawImage(img, 0, 0);
const d = g.getImageData(0, 0, c.width, c.height).data;
let ink = 0, red = 0;
for (let i = 0; i < d.length; i += 4) {
  if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) ink += 1;
  if (d[i] > 150 && d[i + 1] < 90 && d[i + 2] < 90) red += 1;
}
return {shown: img.getBoundingClientRect().height, frame: getComputedStyle(frame).display,
        ink: ink / (c.width * c.height), red: red, width: c.width};
"""


def _printed(browser, page: Path, name: str) -> tuple[dict, int]:
    browser.get(page.as_uri())
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        from selenium.webdriver.support.ui import WebDriverWait

        seen = WebDriverWait(browser, 10).until(lambda d: d.execute_script(_PRINTED_MAP))
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = print_pdf(browser, name)
    count = re.search(rb"/Type\s*/Pages\b.*?/Count (\d+)", pdf, re.S)
    assert count is not None
    return seen, int(count.group(1))


def test_printed_screening_report_shows_the_map(browser, demo_catalog, tmp_path):
    """In print the live map gives way to a static one with drawn pixels and colours."""
    from zoning.screening import screen_sites, write_screening

    sites = gpd.read_file(Path(__file__).resolve().parent.parent / "scenarios/demo_sites.geojson")
    result = screen_sites(sites, demo_catalog, "solar_pv")
    (tmp_path / "out").mkdir()
    write_screening(result, tmp_path / "out")
    seen, pages = _printed(browser, tmp_path / "out" / "report.html", "screening_report.pdf")
    assert seen["frame"] == "none" and seen["shown"] > 200
    assert seen["ink"] > 0.05  # counties, zones and sites drawn, not a blank box
    assert seen["red"] > 50  # the prohibited site's outline prints in colour
    assert 2 <= pages <= 4 + 2 * len(sites)


def test_printed_statistics_report_shows_the_map(browser, tmp_path):
    from zoning.maps.static import choropleth_png
    from zoning.stats.report import render_stats_report

    units = gpd.GeoDataFrame(
        {"unit_id": ["a", "b", "c", "d"], "name": ["甲", "乙", "丙", "丁"], "v": [1.0, 5, 9, 30]},
        geometry=[box(110 + i, 36, 111 + i, 37) for i in range(4)],
        crs="EPSG:4490",
    )
    stats = pd.DataFrame(
        {
            "unit_id": ["a", "b"],
            "layer_kind": "eco_redline",
            "zone": "all",
            "area_km2": [1.0, 2.0],
            "unit_area_km2": [10.0, 10.0],
            "share_pct": [10.0, 20.0],
            "level": "county",
            "unit_name": ["甲", "乙"],
        }
    )
    png = choropleth_png(units, "v", legend_title="红线占比 (%) / Red-line share (%)", title="t")
    page = render_stats_report(
        title="t",
        stats=stats,
        inputs={},
        parameters={},
        map_html="<html><body>live map</body></html>",
        map_png=png,
    )
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    seen, pages = _printed(browser, tmp_path / "report.html", "stats_report.pdf")
    assert seen["frame"] == "none" and seen["shown"] > 200
    assert seen["ink"] > 0.05 and seen["red"] > 50  # the darkest class is dark red
    assert pages <= 4
