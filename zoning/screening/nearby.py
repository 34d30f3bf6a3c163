"""Distances of site/zone pairs whose envelopes lie apart: the nearby zones within the radius.

Pairs whose envelopes are disjoint cannot touch, so GEOS's distance between the two is the
least of its distances between a segment (or point) of the site and a segment of the zone's
rings; against whole zones of hundreds of vertices that was most of a screening with nearby
zones. :func:`far_pairs` picks those pairs (with the envelope gaps ``run_pair_metrics`` uses),
:func:`without_far` hides them from the metrics, :func:`far_distances` measures them and
:func:`add_far_pairs` writes their rows, as the metrics would have.

:func:`far_distances` cuts each zone's rings into runs of :data:`RUN` segments (the zone's own
vertices; runs share their end points). A numba kernel (:mod:`zoning.screening.nearkernel`)
visits a pair's runs nearest envelope first, measures them approximately, stops when the
envelopes lie beyond the least distance found, and names the runs within rounding of that
least; pairs beyond the radius (with a margin) are named none and dropped. GEOS then measures
the site against the named runs only, and the least is the answer: GEOS's own distance to a
piece of the boundary made of the zone's vertices, i.e. ``shapely.distance(site, zone)`` bit
for bit (``tests/test_screening_nearby.py`` compares them on random and demo zones). Points,
zones that are not polygons and batches under :data:`KERNEL_MIN` pairs are measured whole.
"""

from __future__ import annotations

import itertools

import numpy as np

from zoning.ranges import concat_ranges

__all__ = [
    "KERNEL_MIN",
    "RUN",
    "add_far_pairs",
    "far_distances",
    "far_pairs",
    "warm_up",
    "without_far",
]

#: segments per run of a zone ring
RUN = 32
#: fewer pairs than this are measured whole by GEOS: numba's import and first call cost about
#: 0.7 s of CPU, the kernel saves about 10 µs per pair of a line or polygon site
KERNEL_MIN = 50_000
#: zones measured at once (bounds the per-chunk coordinate copies)
_CHUNK = 2048
#: relative and absolute slack of the lower bounds (rounding of GEOS's distance and ours)
_REL = 1e-9
_ABS = 1e-6


