"""The nearest feature of each site: :func:`query_nearest`, GEOS's answer found faster.

A site that hits nothing is reported with its nearest feature of every kind
(:func:`zoning.screening.index.nearest_features`). GEOS's ``STRtree.query_nearest`` computes
exact distances one pair at a time; here a bound from a nearby feature and one vectorised call
over the few candidates it leaves give the same answer (:func:`query_nearest`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from zoning.screening.buckets import run_buckets

__all__ = ["EnvelopeTree", "query_nearest"]

#: fewer inputs than this are searched on one thread (a thread costs more than it saves)
_PER_THREAD = 128
#: runs of inputs per thread (shared out as the threads come free)
_RUNS = 4
#: the first reach of the search, in features' mean spacing (the side of the extent's area per
#: feature), and its growth for inputs that find no feature's envelope within it: a reach too
#: wide finds too many features where they cluster, so it starts small and grows a few times;
#: inputs that find nothing even then take the feature of the nearest envelope (GEOS's search
#: among rectangles, ``boxes``)
_REACH = 1 / 256
_REACH_GROWTH = 4.0
_REACH_STEPS = 5
#: inputs x features up to which the inputs still without a feature after the grown reach find
#: the nearest envelope by one numpy pass over the features' envelopes each; beyond it, the
#: envelope tree is built (a few such inputs are common; the tree costs ~9 ms at 10k features,
#: mostly memory first touched, against ~0.05 ms per input here)
_SCAN_MAX = 1 << 20


def query_nearest(
    tree: Any,
    geoms: np.ndarray,
    n_jobs: int = 1,
    bounds: np.ndarray | None = None,
    first: Callable[[], object] | None = None,
    *,
    boxes: Callable[[], Any] | None = None,
    return_distance: bool = False,
) -> tuple[np.ndarray, ...]:
    """``tree.query_nearest(geoms, all_matches=False)``, found faster, inputs split over threads.

    GEOS's nearest search computes exact distances to every feature its envelope bound cannot
    rule out, one pair at a time. Here each input first takes, among the features whose
    envelopes come within a reach ``r`` of its envelope (a tree query; ``r`` grown a few times
    for inputs that find none, then the nearest envelope of all, ``boxes``), the feature of the
    nearest envelope; its exact distance ``d`` bounds the answer. The features whose envelopes
    lie within ``d`` of the input's envelope are the only candidates (already among those found
    when ``d < r``, else a second query), and their exact distances are computed in one
    vectorised call. Where two features are equally near, GEOS's own search decides, so the
    answer is always the one of ``tree.query_nearest`` (one feature per input, input order),
    whichever feature gave the bound. Every input's answer depends on that input only, so
    splitting the inputs over threads changes nothing.

    Parameters
    ----------
    tree : shapely.STRtree
        The features.
    geoms : numpy.ndarray
        The geometries to search from.
    n_jobs : int, default 1
        Threads.
    bounds : numpy.ndarray, optional
        ``shapely.bounds`` of the features, in the tree's order (computed when not given).
    first : callable, optional
        Other work of the caller, run once on the calling thread while helper threads start
        the search (:func:`zoning.screening.buckets.run_buckets`); the calling thread then
        searches too.
    boxes : callable, optional
        Returns the STRtree of the features' envelopes, built once, safe to call from several
        threads (:class:`EnvelopeTree`; a layer's ``boxes``); asked for only by inputs that find no feature
        within the grown reach, and only when they are too many to scan the features'
        envelopes for each (:data:`_SCAN_MAX`). Built here when needed if not given.
    return_distance : bool, default False
        Also return the distance of each input to its feature: ``shapely.distance`` of the
        two, the value the search computed to find it (bit for bit the same call).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray) or (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Input and feature positions, and with ``return_distance`` their distances.
    """
    import shapely

    n = len(geoms)
    if n == 0 or len(tree) == 0:
        if first is not None:
            first()
        empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
        return empty if return_distance else empty[:2]
    if bounds is None:
        bounds = shapely.bounds(np.asarray(tree.geometries, dtype=object))
    if boxes is None:
        boxes = EnvelopeTree(tree)
    reach = _reach(bounds)
    # a few runs per thread: the threads share them out whatever else the caller does first
    chunks = min(_RUNS * n_jobs, n // _PER_THREAD) if n_jobs > 1 else 1
    if chunks <= 1:
        if first is not None:
            first()
        found = _nearest_chunk(tree, bounds, reach, boxes, geoms, 0)
        return found if return_distance else found[:2]
    # a tree is built on its first query: never let two threads race to build it
    tree.query(geoms[:1])
    starts = np.linspace(0, n, chunks + 1).astype(np.int64)

    def job(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, b = int(starts[k]), int(starts[k + 1])
        return _nearest_chunk(tree, bounds, reach, boxes, geoms[a:b], a)

    parts = run_buckets(job, chunks, n_jobs, first=first)
    out = tuple(np.concatenate([p[i] for p in parts]) for i in range(3 if return_distance else 2))
    return out


class EnvelopeTree:
    """The STRtree of a tree's envelopes (same positions), built and queried once on first call.

    Calling the object returns the tree; threads that call it meanwhile wait for the one build
    (a shapely STRtree is built on its first query, which two threads must not race to do).

    Parameters
    ----------
    tree : shapely.STRtree or layer index
        The features (anything holding them as ``geometries``, in the tree's order: a layer
        index passes itself, so that its own tree is not built for this).
    """

    def __init__(self, tree: Any) -> None:
        self._of = tree
        self._tree: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        """Return the STRtree of the envelopes (built on the first call)."""
        import shapely

        with self._lock:
            if self._tree is None:
                boxes = shapely.STRtree(shapely.envelope(self._of.geometries))
                boxes.query(shapely.box(0.0, 0.0, 0.0, 0.0))  # built now, under the lock
                self._tree = boxes
            return self._tree


def _reach(bounds: np.ndarray) -> float:
    """Return the first reach: :data:`_REACH` times the features' mean spacing (0 if none).

    The mean spacing is the side of the features' extent's area per feature, or for features
    along a line (no area) its length per feature.
    """
    with np.errstate(invalid="ignore"):
        lo = np.nanmin(bounds[:, :2], axis=0, initial=np.inf)
        hi = np.nanmax(bounds[:, 2:], axis=0, initial=-np.inf)
    area = float(np.prod(np.maximum(hi - lo, 0.0))) if np.isfinite(lo).all() else 0.0
    width = float(np.max(hi - lo)) if np.isfinite(lo).all() else 0.0
    spacing = np.sqrt(area / len(bounds)) if area > 0 else width / len(bounds)
    return _REACH * float(spacing)


def _envelope_gaps(gb: np.ndarray, fb: np.ndarray) -> np.ndarray:
    """Distance between envelopes ``gb`` and ``fb`` (rows ``xmin, ymin, xmax, ymax``)."""
    gap_x = np.maximum(0.0, np.maximum(fb[:, 0] - gb[:, 2], gb[:, 0] - fb[:, 2]))
    gap_y = np.maximum(0.0, np.maximum(fb[:, 1] - gb[:, 3], gb[:, 1] - fb[:, 3]))
    return np.hypot(gap_x, gap_y)


def _nearest_envelopes(gb: np.ndarray, fb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each envelope of ``gb``, a feature of ``fb`` whose envelope is nearest (numpy scan).

    Features with no envelope (empty: NaN bounds) are never taken; an input finds none when
    every feature is empty. Ties go to the first feature: any nearest envelope gives
    :func:`_nearest_chunk` a valid bound, so the answers do not depend on which.
    """
    rows, found = [], []
    for i in range(len(gb)):
        gap = _envelope_gaps(np.broadcast_to(gb[i], fb.shape), fb)
        gap[np.isnan(gap)] = np.inf
        j = int(np.argmin(gap)) if len(gap) else -1
        if j >= 0 and np.isfinite(gap[j]):
            rows.append(i)
            found.append(j)
    return np.asarray(rows, dtype=np.int64), np.asarray(found, dtype=np.int64)


def _grown_query(tree: Any, gb: np.ndarray, rows: np.ndarray, pad: Any) -> tuple[np.ndarray, ...]:
    """Pairs of inputs ``rows`` and the features whose envelopes meet the input's grown by ``pad``."""
    import shapely

    b = gb[rows]
    qi, cf = tree.query(shapely.box(b[:, 0] - pad, b[:, 1] - pad, b[:, 2] + pad, b[:, 3] + pad))
    return rows[qi], cf


def _nearest_chunk(
    tree: Any,
    bounds: np.ndarray,
    reach: float,
    boxes: Callable[[], Any],
    geoms: np.ndarray,
    offset: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`query_nearest` of one run of inputs (``offset``: position of the first).

    Returns the input and feature positions and their distances (``shapely.distance``).
    """
    import shapely

    n = len(geoms)
    feats = np.asarray(tree.geometries, dtype=object)
    gb = shapely.bounds(geoms)
    # the features whose envelopes come within the reach of each input's envelope, the reach
    # grown for inputs that find none (empty inputs, NaN bounds: GEOS below)
    todo = np.flatnonzero(np.isfinite(gb).all(axis=1))
    found_within = np.zeros(n)  # the reach each input's pairs were found within
    ci_parts, cf_parts, r = [], [], reach
    for _ in range(_REACH_STEPS):
        if not len(todo) or not r > 0:
            break
        qi, qf = _grown_query(tree, gb, todo, r)
        ci_parts.append(qi)
        cf_parts.append(qf)
        found_within[qi] = r
        todo = todo[found_within[todo] == 0]
        r *= _REACH_GROWTH
    ci = np.concatenate(ci_parts) if ci_parts else np.empty(0, np.int64)
    cf = np.concatenate(cf_parts) if cf_parts else np.empty(0, np.int64)
    gap = _envelope_gaps(gb[ci], bounds[cf])
    # an upper bound of each answer: the exact distance to the feature of the nearest envelope
    o = np.lexsort((cf, gap, ci))
    head = o[np.r_[True, ci[o][1:] != ci[o][:-1]]] if len(o) else o
    s0, f0 = ci[head], cf[head]
    if len(todo):  # nothing within the grown reach: the nearest envelope of all
        if len(todo) * len(bounds) <= _SCAN_MAX:
            rs, rf = _nearest_envelopes(gb[todo], bounds)
        else:
            rs, rf = boxes().query_nearest(geoms[todo], all_matches=False)
        s0, f0 = np.concatenate([s0, todo[rs]]), np.concatenate([f0, rf])
    bound = np.full(n, np.inf)
    bound[s0] = shapely.distance(geoms[s0], feats[f0])
    first = np.full(n, -1, dtype=np.int64)
    first[s0] = f0
    # candidates: features whose envelope comes within the bound of the input's envelope;
    # all found already where the bound lies within the reach, else queried again
    pad = bound * (1 + 1e-9) + 1e-9 * (1.0 + np.abs(gb).max(axis=1, initial=0.0))
    ok = np.isfinite(pad)  # others (empty inputs, NaN distances): GEOS below
    within = ok & (pad < found_within * (1 - 1e-9))
    again = np.flatnonzero(ok & ~within)
    keep = within[ci]
    ci, cf, gap = ci[keep], cf[keep], gap[keep]
    if len(again):
        qi, qf = _grown_query(tree, gb, again, pad[again])
        ci = np.concatenate([ci, qi])
        cf = np.concatenate([cf, qf])
        gap = np.concatenate([gap, _envelope_gaps(gb[qi], bounds[qf])])
    # the bounding feature's distance is known: measure only the others
    keep = (gap <= pad[ci]) & (cf != first[ci])
    ci, cf = ci[keep], cf[keep]
    d = shapely.distance(geoms[ci], feats[cf])
    best = bound.copy()
    np.minimum.at(best, ci, d)
    # the nearest of each input; equally near features (or a non-finite distance): GEOS decides
    near = d <= best[ci] * (1 + 1e-12) + 1e-12
    count = np.bincount(ci[near], minlength=n)
    found = np.where(bound <= best * (1 + 1e-12) + 1e-12, first, -1)
    count += found >= 0
    found[ci[near]] = cf[near]
    # the distance of each answer, as computed above: the bound's, or the one near candidate's
    dist = np.where(found >= 0, bound, np.nan)
    dist[ci[near]] = d[near]
    redo = np.flatnonzero((count != 1) | ~np.isfinite(best))
    if len(redo):
        rs, rf = tree.query_nearest(geoms[redo], all_matches=False)
        found[redo] = -1
        found[redo[rs]] = rf
        dist[redo[rs]] = shapely.distance(geoms[redo[rs]], feats[rf])
    s_idx = np.flatnonzero(found >= 0)
    return s_idx + offset, found[s_idx], dist[s_idx]
