"""Index ranges without Python loops, shared by the statistics stages and the screening."""

from __future__ import annotations

import numpy as np

__all__ = ["concat_ranges"]


def concat_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for every ``(s, n)``, without a Python loop.

    >>> concat_ranges(np.array([5, 0]), np.array([2, 3])).tolist()
    [5, 6, 0, 1, 2]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    first = np.r_[0, np.cumsum(lengths)[:-1]]
    return np.repeat(np.asarray(starts, dtype=np.int64) - first, lengths) + np.arange(
        lengths.sum(), dtype=np.int64
    )
