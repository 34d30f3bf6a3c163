"""The boundary-integral area kernel (zoning.polyarea) against hand-computed areas and GEOS."""

from __future__ import annotations

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


@pytest.mark.parametrize(
    "other",
    [
        box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000),  # shares an edge
        box(X0, Y0, X0 + 1000, Y0 + 1000),  # duplicate
        box(X0 + 500, Y0, X0 + 1500, Y0 + 1000),  # collinear overlapping edges
        _diamond(X0 + 2000, Y0 + 500, 1000),  # a vertex on the other's edge
    ],
)
def test_degenerate_contacts_are_declined(other):
    a = box(X0, Y0, X0 + 1000, Y0 + 1000)
    got = _areas([a, other], [([0, 1], -1), ([0], 1)])
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
    if not np.isnan(got):
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
    assert np.isnan(got).sum() <= 3
    ok = ~np.isnan(got)
    np.testing.assert_allclose(got[ok], ref[ok], rtol=1e-9)


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
    10⁵ m² on such cases); the result must match GEOS to 1e-9 relative."""
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
        if np.isnan(got):
            continue
        ref = shapely.intersection(sub, clip).area
        assert abs(got - ref) <= 1e-9 * ref
        checked += 1
    assert checked >= 40  # most cases are measured by the kernel, not declined


def test_big_polygons_take_the_grid_search_and_agree_with_geos():
    # two 6,000-vertex stars overlapping almost entirely: 750 x 750 blocks of edges meet the
    # overlap box, more than the block-pair search takes, so the edge grid finds the crossings
    rng = np.random.default_rng(5)
    a = _star(rng, X0, Y0, 5_000, 6_000)
    b = _star(rng, X0 + 300, Y0 - 200, 5_000, 6_000)
    assert a.is_valid and b.is_valid
    got = _areas([a, b], [([0, 1], -1), ([0], 1)])
    np.testing.assert_allclose(got, [a.union(b).area, a.intersection(b).area], rtol=1e-9)
