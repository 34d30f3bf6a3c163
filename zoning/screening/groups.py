"""Groups of screening hits per site, kind and zone, and their totals (overlaps counted once).

:func:`dissolved_totals` totals the hits per site, kind and zone on the dissolved layer. It
needs, for the hits that intersect, the group of every row and per group its first metrics,
whether any feature holds the site, and the number of features. A one-site screening has a
few rows, for which a pandas ``groupby().agg`` costs ~10 ms; :func:`group_hits` sorts the
keys in numpy instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from zoning.screening.buckets import run_buckets

__all__ = ["dissolved_totals", "group_hits", "row_patterns"]


def group_hits(hits: pd.DataFrame, inter: np.ndarray) -> tuple[np.ndarray, ...]:
    """Group the intersecting hits by site, kind and zone (sorted), as ``groupby().agg`` does.

    Returns the group of every intersecting row and, per group: site, kind, zone, the first
    overlap area and length, whether any feature holds the site, and the number of features.
    A pandas ``groupby`` costs ~10 ms whatever the size (a one-site screening is a few rows);
    this sorts the keys in numpy. Keys with missing values (dropped by ``groupby``) and
    missing metrics (skipped by its ``first``) take the pandas path, which handles them.

    Parameters
    ----------
    hits : DataFrame
        Candidate rows: ``site_idx``, ``layer_kind``, ``zone``, ``overlap_area_m2``,
        ``overlap_length_m``, ``inside``.
    inter : numpy.ndarray
        Which rows intersect their zone (only those are grouped).

    Returns
    -------
    tuple of numpy.ndarray
        ``group`` per intersecting row (NaN where a key is missing), then per group ``site``,
        ``kind``, ``zone``, ``area``, ``length``, ``inside``, ``n_features``.
    """
    site_all = hits["site_idx"].to_numpy()[inter]
    kind_all = hits["layer_kind"].to_numpy(dtype=object)[inter]
    zone_all = hits["zone"].to_numpy(dtype=object)[inter]
    area_all = hits["overlap_area_m2"].to_numpy(float)[inter]
    length_all = hits["overlap_length_m"].to_numpy(float)[inter]
    inside_all = hits["inside"].to_numpy(bool)[inter]
    plain = (
        site_all.dtype.kind in "iu"
        and _all_str(kind_all)
        and _all_str(zone_all)
        and not np.isnan(area_all).any()
        and not np.isnan(length_all).any()
    )
    if not plain:
        return _group_hits_pandas(hits[inter])
    n = len(site_all)
    if n == 0:
        e = np.empty(0, dtype=object)
        return (
            np.empty(0, np.int64), np.empty(0, np.int64), e, e.copy(), np.empty(0),
            np.empty(0), np.empty(0, bool), np.empty(0, np.int64),
        )  # fmt: skip
    # sort as groupby(sort=True) does: by site, then kind, then zone (strings compare as str)
    _, kc = np.unique(kind_all.astype(str), return_inverse=True)
    _, zc = np.unique(zone_all.astype(str), return_inverse=True)
    order = np.lexsort((zc, kc, site_all))
    s_o, k_o, z_o = site_all[order], kc[order], zc[order]
    start = np.r_[True, (s_o[1:] != s_o[:-1]) | (k_o[1:] != k_o[:-1]) | (z_o[1:] != z_o[:-1])]
    first = order[start]  # lexsort is stable: the first row of each group in frame order
    g_sorted = np.cumsum(start) - 1
    g = np.empty(n, dtype=np.int64)
    g[order] = g_sorted
    n_groups = len(first)
    inside = np.zeros(n_groups, dtype=bool)
    np.logical_or.at(inside, g, inside_all)
    return (
        g,
        site_all[first].astype(np.int64),
        kind_all[first],
        zone_all[first],
        area_all[first].copy(),
        length_all[first].copy(),
        inside,
        np.bincount(g, minlength=n_groups).astype(np.int64),
    )


def row_patterns(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a boolean matrix, sorted, and which of them each row is.

    The answer of ``np.unique(rows, axis=0, return_inverse=True)``, which sorts the rows as
    byte strings (~35 ms for 10k sites × 9 kinds); up to 62 columns, each row is packed into
    one ``int64`` (first column the highest bit, so the order is the same) and the codes are
    sorted instead (~1 ms).

    Parameters
    ----------
    rows : numpy.ndarray
        ``(n, k)`` booleans.

    Returns
    -------
    patterns : numpy.ndarray
        ``(m, k)`` distinct rows in lexicographic order.
    which : numpy.ndarray
        ``(n,)`` position in ``patterns`` of every row.
    """
    rows = np.asarray(rows, dtype=bool)
    if rows.ndim != 2 or not 0 < rows.shape[1] < 63:
        patterns, which = np.unique(rows, axis=0, return_inverse=True)
        return patterns, which.reshape(-1)
    weights = np.left_shift(1, np.arange(rows.shape[1] - 1, -1, -1, dtype=np.int64))
    _, first, which = np.unique(rows @ weights, return_index=True, return_inverse=True)
    return rows[first], which.reshape(-1)


