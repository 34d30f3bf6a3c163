"""Near-coincident features: the same polygon delivered twice (issue 12).

A water source delivered once in EPSG:4490 and once in Gauss–Krüger EPSG:4547 gives two
features whose coordinates differ by less than 1e-8 m after reprojection. They overlap, so the
statistics' dissolve links them into one group — but the union of such a group is then built by
GEOS, and an overlay of nearly coincident edges is where floating-point overlays fail: on the
demo's water sources it returned a MultiPolygon 18.5 % larger than either copy, so the province
and city figures double counted while the counties (clipped first) did not. Copies agreeing to
:data:`NEAR_DUPLICATE_M` everywhere are the same feature: :func:`near_duplicate_rows` picks the
copies to drop before any union (one of each set is kept, in an order independent of the input
rows), and :func:`near_duplicate_pairs` finds them for ``zoning layers check``.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["NEAR_DUPLICATE_M", "near_duplicate_pairs", "near_duplicate_rows"]

#: Two features whose boundaries lie within this distance of each other (metres) everywhere
#: are one feature: no survey or digitising of planning data is finer than a millimetre.
NEAR_DUPLICATE_M = 1e-3


def near_duplicate_pairs(
    geoms: np.ndarray,
    tolerance: float = NEAR_DUPLICATE_M,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Pairs ``(i, j)``, ``i < j``, of near-coincident polygons (in a metric CRS).

    Near-coincident: envelopes equal within ``tolerance``, areas differing by at most
    ``tolerance × perimeter`` (what moving the boundary by ``tolerance`` can change), and the
    vertices of each within ``tolerance`` of the other (discrete Hausdorff distance).

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Polygons in a CRS measured in metres.
    tolerance : float
        Metres.
    pairs : (left, right), optional
        Candidate pairs with overlapping envelopes (an ``STRtree`` query), when known.

    Returns
    -------
    ndarray of shape (k, 2)
        Sorted by ``i``, then ``j``.

    Examples
    --------
    >>> from shapely import box
    >>> g = np.array([box(0, 0, 10, 10), box(5, 5, 20, 20), box(0, 0, 10, 10 + 1e-9)])
    >>> near_duplicate_pairs(g).tolist()
    [[0, 2]]
    """
    geoms = np.asarray(geoms, dtype=object)
    if pairs is None:
        left, right = shapely.STRtree(geoms).query(geoms)
    else:
        left, right = pairs
    keep = left < right
    left, right = left[keep], right[keep]
    if not len(left):
        return np.empty((0, 2), dtype=np.int64)
    bounds = shapely.bounds(geoms)
    close = (np.abs(bounds[left] - bounds[right]) <= tolerance).all(axis=1)
    left, right = left[close], right[close]
    if not len(left):
        return np.empty((0, 2), dtype=np.int64)
    area = shapely.area(geoms)
    perimeter = shapely.length(geoms)
    slack = tolerance * np.maximum(perimeter[left], perimeter[right]) + 1e-12
    close = np.abs(area[left] - area[right]) <= slack
    left, right = left[close], right[close]
    if len(left):
        close = shapely.hausdorff_distance(geoms[left], geoms[right]) <= tolerance
        left, right = left[close], right[close]
    order = np.lexsort((right, left))
    return np.stack([left[order], right[order]], axis=1).astype(np.int64)


def near_duplicate_rows(
    geoms: np.ndarray,
    zones: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
    tolerance: float = NEAR_DUPLICATE_M,
) -> np.ndarray:
    """Mask of the features that are near-coincident copies of another of the same zone.

    Of each set of copies the one first in a canonical order (envelope, then area, then
    coordinates) is kept, so permuting the input rows changes nothing.

    Examples
    --------
    >>> from shapely import box
    >>> g = np.array([box(0, 0, 10, 10 + 1e-9), box(0, 0, 10, 10), box(0, 0, 10, 10)])
    >>> near_duplicate_rows(g, np.array(["a", "a", "b"], dtype=object)).tolist()
    [True, False, False]
    """
    n = len(geoms)
    drop = np.zeros(n, dtype=bool)
    dup = near_duplicate_pairs(geoms, tolerance, pairs)
    if not len(dup):
        return drop
    zones = np.asarray(zones, dtype=object)
    dup = dup[zones[dup[:, 0]] == zones[dup[:, 1]]]
    if not len(dup):
        return drop
    # imported only when there are copies: zoning stats on clean layers never loads scipy.sparse
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(dup), dtype=np.int8), (dup[:, 0], dup[:, 1])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    involved = np.unique(dup)
    bounds = shapely.bounds(geoms[involved])
    area = shapely.area(geoms[involved])
    wkb = np.array([shapely.to_wkb(g) for g in geoms[involved]], dtype=object)
    order = sorted(
        range(len(involved)),
        key=lambda k: (comp[involved[k]], *bounds[k], area[k], wkb[k]),
    )
    seen: set[int] = set()
    for k in order:
        c = int(comp[involved[k]])
        if c in seen:
            drop[involved[k]] = True
        else:
            seen.add(c)
    return drop
