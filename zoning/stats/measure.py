"""Measure: the area of every dissolved piece inside every unit it touches.

A piece whose envelope touches no unit boundary lies wholly inside one unit (or outside all):
most are found on the boundary grid (:mod:`zoning.stats.units`) and placed by the unit of
their cell, the others by the boundary index and one point-in-polygon test; its area (its
group's union) counts whole. Every other (piece, unit) pair whose envelopes meet is measured
as ``area(union(group) ∩ unit)``. Both areas come from the boundary integral of
:mod:`zoning.polyarea`, which never builds the union or the intersection; the rare pairs it
declines (e.g. a ring with a spike) are clipped and unioned by GEOS instead.

Layers cut along unit lines have pieces that lie in one unit and touch its neighbours: the
envelopes of two or three units meet such a piece, and all but one pair measure nothing.
A one-feature piece is therefore first measured inside the unit holding its envelope's
centre; when that area agrees with the piece's own to within rounding, the piece lies in
that unit, and its pairs with the units that do not overlap that one are not measured
(area 0).
"""

from __future__ import annotations

import itertools
import math
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from zoning.ranges import concat_ranges
from zoning.stats.batches import SkipWhenInside, batched_clip_areas
from zoning.stats.dissolve import piece_geometries
from zoning.stats.geos import map_chunks, overlay, union_all
from zoning.stats.measured_rows import LabelIndex, MeasuredRows, label_rows
from zoning.stats.pieces import Pieces
from zoning.stats.units import PreparedUnits

__all__ = [
    "KernelPairs",
    "MeasuredRows",
    "declined_pairs",
    "kernel_pairs",
    "measure_pieces",
    "measure_rows",
]

_REMAINDER_MIN_PAIRS = 64  # crossing pairs needed before the subtraction shortcut is used
_LIKELY_MIN_UNITS = 2  # candidate units a piece needs to be measured in its likely one first


def _piece_areas(pieces: Pieces, idx: np.ndarray, n_jobs: int) -> np.ndarray:
    """Area of the union of pieces ``idx`` without building it.

    Areas the dissolve already knows (:attr:`Pieces.area`) are taken as they are. Other
    pieces of one feature: its area; of several: the boundary integral of
    :mod:`zoning.polyarea`, with GEOS unions for the groups it declines.
    """
    out = pieces.known_area()[idx].copy()
    todo = np.isnan(out)
    sizes = pieces.sizes()[idx]
    first = pieces.members[pieces.indptr[idx]]
    one = todo & (sizes == 1)
    out[one] = map_chunks(shapely.area, pieces.feats[first[one]], n_jobs)
    many = np.flatnonzero(todo & (sizes > 1))
    if len(many):
        out[many] = _kernel_areas(pieces, idx[many], None, np.full(len(many), -1), n_jobs)
        bad = many[np.isnan(out[many])]
        if len(bad):
            out[bad] = shapely.area(piece_geometries(pieces, idx[bad], n_jobs))
    return out


def _kernel_areas(
    pieces: Pieces,
    idx: np.ndarray,
    units: PreparedUnits | None,
    unit_of: np.ndarray,
    n_jobs: int,
    skip: SkipWhenInside | None = None,
) -> np.ndarray:
    """Measure ``union(piece idx[i]) ∩ unit unit_of[i]`` by the area kernel.

    No clip where ``unit_of`` is -1; :func:`zoning.stats.batches.batched_clip_areas` measures
    (the pieces' features and the units packed batch by batch), NaN where it declines, 0 for
    the tasks ``skip`` leaves out.
    """
    sizes = pieces.sizes()[idx]
    members = pieces.members[concat_ranges(pieces.indptr[idx], sizes)]
    geoms = pieces.feats
    clip = np.asarray(unit_of, dtype=np.int64).copy()
    if units is not None:
        geoms = np.concatenate([geoms, units.geoms])  # a unit after every feature, as before
        clip[clip >= 0] += len(pieces.feats)
    indptr = np.r_[0, np.cumsum(sizes)]
    area, noise = batched_clip_areas(geoms, indptr, members, clip, n_jobs=n_jobs, skip=skip)
    area[np.abs(area) <= noise] = 0.0  # a piece touching a unit from outside: none inside
    return area


