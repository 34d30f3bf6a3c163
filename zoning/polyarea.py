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

from zoning.jit import njit  # numba.njit; a broken cache falls back to no cache

__all__ = ["Packed", "pack", "union_clip_areas", "warm_up"]

_ERRBOUND = 3.3306690738754716e-16 * 4  # Shewchuk's ccwerrboundA, with a margin
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


def warm_up() -> float:
    """Compile the kernel (about 30 s, once per install: numba caches it in ``__pycache__``).

    ``make setup`` calls it so that the first statistics run does not pay for compiling.
    Returns the area of two 2 × 2 squares overlapping in a unit square (7).
    """
    squares = np.array([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)], dtype=object)
    return float(
        union_clip_areas(pack(squares), np.array([0, 2]), np.array([0, 1]), np.array([-1]))[0]
    )


# --------------------------------------------------------------------------------------------
# Kernel (numba, nopython, GIL released)
# --------------------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _tasks(coords, ring_off, ring_ext, g_rs, g_re, bbox, indptr, members, clip, out, lo, hi):
    for i in range(lo, hi):
        subj = members[indptr[i] : indptr[i + 1]]
        out[i] = _task(coords, ring_off, ring_ext, g_rs, g_re, bbox, subj, clip[i])


@njit(cache=True, nogil=True)
def _task(coords, ring_off, ring_ext, g_rs, g_re, bbox, subj, clip):
    """Area of ``union(subj) ∩ clip`` (no clip when ``clip < 0``), NaN when declined."""
    k = subj.shape[0]
    if k == 0:
        return 0.0
    npoly = k + (1 if clip >= 0 else 0)
    polys = np.empty(npoly, dtype=np.int64)
    polys[:k] = subj
    if clip >= 0:
        polys[k] = clip
        if not _any_box_meets(bbox, subj, clip):
            return 0.0
    E, rings, pe, pb = _gather(coords, ring_off, ring_ext, g_rs, g_re, bbox, polys)
    if E.shape[0] == 0:
        return 0.0
    blocks, pk = _blocks(E, pe)
    cap = 2 * E.shape[0] + 64
    while True:  # crossing buffers; start over with larger ones when they fill up
        cx = np.empty((cap, 4))  # edge (as float), parameter along it, crossing point x, y
        c_other = np.empty(cap, dtype=np.int64)
        nc = _all_crossings(E, pe, pb, blocks, pk, cx, c_other)
        if nc == _DEGENERATE:
            return np.nan  # touching or collinear edges: let GEOS decide
        if nc >= 0:
            break
        cap *= 4
    first, ct, co = _sort_crossings(cx, c_other, nc, E.shape[0])
    return _walk(E, rings, pe, pb, k, clip >= 0, first, ct, co)


@njit(cache=True, nogil=True)
def _any_box_meets(bbox, subj, clip):
    for g in subj:
        if not (
            bbox[g, 2] < bbox[clip, 0]
            or bbox[clip, 2] < bbox[g, 0]
            or bbox[g, 3] < bbox[clip, 1]
            or bbox[clip, 3] < bbox[g, 1]
        ):
            return True
    return False


@njit(cache=True, nogil=True)
def _gather(coords, ring_off, ring_ext, g_rs, g_re, bbox, polys):
    """Edges of ``polys`` translated to an integer origin (exact), with their rings.

    Returns ``E`` (edges × [x0, y0, x1, y1]), ``rings`` (rings × [first edge, end edge,
    polygon, orientation sign]), ``pe`` (polygons × [first edge, end edge]) and ``pb``
    (translated envelopes).
    """
    npoly = polys.shape[0]
    n_rings = 0
    n_edges = 0
    for p in range(npoly):
        g = polys[p]
        for r in range(g_rs[g], g_re[g]):
            n_rings += 1
            n_edges += max(ring_off[r + 1] - ring_off[r] - 1, 0)
    g0 = polys[0]
    v0 = ring_off[g_rs[g0]] if g_re[g0] > g_rs[g0] and n_edges > 0 else 0
    ox = float(math.floor(coords[v0, 0])) if n_edges > 0 else 0.0
    oy = float(math.floor(coords[v0, 1])) if n_edges > 0 else 0.0
    E = np.empty((n_edges, 4))
    rings = np.empty((n_rings, 4), dtype=np.int64)
    pe = np.empty((npoly, 2), dtype=np.int64)
    pb = np.empty((npoly, 4))
    e = 0
    rr = 0
    for p in range(npoly):
        g = polys[p]
        pb[p, 0] = bbox[g, 0] - ox
        pb[p, 1] = bbox[g, 1] - oy
        pb[p, 2] = bbox[g, 2] - ox
        pb[p, 3] = bbox[g, 3] - oy
        pe[p, 0] = e
        for r in range(g_rs[g], g_re[g]):
            rings[rr, 0] = e
            twice = 0.0
            for v in range(ring_off[r], ring_off[r + 1] - 1):
                E[e, 0] = coords[v, 0] - ox
                E[e, 1] = coords[v, 1] - oy
                E[e, 2] = coords[v + 1, 0] - ox
                E[e, 3] = coords[v + 1, 1] - oy
                twice += E[e, 0] * E[e, 3] - E[e, 2] * E[e, 1]
                e += 1
            rings[rr, 1] = e
            rings[rr, 2] = p
            # orient every ring with the interior on its left
            rings[rr, 3] = 1 if (twice > 0) == ring_ext[r] else -1
            rr += 1
        pe[p, 1] = e
    return E, rings, pe, pb


