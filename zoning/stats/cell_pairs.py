"""The numba loop of :func:`zoning.stats.envelope_join.envelope_pairs`: pairs within grid cells.

Imported by the envelope join only when it runs (numba is not loaded with the module).
"""

from __future__ import annotations

import numpy as np

from zoning.jit import njit  # numba.njit; a broken cache falls back to no cache

__all__ = ["cell_pairs"]


def cell_pairs(
    cell: np.ndarray,
    feat: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ix0: np.ndarray,
    iy0: np.ndarray,
    nx: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of entries of one cell whose envelopes intersect, reported in that cell only.

    Entry ``k`` puts feature ``feat[k]`` in cell ``cell[k]`` (sorted by cell). For every cell,
    every two entries ``i < j`` in it give the pair ``(feat[i], feat[j])`` when the envelopes
    ``bounds = (x0, y0, x1, y1)`` intersect (boundaries included) and the cell is that of
    their common lower-left corner, ``max(iy0) * nx + max(ix0)``. Pairs come cell by cell,
    then by ``i``, then by ``j``: the order of the vectorised candidates this loop replaces.

    Parameters
    ----------
    cell, feat : ndarray of int64
        The entries, sorted by cell.
    bounds : tuple of ndarray of float
        ``x0, y0, x1, y1`` of each feature.
    ix0, iy0 : ndarray of int64
        Grid column and row of each feature's lower-left corner.
    nx : int
        Columns of the grid (cell ``iy * nx + ix``).

    Returns
    -------
    a, b : ndarray of int64
        The pairs' features, ``a`` from the earlier entry.

    Examples
    --------
    Three envelopes in one cell: ``[0, 2]²`` meets ``[1, 2]²``, not ``[3, 4] x [0, 1]``:

    >>> box = (np.array([0.0, 1, 3]), np.array([0.0, 1, 0]), np.array([2.0, 2, 4]),
    ...        np.array([2.0, 2, 1]))
    >>> zero = np.zeros(3, dtype=np.int64)
    >>> a, b = cell_pairs(zero, np.arange(3), box, zero, zero, 1)
    >>> a.tolist(), b.tolist()
    ([0], [1])
    """
    x0, y0, x1, y1 = (np.ascontiguousarray(v, dtype=np.float64) for v in bounds)
    args = (
        np.ascontiguousarray(cell, dtype=np.int64),
        np.ascontiguousarray(feat, dtype=np.int64),
        x0,
        y0,
        x1,
        y1,
        np.ascontiguousarray(ix0, dtype=np.int64),
        np.ascontiguousarray(iy0, dtype=np.int64),
        int(nx),
    )
    none = np.empty(0, dtype=np.int64)
    n = _pairs(*args, none, none)  # count, then fill: no bound on the pairs to guess
    a = np.empty(n, dtype=np.int64)
    b = np.empty(n, dtype=np.int64)
    _pairs(*args, a, b)
    return a, b


@njit(cache=True, nogil=True)
def _pairs(cell, feat, x0, y0, x1, y1, ix0, iy0, nx, out_a, out_b):
    """Count the pairs (``out_a`` empty) or write them; return their number."""
    fill = out_a.shape[0] > 0
    n = 0
    total = cell.shape[0]
    s = 0
    while s < total:
        c = cell[s]
        e = s + 1
        while e < total and cell[e] == c:
            e += 1
        for i in range(s, e - 1):
            a = feat[i]
            ax0 = x0[a]
            ay0 = y0[a]
            ax1 = x1[a]
            ay1 = y1[a]
            for j in range(i + 1, e):
                b = feat[j]
                if (
                    ax0 <= x1[b]
                    and x0[b] <= ax1
                    and ay0 <= y1[b]
                    and y0[b] <= ay1
                    and max(iy0[a], iy0[b]) * nx + max(ix0[a], ix0[b]) == c
                ):
                    if fill:
                        out_a[n] = a
                        out_b[n] = b
                    n += 1
        s = e
    return n