def _near_areas(
    pieces: Pieces,
    cand: np.ndarray,
    u_idx: np.ndarray,
    units: PreparedUnits,
    b: np.ndarray,
    n_jobs: int,
) -> np.ndarray:
    """Measure ``union(piece cand[i]) ∩ unit u_idx[i]`` for every candidate pair (NaN: declined).

    A one-feature piece with several candidate units whose envelope's centre lies in one of
    them (:func:`_likely_units`) is measured in that unit first, its other pairs after
    (:class:`zoning.stats.batches.SkipWhenInside`): when that area and the piece's own agree
    to within their rounding bounds, the pairs with units that do not overlap the likely one
    are skipped, and measure 0. Such a pair holds at most the difference plus both bounds (at
    most twice the bounds): a sliver that measuring it would have counted, or 0 within its
    own rounding bound.
    """
    n = len(cand)
    likely = _likely_units(pieces, cand, u_idx, units, b)
    # tasks by piece, the likely unit's first. Pieces go by their likely unit (else their
    # first candidate): a batch then packs a few units, not most of them
    home = np.full(len(pieces), len(units.geoms), dtype=np.int64)
    np.minimum.at(home, cand, u_idx)
    home[cand[likely]] = u_idx[likely]
    order = np.lexsort((~likely, cand, home[cand]))
    piece, unit = cand[order], u_idx[order]
    first = likely[order]
    part_of = np.full(len(pieces), -1, dtype=np.int64)
    part_of[piece[first]] = np.flatnonzero(first)
    likely_unit = np.full(len(pieces), -1, dtype=np.int64)
    likely_unit[piece[first]] = unit[first]
    later = np.flatnonzero((part_of[piece] >= 0) & ~first)
    # never skip a unit overlapping the likely one: the piece may lie in both
    later = later[~units.overlap(likely_unit[piece[later]], unit[later])]
    part = np.full(n, -1, dtype=np.int64)
    part[later] = part_of[piece[later]]
    area = _kernel_areas(pieces, piece, units, unit, n_jobs, SkipWhenInside(part))
    out = np.empty(n, dtype=np.float64)
    out[order] = area
    return out


def _likely_units(
    pieces: Pieces, cand: np.ndarray, u_idx: np.ndarray, units: PreparedUnits, b: np.ndarray
) -> np.ndarray:
    """Mark, for one-feature pieces with several candidates, the unit holding their centre.

    The centre of the piece's envelope, tested against the candidate units whose envelopes
    hold it (on :attr:`PreparedUnits.probe_geoms`: another thread tests points on ``geoms``
    meanwhile). One pair at most per piece. A guess only: a wrong one costs time (the piece is
    then measured against every candidate unit), not accuracy.
    """
    n = len(cand)
    likely = np.zeros(n, dtype=bool)
    counts = np.bincount(cand, minlength=len(pieces))
    try_ = np.flatnonzero((pieces.sizes()[cand] == 1) & (counts[cand] >= _LIKELY_MIN_UNITS))
    if len(try_) == 0:
        return likely
    p, u = cand[try_], u_idx[try_]
    x = 0.5 * (b[p, 0] + b[p, 2])
    y = 0.5 * (b[p, 1] + b[p, 3])
    env = units.envelopes()[u]
    box = (x >= env[:, 0]) & (x <= env[:, 2]) & (y >= env[:, 1]) & (y <= env[:, 3])
    try_, u, x, y = try_[box], u[box], x[box], y[box]
    by_unit = np.argsort(u, kind="stable")
    brk = np.flatnonzero(np.r_[True, u[by_unit][1:] != u[by_unit][:-1], True])
    for lo, hi in itertools.pairwise(brk.tolist()):
        sel = by_unit[lo:hi]
        if len(sel):
            inside = shapely.contains_xy(units.probe_geoms[u[sel[0]]], x[sel], y[sel])
            likely[try_[sel[inside]]] = True
    # one per piece (units that overlap may both hold the centre): the first pair
    hit = np.flatnonzero(likely)
    likely[:] = False
    likely[hit[np.unique(cand[hit], return_index=True)[1]]] = True
    return likely


