"""Exact metrics of site/zone pairs in projected metres.

Pairs come from the layer index (:mod:`zoning.screening.index`) already projected into each
site's Gauss–Krüger zone. Zones are cut to the site's neighbourhood first; a site wholly inside
a zone is never clipped; lines are measured in numpy (:func:`line_zone_metrics`); pairs run on
threads bucketed by zone feature (:func:`run_pair_metrics`). Their totals per site, kind and
zone, overlapping features counted once, are :func:`zoning.screening.groups.dissolved_totals`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zoning.screening.buckets import run_buckets

__all__ = [
    "clip_rects",
    "clip_to_zones",
    "line_zone_metrics",
    "run_pair_metrics",
]

_CHUNK = 1024
#: line segments measured at once in :func:`line_zone_metrics` (bounds its edge arrays)
_SEG_CHUNK = 256
_CLIP_MIN_VERTICES = 48
#: sites closer than this to a zone touch it (numerical noise of CRS round trips is ~1e-10 m)
_TOUCH_M = 1e-3
#: rounding allowance of the numpy distance bounds of line pairs (m)
_GAP_MARGIN_M = 1e-3


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


def _local_zones(s: np.ndarray, z: np.ndarray, pad: np.ndarray) -> np.ndarray:
    """Each zone cut to its site's envelope grown by ``pad`` (``clip_by_rect``, linear time).

    Everything measured within ``pad`` of the site is unchanged (site ∩ zone, containment,
    distances up to ``pad``), while the costly overlay now sees a few vertices instead of
    thousands. Small zones are left whole.
    """
    import shapely

    out = z.copy()
    sb, zb = shapely.bounds(s), shapely.bounds(z)
    x0, y0, x1, y1 = sb[:, 0] - pad, sb[:, 1] - pad, sb[:, 2] + pad, sb[:, 3] + pad
    # clip only where it pays: detailed zones that reach beyond the site's neighbourhood
    # (points gain nothing: a point-in-polygon test is already linear in the zone's size)
    reaches_out = (zb[:, 0] < x0) | (zb[:, 1] < y0) | (zb[:, 2] > x1) | (zb[:, 3] > y1)
    dims = shapely.get_dimensions(s)
    big = np.flatnonzero(
        (shapely.get_num_coordinates(z) >= _CLIP_MIN_VERTICES) & reaches_out & (dims > 0)
    )
    if len(big):
        out[big] = clip_rects(z[big], x0[big], y0[big], x1[big], y1[big])
    return out


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
        Each segment's zone already cut to the segment (:func:`_segment_zones`), segments in
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
        ck = _segment_zones(ak, bk, zk) if cuts is None else cuts[k : k + _SEG_CHUNK]
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


def _segment_zones(a: np.ndarray, b: np.ndarray, zseg: np.ndarray) -> np.ndarray:
    """Each segment's zone cut to the segment's envelope grown by 1 m (small zones whole).

    The margin keeps the cut edges off the segment: near the segment the cut zone is the zone.
    """
    import shapely

    lo, hi = np.minimum(a, b) - 1.0, np.maximum(a, b) + 1.0
    big = shapely.get_num_coordinates(zseg) >= _CLIP_MIN_VERTICES
    zc = zseg.copy()
    zc[big] = clip_rects(zseg[big], lo[big, 0], lo[big, 1], hi[big, 0], hi[big, 1])
    return zc


def _line_segments(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every segment of every line, in line order: start points, end points, owning line."""
    import shapely

    parts, part_owner = shapely.get_parts(lines, return_index=True)
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    same = cidx[1:] == cidx[:-1]
    return coords[:-1][same], coords[1:][same], part_owner[cidx[:-1][same]]


