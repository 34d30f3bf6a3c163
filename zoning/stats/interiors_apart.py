"""A cheap, exact proof that two polygons' interiors are disjoint, before the area kernel.

The dissolve tests every pair of features whose envelopes overlap. On layers cut along
county lines most such pairs only touch: small tips of one polygon on the same side of a
county line, or a tip against the body across the line that shares the cut edge. The area
kernel measures them all as 0; this module proves most of them disjoint first, reading only
the edges of one polygon near the other.

Only pairs whose smaller polygon has at most :data:`HULL_MAX` coordinates are tried (its hull
is cheap; pairs of two big polygons are mostly real overlaps). When both are that small, a
line through an edge of one hull with the other hull on its closed outer side separates them
(tips on the same side of a cut line). Otherwise, for ``P`` the polygon with fewer vertices
(then the other way round when both are small), let ``H`` be the convex hull of ``P``'s
vertices (so ``int P ⊂ int H``) and ``c`` a point certified strictly inside ``H``.
If no edge of ``Q`` meets the open set ``int H``, then ``int H`` (connected) lies wholly
inside or wholly outside ``Q``, and the parity of the crossings of ``Q``'s boundary by a ray
from ``c`` tells which. When it is outside, ``int P ∩ int Q ⊂ int H ∩ Q = ∅``: the interiors
are disjoint, whatever the shape of ``P`` or ``Q`` near ``H`` (touching along an edge or at a
vertex is allowed). Every step is an exact orientation sign
(:func:`zoning.polyarea.orient_sign`: a floating-point filter, then expansions) or an exact
comparison of coordinates, so the proof only ever says "disjoint" when it is true, for valid
polygons (the parity test, like the area kernel, reads a valid polygon's rings). Whatever it
cannot prove is left to the kernel.

Edges of ``Q`` are read block by block (boxes of :data:`BLOCK` edges), so a pair costs about
the blocks of ``Q`` plus the few edges near ``P`` or on the ray.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely

from zoning.jit import njit  # numba.njit; a broken cache falls back to no cache
from zoning.polyarea import in_range, orient_sign
from zoning.ring_coords import exterior_coords
from zoning.stats.batches import task_batches

__all__ = ["BLOCK", "CHUNK_PAIRS", "CHUNK_VERTICES", "HULL_MAX", "interiors_apart", "warm_up"]

HULL_MAX = 64  # pairs whose smaller polygon has more vertices are left to the kernel
BLOCK = 16  # edges per block of a ring (boxes that let a pair skip the edges far from P)
CHUNK_PAIRS = 16384  # pairs proved at a time on one thread, at most
CHUNK_VERTICES = 1 << 22  # vertices their polygons have (repeats counted), at most


def interiors_apart(
    geoms: np.ndarray, left: np.ndarray, right: np.ndarray, *, n_jobs: int = 1
) -> np.ndarray:
    """Tell which pairs of polygons are proved to have disjoint interiors.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Valid polygons and multipolygons (other types are never proved apart).
    left, right : ndarray of int
        The pairs, positions in ``geoms``.
    n_jobs : int
        Threads for the proofs (numba, GIL released); the answer does not depend on it.

    Returns
    -------
    ndarray of bool
        True where the interiors of ``geoms[left]`` and ``geoms[right]`` are proved
        disjoint (touching allowed); False where they may meet.

    Examples
    --------
    >>> sq = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1),
    ...                shapely.box(0.5, 0.5, 2, 2)])
    >>> interiors_apart(sq, np.array([0, 0]), np.array([1, 2])).tolist()
    [True, False]
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    out = np.zeros(len(left), dtype=bool)
    if len(left) == 0:
        return out
    if 2 * len(left) >= len(geoms):
        size = shapely.get_num_coordinates(geoms)
        size_l, size_r = size[left], size[right]
    else:
        size = shapely.get_num_coordinates(geoms[np.concatenate([left, right])])
        size_l, size_r = size[: len(left)], size[len(left) :]
    # only pairs with a small polygon: its hull is cheap, and big pairs are mostly real overlaps
    tried = np.flatnonzero(np.minimum(size_l, size_r) <= HULL_MAX)
    if len(tried) == 0:
        return out
    # consecutive pairs in chunks of bounded vertices, each read and proved on a worker thread
    # (the envelope join gives pairs in spatial order: a chunk's pairs share their features)
    bounds = task_batches(
        size_l[tried] + size_r[tried], max_work=CHUNK_VERTICES, max_tasks=CHUNK_PAIRS
    )

    def run(k: int) -> None:
        t = tried[bounds[k] : bounds[k + 1]]
        out[t] = _apart_chunk(geoms, left[t], right[t], size_l[t], size_r[t])

    chunks = range(len(bounds) - 1)
    if n_jobs <= 1 or len(chunks) == 1:
        for k in chunks:
            run(k)
    else:
        with ThreadPoolExecutor(min(n_jobs, len(chunks))) as pool:
            list(pool.map(run, chunks))
    return out


