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
first vertex of its ring and toggled at every crossing along the ring.

Every decision is an orientation sign, certified: a floating-point filter with Shewchuk's
error bound, and where the filter cannot decide, the exact sign from an expansion of the
determinant. Exact ties — a vertex on another polygon's edge, collinear overlapping edges,
shared vertices, duplicate features (everyday in layers cut along administrative lines) —
are broken by *simulation of simplicity*: polygon ``p`` of a task is moved by ``p·(ε, ε²)``
for an infinitesimal ``ε``. The moved polygons are a genuine, tie-free configuration, every
predicate is answered for it exactly, and its area tends to the area asked for as ``ε → 0``
(areas are continuous under translation). This gives the classic rules for coincident
boundaries on its own: overlapping collinear edges of the same direction count once, of
opposite directions cancel, and a shared stretch of boundary is inside or outside a polygon
consistently all along. Crossing points are computed once, for both edges; a tie at a
vertex gives the vertex itself, and nearly parallel crossings take their parameters from the
exact determinants, so crossings are ordered correctly along an edge to within rounding.

A ring's orientation is the sign of its area when rounding cannot change it, else the exact
turn at its lowest-leftmost vertex (sliver rings of a few square millimetres are common in
cut layers). A task still returns NaN when it cannot be certified: a ring with a spike at
that vertex, coordinates outside the range of the exact arithmetic, or a ring whose
statuses do not come back to their start when it closes (invalid input). The caller measures those with GEOS. Otherwise the kernel is exact to
rounding (the crossing points are the only new numbers).

Coordinates are translated by an integer origin before anything is computed when that is
exact (every coordinate of the task within a factor 2 of the origin; otherwise the task is
computed untranslated), so the products stay small. With a clip, only the edges near the
other side are walked: the clip's edges outside the subjects' envelope never count, nor the
subjects' edges outside the clip's envelope (with several subjects, those that may cross a
walked edge are still searched for crossings); a run of edges that starts after a
left-out one starts outside, so only whole rings need a point-in-polygon test.

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

Edges that overlap along a line (squares sharing part of their bottom edge) count once:

>>> union_clip_areas(pack(np.array([box(0, 0, 2, 2), box(1, 0, 3, 2)])),
...                  np.array([0, 2]), np.array([0, 1]), np.array([-1])).tolist()
[6.0]
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely

from zoning.jit import njit, stack_floats  # numba.njit; a broken cache falls back to no cache
from zoning.ring_coords import exterior_coords

__all__ = [
    "Packed",
    "certified_valid",
    "certify_polygons",
    "in_range",
    "orient_sign",
    "pack",
    "union_clip_areas",
    "warm_up",
]

_EPS = 2.0**-53  # unit roundoff of float64
_ERRBOUND = 3.3306690738754716e-16 * 4  # Shewchuk's ccwerrboundA, with a margin
_T_TOL = 2.0**-44  # crossing parameters more uncertain than this come from exact determinants
_SPLITTER = 134217729.0  # 2**27 + 1, Dekker's split
_COORD_MAX = 2.0**500  # beyond this (or below its inverse) the exact products could overflow
_RING_BLOCK = 16  # edges per block of a ring in Packed (boxes that let a task skip edges)
_CHUNK = 256  # tasks per thread chunk
_BLOCK = 8  # consecutive edges per block
_BLOCK_PAIRS = 1 << 16  # block pairs above which the crossing search uses a grid of edges
_SMALL_RING = 32  # rings of at most this many edges: validity tests every pair of edges
_SKIP_LEVELS = 16  # most levels of the skip list that keeps the validity sweep's edges
_STAR_MIN = 8  # rings of more vertices than this try the star certificate before the rest
_STAR_PASSES = 6  # passes the star certificate may take to find a centre, then the sweep
_STAR_FIX_ROUNDS = 16  # rounds over the edges a pass moved the centre for, between passes
_STAR_GIVE_UP = 0.1  # a pass that moves the centre for more than this share of edges: the sweep
_STAR_RELAX = 1.5  # its moves overshoot a half-plane's line by half the distance to it
_STAR_MARGIN = 1e-9  # and by this share of the edge's length
_STAR_TINY = 2.0**-1020  # the star check's filter: room for products that underflow
_FIT_MIN = 2.0**-200  # coordinates the validity check certifies: 0 or within these magnitudes
_FIT_MAX = 2.0**200
_VALID_CHUNK = 1024  # geometries read at a time by certify_polygons
_SHIFT_BUDGET = 16  # entries per vertex the validity sweep's array may move, then a skip list
_twelve_floats = stack_floats(12)  # an exact expansion of six products, in _orient_exact
_FULL = -1  # crossing buffers full: retry with larger ones
_GRID_SHORT = -2  # the grid search's work array is too small: retry with a larger one
_NEED_WORK = 1  # what a task stopped for (_tasks): work arrays for more vertices
_NEED_CROSSINGS = 2  # larger crossing buffers
_NEED_GRID = 3  # a larger work array for the grid search
_KEEP_BYTES = 4 << 20  # a calling thread keeps work arrays of at most this many bytes
# each thread's work arrays (_run_tasks): a batch of tasks reuses those of the thread's last
# batch instead of growing new ones from the smallest size (layers cut along unit lines:
# ~40 batches per stage, ~60 arrays allocated for each). Threads of a call's own pool end
# with it, and their arrays with them.
_KEPT = threading.local()


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
    ring_sign : ndarray of int8
        +1 when ring ``r`` in stored order has its polygon's interior on the left, −1 when on
        the right, 0 when that cannot be certified (a spike, coordinates out of range).
    blk_off, blk_box : ndarray
        Ring ``r``'s edges in blocks of ``_RING_BLOCK``: boxes ``blk_box[blk_off[r]:blk_off[r
        + 1]]``, so that a task skips the edges far from the other polygons.
    """

    coords: np.ndarray
    ring_off: np.ndarray
    ring_ext: np.ndarray
    ring_start: np.ndarray
    ring_end: np.ndarray
    bbox: np.ndarray
    ring_sign: np.ndarray
    blk_off: np.ndarray
    blk_box: np.ndarray


def pack(geoms: np.ndarray, num_coords: np.ndarray | None = None) -> Packed:
    """Flatten polygons and multipolygons (empty ones allowed) for :func:`union_clip_areas`.

    Polygons without holes (most features) are copied in one call without the GIL
    (:func:`zoning.ring_coords.exterior_coords`); the others
    (holes, multi-parts, collections) are opened into the rings of their polygons. The
    envelope of a polygon without holes is the box of its ring's coordinates (exact, as
    GEOS's), taken from the boxes of its blocks of edges; the others' come from GEOS.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Polygonal geometries; points and lines in collections are left out.
    num_coords : ndarray of int, optional
        ``shapely.get_num_coordinates(geoms)``, when the caller has it already (each
        geometry read by GEOS once less).

    Returns
    -------
    Packed
        Coordinates, rings and envelopes, in the order of ``geoms``.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    simple = shapely.get_type_id(geoms) == 3
    simple[simple] = shapely.get_num_interior_rings(geoms[simple]) == 0
    s_idx = np.flatnonzero(simple)
    c_idx = np.flatnonzero(~simple)
    s_geoms = geoms[s_idx]
    # a polygon without holes has as many coordinates as its ring (no index array per vertex)
    s_len = shapely.get_num_coordinates(s_geoms) if num_coords is None else num_coords[s_idx]
    coords = exterior_coords(s_geoms, s_len)  # without the GIL: other threads go on
    ring_off = np.r_[0, np.cumsum(s_len)].astype(np.int64)
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
    coords = np.ascontiguousarray(coords, dtype=np.float64)
    # blocks of _RING_BLOCK edges per ring (the kernel allocates nothing: see _tasks)
    n_blk = (np.maximum(np.diff(ring_off) - 1, 0) + _RING_BLOCK - 1) // _RING_BLOCK
    blk_off = np.r_[0, np.cumsum(n_blk)].astype(np.int64)
    ring_sign = np.zeros(len(ring_off) - 1, dtype=np.int8)
    blk_box = np.empty((blk_off[-1], 4))
    _ring_meta(coords, ring_off, ring_ext, ring_sign, blk_off, blk_box)
    bbox = np.empty((n, 4))
    # a certified ring (sign not 0: coordinates in range, so no NaN) has the blocks' box;
    # the others (empty, a spike, out of range) and the complex geometries take GEOS's
    from_blocks = np.zeros(n, dtype=bool)
    from_blocks[s_idx] = ring_sign[: len(s_idx)] != 0
    _ring_boxes(blk_off, blk_box, ring_start, np.flatnonzero(from_blocks), bbox)
    rest = np.flatnonzero(~from_blocks)
    if len(rest):
        bbox[rest] = shapely.bounds(geoms[rest]).reshape(len(rest), 4)
    return Packed(
        coords=coords,
        ring_off=ring_off,
        ring_ext=ring_ext,
        ring_start=ring_start,
        ring_end=ring_end,
        bbox=bbox,
        ring_sign=ring_sign,
        blk_off=blk_off,
        blk_box=blk_box,
    )


def _polygon_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the polygons inside ``geoms`` and the position of the geometry each came from.

    Multi-parts and collections are opened (nested ones too), in order; points and lines
    (no area) go.
    """
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
    with_noise: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
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
    with_noise : bool
        Also return a bound on the rounding error of each area: polygons that only touch
        (a shared edge) have an intersection of area 0 that the sum gives as a few units of
        rounding, and ``abs(area) <= noise`` tells such contacts from overlaps.

    Returns
    -------
    ndarray of float, or (areas, noise)
        Areas in squared CRS units; NaN for tasks the kernel cannot certify (measure those
        with GEOS).
    """
    n = len(clip)
    out = np.empty(n, dtype=np.float64)
    noise = np.zeros(n, dtype=np.float64)
    if n == 0:
        return (out, noise) if with_noise else out
    args = (
        packed.coords,
        packed.ring_off,
        packed.ring_sign,
        packed.blk_off,
        packed.blk_box,
        packed.ring_start,
        packed.ring_end,
        packed.bbox,
        np.ascontiguousarray(indptr, dtype=np.int64),
        np.ascontiguousarray(members, dtype=np.int64),
        np.ascontiguousarray(clip, dtype=np.int64),
        out,
        noise,
    )
    work = _KEPT  # each thread's work arrays, kept for its next chunks and calls
    if n_jobs <= 1 or n <= _CHUNK:
        _run_tasks(args, 0, n, work)
        if _kept_bytes(work) > _KEEP_BYTES:  # this thread lives on: it keeps small ones
            del work.work, work.cross, work.grid, work.need
    else:
        bounds = [*range(0, n, _CHUNK), n]
        with ThreadPoolExecutor(n_jobs) as pool:
            list(
                pool.map(
                    lambda k: _run_tasks(args, bounds[k], bounds[k + 1], work),
                    range(len(bounds) - 1),
                )
            )
    return (out, noise) if with_noise else out


def _kept_bytes(local: threading.local) -> int:
    """Bytes of the work arrays a thread keeps (:func:`_run_tasks`)."""
    return sum(a.nbytes for a in (*local.work, *local.cross, local.grid))


def _run_tasks(args: tuple, lo: int, hi: int, local: threading.local) -> None:
    """Run the kernel on tasks ``lo:hi``, giving it work arrays as large as it asks for.

    The kernel allocates no array (cached code that does makes numba import its array
    module, ``numba.np.arrayobj``, as it loads: about 0.05 s of CPU on a process's first
    kernel call). It stops at a task its work arrays are too small for, says what it needs
    in ``need``, and that task starts over with larger ones (a task's result does not depend
    on the size of its work arrays). The arrays are kept in ``local`` for the thread's next
    chunk or call.
    """
    if not hasattr(local, "work"):
        local.need = np.zeros(3, dtype=np.int64)
        local.work = _workspace(8, 256)
        local.cross = _crossing_buffers(local.work[1].shape[0] * 2 + 64)
        local.grid = np.empty(0, dtype=np.int64)
    need, work, cross, grid = local.need, local.work, local.cross, local.grid
    while lo < hi:
        lo = _tasks(*args, *work, *cross, grid, need, lo, hi)
        if lo >= hi:
            break
        if need[0] == _NEED_WORK:
            n_p = max(int(need[1]), 2 * work[0].shape[0])
            n_v = max(int(need[2]), 2 * work[1].shape[0])
            work = _workspace(n_p, n_v)
            cross = _crossing_buffers(max(cross[0].shape[0], 2 * n_v + 64))
        elif need[0] == _NEED_CROSSINGS:
            cross = _crossing_buffers(4 * cross[0].shape[0])
        else:
            grid = np.empty(max(int(need[1]), 2 * grid.shape[0]), dtype=np.int64)
    local.work, local.cross, local.grid = work, cross, grid


