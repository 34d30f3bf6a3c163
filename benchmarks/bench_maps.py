"""Benchmark zoning.maps against the peer approach, in the same run.

The whole Shanxi demo catalogue (every layer kind) is mapped three ways:

1. **peer**: what users do by hand, a folium ``GeoJson`` per layer as ``GeoDataFrame.explore``
   builds it (full geometry, every attribute in the tooltip, Leaflet from the CDN);
2. **zoning, full detail**: :func:`zoning.maps.catalog_map` with ``detail_zoom=None`` (no
   simplification, coordinates trimmed to 6 decimals, assets inlined);
3. **zoning, default**: :func:`zoning.maps.catalog_map` (display simplification to half a pixel
   at zoom 12, coverage simplification for admin units and control units).

It prints the median build time (map + HTML rendering) and the HTML size of each, with ratios
against the peer. With ``--browser`` it also opens each HTML in headless Chromium (network off)
and reports the load time until Leaflet is ready (the peer page cannot load Leaflet offline,
so its load time is measured with the network off too and reported as "fails offline").

Usage: ``python benchmarks/bench_maps.py [--quick] [--repeat N] [--browser]``.
``--quick`` maps three layer kinds only.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import folium

from zoning import maps


def _peer(catalog, kinds: list[str]) -> str:
    m = folium.Map(location=[37.6, 112.4], zoom_start=7, tiles=None)
    for kind in kinds:
        frame = catalog.frame(kind)
        if len(frame):
            # what GeoDataFrame.explore() does: full geometry, every attribute in the tooltip
            frame = frame.copy()
            fields = [c for c in frame.columns if c != frame.geometry.name]
            frame[fields] = frame[fields].astype(str)
            folium.GeoJson(frame, name=kind, tooltip=folium.GeoJsonTooltip(fields=fields)).add_to(m)
    folium.LayerControl().add_to(m)
    return m.get_root().render()


def _ours(catalog, kinds: list[str], detail_zoom: int | None) -> str:
    return maps.map_html(maps.catalog_map(catalog, kinds=kinds, detail_zoom=detail_zoom))


def _time(fn: Callable[[], str], repeat: int) -> tuple[float, str]:
    times, html = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        html = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), html


def _browser_load(paths: dict[str, Path], repeat: int) -> dict[str, str]:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9", "--window-size=1280,900",
    ):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    ready = (
        "return typeof L !== 'undefined' && Object.keys(window).some("
        "k => k.startsWith('map_') && window[k] instanceof L.Map && window[k]._loaded);"
    )
    out: dict[str, str] = {}
    try:
        for name, path in paths.items():
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                driver.get(path.as_uri())
                try:
                    WebDriverWait(driver, 15).until(lambda d: d.execute_script(ready))
                except TimeoutException:  # the peer page cannot load Leaflet offline
                    break
                times.append(time.perf_counter() - t0)
            out[name] = (
                f"median {statistics.median(times):.2f} s of {len(times)}"
                if times
                else "fails offline (no Leaflet)"
            )
    finally:
        driver.quit()
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three layer kinds only")
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant (median)")
    parser.add_argument("--browser", action="store_true", help="also time loading in Chromium")
    args = parser.parse_args(argv)

    from zoning.catalog import load_catalog
    from zoning.datasets import demo_catalog_path

    catalog = load_catalog(demo_catalog_path())
    kinds = list(catalog.kinds)
    if args.quick:
        kinds = [k for k in ("admin_unit", "eco_redline", "water_source") if k in kinds]
    for k in kinds:  # load once so the timings measure mapping, not reading
        catalog.frame(k)
    variants = {
        "peer: folium GeoJson per layer (CDN)": lambda: _peer(catalog, kinds),
        "zoning, full detail (offline)": lambda: _ours(catalog, kinds, None),
        "zoning, default (offline, simplified)": lambda: _ours(catalog, kinds, 12),
    }
    rows, htmls = [], {}
    for name, fn in variants.items():
        seconds, html = _time(fn, args.repeat)
        rows.append((name, seconds, len(html.encode("utf-8")) / 1e6))
        htmls[name] = html
    peer_s, peer_mb = rows[0][1], rows[0][2]
    features = sum(len(catalog.frame(k)) for k in kinds)
    print(f"demo catalogue: {len(kinds)} layer kinds, {features} features; repeat={args.repeat}")
    print(f"{'variant':42s} {'median s':>9s} {'x peer':>7s} {'HTML MB':>8s} {'x peer':>7s}")
    for name, seconds, mb in rows:
        print(f"{name:42s} {seconds:9.2f} {seconds / peer_s:7.2f} {mb:8.2f} {mb / peer_mb:7.2f}")
    if args.browser:
        with tempfile.TemporaryDirectory() as tmp:
            paths = {}
            for i, (name, html) in enumerate(htmls.items()):
                paths[name] = Path(tmp) / f"v{i}.html"
                paths[name].write_text(html, encoding="utf-8")
            for name, result in _browser_load(paths, args.repeat).items():
                print(f"browser load (network off) {name:42s} {result}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
