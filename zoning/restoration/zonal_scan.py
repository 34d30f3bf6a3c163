"""The scan line of the zone index in numba: edge pieces, their sums per cell, the runs.

:func:`~zoning.restoration.zonal.build_zone_index` describes the method (Green's theorem on
the pieces of the polygon edges cut at every grid line). Here it runs in three compiled
passes instead of numpy's sorts and gathers:

1. :func:`edge_pieces` walks every edge from its start, cutting it at each integer row and
   each piece at each integer column (crossing points by the same arithmetic as before:
   ``b0 + t (b1 − b0)`` with ``t = (k − a0) / (a1 − a0)``), and gives each piece its cell,
   its partial area ``(x̄ − c − 1) dy`` and its ``dy``;
2. :func:`piece_order` sorts the pieces by (zone, row, column) with counting sorts, one
   digit at a time (ties keep the order of the walk);
3. :func:`scan_cells` sums the pieces of each cell in that order, carries the running sum of
   ``dy`` along each row and emits the boundary cells with their fractions and the interior
   runs between them.

Sums are taken in the order numpy's ``bincount`` and ``cumsum`` took them, so the zone index
is bitwise the one of the vectorised numpy version (``tests/test_restoration_zonal_scan.py``
keeps that version as its reference).
"""

from __future__ import annotations

import math

import numpy as np

from zoning.jit import njit

__all__ = ["edge_pieces", "piece_order", "scan_cells", "stable_order"]


@njit(cache=True, nogil=True, inline="always")
def _crossings(a0, a1):  # pragma: no cover - compiled
    """Integer values strictly between ``a0`` and ``a1``: count, first, step (towards a1)."""
    count = max(math.ceil(max(a0, a1)) - math.floor(min(a0, a1)) - 1.0, 0.0)
    if a1 > a0:
        return int(count), math.floor(a0) + 1.0, 1.0
    return int(count), math.ceil(a0) - 1.0, -1.0


@njit(cache=True, nogil=True)
def _walk(c0, r0, c1, r1, ez, height, width, zone, row, col, part, dy, fill):  # pragma: no cover
    n = 0
    for e in range(c0.size):
        a0, b0, a1, b1 = r0[e], c0[e], r1[e], c1[e]
        n_rows, first, step = _crossings(a0, a1)
        pa, pb = a0, b0
        for i in range(n_rows + 1):
            if i < n_rows:
                qa = first + step * i
                t = (qa - a0) / (a1 - a0)
                qb = b0 + t * (b1 - b0)
            else:
                qa, qb = a1, b1
            # the piece (row pa, col pb) -> (row qa, col qb), cut at each integer column
            n_cols, cfirst, cstep = _crossings(pb, qb)
            sa, sb = pb, pa  # (col, row) of the current point
            for j in range(n_cols + 1):
                if j < n_cols:
                    ua = cfirst + cstep * j
                    tt = (ua - pb) / (qb - pb)
                    ub = pa + tt * (qa - pa)
                else:
                    ua, ub = qb, qa
                r = math.floor(0.5 * (sb + ub))
                cm = 0.5 * (sa + ua)
                c = math.floor(cm)
                if 0 <= r < height and c < width:
                    if fill:
                        d = ub - sb
                        zone[n] = ez[e]
                        row[n] = r
                        if c < 0:
                            col[n] = -1
                            part[n] = 0.0
                        else:
                            col[n] = c
                            part[n] = (cm - c - 1.0) * d
                        dy[n] = d
                    n += 1
                sa, sb = ua, ub
            pa, pb = qa, qb
    return n