def _workspace(n_p: int, n_v: int) -> tuple[np.ndarray, ...]:
    """Work arrays for tasks of at most ``n_p`` geometries and ``n_v`` vertices.

    Polygons, edges, runs, keep boxes, polygon edge ranges and envelopes, blocks, block
    ranges, block lists, a block's edges' envelopes, crossing offsets, walk statuses. A task
    has fewer edges than vertices, at most one run more per edge (and one per ring, and rings
    have at least one vertex), and at most one block more per polygon than edges per block.
    """
    n_blk = n_v // _BLOCK + n_p + 1
    return (
        np.empty(n_p, dtype=np.int64),
        np.empty((n_v, 4)),
        np.empty((2 * n_v + 1, 5), dtype=np.int64),
        np.empty((n_p + 1, 4)),
        np.empty((n_p, 2), dtype=np.int64),
        np.empty((n_p, 4)),
        np.empty((n_blk, 6)),
        np.empty((n_p, 2), dtype=np.int64),
        np.empty(2 * n_blk + _BLOCK, dtype=np.int64),
        np.empty((_BLOCK, 4)),
        np.empty(n_v + 2, dtype=np.int64),
        np.empty(2 * n_p, dtype=np.int8),
    )


def _crossing_buffers(cap: int) -> tuple[np.ndarray, ...]:
    """Buffers for ``cap`` crossing records: as found, and sorted along the edges."""
    return (
        np.empty((cap, 4)),
        np.empty(cap, dtype=np.int64),
        np.empty((cap, 3)),
        np.empty(cap, dtype=np.int64),
    )


def warm_up(*, validation: bool = False) -> float:
    """Compile the kernel (about 30 s, once per install: numba caches it in ``__pycache__``).

    ``make setup`` calls it (with ``validation=True``) so that the first statistics run does
    not pay for compiling; ``zoning stats`` calls it on a thread while it reads the catalogue.

    Parameters
    ----------
    validation : bool, default False
        Also compile :func:`certified_valid` (statistics on frames not from a catalogue).

    Returns
    -------
    float
        The area of two 2 × 2 squares overlapping in a unit square (7).
    """
    squares = np.array([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)], dtype=object)
    packed = pack(squares)
    if validation and not certified_valid(packed, n_jobs=1).all():
        raise AssertionError("certified_valid refused two squares")  # pragma: no cover
    return float(union_clip_areas(packed, np.array([0, 2]), np.array([0, 1]), np.array([-1]))[0])


# --------------------------------------------------------------------------------------------
# Kernel (numba, nopython, GIL released)
# --------------------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _tasks(
    coords, ring_off, ring_sign, blk_off, blk_box, g_rs, g_re, bbox, indptr, members, clip, out,
    noise, w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w14, w15, w10, w11, w12, w13, grid, need, lo,
    hi,
):  # fmt: skip
    """Measure tasks ``lo:hi`` until one needs larger work arrays; return where it stopped.

    The work arrays (:func:`_workspace`, :func:`_crossing_buffers`, ``grid``) are reused by
    every task: layers cut along unit lines give many small tasks, whose fixed cost was
    mostly ~16 allocations (named, not a tuple: indexing a tuple of arrays in the loop cost
    ~65 atomic reference counts). A task they are too small for is not measured: ``need``
    says what it needs (``_NEED_…`` and sizes) and ``hi`` is not reached.
    """
    for i in range(lo, hi):
        subj = members[indptr[i] : indptr[i + 1]]
        n_p = subj.shape[0] + 1
        n_v = 0  # vertices of the task's geometries (with every member): bounds its edges
        for g in subj:
            n_v += ring_off[g_re[g]] - ring_off[g_rs[g]]
        if clip[i] >= 0:
            n_v += ring_off[g_re[clip[i]]] - ring_off[g_rs[clip[i]]]
        if n_p > w0.shape[0] or n_v > w1.shape[0]:
            need[0] = _NEED_WORK
            need[1] = n_p
            need[2] = n_v
            return i
        area, bound = _task(
            coords, ring_off, ring_sign, blk_off, blk_box, g_rs, g_re, bbox, subj, clip[i],
            w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15, grid, need,
        )  # fmt: skip
        if bound < 0.0:  # a buffer was too small (what for is in need)
            return i
        out[i] = area
        noise[i] = bound
    return hi


@njit(cache=True, nogil=True, inline="always")
def _task(
    coords, ring_off, ring_sign, blk_off, blk_box, g_rs, g_re, bbox, subj, clip,
    w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15, grid, need,
):  # fmt: skip
    """Return the area of ``union(subj) ∩ clip`` and a bound on its rounding error.

    No clip when ``clip < 0``; the area is NaN when the task is declined. ``w0`` … ``w15``
    and ``grid`` are the work arrays, ``w0`` … ``w9``, ``w14``, ``w15`` large enough for the
    task; when the crossing buffers ``w10`` … ``w13`` or ``grid`` are too small, the bound is
    −1 and ``need`` says what is needed.
    """
    polys = w0[: subj.shape[0] + 1]
    if clip >= 0:
        k = _members_meeting(bbox, subj, clip, polys)  # the others add nothing inside the clip
        polys[k] = clip
        polys = polys[: k + 1]
    else:
        k = subj.shape[0]
        for m in range(k):  # element by element: an array assigned to a slice is checked
            polys[m] = subj[m]  # for its shape by code that needs numba's array module
        polys = polys[:k]
    if k == 0:
        return 0.0, 0.0
    E, runs, pe, pb, ox, oy, ok = _gather(
        coords, ring_off, ring_sign, blk_off, blk_box, g_rs, g_re, bbox, polys, k,
        w1, w2, w3, w4, w5,
    )  # fmt: skip
    if not ok:
        return np.nan, np.nan  # a ring that cannot be oriented (a spike), or out of range
    if E.shape[0] == 0:
        return 0.0, 0.0
    blocks, pk = _blocks(E, pe, w6, w7)
    # crossings: edge (as float), parameter along it, crossing point x, y; polygon crossed
    nc = _all_crossings(E, pe, pb, blocks, pk, w10, w11, w8, w9, grid, need)
    if nc < 0:  # buffers full: start over with larger ones
        if nc == _FULL:
            need[0] = _NEED_CROSSINGS
        return np.nan, -1.0
    first, ct, co = _sort_crossings(w10, w11, nc, E.shape[0], w14, w12, w13)
    raw = (coords, ring_off, blk_off, blk_box, g_rs, g_re, polys, ox, oy)
    return _walk(E, runs, pb, k, clip >= 0, first, ct, co, raw, w15)


@njit(cache=True, nogil=True, inline="always")
def _members_meeting(bbox, subj, clip, out):
    """Write the members of ``subj`` whose envelopes meet the clip's (closed boxes) to ``out``.

    Returns their number.
    """
    n = 0
    for g in subj:
        if not (
            bbox[g, 2] < bbox[clip, 0]
            or bbox[clip, 2] < bbox[g, 0]
            or bbox[g, 3] < bbox[clip, 1]
            or bbox[clip, 3] < bbox[g, 1]
        ):
            out[n] = g
            n += 1
    return n


@njit(cache=True, nogil=True, inline="always")
def _gather(
    coords, ring_off, ring_sign, blk_off, blk_box, g_rs, g_re, bbox, polys, k, E, runs, w_keep,
    w_pe, w_pb,
):  # fmt: skip
    """Edges of ``polys`` that can matter, translated to an integer origin, in runs.

    With a clip (``polys[k]``), the clip's edges outside the subjects' envelope lie outside
    every subject, and a subject's edges outside the clip's envelope lie outside the clip:
    neither counts, and only the others are walked (whole blocks left out at a time). With
    several subjects, a walked edge may still cross another subject's edge outside the
    clip's envelope (a toggle of that subject's status), so the edges of subjects that meet
    the envelope of the walked blocks are gathered too, after the runs: they are searched for
    crossings, never walked. A ring keeps its edges in
    *runs*; a run that does not make up the whole ring starts just after a left-out edge,
    strictly outside that envelope, so its status there is known (outside).

    Returns ``E`` (edges × [x0, y0, x1, y1]), ``runs`` (runs × [first edge, end edge,
    polygon, orientation sign, whole ring]), ``pe`` (polygons × [first edge, end edge]),
    ``pb`` (translated envelopes), the origin and whether the task can be certified: views
    of the work arrays ``E``, ``runs``, ``w_pe``, ``w_pb`` (``w_keep`` is work space), large
    enough for the task.
    """
    npoly = polys.shape[0]
    has_clip = npoly > k
    keep = w_keep[: npoly + 1]  # the last row: ``reach`` below
    for p in range(npoly):
        keep[p, 0] = -np.inf
        keep[p, 1] = -np.inf
        keep[p, 2] = np.inf
        keep[p, 3] = np.inf
    reach = keep[npoly]  # with several subjects: where their walked edges can be crossed
    if has_clip:
        c = polys[k]
        for p in range(k):
            for t in range(4):
                keep[p, t] = bbox[c, t]
        if k > 1:
            for t in range(4):
                reach[t] = bbox[c, t]
            for p in range(k):
                g = polys[p]
                kx0, ky0, kx1, ky1 = keep[p, 0], keep[p, 1], keep[p, 2], keep[p, 3]
                for r in range(g_rs[g], g_re[g]):
                    for b in range(blk_off[r], blk_off[r + 1]):
                        if _box_meets(blk_box, b, kx0, ky0, kx1, ky1):
                            reach[0] = min(reach[0], blk_box[b, 0])
                            reach[1] = min(reach[1], blk_box[b, 1])
                            reach[2] = max(reach[2], blk_box[b, 2])
                            reach[3] = max(reach[3], blk_box[b, 3])
        keep[k, 0] = bbox[polys[0], 0]
        keep[k, 1] = bbox[polys[0], 1]
        keep[k, 2] = bbox[polys[0], 2]
        keep[k, 3] = bbox[polys[0], 3]
        for p in range(1, k):
            g = polys[p]
            keep[k, 0] = min(keep[k, 0], bbox[g, 0])
            keep[k, 1] = min(keep[k, 1], bbox[g, 1])
            keep[k, 2] = max(keep[k, 2], bbox[g, 2])
            keep[k, 3] = max(keep[k, 3], bbox[g, 3])
    # origin: an integer near the first polygon; the translation must be exact (Sterbenz:
    # every coordinate within a factor 2 of the origin), else there is none
    ox = 0.0
    oy = 0.0
    n_cap = 0
    ok = True
    for p in range(npoly):
        g = polys[p]
        for r in range(g_rs[g], g_re[g]):
            n_cap += max(ring_off[r + 1] - ring_off[r] - 1, 0)
            if ring_sign[r] == 0 and ring_off[r + 1] - ring_off[r] > 1:
                ok = False
            if n_cap > 0 and ox == 0.0 and oy == 0.0:
                ox = float(math.floor(coords[ring_off[r], 0]))
                oy = float(math.floor(coords[ring_off[r], 1]))
    for p in range(npoly):
        g = polys[p]
        if g_re[g] > g_rs[g] and not (
            _sterbenz(bbox[g, 0], ox) and _sterbenz(bbox[g, 2], ox)
            and _sterbenz(bbox[g, 1], oy) and _sterbenz(bbox[g, 3], oy)
        ):  # fmt: skip
            ox = 0.0
            oy = 0.0
    pe = w_pe[:npoly]
    pb = w_pb[:npoly]
    e = 0
    nr = 0
    for p in range(npoly):
        g = polys[p]
        pb[p, 0] = bbox[g, 0] - ox
        pb[p, 1] = bbox[g, 1] - oy
        pb[p, 2] = bbox[g, 2] - ox
        pb[p, 3] = bbox[g, 3] - oy
        pe[p, 0] = e
        # the box this polygon's edges are kept in, as scalars: a row view of ``keep`` for
        # every edge tested cost two atomic reference counts each
        kx0, ky0, kx1, ky1 = keep[p, 0], keep[p, 1], keep[p, 2], keep[p, 3]
        for r in range(g_rs[g], g_re[g]):
            n_e = ring_off[r + 1] - ring_off[r] - 1
            if n_e <= 0:
                continue
            sign = ring_sign[r]
            d = _left_out_edge(coords, ring_off, blk_off, blk_box, r, kx0, ky0, kx1, ky1)
            if d < 0:  # the whole ring
                runs[nr, 0] = e
                for v in range(ring_off[r], ring_off[r + 1] - 1):
                    e = _put_edge(E, e, coords, v, ox, oy)
                runs[nr, 1] = e
                runs[nr, 2] = p
                runs[nr, 3] = sign
                runs[nr, 4] = 1
                if e > runs[nr, 0]:
                    nr += 1
                continue
            in_run = False
            j = d + 1
            met = -1  # the block whose box was last found to meet the box (tested once)
            while j <= d + n_e:
                rel = j if j < n_e else j - n_e
                b = rel // _RING_BLOCK
                if b != met:
                    if not _box_meets(blk_box, blk_off[r] + b, kx0, ky0, kx1, ky1):
                        if in_run:
                            runs[nr, 1] = e
                            nr += 1
                            in_run = False
                        j += min((b + 1) * _RING_BLOCK, n_e) - rel
                        continue
                    met = b
                v = ring_off[r] + rel
                if _edge_meets(coords, v, kx0, ky0, kx1, ky1):
                    if not in_run:
                        runs[nr, 0] = e
                        runs[nr, 2] = p
                        runs[nr, 3] = sign
                        runs[nr, 4] = 0
                        in_run = True
                    e = _put_edge(E, e, coords, v, ox, oy)
                elif in_run:
                    runs[nr, 1] = e
                    nr += 1
                    in_run = False
                j += 1
            if in_run:
                runs[nr, 1] = e
                nr += 1
        if has_clip and k > 1 and p < k:
            # edges of this subject that are not walked but may cross another's walked edge
            rx0, ry0, rx1, ry1 = reach[0], reach[1], reach[2], reach[3]
            for r in range(g_rs[g], g_re[g]):
                for b in range(blk_off[r], blk_off[r + 1]):
                    if not _box_meets(blk_box, b, rx0, ry0, rx1, ry1):
                        continue
                    s0 = ring_off[r] + (b - blk_off[r]) * _RING_BLOCK
                    for v in range(s0, min(s0 + _RING_BLOCK, ring_off[r + 1] - 1)):
                        if _edge_meets(coords, v, rx0, ry0, rx1, ry1) and not _edge_meets(
                            coords, v, kx0, ky0, kx1, ky1
                        ):
                            e = _put_edge(E, e, coords, v, ox, oy)
        pe[p, 1] = e
    return E[:e], runs[:nr], pe, pb, ox, oy, ok


