"""Exact area of ``(P1 ∪ … ∪ Pk) ∩ C`` by boundary integration, without building the geometry.

Zoning statistics only need areas. GEOS builds the whole result of ``union`` or
``intersection`` (noding, a topology graph, rings, a validity-preserving output) and then
``area`` throws it away. This module integrates Green's theorem along the parts of the
input boundaries that bound the result, which is all the area needs:

* every edge of every polygon is split where it properly crosses an edge of another polygon;
* a piece of an edge of ``Pi`` bounds the result when it lies inside ``C`` (when there is a
  clip polygon) and outside every other ``Pj``; a piece of an edge of ``C`` bounds it when it
  lies inside some ``Pj``;
* the area is half the sum of ``x0·y1 − x1·y0`` over those pieces, each ring oriented with
  the interior on its left.

Whether a piece is inside another polygon is known from one point-in-polygon test at the
first vertex of its ring and toggled at every crossing along the ring. Every decision is
an orientation sign with Shewchuk's error bound: when a sign cannot be certified — a vertex
on another polygon's edge, collinear overlapping edges, duplicate features (common in real
layers cut along administrative boundaries) — the task returns NaN and the caller measures
it with GEOS instead. A ring whose statuses do not come back to their start when it closes
also returns NaN. So the kernel is either exact to rounding (the crossing points are the
only new numbers) or declines.

Coordinates are translated by an integer origin before anything is computed (exact in
binary floating point for projected coordinates), so the products stay small.

Examples
--------
>>> import numpy as np
>>> from shapely import box
>>> geoms = np.array([box(0, 0, 2, 2), box(1, 1, 3, 3), box(0.5, 0.5, 10, 1.5)])
>>> packed = pack(geoms)
>>> union_clip_areas(packed, np.array([0, 2]), np.array([0, 1]), np.array([-1])).tolist()
[7.0]
>>> union_clip_areas(packed, np.array([0, 2]), np.array([0, 1]), np.array([2])).tolist()
[2.0]

Edges that overlap along a line are not certified; GEOS measures those:

>>> union_clip_areas(pack(np.array([box(0, 0, 2, 2), box(1, 0, 3, 2)])),
...                  np.array([0, 2]), np.array([0, 1]), np.array([-1])).tolist()
[nan]
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely
from numba import njit

__all__ = ["Packed", "pack", "union_clip_areas"]

_ERRBOUND = 3.3306690738754716e-16 * 4  # Shewchuk's ccwerrboundA, with a margin
_BRUTE_PAIRS = 4096  # edge pairs below which the crossing search is a plain double loop
_CHUNK = 256  # tasks per thread chunk
_BLOCK = 8  # consecutive edges per block
_BLOCK_PAIRS = 1 << 16  # block pairs above which the crossing search uses a grid of edges
_FULL = -1  # crossing buffers full: retry with larger ones
_DEGENERATE = -2  # an orientation could not be certified: decline the task


@dataclass(frozen=True)
class Packed:
    """Polygons flattened for the kernel (see :func:`pack`).

    Attributes
    ----------
    coords : ndarray, shape (n, 2)
        Ring vertices, every ring closed.
    ring_off : ndarray of int64
        Ring ``r`` is ``coords[ring_off[r]:ring_off[r + 1]]``.
    ring_ext : ndarray of bool
        Whether ring ``r`` is an exterior ring (else a hole).
    ring_start, ring_end : ndarray of int64
        Geometry ``g`` has rings ``ring_start[g]:ring_end[g]`` (all its parts).
    bbox : ndarray, shape (m, 4)
        Envelope of each geometry.
    """

    coords: np.ndarray
    ring_off: np.ndarray
    ring_ext: np.ndarray
    ring_start: np.ndarray
    ring_end: np.ndarray
    bbox: np.ndarray


def pack(geoms: np.ndarray) -> Packed:
    """Flatten polygons and multipolygons (empty ones allowed) for :func:`union_clip_areas`.

    Polygons without holes (most features) take one ``get_coordinates`` call; the others go
    through :func:`shapely.to_ragged_array`.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    simple = shapely.get_type_id(geoms) == 3
    simple[simple] = shapely.get_num_interior_rings(geoms[simple]) == 0
    s_idx = np.flatnonzero(simple)
    c_idx = np.flatnonzero(~simple)
    coords, owner = shapely.get_coordinates(geoms[s_idx], return_index=True)
    ring_off = np.r_[0, np.cumsum(np.bincount(owner, minlength=len(s_idx)))].astype(np.int64)
    ring_ext = np.ones(len(s_idx), dtype=bool)
    ring_start = np.empty(n, dtype=np.int64)
    ring_end = np.empty(n, dtype=np.int64)
    ring_start[s_idx] = np.arange(len(s_idx))
    ring_end[s_idx] = ring_start[s_idx] + 1
    if len(c_idx):
        # multipolygons, polygons with holes, collections: their polygon parts, ring by ring
        parts, owner = _polygon_parts(geoms[c_idx])
        rings, part_of = shapely.get_rings(parts, return_index=True)
        c_coords, ring_of = shapely.get_coordinates(rings, return_index=True)
        c_len = np.bincount(ring_of, minlength=len(rings))
        c_ext = np.r_[True, part_of[1:] != part_of[:-1]] if len(rings) else np.zeros(0, bool)
        ring_owner = owner[part_of]  # position in c_idx, non-decreasing
        base = len(ring_off) - 1
        ring_start[c_idx] = base + np.searchsorted(ring_owner, np.arange(len(c_idx)), "left")
        ring_end[c_idx] = base + np.searchsorted(ring_owner, np.arange(len(c_idx)), "right")
        coords = np.concatenate([coords, c_coords])
        ring_off = np.r_[ring_off, ring_off[-1] + np.cumsum(c_len)].astype(np.int64)
        ring_ext = np.r_[ring_ext, c_ext]
    return Packed(
        coords=np.ascontiguousarray(coords, dtype=np.float64),
        ring_off=ring_off,
        ring_ext=ring_ext,
        ring_start=ring_start,
        ring_end=ring_end,
        bbox=np.ascontiguousarray(shapely.bounds(geoms), dtype=np.float64).reshape(n, 4),
    )


