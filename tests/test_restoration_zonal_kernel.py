"""The fused zonal kernel (zoning.restoration.zonal_kernel): numpy's arithmetic, bitwise."""

from __future__ import annotations

import numpy as np
import pytest

from zoning.restoration.zonal_kernel import pairwise_sum, reduce_chunk

LENGTHS = [*range(1, 140), 255, 256, 257, 1000, 1023, 1025, 4097, 10_000, 33_333]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.uint8])
def test_pairwise_sum_is_numpys_reduceat_bitwise(dtype):
    rng = np.random.default_rng(2)
    for n in LENGTHS:
        if np.issubdtype(dtype, np.integer):
            values = rng.integers(0, 200, n).astype(dtype)
        else:
            values = (rng.standard_normal(n) * 1e3).astype(dtype)
        expected = np.add.reduceat(values.astype(np.float64), [0])[0]
        assert pairwise_sum(values) == expected, (dtype, n)


def _runs(rng, height, width, n_runs):
    rows = rng.integers(0, height, n_runs)
    a = rng.integers(0, width, n_runs)
    b = rng.integers(0, width, n_runs)
    lo, hi = np.minimum(a, b), np.maximum(a, b) + 1
    return rows * width + lo, rows * width + hi


def _reduce(data, tile_start, block_width, width, starts, stops, cells, nodata=None):
    out = (np.zeros(starts.size), np.zeros(starts.size), np.zeros(cells.size))
    ok = np.zeros(cells.size, dtype=bool)
    reduce_chunk(data, tile_start, block_width, width, starts, stops, cells, nodata, *out, ok)
    return (*out, ok)


@pytest.mark.parametrize("nodata", [None, -5.0])
def test_blocks_anywhere_give_the_row_major_results(nodata):
    # a 40 x 70 chunk stored as blocks 16 wide (the last one partial, padded), in reverse
    # order and at odd places of a bigger array, as in a tiled GeoTIFF
    rng = np.random.default_rng(4)
    height, width, bw = 40, 70, 16
    grid = rng.random((height, width)).astype(np.float32)
    grid[rng.random(grid.shape) < 0.03] = np.nan
    grid[rng.random(grid.shape) < 0.03] = -5.0
    n_blocks = -(-width // bw)
    data = np.full(3 + n_blocks * height * bw + 11, 99.0, dtype=np.float32)
    tile_start = np.array([3 + (n_blocks - 1 - j) * height * bw for j in range(n_blocks)])
    for j in range(n_blocks):
        part = grid[:, j * bw : (j + 1) * bw]
        block = data[tile_start[j] : tile_start[j] + height * bw].reshape(height, bw)
        block[:, : part.shape[1]] = part
    starts, stops = _runs(rng, height, width, 300)
    starts = np.r_[starts, 5 * width]  # a whole row, across every block
    stops = np.r_[stops, 6 * width]
    cells = rng.integers(0, height * width, 500)
    one = np.zeros(1, dtype=np.int64)
    flat = grid.reshape(-1)
    expected = _reduce(flat, one, width, width, starts, stops, cells, nodata)
    got = _reduce(data, tile_start, bw, width, starts, stops, cells, nodata)
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(g, e)
    # and the row-major results are numpy's: valid cells summed by add.reduceat in float64
    valid = ~np.isnan(flat) & ((flat != -5.0) if nodata is not None else True)
    masked = np.where(valid, flat, 0).astype(np.float64)
    for k in range(starts.size):
        s, t = starts[k], stops[k]
        assert expected[0][k] == np.add.reduceat(masked[s:t], [0])[0]
        assert expected[1][k] == valid[s:t].sum()
    np.testing.assert_array_equal(expected[3], valid[cells])
    np.testing.assert_array_equal(expected[2], np.where(valid[cells], flat[cells], 0.0))


def test_nan_and_nodata_by_hand():
    data = np.array([1.0, np.nan, 2.0, -9.0, 4.0])
    one = np.zeros(1, dtype=np.int64)
    s, c, v, ok = _reduce(data, one, 5, 5, np.array([0]), np.array([5]), np.array([3, 4]), -9.0)
    assert s.tolist() == [7.0] and c.tolist() == [3.0]
    assert v.tolist() == [0.0, 4.0] and ok.tolist() == [False, True]
    s, c, v, ok = _reduce(data, one, 5, 5, np.array([0]), np.array([5]), np.array([3]), None)
    assert s.tolist() == [-2.0] and c.tolist() == [4.0] and v.tolist() == [-9.0]


@pytest.mark.parametrize("dtype", [np.int16, np.uint8, np.float64])
def test_nodata_runs_of_every_length_are_numpys(dtype):
    # every run length 1 … 300 (leaves of 8-wide lanes, their tails, numpy's splits), nodata
    # cells spread through them: sums and counts of the valid cells, as numpy computes them
    rng = np.random.default_rng(7)
    width = 300
    flat = rng.integers(0, 100, 300 * width).astype(dtype)
    flat[rng.random(flat.size) < 0.05] = 7
    lengths = np.arange(1, 301)
    starts = (lengths - 1) * width + rng.integers(0, width - lengths + 1)
    stops = starts + lengths
    one = np.zeros(1, dtype=np.int64)
    s, c, _, _ = _reduce(flat, one, width, width, starts, stops, np.zeros(0, np.int64), 7)
    valid = flat != 7
    masked = np.where(valid, flat, 0).astype(np.float64)
    for k in range(starts.size):
        a, b = starts[k], stops[k]
        assert s[k] == np.add.reduceat(masked[a:b], [0])[0], k
        assert c[k] == valid[a:b].sum(), k
