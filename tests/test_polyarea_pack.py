"""Packing for the area kernel (zoning.polyarea.pack): envelopes and coordinate counts."""

from __future__ import annotations

import numpy as np
import shapely
from shapely import Polygon, box

import zoning.polyarea as pa
from tests.stats_shapes import random_stars

X0, Y0 = 512_345.0, 4_012_345.0  # projected coordinates


def _odd_geometries() -> list:
    """Geometries whose envelopes pack cannot take from its blocks, or only just can."""
    spike = Polygon([(0, 0), (2, 0), (2, 2), (1, 2), (1, 3), (1, 2), (0, 2)])  # sign 0
    tiny = Polygon([(1e-300, 1e-300), (3e-300, 1e-300), (3e-300, 2e-300)])  # out of range
    holed = Polygon(
        [(X0, Y0), (X0 + 9, Y0), (X0 + 9, Y0 + 9), (X0, Y0 + 9)],
        [[(X0 + 1, Y0 + 1), (X0 + 2, Y0 + 1), (X0 + 2, Y0 + 2), (X0 + 1, Y0 + 2)]],
    )
    multi = shapely.MultiPolygon([box(-5, -5, -4, -4), box(10, 10, 11, 12.5)])
    # GEOS's envelope of a collection holds its point, which pack leaves out of the rings
    coll = shapely.GeometryCollection([shapely.Point(-100, 50), box(0, 0, 2, 2)])
    # 17 edges: a second block of one edge, which holds the largest x
    ring = [(X0 + i, Y0 + (i % 2)) for i in range(17)] + [(X0 + 17.25, Y0 + 5), (X0, Y0 + 5)]
    return [Polygon(), spike, tiny, holed, multi, coll, Polygon(ring), box(-3, -2, -1, 7)]


def test_envelopes_are_geos_bounds_to_the_bit():
    stars = list(random_stars(3, 200, origin=(X0, Y0), extent=50_000.0))
    geoms = np.array([*_odd_geometries(), *stars, shapely.MultiPolygon()], dtype=object)
    want = shapely.bounds(geoms)
    for packed in (pa.pack(geoms), pa.pack(geoms, shapely.get_num_coordinates(geoms))):
        assert packed.bbox.shape == want.shape
        # NaN for the empty ones, the same bits everywhere else
        assert np.array_equal(packed.bbox.view(np.int64), want.view(np.int64))


def test_given_coordinate_counts_pack_the_same_arrays():
    stars = list(random_stars(4, 50, origin=(X0, Y0)))
    geoms = np.array([*_odd_geometries(), *stars], dtype=object)
    a = pa.pack(geoms)
    b = pa.pack(geoms, shapely.get_num_coordinates(geoms))
    for field in a.__dataclass_fields__:
        assert np.array_equal(getattr(a, field), getattr(b, field), equal_nan=True), field
