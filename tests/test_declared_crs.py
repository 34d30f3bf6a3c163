"""Tests for zoning.declared_crs: a declared CRS used only where the data has none, wrong ones caught."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import Point

from zoning import declared_crs as zd
from zoning.errors import CRSError

# ---------------------------------------------------------------- ensure_crs


def _pts(xy, crs=None):
    return gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in xy], crs=crs)


def test_ensure_crs_missing_without_declaration():
    with pytest.raises(CRSError) as info:
        zd.ensure_crs(_pts([(112.5, 37.8)]), what="layer 'rivers'")
    msg = str(info.value)
    assert "rivers" in msg and 'crs = "EPSG:4490"' in msg and "--crs" in msg


def test_ensure_crs_declared_used_only_when_missing():
    out = zd.ensure_crs(_pts([(112.5, 37.8)]), "EPSG:4490")
    assert out.crs.to_epsg() == 4490
    own = _pts([(112.5, 37.8)], crs="EPSG:4326")
    assert zd.ensure_crs(own, "EPSG:4490").crs.to_epsg() == 4326


def test_ensure_crs_projected_metres_labelled_4490():
    data = _pts([(530_000.0, 4_190_000.0), (560_000.0, 4_200_000.0)])
    with pytest.raises(CRSError) as info:
        zd.ensure_crs(data, "EPSG:4490")
    msg = str(info.value)
    assert "projected metres" in msg and "EPSG:4547" in msg


def test_ensure_crs_zone_prefixed_metres_suggests_zone():
    data = _pts([(38_530_000.0, 4_190_000.0), (38_560_000.0, 4_200_000.0)], crs="EPSG:4490")
    with pytest.raises(CRSError, match="EPSG:4526"):  # zone 38 → CM 114 → EPSG:4526
        zd.ensure_crs(data)


def test_ensure_crs_swapped_lonlat():
    with pytest.raises(CRSError, match="swapped"):
        zd.ensure_crs(_pts([(37.87, 112.55), (36.2, 113.1)]), "EPSG:4490")


def test_ensure_crs_gk_checks():
    ok = _pts([(530_000.0, 4_190_000.0)], crs="EPSG:4547")
    assert zd.ensure_crs(ok) is ok
    with pytest.raises(CRSError, match="look like lon/lat degrees"):
        zd.ensure_crs(_pts([(112.55, 37.87)], crs="EPSG:4547"))
    with pytest.raises(CRSError, match="far outside China"):  # prefixed eastings in 4547
        zd.ensure_crs(_pts([(38_530_000.0, 4_190_000.0)], crs="EPSG:4547"))


def test_ensure_crs_plausible_passes_and_empty_ok():
    gdf = _pts([(110.3, 34.7), (114.5, 40.6)], crs="EPSG:4490")
    assert zd.ensure_crs(gdf) is gdf
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:4490")
    assert zd.ensure_crs(empty) is empty