@njit(cache=True, nogil=True)
def _put_edge(E, e, coords, v, ox, oy):
    """Append edge ``v → v + 1`` translated (none when it has no length); the new count."""
    x0 = coords[v, 0] - ox
    y0 = coords[v, 1] - oy
    x1 = coords[v + 1, 0] - ox
    y1 = coords[v + 1, 1] - oy
    if x0 == x1 and y0 == y1:
        return e
    E[e, 0] = x0
    E[e, 1] = y0
    E[e, 2] = x1
    E[e, 3] = y1
    return e + 1


@njit(cache=True, nogil=True)
def _box_meets(boxes, b, lo_x, lo_y, hi_x, hi_y):
    """Whether box ``b`` of ``boxes`` meets the closed box ``lo_x, lo_y, hi_x, hi_y``."""
    x0 = boxes[b, 0]
    y0 = boxes[b, 1]
    x1 = boxes[b, 2]
    y1 = boxes[b, 3]
    return x0 <= hi_x and x1 >= lo_x and y0 <= hi_y and y1 >= lo_y


@njit(cache=True, nogil=True)
def _edge_meets(coords, v, lo_x, lo_y, hi_x, hi_y):
    """Whether the envelope of edge ``v → v + 1`` meets the closed box ``lo_x … hi_y``.

    The coordinates are read before any test (one block, no branch holding the array).
    """
    x0 = coords[v, 0]
    y0 = coords[v, 1]
    x1 = coords[v + 1, 0]
    y1 = coords[v + 1, 1]
    return (
        min(x0, x1) <= hi_x and max(x0, x1) >= lo_x and min(y0, y1) <= hi_y and max(y0, y1) >= lo_y
    )


@njit(cache=True, nogil=True)
def _left_out_edge(coords, ring_off, blk_off, blk_box, r, lo_x, lo_y, hi_x, hi_y):
    """Position in ring ``r`` of an edge whose envelope misses the box, or −1 if none does."""
    n_e = ring_off[r + 1] - ring_off[r] - 1
    for b in range(blk_off[r], blk_off[r + 1]):
        rel0 = (b - blk_off[r]) * _RING_BLOCK
        if not _box_meets(blk_box, b, lo_x, lo_y, hi_x, hi_y):
            return rel0
        inside = (
            blk_box[b, 0] >= lo_x
            and blk_box[b, 2] <= hi_x
            and blk_box[b, 1] >= lo_y
            and blk_box[b, 3] <= hi_y
        )
        if not inside:
            for rel in range(rel0, min(rel0 + _RING_BLOCK, n_e)):
                if not _edge_meets(coords, ring_off[r] + rel, lo_x, lo_y, hi_x, hi_y):
                    return rel
    return -1


@njit(cache=True, nogil=True)
def _sterbenz(v, o):
    """Whether ``v - o`` is exact because ``v`` lies within a factor 2 of ``o`` (or is ``o``)."""
    if v == o:
        return True
    if o > 0.0:
        return 0.5 * o <= v <= 2.0 * o
    if o < 0.0:
        return 2.0 * o <= v <= 0.5 * o
    return False


@njit(cache=True, nogil=True)
def _ring_meta(coords, ring_off, ring_ext, sign, blk_off, blk_box):
    """Write the orientation sign of every ring (see :class:`Packed`) and its blocks' boxes.

    The sign of the float area when rounding cannot change it, else the exact turn at the
    ring's lowest-leftmost vertex (a convex corner of a simple ring); 0 when that turn is
    none (a spike) or a coordinate is out of the exact arithmetic's range. ``sign`` comes
    zeroed, ``blk_off`` filled (:func:`pack`).
    """
    n_r = ring_off.shape[0] - 1
    for r in range(n_r):
        v0 = ring_off[r]
        v1 = ring_off[r + 1]
        if v1 - v0 < 2:
            continue
        ox = coords[v0, 0]
        oy = coords[v0, 1]
        twice = 0.0
        mag = 0.0
        good = True
        # one pass over the vertices, block by block, the boxes kept in scalars (a box
        # updated in memory at every vertex cost more than the sums); the sums are taken in
        # the same order as edge by edge over the ring
        for b in range(blk_off[r], blk_off[r + 1]):
            s0 = v0 + (b - blk_off[r]) * _RING_BLOCK
            s1 = min(s0 + _RING_BLOCK, v1 - 1)
            cx = coords[s0, 0]
            cy = coords[s0, 1]
            bx0 = cx
            by0 = cy
            bx1 = cx
            by1 = cy
            x0 = cx - ox
            y0 = cy - oy
            for v in range(s0, s1):
                if not (_in_range(cx) and _in_range(cy)):
                    good = False
                cx = coords[v + 1, 0]
                cy = coords[v + 1, 1]
                x1 = cx - ox
                y1 = cy - oy
                twice += x0 * y1 - x1 * y0
                mag += abs(x0 * y1) + abs(x1 * y0)
                bx0 = min(bx0, cx)
                by0 = min(by0, cy)
                bx1 = max(bx1, cx)
                by1 = max(by1, cy)
                x0 = x1
                y0 = y1
            blk_box[b, 0] = bx0
            blk_box[b, 1] = by0
            blk_box[b, 2] = bx1
            blk_box[b, 3] = by1
        if not good:
            continue
        # the differences from the first vertex are rounded: the bound covers that too
        if abs(twice) > (v1 - v0 + 4) * _EPS * 4 * mag:
            ccw = twice > 0
        else:
            turn = _extreme_turn(coords, v0, v1 - 1)
            if turn == 0:
                continue
            ccw = turn > 0
        sign[r] = 1 if ccw == ring_ext[r] else -1


@njit(cache=True, nogil=True)
def _ring_boxes(blk_off, blk_box, ring_start, geoms, bbox):
    """Write to ``bbox[g]`` the box of the blocks of ring ``ring_start[g]``, for ``g`` in ``geoms``.

    Each geometry has that one ring, of at least one block: the box of its coordinates.
    """
    for g in geoms:
        r = ring_start[g]
        b0 = blk_off[r]
        x0 = blk_box[b0, 0]
        y0 = blk_box[b0, 1]
        x1 = blk_box[b0, 2]
        y1 = blk_box[b0, 3]
        for b in range(b0 + 1, blk_off[r + 1]):
            x0 = min(x0, blk_box[b, 0])
            y0 = min(y0, blk_box[b, 1])
            x1 = max(x1, blk_box[b, 2])
            y1 = max(y1, blk_box[b, 3])
        bbox[g, 0] = x0
        bbox[g, 1] = y0
        bbox[g, 2] = x1
        bbox[g, 3] = y1


@njit(cache=True, nogil=True)
def _extreme_turn(coords, v0, v1):
    """Return the exact turn (+1 left, −1 right, 0 none) at a ring's lowest-leftmost vertex.

    The ring has vertices ``v0:v1`` (closing vertex left out); the turn is the ring's
    orientation when it is simple.
    """
    m = v0
    for v in range(v0 + 1, v1):
        if coords[v, 1] < coords[m, 1] or (
            coords[v, 1] == coords[m, 1] and coords[v, 0] < coords[m, 0]
        ):
            m = v
    n = v1 - v0
    a = m
    for _ in range(n):  # the previous distinct vertex
        a = a - 1 if a > v0 else v1 - 1
        if coords[a, 0] != coords[m, 0] or coords[a, 1] != coords[m, 1]:
            break
    c = m
    for _ in range(n):  # the next distinct vertex
        c = c + 1 if c < v1 - 1 else v0
        if coords[c, 0] != coords[m, 0] or coords[c, 1] != coords[m, 1]:
            break
    return _orient_exact(
        coords[a, 0], coords[a, 1], coords[m, 0], coords[m, 1], coords[c, 0], coords[c, 1]
    )[0]


@njit(cache=True, nogil=True)
def _in_range(v):
    """Whether products of coordinates like ``v`` neither overflow nor lose bits to underflow."""
    a = abs(v)
    return a == 0.0 or (1.0 / _COORD_MAX < a < _COORD_MAX)


@njit(cache=True, nogil=True, inline="always")
def _blocks(E, pe, w_blocks, w_pk):
    """Envelopes of blocks of ``_BLOCK`` consecutive edges of one polygon.

    Neighbouring edges of a ring are close, so blocks are small boxes and block pairs prune
    most edge pairs. Returns ``blocks`` (blocks × [x0, y0, x1, y1, first edge, end edge]) and
    ``pk`` (polygons × [first block, end block]): views of the work arrays ``w_blocks``,
    ``w_pk``.
    """
    npoly = pe.shape[0]
    n_blk = 0
    for p in range(npoly):
        n_blk += (pe[p, 1] - pe[p, 0] + _BLOCK - 1) // _BLOCK
    blocks = w_blocks[:n_blk]
    pk = w_pk[:npoly]
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