@njit(cache=True, nogil=True)
def _blocks(E, pe):
    """Envelopes of blocks of ``_BLOCK`` consecutive edges of one polygon.

    Neighbouring edges of a ring are close, so blocks are small boxes and block pairs prune
    most edge pairs. Returns ``blocks`` (blocks × [x0, y0, x1, y1, first edge, end edge]) and
    ``pk`` (polygons × [first block, end block]).
    """
    npoly = pe.shape[0]
    n_blk = 0
    for p in range(npoly):
        n_blk += (pe[p, 1] - pe[p, 0] + _BLOCK - 1) // _BLOCK
    blocks = np.empty((n_blk, 6))
    pk = np.empty((npoly, 2), dtype=np.int64)
    kb = 0
    for p in range(npoly):
        pk[p, 0] = kb
        for b0 in range(pe[p, 0], pe[p, 1], _BLOCK):
            b1 = min(b0 + _BLOCK, pe[p, 1])
            x0, y0, x1, y1 = _envelope(E, b0)
            for ed in range(b0 + 1, b1):
                ex0, ey0, ex1, ey1 = _envelope(E, ed)
                x0 = min(x0, ex0)
                y0 = min(y0, ey0)
                x1 = max(x1, ex1)
                y1 = max(y1, ey1)
            blocks[kb, 0] = x0
            blocks[kb, 1] = y0
            blocks[kb, 2] = x1
            blocks[kb, 3] = y1
            blocks[kb, 4] = b0
            blocks[kb, 5] = b1
            kb += 1
        pk[p, 1] = kb
    return blocks, pk


@njit(cache=True, nogil=True)
def _envelope(E, e):
    return (
        min(E[e, 0], E[e, 2]),
        min(E[e, 1], E[e, 3]),
        max(E[e, 0], E[e, 2]),
        max(E[e, 1], E[e, 3]),
    )


@njit(cache=True, nogil=True)
def _all_crossings(E, pe, pb, blocks, pk, cx, c_other):
    """Record the proper crossings between the edges of every pair of polygons.

    Returns their number, ``_FULL`` when the buffers are full or ``_DEGENERATE``.
    """
    npoly = pe.shape[0]
    nc = 0
    for p in range(npoly):
        for q in range(p + 1, npoly):
            lo_x = max(pb[p, 0], pb[q, 0])
            lo_y = max(pb[p, 1], pb[q, 1])
            hi_x = min(pb[p, 2], pb[q, 2])
            hi_y = min(pb[p, 3], pb[q, 3])
            if lo_x > hi_x or lo_y > hi_y:
                continue
            box = np.array([lo_x, lo_y, hi_x, hi_y])
            ka = _rows_in(blocks, pk[p, 0], pk[p, 1], box)
            kq = _rows_in(blocks, pk[q, 0], pk[q, 1], box)
            if ka.shape[0] == 0 or kq.shape[0] == 0:
                continue
            if ka.shape[0] * kq.shape[0] <= _BLOCK_PAIRS:
                nc = _block_crossings(E, blocks, ka, kq, p, q, cx, c_other, nc)
            else:
                nc = _grid_crossings(E, blocks, ka, kq, p, q, box, cx, c_other, nc)
            if nc < 0:
                return nc
    return nc


