"""Overlaps between control lines and the strictest-designation-wins layer: exact answers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely import box

from zoning.crs import ALBERS_CHINA
from zoning.stats.overlaps import (
    OVERLAP_COLUMNS,
    flatten_designations,
    flattened_areas,
    overlap_table,
)

X0, Y0 = 650_000.0, 4_250_000.0


def sq(x, y, w, h=None):
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + (w if h is None else h))


def frame(geoms, **cols):
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=ALBERS_CHINA)


@pytest.fixture
def units():
    return frame([sq(0, 0, 10_000), sq(10_000, 0, 10_000)], adcode=["A", "B"])


@pytest.fixture
def layers():
    # red line: general 4x4 km with a 2x2 km core inside (in A)
    red = frame([sq(0, 0, 4_000), sq(1_000, 1_000, 2_000)], zone=["general", "core"])
    # basic farmland strip x 3..13 km, y 0..2 km: 14 km² in A, 6 km² in B
    farm = frame([sq(3_000, 0, 10_000, 2_000)], zone=["all"])
    # urban boundary x 12..14, y 1..3 km (in B): overlaps the farmland on x 12..13, y 1..2 = 1 km²
    urban = frame([sq(12_000, 1_000, 2_000)], zone=["all"])
    return {"eco_redline": red, "basic_farmland": farm, "urban_boundary": urban}


def pick(t, unit, ka, za, kb, zb):
    sel = t[(t.unit_id == unit) & (t.kind_a == ka) & (t.zone_a == za) & (t.kind_b == kb)]
    sel = sel[sel.zone_b == zb]
    assert len(sel) <= 1
    return sel.iloc[0] if len(sel) else None


def test_overlap_table_three_lines(units, layers):
    t = overlap_table(units, layers)
    assert list(t.columns) == OVERLAP_COLUMNS
    # farmland x red line (general): x 3..4, y 0..2 km = 2 km² in A; none with the core
    r = pick(t, "A", "basic_farmland", "all", "eco_redline", "all")
    assert r.overlap_km2 == pytest.approx(2.0)
    assert r.share_of_unit_pct == pytest.approx(2.0)
    assert r.share_of_a_pct == pytest.approx(100 * 2 / 14)  # of the farmland in A
    assert r.share_of_b_pct == pytest.approx(100 * 2 / 16)  # of the red line in A
    assert pick(t, "A", "basic_farmland", "all", "eco_redline", "core") is None
    # farmland x urban boundary: 1 km² in B
    r = pick(t, "B", "basic_farmland", "all", "urban_boundary", "all")
    assert r.overlap_km2 == pytest.approx(1.0)
    assert pick(t, "A", "eco_redline", "all", "urban_boundary", "all") is None


def test_overlap_pairs_can_be_restricted(units, layers):
    t = overlap_table(units, layers, pairs=[("urban_boundary", "basic_farmland")])
    assert set(zip(t.kind_a, t.kind_b, strict=True)) == {("basic_farmland", "urban_boundary")}


def test_flattened_layer_strictest_wins_and_adds_up(units, layers):
    flat = flatten_designations(layers)
    areas = flat.groupby("designation").geometry.apply(lambda g: g.area.sum() / 1e6)
    assert areas["eco_redline:core"] == pytest.approx(4.0)
    assert areas["eco_redline:general"] == pytest.approx(12.0)  # 16 minus the core
    assert areas["basic_farmland:all"] == pytest.approx(18.0)  # 20 minus 2 under the red line
    assert areas["urban_boundary:all"] == pytest.approx(3.0)  # 4 minus 1 under farmland
    # pieces never overlap: total = area of the union of everything = 16 + 18 + 3
    assert flat.area.sum() / 1e6 == pytest.approx(37.0)
    table = flattened_areas(units, flat)
    for unit in ("A", "B"):
        rows = table[table.unit_id == unit]
        assert rows.area_km2.sum() == pytest.approx(100.0)  # designations + none = unit
        assert rows.share_pct.sum() == pytest.approx(100.0)
    a = table[table.unit_id == "A"].set_index("designation")
    assert a.loc["basic_farmland:all", "area_km2"] == pytest.approx(12.0)
    assert a.loc["none", "area_km2"] == pytest.approx(100 - 4 - 12 - 12)


def test_custom_order_changes_the_winner(units, layers):
    flat = flatten_designations(
        layers, order=["basic_farmland:all", "eco_redline:all", "urban_boundary:all"]
    )
    areas = flat.groupby("designation").geometry.apply(lambda g: g.area.sum() / 1e6)
    assert areas["basic_farmland:all"] == pytest.approx(20.0)
    assert areas["eco_redline:all"] == pytest.approx(14.0)
    assert np.array_equal(flat["rank"].unique(), [1, 2, 3])
