"""The nearest-feature search of a screening split over threads gives the one-call answer."""

from __future__ import annotations

import numpy as np
import shapely

from zoning.screening.index import query_nearest


def test_threaded_nearest_search_is_the_single_call() -> None:
    rng = np.random.default_rng(3)
    # a grid of unit squares 3 apart: points on the grid's mid-lines are equidistant to two
    # squares (ties), others have one nearest square
    xs, ys = np.meshgrid(np.arange(0, 60, 3.0), np.arange(0, 60, 3.0))
    squares = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + 1, ys.ravel() + 1)
    tree = shapely.STRtree(squares)
    pts = shapely.points(rng.uniform(-5, 65, (700, 2)))
    ties = shapely.points(np.column_stack([np.arange(1, 58, 3.0) + 1.0, np.full(19, 0.5)]))
    geoms = np.concatenate([pts, ties])
    want_s, want_f = tree.query_nearest(geoms, all_matches=False)
    for n_jobs in (1, 2, 3, 8):
        s, f = query_nearest(tree, geoms, n_jobs)
        assert np.array_equal(s, want_s) and np.array_equal(f, want_f), n_jobs
    # and the answers are the nearest: distance to the chosen square is the least of all
    d = shapely.distance(geoms[want_s], squares[want_f])
    best = shapely.distance(geoms[:, None], squares[None, :]).min(axis=1)
    assert np.array_equal(d, best[want_s])
    assert len(want_s) == len(geoms)


def test_nearest_search_matches_geos_on_mixed_geometries() -> None:
    # irregular polygons of many sizes, some nested in others' envelopes, and a point, line
    # and polygon of each kind of site (inside a zone, inside an envelope only, far away)
    rng = np.random.default_rng(11)
    centres = rng.uniform(0, 1000, (300, 2))
    radii = rng.uniform(2, 40, 300)
    zones = np.array(
        [
            shapely.Point(c).buffer(r, quad_segs=int(rng.integers(2, 16)))
            for c, r in zip(centres, radii, strict=True)
        ]
        + [shapely.LineString([(0, 500), (1000, 520)]), shapely.Point(700.5, 10.5)],
        dtype=object,
    )
    # a ring-shaped zone: sites in its hole are inside its envelope, far from it
    zones = np.append(zones, shapely.Point(500, 500).buffer(300).difference(
        shapely.Point(500, 500).buffer(290)))  # fmt: skip
    tree = shapely.STRtree(zones)
    xy = rng.uniform(-200, 1200, (900, 2))
    pts = shapely.points(xy[:300])
    lines = shapely.linestrings(
        np.stack([xy[300:600], xy[300:600] + rng.normal(0, 30, (300, 2))], axis=1)
    )
    polys = shapely.box(xy[600:, 0], xy[600:, 1], xy[600:, 0] + 5, xy[600:, 1] + 8)
    geoms = np.concatenate([pts, lines, polys])
    want_s, want_f = tree.query_nearest(geoms, all_matches=False)
    for n_jobs in (1, 2):
        s, f = query_nearest(tree, geoms, n_jobs)
        assert np.array_equal(s, want_s) and np.array_equal(f, want_f), n_jobs
    # the answer is the least distance to any zone, worked out pair by pair
    best = shapely.distance(geoms[:, None], zones[None, :]).min(axis=1)
    assert np.array_equal(shapely.distance(geoms[want_s], zones[want_f]), best)


def test_nearest_search_with_empty_features_and_inputs() -> None:
    zones = np.array([None, shapely.box(0, 0, 1, 1), shapely.Polygon(), shapely.box(5, 0, 6, 1)])
    tree = shapely.STRtree(zones)
    geoms = np.array([shapely.Point(4.8, 0.5), shapely.Point(), shapely.Point(-3, 0.5)])
    s, f = query_nearest(tree, geoms)
    assert s.tolist() == [0, 2] and f.tolist() == [3, 1]
    s, f = query_nearest(shapely.STRtree(np.array([None], dtype=object)), geoms)
    assert len(s) == len(f) == 0