@njit(cache=True, nogil=True)
def _rows_in(boxes, k0, k1, box):
    """Rows ``k0:k1`` of ``boxes`` (x0, y0, x1, y1 first) that meet the closed ``box``."""
    out = np.empty(k1 - k0, dtype=np.int64)
    n = 0
    for k in range(k0, k1):
        if boxes[k, 0] <= box[2] and boxes[k, 2] >= box[0]:
            if boxes[k, 1] <= box[3] and boxes[k, 3] >= box[1]:
                out[n] = k
                n += 1
    return out[:n]


@njit(cache=True, nogil=True)
def _block_crossings(E, blocks, ka, kq, p, q, cx, c_other, nc):
    """Crossings between the edges of blocks ``ka`` (of ``p``) and ``kq`` (of ``q``)."""
    for a in ka:
        for b in kq:
            if (
                blocks[a, 0] > blocks[b, 2]
                or blocks[b, 0] > blocks[a, 2]
                or blocks[a, 1] > blocks[b, 3]
                or blocks[b, 1] > blocks[a, 3]
            ):
                continue
            for i in range(int(blocks[a, 4]), int(blocks[a, 5])):
                for j in range(int(blocks[b, 4]), int(blocks[b, 5])):
                    if _envelopes_meet(E, i, j):
                        nc = _cross(E, i, j, p, q, cx, c_other, nc)
                        if nc < 0:
                            return nc
    return nc


@njit(cache=True, nogil=True)
def _grid_crossings(E, blocks, ka, kq, p, q, box, cx, c_other, nc):
    """Crossings between the edges of blocks ``ka`` (of ``p``) and ``kq`` (of ``q``), for big
    polygons, whose block pairs are too many to test one by one.

    The edges of ``q`` are bucketed in a uniform grid over the box (cells about as wide as
    the mean edge envelope, so an edge covers few cells and a cell holds few edges); each
    edge of ``p`` visits the cells its envelope covers.
    """
    ia = _block_edges(blocks, ka)
    ib = _block_edges(blocks, kq)
    nb = ib.shape[0]
    if ia.shape[0] == 0 or nb == 0:
        return nc
    mean_w = 0.0
    for j in ib:
        mean_w += abs(E[j, 2] - E[j, 0]) + abs(E[j, 3] - E[j, 1])
    mean_w /= 2.0 * nb
    span = max(box[2] - box[0], box[3] - box[1])
    g = int(span / mean_w) if mean_w > 0.0 else 1
    g = max(1, min(g, int(math.sqrt(nb / 2.0)) + 1, 512))
    wx = (box[2] - box[0]) / g if box[2] > box[0] else 1.0
    wy = (box[3] - box[1]) / g if box[3] > box[1] else 1.0
    # cells of each edge of q, then a counting sort of the edges into cells
    count = np.zeros(g * g + 1, dtype=np.int64)
    cr = np.empty((nb, 4), dtype=np.int64)
    for w in range(nb):
        x0, y0, x1, y1 = _envelope(E, ib[w])
        cr[w, 0] = _cell(x0, box[0], wx, g)
        cr[w, 1] = _cell(x1, box[0], wx, g)
        cr[w, 2] = _cell(y0, box[1], wy, g)
        cr[w, 3] = _cell(y1, box[1], wy, g)
        for rw in range(cr[w, 2], cr[w, 3] + 1):
            for cl in range(cr[w, 0], cr[w, 1] + 1):
                count[rw * g + cl + 1] += 1
    for c in range(g * g):
        count[c + 1] += count[c]
    fill = count[:-1].copy()
    items = np.empty(count[g * g], dtype=np.int64)
    for w in range(nb):
        for rw in range(cr[w, 2], cr[w, 3] + 1):
            for cl in range(cr[w, 0], cr[w, 1] + 1):
                c = rw * g + cl
                items[fill[c]] = w
                fill[c] += 1
    stamp = np.full(nb, -1, dtype=np.int64)
    for u in range(ia.shape[0]):
        i = ia[u]
        ax0, ay0, ax1, ay1 = _envelope(E, i)
        for rw in range(_cell(ay0, box[1], wy, g), _cell(ay1, box[1], wy, g) + 1):
            for cl in range(_cell(ax0, box[0], wx, g), _cell(ax1, box[0], wx, g) + 1):
                c = rw * g + cl
                for z in range(count[c], count[c + 1]):
                    w = items[z]
                    if stamp[w] == u:
                        continue
                    stamp[w] = u
                    if _envelopes_meet(E, i, ib[w]):
                        nc = _cross(E, i, ib[w], p, q, cx, c_other, nc)
                        if nc < 0:
                            return nc
    return nc


