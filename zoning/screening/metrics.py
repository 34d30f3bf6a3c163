"""Exact metrics of site/zone pairs in projected metres.

Pairs come from the layer index (:mod:`zoning.screening.index`) already projected into each
site's Gauss–Krüger zone. Zones are cut to the site's neighbourhood first; a site wholly inside
a zone is never clipped; lines are measured in numpy, segment by segment
(:mod:`zoning.screening.segments`); pairs run on threads bucketed by zone feature
(:func:`run_pair_metrics`). Their totals per site, kind and zone, overlapping features counted
once, are :func:`zoning.screening.groups.dissolved_totals`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from zoning.screening.buckets import run_buckets
from zoning.screening.segments import (
    CLIP_MIN_VERTICES,
    clip_rects,
    line_segments,
    line_zone_metrics,
    segment_box_gaps,
    segment_zones,
    segments_in_zones,
)

__all__ = [
    "clip_to_zones",
    "run_pair_metrics",
]

_CHUNK = 1024
#: fewer pairs than this are measured on the calling thread alone (threads cost more)
_SPLIT_MIN = 128
#: sites closer than this to a zone touch it (numerical noise of CRS round trips is ~1e-10 m)
_TOUCH_M = 1e-3
#: a pair's cost in zone vertices, beside its zone's own, when buckets are ordered by cost
_BUCKET_PAIR_COST = 64.0
#: most pairs whose buckets are ordered by cost (the count costs ~13 ms at 60k pairs)
_COST_ORDER_MAX = 16_384
#: rounding allowance of the numpy distance bounds of line pairs (m)
_GAP_MARGIN_M = 1e-3
#: line pairs from which the bound is computed: it only spares work, never changes an answer
_GAP_MIN_LINES = 64


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
        (shapely.get_num_coordinates(z) >= CLIP_MIN_VERTICES) & reaches_out & (dims > 0)
    )
    if len(big):
        out[big] = clip_rects(z[big], x0[big], y0[big], x1[big], y1[big])
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
    type_id = shapely.get_type_id(s)
    is_line = (type_id == 1) | (type_id == 5)
    ln = np.flatnonzero(is_line & (env <= pad))
    if len(ln) >= _GAP_MIN_LINES:  # (a few pairs gain less than the bound costs)
        env[ln] = np.maximum(env[ln], segment_box_gaps(s[ln], zb[ln]) - _GAP_MARGIN_M)
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
    lines = ~empty & is_line
    seg_cut = np.empty(0, dtype=object)
    inside = np.zeros(n, dtype=bool)
    covered = np.zeros(n, dtype=bool)
    if lines.any():
        pos = np.flatnonzero(lines)
        a, b, seg_line = line_segments(s[pos])
        seg_pair = pos[seg_line]
        seg_cut = segment_zones(a, b, zl[seg_pair])
        inside[pos], covered[pos], meets = segments_in_zones(a, b, seg_line, seg_cut, len(pos))
        inter[pos] = meets
    rest = ~empty & ~lines
    inter[rest] = shapely.intersects(s[rest], zl[rest])
    held = inter & ~lines
    # a point that meets a zone lies in its interior unless it lies on its boundary: one
    # boundary test (``touches``) answers ``contains_properly``, at a quarter of its cost
    pt = held & (type_id == 0)
    inside[pt] = ~shapely.touches(zl[pt], s[pt])
    held &= ~pt
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
    beside: Callable[[], object] | None = None,
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
    beside : callable, optional
        Work of the caller for the calling thread while the helper threads start on the pairs
        (:func:`zoning.screening.buckets.run_buckets`); not run when the pairs are measured on
        the calling thread alone (a small batch: the work may not be needed at all).

    Returns
    -------
    dict of str to numpy.ndarray
        ``intersects``, ``inside``, ``overlap_area_m2``, ``overlap_length_m``, ``crossings``,
        ``distance_m``, ``boundary_distance_m``, ``near_boundary``, ``keep``, ``clip``,
        ``intervals``.
    """
    import shapely

    n = len(s)
    if n <= _CHUNK and (n_jobs <= 1 or n < _SPLIT_MIN):
        return _pair_metrics(s, z, dim, radius, tolerance)
    # buckets of about _CHUNK pairs: the zones cut to the sites' neighbourhoods and the edge
    # arrays of one bucket are alive at a time per thread (memory stays bounded); fewer
    # pairs still go to every thread, two buckets each from 512 pairs (a batch of 1,000
    # sites has a few hundred pairs: on one thread they were a third of its wall time; one
    # bucket per thread left one thread 40 % more work than the other)
    few = n_jobs * (2 if n >= _SPLIT_MIN * 4 else 1)
    n_buckets = few if n <= _CHUNK else max(n_jobs * 2, -(-n // _CHUNK))
    bucket = owner % n_buckets
    order = np.argsort(bucket, kind="stable")
    cuts = np.searchsorted(bucket[order], np.arange(n_buckets + 1))
    # the costliest buckets first (by their zones' vertices): the threads then end together,
    # not one of them finishing a large bucket alone; each bucket's answer is its own. Counting
    # the vertices reads every zone (~0.2 us a pair, cache misses): past _COST_ORDER_MAX pairs
    # it costs about what it saves, and the buckets go in their order
    seq = np.arange(n_buckets)
    if n <= _COST_ORDER_MAX:
        vertices = shapely.get_num_coordinates(z)
        seq = np.argsort(
            -np.bincount(bucket, _BUCKET_PAIR_COST + vertices, n_buckets), kind="stable"
        )

    def job(k: int) -> dict[str, np.ndarray]:
        sel = order[cuts[seq[k]] : cuts[seq[k] + 1]]
        return _pair_metrics(s[sel], z[sel], dim[sel], radius[sel], tolerance)

    done = run_buckets(job, n_buckets, n_jobs, first=beside if n_jobs > 1 else None)
    parts = [done[k] for k in np.argsort(seq)]  # back in bucket order
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
