"""The numba loop of :meth:`zoning.stats.units.BoundaryChunks.hits`: boxes meeting a chunk.

The chunks' envelopes are filed in the cells of a grid (sorted by cell key). A box is tested
first against the envelopes filed in the cells it covers (a box on a unit boundary usually
meets one of those), then, when none meets it, against those filed in the margin of one cell
size and one cell more below and to the left (an envelope no larger than a cell that meets
the box is filed there). The array version built every (box, candidate) pair of both rounds
in memory; this loop stops at a box's first hit.

Imported by :mod:`zoning.stats.units` only when it runs (numba is not loaded with the module).
"""

from __future__ import annotations

import numpy as np

from zoning.jit import njit  # numba.njit; a broken cache falls back to no cache

__all__ = ["boxes_meeting_chunks", "warm_up"]


def boxes_meeting_chunks(
    env: np.ndarray,
    key: np.ndarray,
    grid: tuple[float, float, float, int, int],
    boxes: np.ndarray,
) -> np.ndarray:
    """Tell which boxes meet (boundaries included) an envelope filed in their cells' reach.

    Parameters
    ----------
    env : ndarray, shape (m, 4)
        Envelopes ``(xmin, ymin, xmax, ymax)``, sorted by ``key``.
    key : ndarray of int64
        Cell of each envelope, ``col * n_rows + row``, sorted.
    grid : tuple
        ``(x0, y0, size, n_cols, n_rows)``: the grid's lower-left corner, cell size and
        shape.
    boxes : ndarray, shape (k, 4)
        The boxes asked about.

    Returns
    -------
    ndarray of bool
        For each box, whether an envelope filed in the cells from one cell size and one cell
        below and left of it to its upper right corner meets it (for envelopes no larger
        than a cell: whether any envelope meets it).

    Examples
    --------
    Two envelopes in a 2 x 2 grid of unit cells; the box ``[1.5, 1.8]²`` meets the first:

    >>> env = np.array([[0.5, 0.5, 1.6, 1.6], [1.2, 0.1, 1.4, 0.3]])
    >>> key = np.array([0, 2])
    >>> boxes = np.array([[1.5, 1.5, 1.8, 1.8], [0.0, 1.7, 0.2, 1.9]])
    >>> boxes_meeting_chunks(env, key, (0.0, 0.0, 1.0, 2, 2), boxes).tolist()
    [True, False]
    """
    x0, y0, size, n_cols, n_rows = grid
    out = np.zeros(len(boxes), dtype=bool)
    if len(boxes) and len(env):
        _hits(
            np.ascontiguousarray(env, dtype=np.float64),
            np.ascontiguousarray(key, dtype=np.int64),
            float(x0),
            float(y0),
            float(size),
            int(n_cols),
            int(n_rows),
            np.ascontiguousarray(boxes, dtype=np.float64),
            out,
        )
    return out


def warm_up() -> int:
    """Compile the loop (once per install: numba caches it in ``__pycache__``).

    Returns
    -------
    int
        The boxes of the example of :func:`boxes_meeting_chunks` that meet an envelope (1).

    Examples
    --------
    >>> warm_up()
    1
    """
    env = np.array([[0.5, 0.5, 1.6, 1.6], [1.2, 0.1, 1.4, 0.3]])
    boxes = np.array([[1.5, 1.5, 1.8, 1.8], [0.0, 1.7, 0.2, 1.9]])
    return int(boxes_meeting_chunks(env, np.array([0, 2]), (0.0, 0.0, 1.0, 2, 2), boxes).sum())


@njit(cache=True, nogil=True)
def _cell(v, origin, size, n):  # pragma: no cover
    """``clip(floor((v - origin) / size), -1, n)``, as NumPy computes it for the arrays."""
    c = np.floor((v - origin) / size)
    if c < -1.0:
        return -1
    if c > n:
        return n
    return int(c)


@njit(cache=True, nogil=True)
def _first_at_least(key, k):  # pragma: no cover
    """Position of the first entry of the sorted ``key`` not below ``k``."""
    lo = 0
    hi = key.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if key[mid] < k:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def _meets(env, key, n_rows, c0, c1, r0, r1, bx0, by0, bx1, by1):  # pragma: no cover
    """Whether an envelope filed in columns ``c0..c1``, rows ``r0..r1`` meets the box."""
    if r1 < r0:
        return False
    for col in range(c0, c1 + 1):
        lo = _first_at_least(key, col * n_rows + r0)
        hi = _first_at_least(key, col * n_rows + r1 + 1)
        for e in range(lo, hi):
            if env[e, 0] <= bx1 and env[e, 2] >= bx0 and env[e, 1] <= by1 and env[e, 3] >= by0:
                return True
    return False


@njit(cache=True, nogil=True)
def _hits(env, key, x0, y0, size, n_cols, n_rows, boxes, out):  # pragma: no cover
    """Write to ``out[i]`` whether box ``i`` meets an envelope filed in its reach."""
    for i in range(boxes.shape[0]):
        bx0 = boxes[i, 0]
        by0 = boxes[i, 1]
        bx1 = boxes[i, 2]
        by1 = boxes[i, 3]
        if not (bx0 <= bx1 and by0 <= by1):
            continue  # an empty geometry's NaN box meets nothing (out stays False)
        c1 = min(_cell(bx1, x0, size, n_cols), n_cols - 1)
        r1 = min(_cell(by1, y0, size, n_rows), n_rows - 1)
        # the cells the box covers first, then its margin (the same cells again included)
        c0 = max(_cell(bx0, x0, size, n_cols), 0)
        r0 = max(_cell(by0, y0, size, n_rows), 0)
        if _meets(env, key, n_rows, c0, c1, r0, r1, bx0, by0, bx1, by1):
            out[i] = True
            continue
        c0 = max(_cell(bx0 - size, x0, size, n_cols) - 1, 0)
        r0 = max(_cell(by0 - size, y0, size, n_rows) - 1, 0)
        out[i] = _meets(env, key, n_rows, c0, c1, r0, r1, bx0, by0, bx1, by1)
