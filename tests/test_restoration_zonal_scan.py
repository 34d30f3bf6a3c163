"""The compiled scan line of the zone index (zoning.restoration.zonal_scan).

The reference is the vectorised numpy version it replaced (kept below): the zone index must
be the same, bit for bit, on polygons with holes, several parts, overlaps, vertices on grid
lines and parts outside the grid.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from affine import Affine
from shapely import box

from zoning.restoration.zonal import build_zone_index
from zoning.restoration.zonal_scan import stable_order


def _split_axis(a0, b0, a1, b1, owner):
    """Split segments at every integer value of ``a`` (the numpy version, for reference)."""
    n_seg = a0.size
    lo = np.minimum(a0, a1)
    hi = np.maximum(a0, a1)
    count = np.maximum(np.ceil(hi) - np.floor(lo) - 1, 0).astype(np.int64)
    up = a1 > a0
    first = np.where(up, np.floor(a0) + 1.0, np.ceil(a0) - 1.0)
    step = np.where(up, 1.0, -1.0)
    npts = count + 2
    start = np.cumsum(npts) - npts
    total = int(npts.sum())
    pa = np.empty(total)
    pb = np.empty(total)
    pa[start] = a0
    pb[start] = b0
    pa[start + npts - 1] = a1
    pb[start + npts - 1] = b1
    n_cross = int(count.sum())
    if n_cross:
        seg = np.repeat(np.arange(n_seg), count)
        i = np.arange(n_cross) - np.repeat(np.cumsum(count) - count, count)
        k = first[seg] + step[seg] * i
        t = (k - a0[seg]) / (a1[seg] - a0[seg])
        pos = start[seg] + 1 + i
        pa[pos] = k
        pb[pos] = b0[seg] + t * (b1[seg] - b0[seg])
    keep = np.ones(total - 1, dtype=bool)
    keep[(start + npts - 1)[:-1]] = False
    seg_of = np.repeat(np.arange(n_seg), npts)[:-1][keep]
    return pa[:-1][keep], pb[:-1][keep], pa[1:][keep], pb[1:][keep], owner[seg_of]


def _reference_index(geoms, height, width, transform):
    """The zone index arrays as the numpy version computed them."""
    geoms = shapely.orient_polygons(np.asarray(geoms, dtype=object), exterior_cw=False)
    parts, part_zone = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    col = (coords[:, 0] - transform.c) / transform.a
    row = (coords[:, 1] - transform.f) / transform.e
    same = ring_of[:-1] == ring_of[1:]
    zone = part_zone[ring_part][ring_of[:-1][same]]
    c0, r0, c1, r1 = col[:-1][same], row[:-1][same], col[1:][same], row[1:][same]
    ra, ca, rb, cb, zone = _split_axis(r0, c0, r1, c1, zone)
    ca, ra, cb, rb, pz = _split_axis(ca, ra, cb, rb, zone)
    dy = rb - ra
    cm = 0.5 * (ca + cb)
    prow = np.floor(0.5 * (ra + rb)).astype(np.int64)
    pcol = np.floor(cm).astype(np.int64)
    partial = (cm - pcol - 1.0) * dy
    inside = (prow >= 0) & (prow < height) & (pcol < width)
    prow, pcol, partial, dy, pz = (
        prow[inside],
        pcol[inside],
        partial[inside],
        dy[inside],
        pz[inside],
    )
    left = pcol < 0
    pcol[left] = -1
    partial[left] = 0.0
    sign = -1.0 if transform.a * transform.e < 0 else 1.0
    w1 = width + 1
    key = (pz * height + prow) * w1 + (pcol + 1)
    ukey, inv = np.unique(key, return_inverse=True)
    psum = np.bincount(inv, partial, minlength=ukey.size)
    dsum = np.bincount(inv, dy, minlength=ukey.size)
    group = ukey // w1
    ucol = ukey % w1 - 1
    cum = np.cumsum(dsum)
    start_of_group = np.r_[True, group[1:] != group[:-1]]
    group_base = np.maximum.accumulate(np.where(start_of_group, np.arange(ukey.size), 0))
    before = cum[group_base] - dsum[group_base]
    carry_after = -(cum - before) * sign
    carry_before = carry_after - (-dsum * sign)
    frac = (psum * sign) + carry_before
    urow = group % height
    uzone = group // height
    real = (ucol >= 0) & (frac > 1e-12)
    b_frac = np.clip(frac[real], 0.0, 1.0)
    b_frac[b_frac > 1.0 - 1e-12] = 1.0
    b_zone = uzone[real]
    b_flat = urow[real] * width + ucol[real]
    nxt_same = np.r_[group[1:] == group[:-1], False]
    level = np.rint(carry_after)
    start = ucol + 1
    stop = np.where(nxt_same, np.r_[ucol[1:], 0], width)
    has_run = (level >= 1) & (stop > np.maximum(start, 0))
    r_row = urow[has_run]
    r_start = r_row * width + np.maximum(start[has_run], 0)
    r_stop = r_row * width + stop[has_run]
    r_zone = uzone[has_run]
    order = np.argsort(r_start, kind="stable")
    b_order = np.argsort(b_flat, kind="stable")
    return {
        "b_zone": b_zone[b_order],
        "b_flat": b_flat[b_order],
        "b_frac": b_frac[b_order],
        "r_zone": r_zone[order],
        "r_start": r_start[order],
        "r_stop": r_stop[order],
    }


def _assert_same_index(geoms, height, width, transform):
    idx = build_zone_index(geoms, shape=(height, width), transform=transform)
    ref = _reference_index(geoms, height, width, transform)
    for name, expected in ref.items():
        got = getattr(idx, name)
        assert got.dtype == expected.dtype, name
        np.testing.assert_array_equal(got, expected, err_msg=name)
    assert idx.b_frac.tobytes() == ref["b_frac"].tobytes()  # bits, signs of zero included
    return idx


def _random_polygons(rng, n, extent):
    """Stars with holes, multipolygons, overlapping and partly outside the extent."""
    out = []
    for _ in range(n):
        cx, cy = rng.uniform(-0.1 * extent, 1.1 * extent, 2)
        k = int(rng.integers(3, 30))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = rng.uniform(0.02, 0.25, k) * extent
        shell = np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)]
        if rng.random() < 0.3:  # vertices on grid lines
            shell = np.round(shell * 2) / 2
        poly = shapely.make_valid(shapely.Polygon(shell))
        if rng.random() < 0.3:
            poly = poly.difference(shapely.Point(cx, cy).buffer(0.3 * rad.min()))
        if rng.random() < 0.2:
            poly = poly.union(box(cx + extent * 0.3, cy, cx + extent * 0.35, cy + extent * 0.1))
        polys = [g for g in shapely.get_parts(poly) if g.geom_type == "Polygon"]
        out.append(shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0])
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_index_is_the_numpy_versions_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    polys = _random_polygons(rng, 40, 50.0)
    north_up = Affine(1, 0, 0, 0, -1, 50)
    _assert_same_index(polys, 50, 50, north_up)
    _assert_same_index(polys, 37, 61, Affine(0.8, 0, 3.3, 0, -1.3, 47.9))
    _assert_same_index(polys, 50, 50, Affine(1, 0, 0, 0, 1, 0))  # south-up: other sign


def test_tiled_counties_are_the_numpy_versions_bit_for_bit():
    # a 12 x 9 grid of squares sharing edges on and off the cell lines, as counties do
    squares = [box(x * 4.5, y * 4, x * 4.5 + 4.5, y * 4 + 4) for x in range(12) for y in range(9)]
    idx = _assert_same_index(squares, 40, 60, Affine(1, 0, 0, 0, -1, 38))
    assert idx.disjoint
    # the squares tile 54 x 36 of the 60 x 40 grid: the fractions add up to that area
    assert idx.coverage_count.sum() == pytest.approx(54 * 36, abs=1e-9)


def test_stable_order_by_hand():
    # (2, 1) (0, 5) (2, 0) (0, 5) (1, 1): by first key, then second, ties in input order
    first = np.array([2, 0, 2, 0, 1])
    second = np.array([1, 5, 0, 5, 1])
    assert stable_order([(first, 3), (second, 6)]).tolist() == [1, 3, 4, 2, 0]
    assert stable_order([(second, 6)]).tolist() == [2, 0, 4, 1, 3]


def test_piece_order_within_zones_is_the_global_counting_sort():
    # zones in order (the per-zone sorts) and shuffled (the global one): the same permutation
    # as numpy's stable argsort of the (zone, row, column) key
    from zoning.restoration.zonal_scan import piece_order

    rng = np.random.default_rng(5)
    n = 5000
    zone = np.sort(rng.integers(0, 30, n))
    row = rng.integers(0, 40, n)
    col = rng.integers(-1, 50, n)
    for z in (zone, rng.permutation(zone)):
        pieces = (z, row, col, np.zeros(n), np.zeros(n))
        expected = np.argsort((z * 40 + row) * 51 + col + 1, kind="stable")
        np.testing.assert_array_equal(piece_order(pieces, 30, 40, 50), expected)