def _polygon_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polygons inside ``geoms`` (multi-parts and collections opened, nested ones too) and
    the position of the geometry each came from, in order; points and lines (no area) go."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    while True:
        nested = np.isin(shapely.get_type_id(parts), [4, 5, 6, 7])
        if not nested.any():
            break
        sub, sub_of = shapely.get_parts(parts[nested], return_index=True)
        parts = np.r_[parts[~nested], sub]
        owner = np.r_[owner[~nested], owner[nested][sub_of]]
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    order = np.argsort(owner, kind="stable")
    return parts[order], owner[order]


def union_clip_areas(
    packed: Packed,
    indptr: np.ndarray,
    members: np.ndarray,
    clip: np.ndarray,
    *,
    n_jobs: int = 1,
) -> np.ndarray:
    """Area of ``union(members of task i) ∩ clip[i]`` for every task ``i``; NaN where declined.

    Parameters
    ----------
    packed : Packed
        The geometries (:func:`pack`).
    indptr, members : ndarray of int
        Task ``i`` unions geometries ``members[indptr[i]:indptr[i + 1]]``.
    clip : ndarray of int
        Geometry clipping task ``i``, or ``-1`` for none.
    n_jobs : int
        Threads (the kernel releases the GIL).

    Returns
    -------
    ndarray of float
        Areas in squared CRS units; NaN for tasks the kernel cannot certify (measure those
        with GEOS).
    """
    n = len(clip)
    out = np.empty(n, dtype=np.float64)
    if n == 0:
        return out
    args = (
        packed.coords,
        packed.ring_off,
        packed.ring_ext,
        packed.ring_start,
        packed.ring_end,
        packed.bbox,
        np.ascontiguousarray(indptr, dtype=np.int64),
        np.ascontiguousarray(members, dtype=np.int64),
        np.ascontiguousarray(clip, dtype=np.int64),
        out,
    )
    if n_jobs <= 1 or n <= _CHUNK:
        _tasks(*args, 0, n)
        return out
    bounds = [*range(0, n, _CHUNK), n]
    with ThreadPoolExecutor(n_jobs) as pool:
        list(pool.map(lambda k: _tasks(*args, bounds[k], bounds[k + 1]), range(len(bounds) - 1)))
    return out


