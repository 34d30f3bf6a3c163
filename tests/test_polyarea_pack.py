"""Packing for the area kernel (zoning.polyarea.pack): envelopes and kept work arrays."""

from __future__ import annotations

import threading

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


def _big_star_task() -> tuple:
    """Two overlapping stars of 12,000 vertices each: work arrays over the kept size."""
    rng = np.random.default_rng(8)
    n = 12_000
    out = []
    for dx in (0.0, 300.0):
        t = np.sort(rng.uniform(0, 2 * np.pi, n))
        r = rng.uniform(2_000, 5_000, n)
        out.append(Polygon(np.c_[X0 + dx + r * np.cos(t), Y0 + r * np.sin(t)]))
    return out


def test_a_thread_keeps_small_work_arrays_and_drops_big_ones():
    small = [box(X0, Y0, X0 + 3, Y0 + 3), box(X0 + 1, Y0 + 1, X0 + 5, Y0 + 5)]
    geoms = np.array([*small, *_big_star_task()], dtype=object)
    packed = pa.pack(geoms)
    one = (np.array([0, 2]), np.array([0, 1]), np.array([-1]))
    big = (np.array([0, 2]), np.array([2, 3]), np.array([-1]))
    seen = {}

    def run() -> None:
        first = pa.union_clip_areas(packed, *one)
        seen["kept"] = pa._KEPT.work  # the arrays this thread keeps for its next call
        seen["small"] = pa._kept_bytes(pa._KEPT) <= pa._KEEP_BYTES
        again = pa.union_clip_areas(packed, *one)
        seen["same"] = pa._KEPT.work[1] is seen["kept"][1]
        seen["areas"] = (first[0], again[0])
        seen["big"] = pa.union_clip_areas(packed, *big)[0]
        seen["after big"] = getattr(pa._KEPT, "work", None)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen["small"] and seen["same"]  # the second call reused them
    assert seen["areas"] == (21.0, 21.0)  # 9 + 16 - 4 (the overlap [1, 3]²)
    assert np.isclose(seen["big"], geoms[2].union(geoms[3]).area, rtol=1e-9)
    assert seen["after big"] is None  # arrays for 24,000 vertices (> 4 MiB) are not kept
