"""Units for statistics (zoning.stats.units): checks and the boundary grid.

The checks refuse unusable unit layers; the boundary grid places pieces clear of every
boundary.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import stats_shapes as shapes
from hypothesis import given, settings
from hypothesis import strategies as st
from stats_shapes import X0, Y0, frame, sq

from zoning.errors import LayerValidationError
from zoning.stats import area_by_unit, validate_units


@pytest.fixture
def two_counties() -> gpd.GeoDataFrame:
    return shapes.two_counties()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_boundary_grid_never_calls_a_box_on_a_boundary_free(seed):
    from zoning.stats.units import _BoundaryGrid

    rng = np.random.default_rng(seed)
    # a few irregular units (stars clipped to a square) and boxes of many sizes around them
    units = [
        shapely.Polygon(
            np.c_[
                X0 + cx + r * np.cos(a) * (0.6 + 0.4 * rng.random(len(a))),
                Y0 + cy + r * np.sin(a) * (0.6 + 0.4 * rng.random(len(a))),
            ]
        )
        for cx, cy, r, a in [
            (rng.uniform(0, 50_000), rng.uniform(0, 50_000), rng.uniform(2_000, 20_000),
             np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(3, 200)))))
            for _ in range(4)
        ]
    ]  # fmt: skip
    units = np.array([u if u.is_valid else u.convex_hull for u in units], dtype=object)
    grid = _BoundaryGrid.of(units, n=int(rng.integers(32, 300)))
    x, y = np.array([[X0], [Y0]]) + rng.uniform(-10_000, 80_000, (2, 400))
    w, h = rng.uniform(1, 30_000, (2, 400)) ** rng.uniform(0.3, 1.0, (2, 400))
    bounds = np.c_[x, y, x + w, y + h]
    free = grid.free(bounds)
    boxes = shapely.box(*bounds.T)
    border = shapely.union_all(shapely.boundary(units))
    assert not shapely.intersects(boxes[free], border).any()
    # and a free box lies in one unit or none: the unit of its cell's centre
    cell, cx, cy = grid.centres(bounds[free, 0], bounds[free, 1])
    for box_, c in zip(boxes[free], cell, strict=True):
        pt = shapely.Point(cx[c], cy[c])
        assert [u.covers(box_) for u in units] == [u.contains(pt) for u in units]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_boundary_chunks_meet_the_boxes_an_rtree_of_the_chunks_meets(seed):
    """The bucketed chunk envelopes answer "does this box meet one" as an R-tree query does:
    the linestring chunks built by GEOS, closed envelopes (touching boxes meet)."""
    from zoning.stats.units import BoundaryChunks, _boundary_chunks

    rng = np.random.default_rng(seed)
    units = np.array(
        [
            shapely.Polygon(
                np.c_[
                    X0 + cx + r * np.cos(a) * (0.6 + 0.4 * rng.random(len(a))),
                    Y0 + cy + r * np.sin(a) * (0.6 + 0.4 * rng.random(len(a))),
                ]
            ).convex_hull
            for cx, cy, r, a in [
                (rng.uniform(0, 50_000), rng.uniform(0, 50_000), rng.uniform(500, 20_000),
                 np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(3, 100)))))
                for _ in range(3)
            ]
        ],
        dtype=object,
    )  # fmt: skip
    env = _boundary_chunks(units)
    # the envelopes are those of the chunks as GEOS linestrings of consecutive vertices
    rings = shapely.segmentize(
        shapely.get_exterior_ring(units),
        max(np.ptp(shapely.total_bounds(units).reshape(2, 2), axis=0)) / 2000.0,
    )
    lines = [
        shapely.LineString(c[i : i + 3])
        for c in (shapely.get_coordinates(r) for r in rings)
        for i in range(0, len(c) - 1, 2)
    ]
    assert np.array_equal(env, shapely.bounds(np.array(lines, dtype=object)))
    chunks = BoundaryChunks.of(env)
    x, y = np.array([[X0], [Y0]]) + rng.uniform(-30_000, 100_000, (2, 300))
    w, h = rng.uniform(0, 40_000, (2, 300)) ** rng.uniform(0.2, 1.0, (2, 300))
    pick = env[rng.integers(0, len(env), 100)]
    bounds = np.r_[
        np.c_[x, y, x + w, y + h],
        np.c_[pick[:, 2], pick[:, 3], pick[:, 2] + 1.0, pick[:, 3] + 1.0],  # corner to corner
        np.c_[np.nextafter(pick[:, 2], np.inf), pick[:, 1], pick[:, 2] + 1.0, pick[:, 3]],
    ]
    tree = shapely.STRtree(np.array(lines, dtype=object))
    expected = np.zeros(len(bounds), dtype=bool)
    expected[tree.query(shapely.box(*bounds.T))[0]] = True
    got = chunks.hits(bounds)
    assert np.array_equal(got, expected)
    assert got[300:400].all()  # a box touching an envelope's corner meets it


def test_boundary_chunks_find_envelopes_filed_in_the_margin_cells():
    """Envelopes 10 wide: cells just over 10. A box meets an envelope filed in its own cell
    (settled by the first round), one filed in the cell left of and below its own (only the
    second round, over the margin, finds it), one only at a corner, and none."""
    from zoning.stats.units import BoundaryChunks

    env = np.array([[0.0, 0, 10, 10], [50, 50, 60, 60], [95, 95, 100, 100]])
    chunks = BoundaryChunks.of(env)
    assert 10 < chunks.size < 10.001
    boxes = np.array(
        [
            [12.0, 12, 13, 13],  # right of and above the first envelope: meets nothing
            [9, 9, 9.5, 9.5],  # inside the first, same cell
            [59, 59, 65, 65],  # overlaps the second, filed in cell (4, 4); the box's are 5, 6
            [100, 100, 101, 101],  # touches the third's upper-right corner
        ]
    )
    assert np.floor((50.0 - chunks.x0) / chunks.size) == 4  # the cells the test files by
    assert np.floor((59.0 - chunks.x0) / chunks.size) == 5
    assert chunks.hits(boxes).tolist() == [False, True, True, True]
    assert chunks.hits(boxes[2:3]).tolist() == [True]


def test_duplicate_unit_ids_are_refused(two_counties):
    units = two_counties.assign(adcode=["140101", "140101"])
    with pytest.raises(LayerValidationError, match="140101 occur more than once"):
        area_by_unit(units, {"eco_redline": frame([sq(0, 0, 10)])})


def test_overlapping_units_are_refused(two_counties):
    units = pd.concat([two_counties, frame([sq(0, 0, 15_000)], adcode=["140000"])])
    problems = validate_units(units)
    assert [p.code for p in problems] == ["overlapping_units"]
    with pytest.raises(LayerValidationError, match="overlap"):
        area_by_unit(units, {"eco_redline": frame([sq(0, 0, 10)])})


def test_missing_unit_field_is_refused(two_counties):
    with pytest.raises(LayerValidationError, match="no column 'code'"):
        area_by_unit(two_counties, {}, unit_id="code")


def test_units_without_crs_are_refused(two_counties):
    units = gpd.GeoDataFrame({"adcode": ["1"]}, geometry=[sq(0, 0, 10)])
    with pytest.raises(LayerValidationError, match="no CRS"):
        area_by_unit(units, {})


@pytest.mark.parametrize("crs", [None, "EPSG:4490"])
def test_prepared_units_are_the_same_with_and_without_validation(two_counties, crs):
    """Validation projects and repairs the units; prepare_units takes those geometries rather
    than doing it again, and must get exactly what it gets on its own."""
    from zoning.stats import prepare_units

    units = two_counties if crs is None else two_counties.to_crs(crs)
    checked = prepare_units(units)
    alone = prepare_units(units, validate=False)
    assert shapely.to_wkb(checked.geoms).tolist() == shapely.to_wkb(alone.geoms).tolist()
    assert checked.ids.tolist() == alone.ids.tolist()
    assert np.array_equal(checked.grid.marked_sat, alone.grid.marked_sat)
    assert np.array_equal(checked.chunks.env, alone.chunks.env)
    # and they are private copies: preparing them leaves the caller's geometries alone
    assert not any(g is u for g, u in zip(checked.geoms, units.geometry.values, strict=True))
