"""Measure first, then dissolve (zoning.stats.order): pairs are tested only where they share a unit.

Hand-worked shapes in kilometres (areas in km²): units X and Y side by side, features that
touch, overlap across the X|Y line, overlap outside every unit, units overlapping by a sliver.
Every case is also run through the full dissolve (every pair tested): same areas.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from stats_shapes import X0, Y0, frame, row

from zoning.stats import area_by_unit, dissolve_layers
from zoning.stats.order import shares_unit


def km(*xy: tuple[float, float]) -> shapely.Polygon:
    """Polygon with vertices given in km from (X0, Y0)."""
    return shapely.Polygon([(X0 + 1_000 * x, Y0 + 1_000 * y) for x, y in xy])


def kbox(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """Rectangle [x0, x1] x [y0, y1] in km from (X0, Y0)."""
    return shapely.box(X0 + 1_000 * x0, Y0 + 1_000 * y0, X0 + 1_000 * x1, Y0 + 1_000 * y1)


def units_xy(x_right: float = 2.0):
    """X = [0, x_right] x [0, 2], Y = [2, 4] x [0, 2] (overlapping when x_right > 2)."""
    return frame([kbox(0, 0, x_right, 2), kbox(2, 0, 4, 2)], adcode=["140101", "140102"])


def areas(units, geoms, *, validate=True) -> tuple[float, float]:
    """km² of the layer in X and in Y, by the new order; checked against the full dissolve."""
    layers = {"eco_redline": frame(geoms)}
    out = area_by_unit(units, layers, validate=validate, n_jobs=2)
    full = area_by_unit(
        units, layers, validate=validate, n_jobs=2, dissolved=dissolve_layers(layers, n_jobs=2)
    )
    x, y = (row(out, u, "eco_redline").area_km2 for u in ("140101", "140102"))
    fx, fy = (row(full, u, "eco_redline").area_km2 for u in ("140101", "140102"))
    assert (x, y) == pytest.approx((fx, fy), rel=1e-12, abs=1e-15)
    return x, y


def test_shares_unit_wants_a_unit_where_both_have_a_row():
    # rows: feature 0 in unit 0; 1 in 0 and 1; 2 in 1; 3 in 2
    piece, unit = np.array([1, 0, 2, 1, 3]), np.array([1, 0, 1, 0, 2])
    left, right = np.array([0, 0, 1, 2, 0]), np.array([1, 2, 2, 3, 4])
    assert shares_unit(left, right, piece, unit, 3).tolist() == [True, False, True, False, False]
    assert shares_unit(left[:0], right[:0], piece, unit, 3).tolist() == []


def test_touching_features_in_their_own_units_are_not_linked(monkeypatch):
    # X is an L ([0,4]x[0,2] and [0,2]x[2,4]), Y = [2,4]x[2,4]; A (in X) is an L around B (in Y):
    # their envelopes overlap, their interiors only touch. A = 2 + 1 km², B = 1 km²
    units = frame(
        [km((0, 0), (4, 0), (4, 2), (2, 2), (2, 4), (0, 4)), kbox(2, 2, 4, 4)],
        adcode=["140101", "140102"],
    )
    a = km((1, 1), (3, 1), (3, 2), (2, 2), (2, 3), (1, 3))
    b = kbox(2, 2, 3, 3)
    import zoning.stats.dissolve as dissolve

    tested = []
    real = dissolve._interiors_overlap
    monkeypatch.setattr(
        dissolve, "_interiors_overlap", lambda g, p, n: tested.append(len(p)) or real(g, p, n)
    )
    out = area_by_unit(units, {"eco_redline": frame([a, b])})
    assert row(out, "140101", "eco_redline").area_km2 == pytest.approx(3.0, rel=1e-12)
    assert row(out, "140102", "eco_redline").area_km2 == pytest.approx(1.0, rel=1e-12)
    assert tested == []  # the pair shares no unit: never tested


def test_overlap_across_the_unit_line_is_counted_once():
    # A = [1,3]x[0,1], B = [1.5,3.5]x[0.5,1.5]; overlap [1.5,3]x[0.5,1] (0.25 in X, 0.5 in Y)
    # X: 1 + 0.5 - 0.25 = 1.25; Y: 1 + 1.5 - 0.5 = 2
    x, y = areas(units_xy(), [kbox(1, 0, 3, 1), kbox(1.5, 0.5, 3.5, 1.5)])
    assert (x, y) == pytest.approx((1.25, 2.0), rel=1e-12)


def test_feature_inside_x_overlapping_one_across_the_line():
    # A = [0.5,1.5]^2 in X; B = [1,3]x[1,1.8] straddles; A∩B = [1,1.5]x[1,1.5] = 0.25
    # X: 1 + 0.8 - 0.25 = 1.55; Y: 0.8
    x, y = areas(units_xy(), [kbox(0.5, 0.5, 1.5, 1.5), kbox(1, 1, 3, 1.8)])
    assert (x, y) == pytest.approx((1.55, 0.8), rel=1e-12)


def test_overlap_outside_every_unit():
    # A = [0,1]x[1,3] (1 in X); B (2.25) has [1,2]x[1,2] in X and a tab [0.5,1]x[2.5,3] that
    # overlaps A above the units: in X they only touch, 1 + 1 = 2
    b = km((1, 1), (2, 1), (2, 3), (0.5, 3), (0.5, 2.5), (1, 2.5))
    x, y = areas(units_xy(), [kbox(0, 1, 1, 3), b])
    assert (x, y) == pytest.approx((2.0, 0.0), abs=1e-12)


def test_features_outside_every_unit_count_nowhere():
    # two overlapping squares far away, and a square in X (1)
    x, y = areas(units_xy(), [kbox(10, 10, 11, 11), kbox(10.5, 10.5, 11.5, 11.5), kbox(0, 0, 1, 1)])
    assert (x, y) == pytest.approx((1.0, 0.0), abs=1e-12)


def test_units_overlapping_by_a_sliver():
    # X = [0,2.001]x[0,2] overlaps Y in [2,2.001]x[0,2]; A = [1,2.0005]x[0,1],
    # B = [2.0002,3]x[0,1] overlap in [2.0002,2.0005]x[0,1], inside both units:
    # X: union ∩ X = [1,2.001]x[0,1] = 1.001 (not 1.0005 + 0.0008); Y: [2,3]x[0,1] = 1
    x, y = areas(units_xy(2.001), [kbox(1, 0, 2.0005, 1), kbox(2.0002, 0, 3, 1)], validate=False)
    assert (x, y) == pytest.approx((1.001, 1.0), rel=1e-12)


def test_group_of_three_spanning_units():
    # A = [0.5,1.5]^2, B = [1,3]x[0.8,1.2], C = [2.5,3.5]x[0.2,1]: A–B overlap in X (0.2),
    # B–C in Y (0.1). X: 1 + 0.4 - 0.2 = 1.2; Y: 0.4 + 0.8 - 0.1 = 1.1
    x, y = areas(
        units_xy(), [kbox(0.5, 0.5, 1.5, 1.5), kbox(1, 0.8, 3, 1.2), kbox(2.5, 0.2, 3.5, 1)]
    )
    assert (x, y) == pytest.approx((1.2, 1.1), rel=1e-12)