def warm_up() -> int:
    """Compile the dissolve's kernels (once per install: numba caches them in ``__pycache__``).

    The proof's, and the envelope join's pairs within grid cells
    (:mod:`zoning.stats.cell_pairs`). ``make setup`` calls it, as it calls
    :func:`zoning.polyarea.warm_up`, so that the first statistics run does not pay for
    compiling.

    Returns
    -------
    int
        The pairs proved apart among two unit squares side by side and a triangle beside
        the second (2: the two pairs whose envelopes meet, each sharing an edge).

    Examples
    --------
    >>> warm_up()
    2
    """
    from zoning.stats.envelope_join import envelope_pairs

    geoms = np.array(
        [
            shapely.box(0, 0, 1, 1),
            shapely.box(1, 0, 2, 1),
            shapely.Polygon([(2, 0), (3, 0), (2, 1)]),
        ]
    )
    left, right = envelope_pairs(shapely.bounds(geoms))  # (0, 1), (1, 2)
    return int(interiors_apart(geoms, left, right).sum())


def _apart_chunk(
    geoms: np.ndarray, left: np.ndarray, right: np.ndarray, size_l: np.ndarray, size_r: np.ndarray
) -> np.ndarray:
    """:func:`interiors_apart` of pairs whose smaller polygon has at most HULL_MAX vertices.

    ``size_l`` and ``size_r`` are the numbers of coordinates of the pairs' polygons.
    """
    out = np.zeros(len(left), dtype=bool)
    used, first, inv = np.unique(
        np.concatenate([left, right]), return_index=True, return_inverse=True
    )
    li, ri = inv[: len(left)], inv[len(left) :]
    coords, ring_off, feat_rings, ok = _read_rings(geoms[used], np.r_[size_l, size_r][first])
    n_vert = ring_off[feat_rings[1:]] - ring_off[feat_rings[:-1]]
    # P: the side with fewer vertices (its hull is built; Q's edges are read)
    swap = n_vert[ri] < n_vert[li]
    p = np.where(swap, ri, li)
    q = np.where(swap, li, ri)
    n_blk = (np.maximum(np.diff(ring_off) - 1, 0) + BLOCK - 1) // BLOCK
    blk_off = np.r_[0, np.cumsum(n_blk)].astype(np.int64)
    blk_box = np.empty((int(blk_off[-1]), 4))
    feat_box = np.empty((len(used), 4))
    _boxes(coords, ring_off, feat_rings, blk_off, blk_box, feat_box, ok)
    hulled = ok & (n_vert <= HULL_MAX)  # the smaller polygon of every pair, at least
    hull_off = np.r_[0, np.cumsum(np.where(hulled, 2 * n_vert + 2, 0))].astype(np.int64)
    hull_xy = np.empty((int(hull_off[-1]), 2))
    hull_n = np.zeros(len(used), dtype=np.int64)
    work = np.empty((HULL_MAX, 2))
    _hulls(coords, ring_off, feat_rings, np.flatnonzero(hulled), hull_off, hull_xy, hull_n, work)
    _prove(
        coords, ring_off, feat_rings, blk_off, blk_box, feat_box, hull_off, hull_xy, hull_n,
        ok, p, q, out, 0, len(out),
    )  # fmt: skip
    return out


