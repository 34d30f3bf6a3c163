"""Point sites in and on zones: inside, on the boundary, in holes (worked by hand)."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon, box

from zoning.screening.metrics import run_pair_metrics

# a 10 m square with a hole [4, 6] x [4, 6], and a second square [20, 30] x [0, 10]
_HOLED = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], holes=[[(4, 4), (6, 4), (6, 6), (4, 6)]])
_TWO = MultiPolygon([_HOLED, box(20, 0, 30, 10)])


def _metrics(sites: list, zone) -> dict:
    s = np.array(sites, dtype=object)
    z = np.array([zone] * len(sites), dtype=object)
    n = len(s)
    dim = shapely.get_dimensions(s)
    return run_pair_metrics(s, z, dim, np.full(n, 10.0), 0.5, 1, np.zeros(n, np.int64))


def test_points_inside_on_the_boundary_and_in_a_hole() -> None:
    sites = [
        Point(2, 3),  # inside: 2 m to the left edge
        Point(10, 5),  # on the right edge
        Point(0, 0),  # on a corner
        Point(5, 5),  # in the hole: outside the zone, 1 m to its boundary
        Point(6, 5),  # on the hole's edge
        Point(7, 5),  # inside, 1 m from the hole's edge
        Point(25, 9.75),  # inside the second part, 0.25 m to its top edge
        MultiPoint([(2, 2), (8, 8)]),  # both points inside: 2 m from the edges
        MultiPoint([(2, 2), (10, 2)]),  # one inside, one on the edge: not properly inside
    ]
    m = _metrics(sites, _TWO)
    assert m["intersects"].tolist() == [True, True, True, False, True, True, True, True, True]
    assert m["inside"].tolist() == [True, True, True, False, True, True, True, True, True]
    # the distance to the boundary: exact for points properly inside, 0 on it, NaN outside
    bd = m["boundary_distance_m"]
    assert bd[[0, 1, 2, 4, 5, 6]].tolist() == [2.0, 0.0, 0.0, 0.0, 1.0, 0.25]
    assert np.isnan(bd[3])
    assert m["distance_m"][3] == 1.0
    # within the 0.5 m tolerance of the boundary: on it, and 0.25 m from it
    assert m["near_boundary"].tolist() == [False, True, True, False, True, False, True, False, True]


def test_point_inside_agrees_with_contains_properly_on_vertices_and_midpoints() -> None:
    rng = np.random.default_rng(11)
    zone = shapely.buffer(Point(0, 0), 100, quad_segs=8)
    zone = shapely.difference(zone, shapely.buffer(Point(10, -5), 30, quad_segs=4))
    c = shapely.get_coordinates(zone)
    pts = np.concatenate(
        [
            shapely.points(c),  # on the boundary
            shapely.points((c[:-1] + c[1:]) / 2),  # on it or a rounding away
            shapely.points(rng.uniform(-110, 110, (200, 2))),
        ]
    )
    m = _metrics(list(pts), zone)
    hit = shapely.intersects(pts, zone)
    assert m["intersects"][hit].all()  # (and points within 1 mm of it touch: _TOUCH_M)
    proper = shapely.contains_properly(zone, pts)
    assert np.array_equal(m["boundary_distance_m"][hit] > 0, proper[hit])
    assert np.array_equal(m["boundary_distance_m"][hit] == 0, ~proper[hit])
