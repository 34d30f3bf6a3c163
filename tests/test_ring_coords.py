"""Coordinates read from GEOS without the GIL (zoning.ring_coords): the copy shapely makes."""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np
import pytest
import shapely
from shapely import Polygon, box

import zoning.polyarea as pa
from tests.stats_shapes import random_stars
from zoning import ring_coords
from zoning.stats import interiors_apart as ia

X0, Y0 = 512_345.0, 4_012_345.0

linux_wheel = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the GIL-free copy reads /proc/self/maps"
)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


def _hole_free(geoms: np.ndarray) -> np.ndarray:
    simple = shapely.get_type_id(geoms) == 3
    simple[simple] = shapely.get_num_interior_rings(geoms[simple]) == 0
    return geoms[simple]


def test_copy_is_shapelys_to_the_bit():
    stars = list(_hole_free(random_stars(2, 300, origin=(X0, Y0), extent=40_000.0)))
    odd = [
        Polygon(),  # empty: no coordinates
        box(0, 0, 1, 1),
        Polygon([(0.1, 0.2, 7.0), (3.3, 0.2, 8.0), (0.1, 5.5, 9.0)]),  # z: x and y only
        Polygon([(-1e300, 0), (1e300, 0), (0, 1e-300)]),  # extreme values copied as they are
    ]
    geoms = np.array([*odd, *stars, *odd], dtype=object)
    got = ring_coords.exterior_coords(geoms, shapely.get_num_coordinates(geoms))
    assert got.dtype == np.float64 and got.flags.c_contiguous
    assert _same_bits(got, shapely.get_coordinates(geoms))


@pytest.mark.parametrize(
    "odd",
    [
        box(0, 0, 4, 4).difference(box(1, 1, 2, 2)),  # a hole: more coordinates than the ring
        shapely.MultiPolygon([box(0, 0, 1, 1), box(2, 2, 3, 3)]),
        shapely.LineString([(0, 0), (1, 1)]),
    ],
    ids=["hole", "multipolygon", "line"],
)
def test_anything_but_a_hole_free_polygon_gets_shapelys_copy(odd):
    # the copy stops before writing for it (no ring of the size the caller gave): the
    # answer is then shapely's for the whole array, never a partial or overrun copy
    geoms = np.array([box(0, 0, 1, 1), odd, box(5, 5, 6, 7)], dtype=object)
    got = ring_coords.exterior_coords(geoms, shapely.get_num_coordinates(geoms))
    assert _same_bits(got, shapely.get_coordinates(geoms))


def test_wrong_sizes_are_never_written_past():
    geoms = np.array([box(0, 0, 1, 1), box(2, 2, 3, 3)], dtype=object)
    # the caller claims 4 coordinates for a ring of 5: refused, shapely's copy instead
    got = ring_coords.exterior_coords(geoms, np.array([4, 5]))
    assert _same_bits(got, shapely.get_coordinates(geoms))


def test_counts_that_do_not_match_the_geometries_are_refused():
    geoms = np.array([box(0, 0, 1, 1), box(2, 2, 3, 3)], dtype=object)
    for counts in (np.array([5]), np.array([5, 5, 5]), np.array([5, -1])):
        with pytest.raises(ValueError, match="one coordinate count"):
            ring_coords.exterior_coords(geoms, counts)


@linux_wheel
def test_shapelys_own_geos_is_found_among_others():
    # fiona, pyogrio and exactextract wheels bring GEOS builds of their own
    import fiona  # noqa: F401
    import pyogrio  # noqa: F401

    ring_coords._geos_api.cache_clear()
    try:
        path = ring_coords._loaded_geos_c()
        assert path is not None
        wheel_libs = os.path.realpath(os.path.dirname(shapely.__file__)) + ".libs"
        if os.path.isdir(wheel_libs):  # a wheel install: shapely's own copy, not fiona's
            assert os.path.dirname(path) == wheel_libs
        assert ring_coords.nogil_available()
    finally:
        ring_coords._geos_api.cache_clear()


def test_without_the_library_the_copy_is_shapelys(monkeypatch):
    monkeypatch.setattr(ring_coords, "_geos_api", lambda: None)
    geoms = np.array([box(0, 0, 1, 1), Polygon(), box(2, 2, 3, 5)], dtype=object)
    got = ring_coords.exterior_coords(geoms, shapely.get_num_coordinates(geoms))
    assert not ring_coords.nogil_available()
    assert _same_bits(got, shapely.get_coordinates(geoms))


@linux_wheel
def test_the_copy_lets_other_threads_run():
    # shapely.get_coordinates holds the GIL for the whole copy; this one must not
    stars = _hole_free(random_stars(4, 6000, origin=(X0, Y0), extent=80_000.0, vertices=(50, 400)))
    n = shapely.get_num_coordinates(stars)
    assert ring_coords.nogil_available()
    ring_coords.exterior_coords(stars[:2], n[:2])  # compiled or loaded beforehand
    ticks: list[float] = []
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        time.sleep(0.01)
        t0 = time.perf_counter()
        for _ in range(5):
            ring_coords.exterior_coords(stars, n)
        t1 = time.perf_counter()
    finally:
        stop.set()
        spinner.join()
    during = np.array([t for t in ticks if t0 < t < t1])
    assert len(during) > 1000, (len(during), t1 - t0)
    # never held up for as long as half the copies took (holding the GIL: all of it)
    gaps = np.diff(np.r_[t0, during, t1])
    assert gaps.max() < 0.5 * (t1 - t0)


def test_pack_and_the_proof_read_the_same_coordinates():
    # stars with holes and multipolygons among them: those take the other path
    geoms = np.array([*random_stars(5, 200, origin=(X0, Y0), extent=30_000.0), Polygon()])
    simple = shapely.get_type_id(geoms) == 3
    simple[simple] = shapely.get_num_interior_rings(geoms[simple]) == 0
    assert 0 < simple.sum() < len(geoms) - 1
    packed = pa.pack(geoms)
    # the hole-free polygons' rings come first, in their order
    n_simple = int(simple.sum())
    got = packed.coords[: packed.ring_off[n_simple]]
    assert _same_bits(got, shapely.get_coordinates(geoms[simple]))
    size = shapely.get_num_coordinates(geoms)
    coords, _, _, ok = ia._read_rings(geoms, size)
    assert not ok[-1] and ok[:-1].all()
    assert _same_bits(coords, shapely.get_coordinates(geoms[ok]))
