"""Planning units and criteria (zoning.restoration.units, zoning.restoration.criteria)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely import LineString, Point, box

from zoning.errors import CriteriaError, CRSError, ProjectionError
from zoning.restoration import criteria as cr
from zoning.restoration.units import grid_units, polygon_units

GK = "EPSG:4547"  # CGCS2000 / 3-degree GK CM 114E


@pytest.fixture
def square_units():
    # two 1 km x 1 km units side by side near 114E, in GK metres
    return polygon_units(
        gpd.GeoDataFrame(
            {"code": ["u1", "u2"]},
            geometry=[box(500000, 4000000, 501000, 4001000), box(501000, 4000000, 502000, 4001000)],
            crs=GK,
        ),
        id_field="code",
    )


def test_polygon_units_are_albers_with_true_areas(square_units):
    assert square_units.index.tolist() == ["u1", "u2"]
    assert square_units.crs.is_projected
    # 1 km2 = 100 ha; GK -> Albers keeps area to about 1e-4 near the GK central meridian
    assert square_units["area_ha"].tolist() == pytest.approx([100.0, 100.0], rel=1e-3)


def test_unit_half_covered_gets_half(square_units):
    # the layer covers the western half of u1 and nothing of u2
    layer = gpd.GeoDataFrame(geometry=[box(500000, 4000000, 500500, 4001000)], crs=GK)
    share = cr.coverage_share(square_units, layer)
    assert share["u1"] == pytest.approx(0.5, abs=1e-6)
    assert share["u2"] == 0.0


def test_overlapping_features_are_counted_once(square_units):
    layer = gpd.GeoDataFrame(
        geometry=[box(500000, 4000000, 500500, 4001000), box(500000, 4000000, 500500, 4001000)],
        crs=GK,
    )
    assert cr.coverage_share(square_units, layer)["u1"] == pytest.approx(0.5, abs=1e-6)


def test_distance_km(square_units):
    # a river line 3 km east of u2's east edge, parallel to it (edges are not curved much)
    river = gpd.GeoDataFrame(geometry=[LineString([(505000, 3990000), (505000, 4010000)])], crs=GK)
    d = cr.distance_km(square_units, river)
    assert d["u2"] == pytest.approx(3.0, rel=2e-3)
    assert d["u1"] == pytest.approx(4.0, rel=2e-3)
    capped = cr.distance_km(square_units, river, max_km=3.5)
    assert capped["u1"] == 3.5
    empty = cr.distance_km(square_units, river.iloc[:0], max_km=10)
    assert empty.tolist() == [10.0, 10.0]


def test_measures_refuse_degrees():
    units = gpd.GeoDataFrame(geometry=[box(112, 38, 112.01, 38.01)], crs="EPSG:4490")
    with pytest.raises(ProjectionError):
        cr.coverage_share(units, units)


def test_grid_units_clip_and_cover_the_study_area():
    area = gpd.GeoDataFrame(geometry=[Point(500000, 4000000).buffer(5000)], crs=GK)
    units = grid_units(area, cell_size_m=1000)
    # the clipped cells tile the disc: total area = pi r^2 (polygonised circle) within 1e-3
    assert units["area_ha"].sum() * 1e4 == pytest.approx(
        area.to_crs(units.crs).area.sum(), rel=1e-6
    )
    assert units["area_ha"].max() == pytest.approx(100.0)
    assert units.attrs["grid"]["transform"].a == 1000
    assert units.index.is_unique
    again = grid_units(area, cell_size_m=1000)
    assert again.index.equals(units.index)


def test_grid_units_need_a_crs():
    with pytest.raises(CRSError, match="no CRS"):
        grid_units(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)]), cell_size_m=1000)


def test_landcover_tables():
    lc = np.array([[10.0, 16.0], [1.0, np.nan]])
    veg = cr.vegetation_degradation(lc)
    assert veg[0, 1] == 1.0  # barren is the most degraded
    assert veg[0, 0] == pytest.approx(0.6)
    assert np.isnan(veg[1, 1])


def test_rusle_slope_factor_by_hand():
    # McCool 1987: 5 degrees (8.7 % < 9 %): S = 10.8 sin 5° + 0.03 = 0.9713;
    # 20 degrees: S = 16.8 sin 20° - 0.5 = 5.2459
    s = cr.slope_factor(np.array([5.0, 20.0]))
    assert s.tolist() == pytest.approx([0.9713, 5.2459], abs=1e-4)
    # the index multiplies R, LS and C: grassland (C 0.08) on 20 degrees with R = 2
    e = cr.erosion_index(np.array([10.0]), slope_deg=np.array([20.0]), rainfall_factor=2.0)
    assert e[0] == pytest.approx(2 * 5.2459 * 0.08, abs=1e-4)


def test_slope_from_a_dem_ramp():
    # elevation rises 100 m per 1000 m cell eastwards: slope = atan(0.1) = 5.711 degrees
    dem = np.tile(np.arange(5) * 100.0, (4, 1))
    assert cr.slope_degrees(dem, cell_size_m=1000.0)[1, 2] == pytest.approx(5.7106, abs=1e-3)


def test_align_raster_and_unit_means(tmp_path, square_units):
    import rasterio

    # a 2 x 2 source grid in GK (1 km cells) with class 10 west and 16 east
    path = tmp_path / "lc.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=2,
        height=1,
        count=1,
        dtype="uint8",
        nodata=255,
        transform=Affine(1000, 0, 500000, 0, -1000, 4001000),
        crs=GK,
    ) as dst:
        dst.write(np.array([[10, 16]], dtype=np.uint8), 1)
    transform, shape = cr.raster_grid(square_units, resolution_m=100)
    lc = cr.align_raster(path, crs=square_units.crs, transform=transform, shape=shape)
    means = cr.unit_means(
        square_units,
        {"veg": cr.vegetation_degradation(lc)},
        transform=transform,
        crs=square_units.crs,
    )
    # u1 is grassland (0.6), u2 barren (1.0); the Albers grid does not align with GK exactly,
    # so edge cells of nearest resampling blur a little
    assert means.loc["u1", "veg"] == pytest.approx(0.6, abs=0.03)
    assert means.loc["u2", "veg"] == pytest.approx(1.0, abs=0.03)


def test_align_raster_without_crs_needs_one(tmp_path):
    import rasterio

    path = tmp_path / "nocrs.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="float32",
        transform=Affine(1, 0, 0, 0, -1, 2),
    ) as dst:
        dst.write(np.ones((2, 2), dtype=np.float32), 1)
    with pytest.raises(CRSError, match="declares no CRS"):
        cr.align_raster(path, crs=GK, transform=Affine(1, 0, 0, 0, -1, 2), shape=(2, 2))


def test_interventions_and_cost():
    raw = pd.DataFrame({"subsidence": [0.3, 0.0, 0.0], "erosion": [0.1, 0.9, 0.2]})
    rules = [
        {"name": "mine", "when": {"subsidence": {"min": 0.05}}},
        {"name": "erosion", "when": {"erosion": {"min": 0.5}}},
        {"name": "revegetate"},
    ]
    iv = cr.assign_interventions(raw, rules)
    assert iv.tolist() == ["mine", "erosion", "revegetate"]
    cost = cr.intervention_cost(
        pd.Series([2.0, 2.0, 2.0]), iv, {"mine": 100.0, "erosion": 10.0, "revegetate": 1.0}
    )
    assert cost.tolist() == [200.0, 20.0, 2.0]
    with pytest.raises(CriteriaError, match="No cost per hectare"):
        cr.intervention_cost(pd.Series([1.0]), pd.Series(["x"]), {"y": 1.0})
    with pytest.raises(CriteriaError, match="not computed"):
        cr.assign_interventions(raw, [{"name": "x", "when": {"slope": {"min": 1}}}])