def measure_pieces(pieces: Pieces, units: PreparedUnits, *, n_jobs: int = 1) -> pd.DataFrame:
    """Area (m²) of every piece inside every unit it touches, for every label of the piece.

    Returns
    -------
    DataFrame
        Columns ``unit`` (position in ``units``), ``kind``, ``label``, ``group``, ``area_m2``;
        one row per (piece label, unit) pair with a positive area.
    """
    return measure_rows(pieces, units, n_jobs=n_jobs).frame()


def measure_rows(pieces: Pieces, units: PreparedUnits, *, n_jobs: int = 1) -> MeasuredRows:
    """:func:`measure_pieces` as plain arrays (:class:`MeasuredRows`), without a DataFrame."""
    if len(pieces) == 0 or len(units.ids) == 0:
        return MeasuredRows.empty()
    found = kernel_pairs(pieces, units, n_jobs=n_jobs)
    piece, unit, area = found.piece, found.unit, found.area
    if len(found.declined):
        pc, uc, ac = declined_pairs(pieces, found.declined, units, n_jobs=n_jobs)
        piece, unit, area = np.r_[piece, pc], np.r_[unit, uc], np.r_[area, ac]
    return label_rows(pieces, found.labels, piece, unit, area)


@dataclass(frozen=True)
class KernelPairs:
    """The (piece, unit) pairs :func:`kernel_pairs` measured, and the pieces left to GEOS.

    Attributes
    ----------
    piece, unit, area : ndarray
        Each measured pair: piece, unit (positions) and area (m², zeros included).
    declined : ndarray of int64
        The pieces (increasing) with a pair the kernel declined: none of their pairs is in
        ``piece``; :func:`declined_pairs` measures them.
    labels : LabelIndex
        The pieces' label table, for :func:`label_rows`.
    """

    piece: np.ndarray
    unit: np.ndarray
    area: np.ndarray
    declined: np.ndarray
    labels: LabelIndex


def kernel_pairs(pieces: Pieces, units: PreparedUnits, *, n_jobs: int = 1) -> KernelPairs:
    """Place the pieces clear of unit boundaries and measure the others by the kernel.

    Every piece is measured on its own (its pairs, its areas), so measuring some pieces and
    then others gives the pairs of measuring them all at once; only the pieces the kernel
    declines are left (:func:`declined_pairs` measures them, all at once: whether it
    subtracts a piece's other parts from its whole depends on how many pieces it measures).
    """
    n = len(pieces)
    i64 = np.array([], dtype=np.int64)
    if n == 0 or len(units.ids) == 0:
        return KernelPairs(i64, i64, np.array([], dtype=float), i64, LabelIndex.of(pieces))
    b = pieces.bounds()
    # a piece whose envelope touches no unit boundary lies inside one unit (or outside all).
    # Most are found by the boundary grid, and placed by the unit of the centre of the
    # (boundary-free) cell holding their envelope's corner; the envelopes of the others are
    # tested against the boundary chunks, and those clear of them placed by their corner.
    free = units.grid.free(b)
    with ThreadPoolExecutor(1) as background:
        # the pieces near a boundary (chunk test, unit tree, kernel on the workers) on a
        # thread of their own, while this thread places and measures the pieces clear of
        # every boundary
        clear_job: Future[np.ndarray] = Future()
        near_job = background.submit(_measure_near, pieces, units, b, free, clear_job, n_jobs)
        if n_jobs <= 1:
            near_job.result()  # one thread: one stage after the other
        far_piece, far_unit, far_area = _measure_far(pieces, units, b, free, clear_job, n_jobs)
        labels = LabelIndex.of(pieces)  # while the near pieces are measured
        near_idx, cand, u_idx, area = near_job.result()
    if len(near_idx) == 0:
        return KernelPairs(far_piece, far_unit, far_area, i64, labels)
    declined = np.zeros(n, dtype=bool)
    declined[cand[np.isnan(area)]] = True
    ok = ~declined[cand]
    return KernelPairs(
        piece=np.r_[far_piece, cand[ok]],
        unit=np.r_[far_unit, u_idx[ok]],
        area=np.r_[far_area, area[ok]],
        declined=np.flatnonzero(declined),
        labels=labels,
    )