def _site_segments(sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segments (rows ``ax, ay, bx, by``) of each site's lines and rings; points have length 0.

    Returns the segments and the first segment of each site (``first[i]:first[i + 1]``).
    """
    import shapely

    parts, owner = shapely.get_parts(sites, return_index=True)
    dims = shapely.get_dimensions(parts)
    segs: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    polys = dims == 2
    if polys.any():  # a polygon's segments are its rings'
        rings, ring_owner = shapely.get_rings(parts[polys], return_index=True)
        parts = np.concatenate([parts[~polys], rings])
        owner = np.concatenate([owner[~polys], owner[polys][ring_owner]])
        dims = shapely.get_dimensions(parts)
    lines = dims == 1
    if lines.any():
        coords, cidx = shapely.get_coordinates(parts[lines], return_index=True)
        same = cidx[1:] == cidx[:-1]
        segs.append(np.column_stack([coords[:-1][same], coords[1:][same]]))
        owners.append(owner[lines][cidx[:-1][same]])
    pts = dims == 0
    if pts.any():
        coords, cidx = shapely.get_coordinates(parts[pts], return_index=True)
        segs.append(np.column_stack([coords, coords]))
        owners.append(owner[pts][cidx])
    seg = np.concatenate(segs) if segs else np.empty((0, 4))
    own = np.concatenate(owners) if owners else np.empty(0, np.int64)
    order = np.argsort(own, kind="stable")
    seg, own = seg[order], own[order]
    return np.ascontiguousarray(seg), np.searchsorted(own, np.arange(len(sites) + 1))


def _zone_runs(zones: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut the rings of polygonal ``zones`` into runs: coordinates, run ends, first run per zone.

    Returns ``coords`` (all ring vertices, ``(n, 2)``), ``start`` and ``end`` (inclusive vertex
    positions of each run, in ring order), and ``first`` (runs of zone ``k`` are
    ``first[k]:first[k+1]``).
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
    else:
        kind, coords, offsets = shapely.to_ragged_array(zones)
        ring_off = np.asarray(offsets[0], dtype=np.int64)
        if kind == shapely.GeometryType.POLYGON:
            zone_ring = np.asarray(offsets[1], dtype=np.int64)
        else:  # MULTIPOLYGON: rings of parts, parts of zones
            part_off = np.asarray(offsets[1], dtype=np.int64)
            zone_ring = part_off[np.asarray(offsets[2], dtype=np.int64)]
    n_seg = np.diff(ring_off) - 1  # a closed ring of n vertices has n - 1 segments
    n_run = np.where(n_seg > 0, -(-n_seg // RUN), 0)
    ring_of_run = _owners(n_run)
    run_first = np.concatenate([[0], np.cumsum(n_run)])
    k = np.arange(len(ring_of_run)) - run_first[ring_of_run]
    start = ring_off[ring_of_run] + k * RUN
    end = np.minimum(start + RUN, ring_off[ring_of_run + 1] - 1)
    first = run_first[zone_ring]
    return np.ascontiguousarray(coords[:, :2]), start, end, first


def _ids(geoms: np.ndarray) -> np.ndarray:
    """Identity of each object (the same site or zone appears in many pairs)."""
    return np.fromiter(map(id, geoms), dtype=np.int64, count=len(geoms))


def _owners(count: np.ndarray) -> np.ndarray:
    """Owner ``i`` repeated ``count[i]`` times, for every i."""
    return np.repeat(np.arange(len(count)), count)


def _lines(xy: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """LineStrings of the runs ``start`` … ``end`` of ``xy`` (the zone's own vertices)."""
    import shapely

    count = end - start + 1
    return shapely.linestrings(xy[concat_ranges(start, count)], indices=_owners(count))


def _chunk(
    s: np.ndarray,
    zones: np.ndarray,
    zone_of: np.ndarray,
    seg: np.ndarray,
    seg_first: np.ndarray,
    site_of: np.ndarray,
    radius: float,
) -> np.ndarray:
    """:func:`far_distances` of pairs of sites ``s`` and ``zones[zone_of]``; ``inf`` if beyond."""
    import shapely

    from zoning.screening.nearkernel import run_boxes, select_runs

    n = len(s)
    out = np.full(n, np.inf)
    xy, start, end, zfirst = _zone_runs(zones)
    boxes = run_boxes(xy, start, end)
    n_runs = np.diff(zfirst)[zone_of]
    pr_first = np.concatenate([[0], np.cumsum(n_runs)])
    flags = np.zeros(int(pr_first[-1]), dtype=bool)
    scale = float(np.abs(xy).max(initial=0.0))
    select_runs(
        site_of, zone_of, seg, seg_first, xy, start, end, boxes, zfirst, pr_first,
        radius, _REL, _ABS + 1e-13 * scale, flags,
    )  # fmt: skip
    pr_pair, pr_run = _owners(n_runs), concat_ranges(zfirst[zone_of], n_runs)
    rows = np.flatnonzero(flags)
    if len(rows):
        d = shapely.distance(s[pr_pair[rows]], _lines(xy, start[pr_run[rows]], end[pr_run[rows]]))
        np.minimum.at(out, pr_pair[rows], d)
    return out


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
        Threads (the GEOS calls release the GIL).
    kernel_min : int, optional
        Fewest line or polygon pairs measured through the runs (default :data:`KERNEL_MIN`).

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
    if not n:
        return d, np.zeros(0, dtype=bool)
    types = shapely.get_type_id(z)
    poly = (types == shapely.GeometryType.POLYGON) | (types == shapely.GeometryType.MULTIPOLYGON)
    poly &= ~shapely.is_empty(z) & ~shapely.is_empty(s)
    # a point against a whole zone costs GEOS one pass over its segments: no faster here
    poly &= shapely.get_dimensions(s) > 0
    other = np.flatnonzero(~poly)
    if len(other):  # points; zones of lines, points, collections; empty: measured whole
        d[other] = shapely.distance(s[other], z[other])
    pos = np.flatnonzero(poly)
    if 0 < len(pos) < (KERNEL_MIN if kernel_min is None else kernel_min):
        d[pos] = shapely.distance(s[pos], z[pos])
    elif len(pos):
        _, site_of = np.unique(_ids(s[pos]), return_inverse=True)
        uniq = np.empty(int(site_of.max()) + 1, dtype=object)
        uniq[site_of] = s[pos]
        seg, seg_first = _site_segments(uniq)
        # each zone's vertices are read once: pairs grouped by zone, runs of zones at a time
        _, zone_of = np.unique(_ids(z[pos]), return_inverse=True)
        zones = np.empty(int(zone_of.max()) + 1, dtype=object)
        zones[zone_of] = z[pos]
        order = np.argsort(zone_of, kind="stable")
        pos, zone_of, site_of = pos[order], zone_of[order], site_of[order]
        bounds = np.searchsorted(zone_of, np.arange(0, len(zones) + _CHUNK, _CHUNK))
        spans = [(a, b) for a, b in itertools.pairwise(bounds) if b > a]

        def job(span: tuple[int, int]) -> np.ndarray:
            a, b = span
            k0 = int(zone_of[a])
            k1 = int(zone_of[b - 1]) + 1
            return _chunk(
                s[pos[a:b]], zones[k0:k1], zone_of[a:b] - k0, seg, seg_first,
                site_of[a:b], radius,
            )  # fmt: skip

        if n_jobs > 1 and len(spans) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                parts = list(pool.map(job, spans))
        else:
            parts = [job(x) for x in spans]
        d[pos] = np.concatenate(parts)
    return d, d <= radius


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
    import shapely

    if not radius > tolerance:  # the radius adds nothing beyond the tolerance
        return np.empty(0, dtype=np.int64)
    sb, zb = shapely.bounds(s), shapely.bounds(z)
    gap_x = np.maximum(0.0, np.maximum(zb[:, 0] - sb[:, 2], sb[:, 0] - zb[:, 2]))
    gap_y = np.maximum(0.0, np.maximum(zb[:, 1] - sb[:, 3], sb[:, 1] - zb[:, 3]))
    env = np.hypot(gap_x, gap_y)
    return np.flatnonzero((env > tolerance + 1.0) & (env <= max(radius, tolerance) + 1.0))


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
