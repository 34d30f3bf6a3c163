"""The nearest search's scan of the envelopes for inputs beyond the grown reach, by hand."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Point, box

from zoning.screening import nearest


def test_nearest_envelopes_by_hand() -> None:
    # envelopes: A [0,10]x[0,10], B [100,110]x[0,10], an empty feature (NaN bounds), and
    # C [0,10]x[40,50] (as near to (5, 25) as A: 15 m each; the first, A, is taken)
    fb = shapely.bounds(
        np.array([box(0, 0, 10, 10), box(100, 0, 110, 10), Point(), box(0, 40, 10, 50)])
    )
    gb = shapely.bounds(np.array([Point(50, 5), Point(130, 13), Point(5, 25), Point(-3, -4)]))
    rows, found = nearest._nearest_envelopes(gb, fb)
    # (50, 5): 40 m to A, 50 m to B; (130, 13): hypot(20, 3) to B; (5, 25): 15 m to A and C;
    # (-3, -4): hypot(3, 4) = 5 m to A
    assert rows.tolist() == [0, 1, 2, 3]
    assert found.tolist() == [0, 1, 0, 0]


def test_nearest_envelopes_of_empty_features_only() -> None:
    fb = shapely.bounds(np.array([Point(), shapely.Polygon()], dtype=object))
    rows, found = nearest._nearest_envelopes(shapely.bounds(np.array([Point(1, 1)])), fb)
    assert rows.tolist() == [] and found.tolist() == []
    rows, found = nearest._nearest_envelopes(shapely.bounds(np.array([Point(1, 1)])), fb[:0])
    assert rows.tolist() == [] and found.tolist() == []


def test_inputs_beyond_the_reach_scan_the_envelopes_without_the_tree(monkeypatch) -> None:
    monkeypatch.setattr(nearest, "_reach", lambda bounds: 50.0)  # grown to 12,800 m at most
    zones = np.array([box(0, 0, 10, 10), Point(), box(100, 0, 110, 10)], dtype=object)
    tree = shapely.STRtree(zones)

    def boxes() -> object:
        raise AssertionError("the envelope tree is not needed for a few inputs")

    far = np.array([Point(50, 5), Point(-20_000, 5), Point(30_110, 5), Point()], dtype=object)
    s, f, d = nearest.query_nearest(tree, far, boxes=boxes, return_distance=True)
    # 40 m to the first square; 20,000 m to it; 30,000 m to the second; the empty input none
    assert s.tolist() == [0, 1, 2] and f.tolist() == [0, 0, 2]
    assert d.tolist() == [40.0, 20_000.0, 30_000.0]
    want_s, want_f = tree.query_nearest(far, all_matches=False)
    assert np.array_equal(s, want_s) and np.array_equal(f, want_f)
    # too many inputs for the scan: the tree, the same answers
    monkeypatch.setattr(nearest, "_SCAN_MAX", 5)
    s2, f2, d2 = nearest.query_nearest(tree, far, return_distance=True)
    assert s2.tolist() == s.tolist() and f2.tolist() == f.tolist() and d2.tolist() == d.tolist()


def test_scan_and_tree_give_geos_answers_on_scattered_zones(monkeypatch) -> None:
    rng = np.random.default_rng(5)
    centres = rng.uniform(0, 1000, (200, 2))
    zones = shapely.buffer(shapely.points(centres), rng.uniform(2, 30, 200), quad_segs=3)
    tree = shapely.STRtree(zones)
    xy = rng.uniform(-5000, 6000, (300, 2))  # many far outside the zones' extent
    geoms = shapely.points(xy)
    want_s, want_f = tree.query_nearest(geoms, all_matches=False)
    want_d = shapely.distance(geoms[want_s], zones[want_f])
    monkeypatch.setattr(nearest, "_reach", lambda bounds: 1.0)  # grown to 256 m at most
    for scan in (0, 1 << 20):
        monkeypatch.setattr(nearest, "_SCAN_MAX", scan)
        s, f, d = nearest.query_nearest(tree, geoms, return_distance=True)
        assert np.array_equal(s, want_s) and np.array_equal(f, want_f), scan
        assert np.array_equal(d, want_d), scan
