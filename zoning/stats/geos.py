"""GEOS operations the statistics fall back on: threaded, and repairing on topology errors.

The area kernel (:mod:`zoning.polyarea`) measures most pieces without building geometries;
where it declines, or where geometries are needed (overlaps, the strictest-designation layer),
GEOS clips and unions them. These helpers run vectorised shapely calls on threads (shapely
releases the GIL) and, when GEOS meets a topology error, repair the inputs with ``make_valid``
(polygonal parts kept) and try once more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import shapely

__all__ = ["map_chunks", "overlay", "polygonal_parts", "repaired", "union_all"]

logger = logging.getLogger(__name__)


def map_chunks(
    func: Callable[[np.ndarray], np.ndarray], items: np.ndarray, n_jobs: int
) -> np.ndarray:
    """Apply a vectorised shapely function to ``items`` in ``n_jobs`` threads (GIL released).

    Parameters
    ----------
    func : callable
        Vectorised function of an array, returning an array of the same length.
    items : ndarray
        Its argument, cut into ``4 * n_jobs`` chunks when there are 64 or more.
    n_jobs : int
        Threads; 1 calls ``func`` once on the whole array.

    Returns
    -------
    ndarray
        ``func(items)``, in order.
    """
    if n_jobs <= 1 or len(items) < 64:
        return func(items)
    parts = np.array_split(items, n_jobs * 4)
    with ThreadPoolExecutor(n_jobs) as pool:
        return np.concatenate(list(pool.map(func, parts)))


def repaired(geoms: np.ndarray, *, log: bool = False) -> np.ndarray:
    """Return ``geoms`` with invalid members replaced by their ``make_valid`` polygons.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Polygonal geometries, some possibly invalid.
    log : bool
        Log (INFO) how many were repaired.

    Returns
    -------
    ndarray
        ``geoms`` itself when all are valid, else a copy with the invalid ones repaired.
    """
    bad = ~shapely.is_valid(geoms)
    if not bad.any():
        return geoms
    out = geoms.copy()
    out[bad] = polygonal_parts(shapely.make_valid(geoms[bad]))
    if log:
        logger.info("repaired %d invalid geometries with make_valid", int(bad.sum()))
    return out


def overlay(op: Callable[..., Any], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Apply the vectorised overlay ``op(a, b)``; on a GEOS topology error, repair and retry.

    Parameters
    ----------
    op : callable
        A shapely overlay such as :func:`shapely.intersection` or :func:`shapely.difference`.
    a, b : ndarray of shapely geometries
        Its operands, pairwise.

    Returns
    -------
    ndarray
        ``op(a, b)``, or ``op`` of the repaired operands after a topology error.
    """
    try:
        return op(a, b)
    except shapely.errors.GEOSException:
        logger.info("topology error in %s; repairing %d input pairs", op.__name__, len(a))
        return op(repaired(a), repaired(b))


def union_all(geoms: np.ndarray) -> Any:
    """Union ``geoms``; on a GEOS topology error, repair the invalid inputs and retry.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Polygonal geometries.

    Returns
    -------
    shapely geometry
        Their union.
    """
    try:
        return shapely.union_all(geoms)
    except shapely.errors.GEOSException:
        return shapely.union_all(repaired(geoms))


def polygonal_parts(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of (possibly collection) geometries.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Geometries; collections among them lose their points and lines.

    Returns
    -------
    ndarray
        A copy, each collection replaced by the union of its polygons, and points and lines
        (``make_valid`` of a ring along a line gives lines) by an empty polygon.

    Examples
    --------
    >>> flat = shapely.Polygon([(0, 0), (2, 2), (1, 1)])
    >>> [g.wkt for g in polygonal_parts(np.array([shapely.make_valid(flat)]))]
    ['POLYGON EMPTY']
    """
    out = geoms.copy()
    types = shapely.get_type_id(out)
    out[~np.isin(types, [3, 6, 7])] = shapely.Polygon()
    coll = types == 7
    for i in np.flatnonzero(coll):
        parts = shapely.get_parts(out[i])
        parts = parts[np.isin(shapely.get_type_id(parts), [3, 6])]
        out[i] = shapely.union_all(parts) if len(parts) else shapely.Polygon()
    return out