@njit(cache=True, nogil=True)
def _block_edges(blocks, ks):
    """The edges of blocks ``ks``."""
    n = 0
    for k in ks:
        n += int(blocks[k, 5] - blocks[k, 4])
    out = np.empty(n, dtype=np.int64)
    n = 0
    for k in ks:
        for e in range(int(blocks[k, 4]), int(blocks[k, 5])):
            out[n] = e
            n += 1
    return out


@njit(cache=True, nogil=True)
def _cell(v, lo, w, g):
    c = int((v - lo) / w)
    return min(max(c, 0), g - 1)


@njit(cache=True, nogil=True)
def _orient(ax, ay, bx, by, cx, cy):
    """Orientation of c against a→b: +1 left, −1 right, 0 uncertain (within the error bound).

    Returns the sign and the determinant."""
    left = (bx - ax) * (cy - ay)
    right = (by - ay) * (cx - ax)
    d = left - right
    if abs(d) > _ERRBOUND * (abs(left) + abs(right)):
        return (1 if d > 0 else -1), d
    return 0, d


@njit(cache=True, nogil=True)
def _envelopes_meet(E, i, j):
    """Whether the envelopes of edges ``i`` and ``j`` meet (the cheap test before _cross)."""
    return (
        min(E[j, 0], E[j, 2]) <= max(E[i, 0], E[i, 2])
        and max(E[j, 0], E[j, 2]) >= min(E[i, 0], E[i, 2])
        and min(E[j, 1], E[j, 3]) <= max(E[i, 1], E[i, 3])
        and max(E[j, 1], E[j, 3]) >= min(E[i, 1], E[i, 3])
    )


@njit(cache=True, nogil=True)
def _cross(E, i, j, p, q, cx, c_other, nc):
    """Record a proper crossing of edges ``i`` (of polygon ``p``) and ``j`` (of ``q``).

    Returns the new count, ``_FULL`` when the buffers are full, ``_DEGENERATE`` when an
    orientation cannot be certified (touching, collinear).
    """
    s1, d1 = _orient(E[j, 0], E[j, 1], E[j, 2], E[j, 3], E[i, 0], E[i, 1])
    s2, d2 = _orient(E[j, 0], E[j, 1], E[j, 2], E[j, 3], E[i, 2], E[i, 3])
    if s1 != 0 and s1 == s2:
        return nc
    s3, d3 = _orient(E[i, 0], E[i, 1], E[i, 2], E[i, 3], E[j, 0], E[j, 1])
    s4, d4 = _orient(E[i, 0], E[i, 1], E[i, 2], E[i, 3], E[j, 2], E[j, 3])
    if s3 != 0 and s3 == s4:
        return nc
    if s1 == 0 or s2 == 0 or s3 == 0 or s4 == 0:
        return _DEGENERATE
    if nc + 2 > c_other.shape[0]:
        return _FULL
    # one crossing point for both edges: computed separately from each edge, the two points
    # of nearly parallel edges can lie metres apart, and the gap between them would count
    t = d1 / (d1 - d2)
    x = E[i, 0] + t * (E[i, 2] - E[i, 0])
    y = E[i, 1] + t * (E[i, 3] - E[i, 1])
    cx[nc, 0] = i
    cx[nc, 1] = t
    cx[nc, 2] = x
    cx[nc, 3] = y
    c_other[nc] = q
    cx[nc + 1, 0] = j
    cx[nc + 1, 1] = d3 / (d3 - d4)
    cx[nc + 1, 2] = x
    cx[nc + 1, 3] = y
    c_other[nc + 1] = p
    return nc + 2


