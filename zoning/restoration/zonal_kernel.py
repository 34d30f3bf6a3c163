"""Fused numba reductions of one raster chunk over the interior runs and boundary cells.

One pass over the cells of a chunk that lie in some zone gives, per interior run, the sum of
the valid values and the number of valid cells, and per boundary cell its value and validity
(:func:`reduce_chunk`). Cells outside every zone are not read.

The run sums are computed in float64 with *exactly* the arithmetic of
``numpy.add.reduceat`` over a float64 copy of the run — the first value plus numpy's pairwise
sum of the rest (blocks of 128, eight accumulators) — so the statistics are bitwise those of
the plain numpy path (``tests/test_restoration_zonal_kernel.py`` checks it), only without the
float64 copy, the separate NaN and nodata scans and the gather passes.
"""

from __future__ import annotations

import numpy as np

from zoning.jit import njit
from zoning.restoration.zonal_lanes import lanes8, lanes8_valid

__all__ = ["pairwise_sum", "reduce_chunk"]

_BLOCK = 128  # numpy's PW_BLOCKSIZE
_DEPTH = 64  # levels of the pairwise split tree; 2**64 cells never occur


@njit(cache=True, nogil=True, inline="always")
def _value(v, nodata, has_nodata, masked):  # pragma: no cover - compiled
    """``float64(v)``; 0.0 when ``masked`` and ``v`` is NaN or ``nodata``."""
    if masked and (v != v or (has_nodata and v == nodata)):
        return 0.0
    return np.float64(v)


@njit(cache=True, nogil=True, inline="always")
def _contiguous(data, at, n, acc, nodata, has_nodata, masked):  # pragma: no cover - compiled
    """Sum ``float64(data[at : at + n])``, ``n <= 128``, as a leaf of numpy's ``pairwise_sum``.

    Eight accumulators (lanes of one vector, :mod:`zoning.restoration.zonal_lanes`) over the
    first ``n - n % 8`` values, combined as numpy combines them, then the rest one by one;
    fewer than eight values are added one by one from 0.0. ``acc`` is 8 float64 of scratch.
    """
    if n < 8:
        res = 0.0
        for i in range(at, at + n):
            res += _value(data[i], nodata, has_nodata, masked)
        return res
    m = n - n % 8
    if masked:
        lanes8_valid(data, at, at + m, acc, nodata, has_nodata)
    else:
        lanes8(data, at, at + m, acc)
    res = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
    for i in range(at + m, at + n):
        res += _value(data[i], nodata, has_nodata, masked)
    return res


@njit(cache=True, nogil=True, inline="always")
def _leaf(
    data, tile_start, bw, row, c, n, buf, acc, nodata, has_nodata, masked
):  # pragma: no cover
    """Pairwise sum of the ``n`` (at most 128) cells from column ``c`` of block-row row ``row``.

    Cells lie in blocks ``bw`` wide, block ``j`` of the row starting at ``tile_start[j]``;
    a run of cells that crosses a block edge is gathered into ``buf`` first.
    """
    if tile_start.size == 1:  # one block: row-major, no division
        j = 0
        cc = c
    else:
        j = c // bw
        cc = c - j * bw
    at = tile_start[j] + row * bw + cc
    if cc + n <= bw:
        return _contiguous(data, at, n, acc, nodata, has_nodata, masked)
    done = 0
    while done < n:
        take = min(n - done, bw - cc)
        for k in range(take):
            buf[done + k] = data[at + k]
        done += take
        j += 1
        cc = 0
        if done < n:
            at = tile_start[j] + row * bw
    return _contiguous(buf, 0, n, acc, nodata, has_nodata, masked)


