"""The area kernel on rings of many blocks inside, outside and across the other polygon.

Rings of many blocks (16 edges each) against clips that hold them, miss them, cut them, lie
in their holes or notches; shared edges either way along a long crooked line, a vertex on an
edge, contacts one ulp apart, slivers: the kernel against GEOS. One test checks the sum of a
ring that no edge crosses to the bit, term by term in ring order (the walk must add its
terms in that order, whatever shortcut it takes).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely import Polygon, box

from zoning.polyarea import pack, union_clip_areas

X0, Y0 = 512_345.0, 4_012_345.0  # projected coordinates, so the translation is exercised


def _wavy(cx, cy, r, n, amp=0.2, turns=7):
    """A star-shaped ring of ``n`` vertices (many blocks of 16 edges), counter-clockwise."""
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    rad = r * (1.0 + amp * np.sin(turns * t))
    return Polygon(np.c_[cx + rad * np.cos(t), cy + rad * np.sin(t)])


def _run(geoms, tasks):
    """Areas and rounding bounds of ``tasks`` = [(members, clip or -1), …]."""
    indptr = np.r_[0, np.cumsum([len(m) for m, _ in tasks])]
    members = np.concatenate([np.asarray(m, dtype=np.int64) for m, _ in tasks])
    clip = np.array([c for _, c in tasks], dtype=np.int64)
    packed = pack(np.array(geoms, dtype=object))
    return union_clip_areas(packed, indptr, members, clip, with_noise=True)


def _geos(geoms, tasks):
    out = []
    for m, c in tasks:
        u = shapely.union_all([geoms[j] for j in m])
        out.append((u if c < 0 else shapely.intersection(u, geoms[c])).area)
    return np.array(out)


def _check(geoms, tasks, rtol=1e-9):
    got, noise = _run(geoms, tasks)
    want = _geos(geoms, tasks)
    assert not np.isnan(got).any()
    scale = max(g.area for g in geoms)
    for value, bound, ref in zip(got, noise, want, strict=True):
        assert abs(value - ref) <= max(bound, rtol * scale), (value, ref, bound)
    return got, noise, want


def test_a_ring_no_edge_crosses_is_summed_to_the_bit_in_ring_order():
    """A wavy ring of 400 vertices inside a big square: nothing crosses it, so the area is
    the shoelace sum of its edges translated to the integer origin below its first vertex,
    in ring order, and the bound is (n + 3)·eps·mag / 2 plus the crossing-point term; both
    worked out here edge by edge, to the bit."""
    ring = _wavy(X0, Y0, 300.0, 400)
    clip = box(X0 - 1_000, Y0 - 1_000, X0 + 1_000, Y0 + 1_000)
    got, noise = _run([ring, clip], [([0], 1), ([0], -1)])
    xy = np.asarray(ring.exterior.coords)
    ox, oy = math.floor(xy[0, 0]), math.floor(xy[0, 1])
    twice = mag = length = reach = 0.0
    for (x, y), (nx, ny) in zip(xy[:-1] - (ox, oy), xy[1:] - (ox, oy), strict=True):
        twice += x * ny - nx * y
        mag += abs(x * ny) + abs(nx * y)
        length += abs(nx - x) + abs(ny - y)
        reach = max(reach, abs(x), abs(y))
    n = len(xy) - 1
    want_noise = 0.5 * ((n + 3) * 2.0**-53 * mag + 8.0 * 2.0**-44 * reach * length)
    assert got[0] == got[1] == 0.5 * twice
    assert noise[1] == want_noise  # no clip: only the ring's own edges
    assert got[0] == pytest.approx(ring.area, rel=1e-12)


@pytest.mark.parametrize("origin", [(0.0, 0.0), (X0, Y0)])
def test_rings_inside_outside_and_across_the_clip_agree_with_geos(origin):
    """A ring of many blocks against clips that hold it, miss it inside its envelope (a
    notch), hold part of it (blocks inside the kept box, across it and outside it), lie in
    its hole, hold its hole; and unions of two rings clipped."""
    ox, oy = origin
    ring = _wavy(ox, oy, 100.0, 320, amp=0.3, turns=5)
    holed = Polygon(ring.exterior.coords, [_wavy(ox, oy, 30.0, 96, amp=0.1).exterior.coords])
    down = [(ox + 20, oy - 20 + 0.5 * i) for i in range(119, -1, -1)]  # the notch's sides
    up = [(ox - 20, oy - 20 + 0.5 * i) for i in range(1, 121)]
    notch = Polygon(  # a U whose notch holds a clip that touches nothing
        [
            *[(ox - 50, oy - 50), (ox + 50, oy - 50), (ox + 50, oy + 50), (ox + 20, oy + 50)],
            *down,
            *up,
            *[(ox - 20, oy + 50), (ox - 50, oy + 50)],
        ]
    )
    geoms = [
        ring,  # 0
        holed,  # 1
        notch,  # 2
        box(ox - 500, oy - 500, ox + 500, oy + 500),  # 3: holds everything
        box(ox - 10, oy - 200, ox + 200, oy + 200),  # 4: across the rings
        box(ox - 5, oy - 5, ox + 5, oy + 5),  # 5: in the hole of 1
        box(ox - 40, oy - 40, ox + 40, oy + 40),  # 6: holds the hole of 1
        box(ox - 10, oy + 0, ox + 10, oy + 40),  # 7: in the notch of 2
        _wavy(ox + 60, oy + 10, 70.0, 200, amp=0.25, turns=9),  # 8: another ring, crossing
        box(ox + 30, oy - 500, ox + 500, oy + 500),  # 9: a half plane, more or less
    ]
    assert all(g.is_valid for g in geoms)
    tasks = [([s], c) for s in (0, 1, 2, 8) for c in (3, 4, 5, 6, 7, 9)]
    tasks += [([c], s) for s in (0, 1, 2, 8) for c in (3, 4, 5, 6, 7, 9)]
    tasks += [([0, 8], c) for c in (3, 4, 6, 9)] + [([1, 8], 4), ([2, 8], 9), ([0, 8], -1)]
    got, _, want = _check(geoms, tasks)
    assert got[tasks.index(([1], 5))] == 0.0  # a clip in the hole: nothing counts
    assert got[tasks.index(([2], 7))] == 0.0  # a clip in the notch: nothing counts
    assert (want > 0).sum() > len(tasks) // 2


def _cut_along(line, unit_box, n):
    """A unit box cut in two along a crooked line of ``n`` vertices (left, right)."""
    x0, y0, x1, y1 = unit_box
    left = Polygon([(x0, y0), *line, (x0, y1)])
    right = Polygon([(x1, y0), (x1, y1), *line[::-1]])
    return left, right


@pytest.mark.parametrize("origin", [(0.0, 0.0), (X0, Y0)])
def test_pieces_along_a_long_shared_line_agree_with_geos(origin):
    """Two units sharing a crooked line of 300 vertices (many blocks along it, and many
    blocks of each unit far from it), a patch cut by that line, and its pieces measured
    against their own unit and the neighbour: shared edges of the same direction (a piece
    and its unit) and of opposite directions (a piece and the neighbour), pieces touching
    the neighbour along the line (area 0 to rounding: cutting the patch rounds too)."""
    ox, oy = origin
    rng = np.random.default_rng(8)
    ys = np.linspace(0.0, 1_000.0, 300)
    xs = 500.0 + np.cumsum(rng.uniform(-4, 4, 300))
    line = [(ox + x, oy + y) for x, y in zip(xs, ys, strict=True)]
    left, right = _cut_along(line, (ox, oy, ox + 1_000, oy + 1_000), 300)
    patch = _wavy(ox + 500, oy + 500, 300.0, 256, amp=0.15)
    pieces = [patch.intersection(left), patch.intersection(right)]
    geoms = [left, right, *pieces]
    assert all(g.is_valid and g.area > 0 for g in geoms)
    tasks = [([2], 0), ([2], 1), ([3], 0), ([3], 1), ([0], 2), ([1], 3), ([2, 3], 0)]
    tasks += [([2, 3], 1), ([2, 3], -1), ([0], 1), ([0, 1], -1), ([0, 1], 2)]
    got, noise, want = _check(geoms, tasks)
    for t in (([2], 1), ([3], 0), ([0], 1)):  # contacts along the line only (GEOS: rounding)
        i = tasks.index(t)
        assert want[i] <= 1e-12 * left.area and abs(got[i]) <= max(noise[i], 1e-12 * left.area)


_UP = np.nextafter(1.0, 2.0)
_DOWN = np.nextafter(1.0, 0.0)


def _comb_cases():
    """A ring of many edges (``_wavy``) and a square box, in contact the ways cut layers are."""
    w = _wavy(0.0, 0.0, 1.0, 160, amp=0.1)  # radius 0.9 to 1.1
    half = shapely.intersection(w, box(0, -2, 2, 2))  # its right half: a long straight edge
    return {
        "a shared straight edge, opposite directions": (half, box(-1, -2, 0, 2)),
        "a shared straight edge, same direction": (half, box(0, -2, 2, 2)),
        "a vertex on an edge": (w, box(1.1, -0.5, 2, 0.5)),
        "one ulp apart": (half, box(-1, -2, -(_UP - 1.0), 2)),
        "one ulp of overlap": (half, box(-1, -2, 1.0 - _DOWN, 2)),
        "a sliver of overlap": (half, box(-1, -0.5, 1e-7, 0.5)),
        "a thin clip across every block": (w, box(-2, -1e-4, 2, 1e-4)),
    }


@pytest.mark.parametrize("origin", [(0.0, 0.0), (X0, Y0)])
@pytest.mark.parametrize("name", list(_comb_cases()))
def test_contacts_of_rings_of_many_blocks_agree_with_geos(name, origin):
    """Each contact both ways (either polygon as the clip) and as a union, against GEOS at
    the origin (the moved copies are exact: every coordinate is within a factor 2)."""
    a0, b0 = _comb_cases()[name]
    a, b = (shapely.affinity.translate(g, *origin) for g in (a0, b0))
    assert a.is_valid and b.is_valid
    got, noise = _run([a, b], [([0], 1), ([1], 0), ([0, 1], -1)])
    cap = shapely.intersection(a0, b0).area
    cup = shapely.union(a0, b0).area
    scale = max(a0.area, b0.area)
    assert not np.isnan(got).any()
    for value, bound in zip(got[:2], noise[:2], strict=True):
        assert abs(value - cap) <= max(bound, 1e-9 * scale), (value, cap, bound)
    assert abs(got[2] - cup) <= max(noise[2], 1e-9 * scale)