@njit(cache=True, nogil=True, inline="always")
def _all_crossings(E, pe, pb, blocks, pk, cx, c_other, work, jenv, grid, need):
    """Record the proper crossings between the edges of every pair of polygons.

    ``work`` (at least ``2 * len(blocks) + _BLOCK`` integers), ``jenv`` (``_BLOCK`` rows) and
    ``grid`` are work space. Returns their number, or ``_FULL`` when the buffers are full, or
    ``_GRID_SHORT`` when ``grid`` is (``need`` then says how large it must be).
    """
    npoly = pe.shape[0]
    nc = 0
    # one work array for every pair of polygons (few tasks have more than one pair): the
    # blocks of p and of q that meet the pair's box, and a block's edges in _block_crossings
    n_blk = blocks.shape[0]
    for p in range(npoly):
        for q in range(p + 1, npoly):
            lo_x = max(pb[p, 0], pb[q, 0])
            lo_y = max(pb[p, 1], pb[q, 1])
            hi_x = min(pb[p, 2], pb[q, 2])
            hi_y = min(pb[p, 3], pb[q, 3])
            if lo_x > hi_x or lo_y > hi_y:
                continue
            na = _rows_in(blocks, pk[p, 0], pk[p, 1], lo_x, lo_y, hi_x, hi_y, work, 0)
            nq = _rows_in(blocks, pk[q, 0], pk[q, 1], lo_x, lo_y, hi_x, hi_y, work, n_blk)
            if na == 0 or nq == 0:
                continue
            ka = work[:na]
            kq = work[n_blk : n_blk + nq]
            if na * nq <= _BLOCK_PAIRS:
                jb = work[2 * n_blk :]
                nc = _block_crossings(E, blocks, ka, kq, p, q, cx, c_other, nc, jb, jenv)
            else:
                box = (lo_x, lo_y, hi_x, hi_y)
                nc = _grid_crossings(E, blocks, ka, kq, p, q, box, cx, c_other, nc, grid, need)
            if nc < 0:
                return nc
    return nc


@njit(cache=True, nogil=True)
def _rows_in(boxes, k0, k1, lo_x, lo_y, hi_x, hi_y, out, at):
    """Rows ``k0:k1`` of ``boxes`` (x0, y0, x1, y1 first) that meet the closed box.

    They are written to ``out[at:]``, in order; returns their number.
    """
    n = 0
    for k in range(k0, k1):
        if boxes[k, 0] <= hi_x and boxes[k, 2] >= lo_x:
            if boxes[k, 1] <= hi_y and boxes[k, 3] >= lo_y:
                out[at + n] = k
                n += 1
    return n


@njit(cache=True, nogil=True)
def _block_crossings(E, blocks, ka, kq, p, q, cx, c_other, nc, jb, jenv):
    """Crossings between the edges of blocks ``ka`` (of ``p``) and ``kq`` (of ``q``).

    Edge pairs are visited in the order of the plain double loop (blocks ``a`` then ``b``,
    edges ``i`` then ``j``), so crossings are recorded in the same order; a pair is skipped
    only when one edge's envelope misses the other's block box, where the envelopes of the
    two edges cannot meet either. ``jb`` and ``jenv`` are work space for the ``_BLOCK`` edges
    of a block and their envelopes.
    """
    sp = 1 if p > q else -1  # p moves by (p − q)·(ε, ε²) relative to q
    for a in ka:
        ax0 = blocks[a, 0]
        ay0 = blocks[a, 1]
        ax1 = blocks[a, 2]
        ay1 = blocks[a, 3]
        for b in kq:
            bx0 = blocks[b, 0]
            by0 = blocks[b, 1]
            bx1 = blocks[b, 2]
            by1 = blocks[b, 3]
            if ax0 > bx1 or bx0 > ax1 or ay0 > by1 or by0 > ay1:
                continue
            # the edges of b whose envelopes meet a's box, in order, with their envelopes
            nj = 0
            for j in range(int(blocks[b, 4]), int(blocks[b, 5])):
                jx0, jy0, jx1, jy1 = _envelope(E, j)
                if not (jx0 > ax1 or jx1 < ax0 or jy0 > ay1 or jy1 < ay0):
                    jb[nj] = j
                    jenv[nj, 0] = jx0
                    jenv[nj, 1] = jy0
                    jenv[nj, 2] = jx1
                    jenv[nj, 3] = jy1
                    nj += 1
            if nj == 0:
                continue
            for i in range(int(blocks[a, 4]), int(blocks[a, 5])):
                ix0, iy0, ix1, iy1 = _envelope(E, i)
                if ix0 > bx1 or ix1 < bx0 or iy0 > by1 or iy1 < by0:
                    continue
                ex0, ey0, ex1, ey1 = E[i, 0], E[i, 1], E[i, 2], E[i, 3]
                for u in range(nj):
                    # the envelopes of i and j meet (as _envelopes_meet tests)
                    if (
                        jenv[u, 0] <= ix1
                        and jenv[u, 2] >= ix0
                        and jenv[u, 1] <= iy1
                        and jenv[u, 3] >= iy0
                    ):
                        j = jb[u]
                        hit, ti, tj, x, y = _crossing(
                            ex0, ey0, ex1, ey1, E[j, 0], E[j, 1], E[j, 2], E[j, 3], sp
                        )
                        if hit:
                            if nc + 2 > c_other.shape[0]:
                                return _FULL
                            nc = _record(cx, c_other, nc, i, j, p, q, ti, tj, x, y)
    return nc


@njit(cache=True, nogil=True)
def _grid_crossings(E, blocks, ka, kq, p, q, box, cx, c_other, nc, grid, need):
    """Record the crossings between blocks ``ka`` (of ``p``) and ``kq`` (of ``q``) by a grid.

    For big polygons, whose block pairs are too many to test one by one.

    The edges of ``q`` are bucketed in a uniform grid over the box (cells about as wide as
    the mean edge envelope, so an edge covers few cells and a cell holds few edges); each
    edge of ``p`` visits the cells its envelope covers. Its arrays are slices of ``grid``;
    when that is too small, returns ``_GRID_SHORT`` with the length wanted in ``need``.
    """
    n_a = _block_edges(blocks, ka, grid, 0)
    nb = _block_edges(blocks, kq, grid, n_a)
    if n_a == 0 or nb == 0:
        return nc
    if grid.shape[0] < n_a + nb:
        return _grid_short(n_a + nb, need)
    ia = grid[:n_a]
    ib = grid[n_a : n_a + nb]
    mean_w = 0.0
    for j in ib:
        mean_w += abs(E[j, 2] - E[j, 0]) + abs(E[j, 3] - E[j, 1])
    mean_w /= 2.0 * nb
    span = max(box[2] - box[0], box[3] - box[1])
    g = int(span / mean_w) if mean_w > 0.0 else 1
    g = max(1, min(g, int(math.sqrt(nb / 2.0)) + 1, 512))
    wx = (box[2] - box[0]) / g if box[2] > box[0] else 1.0
    wy = (box[3] - box[1]) / g if box[3] > box[1] else 1.0
    # cells of each edge of q (4 per edge), then a counting sort of the edges into cells
    at = n_a + nb
    size = at + (g * g + 1) + 4 * nb + g * g + nb
    if grid.shape[0] < size:
        return _grid_short(size, need)
    count = grid[at : at + g * g + 1]
    cr = grid[at + g * g + 1 : at + g * g + 1 + 4 * nb]
    fill = grid[at + g * g + 1 + 4 * nb : at + 2 * g * g + 1 + 4 * nb]
    stamp = grid[at + 2 * g * g + 1 + 4 * nb : size]
    count[:] = 0
    for w in range(nb):
        x0, y0, x1, y1 = _envelope(E, ib[w])
        cr[4 * w] = _cell(x0, box[0], wx, g)
        cr[4 * w + 1] = _cell(x1, box[0], wx, g)
        cr[4 * w + 2] = _cell(y0, box[1], wy, g)
        cr[4 * w + 3] = _cell(y1, box[1], wy, g)
        for rw in range(cr[4 * w + 2], cr[4 * w + 3] + 1):
            for cl in range(cr[4 * w], cr[4 * w + 1] + 1):
                count[rw * g + cl + 1] += 1
    for c in range(g * g):
        count[c + 1] += count[c]
    if grid.shape[0] < size + count[g * g]:
        return _grid_short(size + count[g * g], need)
    items = grid[size : size + count[g * g]]
    for c in range(g * g):
        fill[c] = count[c]
    for w in range(nb):
        for rw in range(cr[4 * w + 2], cr[4 * w + 3] + 1):
            for cl in range(cr[4 * w], cr[4 * w + 1] + 1):
                c = rw * g + cl
                items[fill[c]] = w
                fill[c] += 1
    stamp[:] = -1
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
def _grid_short(size, need):
    """Ask for a grid work array of ``size`` integers; return ``_GRID_SHORT``."""
    need[0] = _NEED_GRID
    need[1] = size
    return _GRID_SHORT


@njit(cache=True, nogil=True)
def _block_edges(blocks, ks, out, at):
    """Write the edges of blocks ``ks`` to ``out[at:]`` (as many as fit); return their number."""
    n = 0
    for k in ks:
        for e in range(int(blocks[k, 4]), int(blocks[k, 5])):
            if at + n < out.shape[0]:
                out[at + n] = e
            n += 1
    return n


@njit(cache=True, nogil=True)
def _cell(v, lo, w, g):
    c = int((v - lo) / w)
    return min(max(c, 0), g - 1)


# --------------------------------------------------------------------------------------------
# Certified orientation: a floating-point filter, exact expansions, simulation of simplicity
# --------------------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _orient(ax, ay, bx, by, cx, cy, s):
    """Return the orientation of c against a→b: +1 left, −1 right, never 0.

    c is moved by ``s·(ε, ε²)`` (``s`` = ±1) relative to the edge.

    Returns the sign, the determinant (0.0 exactly when c lies on the line) and a bound on
    the determinant's error (0.0 when it is exact or correctly rounded).
    """
    left = (bx - ax) * (cy - ay)
    right = (by - ay) * (cx - ax)
    d = left - right
    err = _ERRBOUND * (abs(left) + abs(right))
    if abs(d) > err:
        return (1 if d > 0 else -1), d, err
    if (cx == ax and cy == ay) or (cx == bx and cy == by):
        # c is an end of the edge (a shared vertex, everyday in cut layers): the determinant
        # is exactly 0, as the exact path below would find at greater cost
        return _tie(bx - ax, by - ay, s), 0.0, 0.0
    sign, d = _orient_exact(ax, ay, bx, by, cx, cy)
    if sign != 0:
        return sign, d, 0.0
    return _tie(bx - ax, by - ay, s), 0.0, 0.0


@njit(cache=True, nogil=True)
def _tie(ux, uy, s):
    """Return the sign of ``det(u, s·(ε, ε²))`` = ``s·(ux·ε² − uy·ε)`` for an infinitesimal ε.

    The sign of a float difference is exact, and an edge has ``u ≠ 0``.
    """
    if uy != 0.0:
        return -s if uy > 0.0 else s
    return s if ux > 0.0 else -s


@njit(cache=True, nogil=True)
def _orient_exact(ax, ay, bx, by, cx, cy):
    """Exact sign of ``(bx−ax)(cy−ay) − (by−ay)(cx−ax)`` and its value correctly rounded.

    When the differences ``bx − ax`` … are exact, the determinant is two exact products;
    otherwise it is ``bx·cy − bx·ay − ax·cy − by·cx + by·ax + ay·cx``. Each product is split
    exactly into two floats (Dekker), and the terms are summed exactly into a
    non-overlapping expansion (Shewchuk's Grow-Expansion) whose largest non-zero component
    carries the sign.
    """
    # when the four differences are exact (usual for nearby vertices: Sterbenz), the
    # determinant is the difference of two exact products: four components, kept in scalars
    # (the same operations as the expansion below, without allocating it)
    ux, tux = _two_diff(bx, ax)
    vy, tvy = _two_diff(cy, ay)
    uy, tuy = _two_diff(by, ay)
    vx, tvx = _two_diff(cx, ax)
    if tux == 0.0 and tvy == 0.0 and tuy == 0.0 and tvx == 0.0:
        return _two_products_sign(ux, vy, -uy, vx)
    h = _twelve_floats()  # on the stack: no NumPy array allocated
    n = 0
    n = _grow_product(h, n, bx, cy)
    n = _grow_product(h, n, -bx, ay)
    n = _grow_product(h, n, -ax, cy)
    n = _grow_product(h, n, -by, cx)
    n = _grow_product(h, n, by, ax)
    n = _grow_product(h, n, ay, cx)
    return _expansion_sign(h, n)


@njit(cache=True, nogil=True)
def _two_product(a, b):
    """Return ``a·b`` rounded and its rounding error (Dekker), as ``_grow_product`` splits it."""
    x = a * b
    c = _SPLITTER * a
    ahi = c - (c - a)
    alo = a - ahi
    c = _SPLITTER * b
    bhi = c - (c - b)
    blo = b - bhi
    y = alo * blo - (((x - ahi * bhi) - alo * bhi) - ahi * blo)
    return x, y


