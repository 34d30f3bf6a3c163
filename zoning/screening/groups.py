"""Groups of screening hits per site, kind and zone, in numpy (as a sorted pandas groupby).

The totals of :func:`zoning.screening.metrics.dissolved_totals` need, for the hits that
intersect, the group of every row and per group its first metrics, whether any feature holds
the site, and the number of features. A one-site screening has a few rows, for which a pandas
``groupby().agg`` costs ~10 ms; :func:`group_hits` sorts the keys in numpy instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["group_hits"]


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