def edge_pieces(
    c0: np.ndarray,
    r0: np.ndarray,
    c1: np.ndarray,
    r1: np.ndarray,
    edge_zone: np.ndarray,
    height: int,
    width: int,
) -> tuple[np.ndarray, ...]:
    """Cut the edges into one piece per cell, in walking order.

    Parameters
    ----------
    c0, r0, c1, r1 : numpy.ndarray
        float64 edge ends in pixel coordinates (column, row).
    edge_zone : numpy.ndarray
        int64 zone of each edge.
    height, width : int
        Grid size; pieces in rows outside the grid or in columns right of it are dropped.

    Returns
    -------
    tuple of numpy.ndarray
        ``(zone, row, col, partial, dy)`` per piece: pieces left of the grid get column -1
        and no partial area (they only carry ``dy`` into the row).
    """
    args = (c0, r0, c1, r1, edge_zone, int(height), int(width))
    empty_i = np.zeros(0, dtype=np.int64)
    empty_f = np.zeros(0)
    n = _walk(*args, empty_i, empty_i, empty_i, empty_f, empty_f, False)
    out = (
        np.empty(n, dtype=np.int64),
        np.empty(n, dtype=np.int64),
        np.empty(n, dtype=np.int64),
        np.empty(n),
        np.empty(n),
    )
    _walk(*args, *out, True)
    return out


@njit(cache=True, nogil=True)
def _count_sort(keys, order, n_keys):  # pragma: no cover - compiled
    """Stable counting sort of ``order`` by ``keys[order]`` (``0 <= keys < n_keys``)."""
    count = np.zeros(n_keys + 1, dtype=np.int64)
    for i in order:
        count[keys[i] + 1] += 1
    for k in range(n_keys):
        count[k + 1] += count[k]
    out = np.empty_like(order)
    for i in order:
        k = keys[i]
        out[count[k]] = i
        count[k] += 1
    return out


@njit(cache=True, nogil=True)
def _order_in_zones(zone, row, col):  # pragma: no cover - compiled
    order = np.empty(zone.size, dtype=np.int64)
    by_col = np.empty(zone.size, dtype=np.int64)
    s = 0
    while s < zone.size:
        e = s
        while e < zone.size and zone[e] == zone[s]:
            e += 1
        r_lo, r_hi = row[s], row[s]
        c_lo, c_hi = col[s], col[s]
        for i in range(s, e):
            r_lo, r_hi = min(r_lo, row[i]), max(r_hi, row[i])
            c_lo, c_hi = min(c_lo, col[i]), max(c_hi, col[i])
        count = np.zeros(c_hi - c_lo + 2, dtype=np.int64)
        for i in range(s, e):
            count[col[i] - c_lo + 1] += 1
        for k in range(c_hi - c_lo + 1):
            count[k + 1] += count[k]
        for i in range(s, e):
            k = col[i] - c_lo
            by_col[s + count[k]] = i
            count[k] += 1
        count = np.zeros(r_hi - r_lo + 2, dtype=np.int64)
        for i in range(s, e):
            count[row[i] - r_lo + 1] += 1
        for k in range(r_hi - r_lo + 1):
            count[k + 1] += count[k]
        for t in range(s, e):
            i = by_col[t]
            k = row[i] - r_lo
            order[s + count[k]] = i
            count[k] += 1
        s = e
    return order


def piece_order(
    pieces: tuple[np.ndarray, ...], n_zones: int, height: int, width: int
) -> np.ndarray:
    """Return the order of the pieces by (zone, row, column), ties in walking order.

    Edges come zone after zone, so the pieces do too: each zone's pieces are sorted on their
    own, by counting sorts over the zone's own rows and columns (they stay in the cache). If
    the zones are not in order, three counting sorts over the whole grid do it
    (:func:`stable_order`).
    """
    zone, row, col = pieces[:3]
    if zone.size and bool(np.all(zone[1:] >= zone[:-1])):
        return _order_in_zones(zone, row, col)
    return stable_order([(zone, n_zones), (row, height), (col + 1, width + 1)])