# --------------------------------------------------------------------------------------------
# Kernel (numba, nopython, GIL released)
# --------------------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _tasks(coords, ring_off, ring_ext, g_rs, g_re, bbox, indptr, members, clip, out, lo, hi):
    for i in range(lo, hi):
        out[i] = _task(
            coords,
            ring_off,
            ring_ext,
            g_rs,
            g_re,
            bbox,
            members[indptr[i] : indptr[i + 1]],
            clip[i],
        )


@njit(cache=True, nogil=True, inline="always")
def _orient(ax, ay, bx, by, cx, cy):
    """Orientation of c against a→b: +1 left, −1 right, 0 uncertain (within the error bound)."""
    l = (bx - ax) * (cy - ay)  # noqa: E741
    r = (by - ay) * (cx - ax)
    d = l - r
    if abs(d) > _ERRBOUND * (abs(l) + abs(r)):
        return (1 if d > 0 else -1), d
    return 0, d


@njit(cache=True, nogil=True)
def _task(coords, ring_off, ring_ext, g_rs, g_re, bbox, subj, clip):
    k = subj.shape[0]
    npoly = k + (1 if clip >= 0 else 0)
    if k == 0:
        return 0.0
    polys = np.empty(npoly, dtype=np.int64)
    polys[:k] = subj
    if clip >= 0:
        polys[k] = clip
    # quick exits: the clip's envelope misses every subject's
    if clip >= 0:
        hit = False
        for p in range(k):
            g = polys[p]
            if not (
                bbox[g, 2] < bbox[clip, 0]
                or bbox[clip, 2] < bbox[g, 0]
                or bbox[g, 3] < bbox[clip, 1]
                or bbox[clip, 3] < bbox[g, 1]
            ):
                hit = True
        if not hit:
            return 0.0
    # ---- gather edges (translated to an integer origin: exact) -------------------------
    n_rings = 0
    n_edges = 0
    for p in range(npoly):
        g = polys[p]
        for r in range(g_rs[g], g_re[g]):
            n_rings += 1
            n_edges += max(ring_off[r + 1] - ring_off[r] - 1, 0)
    if n_edges == 0:
        return 0.0
    g0 = polys[0]
    v0 = ring_off[g_rs[g0]] if g_re[g0] > g_rs[g0] else 0
    ox = float(math.floor(coords[v0, 0]))
    oy = float(math.floor(coords[v0, 1]))
    ex0 = np.empty(n_edges)
    ey0 = np.empty(n_edges)
    ex1 = np.empty(n_edges)
    ey1 = np.empty(n_edges)
    epoly = np.empty(n_edges, dtype=np.int64)
    r_e0 = np.empty(n_rings, dtype=np.int64)
    r_e1 = np.empty(n_rings, dtype=np.int64)
    r_poly = np.empty(n_rings, dtype=np.int64)
    r_sign = np.empty(n_rings)
    p_e0 = np.empty(npoly, dtype=np.int64)
    p_e1 = np.empty(npoly, dtype=np.int64)
    pb = np.empty((npoly, 4))
    e = 0
    rr = 0
    for p in range(npoly):
        g = polys[p]
        pb[p, 0] = bbox[g, 0] - ox
        pb[p, 1] = bbox[g, 1] - oy
        pb[p, 2] = bbox[g, 2] - ox
        pb[p, 3] = bbox[g, 3] - oy
        p_e0[p] = e
        for r in range(g_rs[g], g_re[g]):
            s = ring_off[r]
            t = ring_off[r + 1]
            r_e0[rr] = e
            twice = 0.0
            for v in range(s, t - 1):
                ex0[e] = coords[v, 0] - ox
                ey0[e] = coords[v, 1] - oy
                ex1[e] = coords[v + 1, 0] - ox
                ey1[e] = coords[v + 1, 1] - oy
                epoly[e] = p
                twice += ex0[e] * ey1[e] - ex1[e] * ey0[e]
                e += 1
            r_e1[rr] = e
            r_poly[rr] = p
            # orient every ring with the interior on its left
            positive = twice > 0
            r_sign[rr] = 1.0 if positive == ring_ext[r] else -1.0
            rr += 1
        p_e1[p] = e
    # blocks of _BLOCK consecutive edges of one polygon, with their envelopes: neighbouring
    # edges of a ring are close, so blocks are small boxes and block pairs prune most tests
    n_blk = 0
    for p in range(npoly):
        n_blk += (p_e1[p] - p_e0[p] + _BLOCK - 1) // _BLOCK
    k_box = np.empty((n_blk, 4))
    k_e0 = np.empty(n_blk, dtype=np.int64)
    p_k0 = np.empty(npoly, dtype=np.int64)
    p_k1 = np.empty(npoly, dtype=np.int64)
    kb = 0
    for p in range(npoly):
        p_k0[p] = kb
        for b0 in range(p_e0[p], p_e1[p], _BLOCK):
            k_e0[kb] = b0
            x0 = np.inf
            y0 = np.inf
            x1 = -np.inf
            y1 = -np.inf
            for ed in range(b0, min(b0 + _BLOCK, p_e1[p])):
                x0 = min(x0, ex0[ed], ex1[ed])
                x1 = max(x1, ex0[ed], ex1[ed])
                y0 = min(y0, ey0[ed], ey1[ed])
                y1 = max(y1, ey0[ed], ey1[ed])
            k_box[kb, 0] = x0
            k_box[kb, 1] = y0
            k_box[kb, 2] = x1
            k_box[kb, 3] = y1
            kb += 1
        p_k1[p] = kb
    # ---- crossings ---------------------------------------------------------------------
    # written into fixed buffers (arrays reassigned inside a hot loop cost numba a
    # reference count per iteration); when they fill up, start over with larger ones
    cap = 2 * n_edges + 64
    while True:
        c_edge = np.empty(cap, dtype=np.int64)
        c_t = np.empty(cap)
        c_other = np.empty(cap, dtype=np.int64)
        nc = 0
        for p in range(npoly):
            for q in range(p + 1, npoly):
                lo_x = max(pb[p, 0], pb[q, 0])
                lo_y = max(pb[p, 1], pb[q, 1])
                hi_x = min(pb[p, 2], pb[q, 2])
                hi_y = min(pb[p, 3], pb[q, 3])
                if lo_x > hi_x or lo_y > hi_y:
                    continue
                ka = _boxes_in(k_box, p_k0[p], p_k1[p], lo_x, lo_y, hi_x, hi_y)
                kq = _boxes_in(k_box, p_k0[q], p_k1[q], lo_x, lo_y, hi_x, hi_y)
                if ka.shape[0] == 0 or kq.shape[0] == 0:
                    continue
                if ka.shape[0] * kq.shape[0] <= _BLOCK_PAIRS:
                    nc = _block_crossings(
                        ex0,
                        ey0,
                        ex1,
                        ey1,
                        k_box,
                        k_e0,
                        ka,
                        kq,
                        p_e1[p],
                        p_e1[q],
                        p,
                        q,
                        c_edge,
                        c_t,
                        c_other,
                        nc,
                    )
                else:
                    ia = _edges_in(ex0, ey0, ex1, ey1, p_e0[p], p_e1[p], lo_x, lo_y, hi_x, hi_y)
                    ib = _edges_in(ex0, ey0, ex1, ey1, p_e0[q], p_e1[q], lo_x, lo_y, hi_x, hi_y)
                    nc = _crossings(
                        ex0,
                        ey0,
                        ex1,
                        ey1,
                        ia,
                        ib,
                        p,
                        q,
                        lo_x,
                        lo_y,
                        hi_x,
                        hi_y,
                        c_edge,
                        c_t,
                        c_other,
                        nc,
                    )
                if nc < 0:
                    break
            if nc < 0:
                break
        if nc == _DEGENERATE:
            return np.nan  # touching or collinear edges: let GEOS decide
        if nc >= 0:
            break
        cap *= 4
    order = np.argsort(c_edge[:nc], kind="mergesort")
    se = c_edge[:nc][order]
    st_ = c_t[:nc][order]
    so = c_other[:nc][order]
    # sort crossings of one edge by their parameter (insertion sort: few per edge)
    a = 0
    while a < nc:
        b = a + 1
        while b < nc and se[b] == se[a]:
            b += 1
        for u in range(a + 1, b):
            tv = st_[u]
            ov = so[u]
            w = u - 1
            while w >= a and st_[w] > tv:
                st_[w + 1] = st_[w]
                so[w + 1] = so[w]
                w -= 1
            st_[w + 1] = tv
            so[w + 1] = ov
        a = b
    # ---- walk every ring, toggling insideness at crossings ------------------------------
    status = np.zeros(npoly, dtype=np.int8)
    start = np.zeros(npoly, dtype=np.int8)
    twice_area = 0.0
    ci = 0  # next crossing in (edge) order; edges are walked in increasing order
    for rr in range(n_rings):
        p = r_poly[rr]
        e0 = r_e0[rr]
        e1 = r_e1[rr]
        if e1 == e0:
            continue
        px = ex0[e0]
        py = ey0[e0]
        for q in range(npoly):
            status[q] = 0
            if q == p:
                continue
            if px < pb[q, 0] or px > pb[q, 2] or py < pb[q, 1] or py > pb[q, 3]:
                continue
            inside = _point_in(px, py, ex0, ey0, ex1, ey1, p_e0[q], p_e1[q])
            if inside < 0:
                return np.nan
            status[q] = inside
        for q in range(npoly):
            start[q] = status[q]
        n_in = 0  # subjects (other than p) containing the current point
        for q in range(k):
            if q != p:
                n_in += status[q]
        sign = r_sign[rr]
        for ed in range(e0, e1):
            cx = ex0[ed]
            cy = ey0[ed]
            dx = ex1[ed] - cx
            dy = ey1[ed] - cy
            x = cx
            y = cy
            while ci < nc and se[ci] == ed:
                t = st_[ci]
                nx = cx + t * dx
                ny = cy + t * dy
                if _counts(p, k, clip >= 0, status, n_in):
                    twice_area += sign * (x * ny - nx * y)
                q = so[ci]
                if status[q] == 1:
                    status[q] = 0
                    if q < k:
                        n_in -= 1
                else:
                    status[q] = 1
                    if q < k:
                        n_in += 1
                x = nx
                y = ny
                ci += 1
            if _counts(p, k, clip >= 0, status, n_in):
                twice_area += sign * (x * ey1[ed] - ex1[ed] * y)
        for q in range(npoly):
            if status[q] != start[q]:
                return np.nan  # a ring that does not close its statuses: inconsistent input
    return 0.5 * twice_area


