"""Distances of site/zone pairs that need only a distance: the nearby zones within the radius.

Pairs whose envelopes are disjoint cannot touch, so GEOS's distance between the two is the
least of its distances between a segment (or point) of the site and a segment of the zone's
rings; against whole zones of hundreds of vertices that was most of a screening with nearby
zones. :func:`far_pairs` picks those pairs (with the envelope gaps ``run_pair_metrics`` uses);
:func:`settle_pairs` adds the pairs whose envelopes come within the tolerance but whose
geometries are disjoint and farther apart (the metrics would cut the zone to the site's
neighbourhood, find nothing, and measure it whole) and measures them all; :func:`without_far`
hides them from the metrics and :func:`add_far_pairs` writes their rows, as the metrics would.

The distances come from a numba kernel (:mod:`zoning.screening.nearkernel`) that computes
GEOS's own distance, bit for bit: GEOS's ``DistanceOp`` formulas operation for operation, over
the segment pairs that can hold the least (each zone ring cut into runs of :data:`RUN`
segments, visited nearest envelope first), and GEOS's own loop replayed where GEOS's envelope
tests might skip the segments holding the least. ``tests/test_screening_nearby.py`` compares
every path with ``shapely.distance`` and the merged rows with ``run_pair_metrics`` on every
pair. Zones that are not polygons, sites that are collections and batches under
:data:`KERNEL_MIN` pairs are measured by GEOS (far pairs only).
"""

from __future__ import annotations

import itertools
import sys
from types import ModuleType
from typing import Any

import numpy as np

__all__ = [
    "KERNEL_MIN",
    "RUN",
    "add_far_pairs",
    "far_distances",
    "far_pairs",
    "settle_pairs",
    "warm_up",
    "without_far",
]

#: segments per run of a zone ring
RUN = 32
#: fewer pairs than this are measured by GEOS: numba's import and first call cost about
#: 0.6 s of CPU, the kernel saves about 20 µs per pair
KERNEL_MIN = 50_000
#: zones measured at once (bounds the per-chunk coordinate copies)
_CHUNK = 2048
#: relative and absolute slack of the lower bounds (rounding of GEOS's distance and ours)
_REL = 1e-9
_ABS = 1e-6
#: replay GEOS's loop on every pair within the radius (tests: the replay against GEOS itself)
_REPLAY = False


def _site_segments(sites: np.ndarray) -> dict[str, Any]:
    """Segments of each site's lines and rings, points as segments of length 0, with their parts.

    Returns ``seg`` (rows ``ax, ay, bx, by``, in each part's own order) and ``first`` (the
    segments of site ``i`` are ``first[i]:first[i + 1]``); ``part`` the part of each segment
    (a line, a ring or a point, as GEOS extracts them); ``box`` the envelope of each part,
    ``point`` whether it is a point and ``poly`` its polygon (-1 for lines and points);
    ``scale`` the largest absolute coordinate.
    """
    import shapely

    parts, owner = shapely.get_parts(sites, return_index=True)
    dims = shapely.get_dimensions(parts)
    polys = dims == 2
    part_poly = np.full(len(parts), -1, dtype=np.int64)
    if polys.any():  # a polygon's segments are its rings'
        rings, ring_owner = shapely.get_rings(parts[polys], return_index=True)
        part_poly = np.concatenate([part_poly[~polys], ring_owner])
        parts = np.concatenate([parts[~polys], rings])
        owner = np.concatenate([owner[~polys], owner[polys][ring_owner]])
        dims = shapely.get_dimensions(parts)
    segs: list[np.ndarray] = []
    seg_part: list[np.ndarray] = []
    lines = np.flatnonzero(dims == 1)
    if len(lines):
        coords, cidx = shapely.get_coordinates(parts[lines], return_index=True)
        same = cidx[1:] == cidx[:-1]
        segs.append(np.column_stack([coords[:-1][same], coords[1:][same]]))
        seg_part.append(lines[cidx[:-1][same]])
    pts = np.flatnonzero(dims == 0)
    if len(pts):
        coords, cidx = shapely.get_coordinates(parts[pts], return_index=True)
        segs.append(np.column_stack([coords, coords]))
        seg_part.append(pts[cidx])
    seg = np.concatenate(segs) if segs else np.empty((0, 4))
    part = np.concatenate(seg_part) if seg_part else np.empty(0, np.int64)
    own = owner[part]
    order = np.argsort(own, kind="stable")
    return {
        "seg": np.ascontiguousarray(seg[order]),
        "part": np.ascontiguousarray(part[order]),
        "first": np.searchsorted(own[order], np.arange(len(sites) + 1)),
        "box": np.ascontiguousarray(shapely.bounds(parts)),
        "point": dims == 0,
        "poly": part_poly,
        "scale": float(np.abs(seg).max(initial=0.0)),
    }


