"""Line sites against zones in numpy, and rectangle clipping (projected metres).

:func:`line_zone_metrics` measures a route's length inside its zone, its boundary crossings
and its inside intervals without a GEOS overlay: every segment is split where it crosses the
zone cut to the segment (:func:`segment_zones`). GEOS predicates of routes are answered
segment by segment against the same cuts (:func:`segments_in_zones`), and
:func:`segment_box_gaps` bounds a route's distance to a zone from its segments.
:func:`clip_rects` cuts many geometries to their own rectangles in one call. Used by
:mod:`zoning.screening.metrics`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "CLIP_MIN_VERTICES",
    "clip_rects",
    "line_segments",
    "line_zone_metrics",
    "segment_box_gaps",
    "segment_zones",
    "segments_in_zones",
]

#: line segments measured at once in :func:`line_zone_metrics` (bounds its edge arrays)
_SEG_CHUNK = 256
#: zones with fewer vertices are not cut (cutting would cost more than it saves)
CLIP_MIN_VERTICES = 48


def clip_rects(
    geoms: np.ndarray, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray
) -> np.ndarray:
    """Clip each geometry to its own rectangle (``clip_by_rect``) in one vectorised call.

    ``shapely.clip_by_rect`` accepts scalar bounds only; the ufunc behind it broadcasts, so it
    is called directly (falling back to a loop if a future shapely changes that).

    Parameters
    ----------
    geoms : numpy.ndarray
        Shapely geometries.
    x0, y0, x1, y1 : numpy.ndarray
        The rectangle of each geometry.

    Returns
    -------
    numpy.ndarray
        The clipped geometries.
    """
    import shapely

    try:
        from shapely import lib

        return lib.clip_by_rect(
            geoms,
            np.asarray(x0, dtype=float),
            np.asarray(y0, dtype=float),
            np.asarray(x1, dtype=float),
            np.asarray(y1, dtype=float),
        )
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - shapely changed
        pass
    except shapely.errors.GEOSException:
        # GEOS's rectangle clipping fails on some degenerate inputs ("LinearRing … 3 points",
        # seen on human-activity patches against control units): clip one by one, and take
        # the exact intersection with the rectangle for those it cannot clip
        pass
    return np.array(
        [_clip_one(g, *r) for g, r in zip(geoms, np.c_[x0, y0, x1, y1], strict=True)],
        dtype=object,
    )


def _clip_one(geom: Any, x0: float, y0: float, x1: float, y1: float) -> Any:
    """``clip_by_rect`` of one geometry; the intersection with the rectangle where it fails."""
    import shapely

    try:
        return shapely.clip_by_rect(geom, x0, y0, x1, y1)
    except shapely.errors.GEOSException:
        return shapely.intersection(geom, shapely.box(x0, y0, x1, y1))


def line_zone_metrics(
    lines: np.ndarray, zones: np.ndarray, cuts: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Measure length inside, boundary crossings and inside intervals of line/zone pairs.

    Each line segment is split where it crosses the zone's rings (all segment × edge
    intersections at once, against the zone cut to the segment's envelope), and the pieces
    between splits are classified by their midpoints (``intersects_xy``: a piece running along
    the boundary counts as inside, as in a GEOS intersection). This replaces one overlay per
    pair, whose fixed cost dominates for short lines against detailed zones. Lengths are path
    lengths: a route that doubles back over itself counts both passes (as ``length`` does).

    Parameters
    ----------
    lines : numpy.ndarray
        Line sites (projected metres).
    zones : numpy.ndarray
        The zone of each line.
    cuts : numpy.ndarray, optional
        Each segment's zone already cut to the segment (:func:`segment_zones`), segments in
        line order; cut here when not given.

    Returns
    -------
    length : float array
        Length of each line inside its zone (m).
    crossings : int array
        Changes between outside and inside along each line (entries plus exits).
    intervals : object array
        Per pair, an ``(k, 2)`` array of inside intervals as distances along the line.
    """
    import shapely

    n = len(lines)
    parts, part_owner = shapely.get_parts(lines, return_index=True)
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    same = cidx[1:] == cidx[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    seg_part = cidx[:-1][same]
    seg_pair = part_owner[seg_part]
    seg_len = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
    seg_start = _starts_along(seg_len, seg_pair)
    # the pieces of every segment between its crossings with the zone's rings, and whether
    # each lies inside; segments are independent, taken a run at a time (bounded memory)
    nseg = len(a)
    chunks = []
    for k in range(0, nseg, _SEG_CHUNK):
        ak, bk = a[k : k + _SEG_CHUNK], b[k : k + _SEG_CHUNK]
        zk = zones[seg_pair[k : k + _SEG_CHUNK]]
        ck = segment_zones(ak, bk, zk) if cuts is None else cuts[k : k + _SEG_CHUNK]
        chunks.append(_segment_pieces(ak, bk, ck, k))
    if chunks:
        t0, t1, sk, inside = (np.concatenate(x) for x in zip(*chunks, strict=True))
    else:
        t0, t1, sk, inside = np.empty(0), np.empty(0), np.empty(0, np.int64), np.empty(0, bool)
    piece_len = (t1 - t0) * seg_len[sk]
    pair = seg_pair[sk]
    length = np.bincount(pair[inside], weights=piece_len[inside], minlength=n)
    # crossings: changes of state along each part of each line
    part = seg_part[sk]
    change = (inside[1:] != inside[:-1]) & (part[1:] == part[:-1])
    crossings = np.bincount(pair[1:][change], minlength=n).astype(np.int64)
    start = seg_start[sk] + t0 * seg_len[sk]
    end = seg_start[sk] + t1 * seg_len[sk]
    intervals = np.empty(n, dtype=object)
    sel = np.flatnonzero(inside)
    if len(sel):  # pieces are in pair order: one (k, 2) block of rows per pair
        cuts = np.flatnonzero(np.diff(pair[sel])) + 1
        owners = pair[sel[np.r_[0, cuts]]].tolist()
        rows = np.column_stack([start[sel], end[sel]])
        ends = np.r_[cuts, len(sel)].tolist()
        for k, a, b in zip(owners, [0, *ends[:-1]], ends, strict=True):
            intervals[k] = rows[a:b]
    for k in range(n):
        if intervals[k] is None:
            intervals[k] = np.empty((0, 2))
    return length, crossings, intervals


def _starts_along(seg_len: np.ndarray, seg_pair: np.ndarray) -> np.ndarray:
    """Distance along its line (parts in order) at the start of each segment.

    Summed within each pair alone, in segment order, as ``cumsum`` of that line would: a
    running sum over the whole batch minus the pair's offset rounds differently, so a site's
    intervals (and the totals of its overlapping features) would depend on the other sites in
    the batch and on how pairs were bucketed over threads.

    Parameters
    ----------
    seg_len : numpy.ndarray
        Length of every segment, the segments of each pair contiguous and in order.
    seg_pair : numpy.ndarray
        Pair of every segment (non-decreasing).

    Returns
    -------
    numpy.ndarray
        Start of every segment, 0 at each pair's first.
    """
    n = len(seg_len)
    start = np.zeros(n)
    if n == 0:
        return start
    first = np.r_[True, seg_pair[1:] != seg_pair[:-1]]
    head = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    rank = np.arange(n) - head  # position of each segment within its pair
    heads = np.flatnonzero(first)
    if len(heads) <= rank.max():  # few long lines: one cumsum each
        for a, b in zip(heads.tolist(), [*heads[1:].tolist(), n], strict=True):
            start[a + 1 : b] = np.cumsum(seg_len[a : b - 1])
        return start
    # many short lines: one step per rank, over every pair at once
    order = np.argsort(rank, kind="stable")
    cuts = np.searchsorted(rank[order], np.arange(1, int(rank.max()) + 2))
    for j in range(len(cuts) - 1):
        i = order[cuts[j] : cuts[j + 1]]
        start[i] = start[i - 1] + seg_len[i - 1]
    return start


def segment_zones(a: np.ndarray, b: np.ndarray, zseg: np.ndarray) -> np.ndarray:
    """Each segment's zone cut to the segment's envelope grown by 1 m (small zones whole).

    The margin keeps the cut edges off the segment: near the segment the cut zone is the zone.
    A zone whose envelope lies strictly apart from the grown envelope cuts to what GEOS's
    ``clip_by_rect`` returns for it, an empty collection, without the call (its cost is linear
    in the zone's vertices; about half the segments of a route lie apart from a zone it meets).
    """
    import shapely

    lo, hi = np.minimum(a, b) - 1.0, np.maximum(a, b) + 1.0
    big = np.flatnonzero(shapely.get_num_coordinates(zseg) >= CLIP_MIN_VERTICES)
    zc = zseg.copy()
    if not len(big):
        return zc
    zb = shapely.bounds(zseg[big])  # NaN for an empty zone: never apart, clipped as before
    lo_b, hi_b = lo[big], hi[big]
    apart = (zb[:, 0] > hi_b[:, 0]) | (zb[:, 2] < lo_b[:, 0])
    apart |= (zb[:, 1] > hi_b[:, 1]) | (zb[:, 3] < lo_b[:, 1])
    cut = big[~apart]
    zc[cut] = clip_rects(zseg[cut], lo[cut, 0], lo[cut, 1], hi[cut, 0], hi[cut, 1])
    if apart.any():
        zc[big[apart]] = shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")
    return zc


def line_segments(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every segment of every line, in line order: start points, end points, owning line."""
    import shapely

    parts, part_owner = shapely.get_parts(lines, return_index=True)
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    same = cidx[1:] == cidx[:-1]
    return coords[:-1][same], coords[1:][same], part_owner[cidx[:-1][same]]


def segments_in_zones(
    a: np.ndarray, b: np.ndarray, seg_line: np.ndarray, cut: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GEOS predicates of ``n`` lines against their zones, segment by segment.

    Each segment ``a``–``b`` of line ``seg_line`` is tested against its zone cut to the
    segment (:func:`segment_zones`), which is the zone near the segment: a line meets its
    zone where a segment does, lies in its interior (``contains_properly``) or in the zone
    (``covers``) where every segment does. A line with a segment that misses the zone is
    neither, so only lines whose segments all meet it are tested further.

    Returns
    -------
    proper, covered, meets : numpy.ndarray
        Per line: wholly in the zone's interior, wholly in the zone, meeting the zone.
    """
    import shapely

    segs: np.ndarray = np.asarray(shapely.linestrings(np.stack([a, b], axis=1)), dtype=object)
    hit: np.ndarray = shapely.intersects(segs, cut)
    meets = np.bincount(seg_line[hit], minlength=n) > 0
    whole = (np.bincount(seg_line[~hit], minlength=n) == 0)[seg_line]
    inner: np.ndarray = np.zeros(len(segs), dtype=bool)
    inner[whole] = shapely.contains_properly(cut[whole], segs[whole])
    proper = meets & (np.bincount(seg_line[~inner], minlength=n) == 0)
    edge = whole & ~proper[seg_line]  # lines that touch the boundary from within, maybe
    on = inner.copy()
    on[edge] = shapely.covers(cut[edge], segs[edge])
    covered = meets & (np.bincount(seg_line[~on], minlength=n) == 0)
    return proper, covered, meets


def _segment_pieces(
    a: np.ndarray, b: np.ndarray, zc: np.ndarray, offset: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split segments ``a``–``b`` where they cross the rings of their zones.

    ``zc`` is each segment's zone cut to it (:func:`segment_zones`). Returns, per piece in
    segment order: its start and end parameters along the segment, the segment (``offset`` +
    position) and whether the piece lies inside the zone (its midpoint tested with
    ``intersects_xy``: a piece along the boundary counts as inside).
    """
    import shapely

    # every edge of every (clipped) zone ring, tagged with its segment
    rings, ring_seg = shapely.get_parts(shapely.boundary(zc), return_index=True)
    rc, ridx = shapely.get_coordinates(rings, return_index=True)
    rsame = ridx[1:] == ridx[:-1]
    q0, q1 = rc[:-1][rsame], rc[1:][rsame]
    eseg = ring_seg[ridx[:-1][rsame]]
    pa, r = a[eseg], (b - a)[eseg]
    sv = q1 - q0
    denom = r[:, 0] * sv[:, 1] - r[:, 1] * sv[:, 0]
    qa = q0 - pa
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = (qa[:, 0] * sv[:, 1] - qa[:, 1] * sv[:, 0]) / denom
        u = (qa[:, 0] * r[:, 1] - qa[:, 1] * r[:, 0]) / denom
    eps = 1e-12
    ok = (denom != 0) & (t > eps) & (t < 1 - eps) & (u >= -eps) & (u <= 1 + eps)
    # split parameters per segment: 0, crossings, 1
    nseg = len(a)
    t_all = np.concatenate([np.zeros(nseg), t[ok], np.ones(nseg)])
    s_all = np.concatenate([np.arange(nseg), eseg[ok], np.arange(nseg)])
    o = np.lexsort((t_all, s_all))
    t_all, s_all = t_all[o], s_all[o]
    cont = s_all[1:] == s_all[:-1]
    t0, t1, sk = t_all[:-1][cont], t_all[1:][cont], s_all[:-1][cont]
    keep = t1 - t0 > 1e-12
    t0, t1, sk = t0[keep], t1[keep], sk[keep]
    tm = (t0 + t1) / 2
    mx = a[sk, 0] + tm * (b[sk, 0] - a[sk, 0])
    my = a[sk, 1] + tm * (b[sk, 1] - a[sk, 1])
    inside = shapely.intersects_xy(zc[sk], mx, my)
    return t0, t1, sk + offset, inside


def segment_box_gaps(lines: np.ndarray, zb: np.ndarray) -> np.ndarray:
    """Least distance from each line's segments to its zone's envelope (a distance bound).

    A zone lies within its envelope, so no point of it comes nearer to the line than this. For
    a long route the bound is far tighter than the gap between the two envelopes: a diagonal
    road's envelope holds many zones that come nowhere near the road. Per segment it is the
    distance between the segment and the box (0 where it enters the box; else the nearest of
    its ends to the box and of the box's corners to it, as for any two disjoint convex sets).

    Parameters
    ----------
    lines : numpy.ndarray
        LineStrings and MultiLineStrings (projected metres).
    zb : numpy.ndarray
        ``(n, 4)`` bounds of each line's zone.

    Returns
    -------
    numpy.ndarray
        The bound per line (0 for a line without segments).
    """
    import shapely

    n = len(lines)
    parts, owner = shapely.get_parts(lines, return_index=True)
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    same = cidx[1:] == cidx[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    seg = owner[cidx[:-1][same]]
    x0, y0, x1, y1 = zb[seg].T

    def to_box(px: np.ndarray, py: np.ndarray) -> np.ndarray:
        dx = np.maximum(0.0, np.maximum(x0 - px, px - x1))
        dy = np.maximum(0.0, np.maximum(y0 - py, py - y1))
        return np.hypot(dx, dy)

    gap = np.minimum(to_box(a[:, 0], a[:, 1]), to_box(b[:, 0], b[:, 1]))
    rx, ry = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    rr = rx * rx + ry * ry
    pos = np.zeros(len(seg), dtype=bool)
    neg = np.zeros(len(seg), dtype=bool)
    for cx, cy in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
        qx, qy = cx - a[:, 0], cy - a[:, 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(rr > 0, np.clip((qx * rx + qy * ry) / rr, 0.0, 1.0), 0.0)
        gap = np.minimum(gap, np.hypot(qx - t * rx, qy - t * ry))
        side = rx * qy - ry * qx
        pos |= side >= 0
        neg |= side <= 0
    # the segment's envelope meets the box and the box's corners are not all on one side of
    # the segment's line: the segment enters the box
    meets = (
        (np.minimum(a[:, 0], b[:, 0]) <= x1)
        & (np.maximum(a[:, 0], b[:, 0]) >= x0)
        & (np.minimum(a[:, 1], b[:, 1]) <= y1)
        & (np.maximum(a[:, 1], b[:, 1]) >= y0)
    )
    gap[meets & pos & neg] = 0.0
    out = np.full(n, np.inf)
    np.minimum.at(out, seg, gap)
    out[np.isposinf(out)] = 0.0  # no segment: no bound
    return out
