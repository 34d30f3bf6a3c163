"""The numba kernel of :mod:`zoning.screening.nearby`: which runs of a zone can hold the nearest point.

Imported only for batches large enough to pay for numba (:data:`zoning.screening.nearby.KERNEL_MIN`).
The kernel never decides a distance: it names, per pair, the runs whose approximate distance is
within rounding of the least, and GEOS measures those exactly.
"""

from __future__ import annotations

import math

import numpy as np

from zoning.jit import njit  # numba.njit; a broken cache falls back to no cache

__all__ = ["run_boxes", "select_runs"]


@njit(cache=True, nogil=True)
def _point_segment(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """Distance from point p to segment ab (approximate: only used to choose runs)."""
    dx = bx - ax
    dy = by - ay
    len2 = dx * dx + dy * dy
    if len2 == 0.0:
        return math.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    r = ((px - ax) * dx + (py - ay) * dy) / len2
    if r <= 0.0:
        return math.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    if r >= 1.0:
        return math.sqrt((px - bx) * (px - bx) + (py - by) * (py - by))
    return abs((ay - py) * dx - (ax - px) * dy) / math.sqrt(len2)


@njit(cache=True, nogil=True)
def _segment_segment(
    ax: float, ay: float, bx: float, by: float, cx: float, cy: float, dx: float, dy: float
) -> float:
    """Distance between segments ab and cd that do not cross (their pairs' envelopes are apart)."""
    d = _point_segment(ax, ay, cx, cy, dx, dy)
    d = min(d, _point_segment(bx, by, cx, cy, dx, dy))
    d = min(d, _point_segment(cx, cy, ax, ay, bx, by))
    return min(d, _point_segment(dx, dy, ax, ay, bx, by))


@njit(cache=True, nogil=True)
def _box_gap(
    ax: float, ay: float, bx: float, by: float, x0: float, y0: float, x1: float, y1: float
) -> float:
    """Distance between the envelope of segment ab and the box ``x0, y0, x1, y1``."""
    gx = max(0.0, max(x0 - max(ax, bx), min(ax, bx) - x1))
    gy = max(0.0, max(y0 - max(ay, by), min(ay, by) - y1))
    return math.sqrt(gx * gx + gy * gy)


@njit(cache=True, nogil=True)
def select_runs(
    site: np.ndarray,
    zone: np.ndarray,
    seg: np.ndarray,
    seg_first: np.ndarray,
    xy: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    boxes: np.ndarray,
    zfirst: np.ndarray,
    pr_first: np.ndarray,
    radius: float,
    rel: float,
    slack: float,
    flags: np.ndarray,
) -> None:
    """Flag, per pair, the runs whose approximate distance is within rounding of the least.

    Pair ``p`` joins site ``site[p]`` (segments ``seg[seg_first[s]:seg_first[s + 1]]``, rows
    ``ax, ay, bx, by``; a point is a segment of length 0) and zone ``zone[p]`` (runs
    ``zfirst[z]:zfirst[z + 1]``: vertices ``start[r]`` … ``end[r]`` of ``xy``, envelopes
    ``boxes[r]``). ``flags[pr_first[p] + k]`` is set for its ``k``-th run when the run may hold
    the nearest point; nothing is set for a pair farther than ``radius`` (with the slack).
    Runs are visited in order of their envelopes' distance, and stop once that bound exceeds
    the least distance found.
    """
    most = 0
    for z in range(len(zfirst) - 1):
        most = max(most, zfirst[z + 1] - zfirst[z])
    lbs = np.empty(most)
    approx = np.empty(most)
    for p in range(len(site)):
        s = site[p]
        z = zone[p]
        r0 = zfirst[z]
        nr = zfirst[z + 1] - r0
        j0 = seg_first[s]
        j1 = seg_first[s + 1]
        for k in range(nr):
            r = r0 + k
            lb = np.inf
            for j in range(j0, j1):
                lb = min(lb, _box_gap(seg[j, 0], seg[j, 1], seg[j, 2], seg[j, 3], boxes[r, 0],
                                      boxes[r, 1], boxes[r, 2], boxes[r, 3]))  # fmt: skip
            lbs[k] = lb
            approx[k] = np.inf
        order = np.argsort(lbs[:nr])
        best = np.inf
        for k in order:
            if lbs[k] > best * (1.0 + rel) + slack:
                break
            r = r0 + k
            d = np.inf
            for j in range(j0, j1):
                ax, ay, bx, by = seg[j, 0], seg[j, 1], seg[j, 2], seg[j, 3]
                cut = min(d, best) * (1.0 + rel) + slack  # nothing beyond can be the least
                if _box_gap(ax, ay, bx, by, boxes[r, 0], boxes[r, 1], boxes[r, 2],
                            boxes[r, 3]) > cut:  # fmt: skip
                    continue
                for v in range(start[r], end[r]):
                    cx, cy, dx, dy = xy[v, 0], xy[v, 1], xy[v + 1, 0], xy[v + 1, 1]
                    if _box_gap(ax, ay, bx, by, min(cx, dx), min(cy, dy), max(cx, dx),
                                max(cy, dy)) > cut:  # fmt: skip
                        continue
                    d = min(d, _segment_segment(ax, ay, bx, by, cx, cy, dx, dy))
                    cut = min(d, best) * (1.0 + rel) + slack
            approx[k] = d
            best = min(best, d)
        if best > radius * (1.0 + rel) + slack:
            continue
        for k in range(nr):
            if approx[k] <= best * (1.0 + rel) + slack:
                flags[pr_first[p] + k] = True


@njit(cache=True, nogil=True)
def run_boxes(xy: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Envelope (``x0, y0, x1, y1``) of each run: vertices ``start[r]`` … ``end[r]`` of ``xy``."""
    out = np.empty((len(start), 4))
    for r in range(len(start)):
        x0 = x1 = xy[start[r], 0]
        y0 = y1 = xy[start[r], 1]
        for v in range(start[r] + 1, end[r] + 1):
            x, y = xy[v, 0], xy[v, 1]
            x0 = min(x0, x)
            x1 = max(x1, x)
            y0 = min(y0, y)
            y1 = max(y1, y)
        out[r, 0], out[r, 1], out[r, 2], out[r, 3] = x0, y0, x1, y1
    return out
