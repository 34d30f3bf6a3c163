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