@njit(cache=True, nogil=True)
def _two_sum_step(q, h):
    """One step of Grow-Expansion: ``q + h`` as the new running sum and its exact remainder."""
    x = q + h
    bv = x - q
    av = x - bv
    return x, (q - av) + (h - bv)


@njit(cache=True, nogil=True)
def _two_products_sign(a, b, c, d):
    """Exact sign of ``a·b + c·d`` and its value correctly rounded enough.

    The same operations, in the same order, as ``_expansion_sign`` of the expansion
    ``_grow_product(_grow_product([], a, b), c, d)``: the same sign and the same value to the
    bit, in scalars instead of an array allocated for every call.
    """
    x1, y1 = _two_product(a, b)
    # grow([], y1) -> [y1]; grow([y1], x1) -> [h0, h1]
    q, h0 = _two_sum_step(x1, y1)
    h1 = q
    x2, y2 = _two_product(c, d)
    # grow([h0, h1], y2) -> [g0, g1, g2]
    q, g0 = _two_sum_step(y2, h0)
    q, g1 = _two_sum_step(q, h1)
    g2 = q
    # grow([g0, g1, g2], x2) -> [k0, k1, k2, k3]
    q, k0 = _two_sum_step(x2, g0)
    q, k1 = _two_sum_step(q, g1)
    q, k2 = _two_sum_step(q, g2)
    k3 = q
    value = 0.0
    value += k0
    value += k1
    value += k2
    value += k3
    for comp in (k3, k2, k1, k0):
        if comp != 0.0:
            return (1 if comp > 0.0 else -1), value
    return 0, 0.0


@njit(cache=True, nogil=True)
def _expansion_sign(h, n):
    """Sign of the expansion ``h[:n]`` (its largest non-zero component) and its value."""
    value = 0.0
    for i in range(n):  # components in increasing magnitude: the sum rounds correctly enough
        value += h[i]
    for i in range(n - 1, -1, -1):
        if h[i] != 0.0:
            return (1 if h[i] > 0.0 else -1), value
    return 0, 0.0


@njit(cache=True, nogil=True)
def _two_diff(a, b):
    """Return ``a − b`` rounded and its rounding error (TwoSum): ``a − b = x + y`` exactly."""
    x = a - b
    bv = a - x
    av = x + bv
    return x, (a - av) + (bv - b)


@njit(cache=True, nogil=True)
def _grow_product(h, n, a, b):
    """Add the exact product ``a·b`` to the expansion ``h[:n]``; return its new length."""
    x, y = _two_product(a, b)
    n = _grow(h, n, y)
    return _grow(h, n, x)


@njit(cache=True, nogil=True)
def _grow(h, n, b):
    """Shewchuk's Grow-Expansion: ``h[:n] + b`` exactly, in place, one component longer."""
    q = b
    for i in range(n):
        x = q + h[i]
        bv = x - q
        av = x - bv
        h[i] = (q - av) + (h[i] - bv)
        q = x
    h[n] = q
    return n + 1


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
    """Record a crossing of edges ``i`` (of polygon ``p``) and ``j`` (of ``q``), if any.

    The polygons are moved apart by simulation of simplicity (so touching and collinear
    edges either cross properly or not at all); see :func:`_crossing`.

    Returns the new count, or ``_FULL`` when the buffers are full.
    """
    hit, ti, tj, x, y = _crossing(
        E[i, 0], E[i, 1], E[i, 2], E[i, 3], E[j, 0], E[j, 1], E[j, 2], E[j, 3], 1 if p > q else -1
    )
    if not hit:
        return nc
    if nc + 2 > c_other.shape[0]:
        return _FULL
    return _record(cx, c_other, nc, i, j, p, q, ti, tj, x, y)


@njit(cache=True, nogil=True)
def _record(cx, c_other, nc, i, j, p, q, ti, tj, x, y):
    """Write the crossing of edge ``i`` (of ``p``) and ``j`` (of ``q``) at ``nc``; ``nc + 2``.

    Straight-line code on arrays the caller holds (no branch, so numba keeps no reference
    counts for them); the caller checks that the buffers have room.
    """
    cx[nc, 0] = i
    cx[nc, 1] = ti
    cx[nc, 2] = x
    cx[nc, 3] = y
    c_other[nc] = q
    cx[nc + 1, 0] = j
    cx[nc + 1, 1] = tj
    cx[nc + 1, 2] = x
    cx[nc + 1, 3] = y
    c_other[nc + 1] = p
    return nc + 2


@njit(cache=True, nogil=True)
def _crossing(ix0, iy0, ix1, iy1, jx0, jy0, jx1, jy1, sp):
    """Whether edge ``i`` crosses edge ``j`` once ``i`` is moved by ``sp·(ε, ε²)``.

    ``sp`` is +1 when ``i``'s polygon comes after ``j``'s in the task (polygon ``p`` moves
    by ``(p − q)·(ε, ε²)`` relative to ``q``), else −1.

    Returns whether they cross, the parameters along ``i`` and ``j`` and the crossing point
    (scalars only: per pair of edges, arrays passed in would cost reference counts).
    """
    s1, d1, e1 = _orient(jx0, jy0, jx1, jy1, ix0, iy0, sp)
    s2, d2, e2 = _orient(jx0, jy0, jx1, jy1, ix1, iy1, sp)
    if s1 == s2:
        return False, 0.0, 0.0, 0.0, 0.0
    s3, d3, e3 = _orient(ix0, iy0, ix1, iy1, jx0, jy0, -sp)
    s4, d4, e4 = _orient(ix0, iy0, ix1, iy1, jx1, jy1, -sp)
    if s3 == s4:
        return False, 0.0, 0.0, 0.0, 0.0
    # parameters along each edge; nearly parallel edges take theirs from exact determinants,
    # so that crossings are ordered right along an edge
    if e1 + e2 > _T_TOL * abs(d1 - d2):
        d1 = _orient_exact(jx0, jy0, jx1, jy1, ix0, iy0)[1]
        d2 = _orient_exact(jx0, jy0, jx1, jy1, ix1, iy1)[1]
    if e3 + e4 > _T_TOL * abs(d3 - d4):
        d3 = _orient_exact(ix0, iy0, ix1, iy1, jx0, jy0)[1]
        d4 = _orient_exact(ix0, iy0, ix1, iy1, jx1, jy1)[1]
    ti = _param(d1, d2)
    tj = _param(d3, d4)
    # one crossing point for both edges: computed separately from each edge, the two points
    # of nearly parallel edges can lie metres apart, and the gap between them would count.
    # A vertex on the other edge's line is the crossing point itself.
    if d1 == 0.0:
        x, y = ix0, iy0
    elif d2 == 0.0:
        x, y = ix1, iy1
    elif d3 == 0.0:
        x, y = jx0, jy0
    elif d4 == 0.0:
        x, y = jx1, jy1
    else:
        x = ix0 + ti * (ix1 - ix0)
        y = iy0 + ti * (iy1 - iy0)
    return True, ti, tj, x, y


@njit(cache=True, nogil=True)
def _param(d0, d1):
    """Return where, in [0, 1], the other line crosses an edge.

    The edge's ends have determinants ``d0``, ``d1`` (opposite signs, or one of them 0).
    """
    if d0 == 0.0:
        return 0.0
    if d1 == 0.0:
        return 1.0
    return min(max(d0 / (d0 - d1), 0.0), 1.0)


@njit(cache=True, nogil=True, inline="always")
def _sort_crossings(cx, c_other, nc, n_edges, w_first, w_ct, w_co):
    """Crossings grouped by edge (counting sort) and ordered along each edge.

    Returns ``first`` (crossings of edge ``e`` are ``first[e]:first[e + 1]``), their
    parameters and points (``ct``: rows of parameter, x, y) and the polygons crossed: views
    of the work arrays ``w_first`` (``n_edges + 2``), ``w_ct``, ``w_co`` (``nc``).
    """
    # counts of edge e at e + 2; after the prefix sums, first[e + 1] is where edge e starts,
    # and it moves to where e ends (= where e + 1 starts) as its crossings are placed
    first = w_first[: n_edges + 2]
    first[:] = 0
    if nc == 0:  # most tasks of cut layers: pieces that only touch, or one inside the other
        return first[: n_edges + 1], w_ct[:0], w_co[:0]
    for c in range(nc):
        first[int(cx[c, 0]) + 2] += 1
    for e in range(n_edges):
        first[e + 2] += first[e + 1]
    ct = w_ct[:nc]
    co = w_co[:nc]
    for c in range(nc):
        e = int(cx[c, 0])
        f = first[e + 1]
        ct[f, 0] = cx[c, 1]
        ct[f, 1] = cx[c, 2]
        ct[f, 2] = cx[c, 3]
        co[f] = c_other[c]
        first[e + 1] = f + 1
    first = first[: n_edges + 1]
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


@njit(cache=True, nogil=True, inline="always")
def _walk(E, runs, pb, k, has_clip, first, ct, co, raw, w_flags):
    """Integrate along every run of edges, toggling insideness at its crossings.

    ``w_flags`` (``2 * len(pb)``) is work space.

    Returns the area (NaN if a ring does not close its statuses) and a bound on its
    rounding error.
    """
    npoly = pb.shape[0]
    flags = w_flags[: 2 * npoly]
    flags[:] = 0
    status = flags[:npoly]
    start = flags[npoly:]
    twice_area = 0.0
    mag = 0.0  # sum of |x·y'| + |x'·y| over the pieces counted
    length = 0.0  # sum of |dx| + |dy| over the pieces counted
    n_terms = 0
    reach = 0.0  # largest coordinate
    for ed in range(E.shape[0]):
        reach = max(reach, abs(E[ed, 0]), abs(E[ed, 1]))
    for rr in range(runs.shape[0]):
        e0 = runs[rr, 0]
        e1 = runs[rr, 1]
        p = runs[rr, 2]
        sign = float(runs[rr, 3])
        whole = runs[rr, 4] == 1
        px = E[e0, 0]
        py = E[e0, 1]
        n_in = 0  # subjects (other than p) containing the current point
        for q in range(npoly):
            status[q] = 0
            # a run that is not a whole ring starts outside the envelope it was cut to:
            # outside the clip (for a subject) or outside every subject (for the clip)
            known = not whole and (q == k or p == k)
            if q != p and not known:
                if pb[q, 0] <= px <= pb[q, 2] and pb[q, 1] <= py <= pb[q, 3]:
                    inside = _point_in(px, py, q, 1 if p > q else -1, raw)
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
                if _counts(p, k, has_clip and status[k] == 0, n_in):
                    twice_area += sign * (x * ny - nx * y)
                    mag += abs(x * ny) + abs(nx * y)
                    length += abs(nx - x) + abs(ny - y)
                    n_terms += 1
                q = co[c]
                status[q] ^= 1
                if q < k:
                    n_in += 1 if status[q] else -1
                x = nx
                y = ny
            if _counts(p, k, has_clip and status[k] == 0, n_in):
                nx = E[ed, 2]
                ny = E[ed, 3]
                twice_area += sign * (x * ny - nx * y)
                mag += abs(x * ny) + abs(nx * y)
                length += abs(nx - x) + abs(ny - y)
                n_terms += 1
        for q in range(npoly):
            if status[q] != start[q] and (whole or q == k or p == k):
                return np.nan, np.nan  # statuses that do not close: invalid input
    # products and sums: (n + 3)·eps·mag; crossing points within 4·T_TOL·reach of the exact
    # ones, each moving the boundary of the pieces next to it by no more than that
    noise = 0.5 * ((n_terms + 3) * _EPS * mag + 8.0 * _T_TOL * reach * length)
    return 0.5 * twice_area, noise


@njit(cache=True, nogil=True)
def _counts(p, k, out_of_clip, n_in):
    """Whether the current piece of a boundary of polygon ``p`` bounds the result.

    ``out_of_clip``: there is a clip and the piece is outside it; ``n_in``: subjects other
    than ``p`` containing the piece.
    """
    if p < k:  # a subject: inside the clip (if any) and outside the other subjects
        if out_of_clip:
            return False
        return n_in == 0
    return n_in > 0  # the clip: inside some subject