@njit(cache=True, nogil=True)
def _tiled_pairwise(
    data, tile_start, bw, row, c, n, buf, acc, nodata, has_nodata, masked, frames, values
):  # pragma: no cover - compiled
    """Sum cells stored in blocks as numpy's ``pairwise_sum`` does (same splits, same result).

    numpy's recursion (halve, rounded down to a multiple of 8, down to leaves of at most 128
    cells) is run with an explicit stack, and the leaves are inlined: numba's cache cannot
    reload recursive functions, and a call per leaf would cost as much as the leaf.
    ``frames`` (int64, ``(3 * _DEPTH, 3)``) and ``values`` (float64, ``_DEPTH``) are scratch.
    """
    if n <= _BLOCK:
        return _leaf(data, tile_start, bw, row, c, n, buf, acc, nodata, has_nodata, masked)
    top = 0
    frames[0, 0] = c
    frames[0, 1] = n
    frames[0, 2] = 0
    nv = 0
    while top >= 0:
        fc = frames[top, 0]
        fn = frames[top, 1]
        stage = frames[top, 2]
        top -= 1
        if fn <= _BLOCK:
            values[nv] = _leaf(
                data, tile_start, bw, row, fc, fn, buf, acc, nodata, has_nodata, masked
            )
            nv += 1
        elif stage == 1:
            nv -= 1
            values[nv - 1] = values[nv - 1] + values[nv]
        else:
            n2 = fn // 2
            n2 -= n2 % 8
            frames[top + 1, 0] = fc  # combine, after both halves
            frames[top + 1, 1] = fn
            frames[top + 1, 2] = 1
            frames[top + 2, 0] = fc + n2  # right half, second
            frames[top + 2, 1] = fn - n2
            frames[top + 2, 2] = 0
            frames[top + 3, 0] = fc  # left half, first
            frames[top + 3, 1] = n2
            frames[top + 3, 2] = 0
            top += 3
    return values[0]


@njit(cache=True, nogil=True)
def _cell(data, tile_start, bw, row, c):  # pragma: no cover - compiled
    j = c // bw
    return data[tile_start[j] + row * bw + (c - j * bw)]


@njit(cache=True, nogil=True)
def _run_sum(
    data, tile_start, bw, row, c, n, buf, acc, nodata, has_nodata, masked, frames, values
):  # pragma: no cover - compiled
    """``numpy.add.reduceat`` of one run: the first value, plus the pairwise sum of the rest."""
    first = _value(_cell(data, tile_start, bw, row, c), nodata, has_nodata, masked)
    if n == 1:
        return first
    return first + _tiled_pairwise(
        data,
        tile_start,
        bw,
        row,
        c + 1,
        n - 1,
        buf,
        acc,
        nodata,
        has_nodata,
        masked,
        frames,
        values,
    )


@njit(cache=True, nogil=True)
def _valid_count(data, tile_start, bw, row, c, n, nodata, has_nodata):  # pragma: no cover
    """Count the cells of a run that are neither NaN nor ``nodata``, block by block."""
    cnt = 0
    left = n
    while left > 0:
        j = 0 if tile_start.size == 1 else c // bw
        cc = c - j * bw
        take = min(left, bw - cc) if tile_start.size > 1 else left
        at = tile_start[j] + row * bw + cc
        for i in range(at, at + take):
            v = data[i]
            if not (v != v or (has_nodata and v == nodata)):
                cnt += 1
        c += take
        left -= take
    return cnt


@njit(cache=True, nogil=True, inline="always")
def _boundary(data, b_pos, k, nodata, has_nodata, b_val, b_ok):  # pragma: no cover - compiled
    v = data[b_pos[k]]
    ok = not (v != v or (has_nodata and v == nodata))
    b_ok[k] = ok
    b_val[k] = np.float64(v) if ok else 0.0


@njit(cache=True, nogil=True)
def _reduce_chunk(
    data,
    tile_start,
    bw,
    starts,
    r_row,
    r_col,
    r_len,
    b_local,
    b_pos,
    nodata,
    has_nodata,
    run_sum,
    run_cnt,
    b_val,
    b_ok,
):  # pragma: no cover - compiled
    buf = np.empty(_BLOCK, dtype=data.dtype)
    acc = np.empty(8)
    frames = np.empty((3 * _DEPTH, 3), dtype=np.int64)
    values = np.empty(_DEPTH)
    kb = 0
    n_b = b_pos.size
    for k in range(r_row.size):
        # the boundary cells before this run, in raster order: most sit beside a run, so
        # their cache lines are the run's (read apart, each cost a trip to memory)
        while kb < n_b and b_local[kb] < starts[k]:
            _boundary(data, b_pos, kb, nodata, has_nodata, b_val, b_ok)
            kb += 1
        row = r_row[k]
        c = r_col[k]
        n = r_len[k]
        if not has_nodata:
            total = _run_sum(
                data, tile_start, bw, row, c, n, buf, acc, nodata, False, False, frames, values
            )
            if total == total:
                run_sum[k] = total
                run_cnt[k] = n
                continue
        # NaN or nodata: sum the valid cells only, count them
        run_sum[k] = _run_sum(
            data, tile_start, bw, row, c, n, buf, acc, nodata, has_nodata, True, frames, values
        )
        run_cnt[k] = _valid_count(data, tile_start, bw, row, c, n, nodata, has_nodata)
    while kb < n_b:
        _boundary(data, b_pos, kb, nodata, has_nodata, b_val, b_ok)
        kb += 1


