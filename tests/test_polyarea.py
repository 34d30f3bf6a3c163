"""The boundary-integral area kernel (zoning.polyarea) against hand-computed areas and GEOS."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Polygon, box

from zoning.polyarea import pack, union_clip_areas

X0, Y0 = 512_345.0, 4_012_345.0  # projected coordinates, so the translation is exercised


def _areas(geoms, tasks):
    """Run ``tasks`` = [(member positions, clip position or -1), …] through the kernel."""
    indptr = np.r_[0, np.cumsum([len(m) for m, _ in tasks])]
    members = np.concatenate([np.asarray(m, dtype=np.int64) for m, _ in tasks])
    clip = np.array([c for _, c in tasks], dtype=np.int64)
    return union_clip_areas(pack(np.array(geoms, dtype=object)), indptr, members, clip)


def _diamond(cx, cy, r):
    return Polygon([(cx + r, cy), (cx, cy + r), (cx - r, cy), (cx, cy - r)])


def test_two_squares_union_and_clip_by_hand():
    # squares 2 km x 2 km overlapping in a 1 km x 1 km corner: union 4 + 4 - 1 = 7 km²
    a = box(X0, Y0, X0 + 2000, Y0 + 2000)
    b = box(X0 + 1000, Y0 + 1000, X0 + 3000, Y0 + 3000)
    clip = box(X0 + 500, Y0 + 500, X0 + 10_000, Y0 + 1500)
    # clip strip y in [500, 1500]: below y=1000 the union spans x in [0, 2000] -> 1500 wide;
    # above it x in [0, 3000] -> 2500 wide; both 500 high: 750,000 + 1,250,000 m²
    got = _areas([a, b, clip], [([0, 1], -1), ([0, 1], 2), ([0], 1), ([1], -1)])
    assert got[0] == pytest.approx(7e6, rel=1e-12)
    assert got[1] == pytest.approx(2e6, rel=1e-12)
    assert got[2] == pytest.approx(1e6, rel=1e-12)  # a ∩ b
    assert got[3] == pytest.approx(4e6, rel=1e-12)


def test_diamond_split_by_a_unit_boundary_by_hand():
    # diamond of half-diagonal 1 km (area 2 km²) centred 500 m right of the line x = X0:
    # the part left of it is a triangle, base 1 km on the line, height 500 m -> 0.25 km²
    d = _diamond(X0 + 500, Y0 + 300, 1000)
    left = box(X0 - 10_000, Y0 - 10_000, X0, Y0 + 10_000)
    right = box(X0, Y0 - 10_000, X0 + 10_000, Y0 + 10_000)
    got = _areas([d, left, right], [([0], 1), ([0], 2)])
    assert got[0] == pytest.approx(0.25e6, rel=1e-12)
    assert got[1] == pytest.approx(1.75e6, rel=1e-12)


def test_holes_multipolygons_and_orientation():
    outer = [(X0, Y0), (X0 + 4000, Y0), (X0 + 4000, Y0 + 4000), (X0, Y0 + 4000)]
    hole = [
        (X0 + 1000, Y0 + 1000),
        (X0 + 2000, Y0 + 1000),
        (X0 + 2000, Y0 + 2000),
        (X0 + 1000, Y0 + 2000),
    ]
    ring_cw = Polygon(outer[::-1], [hole[::-1]])  # exterior clockwise, hole counter-clockwise
    ring_ccw = Polygon(outer, [hole])
    # a diamond of half-diagonal 1.2 km (2.88 km²) around the hole: the hole (1 km²) lies
    # inside it, the diamond inside the outer square
    d = _diamond(X0 + 1500, Y0 + 1500, 1200)
    multi = shapely.MultiPolygon(
        [box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 3000, Y0, X0 + 3300, Y0 + 100)]
    )
    got = _areas(
        [ring_cw, ring_ccw, d, multi],
        [([0], -1), ([1], -1), ([2], 0), ([2], 1), ([0, 2], -1), ([3], -1), ([1], 2)],
    )
    assert got[0] == pytest.approx(15e6, rel=1e-12)
    assert got[1] == pytest.approx(15e6, rel=1e-12)
    assert got[2] == pytest.approx(2.88e6 - 1e6, rel=1e-12)  # diamond minus the hole
    assert got[3] == pytest.approx(2.88e6 - 1e6, rel=1e-12)
    assert got[4] == pytest.approx(16e6, rel=1e-12)  # the diamond fills the hole
    assert got[5] == pytest.approx(1e6 + 30_000, rel=1e-12)
    assert got[6] == pytest.approx(2.88e6 - 1e6, rel=1e-12)  # square-with-hole clipped by d


def test_disjoint_and_nested():
    a = box(X0, Y0, X0 + 1000, Y0 + 1000)
    far = box(X0 + 5000, Y0, X0 + 6000, Y0 + 1000)
    inner = _diamond(X0 + 500, Y0 + 500, 200)  # strictly inside a
    got = _areas([a, far, inner], [([0, 1], -1), ([0], 1), ([2], 0), ([0, 2], -1)])
    assert got[0] == pytest.approx(2e6, rel=1e-12)  # disjoint union: the sum
    assert got[1] == 0.0  # clip far away
    assert got[2] == pytest.approx(2 * 200**2, rel=1e-12)  # nested: the inner area
    assert got[3] == pytest.approx(1e6, rel=1e-12)  # union with a nested polygon: the outer


# a = the 1 km square [X0, X0 + 1000] x [Y0, Y0 + 1000]; (other, area of a ∪ other, of a ∩ other)
_CONTACTS = {
    "shared edge": (box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000), 2e6, 0.0),
    "duplicate": (box(X0, Y0, X0 + 1000, Y0 + 1000), 1e6, 1e6),
    "duplicate, ring reversed": (box(X0, Y0, X0 + 1000, Y0 + 1000, ccw=False), 1e6, 1e6),
    # 1000 x 1000 shifted by 500 along the bottom edge: overlap 500 x 1000
    "collinear overlapping edges": (box(X0 + 500, Y0, X0 + 1500, Y0 + 1000), 1.5e6, 0.5e6),
    # diamond of half-diagonal 1 km whose west vertex touches the east edge: 2 km², no overlap
    "vertex on an edge": (_diamond(X0 + 2000, Y0 + 500, 1000), 3e6, 0.0),
    "corners touch": (box(X0 + 1000, Y0 + 1000, X0 + 2000, Y0 + 2000), 2e6, 0.0),
    # 1000 x 500 box along the top edge, half inside: 0.5 + 1 - 0.25 km²; its west edge ends
    # on a's top edge (a T-junction)
    "T-junction": (box(X0 + 500, Y0 + 500, X0 + 1500, Y0 + 1000), 1.25e6, 0.25e6),
    # 400 x 300 in a's corner: shares parts of two edges and a vertex
    "inside, in a corner": (box(X0, Y0, X0 + 400, Y0 + 300), 1e6, 0.12e6),
    # triangle on the bottom edge pointing inside: base 600, height 500 -> 0.15 km²
    "triangle on an edge, inside": (
        Polygon([(X0 + 200, Y0), (X0 + 800, Y0), (X0 + 500, Y0 + 500)]), 1e6, 0.15e6
    ),
    # the same triangle pointing outside
    "triangle on an edge, outside": (
        Polygon([(X0 + 200, Y0), (X0 + 500, Y0 - 500), (X0 + 800, Y0)]), 1.15e6, 0.0
    ),
    # a square with a 1 km hole exactly where a is: a fills the hole
    "hole fitting a": (
        Polygon(
            [(X0 - 1000, Y0 - 1000), (X0 + 2000, Y0 - 1000), (X0 + 2000, Y0 + 2000),
             (X0 - 1000, Y0 + 2000)],
            [[(X0, Y0), (X0 + 1000, Y0), (X0 + 1000, Y0 + 1000), (X0, Y0 + 1000)]],
        ),
        9e6,
        0.0,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(_CONTACTS))
def test_touching_and_collinear_contacts_by_hand(name):
    """Shared, duplicate and collinear edges, vertices on edges: measured, not declined, in
    both task orders (the tie rule depends on the order) and as union, intersection and
    clip of the union.
    """
    a = box(X0, Y0, X0 + 1000, Y0 + 1000)
    other, union, inter = _CONTACTS[name]
    far = box(X0 - 5000, Y0 - 5000, X0 + 5000, Y0 + 5000)  # a clip holding both
    got = _areas(
        [a, other, far],
        [([0, 1], -1), ([1, 0], -1), ([0], 1), ([1], 0), ([0, 1], 2), ([1, 0], 2)],
    )
    assert got == pytest.approx([union, union, inter, inter, union, union], rel=1e-12, abs=1e-6)


def test_touching_features_have_zero_intersection_within_the_noise():
    a = box(X0, Y0, X0 + 1000, Y0 + 1000)
    geoms = [a] + [_CONTACTS[k][0] for k in ("shared edge", "vertex on an edge", "corners touch")]
    geoms.append(box(X0 + 999, Y0, X0 + 2000, Y0 + 1000))  # a real overlap of 1 m x 1 km
    indptr = np.arange(0, 5)
    area, noise = union_clip_areas(
        pack(np.array(geoms, dtype=object)), indptr, np.zeros(4, np.int64), np.arange(1, 5),
        with_noise=True,
    )  # fmt: skip
    assert (np.abs(area[:3]) <= noise[:3]).all()
    assert area[3] == pytest.approx(1000.0, rel=1e-12)
    assert area[3] > 1e6 * noise[3]


def test_square_split_along_a_county_line_by_hand():
    # the county line x = X0 splits the square [X0 - 800, X0 + 1200] x [Y0, Y0 + 2000] in two
    # features (west 800 x 2000, east 1200 x 2000); a sloped line through (X0, Y0) and
    # (X0 + 4000, Y0 + 3000) (exact vertices) splits a triangle in two
    west, east = box(X0 - 800, Y0, X0, Y0 + 2000), box(X0, Y0, X0 + 1200, Y0 + 2000)
    u_w, u_e = box(X0 - 9000, Y0 - 9000, X0, Y0 + 9000), box(X0, Y0 - 9000, X0 + 9000, Y0 + 9000)
    # triangle (X0, Y0), (X0 + 4000, Y0), (X0 + 4000, Y0 + 6000) cut by the sloped line:
    # below it (X0, Y0), (X0 + 4000, Y0), (X0 + 4000, Y0 + 3000): 6 km²; above it 6 km²
    below = Polygon([(X0, Y0), (X0 + 4000, Y0), (X0 + 4000, Y0 + 3000)])
    above = Polygon([(X0, Y0), (X0 + 4000, Y0 + 3000), (X0 + 4000, Y0 + 6000)])
    u_b = Polygon([(X0 - 4000, Y0 - 3000), (X0 + 8000, Y0 - 3000), (X0 + 8000, Y0 + 6000)])
    u_a = Polygon([(X0 - 4000, Y0 - 3000), (X0 + 8000, Y0 + 6000), (X0 - 4000, Y0 + 6000)])
    geoms = [west, east, u_w, u_e, below, above, u_b, u_a]
    tasks = [
        ([0, 1], -1), ([0, 1], 2), ([0, 1], 3), ([1, 0], 2), ([0], 3), ([1], 2), ([0], 2),
        ([4, 5], -1), ([4, 5], 6), ([5, 4], 7), ([4], 7), ([5], 6), ([5], 7),
    ]  # fmt: skip
    want = [4e6, 1.6e6, 2.4e6, 1.6e6, 0.0, 0.0, 1.6e6, 12e6, 6e6, 6e6, 0.0, 0.0, 6e6]
    assert _areas(geoms, tasks) == pytest.approx(want, rel=1e-12, abs=1e-6)


def test_rings_too_thin_for_the_float_sum_are_oriented_exactly():
    # a triangle 2 km long and about 1e-9 m high (a sliver of 1e-6 m², as cuts leave): the
    # float sum of its area cannot give its orientation; the exact turn at its lowest vertex
    # does. Y0 + 1e-9 rounds to Y0 + h, h = 2 ulp(Y0) = 2**-30 m
    h = 2.0**-30
    for ccw in (True, False):
        pts = [(X0, Y0), (X0 + 2000, Y0), (X0 + 1000, Y0 + 1e-9)]
        thin = Polygon(pts if ccw else pts[::-1])
        other = box(X0 + 500, Y0 - 10, X0 + 600, Y0 + 10)
        got = _areas([thin, other], [([0], -1), ([1, 0], -1), ([1], 0), ([0], 1)])
        # area 1000·h; the part with 500 <= x - X0 <= 600 lies under height h·(x - X0)/1000:
        # h·(600² - 500²)/2000 = 55·h
        want = [1000 * h, 2000 + 1000 * h - 55 * h, 55 * h, 55 * h]
        assert got == pytest.approx(want, rel=1e-9)


def test_a_spike_is_declined():
    # a ring that runs out along a line and back at its lowest-leftmost vertex is no simple
    # ring: its orientation cannot be certified and GEOS decides
    spike = Polygon([(X0, Y0), (X0 + 2000, Y0), (X0 + 1000, Y0), (X0 + 1000, Y0)])
    got = _areas([spike, box(X0, Y0, X0 + 10, Y0 + 10)], [([0], -1), ([1, 0], -1)])
    assert np.isnan(got).all()


def _star(rng, cx, cy, r, n):
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = r * (0.6 + 0.4 * rng.random(n))
    return Polygon(np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 4), clipped=st.booleans())
def test_random_stars_agree_with_geos(seed, k, clipped):
    rng = np.random.default_rng(seed)
    geoms = [
        _star(
            rng,
            X0 + rng.normal(0, 300),
            Y0 + rng.normal(0, 300),
            rng.uniform(200, 700),
            int(rng.integers(3, 400)),
        )
        for _ in range(k)
    ]
    geoms = [g if g.is_valid else shapely.make_valid(g).buffer(0) for g in geoms]
    geoms = [g for g in geoms if g.geom_type in ("Polygon", "MultiPolygon")]
    if not geoms:
        return
    clip = _star(rng, X0, Y0, 600, int(rng.integers(3, 60)))
    if not clip.is_valid:
        clip = box(X0 - 400, Y0 - 300, X0 + 350, Y0 + 420)
    union = shapely.union_all(geoms)
    ref = shapely.intersection(union, clip).area if clipped else union.area
    got = _areas([*geoms, clip], [(list(range(len(geoms))), len(geoms) if clipped else -1)])[0]
    assert abs(got - ref) <= 1e-9 * max(ref, 1.0)


def test_generic_data_is_rarely_declined_and_matches_geos():
    """On generic (non-degenerate) data the kernel must decide, not hand everything to GEOS."""
    rng = np.random.default_rng(7)
    geoms, tasks = [], []
    for _ in range(300):
        base = len(geoms)
        cx, cy = X0 + rng.uniform(0, 1e5), Y0 + rng.uniform(0, 1e5)
        k = int(rng.integers(2, 4))
        geoms += [
            _star(rng, cx + rng.normal(0, 200), cy + rng.normal(0, 200), 400, 120) for _ in range(k)
        ]
        geoms.append(box(cx - 300, cy - 250, cx + 5000, cy + 5000))
        tasks.append((list(range(base, base + k)), base + k))
    geoms = np.array(geoms, dtype=object)
    assert shapely.is_valid(geoms).all()
    got = _areas(list(geoms), tasks)
    ref = np.array(
        [shapely.intersection(shapely.union_all(geoms[m]), geoms[c]).area for m, c in tasks]
    )
    assert not np.isnan(got).any()
    np.testing.assert_allclose(got, ref, rtol=1e-9)


def test_threads_give_identical_numbers():
    rng = np.random.default_rng(3)
    geoms = [_star(rng, X0 + 300 * i, Y0, 250, 80) for i in range(600)]
    tasks = [([i, i + 1], -1) for i in range(599)]
    indptr = np.r_[0, np.cumsum([2] * 599)]
    members = np.concatenate([m for m, _ in tasks])
    clip = np.full(599, -1)
    packed = pack(np.array(geoms, dtype=object))
    one = union_clip_areas(packed, indptr, members, clip, n_jobs=1)
    two = union_clip_areas(packed, indptr, members, clip, n_jobs=2)
    assert np.array_equal(one, two, equal_nan=True)


def test_collections_empties_and_multipolygons_are_packed_by_their_polygons():
    # an intersection result may be a collection with points and lines: only polygons count
    coll = shapely.GeometryCollection(
        [
            shapely.Point(X0, Y0),
            box(X0, Y0, X0 + 2, Y0 + 2),
            shapely.LineString([(X0, Y0), (X0 + 5, Y0 + 5)]),
        ]
    )
    multi = shapely.MultiPolygon(
        [box(X0 + 10, Y0 + 10, X0 + 11, Y0 + 11), box(X0 + 12, Y0 + 12, X0 + 13.5, Y0 + 13)]
    )
    holed = Polygon(
        [(X0, Y0), (X0 + 9, Y0), (X0 + 9, Y0 + 9), (X0, Y0 + 9)],
        [[(X0 + 1, Y0 + 1), (X0 + 2, Y0 + 1), (X0 + 2, Y0 + 2), (X0 + 1, Y0 + 2)]],
    )
    geoms = [Polygon(), coll, multi, holed, shapely.MultiPolygon()]
    got = _areas(geoms, [([i], -1) for i in range(5)])
    assert got.tolist() == pytest.approx([0.0, 4.0, 2.5, 80.0, 0.0], abs=1e-9)


def test_edges_running_along_a_boundary_within_nanometres():
    """Features cut along a county line and reprojected: their vertices lie 1e-10..1e-7 m off
    the unit boundary, on alternating sides, so edges cross it at tiny angles many times. The
    crossings must be shared by both edges (computed separately, this once gave errors of
    10⁵ m² on such cases); the result must match GEOS to 1e-9 relative.
    """
    rng = np.random.default_rng(11)
    x0, y0, length, slope = 757_000.0, 4_276_000.0, 30_000.0, 0.37
    normal = np.array([-slope, 1.0]) / np.hypot(slope, 1.0)
    checked = 0
    for _ in range(60):
        n = int(rng.integers(3, 30))
        t = np.r_[0.0, np.sort(rng.uniform(0, 1, n - 2)), 1.0]
        line = [(x0 + length * s, y0 + slope * length * s) for s in t]
        clip = Polygon([*line, (x0 + length, y0 + 2 * length), (x0, y0 + 2 * length)])
        s = np.sort(rng.uniform(0.05, 0.95, 2 * n))
        off = 10 ** rng.uniform(-10, -7) * np.where(np.arange(2 * n) % 2 == 0, 1.0, -1.0)
        pts = [
            (x0 + length * u + o * normal[0], y0 + slope * length * u + o * normal[1])
            for u, o in zip(s, off, strict=True)
        ]
        top = y0 + 1.5 * length
        sub = Polygon([(x0 + 0.05 * length, top), *pts, (x0 + 0.95 * length, top)])
        if not (sub.is_valid and clip.is_valid):
            continue
        got = _areas([sub, clip], [([0], 1)])[0]
        ref = shapely.intersection(sub, clip).area
        assert abs(got - ref) <= 1e-9 * ref  # never NaN: nothing here is declined
        checked += 1
    assert checked >= 40


def test_big_polygons_take_the_grid_search_and_agree_with_geos():
    # two 6,000-vertex stars overlapping almost entirely: 750 x 750 blocks of edges meet the
    # overlap box, more than the block-pair search takes, so the edge grid finds the crossings
    rng = np.random.default_rng(5)
    a = _star(rng, X0, Y0, 5_000, 6_000)
    b = _star(rng, X0 + 300, Y0 - 200, 5_000, 6_000)
    assert a.is_valid and b.is_valid
    got = _areas([a, b], [([0, 1], -1), ([0], 1)])
    np.testing.assert_allclose(got, [a.union(b).area, a.intersection(b).area], rtol=1e-9)


def _round_trip(geom):
    """``geom`` projected to CGCS2000 degrees and back (vertices move by nanometres)."""
    from pyproj import Transformer

    there = Transformer.from_crs("EPSG:4547", "EPSG:4490", always_xy=True)
    back = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True)
    return shapely.transform(
        geom, lambda xy: np.column_stack(back.transform(*there.transform(xy[:, 0], xy[:, 1])))
    )


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_line=st.integers(2, 12),
    k=st.integers(1, 4),
    reproject=st.booleans(),
)
def test_random_cuts_along_a_county_line_agree_with_geos(seed, n_line, k, reproject):
    """Layers cut along unit lines, as real ones are: stars cut by GEOS along a random
    county line (so the cut vertices lie on the line to rounding), optionally reprojected
    there and back (nanometres off it). Every task is measured (no NaN) and agrees with
    GEOS overlays to 1e-9 of the layer's area.
    """
    rng = np.random.default_rng(seed)
    ang = rng.uniform(0, np.pi)
    d = np.array([np.cos(ang), np.sin(ang)])
    nrm = np.array([-d[1], d[0]])
    t = np.sort(rng.uniform(-5000, 5000, n_line))
    t[0], t[-1] = -20_000.0, 20_000.0
    wig = rng.normal(0, 300, n_line) * (n_line > 2)
    line = np.array([X0, Y0]) + t[:, None] * d + wig[:, None] * nrm
    far = 30_000.0
    side_a = Polygon([*line, line[-1] + far * nrm, line[0] + far * nrm])
    side_b = Polygon([*line, line[-1] - far * nrm, line[0] - far * nrm])
    if not (side_a.is_valid and side_b.is_valid):
        return
    feats = []
    for _ in range(k):
        star = _star(
            rng, X0 + rng.normal(0, 500), Y0 + rng.normal(0, 500), rng.uniform(300, 900),
            int(rng.integers(3, 200)),
        )  # fmt: skip
        if not star.is_valid:
            continue
        for unit in (side_a, side_b):
            part = shapely.intersection(star, unit)
            for piece in shapely.get_parts(part):
                if piece.geom_type == "Polygon" and piece.area > 0:
                    feats.append(_round_trip(piece) if reproject else piece)
    feats = [f for f in feats if f.is_valid]
    if not feats:
        return
    units = [_round_trip(u) if reproject else u for u in (side_a, side_b)]
    geoms = [*feats, *units]
    n = len(feats)
    tasks = [(list(range(n)), -1), (list(range(n)), n), (list(range(n))[::-1], n + 1)]
    tasks += [([i], n + u) for i in range(n) for u in (0, 1)]
    tasks += [([i, j], -1) for i in range(n) for j in range(i + 1, n)]
    got = _areas(geoms, tasks)
    union = shapely.union_all(feats)
    ref = [
        (shapely.union_all([geoms[m] for m in members]) if len(members) > 1 else geoms[members[0]])
        for members, _ in tasks
    ]
    ref = [
        (shapely.intersection(g, geoms[c]) if c >= 0 else g).area
        for g, (_, c) in zip(ref, tasks, strict=True)
    ]
    assert not np.isnan(got).any()
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9 * union.area)


def test_runs_of_edges_near_the_other_side_agree_with_geos():
    """A task with a clip walks only the edges near the other side, in runs that start
    outside it: a big ragged star against small clips (its rings enter and leave the clip's
    envelope many times), small stars against a big clip, and unions of the big star and
    two small ones clipped by a third.
    """
    rng = np.random.default_rng(17)
    big = _star(rng, X0, Y0, 5_000, 3_000)
    geoms = [big]
    for _ in range(40):
        cx, cy = X0 + rng.uniform(-5_500, 5_500), Y0 + rng.uniform(-5_500, 5_500)
        geoms.append(_star(rng, cx, cy, rng.uniform(50, 1_500), int(rng.integers(3, 300))))
    geoms = [g for g in geoms if g.is_valid]
    n = len(geoms)
    tasks = [([0], i) for i in range(1, n)] + [([i], 0) for i in range(1, n)]
    # several subjects: edges outside the clip's envelope are not walked but still crossed
    tasks += [([0, i, i + 1], i + 2) for i in range(1, n - 2)]
    got = _areas(geoms, tasks)
    ref = [
        shapely.intersection(shapely.union_all([geoms[j] for j in m]), geoms[c]).area
        for m, c in tasks
    ]
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9 * big.area)
    assert 0 < sum(r > 0 for r in ref) < len(ref)  # some clips meet the star, some do not


_INVALID = {
    "bow-tie": Polygon([(0, 0), (2, 2), (2, 0), (0, 2)]),
    "touches itself at a vertex": Polygon([(0, 0), (4, 0), (2, 2), (3, 3), (1, 3), (2, 2)]),
    "vertex on a non-adjacent edge": Polygon([(0, 0), (4, 0), (4, 4), (2, 0.0), (0, 4)]),
    "spike": Polygon([(0, 0), (4, 0), (4, 4), (4, 6), (4, 4), (0, 4)]),
    "collinear overlap": Polygon([(0, 0), (4, 0), (4, 2), (1, 2), (1, 0.0), (3, 0), (3, -1)]),
    "flat": Polygon([(0, 0), (1, 0), (2, 0)]),
}
with np.errstate(invalid="ignore"):  # GEOS is told about the NaN on purpose
    _INVALID["nan"] = Polygon([(0, 0), (1, 0), (float("nan"), 1)])


@pytest.mark.parametrize("name", list(_INVALID))
def test_invalid_rings_are_never_certified(name):
    from zoning.polyarea import certified_valid

    g = shapely.transform(_INVALID[name], lambda xy: xy * 1000 + np.array([X0, Y0]))
    assert not g.is_valid
    assert not certified_valid(pack(np.array([g], dtype=object)))[0]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(3, 40),
    snap=st.sampled_from([0.0, 1.0, 100.0]),
)
def test_certified_rings_are_valid_for_geos(seed, n, snap):
    """Random rings, many of them self-crossing or touching (vertices snapped to a coarse
    grid make collinear and shared points): whatever the kernel certifies GEOS finds valid,
    and it certifies most valid simple stars.
    """
    _check_certified_rings(seed, n, snap)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(33, 400),
    snap=st.sampled_from([0.0, 0.01, 1.0]),
)
def test_certified_big_rings_are_valid_for_geos(seed, n, snap):
    """The same with rings of more than 32 edges, which take the grid of edges."""
    _check_certified_rings(seed, n, snap)


def test_rings_touching_themselves_far_apart_in_the_grid_are_not_certified():
    """A long ring (grid path) whose vertex lies exactly on a far edge, whose edges cross
    once, or which runs back along itself for a stretch: never certified; the star it is
    made from is.
    """
    from zoning.polyarea import certified_valid

    ang = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    rad = 1000 * (1 + 0.2 * (np.arange(200) % 2))
    star = np.c_[rad * np.cos(ang), rad * np.sin(ang)]
    touching = star.copy()
    touching[100] = (star[0] + star[1]) / 2  # on the edge 0 → 1: a contact
    crossing = star.copy()
    crossing[100] = star[0] * 1.5  # edges 99 → 100 → 101 cross edges 199 → 0 → 1
    rings = [star, touching, crossing]
    geoms = np.array([Polygon(xy + np.array([X0, Y0])) for xy in rings], dtype=object)
    assert shapely.is_valid(geoms).tolist() == [True, False, False]
    assert certified_valid(pack(geoms)).tolist() == [True, False, False]


def _check_certified_rings(seed, n, snap):
    from zoning.polyarea import certified_valid

    rng = np.random.default_rng(seed)
    rings = []
    for _ in range(30):
        xy = rng.uniform(0, 1000, (n, 2))
        if rng.random() < 0.5:  # star-shaped (mostly valid)
            ang = np.sort(rng.uniform(0, 2 * np.pi, n))
            rad = 500 * (0.3 + 0.7 * rng.random(n))
            xy = np.c_[500 + rad * np.cos(ang), 500 + rad * np.sin(ang)]
        if snap:
            xy = np.round(xy / snap) * snap
        rings.append(Polygon(xy + np.array([X0, Y0])))
    geoms = np.array(rings, dtype=object)
    sure = certified_valid(pack(geoms))
    valid = shapely.is_valid(geoms)
    assert not (sure & ~valid).any()
    assert (sure | ~valid).mean() >= 0.9  # valid (single) rings are certified


def test_two_products_sign_is_the_expansion_to_the_bit():
    """The scalar exact sign of ``a·b + c·d`` (the common case of the orientation test) gives
    the same sign and the same value, bit for bit, as the expansion it replaces, and the sign
    is the sign of the exact rational value."""
    from fractions import Fraction

    from zoning.polyarea import _expansion_sign, _grow_product, _two_products_sign

    rng = np.random.default_rng(17)
    cases = []
    for _ in range(3000):
        a, b, c, d = rng.uniform(-1, 1, 4) * 10.0 ** rng.integers(-8, 9, 4)
        cases.append((a, b, c, d))
        cases.append((a, b, -a, b))  # exact cancellation: zero
        cases.append((a, b, -b, np.nextafter(a, 0.0)))  # a one-ulp difference
        cases.append((a, b, -a * (1 + 2.0**-52), b))  # a rounded product against an exact one
    cases += [(0.0, 1.0, 0.0, -1.0), (3.0, 7.0, -21.0, 1.0), (1e-8, 1e-8, -1e-16, 1.0)]
    for a, b, c, d in cases:
        h = np.zeros(12)
        n = _grow_product(h, 0, a, b)
        n = _grow_product(h, n, c, d)
        want_sign, want = _expansion_sign(h, n)
        sign, value = _two_products_sign(a, b, c, d)
        assert sign == want_sign and np.float64(value).tobytes() == np.float64(want).tobytes()
        exact = Fraction(a) * Fraction(b) + Fraction(c) * Fraction(d)
        assert sign == (exact > 0) - (exact < 0)


def test_orientation_with_inexact_differences_is_the_array_expansion_to_the_bit():
    """The six-product expansion of ``_orient_exact`` (kept on the stack, not in a NumPy
    array) gives the sign of the exact rational determinant and the value of the same
    expansion built in an array, bit for bit."""
    from fractions import Fraction

    from zoning.polyarea import _expansion_sign, _grow_product, _orient_exact, _two_diff

    rng = np.random.default_rng(23)
    cases = []
    for _ in range(2000):
        big = 10.0 ** rng.integers(3, 17)
        ax, ay = rng.uniform(-1, 1, 2) * big
        bx, by = rng.uniform(-1, 1, 2) * 10.0 ** rng.integers(-6, 3)
        t = rng.uniform(-2, 3)
        cases.append((ax, ay, bx, by, ax + t * (bx - ax), ay + t * (by - ay)))  # nearly on
        cases.append((ax, ay, bx, by, *(rng.uniform(-1, 1, 2) * big)))
    cases.append((1e16, 1.0, -1e16, -1.0, 0.0, 0.0))  # exactly on the line, through 0
    inexact = 0
    for ax, ay, bx, by, cx, cy in cases:
        diffs = [_two_diff(bx, ax), _two_diff(cy, ay), _two_diff(by, ay), _two_diff(cx, ax)]
        inexact += any(t != 0.0 for _, t in diffs)
        h = np.zeros(12)
        n = 0
        for a, b in ((bx, cy), (-bx, ay), (-ax, cy), (-by, cx), (by, ax), (ay, cx)):
            n = _grow_product(h, n, a, b)
        want_sign, want = _expansion_sign(h, n)
        sign, value = _orient_exact(ax, ay, bx, by, cx, cy)
        exact = (Fraction(bx) - Fraction(ax)) * (Fraction(cy) - Fraction(ay)) - (
            Fraction(by) - Fraction(ay)
        ) * (Fraction(cx) - Fraction(ax))
        assert sign == (exact > 0) - (exact < 0)
        if any(t != 0.0 for _, t in diffs):
            assert sign == want_sign and np.float64(value).tobytes() == np.float64(want).tobytes()
    assert inexact >= 1000  # most cases take the six-product path


def _comb(x0, y0, teeth, tooth, gap, height, across):
    """A comb of ``teeth`` teeth ``tooth`` wide, ``gap`` apart, ``height`` high, on a base.

    Teeth stand along x (vertical teeth); ``across`` swaps x and y (horizontal teeth).
    """
    pts = [(0.0, -1.0)]
    for i in range(teeth):
        left = i * (tooth + gap)
        pts += [(left, 0.0), (left, height), (left + tooth, height), (left + tooth, 0.0)]
    pts += [(pts[-1][0], -1.0)]
    xy = np.array(pts)
    if across:
        xy = xy[:, ::-1]
    return Polygon(np.c_[x0 + xy[:, 0], y0 + xy[:, 1]])


def test_tasks_that_outgrow_the_work_arrays_start_over_with_larger_ones(monkeypatch):
    """The kernel allocates nothing: a task too large for its work arrays (vertices,
    crossing records, the edge grid of big polygons) stops the kernel, which says what it
    needs; the task starts over with larger arrays and gives GEOS's area. Each of the three
    is met here, in one chunk of tasks, after small tasks that fit."""
    import zoning.polyarea as pa

    seen = []
    kernel = pa._tasks

    def spy(*args):
        stopped = kernel(*args)
        if stopped < args[-1]:
            seen.append(int(args[-3][0]))
        return stopped

    monkeypatch.setattr(pa, "_tasks", spy)
    monkeypatch.setattr(pa, "_KEPT", threading.local())  # the smallest arrays, as a new thread
    # 40 × 40 teeth crossing: 6,400 crossings of 330 vertices (the buffers hold 2·256 + 64)
    a = _comb(X0, Y0, 40, 1.0, 1.0, 90.0, across=False)
    b = _comb(X0 - 5.0, Y0 + 0.5, 40, 1.0, 1.0, 90.0, across=True)
    rng = np.random.default_rng(5)
    s = _star(rng, X0, Y0, 5_000, 6_000)  # two big stars: the edge grid (see above)
    t = _star(rng, X0 + 300, Y0 - 200, 5_000, 6_000)
    small = [box(X0, Y0, X0 + 3, Y0 + 3), box(X0 + 1, Y0 + 1, X0 + 5, Y0 + 5)]
    assert a.is_valid and b.is_valid
    got = _areas([a, b, s, t, *small], [([4, 5], -1), ([0, 1], -1), ([0], 1), ([2, 3], -1)])
    want = [
        small[0].union(small[1]).area,
        a.union(b).area,
        a.intersection(b).area,
        s.union(t).area,
    ]
    np.testing.assert_allclose(got, want, rtol=1e-9)
    assert {pa._NEED_WORK, pa._NEED_CROSSINGS, pa._NEED_GRID} <= set(seen)


def _touching_cases():
    """Pairs of polygons that touch or nearly touch, as layers cut along unit lines do."""
    up = np.nextafter(1.0, 2.0)
    down = np.nextafter(1.0, 0.0)
    a = box(0, 0, 1, 1)
    split = Polygon([(0, 0), (4, 0), (4, 1.3), (2.7, 2.1), (1.1, 1.7), (0, 3)])  # a crooked line
    patch = Polygon([(0.5, 0.5), (3.5, 0.2), (3.2, 3.5), (0.3, 3.2)])
    outer = box(0, 0, 4, 4)
    return {
        "shared edge, opposite directions": (a, box(1, 0, 2, 1)),
        "shared edges, same direction (one inside the other)": (box(0, 0, 2, 1), a),
        "partly shared edge": (box(0, 0, 2, 1), box(1, 1, 3, 2)),
        "T-junction": (box(0, 0, 2, 1), box(0.5, 1, 1.5, 2)),
        "a vertex on an edge": (a, Polygon([(0.5, 1), (1, 2), (0, 2)])),
        "corners meeting": (a, box(1, 1, 2, 2)),
        "one ulp apart": (a, box(up, 0, 2, 1)),
        "one ulp of overlap": (a, box(down, 0, 2, 1)),
        "a sliver of overlap": (a, box(1 - 1e-7, 0.25, 2, 0.75)),
        "pieces of a patch cut by a crooked line": (
            patch.intersection(split),
            patch.intersection(outer.difference(split)),
        ),
        "a piece and the neighbouring unit": (
            patch.intersection(split),
            outer.difference(split),
        ),
        "a piece and its own unit": (patch.intersection(split), split),
    }


@pytest.mark.parametrize("origin", [(0.0, 0.0), (X0, Y0)])
@pytest.mark.parametrize("name", list(_touching_cases()))
def test_touching_configurations_agree_with_geos(name, origin):
    """Shared and partly shared edges, T-junctions, vertices on edges, contacts one ulp
    apart or one ulp deep, slivers: the kernel's intersection and union areas against
    GEOS's ``intersection(...).area`` and ``union(...).area``; a contact with no area gives
    at most the rounding bound the kernel reports with it.

    GEOS measures copies moved back to the origin, exactly (each coordinate is within a
    factor 2 of the origin's): at projected coordinates its overlay loses the 4.6e-11 m²
    sliver that rounding the moved piece leaves against the neighbouring unit (it reports
    0), which the kernel finds, as GEOS does at the origin."""
    a, b = (shapely.affinity.translate(g, *origin) for g in _touching_cases()[name])
    assert a.is_valid and b.is_valid
    a0, b0 = (shapely.transform(g, lambda xy: xy - np.array(origin)) for g in (a, b))
    packed = pack(np.array([a, b], dtype=object))
    got, noise = union_clip_areas(
        packed,
        np.array([0, 1, 2, 4]),
        np.array([0, 1, 0, 1]),
        np.array([1, 0, -1]),
        with_noise=True,
    )
    want_cap = shapely.intersection(a0, b0).area
    want_cup = shapely.union(a0, b0).area
    for value, bound in zip(got[:2], noise[:2], strict=True):
        assert abs(value - want_cap) <= max(bound, 1e-9 * want_cap)  # never NaN
    assert abs(got[2] - want_cup) <= max(noise[2], 1e-9 * want_cup)
    if want_cap == 0.0:
        assert abs(got[0]) <= noise[0] and abs(got[1]) <= noise[1]
