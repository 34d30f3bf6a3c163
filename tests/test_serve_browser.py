"""The page of ``zoning serve`` in a real browser: headless Chromium, network off.

A live server on loopback (``zoning.serve.live.running``) serves the demo catalogue. Chromium
resolves no host name but 127.0.0.1 and sends everything else to a dead proxy, so a request
that leaves the server fails (and shows as a console error). The tests draw a polygon over the
demo red line with the drawing toolbar, upload the demo sites file, and open the report; a
screenshot is saved under ``tests/artifacts/`` (ignored by git).

Needs the Debian packages ``chromium`` and ``chromium-driver``, the Python package
``selenium`` and the offline map assets; skipped with the reason when any is missing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import chromium
import pytest

DEMO_SITES = Path(__file__).resolve().parent.parent / "scenarios" / "demo_sites.geojson"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _skip_reason() -> str | None:
    return chromium.missing(("leaflet.js", "leaflet.draw.js"))


pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason())),
]


@pytest.fixture(scope="module")
def server(demo_catalog) -> Iterator[str]:
    from zoning.serve import ServeConfig, create_app
    from zoning.serve.live import running

    with running(create_app(ServeConfig(), catalog=demo_catalog)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One headless Chromium for the module; nothing but 127.0.0.1 is reachable."""
    driver = chromium.start(
        tmp_path_factory.mktemp("chromium-profile"), loopback_server=True, width=1400
    )
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, script: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {script}")


def _errors(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _open(driver, url: str) -> None:
    driver.get(url + "/")
    _wait(driver, "return document.body.dataset.ready === 'true'")


def _pick_type(driver, query: str, type_id: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    box = driver.find_element(By.ID, "type-search")
    box.clear()
    box.send_keys(query)
    Select(driver.find_element(By.ID, "type")).select_by_value(type_id)


def test_page_loads_with_no_errors_and_nothing_leaves_the_server(browser, server) -> None:
    _open(browser, server)
    assert _errors(browser) == []
    urls = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert any(u.endswith("/assets/leaflet.draw.js") for u in urls)
    assert any("/api/layers/eco_redline.geojson" in u for u in urls)
    outside = [u for u in urls if not u.startswith(server + "/") and not u.startswith("data:")]
    assert outside == []
    # the catalogue is drawn with the cartography of `zoning map`: red-line paths are drawn
    n = browser.execute_script(
        "const k = window.zoningPage.state.kinds.eco_redline; let n = 0;"
        "k.layer.eachLayer(() => n++); return n;"
    )
    assert n > 0
    # the drawing toolbar of Leaflet.draw is there
    assert browser.find_elements("css selector", "a.leaflet-draw-draw-polygon")


def test_drawn_polygon_over_the_red_line_is_prohibited_with_rule_and_citation(
    browser, server
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _open(browser, server)
    _pick_type(browser, "光伏", "solar_pv")
    ring = json.loads(DEMO_SITES.read_text(encoding="utf-8"))["features"][0]["geometry"][
        "coordinates"
    ][0][:4]  # demo site S1, inside the red line of 迎泽区
    lon = sum(p[0] for p in ring) / 4
    lat = sum(p[1] for p in ring) / 4
    browser.execute_script(f"window.zoningPage.map.setView([{lat}, {lon}], 16, {{animate: false}})")
    time.sleep(0.3)
    points = browser.execute_script(
        "const m = window.zoningPage.map; return arguments[0].map(p => {"
        "const c = m.latLngToContainerPoint([p[1], p[0]]); return [c.x, c.y]; });",
        ring,
    )
    map_el = browser.find_element(By.ID, "map")
    size = map_el.size
    browser.find_element(By.CSS_SELECTOR, "a.leaflet-draw-draw-polygon").click()
    for x, y in [*points, points[0]]:  # click the corners, then the first one again to close
        ActionChains(browser).move_to_element_with_offset(
            map_el, int(x - size["width"] / 2), int(y - size["height"] / 2)
        ).click().perform()
        time.sleep(0.15)
    assert browser.execute_script("return window.zoningPage.drawn.getLayers().length") == 1
    drawn = browser.execute_script(
        "return window.zoningPage.drawn.toGeoJSON().features[0].geometry.type"
    )
    assert drawn == "Polygon"
    browser.find_element(By.ID, "screen").click()
    card = _wait(browser, "return document.querySelector('#cards .card')")
    text = card.text
    assert "禁止 / Prohibited" in text
    assert "CN-RL-02" in text  # the red-line rule of national.toml
    assert "自然资发〔2022〕142号" in text  # its citation
    assert "生态保护红线" in text
    # the 三线一单 unit's own access list is quoted (the demo unit's text, not a checklist line)
    access = browser.execute_script(
        "const t = document.querySelector('#cards .card table.access-list');"
        " return t ? t.textContent : '';"
    )
    assert "空间布局约束" in access and "禁止开发性、生产性建设活动" in access
    assert _errors(browser) == []


def test_upload_of_the_demo_sites_shows_four_verdicts_and_the_comparison(browser, server) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, server)
    _pick_type(browser, "solar", "solar_pv")
    browser.find_element(By.ID, "file").send_keys(str(DEMO_SITES))
    browser.find_element(By.ID, "screen").click()
    _wait(browser, "return document.querySelectorAll('#comparison tbody tr').length === 4")
    rows = browser.find_elements(By.CSS_SELECTOR, "#comparison tbody tr")
    sites = [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows]
    assert sorted(sites) == ["S1", "S2", "S3", "S4"]
    cards = browser.find_elements(By.CSS_SELECTOR, "#cards .card")
    assert len(cards) == 4
    verdict_of = {
        c.get_attribute("data-site"): c.find_element(By.CSS_SELECTOR, "summary .verdict").text
        for c in cards
    }
    assert verdict_of["S1"] == "禁止 / Prohibited"
    # the prohibited site ranks last
    assert sites[-1] == "S1"
    # the sites and the zones they hit are drawn on the map
    drawn = browser.execute_script(
        "let n = 0; window.zoningPage.resultLayer.eachLayer(() => n++); return n;"
    )
    assert drawn >= 4
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "serve_upload.png"))
    assert _errors(browser) == []

    # the report download opens (in a new tab, as the link does)
    link = browser.find_element(By.CSS_SELECTOR, "a[data-download='report.html']")
    first = browser.current_window_handle
    link.click()
    _wait(browser, "return true", 1)
    deadline = time.monotonic() + 20
    while len(browser.window_handles) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    other = next(h for h in browser.window_handles if h != first)
    browser.switch_to.window(other)
    try:
        _wait(
            browser,
            "return document.readyState === 'complete' && document.body.innerText.length > 0",
        )
        body = browser.find_element(By.TAG_NAME, "body").text
        assert "选址筛查报告" in body and "S1" in body and "禁止" in body
        assert "/api/screen/" in browser.current_url
        assert _errors(browser) == []
    finally:
        browser.close()
        browser.switch_to.window(first)