def _read_rings(
    geoms: np.ndarray, size: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every ring of each polygon or multipolygon (``size`` coordinates), in flat arrays.

    Returns the coordinates, ``ring_off`` (ring ``r`` is ``coords[ring_off[r]:ring_off[r +
    1]]``, closed), ``feat_rings`` (feature ``i`` has rings ``feat_rings[i]:feat_rings[i +
    1]``) and whether each feature can be read (a polygon or multipolygon, not empty).
    Polygons without holes (most features) are copied in one call without the GIL
    (:func:`zoning.ring_coords.exterior_coords`).
    """
    n = len(geoms)
    types = shapely.get_type_id(geoms)
    ok = ((types == 3) | (types == 6)) & (size >= 4)  # a ring has at least 4 coordinates
    simple = ok & (types == 3)
    simple[simple] = shapely.get_num_interior_rings(geoms[simple]) == 0
    n_rings = np.zeros(n, dtype=np.int64)
    n_rings[simple] = 1
    rest = np.flatnonzero(ok & ~simple)
    s_len = size[simple]
    s_coords = exterior_coords(geoms[simple], s_len)  # without the GIL
    if len(rest) == 0:
        return (
            np.ascontiguousarray(s_coords, dtype=np.float64),
            np.r_[0, np.cumsum(s_len)].astype(np.int64),
            np.r_[0, np.cumsum(n_rings)].astype(np.int64),
            ok,
        )
    parts, part_owner = shapely.get_parts(geoms[rest], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    c_coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    c_len = np.bincount(ring_of, minlength=len(rings))
    ring_owner = rest[part_owner[ring_part]]  # feature of each ring, non-decreasing
    n_rings[rest] = np.bincount(ring_owner, minlength=n)[rest]
    # rings in feature order: the simple features' rings interleaved with the others'
    owner = np.r_[np.flatnonzero(simple), ring_owner]
    length = np.r_[s_len, c_len]
    first = np.r_[0, np.cumsum(length)][:-1]
    order = np.argsort(owner, kind="stable")
    all_coords = np.concatenate([s_coords, c_coords])
    take = np.repeat(first[order], length[order]) + (
        np.arange(int(length.sum()))
        - np.repeat(np.r_[0, np.cumsum(length[order])][:-1], length[order])
    )
    return (
        np.ascontiguousarray(all_coords[take], dtype=np.float64),
        np.r_[0, np.cumsum(length[order])].astype(np.int64),
        np.r_[0, np.cumsum(n_rings)].astype(np.int64),
        ok,
    )


@njit(cache=True, nogil=True)
def _boxes(coords, ring_off, feat_rings, blk_off, blk_box, feat_box, ok):
    """Boxes of every block of edges and of every feature; ``ok`` False for unusable ones.

    A feature whose coordinates are out of the exact arithmetic's range (or NaN) is never
    proved apart.
    """
    for f in range(feat_rings.shape[0] - 1):
        fx0 = np.inf
        fy0 = np.inf
        fx1 = -np.inf
        fy1 = -np.inf
        good = ok[f]
        for r in range(feat_rings[f], feat_rings[f + 1]):
            v0 = ring_off[r]
            v1 = ring_off[r + 1]
            for b in range(blk_off[r], blk_off[r + 1]):
                s0 = v0 + (b - blk_off[r]) * BLOCK
                s1 = min(s0 + BLOCK, v1 - 1)
                bx0 = coords[s0, 0]
                by0 = coords[s0, 1]
                bx1 = bx0
                by1 = by0
                for v in range(s0, s1 + 1):
                    x = coords[v, 0]
                    y = coords[v, 1]
                    if not (in_range(x) and in_range(y)):
                        good = False
                    bx0 = min(bx0, x)
                    by0 = min(by0, y)
                    bx1 = max(bx1, x)
                    by1 = max(by1, y)
                blk_box[b, 0] = bx0
                blk_box[b, 1] = by0
                blk_box[b, 2] = bx1
                blk_box[b, 3] = by1
                fx0 = min(fx0, bx0)
                fy0 = min(fy0, by0)
                fx1 = max(fx1, bx1)
                fy1 = max(fy1, by1)
        feat_box[f, 0] = fx0
        feat_box[f, 1] = fy0
        feat_box[f, 2] = fx1
        feat_box[f, 3] = fy1
        ok[f] = good


@njit(cache=True, nogil=True)
def _lex_less(ax, ay, bx, by):
    return ax < bx or (ax == bx and ay < by)


@njit(cache=True, nogil=True)
def _hulls(coords, ring_off, feat_rings, feats, hull_off, hull_xy, hull_n, work):
    """Convex hull (counter-clockwise, no collinear vertices) of each feature in ``feats``.

    Andrew's monotone chain over the vertices sorted by ``(x, y)`` (a Shell sort in
    ``work``), every turn an exact orientation sign: the hull of the vertices exactly, fewer
    than 3 vertices when they are collinear. Hull ``f`` is ``hull_xy[hull_off[f]:hull_off[f]
    + hull_n[f]]``.
    """
    for f in feats:
        h = hull_off[f]
        r = feat_rings[f]
        if feat_rings[f + 1] == r + 1 and ring_off[r + 1] - ring_off[r] == 4:
            # a triangle (most tips cut off by a line): its vertices, counter-clockwise
            v = ring_off[r]
            s = orient_sign(
                coords[v, 0], coords[v, 1], coords[v + 1, 0], coords[v + 1, 1],
                coords[v + 2, 0], coords[v + 2, 1],
            )  # fmt: skip
            if s == 0:
                continue  # collinear: no interior
            for i in range(3):
                w = v + (i if s > 0 else 2 - i)
                hull_xy[h + i, 0] = coords[w, 0]
                hull_xy[h + i, 1] = coords[w, 1]
            hull_n[f] = 3
            continue
        n = 0
        for r in range(feat_rings[f], feat_rings[f + 1]):
            for v in range(ring_off[r], ring_off[r + 1] - 1):  # the closing vertex repeats
                work[n, 0] = coords[v, 0]
                work[n, 1] = coords[v, 1]
                n += 1
        gap = 1
        while gap * 3 + 1 < n:
            gap = gap * 3 + 1
        while gap >= 1:
            for i in range(gap, n):
                x = work[i, 0]
                y = work[i, 1]
                j = i
                while j >= gap and _lex_less(x, y, work[j - gap, 0], work[j - gap, 1]):
                    work[j, 0] = work[j - gap, 0]
                    work[j, 1] = work[j - gap, 1]
                    j -= gap
                work[j, 0] = x
                work[j, 1] = y
            gap //= 3
        k = 0
        for i in range(n):  # lower chain
            while k >= 2 and _turn(hull_xy, h + k, work[i, 0], work[i, 1]) <= 0:
                k -= 1
            hull_xy[h + k, 0] = work[i, 0]
            hull_xy[h + k, 1] = work[i, 1]
            k += 1
        t = k + 1
        for i in range(n - 2, -1, -1):  # upper chain
            while k >= t and _turn(hull_xy, h + k, work[i, 0], work[i, 1]) <= 0:
                k -= 1
            hull_xy[h + k, 0] = work[i, 0]
            hull_xy[h + k, 1] = work[i, 1]
            k += 1
        hull_n[f] = max(k - 1, 0)  # the last vertex repeats the first


@njit(cache=True, nogil=True)
def _turn(hull_xy, end, x, y):
    """Exact orientation of ``(x, y)`` against the last two hull vertices before ``end``."""
    return orient_sign(
        hull_xy[end - 2, 0], hull_xy[end - 2, 1], hull_xy[end - 1, 0], hull_xy[end - 1, 1], x, y
    )


@njit(cache=True, nogil=True)
def _prove(
    coords,
    ring_off,
    feat_rings,
    blk_off,
    blk_box,
    feat_box,
    hull_off,
    hull_xy,
    hull_n,
    ok,
    p,
    q,
    out,
    lo,
    hi,
):
    """Write into ``out[lo:hi]`` whether pairs ``(p[t], q[t])`` are proved apart."""
    for t in range(lo, hi):
        a = p[t]
        b = q[t]
        if not (ok[a] and ok[b] and hull_n[a] >= 3):
            continue
        if hull_n[b] >= 3 and _hulls_apart(hull_xy, hull_off[a], hull_n[a], hull_off[b], hull_n[b]):
            out[t] = True  # two small polygons whose hulls are apart (the usual case)
        else:
            out[t] = _apart(
                coords, ring_off, feat_rings, blk_off, blk_box, feat_box, hull_off, hull_xy,
                hull_n, a, b,
            ) or (hull_n[b] >= 3 and _apart(
                coords, ring_off, feat_rings, blk_off, blk_box, feat_box, hull_off, hull_xy,
                hull_n, b, a,
            ))  # fmt: skip


@njit(cache=True, nogil=True)
def _hulls_apart(hull_xy, ha, ka, hb, kb):
    """Whether the line of an edge of one hull has the other hull on its closed outer side.

    Hulls are counter-clockwise (interior on the left): such a line separates their
    interiors.
    """
    for _ in range(2):
        for i in range(ka):
            j = ha + (i + 1) % ka
            x0 = hull_xy[ha + i, 0]
            y0 = hull_xy[ha + i, 1]
            x1 = hull_xy[j, 0]
            y1 = hull_xy[j, 1]
            right = True
            for m in range(kb):
                if orient_sign(x0, y0, x1, y1, hull_xy[hb + m, 0], hull_xy[hb + m, 1]) > 0:
                    right = False
                    break
            if right:
                return True
        ha, ka, hb, kb = hb, kb, ha, ka
    return False


@njit(cache=True, nogil=True)
def _apart(
    coords, ring_off, feat_rings, blk_off, blk_box, feat_box, hull_off, hull_xy, hull_n, a, b
):
    """Whether ``int H ∩ Q = ∅``, ``H`` the hull of feature ``a`` and ``Q`` feature ``b``."""
    h = hull_off[a]
    k = hull_n[a]
    cx = 0.0
    cy = 0.0
    for i in range(k):
        cx += hull_xy[h + i, 0]
        cy += hull_xy[h + i, 1]
    cx /= k
    cy /= k
    for i in range(k):  # c strictly inside H (rounding may move it out of a sliver)
        j = h + (i + 1) % k
        if (
            orient_sign(hull_xy[h + i, 0], hull_xy[h + i, 1], hull_xy[j, 0], hull_xy[j, 1], cx, cy)
            <= 0
        ):
            return False
    # the box of H is the box of a's vertices: an edge that misses its interior misses int H
    x0 = feat_box[a, 0]
    y0 = feat_box[a, 1]
    x1 = feat_box[a, 2]
    y1 = feat_box[a, 3]
    # the ray leaves c in the direction where b's box ends soonest (often at once)
    d = _ray_direction(feat_box, b, cx, cy)
    rcx, rcy = _rotate(d, cx, cy)
    odd = False
    for r in range(feat_rings[b], feat_rings[b + 1]):
        v0 = ring_off[r]
        for blk in range(blk_off[r], blk_off[r + 1]):
            bx0 = blk_box[blk, 0]
            by0 = blk_box[blk, 1]
            bx1 = blk_box[blk, 2]
            by1 = blk_box[blk, 3]
            near = bx1 > x0 and bx0 < x1 and by1 > y0 and by0 < y1
            ry0, rx1, ry1 = _rotate_box(d, bx0, by0, bx1, by1)
            ray = ry1 > rcy and ry0 <= rcy and rx1 >= rcx
            if not (near or ray):
                continue
            s0 = v0 + (blk - blk_off[r]) * BLOCK
            s1 = min(s0 + BLOCK, ring_off[r + 1] - 1)
            for v in range(s0, s1):
                ax = coords[v, 0]
                ay = coords[v, 1]
                ex = coords[v + 1, 0]
                ey = coords[v + 1, 1]
                if (
                    near
                    and max(ax, ex) > x0
                    and min(ax, ex) < x1
                    and max(ay, ey) > y0
                    and min(ay, ey) < y1
                    and not _edge_outside(hull_xy, h, k, ax, ay, ex, ey)
                ):
                    return False
                if ray:
                    ax, ay = _rotate(d, ax, ay)
                    ex, ey = _rotate(d, ex, ey)
                    if (ay > rcy) != (ey > rcy):  # the edge spans the ray's line (half-open)
                        if min(ax, ex) > rcx:
                            odd = not odd
                        elif max(ax, ex) >= rcx:
                            s = orient_sign(ax, ay, ex, ey, rcx, rcy)
                            if s == 0:
                                return False  # c on the boundary (cannot be, once proved)
                            if (s > 0) == (ey > ay):
                                odd = not odd
    return not odd


@njit(cache=True, nogil=True)
def _ray_direction(feat_box, b, cx, cy):
    """Return the direction (0: +x, 1: −x, 2: +y, 3: −y) in which b's box ends nearest c."""
    d = 0
    best = feat_box[b, 2] - cx
    if cx - feat_box[b, 0] < best:
        d = 1
        best = cx - feat_box[b, 0]
    if feat_box[b, 3] - cy < best:
        d = 2
        best = feat_box[b, 3] - cy
    if cy - feat_box[b, 1] < best:
        d = 3
    return d