@njit(cache=True, nogil=True)
def _point_in(px, py, q, s, raw):
    """Return 1 if the point moved by ``s·(ε, ε²)`` is in polygon ``q`` of the task, else 0.

    Even–odd rule over all its rings, read from the packed coordinates, blocks that the ray
    to +x cannot meet skipped; the moved point is never on the boundary.
    """
    coords, ring_off, blk_off, blk_box, g_rs, g_re, polys, ox, oy = raw
    g = polys[q]
    inside = 0
    for r in range(g_rs[g], g_re[g]):
        for b in range(blk_off[r], blk_off[r + 1]):
            if blk_box[b, 1] - oy > py or blk_box[b, 3] - oy < py or blk_box[b, 2] - ox < px:
                continue  # all above, all below, or all left of the point
            s0 = ring_off[r] + (b - blk_off[r]) * _RING_BLOCK
            s1 = min(s0 + _RING_BLOCK, ring_off[r + 1] - 1)
            for v in range(s0, s1):
                ay = coords[v, 1] - oy
                by = coords[v + 1, 1] - oy
                # is each end above the moved point's height py + s·ε²?
                a_up = ay > py or (ay == py and s < 0)
                b_up = by > py or (by == py and s < 0)
                if a_up != b_up:
                    o = _orient(coords[v, 0] - ox, ay, coords[v + 1, 0] - ox, by, px, py, s)[0]
                    if (by > ay) == (o > 0):
                        inside ^= 1
    return inside


# --------------------------------------------------------------------------------------------
# Validity: rings the kernel can certify simple, so that only the others need GEOS
# --------------------------------------------------------------------------------------------


def certified_valid(packed: Packed, *, n_jobs: int = 1) -> np.ndarray:
    """Tell which geometries are certainly valid polygons.

    Certainly valid: one ring (no holes, one part) whose non-adjacent edges never touch,
    with no spike and a non-zero area (exact predicates), coordinates 0 or of magnitude
    within ``[2**-200, 2**200]`` (so no product of differences overflows or underflows).

    ``False`` means *not certified*, not invalid: those geometries (holes, multipolygons,
    rings with any contact) need GEOS ``is_valid``. A ring certified here is simple, and a
    simple ring is a valid polygon, so an invalid geometry is never certified.

    Parameters
    ----------
    packed : Packed
        The geometries (:func:`pack`).
    n_jobs : int
        Threads (the check releases the GIL).

    Returns
    -------
    ndarray of bool
        One per geometry: ``True`` when certainly valid.

    See Also
    --------
    certify_polygons : the same on geometries, without packing them first.
    """
    return _certified(packed, n_jobs, star=True)


def certify_polygons(geoms: np.ndarray, *, n_jobs: int = 1) -> np.ndarray:
    """Tell which geometries are certainly valid polygons, reading them chunk by chunk.

    The answer of :func:`certified_valid` (a multipolygon of one part is its polygon), without
    :func:`pack`: only the coordinates of the polygons with one ring are read, ``_VALID_CHUNK``
    geometries at a time (the copy stays in the caches), in ``n_jobs`` threads (both the
    copy, :func:`zoning.ring_coords.exterior_coords`, and the check release the GIL).

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Any geometries; only polygons (and one-part multipolygons) can be certified.
    n_jobs : int
        Threads.

    Returns
    -------
    ndarray of bool
        One per geometry: ``True`` when certainly valid.

    Examples
    --------
    >>> from shapely import Polygon, box
    >>> bowtie = Polygon([(0, 0), (4, 4), (4, 0), (0, 4)])
    >>> certify_polygons(np.array([box(0, 0, 1, 1), bowtie], dtype=object)).tolist()
    [True, False]
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms), dtype=np.bool_)

    def chunk(lo: int) -> None:
        sel, coords, ring_off = _single_rings(geoms[lo : lo + _VALID_CHUNK])
        res = np.zeros(len(sel), dtype=np.bool_)
        rings = np.arange(len(sel), dtype=np.int64)
        _certify(coords, ring_off, rings, rings + 1, res, True, 0, len(sel))
        out[lo + sel] = res

    starts = range(0, len(geoms), _VALID_CHUNK)
    if n_jobs <= 1 or len(starts) <= 1:
        for lo in starts:
            chunk(lo)
    else:
        with ThreadPoolExecutor(n_jobs) as pool:
            list(pool.map(chunk, starts))
    return out


def _single_rings(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the positions of the polygons of one ring in ``geoms``, their vertices, offsets.

    A polygon without holes, or a multipolygon of one such part; ring ``k`` (of geometry
    ``sel[k]``) is ``coords[ring_off[k]:ring_off[k + 1]]``.
    """
    types = shapely.get_type_id(geoms)
    multi = np.flatnonzero(types == 6)
    if len(multi):
        one = multi[shapely.get_num_geometries(geoms[multi]) == 1]
        if len(one):
            geoms = geoms.copy()
            geoms[one] = shapely.get_geometry(geoms[one], 0)
            types = types.copy()
            types[one] = shapely.get_type_id(geoms[one])
    sel = np.flatnonzero(types == 3)
    sel = sel[shapely.get_num_interior_rings(geoms[sel]) == 0]
    polys = geoms[sel]
    size = shapely.get_num_coordinates(polys)
    coords = exterior_coords(polys, size)  # without the GIL: the other thread goes on
    ring_off = np.zeros(len(sel) + 1, dtype=np.int64)
    np.cumsum(size, out=ring_off[1:])
    return sel, coords, ring_off


def _certified(packed: Packed, n_jobs: int, *, star: bool) -> np.ndarray:
    """:func:`certified_valid`; ``star=False`` leaves out the star certificate (tests)."""
    n = len(packed.ring_start)
    out = np.zeros(n, dtype=np.bool_)
    args = (packed.coords, packed.ring_off, packed.ring_start, packed.ring_end, out, star)
    if n_jobs <= 1 or n <= _CHUNK:
        _certify(*args, 0, n)
    else:
        bounds = [*range(0, n, _CHUNK), n]  # rings vary 50-fold in size: small chunks balance
        with ThreadPoolExecutor(n_jobs) as pool:
            list(
                pool.map(
                    lambda k: _certify(*args, bounds[k], bounds[k + 1]), range(len(bounds) - 1)
                )
            )
    return out


@njit(cache=True, nogil=True)
def _certify(coords, ring_off, g_rs, g_re, out, star, lo, hi):
    # one set of work arrays for the chunk, sized for its longest ring (allocating them per
    # ring cost more than the sweep: large blocks come from the kernel, zeroed page by page)
    longest = 0
    for g in range(lo, hi):
        if g_re[g] - g_rs[g] == 1:
            longest = max(longest, ring_off[g_rs[g] + 1] - ring_off[g_rs[g]])
    work = _work(longest)
    for g in range(lo, hi):
        out[g] = g_re[g] - g_rs[g] == 1 and _simple_ring(
            coords, ring_off[g_rs[g]], ring_off[g_rs[g] + 1], work, star
        )


@njit(cache=True, nogil=True)
def _work(n):
    """Work arrays for rings of at most ``n`` vertices (see :func:`_simple_ring`)."""
    levels = _skip_levels(n)
    return (
        np.empty((n, 4)),  # E: the edges (x0, y0, x1, y1)
        np.empty((n, 4)),  # B: their envelopes
        np.empty(n, dtype=np.int64),  # order of the vertices
        np.empty(n + 1, dtype=np.int64),  # buckets of the sort
        np.empty((levels, n + 2), dtype=np.int64),  # skip list: next node per level
        np.empty((levels, n + 2), dtype=np.int64),  # previous node per level
        np.empty(n, dtype=np.int64),  # levels of each node
        np.empty(levels, dtype=np.int64),  # the search path
        np.empty(2 * n + 4, dtype=np.int64),  # the array sweep's order, room on both sides
        np.empty(n, dtype=np.int64),  # each edge's place in it
        np.empty(n, dtype=np.int64),  # the star certificate's failed edges
    )


@njit(cache=True, nogil=True)
def _skip_levels(m):
    """Levels of the skip list for ``m`` edges: ``log4(m) + 1``, capped."""
    levels = 1
    while levels < _SKIP_LEVELS and 4**levels < m:
        levels += 1
    return levels


@njit(cache=True, nogil=True)
def _unfit(v):
    """0 when ``v`` is 0 or of magnitude within ``[2**-200, 2**200]``, else 1 (NaN, ±inf).

    Differences of such numbers are 0 or at least ``2**-252`` and at most ``2**201``, so
    their products neither overflow nor underflow: the exact predicates of the sweep hold.
    """
    a = abs(v)
    return np.int64(not (a <= _FIT_MAX)) | np.int64((a < _FIT_MIN) & (a != 0.0))


@njit(cache=True, nogil=True)
def _ring_fits(coords, v0, v1):
    """Whether every coordinate of ``coords[v0:v1]`` fits (:func:`_unfit`)."""
    unfit = 0
    for v in range(v0, v1):
        unfit += _unfit(coords[v, 0]) + _unfit(coords[v, 1])
    return unfit == 0


@njit(cache=True, nogil=True)
def _simple_ring(coords, v0, v1, work, star):
    """Tell whether the ring ``coords[v0:v1]`` is certainly simple.

    Certainly simple: closed, and either star-shaped around a point (``star``:
    :func:`_star_ring`, linear time) or with coordinates that fit (:func:`_unfit`), at
    least three edges of non-zero length, no spike between consecutive edges and no contact
    at all between other edges (every pair for small rings, else a sweep:
    :func:`_sweep_simple`). ``work``: arrays from :func:`_work` for at least this ring's
    vertices.
    """
    if v1 - v0 < 4:
        return False
    if coords[v1 - 1, 0] != coords[v0, 0] or coords[v1 - 1, 1] != coords[v0, 1]:
        return False  # not closed
    if star and v1 - v0 > _STAR_MIN and _star_ring(coords, v0, v1, work[10]):
        return True
    if not _ring_fits(coords, v0, v1):
        return False
    # the edges of non-zero length, copied (x0, y0, x1, y1), and their envelopes
    E = work[0]
    m = 0
    for v in range(v0, v1 - 1):
        if coords[v, 0] != coords[v + 1, 0] or coords[v, 1] != coords[v + 1, 1]:
            E[m, 0] = coords[v, 0]
            E[m, 1] = coords[v, 1]
            E[m, 2] = coords[v + 1, 0]
            E[m, 3] = coords[v + 1, 1]
            m += 1
    if m < 3:
        return False
    for a in range(m):  # consecutive edges: a spike runs back along the same line
        b = a + 1 if a + 1 < m else 0
        ax, ay, bx, by, cx, cy = E[a, 0], E[a, 1], E[a, 2], E[a, 3], E[b, 2], E[b, 3]
        if _orient_sign(ax, ay, bx, by, cx, cy) == 0:
            if (bx - ax) * (cx - bx) + (by - ay) * (cy - by) <= 0.0 or (cx == ax and cy == ay):
                return False
    if m <= _SMALL_RING:  # every pair of non-adjacent edges, their envelopes first
        B = work[1]
        for a in range(m):
            B[a, 0] = min(E[a, 0], E[a, 2])
            B[a, 1] = min(E[a, 1], E[a, 3])
            B[a, 2] = max(E[a, 0], E[a, 2])
            B[a, 3] = max(E[a, 1], E[a, 3])
        for a in range(m):
            for b in range(a + 2, m):
                if b - a != m - 1 and _boxes_meet(B, a, b) and _edges_touch(E, a, b):
                    return False
        return True
    return _sweep_simple(E, m, work)


