"""The proof that two polygons' interiors are disjoint (zoning.stats.interiors_apart).

Every answer is checked against GEOS (``relate_pattern(a, b, "T********")``: the interiors
meet): the proof may decline, it may never say "apart" where GEOS says they meet. The cases
it must prove are checked too, so a proof that declines everything fails.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import shapely
import stats_shapes as shapes
from shapely import Polygon, box
from stats_shapes import X0, Y0, frame, random_layer

from zoning.stats import area_by_unit, dissolve_layer
from zoning.stats.interiors_apart import HULL_MAX, interiors_apart

ULP = 2.0**-52  # one ulp of 1.0


def _meet(a: shapely.Geometry, b: shapely.Geometry) -> bool:
    return bool(shapely.relate_pattern(a, b, "T********"))


def _check(cases: list[tuple[shapely.Geometry, shapely.Geometry, bool]]) -> list[bool]:
    """The proof on each pair, both ways round; it never contradicts GEOS."""
    geoms = np.array([g for a, b, _ in cases for g in (a, b)], dtype=object)
    left = np.arange(0, len(geoms), 2)
    right = left + 1
    got = interiors_apart(geoms, left, right)
    assert (interiors_apart(geoms, right, left) == got).all()
    for (a, b, apart), proved in zip(cases, got, strict=True):
        assert _meet(a, b) != apart  # the case is what its name says
        if proved:
            assert not _meet(a, b)
    return got.tolist()


def _tri(*pts: tuple[float, float]) -> Polygon:
    return Polygon([(X0 + x, Y0 + y) for x, y in pts])


def test_hand_built_pairs_against_geos():
    one = X0 + 1.0  # x = 1 m from the origin: an ulp there is 2**-52 * 2**19 m
    up = np.nextafter(one, np.inf)
    down = np.nextafter(one, -np.inf)
    cases = [
        # separated triangles
        (_tri((0, 0), (1, 0), (0, 1)), _tri((2, 2), (3, 2), (2, 3)), True),
        # squares touching along an edge, and at a corner
        (box(X0, Y0, one, Y0 + 1), box(one, Y0, X0 + 2, Y0 + 1), True),
        (box(X0, Y0, one, Y0 + 1), box(one, Y0 + 1, X0 + 2, Y0 + 2), True),
        # one ulp apart, and overlapping by one ulp
        (box(X0, Y0, one, Y0 + 1), box(up, Y0, X0 + 2, Y0 + 1), True),
        (box(X0, Y0, one, Y0 + 1), box(down, Y0, X0 + 2, Y0 + 1), False),
        # nested: a triangle inside a square, and touching its edge from inside
        (_tri((1, 1), (2, 1), (1, 2)), box(X0, Y0, X0 + 4, Y0 + 4), False),
        (_tri((0, 1), (1, 1), (0, 2)), box(X0, Y0, X0 + 4, Y0 + 4), False),
        # overlapping by a sliver (a vertex 1 mm past the other's edge)
        (_tri((0, 0), (2.001, 1), (0, 2)), box(X0 + 2, Y0, X0 + 4, Y0 + 2), False),
        # collinear hull edges: triangles on either side of the line y = x, sharing part of it
        (_tri((0, 0), (2, 2), (0, 2)), _tri((1, 1), (3, 3), (3, 1)), True),
        # the same, on the same side: they overlap
        (_tri((0, 0), (2, 2), (0, 2)), _tri((1, 1), (3, 3), (0, 3)), False),
        # a tip cut off by a line against the body across it, which wraps around the tip (their
        # hulls overlap; the body's edges near the tip all run along or beyond the cut)
        (
            _tri((2, 0), (3, 0), (2.5, 1)),
            Polygon(
                [(X0 + x, Y0 + y) for x, y in
                 [(0, -2), (5, -2), (5, 3), (4, 3), (4, 0), (1, 0), (1, 3), (0, 3)]]
            ),
            True,
        ),
    ]  # fmt: skip
    assert _check(cases) == [case[2] for case in cases]


def test_a_triangle_in_a_hole_is_apart_only_while_it_stays_in_the_hole():
    shell = [(X0, Y0), (X0 + 10, Y0), (X0 + 10, Y0 + 10), (X0, Y0 + 10)]
    hole = [(X0 + 2, Y0 + 2), (X0 + 2, Y0 + 8), (X0 + 8, Y0 + 8), (X0 + 8, Y0 + 2)]
    donut = Polygon(shell, [hole])
    cases = [
        (_tri((3, 3), (5, 3), (3, 5)), donut, True),  # inside the hole
        (_tri((2, 2), (8, 2), (2, 8)), donut, True),  # filling half the hole, touching it
        (_tri((3, 3), (9, 3), (3, 5)), donut, False),  # across the hole's edge
        (_tri((0.5, 0.5), (1.5, 0.5), (0.5, 1.5)), donut, False),  # in the ring itself
    ]
    assert _check(cases) == [True, True, False, False]


def test_every_ray_direction_counts_crossings_right():
    # a U-shaped body around a small triangle, opening towards each of the four directions in
    # turn: the ray leaves the triangle where the body's box ends soonest, so all four rays
    # are used; the triangle in the U's mouth is apart, the same triangle over an arm is not
    u = [(0, 0), (9, 0), (9, 9), (6, 9), (6, 3), (3, 3), (3, 9), (0, 9)]
    inside, over = [(4, 4), (5, 4), (4.5, 5)], [(1, 4), (2, 4), (1.5, 5)]

    def turn(pts, k):
        for _ in range(k):
            pts = [(9 - y, x) for x, y in pts]  # a quarter turn about (4.5, 4.5)
        return [(X0 + x, Y0 + y) for x, y in pts]

    cases = []
    for k in range(4):
        body = Polygon(turn(u, k))
        cases += [(Polygon(turn(inside, k)), body, True), (Polygon(turn(over, k)), body, False)]
    assert _check(cases) == [True, False] * 4


def test_multipolygon_between_its_parts_and_degenerate_pieces():
    parts = shapely.MultiPolygon([box(X0, Y0, X0 + 1, Y0 + 3), box(X0 + 2, Y0, X0 + 3, Y0 + 3)])
    flat = Polygon([(X0, Y0), (X0 + 1, Y0 + 1), (X0 + 2, Y0 + 2), (X0, Y0)])  # no interior
    geoms = np.array(
        [_tri((1, 1), (2, 1), (1.5, 2)), parts, _tri((0.5, 1), (2.5, 1), (1.5, 2)), flat,
         shapely.Point(X0, Y0), Polygon()],
        dtype=object,
    )  # fmt: skip
    got = interiors_apart(geoms, np.array([0, 2, 3, 4, 5]), np.array([1, 1, 1, 1, 1]))
    # between the parts (touching both): apart; across a part: not; no interior, not a
    # polygon, empty: never proved (left to the kernel and GEOS)
    assert got.tolist() == [True, False, False, False, False]
    assert not _meet(geoms[0], parts) and _meet(geoms[2], parts)


def test_big_pairs_are_left_to_the_kernel():
    ring = [(X0 + 10 * np.cos(t), Y0 + 10 * np.sin(t)) for t in np.linspace(0, 6, HULL_MAX + 1)]
    big = Polygon(ring)
    far = shapely.affinity.translate(big, 100, 0)
    assert interiors_apart(np.array([big, far]), np.array([0]), np.array([1])).tolist() == [False]
    small = Polygon(ring[: HULL_MAX - 1])  # HULL_MAX coordinates with the closing one
    assert interiors_apart(np.array([small, far]), np.array([0]), np.array([1])).tolist() == [True]


def _cut_pieces(seed: int, n: int) -> np.ndarray:
    """Random stars cut along the 10 km grid and a diagonal line: pieces sharing cut edges."""
    stars = np.asarray(random_layer(seed, n).geometry.values)
    cells = np.asarray(shapes.grid_units().geometry.values)
    line = shapely.LineString([(X0 - 5_000, Y0 - 3_000), (X0 + 35_000, Y0 + 24_000)])
    halves = shapely.get_parts(shapely.polygonize(shapely.get_parts(
        shapely.union_all([shapely.boundary(c) for c in cells] + [line]))))  # fmt: skip
    s_idx, c_idx = shapely.STRtree(halves).query(stars, predicate="intersects")
    pieces = shapely.get_parts(shapely.intersection(stars[s_idx], halves[c_idx]))
    return pieces[(shapely.get_type_id(pieces) == 3) & (shapely.area(pieces) > 0)]


@pytest.mark.parametrize("seed", [3, 11])
def test_random_cut_pieces_never_proved_apart_where_geos_says_they_meet(seed):
    geoms = _cut_pieces(seed, 120)
    left, right = shapely.STRtree(geoms).query(geoms)
    keep = left < right
    left, right = left[keep], right[keep]
    proved = interiors_apart(geoms, left, right, n_jobs=2)
    meet = shapely.relate_pattern(geoms[left], geoms[right], "T********")
    assert not (proved & meet).any()
    # and it proves most of the pairs that only touch (small pieces along the cuts)
    small = np.minimum(*(shapely.get_num_coordinates(geoms[s]) for s in (left, right)))
    touching = ~meet & (small <= HULL_MAX)
    assert proved[touching].mean() > 0.8
    assert touching.sum() > 50


def test_the_proof_changes_no_bit_of_the_dissolve_or_the_statistics(monkeypatch):
    import zoning.stats.interiors_apart as proof_mod

    units = shapes.grid_units()
    geoms = _cut_pieces(5, 150)
    zones = np.where(np.arange(len(geoms)) % 3 == 0, "core", "general").astype(object)
    layers = {"eco_redline": frame(geoms, zone=zones.tolist())}
    new_pieces = dissolve_layer("eco_redline", geoms, zones, n_jobs=2)
    new = area_by_unit(units, layers, n_jobs=2)
    monkeypatch.setattr(
        proof_mod, "interiors_apart", lambda g, left, right, **kw: np.zeros(len(left), bool)
    )
    old_pieces = dissolve_layer("eco_redline", geoms, zones, n_jobs=2)
    old = area_by_unit(units, layers, n_jobs=2)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    for field in ("indptr", "members", "kind", "group", "label_piece", "label", "feat_bounds"):
        assert np.array_equal(getattr(new_pieces, field), getattr(old_pieces, field)), field
    assert np.array_equal(new_pieces.area, old_pieces.area, equal_nan=True)
    assert (new_pieces.sizes() > 1).sum() > 10  # overlapping stars were grouped


def test_coordinates_out_of_the_exact_range_are_never_proved():
    # products of coordinates beyond 2**500 overflow, below 2**-500 lose bits: declined (the
    # same triangles at a normal scale are proved apart)
    def tri(scale):
        return Polygon(np.array([(0, 0), (1, 0), (0, 1)]) * scale)

    def far(scale):
        return Polygon(np.array([(2, 2), (3, 2), (2, 3)]) * scale)

    for scale, want in ((1.0, True), (1e200, False), (1e-200, False)):
        geoms = np.array([tri(scale), far(scale)])
        assert interiors_apart(geoms, np.array([0]), np.array([1])).tolist() == [want]
    with warnings.catch_warnings():  # shapely warns of the NaN as it builds the ring
        warnings.simplefilter("ignore", RuntimeWarning)
        nan = Polygon([(0, 0), (np.nan, 0), (0, 1)])
    geoms = np.array([nan, far(1.0)])
    assert interiors_apart(geoms, np.array([0]), np.array([1])).tolist() == [False]
