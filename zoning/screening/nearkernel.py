"""The numba kernel of :mod:`zoning.screening.nearby`: GEOS's distance of far pairs, bit for bit.

Imported only for batches large enough to pay for numba (:data:`zoning.screening.nearby.KERNEL_MIN`).

GEOS (``DistanceOp``, 3.14) measures two geometries that cannot contain one another as the
least, over every pair of a segment of one and a segment of the other, of
``Distance::segmentToSegment`` (``Distance::pointToSegment`` for a point), skipping line pairs
and segment pairs whose envelopes lie farther apart than the least found so far. The functions
:func:`point_segment` and :func:`segment_segment` here are those two formulas, operation for
operation (no fused multiply-add: numba, like the GEOS build, rounds every product). A minimum
does not depend on the order it is taken in, so the least over all segment pairs is GEOS's
answer as soon as GEOS cannot have skipped the pair that holds it; :func:`far_exact` checks
exactly that, with GEOS's own envelope arithmetic, and otherwise leaves the pair to GEOS.
"""

from __future__ import annotations

import math

import numpy as np

from zoning.jit import njit  # numba.njit; a broken cache falls back to no cache

__all__ = ["far_exact", "point_segment", "ring_boxes", "run_boxes", "segment_segment"]


@njit(cache=True, nogil=True)
def point_segment(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """GEOS ``Distance::pointToSegment(p, A, B)``, the same operations in the same order."""
    if ax == bx and ay == by:
        dx = px - ax
        dy = py - ay
        return math.sqrt(dx * dx + dy * dy)
    len2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2
    if r <= 0.0:
        dx = px - ax
        dy = py - ay
        return math.sqrt(dx * dx + dy * dy)
    if r >= 1.0:
        dx = px - bx
        dy = py - by
        return math.sqrt(dx * dx + dy * dy)
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / len2
    return abs(s) * math.sqrt(len2)


@njit(cache=True, nogil=True)
def segment_segment(
    ax: float, ay: float, bx: float, by: float, cx: float, cy: float, dx: float, dy: float
) -> float:
    """GEOS ``Distance::segmentToSegment(A, B, C, D)``, the same operations in the same order."""
    if ax == bx and ay == by:
        return point_segment(ax, ay, cx, cy, dx, dy)
    if cx == dx and cy == dy:
        return point_segment(dx, dy, ax, ay, bx, by)
    apart = False
    # Envelope::intersects(A, B, C, D)
    if min(ax, bx) > max(cx, dx) or max(ax, bx) < min(cx, dx):
        apart = True
    elif min(ay, by) > max(cy, dy) or max(ay, by) < min(cy, dy):
        apart = True
    else:
        denom = (bx - ax) * (dy - cy) - (by - ay) * (dx - cx)
        if denom == 0:
            apart = True
        else:
            r_num = (ay - cy) * (dx - cx) - (ax - cx) * (dy - cy)
            s_num = (ay - cy) * (bx - ax) - (ax - cx) * (by - ay)
            s = s_num / denom
            r = r_num / denom
            if r < 0 or r > 1 or s < 0 or s > 1:
                apart = True
    if apart:
        return min(
            point_segment(ax, ay, cx, cy, dx, dy),
            min(
                point_segment(bx, by, cx, cy, dx, dy),
                min(point_segment(cx, cy, ax, ay, bx, by), point_segment(dx, dy, ax, ay, bx, by)),
            ),
        )
    return 0.0


@njit(cache=True, nogil=True)
def _env_distance2(
    x0: float, y0: float, x1: float, y1: float, u0: float, v0: float, u1: float, v1: float
) -> float:
    """GEOS ``Envelope::distanceSquared``: ``this`` is ``x0, y0, x1, y1``, ``env`` the other."""
    ddx = max(0.0, max(x1, u1) - min(x0, u0) - (x1 - x0) - (u1 - u0))
    ddy = max(0.0, max(y1, v1) - min(y0, v0) - (y1 - y0) - (v1 - v0))
    return ddx * ddx + ddy * ddy


@njit(cache=True, nogil=True)
def _box_gap2(
    ax: float, ay: float, bx: float, by: float, x0: float, y0: float, x1: float, y1: float
) -> float:
    """Squared distance between the envelope of segment ab and the box ``x0, y0, x1, y1``."""
    gx = max(0.0, max(x0 - max(ax, bx), min(ax, bx) - x1))
    gy = max(0.0, max(y0 - max(ay, by), min(ay, by) - y1))
    return gx * gx + gy * gy


@njit(cache=True, nogil=True)
def _geos_loop(
    j0: int,
    j1: int,
    seg: np.ndarray,
    seg_part: np.ndarray,
    part_box: np.ndarray,
    part_point: np.ndarray,
    xy: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    r0: int,
    r1: int,
    run_ring: np.ndarray,
    ring_box: np.ndarray,
) -> float:
    """GEOS ``DistanceOp::computeFacetDistance`` of one site and one zone, step for step.

    The site's segments ``j0:j1`` (parts in GEOS's order: lines and rings, or points) against
    the zone's runs ``r0:r1`` (rings in GEOS's order), with GEOS's envelope tests against the
    least so far, in GEOS's loop order, so that it skips exactly what GEOS skips.
    """
    least = np.inf
    if j1 == j0 or r1 == r0:
        return least
    if part_point[seg_part[j0]]:  # computeMinDistanceLinesPoints(zone rings, site points)
        ra = r0
        while ra < r1:
            g = run_ring[ra]
            rb = ra
            while rb < r1 and run_ring[rb] == g:
                rb += 1
            for j in range(j0, j1):
                px, py = seg[j, 0], seg[j, 1]
                env = math.sqrt(_env_distance2(ring_box[g, 0], ring_box[g, 1], ring_box[g, 2],
                                               ring_box[g, 3], px, py, px, py))  # fmt: skip
                if env > least:
                    continue
                for r in range(ra, rb):
                    for v in range(start[r], end[r]):
                        d = point_segment(px, py, xy[v, 0], xy[v, 1], xy[v + 1, 0], xy[v + 1, 1])
                        if d < least:
                            least = d
                        if least <= 0.0:
                            return least
            ra = rb
        return least
    ja = j0
    while ja < j1:  # computeMinDistanceLines(site lines, zone rings)
        q = seg_part[ja]
        jb = ja
        while jb < j1 and seg_part[jb] == q:
            jb += 1
        ra = r0
        while ra < r1:
            g = run_ring[ra]
            rb = ra
            while rb < r1 and run_ring[rb] == g:
                rb += 1
            env = math.sqrt(_env_distance2(part_box[q, 0], part_box[q, 1], part_box[q, 2],
                                           part_box[q, 3], ring_box[g, 0], ring_box[g, 1],
                                           ring_box[g, 2], ring_box[g, 3]))  # fmt: skip
            if not env > least:
                for j in range(ja, jb):
                    ax, ay, bx, by = seg[j, 0], seg[j, 1], seg[j, 2], seg[j, 3]
                    sx0, sy0, sx1, sy1 = min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)
                    if _env_distance2(sx0, sy0, sx1, sy1, ring_box[g, 0], ring_box[g, 1],
                                      ring_box[g, 2], ring_box[g, 3]) > least * least:  # fmt: skip
                        continue
                    for r in range(ra, rb):
                        for v in range(start[r], end[r]):
                            cx, cy, dx, dy = xy[v, 0], xy[v, 1], xy[v + 1, 0], xy[v + 1, 1]
                            if _env_distance2(sx0, sy0, sx1, sy1, min(cx, dx), min(cy, dy),
                                              max(cx, dx), max(cy, dy)) > least * least:  # fmt: skip
                                continue
                            d = segment_segment(ax, ay, bx, by, cx, cy, dx, dy)
                            if d < least:
                                least = d
                            if least <= 0.0:
                                return least
            ra = rb
        ja = jb
    return least