@njit(cache=True, nogil=True)
def _rotate(d, x, y):
    """Rotate ``(x, y)`` so that direction ``d`` becomes +x (exact: negations and swaps).

    A rotation keeps every orientation sign.
    """
    if d == 0:
        return x, y
    if d == 1:
        return -x, -y
    if d == 2:
        return y, -x
    return -y, x


@njit(cache=True, nogil=True)
def _rotate_box(d, x0, y0, x1, y1):
    """Rotate the box ``(x0, y0, x1, y1)`` as :func:`_rotate` rotates points.

    Returns its lowest y, highest x and highest y after the rotation (what the ray needs).
    """
    if d == 0:
        return y0, x1, y1
    if d == 1:
        return -y1, -x0, -y0
    if d == 2:
        return -x1, y1, -x0
    return x0, -y0, x1


@njit(cache=True, nogil=True)
def _edge_outside(hull_xy, h, k, ax, ay, ex, ey):
    """Whether segment ``a–e`` misses the interior of the convex hull ``hull_xy[h:h + k]``.

    Proved by a separating line: the line of a hull edge with the segment on its closed outer
    side, or the segment's own line with the hull on one closed side.
    """
    for i in range(k):
        j = h + (i + 1) % k
        hx = hull_xy[h + i, 0]
        hy = hull_xy[h + i, 1]
        if (
            orient_sign(hx, hy, hull_xy[j, 0], hull_xy[j, 1], ax, ay) <= 0
            and orient_sign(hx, hy, hull_xy[j, 0], hull_xy[j, 1], ex, ey) <= 0
        ):
            return True
    if ax == ex and ay == ey:
        return False
    pos = False
    neg = False
    for i in range(k):
        s = orient_sign(ax, ay, ex, ey, hull_xy[h + i, 0], hull_xy[h + i, 1])
        pos |= s > 0
        neg |= s < 0
    return not (pos and neg)
