"""Dissolve: the features of each layer grouped into pieces whose union counts once.

Features whose envelopes overlap are linked when their interiors really overlap (a positive
intersection area from :mod:`zoning.polyarea`, the exact DE-9IM test where it declines).
Pairs that only touch along a line (envelopes meeting on a line: :func:`envelopes_apart`) or
whose interiors are proved disjoint from a few edges (:mod:`zoning.stats.interiors_apart`:
most pairs of layers cut along county lines) never reach the kernel; their area would be 0,
so the groups are the same. Connected components of that graph are the groups whose union counts once, members in a
canonical order so that permuting input rows changes nothing. A feature that overlaps nothing
is its own piece. No union is built here: :class:`Pieces` keeps the groups, the areas the
dissolve already knows, and the zone labels each piece counts for;
:func:`piece_geometries` builds the unions when a caller needs the geometries.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from zoning.crs import ALBERS_CHINA, require_measurable
from zoning.duplicates import NEAR_DUPLICATE_M, near_duplicate_rows
from zoning.stats.batches import batched_clip_areas
from zoning.stats.envelope_join import envelope_pairs
from zoning.stats.geos import map_chunks, overlay, union_all
from zoning.stats.layer_reads import (
    ALL_ZONES,
    CheckedBeside,
    filled,
    read_layer,
)
from zoning.stats.pieces import Pieces

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = [
    "ALL_ZONES",
    "DissolveStopped",
    "LayerJobs",
    "Pieces",
    "connected_components",
    "dissolve_layer",
    "dissolve_layers",
    "envelopes_apart",
    "lexsort",
    "piece_geometries",
    "start_layers",
]


def lexsort(keys: Sequence[np.ndarray]) -> np.ndarray:
    """:func:`numpy.lexsort` (last key primary, stable), sorting by the other keys only on ties.

    A stable sort by the primary key, then a full :func:`numpy.lexsort` of the runs of equal
    primary keys (NaNs equal to each other, as both sorts place them): the same permutation,
    several times faster when the primary key has few ties (group ids of mostly single
    features, envelopes' x).

    >>> lexsort((np.array([2, 1, 0, 5]), np.array([1, 0, 1, 0]))).tolist()
    [1, 3, 2, 0]
    """
    primary = np.asarray(keys[-1])
    order = np.argsort(primary, kind="stable")
    if len(keys) == 1 or len(order) < 2:
        return order
    p = primary[order]
    tie = p[1:] == p[:-1]
    if p.dtype.kind == "f":
        tie |= np.isnan(p[1:]) & np.isnan(p[:-1])
    if not tie.any():
        return order
    sel = np.flatnonzero(np.r_[tie, False] | np.r_[False, tie])
    run = np.cumsum(np.r_[True, ~tie])[sel]  # run of equal primary keys of each tied row
    sub = order[sel]  # by run, then row (the stable sort)
    order[sel] = sub[np.lexsort((*(np.asarray(k)[sub] for k in keys[:-1]), run))]
    return order


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Label each of ``n`` nodes with its connected component under the edges ``left–right``.

    Components are numbered 0, 1, … in the order of their lowest node, as
    :func:`scipy.sparse.csgraph.connected_components` numbers them (undirected), so the
    dissolve's piece order is the same; this union-find in numpy spares ``zoning stats`` the
    import of :mod:`scipy.sparse` (about 0.1 s). Each round hooks the larger root of every edge
    that joins two trees onto the smaller one, then points every node straight at its root, so a
    root is always the lowest node of its tree.

    Parameters
    ----------
    n : int
        Number of nodes (0 … n - 1).
    left, right : ndarray of int
        The two ends of each edge (any order; repeated edges and loops are allowed).

    Returns
    -------
    ndarray of int64
        The component of each node.

    Examples
    --------
    >>> connected_components(6, np.array([4, 1, 5]), np.array([1, 2, 4])).tolist()
    [0, 1, 1, 2, 1, 1]
    """
    parent = np.arange(n, dtype=np.int64)
    a = np.asarray(left, dtype=np.int64)
    b = np.asarray(right, dtype=np.int64)
    while len(a):
        ra, rb = parent[a], parent[b]  # roots: every node points at its root
        joins = ra != rb
        if not joins.any():
            break
        a, b, ra, rb = a[joins], b[joins], ra[joins], rb[joins]  # the others stay inside a tree
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:  # point every node at its root again
            up = parent[parent]
            if np.array_equal(up, parent):
                break
            parent = up
    return np.unique(parent, return_inverse=True)[1].astype(np.int64)


def _interiors_meet(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tell where the interiors of ``a`` and ``b`` intersect (touching features stay apart)."""
    hit = shapely.intersects(a, b)
    out = np.zeros(len(a), dtype=bool)
    if hit.any():
        out[hit] = shapely.relate_pattern(a[hit], b[hit], "T********")
    return out


class DissolveStopped(Exception):
    """A dissolve ended early because its ``stop`` event was set (its result is not wanted)."""


def _stop_if_set(stop: threading.Event | None) -> None:
    """Raise :class:`DissolveStopped` when ``stop`` is set."""
    if stop is not None and stop.is_set():
        raise DissolveStopped


def dissolve_layer(
    kind: str,
    geoms: np.ndarray,
    zones: np.ndarray,
    *,
    n_jobs: int = 1,
    group_offset: int = 0,
    stop: threading.Event | None = None,
) -> Pieces:
    """Group the features of one layer into pieces that never overlap within a label.

    Features are linked when their interiors intersect (exact test, run only on pairs whose
    envelopes overlap; features that only touch need no union); each connected group is one piece for ``all`` and, when its features have several
    zones, one piece per zone. Near-coincident copies of a feature with the same zone (one
    polygon delivered twice, :mod:`zoning.duplicates`) count once: all but one are dropped
    before any union, because GEOS overlays of nearly coincident edges go wrong.

    Parameters
    ----------
    kind : str
        Layer kind, copied to the pieces.
    geoms : ndarray
        Polygonal geometries in the measuring CRS.
    zones : ndarray of str
        Zone of each geometry (``"all"`` when the layer has none).
    n_jobs : int
        Threads for the exact tests.
    group_offset : int
        Added to the group ids (to keep them unique across layers).
    stop : threading.Event, optional
        Once set, the dissolve ends at its next stage with :class:`DissolveStopped` (a layer
        dissolved as read whose check found invalid features).

    Returns
    -------
    Pieces
    """
    n = len(geoms)
    if n == 0:
        return Pieces.concat([])
    background = ThreadPoolExecutor(1)
    try:
        # areas (GEOS, without the GIL) on a thread of their own while this thread pairs the
        # envelopes and the workers test the pairs
        measured = background.submit(shapely.area, geoms)
        if n_jobs <= 1:
            measured.result()  # one thread: one stage after the other
        bounds = np.asarray(shapely.bounds(geoms)).reshape(n, 4)
        left, right = envelope_pairs(bounds, geoms)
        _stop_if_set(stop)
        copies = _near_copies(geoms, zones, left, right, bounds)
        if copies.any():  # one feature delivered twice: GEOS unions of such copies go wrong
            return dissolve_layer(
                kind,
                geoms[~copies],
                zones[~copies],
                n_jobs=n_jobs,
                group_offset=group_offset,
                stop=stop,
            )
        inter = np.array([], dtype=float)
        if len(left):
            # envelopes meeting only along a line (features of a tiling, e.g. control units
            # cut by a grid): interiors disjoint, no kernel needed
            apart = envelopes_apart(bounds, left, right)
            left, right = left[~apart], right[~apart]
        if len(left):
            # pairs that only touch (tips on either side of a cut line, a tip against the body
            # across it): proved apart from a few edges, without the kernel (numba, imported
            # here as the kernel is: not with the module)
            from zoning.stats.interiors_apart import interiors_apart

            _stop_if_set(stop)
            apart = interiors_apart(geoms, left, right, n_jobs=n_jobs)
            left, right = left[~apart], right[~apart]
        if len(left):
            _stop_if_set(stop)
            pairs = np.stack([left, right], axis=1)
            hit, inter = _interiors_overlap(geoms, pairs, n_jobs)
            left, right, inter = left[hit], right[hit], inter[hit]
        comp = connected_components(n, left, right)
        area = measured.result()
    finally:
        background.shutdown()

    # canonical member order (envelope, then area), so permuting rows changes nothing
    order = lexsort((area, bounds[:, 3], bounds[:, 2], bounds[:, 1], bounds[:, 0], comp))
    comp_sorted = comp[order]
    starts = np.flatnonzero(np.r_[True, comp_sorted[1:] != comp_sorted[:-1]])
    ends = np.r_[starts[1:], n]
    first = order[starts]
    canon = lexsort((area[first], *(bounds[first, k] for k in (3, 2, 1, 0))))
    group_of_comp = np.empty(len(starts), dtype=np.int64)
    group_of_comp[comp[first[canon]]] = np.arange(len(starts)) + group_offset

    # one piece per group, labelled "all" and, when all its features share one, its zone
    zones_sorted = zones[order]
    sizes = ends - starts
    comp_of_feat = np.repeat(np.arange(len(starts)), sizes)
    differs = np.r_[False, zones_sorted[1:] != zones_sorted[:-1]] & (
        comp_of_feat == np.r_[-1, comp_of_feat[:-1]]
    )
    mixed = np.zeros(len(starts), dtype=bool)
    mixed[comp_of_feat[differs]] = True
    groups = group_of_comp[comp_sorted[starts]]
    zone_of = zones_sorted[starts]
    whole = np.arange(len(starts))
    own_zone = ~mixed & (zone_of != ALL_ZONES)
    indptr_parts = [sizes]
    members_parts = [order]
    p_group = [groups]
    lab_piece = [whole, whole[own_zone]]
    lab = [filled(len(starts), ALL_ZONES), zone_of[own_zone]]
    # groups whose features have several zones also get one piece per zone
    # areas known without a union: one feature, or two whose intersection the test measured
    known = np.full(len(starts), np.nan)
    one = sizes == 1
    known[one] = area[order[starts[one]]]
    two = np.flatnonzero(sizes == 2)
    if len(two) and len(left):
        a, b = order[starts[two]], order[starts[two] + 1]
        key = np.minimum(a, b) * n + np.maximum(a, b)
        pair_key = left * n + right  # left < right
        srt = np.argsort(pair_key)
        pos = np.minimum(np.searchsorted(pair_key[srt], key), len(srt) - 1)
        found = pair_key[srt[pos]] == key
        two, a, b, pos = two[found], a[found], b[found], pos[found]
        known[two] = area[a] + area[b] - inter[srt[pos]]  # NaN where GEOS made the test
    area_parts = [known]
    npieces = len(starts)
    for c in np.flatnonzero(mixed):
        m = order[starts[c] : ends[c]]
        zs = zones_sorted[starts[c] : ends[c]]
        for z in sorted(set(zs) - {ALL_ZONES}):
            sub = m[zs == z]
            members_parts.append(sub)
            indptr_parts.append(np.array([len(sub)]))
            p_group.append(np.array([groups[c]]))
            lab_piece.append(np.array([npieces]))
            lab.append(np.array([z], dtype=object))
            area_parts.append(np.array([area[sub[0]] if len(sub) == 1 else np.nan]))
            npieces += 1
    return Pieces(
        feats=geoms,
        indptr=np.r_[0, np.cumsum(np.concatenate(indptr_parts))].astype(np.int64),
        members=np.concatenate(members_parts).astype(np.int64),
        kind=filled(npieces, kind),
        group=np.concatenate(p_group).astype(np.int64),
        label_piece=np.concatenate(lab_piece).astype(np.int64),
        label=np.concatenate(lab),
        area=np.concatenate(area_parts),
        feat_bounds=bounds,
    )


def envelopes_apart(bounds: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Tell which pairs have envelopes that meet only along a line (or at a corner).

    A polygon's interior lies in the interior of its envelope, so where two envelopes overlap
    with zero width or height the features' interiors are disjoint: the kernel's answer (0
    within its rounding bound), without walking the boundaries.

    Parameters
    ----------
    bounds : ndarray, shape (n, 4)
        Envelope ``(xmin, ymin, xmax, ymax)`` of each feature.
    left, right : ndarray of int
        The pairs (candidates whose closed envelopes meet).

    Returns
    -------
    ndarray of bool
        True where the features' interiors are proved disjoint.

    Examples
    --------
    >>> b = np.array([[0.0, 0, 1, 1], [1, 0, 2, 1], [0.5, 0.5, 3, 3], [2, 1, 3, 2]])
    >>> envelopes_apart(b, np.array([0, 0, 0]), np.array([1, 2, 3])).tolist()
    [True, False, True]
    """
    bl, br = bounds[left], bounds[right]
    flat_x = np.minimum(bl[:, 2], br[:, 2]) <= np.maximum(bl[:, 0], br[:, 0])
    flat_y = np.minimum(bl[:, 3], br[:, 3]) <= np.maximum(bl[:, 1], br[:, 1])
    return flat_x | flat_y


def _near_copies(
    geoms: np.ndarray, zones: np.ndarray, left: np.ndarray, right: np.ndarray, bounds: np.ndarray
) -> np.ndarray:
    """:func:`zoning.duplicates.near_duplicate_rows` over the features of the pairs only.

    Copies have envelopes equal within :data:`zoning.duplicates.NEAR_DUPLICATE_M`, the first
    test :func:`zoning.duplicates.near_duplicate_pairs` makes: only the pairs (``left <
    right``) that pass it, with ``bounds`` (the features' envelopes, as GEOS gives them), are
    handed on, and only their features read: the same mask, without areas and lengths of
    every paired feature (layers cut along unit lines pair most of their features).
    """
    drop = np.zeros(len(geoms), dtype=bool)
    close = (np.abs(bounds[left] - bounds[right]) <= NEAR_DUPLICATE_M).all(axis=1)
    left, right = left[close], right[close]
    if len(left) == 0:
        return drop
    used = np.unique(np.concatenate([left, right]))
    pairs = (np.searchsorted(used, left), np.searchsorted(used, right))
    drop[used] = near_duplicate_rows(geoms[used], zones[used], pairs)
    return drop


def _interiors_overlap(
    geoms: np.ndarray, pairs: np.ndarray, n_jobs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Tell whether the interiors of each pair overlap, and the area of their intersection.

    Pairs are ``geoms[pairs[:, 0]]`` and ``geoms[pairs[:, 1]]``.

    Measured as a positive intersection area by :mod:`zoning.polyarea`; pairs it declines
    (touching or collinear edges) get the exact DE-9IM test from GEOS and a NaN area.
    """
    area, noise = batched_clip_areas(
        geoms, np.arange(len(pairs) + 1), pairs[:, 0], pairs[:, 1], n_jobs=n_jobs
    )
    hit = area > noise  # features that only touch have an intersection of 0 within rounding
    bad = np.flatnonzero(np.isnan(area))
    if len(bad):
        hit[bad] = _interiors_meet(geoms[pairs[bad, 0]], geoms[pairs[bad, 1]])
    return hit, area


def piece_geometries(pieces: Pieces, idx: np.ndarray, n_jobs: int) -> np.ndarray:
    """Build (union) the geometries of pieces ``idx``."""
    out = np.empty(len(idx), dtype=object)
    sizes = pieces.sizes()[idx]
    first = pieces.members[pieces.indptr[idx]]
    one = sizes == 1
    out[one] = pieces.feats[first[one]]
    two = np.flatnonzero(sizes == 2)
    if len(two):
        a = first[two]
        b = pieces.members[pieces.indptr[idx[two]] + 1]
        pairs = np.stack([a, b], axis=1)
        out[two] = map_chunks(
            lambda p: overlay(shapely.union, pieces.feats[p[:, 0]], pieces.feats[p[:, 1]]),
            pairs,
            n_jobs,
        )
    many = np.flatnonzero(sizes > 2)
    if len(many):

        def _u(k: int | np.integer) -> Any:
            i = idx[k]
            return union_all(pieces.feats[pieces.members[pieces.indptr[i] : pieces.indptr[i + 1]]])

        if n_jobs > 1 and len(many) > 1:
            with ThreadPoolExecutor(n_jobs) as pool:
                out[many] = list(pool.map(_u, many))
        else:
            out[many] = [_u(k) for k in many]
    return out


def dissolve_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    crs: Any = None,
    n_jobs: int = 1,
    make_valid: bool = True,
) -> tuple[Pieces, dict[str, list[str]]]:
    """Project and dissolve every layer; return the pieces and the zones present per kind."""
    with ThreadPoolExecutor(max(1, min(n_jobs, len(layers)))) as pool:
        started = start_layers(layers, pool, crs=crs, n_jobs=n_jobs, make_valid=make_valid)
        parts = [started.pieces(i) for i in range(len(started.kinds))]
    return Pieces.concat(parts), started.zones_by_kind


@dataclass(frozen=True)
class LayerJobs:
    """The layers being dissolved (:func:`start_layers`), one future per kind in sorted order.

    Attributes
    ----------
    kinds : list of str
        The layer kinds, sorted.
    jobs : list of Future
        :func:`dissolve_layer` of each kind, with group ids from 0.
    offsets : list of int
        Added to the group ids of each kind: the features of the kinds sorted before it.
    zones_by_kind : dict of str to list of str
        The zones present per kind, kinds in sorted order.
    beside : dict of int to CheckedBeside
        The kinds dissolved as read while their validity is checked (``checker`` of
        :func:`start_layers`): ``jobs`` holds those dissolves.
    """

    kinds: list[str]
    jobs: list[Future[Pieces]]
    offsets: list[int]
    zones_by_kind: dict[str, list[str]]
    beside: dict[int, CheckedBeside[Pieces]] = field(default_factory=dict)

    def pieces(self, i: int) -> Pieces:
        """Wait for kind ``i`` and return its pieces (its dissolve's error, if any).

        Group ids as :func:`dissolve_layers` numbers them: after the earlier kinds' features.
        A kind checked beside its dissolve waits for the check too, and for its repaired
        dissolve when it has invalid features (:class:`~zoning.stats.layer_reads.StartChecked`
        when that cannot give what checking first gives).
        """
        p = _layer_pieces(self.jobs[i], self.beside.get(i))
        return p if self.offsets[i] == 0 else replace(p, group=p.group + self.offsets[i])


def _layer_pieces(job: Future[Pieces], beside: CheckedBeside[Pieces] | None) -> Pieces:
    """Return the pieces of a layer's dissolve ``job`` (checked beside it: ``beside``)."""
    return job.result() if beside is None else beside.pieces(job)


def _submit_dissolve(
    pool: ThreadPoolExecutor, kind: str, n_jobs: int, geoms: np.ndarray, zones: np.ndarray
) -> Future[Pieces]:
    """Start :func:`dissolve_layer` of ``geoms`` on ``pool``."""
    return pool.submit(dissolve_layer, kind, geoms, zones, n_jobs=n_jobs)


def start_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    pool: ThreadPoolExecutor,
    *,
    crs: Any = None,
    n_jobs: int = 1,
    make_valid: bool = True,
    checker: ThreadPoolExecutor | None = None,
) -> LayerJobs:
    """Read every layer on this thread and start its dissolve on ``pool``, largest first.

    Layers are read (projected, checked) one after the other, and each is dissolved on a
    thread of ``pool`` meanwhile: one layer's serial steps (envelope join, sorting) overlap
    another's pair tests. The layer with the most features is read and started first, so the
    longest dissolve does not wait for a thread while smaller ones run. Errors are those one
    layer after the other in sorted order would meet first: a layer that cannot be read is
    reported after the dissolve errors of the kinds sorted before it (:meth:`LayerJobs.pieces`
    raises them), and the kinds sorted after it are not read. With ``n_jobs`` 1 the layers go
    one after the other in sorted order.

    With a ``checker`` thread (and ``n_jobs`` > 1), a layer whose validity is to be checked
    is dissolved as read while the check runs there (:meth:`LayerJobs.pieces` waits for both).
    """
    target = require_measurable(crs if crs is not None else ALBERS_CHINA, "zoning statistics")
    kinds = sorted(layers)
    order = list(range(len(kinds)))
    if n_jobs > 1:  # the most features first; ties in sorted order
        order.sort(key=lambda i: -len(layers[kinds[i]]))
    jobs: dict[int, Future[Pieces]] = {}
    sizes: dict[int, int] = {}
    zones_of: dict[int, list[str]] = {}
    beside: dict[int, CheckedBeside[Pieces]] = {}
    failed: tuple[int, BaseException] | None = None
    for i in order:
        if failed is not None and i > failed[0]:
            continue  # one by one, this layer would never be read
        stop = None
        try:
            read = read_layer(kinds[i], layers[kinds[i]], target, make_valid=make_valid)
            if read.check and checker is not None and n_jobs > 1:
                geoms, zones = read.as_read()
                again = partial(_submit_dissolve, pool, kinds[i], n_jobs)  # once repaired
                beside[i] = CheckedBeside(read, len(geoms), checker, n_jobs, again)
                stop = beside[i].stop
            elif read.check:
                geoms, zones = read.checked(n_jobs)
            else:
                geoms, zones = read.as_read()
        except BaseException as exc:
            failed = (i, exc)
            continue
        zones_of[i] = sorted(set(zones))
        sizes[i] = len(geoms)
        jobs[i] = pool.submit(dissolve_layer, kinds[i], geoms, zones, n_jobs=n_jobs, stop=stop)
        if n_jobs <= 1:
            jobs[i].result()  # one thread: one layer after the other
    if failed is not None:
        for i in range(failed[0]):
            _layer_pieces(jobs[i], beside.get(i))  # an earlier layer's error first
        raise failed[1]
    offsets = np.r_[0, np.cumsum([sizes[i] for i in range(len(kinds))])].tolist()
    return LayerJobs(
        kinds=kinds,
        jobs=[jobs[i] for i in range(len(kinds))],
        offsets=[int(o) for o in offsets[:-1]],
        zones_by_kind={kinds[i]: zones_of[i] for i in range(len(kinds))},
        beside=beside,
    )