@njit(cache=True, nogil=True)
def _least(
    j0: int,
    j1: int,
    seg: np.ndarray,
    xy: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    boxes: np.ndarray,
    r0: int,
    nr: int,
    radius: float,
    rel: float,
    slack: float,
    near: float,
    lbs: np.ndarray,
    nearest: np.ndarray,
    ranked: bool,
) -> tuple[float, int, int, int]:
    """Find the least :func:`segment_segment` of one pair within ``radius``, and where it lies.

    A first guess: in the run with the nearest envelope, the segment whose envelope is nearest
    to the site segment nearest that run. Then every run, site segment and zone segment whose
    envelope comes within ``min(least so far, radius)`` (grown by ``rel`` and ``slack``, more
    than any rounding of the distances) is measured; the others cannot hold a smaller
    distance. The least does not depend on the order. Stops as soon as
    the least is below ``near``. Returns the least (``inf`` if nothing is within the radius) and
    its site segment, zone segment (first vertex) and run. ``lbs`` receives the runs' squared
    envelope gaps and ``nearest[0]`` the nearest run's position; when ``ranked`` they already
    hold them (the same pair again).
    """
    if not ranked:  # each run's envelope gap; the nearest run's position in ``nearest[0]``
        k0 = 0
        for k in range(nr):
            r = r0 + k
            lb = np.inf
            for j in range(j0, j1):
                lb = min(lb, _box_gap2(seg[j, 0], seg[j, 1], seg[j, 2], seg[j, 3], boxes[r, 0],
                                       boxes[r, 1], boxes[r, 2], boxes[r, 3]))  # fmt: skip
            lbs[k] = lb
            if lb < lbs[k0]:
                k0 = k
        nearest[0] = k0
    best = np.inf
    bj = bv = br = -1
    cut = radius * (1.0 + rel) + slack
    cut2 = cut * cut
    if nr and lbs[nearest[0]] <= cut2:  # a first guess in the nearest run
        r = r0 + nearest[0]
        g2 = np.inf
        for j in range(j0, j1):  # the site segment nearest the run's envelope
            gap2 = _box_gap2(seg[j, 0], seg[j, 1], seg[j, 2], seg[j, 3], boxes[r, 0],
                             boxes[r, 1], boxes[r, 2], boxes[r, 3])  # fmt: skip
            if gap2 < g2:
                g2, bj = gap2, j
        ax, ay, bx, by = seg[bj, 0], seg[bj, 1], seg[bj, 2], seg[bj, 3]
        g2 = np.inf
        for v in range(start[r], end[r]):  # and the run's segment nearest to it
            cx, cy, dx, dy = xy[v, 0], xy[v, 1], xy[v + 1, 0], xy[v + 1, 1]
            gap2 = _box_gap2(ax, ay, bx, by, min(cx, dx), min(cy, dy), max(cx, dx),
                             max(cy, dy))  # fmt: skip
            if gap2 < g2:
                g2, bv = gap2, v
        best = segment_segment(seg[bj, 0], seg[bj, 1], seg[bj, 2], seg[bj, 3], xy[bv, 0],
                               xy[bv, 1], xy[bv + 1, 0], xy[bv + 1, 1])  # fmt: skip
        br = r
        if best < near:
            return best, bj, bv, br
        cut = min(best, radius) * (1.0 + rel) + slack
        cut2 = cut * cut
    for i in range(nr):  # every run whose envelope comes within the cut, in ring order
        if lbs[i] > cut2:
            continue
        r = r0 + i
        for j in range(j0, j1):
            ax, ay, bx, by = seg[j, 0], seg[j, 1], seg[j, 2], seg[j, 3]
            if _box_gap2(ax, ay, bx, by, boxes[r, 0], boxes[r, 1], boxes[r, 2],
                         boxes[r, 3]) > cut2:  # fmt: skip
                continue
            # a long site segment's envelope is a weak bound: the distance to its line is
            # another (a zone segment lies within half its envelope's perimeter of its middle)
            length = math.sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay))
            nx = (ay - by) / length if length > 0.0 else 0.0
            ny = (bx - ax) / length if length > 0.0 else 0.0
            off = nx * ((boxes[r, 0] + boxes[r, 2]) * 0.5 - ax) + ny * (
                (boxes[r, 1] + boxes[r, 3]) * 0.5 - ay
            )
            if abs(off) - 0.5 * (boxes[r, 2] - boxes[r, 0] + boxes[r, 3] - boxes[r, 1]) > cut:
                continue  # the whole run, by the same bound
            for v in range(start[r], end[r]):
                cx, cy, dx, dy = xy[v, 0], xy[v, 1], xy[v + 1, 0], xy[v + 1, 1]
                off = nx * ((cx + dx) * 0.5 - ax) + ny * ((cy + dy) * 0.5 - ay)
                if abs(off) - 0.5 * (abs(dx - cx) + abs(dy - cy)) > cut:
                    continue
                if _box_gap2(ax, ay, bx, by, min(cx, dx), min(cy, dy), max(cx, dx),
                             max(cy, dy)) > cut2:  # fmt: skip
                    continue
                d = segment_segment(ax, ay, bx, by, cx, cy, dx, dy)
                if d < best:
                    best, bj, bv, br = d, j, v, r
                    if best < near:
                        return best, bj, bv, br
                    cut = min(best, radius) * (1.0 + rel) + slack
                    cut2 = cut * cut
    return best, bj, bv, br