@njit(cache=True, nogil=True, inline="always")
def _counts(p, k, has_clip, status, n_in):
    """Whether the current piece of a boundary of polygon ``p`` bounds the result."""
    if p < k:  # a subject: inside the clip (if any) and outside the other subjects
        if has_clip and status[k] == 0:
            return False
        return n_in == 0
    return n_in > 0  # the clip: inside some subject


@njit(cache=True, nogil=True)
def _point_in(px, py, ex0, ey0, ex1, ey1, e0, e1):
    """Even–odd point in polygon (all rings of one geometry): 1 in, 0 out, −1 uncertain."""
    inside = 0
    for e in range(e0, e1):
        ay = ey0[e]
        by = ey1[e]
        if (ay > py) != (by > py):
            s, _ = _orient(ex0[e], ay, ex1[e], by, px, py)
            if s == 0:
                return -1
            if (by > ay) == (s > 0):
                inside ^= 1
        elif ay == py and by == py:
            # on the line of a horizontal edge: uncertain if within it
            if min(ex0[e], ex1[e]) <= px <= max(ex0[e], ex1[e]):
                return -1
        elif ay == py and ex0[e] == px:
            return -1  # on a vertex
    return inside


@njit(cache=True, nogil=True)
def _boxes_in(box, k0, k1, lo_x, lo_y, hi_x, hi_y):
    """Rows ``k0:k1`` of ``box`` that meet the closed box."""
    out = np.empty(k1 - k0, dtype=np.int64)
    n = 0
    for k in range(k0, k1):
        if box[k, 0] <= hi_x and box[k, 2] >= lo_x and box[k, 1] <= hi_y and box[k, 3] >= lo_y:
            out[n] = k
            n += 1
    return out[:n]