@njit(cache=True, nogil=True)
def _star_ring(coords, v0, v1, failed):
    """Tell whether the closed ring ``coords[v0:v1]`` is certainly star-shaped, so simple.

    A point of the ring's kernel (the points that see every edge from the inside) is sought
    from the ring's centroid (its pass also counts the repeated vertices): a pass
    (:func:`_star_pass`) projects the point into the half-plane of each edge it is not
    strictly inside (Kaczmarz's method, over-relaxed so that it lands inside), then the
    point goes round the edges that pass moved it for until it is inside all of them
    (:func:`_star_fix`: a handful of edges; another pass over all of them would undo the
    first moves). A check (:func:`_star_check`, branch-free) then tells whether every edge
    turns the same way around the point and the ring goes round it once: that is the
    proof; if not, another pass and check. The orientation ``s`` is the sign of the float
    area: only a guess, which the check proves (every edge must turn the way ``s`` says).
    A ring whose kernel is not found in ``_STAR_PASSES`` rounds, or for which a pass moves
    the point for more than ``_STAR_GIVE_UP`` of its edges, goes to the other tests: a
    wrong guess costs time, never a wrong answer. ``failed``: room for the edges a pass
    moved the point for.
    """
    ox = coords[v0, 0]
    oy = coords[v0, 1]
    twice = 0.0
    sx = 0.0
    sy = 0.0
    repeated = 0
    x0 = 0.0
    y0 = 0.0
    for v in range(v0 + 1, v1):  # the centroid, around the first vertex (branch-free)
        x = coords[v, 0]
        y = coords[v, 1]
        repeated += np.int64((x == coords[v - 1, 0]) & (y == coords[v - 1, 1]))
        x1 = x - ox
        y1 = y - oy
        c = x0 * y1 - x1 * y0
        twice += c
        sx += (x0 + x1) * c
        sy += (y0 + y1) * c
        x0 = x1
        y0 = y1
    if not (twice != 0.0 and np.isfinite(twice)):
        return 0
    s = 1 if twice > 0.0 else -1
    px = sx / (3.0 * twice) + ox
    py = sy / (3.0 * twice) + oy
    for _ in range(_STAR_PASSES):
        px, py, n_failed = _star_pass(coords, v0, v1, s, px, py, failed)
        if n_failed > _STAR_GIVE_UP * (v1 - v0):
            return 0  # far from star-shaped around here (a comb, a tile of a county): the sweep
        if 0 < n_failed <= len(failed):
            px, py = _star_fix(coords, failed, n_failed, s, px, py, 2 * (v1 - v0))
        if not (np.isfinite(px) and np.isfinite(py)):
            return 0
        bad, quarters = _star_check(coords, v0, v1, s, px, py)
        if bad == repeated:  # only the edges of zero length failed
            return 1 if quarters == 4 else 0
    return 0


@njit(cache=True, nogil=True)
def _star_check(coords, v0, v1, s, px, py):
    """Edges of the ring ``coords[v0:v1]`` that fail around ``p``, and its quarter turns.

    Each edge ``a → b`` must turn the way ``s`` says around ``p``: the orientation of
    ``(p, a, b)`` with the float filter of :func:`_orient_sign` (the bound covers the
    rounded differences too) and ``_STAR_TINY`` more for products that underflow; its
    sign is certain when it passes, for any coordinates (an overflow or a NaN fails). An
    edge of zero length (a repeated vertex) always fails: the caller counts them.

    When only those fail, the angle around ``p`` grows strictly along the ring. If the ring
    goes round ``p`` exactly once, every ray from ``p`` meets the ring once, so no two
    points of the ring coincide: the ring is simple (and bounds a region of non-zero area).
    The turns are counted exactly: the half-planes ``x < px`` and ``y < py`` cut the plane
    into four sectors (signs of float differences: exact), and an edge seen turning from
    ``p`` spans less than half a turn, so it passes 0, 1 or 2 sector boundaries, each of
    which flips one of the two signs; the flips over the ring (``quarters``) are 4 per
    turn.

    Branch-free, ``p`` fixed: the compiler vectorises it (twice as fast as a loop that
    moves ``p``).
    """
    fs = 1.0 if s > 0 else -1.0
    bad = 0
    quarters = 0
    dxa = coords[v0, 0] - px
    dya = coords[v0, 1] - py
    for v in range(v0 + 1, v1):
        dxb = coords[v, 0] - px
        dyb = coords[v, 1] - py
        left = dxa * dyb
        right = dya * dxb
        f = fs * (left - right)
        bad += 0 if f > _ERRBOUND * (abs(left) + abs(right)) + _STAR_TINY else 1
        quarters += np.int64((dxa < 0.0) != (dxb < 0.0)) + np.int64((dya < 0.0) != (dyb < 0.0))
        dxa = dxb
        dya = dyb
    return bad, quarters


@njit(cache=True, nogil=True)
def _star_pass(coords, v0, v1, s, px, py, failed):
    """Move ``p`` into the half-plane of every edge it is not strictly inside, in one pass.

    Each edge (repeated vertices skipped) is one :func:`_star_step`; an edge that moved ``p``
    is noted in ``failed`` while there is room. Returns the new ``p`` and how many
    edges moved it. A guess: the next check proves or not.
    """
    n_failed = 0
    for v in range(v0, v1 - 1):
        if coords[v, 0] == coords[v + 1, 0] and coords[v, 1] == coords[v + 1, 1]:
            continue  # a repeated vertex: no edge to be inside of
        px, py, moved = _star_step(coords, v, s, px, py)
        if moved:
            if n_failed < len(failed):
                failed[n_failed] = v
            n_failed += 1
    return px, py, n_failed


@njit(cache=True, nogil=True)
def _star_step(coords, v, s, px, py):
    """Test ``p`` against edge ``v → v + 1`` and move it when it is not surely inside.

    The filtered orientation test of :func:`_star_check` (without its margin); an edge that
    fails it moves ``p`` (:func:`_star_move`). Returns the new ``p`` and whether it moved.
    """
    ax = coords[v, 0]
    ay = coords[v, 1]
    bx = coords[v + 1, 0]
    by = coords[v + 1, 1]
    left = (ax - px) * (by - py)
    right = (ay - py) * (bx - px)
    f = s * (left - right)
    if f > _ERRBOUND * (abs(left) + abs(right)):
        return px, py, False
    nx, ny = _star_move(ax, ay, bx, by, s, f, px, py)
    return nx, ny, True


@njit(cache=True, nogil=True)
def _star_move(ax, ay, bx, by, s, f, px, py):
    """Move ``p`` across the line of edge ``a → b``, to the side ``s`` says.

    ``f``: the orientation of ``(p, a, b)`` times ``s``. To the other side, half as far as
    ``p`` was outside (``_STAR_RELAX``), plus ``_STAR_MARGIN`` of the edge's length.
    """
    dx = bx - ax
    dy = by - ay
    nn = dx * dx + dy * dy
    if not nn > 0.0:
        return px, py  # underflow (tiny coordinates): no move; the check will not pass
    g = (_STAR_RELAX * max(-f, 0.0) + _STAR_MARGIN * nn) / nn
    return px - s * g * dy, py + s * g * dx


@njit(cache=True, nogil=True)
def _star_fix(coords, failed, n_failed, s, px, py, budget):
    """Move ``p`` into the half-planes of the edges ``failed[:n_failed]``, round after round.

    Until a round moves nothing, at most ``_STAR_FIX_ROUNDS`` rounds and ``budget`` edges
    visited (rings that are not star-shaped fail on many edges: they must not pay more here
    than a pass or two). A guess: the next :func:`_star_check` proves or not.
    """
    visited = 0
    for _ in range(_STAR_FIX_ROUNDS):
        visited += n_failed
        if visited > budget:
            break
        moved = False
        for i in range(n_failed):
            px, py, step = _star_step(coords, failed[i], s, px, py)
            moved |= step
        if not moved:
            break
    return px, py


@njit(cache=True, nogil=True)
def _sweep_simple(E, m, work):
    """Tell whether no two non-adjacent edges of ``E[:m]`` (a closed ring) touch: a sweep.

    Shamos–Hoey in lexicographic order: the vertices are visited by increasing ``(x, y)``,
    which is the plain sweep of the ring turned by an infinitesimal angle (a turn keeps every
    orientation sign and every contact), so every vertex has its own place in the sweep and
    vertical edges and shared ``x`` need nothing special. The edges crossing the sweep line
    are kept in their vertical order, and only edges that become neighbours in that order are
    tested (exactly, :func:`_edges_touch`). The order is kept in an array
    (:func:`_sweep_array`: cheapest while few edges cross the sweep line) until keeping it
    there has moved more than ``_SHIFT_BUDGET`` entries per vertex swept; then the sweep
    starts again with a skip list (:func:`_sweep_skip`: ``O(log m)`` per event, for long
    spiky rings).

    If two non-adjacent edges touch, take the lexicographically smallest such point ``p``:
    just before it the order is right (nothing touched yet), the edges through ``p`` are
    consecutive in it, and a pair of them not adjacent in the ring has been tested when it
    became neighbours — or ``p`` is a vertex whose edges start there on another edge, found
    when its place in the order is sought (the search ends between two edges it compared the
    vertex with, one below, one above; an edge through the vertex would lie between them), or
    a vertex visited twice, found after the sort. Consecutive edges must not run back along
    each other (spikes, checked before).

    Returns True (no contact) or False (a contact, or a doubt: not simple, or not certified).
    """
    order = _order_lex(E, m, work[2], work[3])
    for k in range(m - 1):
        i = order[k]
        j = order[k + 1]
        if E[i, 0] == E[j, 0] and E[i, 1] == E[j, 1]:
            return False  # a vertex visited twice
    swept = _sweep_array(E, m, order, work[8], work[9])
    if swept >= 0:
        return swept == 1
    return _sweep_skip(E, m, order, work)


@njit(cache=True, nogil=True)
def _sweep_array(E, m, order, S, slot):
    """Run the sweep of :func:`_sweep_simple` with the edges' order kept in an array.

    ``S[s0:s1]`` holds the edges crossing the sweep line, bottom to top, with room on both
    sides (an edge enters or leaves by moving the shorter side); ``slot``: each edge's place.
    Returns 1 (no contact), 0 (a contact or a doubt) or −1 once more than ``_SHIFT_BUDGET``
    entries per vertex swept (plus a few) have been moved: many edges cross the sweep line,
    the skip list does better.
    """
    s0 = m + 2
    s1 = s0
    moved = 0
    for k in range(m):
        i = order[k]  # vertex i: end of edge a, start of edge b
        a = i - 1 if i > 0 else m - 1
        b = i
        px, py = E[i, 0], E[i, 1]
        a_in = _lex_less(E[a, 0], E[a, 1], px, py)  # edge a began before: it is in S
        b_in = _lex_less(E[b, 2], E[b, 3], px, py)
        if a_in and b_in:  # both end here: they leave S, their neighbours meet
            lo = min(slot[a], slot[b])
            if abs(slot[a] - slot[b]) != 1:
                return 0  # something between them: a contact
            below = S[lo - 1] if lo > s0 else -1
            above = S[lo + 2] if lo + 2 < s1 else -1
            if lo - s0 < s1 - lo - 2:
                moved += lo - s0
                for z in range(lo + 1, s0 + 1, -1):
                    S[z] = S[z - 2]
                    slot[S[z]] = z
                s0 += 2
            else:
                moved += s1 - lo - 2
                for z in range(lo, s1 - 2):
                    S[z] = S[z + 2]
                    slot[S[z]] = z
                s1 -= 2
            if below >= 0 and above >= 0 and not _apart(E, m, below, above):
                return 0
        elif a_in or b_in:  # one ends, the next goes on: same place in S
            old, new = (a, b) if a_in else (b, a)
            z = slot[old]
            S[z] = new
            slot[new] = z
            if z > s0 and not _apart(E, m, S[z - 1], new):
                return 0
            if z + 1 < s1 and not _apart(E, m, new, S[z + 1]):
                return 0
        else:  # both start here: find their place (a vertex on an edge is a contact)
            lo = s0
            hi = s1
            while lo < hi:
                mid = (lo + hi) // 2
                side = _side(E, S[mid], px, py)
                if side == 0:
                    return 0
                if side > 0:  # the vertex is above edge S[mid]
                    lo = mid + 1
                else:
                    hi = mid
            side = _orient_sign(px, py, E[a, 0], E[a, 1], E[b, 2], E[b, 3])
            if side == 0:
                return 0
            # side > 0: b's far end is left of i→(a's far end), so b lies above a
            low, up = (a, b) if side > 0 else (b, a)
            if lo - s0 < s1 - lo:  # the lower part moves down by two
                moved += lo - s0
                for z in range(s0, lo):
                    S[z - 2] = S[z]
                    slot[S[z - 2]] = z - 2
                s0 -= 2
                lo -= 2
            else:
                moved += s1 - lo
                for z in range(s1 - 1, lo - 1, -1):
                    S[z + 2] = S[z]
                    slot[S[z + 2]] = z + 2
                s1 += 2
            S[lo] = low
            S[lo + 1] = up
            slot[low] = lo
            slot[up] = lo + 1
            if lo > s0 and not _apart(E, m, S[lo - 1], low):
                return 0
            if lo + 2 < s1 and not _apart(E, m, up, S[lo + 2]):
                return 0
        if moved > _SHIFT_BUDGET * (k + 16):
            return -1
    return 1


