"""The synthetic nation (zoning.datasets.nation): seeded, counties tiling the outline, sizes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from zoning.crs import ALBERS_CHINA
from zoning.datasets.nation import (
    china_outline,
    cut_by_units,
    grid_control_units,
    nation,
    write_nation,
)

N_COUNTIES, N_FEATURES = 40, 2000


def test_outline_is_china_sized():
    area_km2 = china_outline().area / 1e6
    assert 9.0e6 < area_km2 < 10.0e6  # China: ~9.6 M km²


def test_nation_is_seeded_and_tiles_the_outline():
    units, layers = nation(N_FEATURES, n_counties=N_COUNTIES)
    again, layers2 = nation(N_FEATURES, n_counties=N_COUNTIES)
    wkb = shapely.to_wkb
    assert list(wkb(units.geometry.values)) == list(wkb(again.geometry.values))  # same seed
    for kind in layers:
        assert list(wkb(layers[kind].geometry.values)) == list(wkb(layers2[kind].geometry.values))
    assert len(units) == N_COUNTIES and units.adcode.is_unique
    # the counties tile the outline: their areas add up to it and none overlap
    total = shapely.area(units.geometry.values).sum()
    outline = china_outline().area
    assert abs(total - outline) <= 1e-9 * outline
    assert abs(shapely.union_all(units.geometry.values).area - outline) <= 1e-9 * outline
    n = sum(len(v) for v in layers.values())
    assert 0.85 * N_FEATURES <= n <= 1.15 * N_FEATURES, n


def test_cut_layers_stay_inside_one_county_each():
    units, layers = nation(N_FEATURES, n_counties=N_COUNTIES)
    assert units.crs == ALBERS_CHINA
    ug = np.asarray(units.geometry.values)
    tree = shapely.STRtree(ug)
    for kind, frame in layers.items():
        geoms = np.asarray(frame.geometry.values)
        assert (shapely.get_type_id(geoms) == 3).all(), kind  # one Polygon per feature
        # each cut feature is covered by a county (within a millimetre of float noise)
        inside = tree.query(shapely.buffer(geoms, -1e-3), predicate="within")
        assert len(np.unique(inside[0])) == len(geoms), kind


def test_cut_by_units_splits_a_feature_on_a_county_line():
    units, _ = nation(10, n_counties=4)
    a, b = units.geometry.values[0], units.geometry.values[1]
    shared = shapely.intersection(a.boundary, b.boundary)
    assert shared.length > 0
    blob = units.iloc[:1].copy()
    parts = shapely.get_parts(shapely.line_merge(shared))
    edge = parts[np.argmax(shapely.length(parts))]  # the middle of the longest shared edge
    blob["geometry"] = [
        shapely.buffer(shapely.line_interpolate_point(edge, 0.5, normalized=True), 1e3)
    ]
    cut = cut_by_units(blob, units, np.array(["general"], dtype=object))
    assert len(cut) == 2
    assert abs(cut.area.sum() - blob.area.sum()) <= 1e-9 * blob.area.sum()
    control = grid_control_units(units, 50, seed=1)
    assert abs(control.area.sum() - units.area.sum()) <= 1e-9 * units.area.sum()


def test_write_nation_writes_lonlat_parquet_and_a_catalogue(tmp_path):
    from zoning.catalog import load_catalog

    units, layers = nation(300, n_counties=10)
    catalog, counties = write_nation(tmp_path, units, layers)
    cat = load_catalog(catalog)
    assert sorted(cat.kinds) == sorted(layers)
    back = gpd.read_parquet(counties)
    assert back.crs.to_epsg() == 4490 and list(back.adcode) == list(units.adcode)