@njit(cache=True, nogil=True)
def _block_crossings(
    ex0, ey0, ex1, ey1, k_box, k_e0, ka, kq, end_p, end_q, p, q, c_edge, c_t, c_other, nc
):
    """Crossings between the edges of blocks ``ka`` (of ``p``) and ``kq`` (of ``q``)."""
    for u in range(ka.shape[0]):
        a = ka[u]
        for w in range(kq.shape[0]):
            b = kq[w]
            if (
                k_box[a, 0] > k_box[b, 2]
                or k_box[b, 0] > k_box[a, 2]
                or k_box[a, 1] > k_box[b, 3]
                or k_box[b, 1] > k_box[a, 3]
            ):
                continue
            for i in range(k_e0[a], min(k_e0[a] + _BLOCK, end_p)):
                ax0 = min(ex0[i], ex1[i])
                ax1 = max(ex0[i], ex1[i])
                ay0 = min(ey0[i], ey1[i])
                ay1 = max(ey0[i], ey1[i])
                for j in range(k_e0[b], min(k_e0[b] + _BLOCK, end_q)):
                    if (
                        min(ex0[j], ex1[j]) <= ax1
                        and max(ex0[j], ex1[j]) >= ax0
                        and min(ey0[j], ey1[j]) <= ay1
                        and max(ey0[j], ey1[j]) >= ay0
                    ):
                        nc = _cross(ex0, ey0, ex1, ey1, i, j, p, q, c_edge, c_t, c_other, nc)
                        if nc < 0:
                            return nc
    return nc