def pairwise_sum(values: np.ndarray) -> float:
    """Return ``numpy.add.reduceat(values.astype(float64), [0])[0]``, computed without a copy.

    Parameters
    ----------
    values : numpy.ndarray
        1-D array of numbers (any real dtype), at least one value.

    Returns
    -------
    float
        The float64 sum, bitwise equal to numpy's.

    Examples
    --------
    >>> pairwise_sum(np.arange(10, dtype=np.float32))
    45.0
    """
    flat = np.ascontiguousarray(values).reshape(-1)
    buf = np.empty(_BLOCK, dtype=flat.dtype)
    starts = np.zeros(1, dtype=np.int64)
    zero = flat.dtype.type(0)
    acc = np.empty(8)
    frames = np.empty((3 * _DEPTH, 3), dtype=np.int64)
    values = np.empty(_DEPTH)
    return float(
        _run_sum(
            flat, starts, flat.size, 0, 0, flat.size, buf, acc, zero, False, False, frames, values
        )
    )


def reduce_chunk(
    data: np.ndarray,
    tile_start: np.ndarray,
    block_width: int,
    width: int,
    starts: np.ndarray,
    stops: np.ndarray,
    b_local: np.ndarray,
    nodata: float | None,
    run_sum: np.ndarray,
    run_cnt: np.ndarray,
    b_val: np.ndarray,
    b_ok: np.ndarray,
) -> None:
    """Reduce one chunk of rows over its interior runs and boundary cells, in one pass.

    The chunk's cells are stored in blocks: block ``j`` holds columns
    ``j * block_width …`` of every row of the chunk, row-major, from ``data[tile_start[j]]``
    (a plain row-major chunk is one block: ``tile_start = [0]``, ``block_width = width``).
    Blocks may lie anywhere in ``data``, e.g. a memory map of a tiled GeoTIFF.

    Parameters
    ----------
    data : numpy.ndarray
        1-D array holding the blocks.
    tile_start : numpy.ndarray
        int64 index in ``data`` of each block's first cell.
    block_width : int
        Columns per block (the last block may use fewer).
    width : int
        Columns of the grid.
    starts, stops : numpy.ndarray
        int64 ``[start, stop)`` of the interior runs in the chunk, as ``row * width + col``
        from the chunk's first row (each run within one row, ``stop > start``).
    b_local : numpy.ndarray
        int64 ``row * width + col`` of the boundary cells in the chunk.
    nodata : float or None
        Cells equal to it (after casting to the data's dtype) are invalid; NaN always is.
    run_sum, run_cnt : numpy.ndarray
        float64 outputs, one per run: the sum of the valid values (numpy's ``add.reduceat``
        arithmetic on float64, bitwise) and the number of valid cells.
    b_val, b_ok : numpy.ndarray
        Outputs, one per boundary cell: float64 value (0 where invalid) and validity.

    Examples
    --------
    >>> data = np.array([1.0, np.nan, 2.0, 4.0])
    >>> s, c = np.zeros(1), np.zeros(1)
    >>> v, ok = np.zeros(1), np.zeros(1, dtype=bool)
    >>> one = np.zeros(1, dtype=np.int64)
    >>> reduce_chunk(data, one, 4, 4, np.array([0]), np.array([3]), np.array([3]), None, s, c, v, ok)
    >>> s.tolist(), c.tolist(), v.tolist(), ok.tolist()
    ([3.0], [2.0], [4.0], [True])
    """
    has_nodata = nodata is not None and not np.isnan(nodata)
    value = data.dtype.type(nodata) if has_nodata else data.dtype.type(0)
    r_row = starts // width  # numpy divides by a constant fast (libdivide); numba would not
    r_col = starts - r_row * width
    if tile_start.size == 1:
        b_pos = b_local + tile_start[0]
    else:
        b_row = b_local // width
        b_col = b_local - b_row * width
        tile = b_col // block_width
        b_pos = tile_start[tile] + b_row * block_width + (b_col - tile * block_width)
    _reduce_chunk(
        data,
        tile_start,
        int(block_width),
        starts,
        r_row,
        r_col,
        stops - starts,
        b_local,
        b_pos,
        value,
        has_nodata,
        run_sum,
        run_cnt,
        b_val,
        b_ok,
    )
