"""Tests of zoning.maps.raster: inline PNG overlays, nodata, reprojection, subsampling."""

from __future__ import annotations

import base64
import io

import folium
import numpy as np
import pytest

from zoning import maps
from zoning.errors import CRSError


def _decode_overlay_png(m: folium.Map) -> np.ndarray:
    import matplotlib.image as mpimg

    overlay = next(
        c for c in m._children.values() if isinstance(c, folium.raster_layers.ImageOverlay)
    )
    url = overlay.url
    assert url.startswith("data:image/png;base64,")
    return mpimg.imread(io.BytesIO(base64.b64decode(url.split(",", 1)[1])), format="png")


def test_raster_overlay_nodata_transparent_and_legend():
    arr = np.arange(12, dtype=float).reshape(3, 4)
    arr[:, 3] = -9999.0  # nodata column
    m = maps.new_map()
    maps.add_raster(m, arr, (112.0, 37.0, 112.4, 37.3), name="修复 / Priority", nodata=-9999)
    png = _decode_overlay_png(m)
    assert png.shape[1] == 4 and png.shape[2] == 4
    assert np.all(png[:, 3, 3] == 0.0)  # nodata column transparent in every row
    assert np.all(png[:, :3, 3] == 1.0)
    info = maps.map_info(m)
    heading, entries, layer = info.legends[-1]
    assert layer.startswith("image_overlay_")
    assert heading == "修复 / Priority"
    assert entries[0].label == "0 – 10"  # valid values 0..10 (column 3 excluded)


def test_raster_bounds_must_be_lonlat():
    with pytest.raises(CRSError, match="not lon/lat"):
        maps.add_raster(maps.new_map(), np.ones((2, 2)), (500000, 4e6, 510000, 4.01e6), name="r")


def test_projected_raster_is_reprojected_for_display():
    from affine import Affine
    from pyproj import Transformer

    # 10 x 10 km grid of 1 km cells in CGCS2000 3-degree GK, central meridian 114° E
    transform = Affine(1000.0, 0.0, 500000.0, 0.0, -1000.0, 4210000.0)
    arr = np.arange(100, dtype=float).reshape(10, 10)
    m = maps.new_map()
    overlay = maps.add_raster(m, arr, name="r", transform=transform, crs="EPSG:4547")
    (s, w), (n, e) = overlay.bounds
    to_ll = Transformer.from_crs("EPSG:4547", "EPSG:4326", always_xy=True)
    # the grid's west edge lies on the central meridian: x = 500 000 m is exactly 114° E
    assert w == pytest.approx(114.0, abs=1e-6)
    lon_ne, lat_ne = to_ll.transform(510000.0, 4210000.0)
    lon_se, lat_sw = to_ll.transform(510000.0, 4200000.0)[0], to_ll.transform(500000, 4200000)[1]
    assert n == pytest.approx(lat_ne, abs=0.01)  # within one output cell
    assert s == pytest.approx(lat_sw, abs=0.01)
    assert e == pytest.approx(max(lon_ne, lon_se), abs=0.01)
    with pytest.raises(CRSError, match="no crs"):
        maps.add_raster(m, arr, name="r", transform=transform)


def test_large_raster_is_subsampled_and_noted():
    m = maps.new_map()
    maps.add_raster(m, np.ones((300, 50)), (112, 37, 112.1, 37.6), name="大 / big", max_size=100)
    png = _decode_overlay_png(m)
    assert png.shape[1] == 17  # ceil(300 / 100) = 3: every 3rd of 50 columns → 17
    assert any("1 cell in 3 per row and column" in note for note in maps.map_info(m).notes)