@njit(cache=True, nogil=True)
def _edges_in(ex0, ey0, ex1, ey1, e0, e1, lo_x, lo_y, hi_x, hi_y):
    """Edges ``e0:e1`` whose envelope meets the closed box."""
    out = np.empty(e1 - e0, dtype=np.int64)
    n = 0
    for e in range(e0, e1):
        if (
            min(ex0[e], ex1[e]) <= hi_x
            and max(ex0[e], ex1[e]) >= lo_x
            and min(ey0[e], ey1[e]) <= hi_y
            and max(ey0[e], ey1[e]) >= lo_y
        ):
            out[n] = e
            n += 1
    return out[:n]


@njit(cache=True, nogil=True, inline="always")
def _cross(ex0, ey0, ex1, ey1, i, j, p, q, c_edge, c_t, c_other, nc):
    """Record a proper crossing of edges ``i`` (of polygon ``p``) and ``j`` (of ``q``).

    Returns the new count, ``_FULL`` when the buffers are full, ``_DEGENERATE`` when an
    orientation cannot be certified (touching, collinear).
    """
    s1, d1 = _orient(ex0[j], ey0[j], ex1[j], ey1[j], ex0[i], ey0[i])
    s2, d2 = _orient(ex0[j], ey0[j], ex1[j], ey1[j], ex1[i], ey1[i])
    if s1 != 0 and s1 == s2:
        return nc
    s3, d3 = _orient(ex0[i], ey0[i], ex1[i], ey1[i], ex0[j], ey0[j])
    s4, d4 = _orient(ex0[i], ey0[i], ex1[i], ey1[i], ex1[j], ey1[j])
    if s3 != 0 and s3 == s4:
        return nc
    if s1 == 0 or s2 == 0 or s3 == 0 or s4 == 0:
        return _DEGENERATE
    if nc + 2 > c_edge.shape[0]:
        return _FULL
    c_edge[nc] = i
    c_t[nc] = d1 / (d1 - d2)
    c_other[nc] = q
    c_edge[nc + 1] = j
    c_t[nc + 1] = d3 / (d3 - d4)
    c_other[nc + 1] = p
    return nc + 2


