"""Static map images (zoning.maps.static): drawn, deterministic, scaled in metres."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from zoning.maps.static import choropleth_png, nice_scale_length, site_map_png


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@pytest.mark.parametrize(
    ("width", "bar"), [(4_000, 1_000), (10_000, 2_000), (25_000, 5_000), (380_000, 50_000)]
)
def test_scale_bar_is_a_round_quarter_of_the_width(width, bar):
    # the largest 1, 2 or 5 × 10ⁿ metres not above a quarter of the width, worked by hand
    assert nice_scale_length(width) == bar


def test_site_map_draws_sites_zones_and_counties_deterministically():
    site = gpd.GeoDataFrame(
        {"site_id": ["S1"], "verdict": ["prohibited"]},
        geometry=[box(112.50, 37.80, 112.51, 37.81)],
        crs="EPSG:4490",
    )
    zones = gpd.GeoDataFrame(
        {"layer_kind": ["eco_redline"], "zone": ["general"]},
        geometry=[box(112.49, 37.79, 112.505, 37.82)],
        crs="EPSG:4490",
    )
    county = gpd.GeoDataFrame(
        {"name": ["迎泽区"]}, geometry=[box(112.4, 37.7, 112.6, 37.9)], crs="EPSG:4490"
    )
    png = site_map_png(site, zones, context=county, title="测试 / test")
    assert png == site_map_png(site, zones, context=county, title="测试 / test")
    rgb = _pixels(png).astype(int)
    red_line = (abs(rgb[..., 0] - 0xD7) < 25) & (rgb[..., 1] < 120) & (rgb[..., 2] < 120)
    assert red_line.sum() > 500  # the red-line zone is filled in its map colour
    assert (rgb.sum(axis=2) < 300).mean() > 0.001  # text, outlines and the scale bar


def test_choropleth_uses_the_html_classes():
    units = gpd.GeoDataFrame(
        {"v": [0.0, 10.0, 20.0, 30.0, 40.0]},
        geometry=[box(110 + i, 36, 111 + i, 37) for i in range(5)],
        crs="EPSG:4490",
    )
    png = choropleth_png(units, "v", legend_title="占比 / share (%)", title="t", classes=4)
    from zoning.maps.choropleth import palette

    rgb = _pixels(png).astype(int)
    for color in palette("YlOrRd", 4):
        r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
        near = (abs(rgb[..., 0] - r) < 6) & (abs(rgb[..., 1] - g) < 6) & (abs(rgb[..., 2] - b) < 6)
        assert near.sum() > 100, color  # every class colour is on the map


def test_a_cjk_font_installed_after_matplotlib_cached_its_list_is_found(monkeypatch):
    """matplotlib's font list, cached before the CJK font was installed, lacks it: the map adds
    the system fonts missing from the list, and Chinese labels find their font."""
    from matplotlib import font_manager

    from zoning.maps import static

    cjk = [f.fname for f in font_manager.fontManager.ttflist if f.name in static._CJK_FONTS] or [
        p
        for p in font_manager.findSystemFonts()
        if font_manager.FontProperties(fname=p).get_name() in static._CJK_FONTS
    ]
    if not cjk:
        pytest.skip("no CJK font installed (make browser installs fonts-wqy-microhei)")
    stale = font_manager.FontManager()  # a fresh list, then every face of the CJK files out
    files = {f.fname for f in stale.ttflist if f.name in static._CJK_FONTS}
    stale.ttflist = [f for f in stale.ttflist if f.fname not in files]
    monkeypatch.setattr(font_manager, "fontManager", stale)
    static._fonts_installed_since_cached.cache_clear()
    try:
        assert static._fonts_installed_since_cached() >= 1
        assert {f.name for f in stale.ttflist} & set(static._CJK_FONTS)
        assert static._fonts_installed_since_cached.__wrapped__() == 0  # known now: no scan
    finally:
        static._fonts_installed_since_cached.cache_clear()