def declined_pairs(
    pieces: Pieces, declined: np.ndarray, units: PreparedUnits, *, n_jobs: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Measure by GEOS the pieces ``declined`` (increasing): ``(piece, unit, area)`` per pair.

    Pieces with a pair the kernel declined (touching or collinear edges): one-feature pieces
    by :func:`_measure_single`, groups by :func:`_measure_multi`.
    """
    sizes = pieces.sizes()[declined]
    res_piece, res_unit, res_area = [], [], []
    single = declined[sizes == 1]
    if len(single):
        pc, uc, ac = _measure_single(pieces, single, units, n_jobs)
        res_piece.append(pc)
        res_unit.append(uc)
        res_area.append(ac)
    multi = declined[sizes > 1]
    if len(multi):
        pc, uc, ac = _measure_multi(pieces, multi, units, n_jobs)
        res_piece.append(pc)
        res_unit.append(uc)
        res_area.append(ac)
    if not res_piece:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64), np.array([])
    return np.concatenate(res_piece), np.concatenate(res_unit), np.concatenate(res_area)


def _envelope_queries(pieces: Pieces, idx: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Geometries whose envelopes are those of pieces ``idx`` (``b``: every piece's envelope).

    A piece of one feature is its feature (an R-tree query reads only its envelope), others
    a box of their envelope: the same hits, without building a box per piece.
    """
    sizes = pieces.sizes()[idx]
    out = pieces.feats[pieces.members[pieces.indptr[idx]]]
    many = sizes > 1
    if many.any():
        e = b[idx[many]]
        out[many] = shapely.box(e[:, 0], e[:, 1], e[:, 2], e[:, 3])
    return out


def _measure_near(
    pieces: Pieces,
    units: PreparedUnits,
    b: np.ndarray,
    free: np.ndarray,
    clear_job: Future[np.ndarray],
    n_jobs: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Measure the pieces near a unit boundary: ``(near pieces, piece, unit, area)`` per pair.

    Pieces outside the free cells whose envelopes meet no boundary chunk are clear after all:
    they go to ``clear_job`` as soon as they are known. Every (piece, unit) pair of the others
    whose envelopes meet is measured by the kernel (NaN where it declines), but for the pairs
    of a piece shown to lie in another unit (:func:`_near_areas`).
    """
    try:
        near = ~free
        check = np.flatnonzero(near)
        clear = check[:0]
        if len(check) and len(units.chunks):
            clear = check[~units.chunks.hits(b[check])]
            near[clear] = False
    except BaseException as exc:
        clear_job.set_exception(exc)  # the caller waits for the clear pieces: tell it
        raise
    clear_job.set_result(clear)
    near_idx = np.flatnonzero(near)
    p_pos, u_idx = units.tree.query(_envelope_queries(pieces, near_idx, b))
    cand = near_idx[p_pos]
    return near_idx, cand, u_idx, _near_areas(pieces, cand, u_idx, units, b, n_jobs)


def _measure_far(
    pieces: Pieces,
    units: PreparedUnits,
    b: np.ndarray,
    free: np.ndarray,
    clear_job: Future[np.ndarray],
    n_jobs: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Place and measure the pieces clear of every unit boundary: ``(piece, unit, area)``.

    ``free`` pieces lie in boundary-free cells of the grid and go to the unit of their cell's
    centre; the pieces of ``clear_job`` (:func:`_measure_near` finds them) met no boundary
    chunk and go to the unit of their envelope's corner. Each counts its whole area.
    """
    cell, cx, cy = units.grid.centres(b[free, 0], b[free, 1])
    c_idx, c_unit = _units_containing(units, cx, cy)
    unit_of_cell = np.full(len(cx), -1, dtype=np.int64)
    unit_of_cell[c_idx] = c_unit
    far = np.flatnonzero(free)
    placed = unit_of_cell[cell] >= 0
    clear = clear_job.result()
    p_idx, u_idx = _units_containing(units, b[clear, 0], b[clear, 1])
    piece = np.concatenate([far[placed], clear[p_idx]])
    unit = np.concatenate([unit_of_cell[cell][placed], u_idx])
    return piece, unit, _piece_areas(pieces, piece, n_jobs)


def _units_containing(
    units: PreparedUnits, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the pairs (point, unit) with the point inside the unit.

    Envelope candidates (the points in a unit's closed envelope, found from the points
    sorted by x: no point geometries, no tree), then one vectorised point-in-polygon call per
    unit on its prepared geometry. Pairs come ordered by unit, then point.
    """
    n_units = len(units.geoms)
    if len(x) == 0 or n_units == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    env = units.envelopes()
    by_x = np.argsort(x, kind="stable")
    xs, ys = x[by_x], y[by_x]
    lo = np.searchsorted(xs, env[:, 0], side="left")
    hi = np.searchsorted(xs, env[:, 2], side="right")
    res_p, res_u = [], []
    for u in np.flatnonzero(hi > lo):
        # the slab of x is a slice; keep the points within the envelope's y, then sort
        # those few (not the whole slab) back into point order
        cy = ys[lo[u] : hi[u]]
        cand = np.sort(by_x[lo[u] : hi[u]][(cy >= env[u, 1]) & (cy <= env[u, 3])])
        if len(cand):
            cand = cand[shapely.contains_xy(units.geoms[u], x[cand], y[cand])]
            res_p.append(cand)
            res_u.append(np.full(len(cand), u, dtype=np.int64))
    if not res_p:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    return np.concatenate(res_p).astype(np.int64), np.concatenate(res_u)


def _measure_single(
    pieces: Pieces, cand: np.ndarray, units: PreparedUnits, n_jobs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Measure one-feature pieces near unit boundaries: whole when covered, else clipped."""
    cgeoms = pieces.feats[pieces.members[pieces.indptr[cand]]]
    ctree = shapely.STRtree(cgeoms)
    # unit contains_properly or covers piece (units prepared once): whole, never clipped;
    # such a piece has no area in any other unit (units do not overlap)
    u_in, c_in = ctree.query(units.geoms, predicate="contains_properly")
    inside = np.zeros(len(cand), dtype=bool)
    inside[c_in] = True
    rest = np.flatnonzero(~inside)
    if len(rest):
        rtree = shapely.STRtree(cgeoms[rest])
        u_cov, r_cov = rtree.query(units.geoms, predicate="covers")
        u_in = np.r_[u_in, u_cov]
        c_in = np.r_[c_in, rest[r_cov]]
        inside[rest[r_cov]] = True
    res_piece, res_unit = [cand[c_in]], [u_in]
    res_area = [map_chunks(shapely.area, cgeoms[c_in], n_jobs)]
    c_all, u_all = units.tree.query(cgeoms)  # envelope candidates
    keep = ~inside[c_all]
    c_all, u_all = c_all[keep], u_all[keep]
    # drop pairs that do not meet at all (prepared units; one thread: not thread-safe)
    meet = shapely.intersects(units.geoms[u_all], cgeoms[c_all])
    c_all, u_all = c_all[meet], u_all[meet]
    if len(c_all):
        last = _remainder_pairs(c_all, u_all, cgeoms, units)
        pairs = np.stack([c_all[~last], u_all[~last]], axis=1)
        area = np.empty(len(c_all), dtype=float)
        area[~last] = map_chunks(
            lambda p: shapely.area(
                overlay(shapely.intersection, cgeoms[p[:, 0]], units.geoms[p[:, 1]])
            ),
            pairs,
            n_jobs,
        )
        if last.any():
            # a piece inside the units' union splits among its units: the last unit (by id)
            # gets the piece's area minus the others' (one intersection saved per piece)
            others: dict[int, list[float]] = {}
            for c, a in zip(c_all[~last], area[~last], strict=True):
                others.setdefault(int(c), []).append(float(a))
            whole = shapely.area(cgeoms[c_all[last]])
            remainder = [
                math.fsum([w, *(-x for x in others[int(c)])])
                for c, w in zip(c_all[last], whole, strict=True)
            ]
            area[last] = np.maximum(remainder, 0.0)
        res_piece.append(cand[c_all])
        res_unit.append(u_all)
        res_area.append(area)
    return np.concatenate(res_piece), np.concatenate(res_unit), np.concatenate(res_area)


def _remainder_pairs(
    c_all: np.ndarray, u_all: np.ndarray, cgeoms: np.ndarray, units: PreparedUnits
) -> np.ndarray:
    """Mark the pair of the last unit of each piece crossing several units inside their union.

    The last unit is the one with the largest id: the area of that pair is the piece's area
    minus the other parts.
    """
    last = np.zeros(len(c_all), dtype=bool)
    counts = np.bincount(c_all, minlength=len(cgeoms))
    multi = counts[c_all] > 1
    if multi.sum() < _REMAINDER_MIN_PAIRS:  # not worth building the units' union
        return last
    # order pairs by piece, then unit id; the last pair of each piece is the candidate
    order = np.lexsort((units.ids[u_all], c_all))
    c_sorted = c_all[order]
    is_last = np.r_[c_sorted[1:] != c_sorted[:-1], True]
    cand_pos = order[is_last & multi[order]]
    pieces = np.unique(c_all[cand_pos])
    covered = shapely.covers(units.region(), cgeoms[pieces])  # prepared, one thread
    ok = np.zeros(len(cgeoms), dtype=bool)
    ok[pieces[covered]] = True
    last[cand_pos[ok[c_all[cand_pos]]]] = True
    return last


def _measure_multi(
    pieces: Pieces, cand: np.ndarray, units: PreparedUnits, n_jobs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Measure groups of overlapping features near unit boundaries: clip each member, then union.

    A large connected group (e.g. a coverage of control units with sliver overlaps) is never
    unioned as a whole: each member is clipped by the units it meets and the clipped parts are
    unioned per unit, which gives the same area as clipping the union.
    """
    sizes = pieces.sizes()[cand]
    piece_of = np.repeat(cand, sizes)
    pos = concat_ranges(pieces.indptr[cand], sizes)
    mgeoms = pieces.feats[pieces.members[pos]]
    m_idx, u_idx = units.tree.query(mgeoms)
    # one thread: prepared geometries build their index lazily and are not thread-safe
    covered = shapely.covers(units.geoms[u_idx], mgeoms[m_idx])
    parts = mgeoms[m_idx].copy()
    clip = np.flatnonzero(~covered)
    if len(clip):
        pairs = np.stack([m_idx[clip], u_idx[clip]], axis=1)
        parts[clip] = map_chunks(
            lambda p: overlay(shapely.intersection, mgeoms[p[:, 0]], units.geoms[p[:, 1]]),
            pairs,
            n_jobs,
        )
    part_area = shapely.area(parts)
    ok = part_area > 0
    m_idx, u_idx, parts, part_area = m_idx[ok], u_idx[ok], parts[ok], part_area[ok]
    p_of = piece_of[m_idx]
    # group parts by (piece, unit), members in canonical order
    order = np.lexsort((m_idx, u_idx, p_of))
    p_of, u_sorted, parts, part_area = p_of[order], u_idx[order], parts[order], part_area[order]
    if len(order) == 0:
        return (np.array([], dtype=np.int64),) * 2 + (np.array([], dtype=float),)
    brk = np.flatnonzero(np.r_[True, (p_of[1:] != p_of[:-1]) | (u_sorted[1:] != u_sorted[:-1])])
    ends = np.r_[brk[1:], len(order)]
    area = np.empty(len(brk), dtype=float)
    lone = (ends - brk) == 1
    area[lone] = part_area[brk[lone]]
    groups = [parts[s:e] for s, e in zip(brk[~lone], ends[~lone], strict=True)]
    if groups:

        def _u(g: np.ndarray) -> float:
            return float(shapely.area(union_all(g)))

        if n_jobs > 1 and len(groups) > 1:
            with ThreadPoolExecutor(n_jobs) as pool:
                area[~lone] = list(pool.map(_u, groups))
        else:
            area[~lone] = [_u(g) for g in groups]
    return p_of[brk], u_sorted[brk], area