@njit(cache=True, nogil=True)
def _sort_crossings(cx, c_other, nc, n_edges):
    """Crossings grouped by edge (counting sort) and ordered along each edge.

    Returns ``first`` (crossings of edge ``e`` are ``first[e]:first[e + 1]``), their
    parameters and points (``ct``: rows of parameter, x, y) and the polygons crossed.
    """
    first = np.zeros(n_edges + 1, dtype=np.int64)
    for c in range(nc):
        first[int(cx[c, 0]) + 1] += 1
    for e in range(n_edges):
        first[e + 1] += first[e]
    fill = first[:-1].copy()
    ct = np.empty((nc, 3))
    co = np.empty(nc, dtype=np.int64)
    for c in range(nc):
        e = int(cx[c, 0])
        ct[fill[e], 0] = cx[c, 1]
        ct[fill[e], 1] = cx[c, 2]
        ct[fill[e], 2] = cx[c, 3]
        co[fill[e]] = c_other[c]
        fill[e] += 1
    for e in range(n_edges):  # insertion sort by parameter: few crossings per edge
        for u in range(first[e] + 1, first[e + 1]):
            tv, xv, yv = ct[u, 0], ct[u, 1], ct[u, 2]
            ov = co[u]
            w = u - 1
            while w >= first[e] and ct[w, 0] > tv:
                ct[w + 1, 0] = ct[w, 0]
                ct[w + 1, 1] = ct[w, 1]
                ct[w + 1, 2] = ct[w, 2]
                co[w + 1] = co[w]
                w -= 1
            ct[w + 1, 0] = tv
            ct[w + 1, 1] = xv
            ct[w + 1, 2] = yv
            co[w + 1] = ov
    return first, ct, co


@njit(cache=True, nogil=True)
def _walk(E, rings, pe, pb, k, has_clip, first, ct, co):
    """Integrate along every ring, toggling insideness at its crossings (NaN if declined)."""
    npoly = pe.shape[0]
    status = np.zeros(npoly, dtype=np.int8)
    start = np.zeros(npoly, dtype=np.int8)
    twice_area = 0.0
    for rr in range(rings.shape[0]):
        e0 = rings[rr, 0]
        e1 = rings[rr, 1]
        p = rings[rr, 2]
        sign = float(rings[rr, 3])
        if e1 == e0:
            continue
        px = E[e0, 0]
        py = E[e0, 1]
        n_in = 0  # subjects (other than p) containing the current point
        for q in range(npoly):
            status[q] = 0
            if q != p and pb[q, 0] <= px <= pb[q, 2] and pb[q, 1] <= py <= pb[q, 3]:
                inside = _point_in(px, py, E, pe[q, 0], pe[q, 1])
                if inside < 0:
                    return np.nan
                status[q] = inside
                if q < k:
                    n_in += inside
            start[q] = status[q]
        for ed in range(e0, e1):
            x = E[ed, 0]
            y = E[ed, 1]
            for c in range(first[ed], first[ed + 1]):
                nx = ct[c, 1]
                ny = ct[c, 2]
                if _counts(p, k, has_clip, status, n_in):
                    twice_area += sign * (x * ny - nx * y)
                q = co[c]
                status[q] ^= 1
                if q < k:
                    n_in += 1 if status[q] else -1
                x = nx
                y = ny
            if _counts(p, k, has_clip, status, n_in):
                twice_area += sign * (x * E[ed, 3] - E[ed, 2] * y)
        for q in range(npoly):
            if status[q] != start[q]:
                return np.nan  # a ring that does not close its statuses: inconsistent input
    return 0.5 * twice_area


@njit(cache=True, nogil=True)
def _counts(p, k, has_clip, status, n_in):
    """Whether the current piece of a boundary of polygon ``p`` bounds the result."""
    if p < k:  # a subject: inside the clip (if any) and outside the other subjects
        if has_clip and status[k] == 0:
            return False
        return n_in == 0
    return n_in > 0  # the clip: inside some subject


@njit(cache=True, nogil=True)
def _point_in(px, py, E, e0, e1):
    """Even–odd point in polygon (all rings of one geometry): 1 in, 0 out, −1 uncertain."""
    inside = 0
    for e in range(e0, e1):
        ay = E[e, 1]
        by = E[e, 3]
        if (ay > py) != (by > py):
            s, _ = _orient(E[e, 0], ay, E[e, 2], by, px, py)
            if s == 0:
                return -1
            if (by > ay) == (s > 0):
                inside ^= 1
        elif ay == py and by == py:
            # on the line of a horizontal edge: uncertain if within it
            if min(E[e, 0], E[e, 2]) <= px <= max(E[e, 0], E[e, 2]):
                return -1
        elif ay == py and E[e, 0] == px:
            return -1  # on a vertex
    return inside