@njit(cache=True, nogil=True)
def _crossings(ex0, ey0, ex1, ey1, ia, ib, p, q, lo_x, lo_y, hi_x, hi_y, c_edge, c_t, c_other, nc):
    """Record the proper crossings between edges ``ia`` (of ``p``) and ``ib`` (of ``q``).

    A plain double loop for small sets; otherwise ``ib`` is bucketed in a uniform grid over
    the box and each edge of ``ia`` visits the cells its envelope covers. Returns the new
    count or a negative code (see :func:`_cross`).
    """
    na = ia.shape[0]
    nb = ib.shape[0]
    if na * nb <= _BRUTE_PAIRS:
        for u in range(na):
            i = ia[u]
            ax0 = min(ex0[i], ex1[i])
            ax1 = max(ex0[i], ex1[i])
            ay0 = min(ey0[i], ey1[i])
            ay1 = max(ey0[i], ey1[i])
            for w in range(nb):
                j = ib[w]
                if (
                    min(ex0[j], ex1[j]) <= ax1
                    and max(ex0[j], ex1[j]) >= ax0
                    and min(ey0[j], ey1[j]) <= ay1
                    and max(ey0[j], ey1[j]) >= ay0
                ):
                    nc = _cross(ex0, ey0, ex1, ey1, i, j, p, q, c_edge, c_t, c_other, nc)
                    if nc < 0:
                        return nc
        return nc
    # cells about as wide as the mean edge envelope (at least ~2 edges per cell): an edge
    # then covers few cells and a cell holds few edges
    mean_w = 0.0
    for w in range(nb):
        j = ib[w]
        mean_w += abs(ex1[j] - ex0[j]) + abs(ey1[j] - ey0[j])
    mean_w /= 2.0 * nb
    span = max(hi_x - lo_x, hi_y - lo_y)
    g = 1
    if mean_w > 0.0:
        g = int(span / mean_w)
    g = max(1, min(g, int(math.sqrt(nb / 2.0)) + 1, 512))
    wx = (hi_x - lo_x) / g
    wy = (hi_y - lo_y) / g
    if wx <= 0.0:
        wx = 1.0
    if wy <= 0.0:
        wy = 1.0
    # cell ranges of ib edges, counting sort into cells
    count = np.zeros(g * g + 1, dtype=np.int64)
    cr = np.empty((nb, 4), dtype=np.int64)
    for w in range(nb):
        j = ib[w]
        c0 = _cell(min(ex0[j], ex1[j]), lo_x, wx, g)
        c1 = _cell(max(ex0[j], ex1[j]), lo_x, wx, g)
        r0 = _cell(min(ey0[j], ey1[j]), lo_y, wy, g)
        r1 = _cell(max(ey0[j], ey1[j]), lo_y, wy, g)
        cr[w, 0] = c0
        cr[w, 1] = c1
        cr[w, 2] = r0
        cr[w, 3] = r1
        for rw in range(r0, r1 + 1):
            for cl in range(c0, c1 + 1):
                count[rw * g + cl + 1] += 1
    for c in range(g * g):
        count[c + 1] += count[c]
    fill = count[:-1].copy()
    cell_items = np.empty(count[g * g], dtype=np.int64)
    for w in range(nb):
        for rw in range(cr[w, 2], cr[w, 3] + 1):
            for cl in range(cr[w, 0], cr[w, 1] + 1):
                c = rw * g + cl
                cell_items[fill[c]] = w
                fill[c] += 1
    stamp = np.full(nb, -1, dtype=np.int64)
    for u in range(na):
        i = ia[u]
        ax0 = min(ex0[i], ex1[i])
        ax1 = max(ex0[i], ex1[i])
        ay0 = min(ey0[i], ey1[i])
        ay1 = max(ey0[i], ey1[i])
        c0 = _cell(ax0, lo_x, wx, g)
        c1 = _cell(ax1, lo_x, wx, g)
        r0 = _cell(ay0, lo_y, wy, g)
        r1 = _cell(ay1, lo_y, wy, g)
        for rw in range(r0, r1 + 1):
            for cl in range(c0, c1 + 1):
                c = rw * g + cl
                for z in range(count[c], count[c + 1]):
                    w = cell_items[z]
                    if stamp[w] == u:
                        continue
                    stamp[w] = u
                    j = ib[w]
                    if (
                        min(ex0[j], ex1[j]) <= ax1
                        and max(ex0[j], ex1[j]) >= ax0
                        and min(ey0[j], ey1[j]) <= ay1
                        and max(ey0[j], ey1[j]) >= ay0
                    ):
                        nc = _cross(ex0, ey0, ex1, ey1, i, j, p, q, c_edge, c_t, c_other, nc)
                        if nc < 0:
                            return nc
    return nc


@njit(cache=True, nogil=True, inline="always")
def _cell(v, lo, w, g):
    c = int((v - lo) / w)
    if c < 0:
        return 0
    if c >= g:
        return g - 1
    return c