def _all_str(values: np.ndarray) -> bool:
    """Tell whether every value is a ``str`` (``infer_dtype`` in C; a loop for a few values)."""
    if len(values) < 64:
        return all(isinstance(v, str) for v in values)
    return bool(pd.api.types.infer_dtype(values, skipna=False) == "string")


def _group_hits_pandas(sub: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """:func:`group_hits` through ``pandas.groupby`` (missing keys or metrics)."""
    grouped = sub.groupby(["site_idx", "layer_kind", "zone"], sort=True)
    g = grouped.ngroup().to_numpy()
    agg = grouped.agg(
        overlap_area_m2=("overlap_area_m2", "first"),
        overlap_length_m=("overlap_length_m", "first"),
        inside=("inside", "any"),
        n_features=("inside", "size"),
    ).reset_index()
    return (
        g,
        agg["site_idx"].to_numpy(np.int64),
        agg["layer_kind"].to_numpy(),
        agg["zone"].to_numpy(),
        agg["overlap_area_m2"].to_numpy(float).copy(),
        agg["overlap_length_m"].to_numpy(float).copy(),
        agg["inside"].to_numpy(bool),
        agg["n_features"].to_numpy(np.int64),
    )


def _interval_union_lengths(spans: list[np.ndarray], sizes: np.ndarray) -> np.ndarray:
    """Total length of the union of each group's 1-D intervals (overlaps counted once).

    Per group, the intervals sorted by start merge into runs while each starts before the
    running maximum of the ends; the group's length is ``np.sum`` of the runs' lengths, in
    start order. All groups are sorted together (by group, then start) and the running end is
    carried rank by rank, so thousands of groups cost one sort, not a sort, an accumulate and
    a reduce each; each group is still summed by ``np.sum`` on its own slice, so its bits do
    not depend on the other groups (nor on the batch).

    Parameters
    ----------
    spans : list of numpy.ndarray
        The ``(k, 2)`` inside intervals of every member row, the rows of each group
        contiguous and in their original order.
    sizes : numpy.ndarray
        Number of member rows of each group.

    Returns
    -------
    numpy.ndarray
        Length of the union of each group's intervals (0 for a group with none).
    """
    n_groups = len(sizes)
    out = np.zeros(n_groups)
    counts = np.fromiter((len(x) for x in spans), dtype=np.int64, count=len(spans))
    if not counts.sum():
        return out
    iv = np.concatenate([x for x in spans if len(x)]).reshape(-1, 2)
    row_group = np.repeat(np.arange(n_groups), sizes)
    gid = np.repeat(row_group, counts)
    o = np.lexsort((iv[:, 0], gid))
    gid, starts, ends = gid[o], iv[o, 0], iv[o, 1]
    n = len(gid)
    first = np.r_[True, gid[1:] != gid[:-1]]
    heads = np.flatnonzero(first)
    rank = np.arange(n) - np.repeat(heads, np.diff(np.r_[heads, n]))
    # running maximum of the ends within each group (the one-group maximum.accumulate)
    run = ends.copy()
    by_rank = np.argsort(rank, kind="stable")
    cuts = np.searchsorted(rank[by_rank], np.arange(1, int(rank.max()) + 2))
    for j in range(len(cuts) - 1):
        i = by_rank[cuts[j] : cuts[j + 1]]
        run[i] = np.maximum(run[i - 1], ends[i])
    gap = first.copy()
    gap[1:] |= starts[1:] > run[:-1]
    at = np.flatnonzero(gap)
    diff = np.maximum.reduceat(ends, at) - starts[at]
    groups = gid[at]
    bounds = np.searchsorted(groups, np.arange(n_groups + 1))
    for k in np.unique(groups).tolist():
        out[k] = float(np.sum(diff[bounds[k] : bounds[k + 1]]))
    return out


def _dissolve_pieces(pieces: np.ndarray) -> Any:
    """Union the parts of one polygon site inside several features (overlaps count once)."""
    import shapely
    from shapely.errors import GEOSException

    try:
        return shapely.union_all(pieces)
    except GEOSException:
        return shapely.union_all(pieces, grid_size=1e-3)


def _union_areas(pieces: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Area of the union of each group's pieces by binary GEOS unions, one call per rank.

    Each group's pieces are unioned left to right (``union(union(p0, p1), p2)`` …); rank
    ``j`` of every group with more than ``j`` pieces is added in one vectorised call, which
    releases the GIL for the whole run. A binary union costs about half of ``union_all`` of
    the same two pieces (no collection, no cascade), ~20 % less over the screening's groups
    of 2–10 clipped zones; the areas equal ``union_all``'s to ~1e-13 relative (the same
    region, vertices in another order). A group's answer depends on its own pieces alone.
    Where GEOS fails on a union, that group falls back to :func:`_dissolve_pieces`.
    """
    import shapely
    from shapely.errors import GEOSException

    sizes = np.array([len(m) for m in groups], dtype=np.int64)
    acc = np.empty(len(groups), dtype=object)
    acc[:] = [pieces[m[0]] for m in groups]
    done = np.zeros(len(groups), dtype=bool)  # settled by the fallback
    for j in range(1, int(sizes.max(initial=0))):
        h = np.flatnonzero((sizes > j) & ~done)
        nxt = np.array([pieces[groups[i][j]] for i in h], dtype=object)
        try:
            acc[h] = shapely.union(acc[h], nxt)
        except GEOSException:  # one pair failed: the others by binary unions, that group whole
            for i, b in zip(h.tolist(), nxt, strict=True):
                try:
                    acc[i] = shapely.union(acc[i], b)
                except GEOSException:
                    acc[i] = _dissolve_pieces(pieces[groups[i]])
                    done[i] = True
    return np.asarray(shapely.area(acc), dtype=float)


#: polygon groups per kernel run (each run packs its own pieces; the answers do not depend on it)
_KERNEL_RUN = 256


def _kernel_areas(pieces: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Area of the union of each group's pieces by the area kernel; NaN where it declines.

    Multi-part pieces (a zone cut by a site's rectangle) are opened into their parts: the
    union is the same. Parts without area (lines and points where a site touches a zone,
    empties) add nothing to a union's area and are left out; a group with any areal part the
    kernel cannot take (not certainly a valid polygon: holes, nested collections) is declined
    whole, for GEOS.
    """
    import shapely

    from zoning.polyarea import certify_polygons, pack, union_clip_areas

    sizes = np.array([len(m) for m in groups], dtype=np.int64)
    p, part_of = shapely.get_parts(pieces[np.concatenate(groups)], return_index=True)
    owner = np.repeat(np.arange(len(groups)), sizes)[part_of]
    areal = (shapely.get_dimensions(p) == 2) & ~shapely.is_empty(p)
    ok = np.zeros(len(p), dtype=bool)
    ok[areal] = certify_polygons(p[areal])
    declined = np.zeros(len(groups), dtype=bool)
    declined[owner[areal & ~ok]] = True
    keep = np.flatnonzero(ok)
    indptr = np.r_[0, np.cumsum(np.bincount(owner[keep], minlength=len(groups)))]
    out = union_clip_areas(pack(p[keep]), indptr, np.arange(len(keep)), np.full(len(groups), -1))
    assert isinstance(out, np.ndarray)  # (no noise asked for)
    out[declined] = np.nan
    return out


def _load_area_kernel() -> None:
    """Load the area kernels on this thread, before threads share the runs (numba loads once)."""
    from zoning.jit import without_scipy_linalg

    def load() -> None:
        import shapely

        one = np.array([shapely.box(0.0, 0.0, 1.0, 1.0)], dtype=object)
        _kernel_areas(one, [np.array([0])])

    without_scipy_linalg(load)


def dissolved_totals(
    hits: pd.DataFrame,
    clip: np.ndarray,
    intervals: np.ndarray,
    site_gk: np.ndarray,
    dims: np.ndarray,
    site_area: np.ndarray,
    site_length: np.ndarray,
    n_jobs: int = 1,
    *,
    area_kernel: bool = False,
    beside: Callable[[], object] | None = None,
) -> pd.DataFrame:
    """Total the hits per site, kind and zone on the dissolved layer (overlaps counted once).

    Parameters
    ----------
    hits : DataFrame
        The candidate rows of the engine.
    clip : numpy.ndarray
        Per row, the site's piece inside the feature.
    intervals : numpy.ndarray
        Per row, the inside intervals along a line site.
    site_gk : numpy.ndarray
        Every site in its Gauss–Krüger zone.
    dims : numpy.ndarray
        Dimension of every site.
    site_area, site_length : numpy.ndarray
        Area and length of every site.
    n_jobs : int, default 1
        Threads for the polygon unions.
    area_kernel : bool, default False
        Measure the unions of multi-feature groups by numba's area kernel
        (:mod:`zoning.polyarea`; GEOS where it declines) instead of GEOS unions. The engine
        asks for it only when the batch's nearby search ran numba's kernel
        (:data:`zoning.screening.nearby.KERNEL_MIN` pairs), so numba is loaded already and the
        area kernel adds about 4 MiB and 0.08 s of CPU, not the ~80 MiB and 0.3 s of loading
        numba and LLVM, which would double a screening's memory. The choice depends on the
        batch alone, never on what the process ran before. The kernel's areas equal GEOS's to
        ~1e-12 relative, not bit for bit; reports round to 0.01 m².
    beside : callable, optional
        Other work of the caller, run exactly once on the calling thread while a helper
        thread starts on the polygon unions (GEOS, releasing the GIL): the caller's Python work
        (rules, verdicts) then overlaps the unions instead of running before them on one core.

    Returns
    -------
    DataFrame
        ``site_idx``, ``layer_kind``, ``zone``, ``overlap_area_m2``, ``overlap_length_m``,
        ``share_of_site``, ``inside``, ``n_features``.
    """
    cols = ["site_idx", "layer_kind", "zone", "overlap_area_m2", "overlap_length_m"]
    if not len(hits):
        if beside is not None:
            beside()
        return pd.DataFrame(columns=[*cols, "share_of_site", "inside", "n_features"])
    inter = hits["intersects"].to_numpy(bool)
    pieces = clip[inter]
    spans = intervals[inter]
    groups = group_hits(hits, inter)
    g, site, kinds, zones, area, length, inside, n_features = groups
    # a site wholly inside one feature of the zone: the dissolved overlap is the site itself
    area[inside] = np.where(dims[site[inside]] == 2, site_area[site[inside]], 0.0)
    length[inside] = np.where(dims[site[inside]] == 1, site_length[site[inside]], 0.0)
    multi = [int(k) for k in np.flatnonzero(~inside & (n_features > 1))]
    if len(multi):
        order = np.argsort(g, kind="stable")  # rows of each group, in their original order
        cuts = np.searchsorted(g[order], np.arange(len(site) + 1))
        members = {k: order[cuts[k] : cuts[k + 1]] for k in multi}
        multi_dim = dims[site[multi]]
        lines = [k for k, d in zip(multi, multi_dim.tolist(), strict=True) if d == 1]

        def _line_lengths() -> None:
            """Union of the inside intervals along each line, every group at once."""
            if lines:
                rows = np.concatenate([members[k] for k in lines])
                sizes = np.array([len(members[k]) for k in lines], dtype=np.int64)
                length[lines] = _interval_union_lengths(list(spans[rows]), sizes)
            if beside is not None:
                beside()

        # polygons: the union of the site's clipped pieces of the group's zones, measured once:
        # overlapping features count once
        polys = [k for k, d in zip(multi, multi_dim.tolist(), strict=True) if d == 2]

        # the unions are independent GEOS calls (or kernel runs) that release the GIL: spread
        # them over the worker threads (the pieces are private copies, never prepared); the
        # calling thread totals the lines meanwhile (numpy), then takes unions too
        kernel = area_kernel
        size = _KERNEL_RUN if kernel else 32
        runs = [polys[i : i + size] for i in range(0, len(polys), size)]
        jobs = n_jobs if len(polys) > 64 else 1
        if kernel and polys:
            _load_area_kernel()
            done = run_buckets(
                lambda r: list(_kernel_areas(pieces, [members[k] for k in runs[r]])),
                len(runs), jobs, first=_line_lengths,
            )  # fmt: skip
        else:
            done = run_buckets(
                lambda r: list(_union_areas(pieces, [members[k] for k in runs[r]])),
                len(runs), jobs, first=_line_lengths,
            )  # fmt: skip
        if polys:
            area[polys] = [a for run in done for a in run]
            declined = [k for k in polys if np.isnan(area[k])]  # the kernel's: GEOS measures
            if declined:
                area[declined] = _union_areas(pieces, [members[k] for k in declined])
    elif beside is not None:
        beside()
    d = dims[site]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(
            d == 2,
            area / site_area[site],
            np.where(d == 1, length / site_length[site], 1.0),
        )
    share = np.nan_to_num(share, nan=0.0)
    return pd.DataFrame(
        {
            "site_idx": site,
            "layer_kind": kinds,
            "zone": zones,
            "overlap_area_m2": area,
            "overlap_length_m": length,
            "share_of_site": share,
            "inside": inside,
            "n_features": n_features,
        }
    )