def _zone_runs(zones: np.ndarray) -> dict[str, np.ndarray]:
    """Cut the rings of polygonal ``zones`` into runs of at most :data:`RUN` segments.

    Returns ``xy`` (all ring vertices, ``(n, 2)``), ``start`` and ``end`` (inclusive vertex
    positions of each run, in ring order), ``ring`` (the ring of each run, numbered over all
    zones; ``n_rings`` of them), ``poly`` (the polygon of each ring) and ``first`` (runs of zone ``k`` are ``first[k]:first[k+1]``).
    """
    import shapely

    simple = (shapely.get_type_id(zones) == shapely.GeometryType.POLYGON) & (
        shapely.get_num_interior_rings(zones) == 0
    )
    if simple.all():  # one ring per zone (the common case): no ring geometries needed
        coords = shapely.get_coordinates(zones)
        counts = shapely.get_num_coordinates(zones).astype(np.int64)
        ring_off = np.concatenate([[0], np.cumsum(counts)])
        zone_ring = np.arange(len(zones) + 1)
        ring_poly = np.arange(len(zones))
    else:
        kind, coords, offsets = shapely.to_ragged_array(zones)
        ring_off = np.asarray(offsets[0], dtype=np.int64)
        part_off = np.asarray(offsets[1], dtype=np.int64)  # rings of each polygon
        ring_poly = _owners(np.diff(part_off))
        if kind == shapely.GeometryType.POLYGON:
            zone_ring = part_off
        else:  # MULTIPOLYGON: rings of parts, parts of zones
            zone_ring = part_off[np.asarray(offsets[2], dtype=np.int64)]
    n_seg = np.diff(ring_off) - 1  # a closed ring of n vertices has n - 1 segments
    n_run = np.where(n_seg > 0, -(-n_seg // RUN), 0)
    ring_of_run = _owners(n_run)
    run_first = np.concatenate([[0], np.cumsum(n_run)])
    k = np.arange(len(ring_of_run)) - run_first[ring_of_run]
    start = ring_off[ring_of_run] + k * RUN
    end = np.minimum(start + RUN, ring_off[ring_of_run + 1] - 1)
    return {
        "xy": np.ascontiguousarray(coords[:, :2]),
        "start": start,
        "end": end,
        "ring": ring_of_run,
        "n_rings": np.array(len(n_seg)),
        "poly": ring_poly,
        "first": run_first[zone_ring],
    }


def _ids(geoms: np.ndarray) -> np.ndarray:
    """Identity of each object (the same site or zone appears in many pairs)."""
    return np.fromiter(map(id, geoms), dtype=np.int64, count=len(geoms))


def _owners(count: np.ndarray) -> np.ndarray:
    """Owner ``i`` repeated ``count[i]`` times, for every i."""
    return np.repeat(np.arange(len(count)), count)


def _kernel() -> ModuleType:
    """:mod:`zoning.screening.nearkernel`, its first load sparing numba the scipy.linalg import.

    numba's first kernel sets up its CPU target, whose BLAS check would import all of
    ``scipy.linalg`` (:func:`zoning.jit.without_scipy_linalg`); nothing here uses it.
    """
    if "zoning.screening.nearkernel" not in sys.modules:
        from zoning.jit import without_scipy_linalg

        def load() -> None:
            from zoning.screening.nearkernel import run_boxes

            run_boxes(np.zeros((1, 2)), np.zeros(1, np.int64), np.zeros(1, np.int64))

        without_scipy_linalg(load)
    from zoning.screening import nearkernel

    return nearkernel


def _chunk(
    zones: np.ndarray,
    zone_of: np.ndarray,
    close: np.ndarray,
    segs: dict[str, Any],
    site_of: np.ndarray,
    radius: float,
    apart: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Kernel distances of pairs of sites ``site_of`` and ``zones[zone_of]``.

    Returns the distance of each pair (``inf`` if beyond the radius) and its status
    (:func:`zoning.screening.nearkernel.far_exact`: 2 for a close pair left to the metrics).
    """
    kernel = _kernel()
    n = len(site_of)
    out = np.full(n, np.inf)
    status = np.zeros(n, dtype=np.int8)
    runs = _zone_runs(zones)
    xy = runs["xy"]
    boxes = kernel.run_boxes(xy, runs["start"], runs["end"])
    rings = kernel.ring_boxes(boxes, runs["ring"], int(runs["n_rings"]))
    # the largest coordinate: the runs' envelopes hold every zone vertex's extremes
    slack = _ABS + 1e-13 * max(float(np.abs(boxes).max(initial=0.0)), segs["scale"])
    kernel.far_exact(
        site_of, zone_of, close, segs["seg"], segs["part"], segs["first"], segs["box"],
        segs["point"], segs["poly"], xy, runs["start"], runs["end"], boxes, runs["ring"], rings,
        runs["poly"], runs["first"], radius, apart * (1.0 + _REL) + slack, _REL, slack,
        _REPLAY, out, status,
    )  # fmt: skip
    return out, status


def _eligible(s: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Pairs the kernel can measure: polygonal zones; sites of points, lines or polygons."""
    import shapely

    types = shapely.get_type_id(z)
    ok = (types == shapely.GeometryType.POLYGON) | (types == shapely.GeometryType.MULTIPOLYGON)
    ok &= ~shapely.is_empty(z) & ~shapely.is_empty(s)
    # collections mix GEOS's point and line paths: measured whole, as anything unusual
    return ok & (shapely.get_type_id(s) != shapely.GeometryType.GEOMETRYCOLLECTION)


def _measure(
    s: np.ndarray, z: np.ndarray, close: np.ndarray, radius: float, apart: float, n_jobs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Kernel distances and status of :func:`_eligible` pairs (:func:`_chunk`), zone by zone."""
    n = len(s)
    d = np.full(n, np.inf)
    status = np.zeros(n, dtype=np.int8)
    if not n:
        return d, status
    _, site_of = np.unique(_ids(s), return_inverse=True)
    uniq = np.empty(int(site_of.max()) + 1, dtype=object)
    uniq[site_of] = s
    segs = _site_segments(uniq)
    # each zone's vertices are read once: pairs grouped by zone, runs of zones at a time
    _, zone_of = np.unique(_ids(z), return_inverse=True)
    zones = np.empty(int(zone_of.max()) + 1, dtype=object)
    zones[zone_of] = z
    pos = np.argsort(zone_of, kind="stable")
    zone_of, site_of, close = zone_of[pos], site_of[pos], close[pos]
    bounds = np.searchsorted(zone_of, np.arange(0, len(zones) + _CHUNK, _CHUNK))
    spans = [(a, b) for a, b in itertools.pairwise(bounds) if b > a]

    def job(span: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        a, b = span
        k0 = int(zone_of[a])
        k1 = int(zone_of[b - 1]) + 1
        return _chunk(
            zones[k0:k1], zone_of[a:b] - k0, close[a:b], segs, site_of[a:b], radius, apart
        )

    _kernel()  # loaded once, before any thread needs it
    if n_jobs > 1 and len(spans) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            parts = list(pool.map(job, spans))
    else:
        parts = [job(x) for x in spans]
    d[pos] = np.concatenate([x[0] for x in parts])
    status[pos] = np.concatenate([x[1] for x in parts])
    return d, status


def far_distances(
    s: np.ndarray, z: np.ndarray, radius: float, n_jobs: int = 1, *, kernel_min: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """GEOS's distance of each site/zone pair whose envelopes are disjoint, if within ``radius``.

    Parameters
    ----------
    s, z : numpy.ndarray
        Site and zone of each pair (projected metres); their envelopes must not meet.
    radius : float
        Pairs farther apart than this need no exact distance.
    n_jobs : int, default 1
        Threads (the kernel releases the GIL).
    kernel_min : int, optional
        Fewest pairs measured by the kernel (default :data:`KERNEL_MIN`).

    Returns
    -------
    distance : numpy.ndarray
        ``shapely.distance(s, z)`` where ``within``; unspecified (≥ the radius) elsewhere.
    within : numpy.ndarray
        Whether the distance is at most ``radius`` (``distance <= radius``, as GEOS's).
    """
    import shapely

    n = len(s)
    d = np.full(n, np.inf)
    ok = _eligible(s, z)
    if ok.sum() < (KERNEL_MIN if kernel_min is None else kernel_min):
        ok[:] = False
    pos = np.flatnonzero(ok)
    d[pos] = _measure(s[pos], z[pos], np.zeros(len(pos), dtype=bool), radius, 0.0, n_jobs)[0]
    other = np.flatnonzero(~ok)
    if len(other):  # zones of lines, points, collections; empty; small batches: GEOS
        d[other] = shapely.distance(s[other], z[other])
    return d, d <= radius


def settle_pairs(
    s: np.ndarray,
    z: np.ndarray,
    radius: float,
    tolerance: float,
    n_jobs: int = 1,
    *,
    kernel_min: int | None = None,
    used_kernel: list[bool] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find the pairs that need only their distance, and that distance (GEOS's) within ``radius``.

    These are the :func:`far_pairs` (envelopes apart) and, in batches for the kernel, the pairs
    whose envelopes come within ``tolerance + 1`` m but whose geometries are disjoint and
    farther apart than that: ``run_pair_metrics`` would measure them (cut to the site's
    neighbourhood, finding nothing there, then whole) only to report their GEOS distance. Their
    rows are :func:`add_far_pairs`'s.

    Parameters
    ----------
    s, z : numpy.ndarray
        Site and zone of each pair (projected metres).
    radius, tolerance : float
        Search radius and positional tolerance (m).
    n_jobs : int, default 1
        Threads.
    kernel_min : int, optional
        Fewest pairs measured by the kernel (default :data:`KERNEL_MIN`); fewer are far pairs
        measured by GEOS.
    used_kernel : list of bool, optional
        ``True`` is appended to it when the kernel measured the pairs (numba is loaded then):
        the screening engine lets the batch's polygon unions use numba's area kernel too.

    Returns
    -------
    far : numpy.ndarray
        Positions of the settled pairs, increasing.
    distance : numpy.ndarray
        ``shapely.distance`` of each where ``within``; unspecified (≥ the radius) elsewhere.
    within : numpy.ndarray
        Whether the distance is at most ``radius``.
    """
    import shapely

    if not radius > tolerance:  # the radius adds nothing beyond the tolerance
        return np.empty(0, dtype=np.int64), np.empty(0), np.zeros(0, dtype=bool)
    env = _envelope_gaps(s, z)
    apart = tolerance + 1.0
    far = np.flatnonzero((env > apart) & (env <= max(radius, tolerance) + 1.0))  # far_pairs
    if not len(far):
        return far, np.empty(0), np.zeros(0, dtype=bool)
    # the close pairs: envelopes within the tolerance + 1 m; the kernel finds every segment
    # closer than that when the radius reaches well beyond it
    close = env <= apart if radius >= 2.0 * apart else np.zeros(len(s), dtype=bool)
    cand = far if not close.any() else np.sort(np.concatenate([far, np.flatnonzero(close)]))
    ok = _eligible(s[cand], z[cand])
    if ok.sum() < (KERNEL_MIN if kernel_min is None else kernel_min):
        d, within = far_distances(s[far], z[far], radius, n_jobs, kernel_min=kernel_min)
        return far, d, within
    if used_kernel is not None:
        used_kernel.append(True)
    d = np.full(len(cand), np.inf)
    status = np.zeros(len(cand), dtype=np.int8)
    pos = np.flatnonzero(ok)
    d[pos], status[pos] = _measure(s[cand[pos]], z[cand[pos]], close[cand[pos]], radius, apart,
                                   n_jobs)  # fmt: skip
    other = np.flatnonzero(~ok & ~close[cand])  # far pairs the kernel cannot measure: GEOS
    if len(other):
        d[other] = shapely.distance(s[cand[other]], z[cand[other]])
    keep = (ok | ~close[cand]) & (status != 2)
    return cand[keep], d[keep], d[keep] <= radius


def warm_up() -> float:
    """Compile the run kernel (:mod:`zoning.screening.nearkernel`; ``make setup`` calls it).

    numba caches the machine code, so the first screening with nearby zones on a large batch
    does not pay for compiling (several seconds).

    Returns
    -------
    float
        The distance between two unit squares 2 m apart (2.0).

    Examples
    --------
    >>> warm_up()
    2.0
    """
    import shapely

    s = np.array([shapely.box(0, 0, 1, 1)], dtype=object)
    z = np.array([shapely.box(3, 0, 4, 1)], dtype=object)
    return float(far_distances(s, z, 10.0, kernel_min=0)[0][0])


def far_pairs(s: np.ndarray, z: np.ndarray, radius: float, tolerance: float) -> np.ndarray:
    """Return the positions of the pairs that only need a distance (nearby, not touching).

    The envelopes' gap decides, exactly as in :func:`zoning.screening.metrics.run_pair_metrics`:
    pairs whose envelopes come within ``tolerance + 1`` m are measured in full there; pairs
    farther apart but within ``max(radius, tolerance) + 1`` m need only their distance.

    Parameters
    ----------
    s, z : numpy.ndarray
        Site and zone of each pair (projected metres).
    radius, tolerance : float
        Search radius and positional tolerance (m).

    Returns
    -------
    numpy.ndarray
        Positions of the far pairs.
    """
    if not radius > tolerance:  # the radius adds nothing beyond the tolerance
        return np.empty(0, dtype=np.int64)
    env = _envelope_gaps(s, z)
    return np.flatnonzero((env > tolerance + 1.0) & (env <= max(radius, tolerance) + 1.0))


def _envelope_gaps(s: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Gap between the envelopes of each pair, computed as ``run_pair_metrics`` computes it."""
    import shapely

    sb, zb = shapely.bounds(s), shapely.bounds(z)
    gap_x = np.maximum(0.0, np.maximum(zb[:, 0] - sb[:, 2], sb[:, 0] - zb[:, 2]))
    gap_y = np.maximum(0.0, np.maximum(zb[:, 1] - sb[:, 3], sb[:, 1] - zb[:, 3]))
    return np.hypot(gap_x, gap_y)


def without_far(z: np.ndarray, far: np.ndarray) -> np.ndarray:
    """Return ``z`` with the far pairs' zones emptied, for ``run_pair_metrics`` to skip them.

    An empty zone is never close nor within the radius: its pair costs the metrics nothing and
    comes out as a far pair's row (no contact, no overlap). The pairs stay in place, so the
    metrics batch every other pair exactly as before (their last bits depend on the batches).

    Parameters
    ----------
    z : numpy.ndarray
        Zone of each pair.
    far : numpy.ndarray
        Positions of the far pairs (:func:`far_pairs`).

    Returns
    -------
    numpy.ndarray
        A copy of ``z``.
    """
    import shapely

    out = z.copy()
    out[far] = shapely.Polygon()
    return out


def add_far_pairs(
    m: dict[str, np.ndarray],
    far: np.ndarray,
    distance: np.ndarray,
    within: np.ndarray,
    tolerance: float,
) -> dict[str, np.ndarray]:
    """Write the far pairs' distances into the metrics ``m`` of every pair (in place).

    A far pair's row becomes the one ``run_pair_metrics`` gives a pair whose envelopes lie
    apart: its distance and kept if within the radius, else distance 0 and dropped.

    Parameters
    ----------
    m : dict of str to numpy.ndarray
        ``run_pair_metrics`` of every pair, the far ones with empty zones (:func:`without_far`).
    far : numpy.ndarray
        Positions of the far pairs.
    distance, within : numpy.ndarray
        :func:`far_distances` of the far pairs.
    tolerance : float
        Positional tolerance (m).

    Returns
    -------
    dict of str to numpy.ndarray
        ``m``.
    """
    dist = np.where(within, distance, 0.0)
    m["distance_m"][far] = dist
    m["keep"][far] = within
    m["near_boundary"][far] = dist <= tolerance
    return m