def _segments_in_zones(
    a: np.ndarray, b: np.ndarray, seg_line: np.ndarray, cut: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GEOS predicates of ``n`` lines against their zones, segment by segment.

    Each segment ``a``–``b`` of line ``seg_line`` is tested against its zone cut to the
    segment (:func:`_segment_zones`), which is the zone near the segment: a line meets its
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

    ``zc`` is each segment's zone cut to it (:func:`_segment_zones`). Returns, per piece in
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


def _segment_box_gaps(lines: np.ndarray, zb: np.ndarray) -> np.ndarray:
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


def _robust_intersection(a: Any, b: Any) -> Any:
    """Intersect ``a`` and ``b``, repairing ``b`` (then snapping to 1 mm) when GEOS fails."""
    import shapely
    from shapely.errors import GEOSException

    try:
        return shapely.intersection(a, b)
    except GEOSException:
        b = shapely.make_valid(b)
        try:
            return shapely.intersection(a, b)
        except GEOSException:
            return shapely.intersection(a, b, grid_size=1e-3)


def _pair_metrics(
    s: np.ndarray, z: np.ndarray, dim: np.ndarray, radius: np.ndarray, tolerance: float
) -> dict[str, np.ndarray]:
    """Exact metrics of site/zone pairs (projected metres). Runs in worker threads.

    Zones are first cut to the site's neighbourhood (:func:`_local_zones`); a site wholly
    inside a zone is never clipped; distances are computed only for pairs within ``radius``.
    """
    import shapely
    from shapely.errors import GEOSException

    n = len(s)
    pad = np.maximum(radius, tolerance) + 1.0
    # envelopes farther apart than the radius: the pair cannot matter, skip it outright
    sb, zb = shapely.bounds(s), shapely.bounds(z)
    gap_x = np.maximum(0.0, np.maximum(zb[:, 0] - sb[:, 2], sb[:, 0] - zb[:, 2]))
    gap_y = np.maximum(0.0, np.maximum(zb[:, 1] - sb[:, 3], sb[:, 1] - zb[:, 3]))
    env = np.hypot(gap_x, gap_y)
    # a line's segments bound its distance more tightly (less a millimetre for rounding): a
    # pair this bound puts beyond the pad is skipped, beyond the tolerance it needs only its
    # distance to the whole zone — what the full metrics would find for it (no contact, and a
    # distance to the cut zone beyond the cut's pad sends it to the whole zone too)
    ln = np.flatnonzero(np.isin(shapely.get_type_id(s), (1, 5)) & (env <= pad))
    if len(ln):
        env[ln] = np.maximum(env[ln], _segment_box_gaps(s[ln], zb[ln]) - _GAP_MARGIN_M)
    # only pairs whose envelopes come within the tolerance can intersect: those are cut to a
    # small neighbourhood and measured in full; the others only need a distance
    close_pad = tolerance + 1.0
    close = env <= close_pad
    mid = ~close & (env <= pad)
    zl = z.copy()
    zl[close] = _local_zones(s[close], z[close], np.full(int(close.sum()), close_pad))
    empty = ~close | shapely.is_empty(zl)
    inter = np.zeros(n, dtype=bool)
    # lines: each segment against the zone cut to it, cut once for the line metrics too (a
    # route's envelope holds far more of the zone than its segments' envelopes)
    lines = ~empty & np.isin(shapely.get_type_id(s), (1, 5))
    seg_cut = np.empty(0, dtype=object)
    inside = np.zeros(n, dtype=bool)
    covered = np.zeros(n, dtype=bool)
    if lines.any():
        pos = np.flatnonzero(lines)
        a, b, seg_line = _line_segments(s[pos])
        seg_pair = pos[seg_line]
        seg_cut = _segment_zones(a, b, zl[seg_pair])
        inside[pos], covered[pos], meets = _segments_in_zones(a, b, seg_line, seg_cut, len(pos))
        inter[pos] = meets
    rest = ~empty & ~lines
    inter[rest] = shapely.intersects(s[rest], zl[rest])
    held = inter & ~lines
    inside[held] = shapely.contains_properly(zl[held], s[held])
    proper = inside.copy()
    partial = inter & ~inside
    inside[partial & lines] = covered[partial & lines]
    partial &= ~lines
    if partial.any():  # points on the boundary and sites touching from within are covered
        inside[partial] = shapely.covers(zl[partial], s[partial])
    area = np.zeros(n)
    length = np.zeros(n)
    crossings = np.zeros(n, dtype=np.int64)
    clip = np.full(n, None, dtype=object)
    # wholly inside: the site itself, no clipping
    area[inside & (dim == 2)] = shapely.area(s[inside & (dim == 2)])
    length[inside & (dim == 1)] = shapely.length(s[inside & (dim == 1)])
    clip[inside] = s[inside]
    intervals = np.full(n, None, dtype=object)
    cut = inter & ~inside & (dim == 2)
    if cut.any():
        pos = np.flatnonzero(cut)
        b = shapely.bounds(s[pos])
        rect = np.isclose(shapely.area(s[pos]), (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))
        rect &= shapely.get_num_coordinates(s[pos]) == 5
        pieces = np.empty(len(pos), dtype=object)
        if rect.any():  # an axis-aligned rectangle: clipping is the exact intersection
            pr, br = pos[rect], b[rect]
            pieces[rect] = clip_rects(zl[pr], br[:, 0], br[:, 1], br[:, 2], br[:, 3])
        other = np.flatnonzero(~rect)
        if len(other):
            try:
                pieces[other] = shapely.intersection(s[pos[other]], zl[pos[other]])
            except GEOSException:  # a clipped zone came out invalid: repair, pair by pair
                pieces[other] = [
                    _robust_intersection(a, b)
                    for a, b in zip(s[pos[other]], zl[pos[other]], strict=True)
                ]
        clip[pos] = pieces
        area[pos] = shapely.area(pieces)
    lcut = inter & ~inside & (dim == 1)
    if lcut.any():
        pos = np.flatnonzero(lcut)
        cuts = seg_cut[np.isin(seg_pair, pos)] if lines[pos].all() else None
        length[pos], crossings[pos], intervals[pos] = line_zone_metrics(s[pos], zl[pos], cuts)
    whole = inside & (dim == 1)
    for k in np.flatnonzero(whole):
        intervals[k] = np.array([[0.0, length[k]]])
    pts_touch = inter & ~inside & (dim == 0)
    clip[pts_touch] = s[pts_touch]
    distance = np.zeros(n)
    keep = inter.copy()
    out = np.flatnonzero(close & ~inter & ~empty)
    refine = mid.copy()
    if len(out):
        d_out = shapely.distance(s[out], zl[out])
        exact = d_out < close_pad - 1e-9  # beyond that, the cut zone may hide a nearer part
        near = exact & (d_out <= radius[out])
        distance[out[near]] = d_out[near]
        keep[out[near]] = True
        refine[out[~exact]] = True
        # closer than a millimetre is touching: coordinates stored in degrees (EPSG:4490) and
        # projected back move shared edges by ~1e-10 m, which must not decide a verdict
        touch = out[d_out <= _TOUCH_M]
        inter[touch] = True
        distance[touch] = 0.0
        for k in touch[dim[touch] == 1]:  # a touching line has no length inside
            intervals[k] = np.empty((0, 2))
    refine |= close & empty & (env <= pad)  # nothing within the small cut, maybe within radius
    refine &= radius > close_pad - 1.0
    ref = np.flatnonzero(refine)
    if len(ref):
        d_ref = shapely.distance(s[ref], z[ref])
        near = d_ref <= radius[ref]
        distance[ref[near]] = d_ref[near]
        keep[ref[near]] = True
    # distance to the zone boundary: exact for points inside; for lines and polygons inside,
    # only whether the site lies within the positional tolerance of the boundary
    boundary_d = np.full(n, np.nan)
    boundary_d[inter & ~proper] = 0.0
    pts = proper & (dim == 0)
    if pts.any():
        boundary_d[pts] = shapely.distance(s[pts], shapely.boundary(z[pts]))
    near_edge = np.where(inter, ~proper, distance <= tolerance)
    near_edge[pts] = boundary_d[pts] <= tolerance
    big = proper & (dim > 0)
    if big.any() and tolerance > 0:
        near_edge[big] = ~shapely.contains_properly(zl[big], shapely.buffer(s[big], tolerance))
    return {
        "intersects": inter,
        "inside": inside,
        "overlap_area_m2": area,
        "overlap_length_m": length,
        "crossings": crossings,
        "distance_m": distance,
        "boundary_distance_m": boundary_d,
        "near_boundary": near_edge,
        "keep": keep,
        "clip": clip,
        "intervals": intervals,
    }


def run_pair_metrics(
    s: np.ndarray,
    z: np.ndarray,
    dim: np.ndarray,
    radius: np.ndarray,
    tolerance: float,
    n_jobs: int,
    owner: np.ndarray,
) -> dict[str, np.ndarray]:
    """Run the exact metrics of site/zone pairs on a thread pool.

    GEOS prepared geometries build their indexes lazily and are not safe to share between
    threads, so pairs are split into buckets by zone feature (``owner``): a zone is only ever
    touched by one thread.

    Parameters
    ----------
    s, z : numpy.ndarray
        Site and zone of each pair (projected metres).
    dim : numpy.ndarray
        Dimension of each site (0 point, 1 line, 2 polygon).
    radius : numpy.ndarray
        Search radius of each pair (m).
    tolerance : float
        Positional tolerance (m).
    n_jobs : int
        Threads.
    owner : numpy.ndarray
        Zone feature of each pair.

    Returns
    -------
    dict of str to numpy.ndarray
        ``intersects``, ``inside``, ``overlap_area_m2``, ``overlap_length_m``, ``crossings``,
        ``distance_m``, ``boundary_distance_m``, ``near_boundary``, ``keep``, ``clip``,
        ``intervals``.
    """
    n = len(s)
    if n <= _CHUNK:
        return _pair_metrics(s, z, dim, radius, tolerance)
    # buckets of about _CHUNK pairs: the zones cut to the sites' neighbourhoods and the edge
    # arrays of one bucket are alive at a time per thread (memory stays bounded)
    n_buckets = max(n_jobs * 2, -(-n // _CHUNK))
    bucket = owner % n_buckets
    order = np.argsort(bucket, kind="stable")
    cuts = np.searchsorted(bucket[order], np.arange(n_buckets + 1))

    def job(k: int) -> dict[str, np.ndarray]:
        sel = order[cuts[k] : cuts[k + 1]]
        return _pair_metrics(s[sel], z[sel], dim[sel], radius[sel], tolerance)

    parts = run_buckets(job, n_buckets, n_jobs)
    out = {}
    for key in parts[0]:
        merged = np.concatenate([p[key] for p in parts])
        res = np.empty_like(merged)
        res[order] = merged
        out[key] = res
    return out


# ---------------------------------------------------------------------------------------------
# Rules


def clip_to_zones(site: Any, zones: np.ndarray) -> Any:
    """Return ``site ∩ union(zones)``, robust to slightly invalid zones.

    The zones are first cut to the site's envelope (cheap, so big zones are never unioned
    whole), then dissolved, then intersected with the site once.

    Parameters
    ----------
    site : shapely geometry
        One site (projected metres).
    zones : numpy.ndarray
        Polygon zones in the same CRS.

    Returns
    -------
    shapely geometry
        The part of the site inside the zones.
    """
    import shapely
    from shapely.errors import GEOSException

    x0, y0, x1, y1 = shapely.bounds(site)
    pad = 1.0 + 1e-6 * max(abs(x0), abs(y0), abs(x1), abs(y1))
    local = shapely.clip_by_rect(zones, x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    try:
        return shapely.intersection(site, shapely.union_all(local))
    except GEOSException:  # projection left a zone slightly invalid: repair and retry
        fixed = shapely.make_valid(local)
        try:
            return shapely.intersection(site, shapely.union_all(fixed))
        except GEOSException:  # last resort: union the clipped pieces (may keep slivers)
            return shapely.union_all(shapely.intersection(site, fixed), grid_size=1e-6)