@njit(cache=True, nogil=True)
def _certain(
    best: float,
    bj: int,
    bv: int,
    g: int,
    seg: np.ndarray,
    seg_part: np.ndarray,
    part_box: np.ndarray,
    part_point: np.ndarray,
    xy: np.ndarray,
    ring_box: np.ndarray,
) -> bool:
    """Whether GEOS's envelope tests cannot skip site segment ``bj`` and zone segment ``bv``.

    GEOS tests against its least so far, never below ``best``; so if each test passes against
    ``best`` itself, GEOS measures the pair and its answer is ``best``.
    """
    q = seg_part[bj]
    ax, ay, bx, by = seg[bj, 0], seg[bj, 1], seg[bj, 2], seg[bj, 3]
    if part_point[q]:  # computeMinDistance(ring, point): the ring's envelope, the point's
        env = math.sqrt(_env_distance2(ring_box[g, 0], ring_box[g, 1], ring_box[g, 2],
                                       ring_box[g, 3], ax, ay, ax, ay))  # fmt: skip
        return not env > best
    # computeMinDistance(line, ring): the lines' envelopes, segment and ring, then segments
    env = math.sqrt(_env_distance2(part_box[q, 0], part_box[q, 1], part_box[q, 2],
                                   part_box[q, 3], ring_box[g, 0], ring_box[g, 1],
                                   ring_box[g, 2], ring_box[g, 3]))  # fmt: skip
    cx, cy, dx, dy = xy[bv, 0], xy[bv, 1], xy[bv + 1, 0], xy[bv + 1, 1]
    sx0, sy0, sx1, sy1 = min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)
    e_ring = _env_distance2(sx0, sy0, sx1, sy1, ring_box[g, 0], ring_box[g, 1],
                            ring_box[g, 2], ring_box[g, 3])  # fmt: skip
    e_seg = _env_distance2(sx0, sy0, sx1, sy1, min(cx, dx), min(cy, dy), max(cx, dx),
                           max(cy, dy))  # fmt: skip
    b2 = best * best
    return not (env > best or e_ring > b2 or e_seg > b2)


