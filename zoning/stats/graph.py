"""Graph and ordering helpers of the dissolve: stable sorts, connected groups, apart envelopes.

Kept apart from :mod:`zoning.stats.dissolve` so that the dissolve and the measure-first order
(:mod:`zoning.stats.order`) share them; :mod:`zoning.stats.dissolve` re-exports them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["connected_components", "envelopes_apart", "lexsort"]


def lexsort(keys: Sequence[np.ndarray]) -> np.ndarray:
    """:func:`numpy.lexsort` (last key primary, stable), sorting by the other keys only on ties.

    A stable sort by the primary key, then a full :func:`numpy.lexsort` of the runs of equal
    primary keys (NaNs equal to each other, as both sorts place them): the same permutation,
    several times faster when the primary key has few ties (group ids of mostly single
    features, envelopes' x).

    >>> lexsort((np.array([2, 1, 0, 5]), np.array([1, 0, 1, 0]))).tolist()
    [1, 3, 2, 0]
    """
    primary = np.asarray(keys[-1])
    order = np.argsort(primary, kind="stable")
    if len(keys) == 1 or len(order) < 2:
        return order
    p = primary[order]
    tie = p[1:] == p[:-1]
    if p.dtype.kind == "f":
        tie |= np.isnan(p[1:]) & np.isnan(p[:-1])
    if not tie.any():
        return order
    sel = np.flatnonzero(np.r_[tie, False] | np.r_[False, tie])
    run = np.cumsum(np.r_[True, ~tie])[sel]  # run of equal primary keys of each tied row
    sub = order[sel]  # by run, then row (the stable sort)
    order[sel] = sub[np.lexsort((*(np.asarray(k)[sub] for k in keys[:-1]), run))]
    return order


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Label each of ``n`` nodes with its connected component under the edges ``left–right``.

    Components are numbered 0, 1, … in the order of their lowest node, as
    :func:`scipy.sparse.csgraph.connected_components` numbers them (undirected), so the
    dissolve's piece order is the same; this union-find in numpy spares ``zoning stats`` the
    import of :mod:`scipy.sparse` (about 0.1 s). Each round hooks the larger root of every edge
    that joins two trees onto the smaller one, then points every node straight at its root, so a
    root is always the lowest node of its tree.

    Parameters
    ----------
    n : int
        Number of nodes (0 … n - 1).
    left, right : ndarray of int
        The two ends of each edge (any order; repeated edges and loops are allowed).

    Returns
    -------
    ndarray of int64
        The component of each node.

    Examples
    --------
    >>> connected_components(6, np.array([4, 1, 5]), np.array([1, 2, 4])).tolist()
    [0, 1, 1, 2, 1, 1]
    """
    parent = np.arange(n, dtype=np.int64)
    a = np.asarray(left, dtype=np.int64)
    b = np.asarray(right, dtype=np.int64)
    while len(a):
        ra, rb = parent[a], parent[b]  # roots: every node points at its root
        joins = ra != rb
        if not joins.any():
            break
        a, b, ra, rb = a[joins], b[joins], ra[joins], rb[joins]  # the others stay inside a tree
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:  # point every node at its root again
            up = parent[parent]
            if np.array_equal(up, parent):
                break
            parent = up
    return np.unique(parent, return_inverse=True)[1].astype(np.int64)


def envelopes_apart(bounds: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Tell which pairs have envelopes that meet only along a line (or at a corner).

    A polygon's interior lies in the interior of its envelope, so where two envelopes overlap
    with zero width or height the features' interiors are disjoint: the kernel's answer (0
    within its rounding bound), without walking the boundaries.

    Parameters
    ----------
    bounds : ndarray, shape (n, 4)
        Envelope ``(xmin, ymin, xmax, ymax)`` of each feature.
    left, right : ndarray of int
        The pairs (candidates whose closed envelopes meet).

    Returns
    -------
    ndarray of bool
        True where the features' interiors are proved disjoint.

    Examples
    --------
    >>> b = np.array([[0.0, 0, 1, 1], [1, 0, 2, 1], [0.5, 0.5, 3, 3], [2, 1, 3, 2]])
    >>> envelopes_apart(b, np.array([0, 0, 0]), np.array([1, 2, 3])).tolist()
    [True, False, True]
    """
    bl, br = bounds[left], bounds[right]
    flat_x = np.minimum(bl[:, 2], br[:, 2]) <= np.maximum(bl[:, 0], br[:, 0])
    flat_y = np.minimum(bl[:, 3], br[:, 3]) <= np.maximum(bl[:, 1], br[:, 1])
    return flat_x | flat_y