def stable_order(digits: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Return the stable sort order by several integer keys, most significant first.

    Parameters
    ----------
    digits : list of (numpy.ndarray, int)
        ``(keys, n_keys)`` pairs, int64 keys in ``[0, n_keys)``, all of one length.

    Returns
    -------
    numpy.ndarray
        int64 permutation: sorted by the first keys, then the second …, ties in input order.

    Examples
    --------
    >>> stable_order([(np.array([1, 0, 1, 0]), 2), (np.array([0, 1, 0, 0]), 2)]).tolist()
    [3, 1, 0, 2]
    """
    order = np.arange(digits[0][0].size, dtype=np.int64)
    for keys, n_keys in reversed(digits):
        order = _count_sort(np.ascontiguousarray(keys, dtype=np.int64), order, int(n_keys))
    return order


@njit(cache=True, nogil=True)
def _scan(
    zone, row, col, part, dy, order, sign, eps, width, out_b, out_bf, out_r
):  # pragma: no cover
    n_b = 0
    n_r = 0
    cum = 0.0
    m = order.size
    k = 0
    base_cum = 0.0  # cum - dsum at the first cell of the current (zone, row)
    prev_z = -1
    prev_r = -1
    first_key = True
    while k < m:
        i = order[k]
        z, r, c = zone[i], row[i], col[i]
        psum = 0.0
        dsum = 0.0
        while k < m:  # the pieces of this cell, in walking order
            j = order[k]
            if zone[j] != z or row[j] != r or col[j] != c:
                break
            psum += part[j]
            dsum += dy[j]
            k += 1
        cum = dsum if first_key else cum + dsum
        first_key = False
        if z != prev_z or r != prev_r:
            base_cum = cum - dsum
            prev_z, prev_r = z, r
        carry_after = -(cum - base_cum) * sign
        carry_before = carry_after - (-dsum * sign)
        frac = (psum * sign) + carry_before
        if c >= 0 and frac > eps:
            f = min(max(frac, 0.0), 1.0)
            if f > 1.0 - eps:
                f = 1.0
            out_b[n_b, 0] = z
            out_b[n_b, 1] = r
            out_b[n_b, 2] = c
            out_bf[n_b] = f
            n_b += 1
        # the run after this cell: to the next cell of the row and zone, or the grid's edge
        stop = width
        if k < m:
            j = order[k]
            if zone[j] == z and row[j] == r:
                stop = col[j]
        start = max(c + 1, 0)
        if np.rint(carry_after) >= 1 and stop > start:
            out_r[n_r, 0] = z
            out_r[n_r, 1] = r
            out_r[n_r, 2] = start
            out_r[n_r, 3] = stop
            n_r += 1
    return n_b, n_r


def scan_cells(
    pieces: tuple[np.ndarray, ...], order: np.ndarray, sign: float, eps: float, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum the pieces cell by cell along each row: boundary cells and interior runs.

    Parameters
    ----------
    pieces : tuple of numpy.ndarray
        ``(zone, row, col, partial, dy)`` from :func:`edge_pieces`.
    order : numpy.ndarray
        Their order by (zone, row, column), ties in walking order (:func:`stable_order`).
    sign : float
        -1.0 when the grid flips orientation (north-up), else 1.0.
    eps : float
        Fractions at most ``eps`` are dropped, above ``1 - eps`` set to 1.
    width : int
        Columns of the grid (the last run of a row may reach it).

    Returns
    -------
    tuple of numpy.ndarray
        ``cells`` (int64 ``(n, 3)``: zone, row, column) and ``fractions`` of the boundary
        cells, and ``runs`` (int64 ``(m, 4)``: zone, row, first column, end column), all in
        (zone, row, column) order.
    """
    n = order.size  # at most one boundary cell and one run per cell with pieces
    cells = np.empty((n, 3), dtype=np.int64)
    fractions = np.empty(n)
    runs = np.empty((n, 4), dtype=np.int64)
    n_b, n_r = _scan(*pieces, order, sign, eps, int(width), cells, fractions, runs)
    return cells[:n_b].copy(), fractions[:n_b].copy(), runs[:n_r].copy()