@njit(cache=True, nogil=True)
def _in_zone(
    px: float,
    py: float,
    xy: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    boxes: np.ndarray,
    r0: int,
    r1: int,
    run_ring: np.ndarray,
    ring_poly: np.ndarray,
) -> bool:
    """Whether point p lies in one of the zone's polygons (runs ``r0:r1``), by crossing parity.

    Only asked of points far (metres) from every edge, where the parity cannot round wrong. A run
    whose envelope (``boxes``) lies wholly above or wholly on or below p's line has no edge
    that toggles the parity (the same comparisons, made once for the run).
    """
    inside = False
    cur = -1
    for r in range(r0, r1):
        poly = ring_poly[run_ring[r]]
        if poly != cur:
            if inside:
                return True
            cur = poly
        if boxes[r, 3] <= py or boxes[r, 1] > py:
            continue  # every vertex of the run on one side of p's line: no edge crosses it
        for v in range(start[r], end[r]):
            cy, dy = xy[v, 1], xy[v + 1, 1]
            if (cy > py) != (dy > py):
                cx, dx = xy[v, 0], xy[v + 1, 0]
                if px < cx + (py - cy) * (dx - cx) / (dy - cy):
                    inside = not inside
    return inside


@njit(cache=True, nogil=True)
def _in_site(
    px: float, py: float, seg: np.ndarray, j0: int, j1: int, seg_part: np.ndarray,
    part_poly: np.ndarray,
) -> bool:  # fmt: skip
    """Whether point p lies in one of the site's polygons (segments ``j0:j1``), as :func:`_in_zone`."""
    inside = False
    cur = -1
    for j in range(j0, j1):
        poly = part_poly[seg_part[j]]
        if poly != cur:
            if inside:
                return True
            cur = poly
        ay, by = seg[j, 1], seg[j, 3]
        if (ay > py) != (by > py):
            ax, bx = seg[j, 0], seg[j, 2]
            if px < ax + (py - ay) * (bx - ax) / (by - ay):
                inside = not inside
    return inside