@njit(cache=True, nogil=True)
def _sweep_skip(E, m, order, work):
    """Run the sweep of :func:`_sweep_simple` with the edges' order kept in a skip list.

    Node ``e`` is edge ``e``, ``m`` and ``m + 1`` are sentinels below and above every edge;
    level ``lv`` is linked by ``nxt[lv]`` / ``prv[lv]``; an edge's height comes from a fixed
    hash of its index (:func:`_skip_height`), so inserting costs ``O(log m)`` exact
    comparisons (:func:`_skip_find`) and removing or replacing an edge ``O(1)``.
    """
    levels = _skip_levels(m)
    head = m  # sentinels: below every edge, above every edge
    tail = m + 1
    nxt = work[4]
    prv = work[5]
    for lv in range(levels):
        nxt[lv, head] = tail
        prv[lv, tail] = head
    height = work[6]
    update = work[7]
    for k in range(m):
        i = order[k]  # vertex i: end of edge a, start of edge b
        a = i - 1 if i > 0 else m - 1
        b = i
        px, py = E[i, 0], E[i, 1]
        a_in = _lex_less(E[a, 0], E[a, 1], px, py)  # edge a began before: it is in the list
        b_in = _lex_less(E[b, 2], E[b, 3], px, py)
        if a_in and b_in:  # both end here: they leave, their neighbours meet
            if nxt[0, a] == b:
                low, up = a, b
            elif nxt[0, b] == a:
                low, up = b, a
            else:
                return False  # something between them: a contact
            below = prv[0, low]
            above = nxt[0, up]
            _skip_unlink(nxt, prv, height[low], low)
            _skip_unlink(nxt, prv, height[up], up)
            if below != head and above != tail and not _apart(E, m, below, above):
                return False
        elif a_in or b_in:  # one ends, the next goes on: it takes its place
            old, new = (a, b) if a_in else (b, a)
            height[new] = height[old]
            for lv in range(height[old]):
                p = prv[lv, old]
                q = nxt[lv, old]
                nxt[lv, p] = new
                prv[lv, q] = new
                nxt[lv, new] = q
                prv[lv, new] = p
            below = prv[0, new]
            above = nxt[0, new]
            if below != head and not _apart(E, m, below, new):
                return False
            if above != tail and not _apart(E, m, new, above):
                return False
        else:  # both start here: find their place (a vertex on an edge is a contact)
            if not _skip_find(E, nxt, levels, head, tail, px, py, update):
                return False
            side = _orient_sign(px, py, E[a, 0], E[a, 1], E[b, 2], E[b, 3])
            if side == 0:
                return False
            # side > 0: b's far end is left of i→(a's far end), so b lies above a
            low, up = (a, b) if side > 0 else (b, a)
            height[low] = _skip_height(low, levels)
            height[up] = _skip_height(up, levels)
            for lv in range(height[low]):
                _skip_link(nxt, prv, lv, update[lv], low)
            for lv in range(height[up]):
                _skip_link(nxt, prv, lv, low if lv < height[low] else update[lv], up)
            below = prv[0, low]
            above = nxt[0, up]
            if below != head and not _apart(E, m, below, low):
                return False
            if above != tail and not _apart(E, m, up, above):
                return False
    return True


@njit(cache=True, nogil=True)
def _skip_find(E, nxt, levels, head, tail, px, py, update):
    """Find where vertex ``p`` goes in the skip list of edges (bottom to top).

    ``update[lv]`` becomes the last node at level ``lv`` below ``p`` (``head`` for none).
    False when an edge compared passes through ``p`` (a contact). Every edge compared is
    compared exactly (:func:`_side`); the search ends at level 0 between two nodes it
    compared ``p`` with (or a sentinel), so an edge through ``p`` is always met.
    """
    x = head
    above = -1  # the last edge found above p: no need to compare it again
    for lv in range(levels - 1, -1, -1):
        y = nxt[lv, x]
        while y != tail and y != above:
            s = _side(E, y, px, py)
            if s == 0:
                return False
            if s < 0:  # p is below edge y
                above = y
                break
            x = y
            y = nxt[lv, x]
        update[lv] = x
    return True


@njit(cache=True, nogil=True)
def _skip_link(nxt, prv, lv, after, e):
    """Link node ``e`` right after node ``after`` at level ``lv``."""
    q = nxt[lv, after]
    nxt[lv, after] = e
    prv[lv, e] = after
    nxt[lv, e] = q
    prv[lv, q] = e


@njit(cache=True, nogil=True)
def _skip_unlink(nxt, prv, h, e):
    """Take node ``e`` (on levels ``0..h-1``) out of the skip list."""
    for lv in range(h):
        p = prv[lv, e]
        q = nxt[lv, e]
        nxt[lv, p] = q
        prv[lv, q] = p


@njit(cache=True, nogil=True)
def _skip_height(e, levels):
    """Levels of node ``e``: one, plus one per pair of zero bits of a hash (p = 1/4), capped.

    A fixed hash (Fibonacci hashing of the index) keeps runs reproducible.
    """
    t = (np.uint64(e + 1) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)
    h = 1
    while h < levels and (t & np.uint64(3)) == np.uint64(0):
        h += 1
        t = t >> np.uint64(2)
    return h


@njit(cache=True, nogil=True)
def _lex_less(ax, ay, bx, by):
    """Whether point ``a`` comes before point ``b`` in ``(x, y)`` order."""
    return ax < bx or (ax == bx and ay < by)


@njit(cache=True, nogil=True)
def _order_lex(E, m, order, start):
    """Vertices ``0..m-1`` (edge starts) ordered by ``(x, y)`` (in ``order[:m]``, returned).

    A bucket sort on ``x`` (one bucket per vertex over the ring's ``x`` range, an insertion
    sort in ``(x, y)`` order in each bucket): linear on spread-out vertices. Buckets are
    monotone in ``x`` (a difference, a product by a positive number and a truncation each
    keep the order), so the result is ordered. A crowded bucket (many vertices sharing an
    ``x``, say) falls back to a merge sort on ``x`` and a sort on ``y`` of each run of equal
    ``x``. ``start``: room for ``m + 1`` bucket bounds.
    """
    x0 = E[0, 0]
    x1 = E[0, 0]
    for e in range(1, m):
        x0 = min(x0, E[e, 0])
        x1 = max(x1, E[e, 0])
    if not x1 > x0:
        return _order_lex_sorted(E, m)
    scale = (m - 1) / (x1 - x0)
    start[: m + 1] = 0
    for e in range(m):
        start[min(int((E[e, 0] - x0) * scale), m - 1) + 1] += 1
    for c in range(m):
        if start[c + 1] > 64:
            return _order_lex_sorted(E, m)  # crowded: no quadratic insertion sort
        start[c + 1] += start[c]
    for e in range(m):
        c = min(int((E[e, 0] - x0) * scale), m - 1)
        order[start[c]] = e
        start[c] += 1
    for z in range(1, m):  # buckets are in order: this only moves vertices inside a bucket
        e = order[z]
        x = E[e, 0]
        y = E[e, 1]
        while z > 0 and _lex_less(x, y, E[order[z - 1], 0], E[order[z - 1], 1]):
            order[z] = order[z - 1]
            z -= 1
        order[z] = e
    return order[:m]


@njit(cache=True, nogil=True)
def _order_lex_sorted(E, m):
    """Vertices ``0..m-1`` ordered by ``(x, y)``: a merge sort on ``x``, then on ``y`` per run."""
    order = np.argsort(E[:m, 0], kind="mergesort")
    k = 0
    while k < m:
        j = k + 1
        while j < m and E[order[j], 0] == E[order[k], 0]:
            j += 1
        if j - k > 1:
            run = order[k:j].copy()
            ys = np.empty(j - k)
            for z in range(j - k):
                ys[z] = E[run[z], 1]
            order[k:j] = run[np.argsort(ys, kind="mergesort")]
        k = j
    return order


@njit(cache=True, nogil=True)
def _side(E, e, px, py):
    """Exact side of ``p`` against edge ``e`` directed in ``(x, y)`` order: +1 above, −1 below."""
    if _lex_less(E[e, 0], E[e, 1], E[e, 2], E[e, 3]):
        return _orient_sign(E[e, 0], E[e, 1], E[e, 2], E[e, 3], px, py)
    return _orient_sign(E[e, 2], E[e, 3], E[e, 0], E[e, 1], px, py)


@njit(cache=True, nogil=True)
def _apart(E, m, a, b):
    """Whether edges ``a`` and ``b`` of a ring of ``m`` edges are adjacent or do not touch.

    No envelope test first: the edges are neighbours across the sweep line, whose envelopes
    meet more often than not (testing them cost more than it saved).
    """
    d = abs(a - b)
    if d == 1 or d == m - 1:
        return True  # they share a vertex, and spikes were excluded
    return not _edges_touch(E, a, b)


@njit(cache=True, nogil=True)
def _boxes_meet(B, a, b):
    """Whether the envelopes ``B[a]`` and ``B[b]`` (x0, y0, x1, y1) meet (closed boxes)."""
    return B[b, 0] <= B[a, 2] and B[b, 2] >= B[a, 0] and B[b, 1] <= B[a, 3] and B[b, 3] >= B[a, 1]


@njit(cache=True, nogil=True)
def _edges_touch(E, i, j):
    """Whether edges ``E[i]`` and ``E[j]`` (x0, y0, x1, y1) share any point (exact)."""
    ax, ay, bx, by = E[i, 0], E[i, 1], E[i, 2], E[i, 3]
    cx, cy, dx, dy = E[j, 0], E[j, 1], E[j, 2], E[j, 3]
    s1 = _orient_sign(cx, cy, dx, dy, ax, ay)
    s2 = _orient_sign(cx, cy, dx, dy, bx, by)
    if s1 != 0 and s1 == s2:
        return False
    s3 = _orient_sign(ax, ay, bx, by, cx, cy)
    s4 = _orient_sign(ax, ay, bx, by, dx, dy)
    if s3 != 0 and s3 == s4:
        return False
    if s1 != 0 and s2 != 0 and s3 != 0 and s4 != 0:
        return True  # a proper crossing
    # a point on the other's line: touching when it lies within the other segment's box
    return (
        (s1 == 0 and _in_box(ax, ay, cx, cy, dx, dy))
        or (s2 == 0 and _in_box(bx, by, cx, cy, dx, dy))
        or (s3 == 0 and _in_box(cx, cy, ax, ay, bx, by))
        or (s4 == 0 and _in_box(dx, dy, ax, ay, bx, by))
    )


@njit(cache=True, nogil=True)
def _orient_sign(ax, ay, bx, by, cx, cy):
    """Exact sign of the orientation (0 on the line): the float filter, then expansions."""
    left = (bx - ax) * (cy - ay)
    right = (by - ay) * (cx - ax)
    d = left - right
    if abs(d) > _ERRBOUND * (abs(left) + abs(right)):
        return 1 if d > 0 else -1
    return _orient_exact(ax, ay, bx, by, cx, cy)[0]


@njit(cache=True, nogil=True)
def _in_box(px, py, ax, ay, bx, by):
    return min(ax, bx) <= px <= max(ax, bx) and min(ay, by) <= py <= max(ay, by)


# The exact predicates, for other numba kernels that must decide as this one does
# (zoning.stats.interiors_apart proves pairs apart with them).
orient_sign = _orient_sign
"""Exact sign of the orientation of ``(a, b, c)``: 1 left turn, -1 right turn, 0 on the line.

A numba function: ``orient_sign(ax, ay, bx, by, cx, cy)``, exact for coordinates that pass
:data:`in_range` (the floating-point filter, then expansion arithmetic).
"""

in_range = _in_range
"""Whether products of coordinates like ``v`` neither overflow nor lose bits to underflow.

A numba function: ``in_range(v)`` is true for 0 and for magnitudes within
``(2**-500, 2**500)``, where :data:`orient_sign` is exact.
"""