def test_reviewers_toggle_a_layer_search_a_feature_and_export_the_view(
    browser, server, demo_catalog
) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, server)
    # control units start hidden (as in `zoning map`); switching them on draws every unit
    box = browser.find_element(By.CSS_SELECTOR, "input[data-kind='control_unit']")
    assert not box.is_selected()
    box.click()
    n = _wait(
        browser,
        "const k = window.zoningPage.state.kinds.control_unit; if (!k.layer ||"
        " !window.zoningPage.map.hasLayer(k.layer)) return 0;"
        " let n = 0; k.layer.eachLayer(() => n++); return n;",
    )
    assert n == len(demo_catalog.frame("control_unit"))
    box.click()
    assert not browser.execute_script(
        "const k = window.zoningPage.state.kinds.control_unit;"
        " return window.zoningPage.map.hasLayer(k.layer);"
    )
    # search a protected area by name: the result zooms there and opens its popup
    name = str(demo_catalog.frame("protected_area")["name"].dropna().iloc[0])
    browser.find_element(By.ID, "feature-search").send_keys(name)
    item = _wait(browser, "return document.querySelector('#search-results li')")
    assert name in item.text
    item.click()
    # the popup fades in: read its text content once it is there (Selenium's .text is empty
    # while an element is still transparent)
    text = _wait(
        browser,
        "const p = document.querySelector('.leaflet-popup-content');"
        " return p && p.textContent.trim();",
    )
    assert name in text
    # the export of the current view is the offline HTML map of the visible layers
    browser.find_element(By.ID, "export-view").click()
    href = browser.find_element(By.ID, "export-view").get_attribute("href")
    assert "/api/map.html?kinds=" in href and "bbox=" in href
    status, head = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.text().then(t => done([r.status, t.slice(0, 2000)])));",
        href,
    )
    assert status == 200 and "<html" in head.lower()
    assert _errors(browser) == []
