"""Shoelace areas of packed polygons and their rounding bound (zoning.stats.ring_area)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import shapely
from stats_shapes import X0, Y0, random_stars

from zoning.polyarea import pack
from zoning.stats.ring_area import polygon_areas


def _exact(packed, g: int) -> Fraction:
    """Area of packed geometry ``g`` in exact rational arithmetic (exteriors minus holes)."""
    total = Fraction(0)
    for r in range(packed.ring_start[g], packed.ring_end[g]):
        ring = packed.coords[packed.ring_off[r] : packed.ring_off[r + 1]]
        xs = [Fraction(float(v)) for v in ring[:, 0]]
        ys = [Fraction(float(v)) for v in ring[:, 1]]
        twice = sum(xs[i] * ys[i + 1] - xs[i + 1] * ys[i] for i in range(len(xs) - 1))
        total += abs(twice) if packed.ring_ext[r] else -abs(twice)
    return total / 2


def test_areas_by_hand():
    # a 4 x 4 square with a 1 x 1 hole (15); a triangle of base 6 and height 3 given
    # clockwise (9); two squares 2 x 2 and 1 x 1 as one multipolygon (5); an empty polygon
    holed = shapely.box(X0, Y0, X0 + 4, Y0 + 4).difference(
        shapely.box(X0 + 1, Y0 + 1, X0 + 2, Y0 + 2)
    )
    tri = shapely.Polygon([(X0, Y0), (X0 + 3, Y0 + 3), (X0 + 6, Y0)])
    multi = shapely.MultiPolygon(
        [shapely.box(X0, Y0, X0 + 2, Y0 + 2), shapely.box(X0 + 5, Y0, X0 + 6, Y0 + 1)]
    )
    geoms = np.array([holed, tri, multi, shapely.Polygon()], dtype=object)
    area, bound = polygon_areas(pack(geoms), np.array([2, 0, 1, 3]))
    assert area.tolist() == [5.0, 15.0, 9.0, 0.0]
    assert (bound < 1e-6).all() and (bound >= 0).all()


def test_bound_holds_against_exact_arithmetic():
    # stars of 5–200 vertices, some with holes, at Albers magnitudes (coordinates ~1e6 m):
    # |area - exact| <= bound, and the bound is not vacuous (far below the area)
    geoms = random_stars(
        11,
        60,
        origin=(X0, Y0),
        extent=1e5,
        vertices=(5, 200),
        radius=(10, 3_000),
        holes_every=3,
        multi_every=None,
    )
    packed = pack(geoms)
    area, bound = polygon_areas(packed, np.arange(len(geoms)))
    for g in range(len(geoms)):
        err = abs(Fraction(float(area[g])) - _exact(packed, g))
        assert err <= Fraction(float(bound[g]))
    assert (bound < 1e-9 * area).all()
    np.testing.assert_allclose(area, shapely.area(geoms), rtol=1e-12)
