"""The boundary-chunk test's numba loop (zoning.stats.chunk_hits) against every envelope."""

from __future__ import annotations

import numpy as np
import pytest

from zoning.stats.units import BoundaryChunks


def _brute(env: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Whether each box meets any envelope (closed boxes), envelope by envelope."""
    meet = (
        (env[None, :, 0] <= boxes[:, None, 2])
        & (env[None, :, 2] >= boxes[:, None, 0])
        & (env[None, :, 1] <= boxes[:, None, 3])
        & (env[None, :, 3] >= boxes[:, None, 1])
    )
    return meet.any(axis=1)


@pytest.mark.parametrize("seed", range(6))
def test_every_box_meeting_an_envelope_is_found_and_no_other(seed):
    rng = np.random.default_rng(seed)
    x0, y0 = 512_345.0, 4_012_345.0
    n = int(rng.integers(1, 400))
    lo = np.c_[x0 + rng.uniform(0, 20_000, n), y0 + rng.uniform(0, 20_000, n)]
    env = np.c_[lo, lo + rng.uniform(0, 300, (n, 2)) ** rng.uniform(0.3, 1.0, (n, 2))]
    chunks = BoundaryChunks.of(env)
    m = 2_000
    corner = np.c_[x0 + rng.uniform(-3_000, 23_000, m), y0 + rng.uniform(-3_000, 23_000, m)]
    boxes = np.c_[corner, corner + rng.uniform(0, 2_000, (m, 2)) ** rng.uniform(0.2, 1.0, (m, 2))]
    pick = env[rng.integers(0, n, 200)]
    boxes = np.r_[
        boxes,
        np.c_[pick[:, 2:], pick[:, 2:] + 5.0],  # touching an envelope's upper-right corner
        np.c_[pick[:, :2] - 5.0, pick[:, :2]],  # touching its lower-left corner
        np.c_[np.nextafter(pick[:, 2], np.inf), pick[:, 1], pick[:, 2] + 1.0, pick[:, 3]],
        [[-1e300, -1e300, 1e300, 1e300], [1e300, 1e300, 1e300, 1e300]],  # far off the grid
    ]
    want = _brute(env, boxes)
    got = chunks.hits(boxes)
    assert np.array_equal(got, want)
    assert got[m : m + 400].all()  # corners touching count
    assert got[-2] and not got[-1]  # a box over the whole grid, and one far beyond it


def test_an_empty_geometrys_box_meets_nothing():
    chunks = BoundaryChunks.of(np.array([[0.0, 0, 10, 10], [20, 20, 30, 30]]))
    boxes = np.array([[np.nan] * 4, [5.0, 5, 6, 6], [np.nan] * 4])
    assert chunks.hits(boxes).tolist() == [False, True, False]
    assert chunks.hits(np.zeros((0, 4))).tolist() == []
    assert BoundaryChunks.of(np.zeros((0, 4))).hits(boxes).tolist() == [False] * 3