@njit(cache=True, nogil=True)
def _disjoint(
    j0: int,
    j1: int,
    seg: np.ndarray,
    seg_part: np.ndarray,
    part_poly: np.ndarray,
    xy: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    boxes: np.ndarray,
    r0: int,
    r1: int,
    run_ring: np.ndarray,
    ring_poly: np.ndarray,
) -> bool:
    """Whether a site and a zone whose boundaries lie apart (metres) share no point.

    Each part of the site (line, ring or point) is connected and meets no edge of the zone, so
    it lies wholly in or out of the zone: one vertex of each tells. Likewise each ring of the
    zone against a polygonal site. If neither has a part inside the other, they are disjoint
    (a point of both would lie in a piece of their intersection, whose boundary is made of both
    boundaries, so one boundary would enter the other).
    """
    q = -1
    for j in range(j0, j1):
        if seg_part[j] != q:
            q = seg_part[j]
            if _in_zone(seg[j, 0], seg[j, 1], xy, start, end, boxes, r0, r1, run_ring, ring_poly):
                return False
    if part_poly[seg_part[j0]] < 0:  # no polygon on the site's side
        return True
    g = -1
    for r in range(r0, r1):
        if run_ring[r] != g:
            g = run_ring[r]
            v = start[r]
            if _in_site(xy[v, 0], xy[v, 1], seg, j0, j1, seg_part, part_poly):
                return False
    return True


def far_exact(
    site: np.ndarray,
    zone: np.ndarray,
    close: np.ndarray,
    seg: np.ndarray,
    seg_part: np.ndarray,
    seg_first: np.ndarray,
    part_box: np.ndarray,
    part_point: np.ndarray,
    part_poly: np.ndarray,
    xy: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    boxes: np.ndarray,
    run_ring: np.ndarray,
    ring_box: np.ndarray,
    ring_poly: np.ndarray,
    zfirst: np.ndarray,
    radius: float,
    apart: float,
    rel: float,
    slack: float,
    replay: bool,
    out: np.ndarray,
    status: np.ndarray,
) -> None:
    """GEOS's distance of each pair that GEOS measures between boundaries, if within ``radius``.

    Pair ``p`` joins site ``site[p]`` (segments ``seg[seg_first[s]:seg_first[s + 1]]``, rows
    ``ax, ay, bx, by``; a point is a segment of length 0; ``seg_part`` the site part of each:
    ``part_box`` its envelope ``x0, y0, x1, y1``, ``part_point`` whether it is a point,
    ``part_poly`` its polygon, -1 for lines and points) and zone ``zone[p]`` (runs
    ``zfirst[z]:zfirst[z + 1]``: vertices ``start[r]`` … ``end[r]`` of ``xy``, envelopes
    ``boxes[r]``, ring ``run_ring[r]`` of envelope ``ring_box`` and polygon ``ring_poly``).

    A pair whose envelopes lie apart (``close[p]`` false) is measured between boundaries by
    GEOS. A ``close`` pair is measured here only when no two segments come within ``apart``
    and neither geometry has a part inside the other (:func:`_disjoint`); else ``status[p]``
    is 2 and ``out[p]`` unspecified.

    Writes ``out[p]``, GEOS's distance when it is at most ``radius``, ``inf`` when GEOS's
    distance exceeds it: the least :func:`segment_segment` (:func:`_least`) when GEOS's tests
    cannot skip the segments that hold it (:func:`_certain`), else (``status[p]`` 1, or every
    pair when ``replay``) GEOS's loop replayed (:func:`_geos_loop`).
    """
    most = int(np.diff(zfirst).max(initial=0))
    _far_exact(
        site, zone, close, seg, seg_part, seg_first, part_box, part_point, part_poly, xy, start,
        end, boxes, run_ring, ring_box, ring_poly, zfirst, radius, apart, rel, slack, replay,
        np.empty(most), np.zeros(1, dtype=np.int64), out, status,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _far_exact(
    site: np.ndarray,
    zone: np.ndarray,
    close: np.ndarray,
    seg: np.ndarray,
    seg_part: np.ndarray,
    seg_first: np.ndarray,
    part_box: np.ndarray,
    part_point: np.ndarray,
    part_poly: np.ndarray,
    xy: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    boxes: np.ndarray,
    run_ring: np.ndarray,
    ring_box: np.ndarray,
    ring_poly: np.ndarray,
    zfirst: np.ndarray,
    radius: float,
    apart: float,
    rel: float,
    slack: float,
    replay: bool,
    lbs: np.ndarray,
    nearest: np.ndarray,
    out: np.ndarray,
    status: np.ndarray,
) -> None:
    """Run :func:`far_exact` with its buffers: ``lbs`` and ``nearest``.

    ``lbs`` holds as many floats as the most runs of a zone, ``nearest`` one integer.

    The kernels allocate no NumPy array: cached code that does needs numba's array module
    imported on its first load (about 0.07 s of CPU).
    """
    for p in range(len(site)):
        s = site[p]
        z = zone[p]
        r0 = zfirst[z]
        nr = zfirst[z + 1] - r0
        j0 = seg_first[s]
        j1 = seg_first[s + 1]
        if close[p]:  # first a search within ``apart`` only, then whether either holds the other
            near = _least(j0, j1, seg, xy, start, end, boxes, r0, nr, apart, rel, slack, apart,
                          lbs, nearest, False)[0]  # fmt: skip
            if near < apart or not _disjoint(j0, j1, seg, seg_part, part_poly, xy, start, end,
                                             boxes, r0, r0 + nr, run_ring, ring_poly):  # fmt: skip
                status[p] = 2
                continue
        best, bj, bv, br = _least(j0, j1, seg, xy, start, end, boxes, r0, nr, radius, rel, slack,
                                  -1.0, lbs, nearest, bool(close[p]))  # fmt: skip
        if not best <= radius:
            out[p] = np.inf
            continue
        out[p] = best
        certain = _certain(best, bj, bv, run_ring[br], seg, seg_part, part_box, part_point, xy,
                           ring_box)  # fmt: skip
        if certain and not replay:
            continue
        least = _geos_loop(j0, j1, seg, seg_part, part_box, part_point, xy, start, end, r0,
                           r0 + nr, run_ring, ring_box)  # fmt: skip
        status[p] = 1
        out[p] = least if least <= radius else np.inf


def run_boxes(xy: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Envelope (``x0, y0, x1, y1``) of each run: vertices ``start[r]`` … ``end[r]`` of ``xy``."""
    out = np.empty((len(start), 4))
    _run_boxes(xy, start, end, out)
    return out


@njit(cache=True, nogil=True)
def _run_boxes(xy: np.ndarray, start: np.ndarray, end: np.ndarray, out: np.ndarray) -> None:
    """:func:`run_boxes` into ``out``."""
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


def ring_boxes(boxes: np.ndarray, run_ring: np.ndarray, n_rings: int) -> np.ndarray:
    """Envelope of each ring: the union of its runs' envelopes (``run_ring`` non-decreasing)."""
    out = np.full((n_rings, 4), np.nan)
    _ring_boxes(boxes, run_ring, out)
    return out


@njit(cache=True, nogil=True)
def _ring_boxes(boxes: np.ndarray, run_ring: np.ndarray, out: np.ndarray) -> None:
    """:func:`ring_boxes` into ``out`` (NaN at first)."""
    for r in range(len(run_ring)):
        g = run_ring[r]
        if np.isnan(out[g, 0]):
            out[g, 0], out[g, 1], out[g, 2], out[g, 3] = (
                boxes[r, 0], boxes[r, 1], boxes[r, 2], boxes[r, 3]
            )  # fmt: skip
        else:
            out[g, 0] = min(out[g, 0], boxes[r, 0])
            out[g, 1] = min(out[g, 1], boxes[r, 1])
            out[g, 2] = max(out[g, 2], boxes[r, 2])
            out[g, 3] = max(out[g, 3], boxes[r, 3])
