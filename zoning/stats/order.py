"""Measure first, then dissolve: only features that share a unit are tested for overlap.

:func:`zoning.stats.area_by_unit` reports areas per unit, so two features can count twice
only inside a unit where both have area. Layers cut along unit lines are full of features whose
envelopes overlap while their interiors only touch (one patch cut in two along a county
line): the dissolve's exact pair test found nothing on ~96 % of its pairs there. This order

1. measures every feature on its own against the units (:func:`zoning.stats.measure.measure_areas`),
   which the statistics need anyway: most pieces are one feature;
2. tests only the candidate pairs (:func:`zoning.stats.dissolve.layer_pairs`) whose features
   both have a positive row in one unit (:func:`shares_unit`), and groups the features
   (:func:`zoning.stats.dissolve.link_layer`);
3. measures the groups of several features; a piece of one feature takes its feature's rows.

The rows differ from those of the full dissolve only where a pair that overlaps was not
tested because in every unit one of the two has no row: the measure drops a row whose area is
within the kernel's rounding bound (a GEOS cut along a unit line leaves slivers of 1e-11–4e-9
m² on the far side). In that unit only the other feature counts, so nothing counts twice; the
area of the group there differs from its union's by at most that dropped sliver.

Areas outside every unit and a layer's whole dissolved area are not per unit:
:func:`zoning.stats.dissolve.dissolve_layers` (every pair tested) stays the path for them
(:mod:`zoning.stats.overlaps`, the run's steps).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from zoning.ranges import concat_ranges
from zoning.stats.dissolve import ALL_ZONES, LayerPairs, Pieces, link_layer
from zoning.stats.measure import MeasuredRows, label_rows, measure_areas
from zoning.stats.units import PreparedUnits

__all__ = ["Measure", "feature_pieces", "ordered_rows", "shares_unit"]

Measure = Callable[[Pieces], tuple[np.ndarray, np.ndarray, np.ndarray]]
"""Measures pieces against the units: ``(piece, unit, area)`` rows with area > 0."""


def feature_pieces(layers: Sequence[LayerPairs]) -> Pieces:
    """Every feature of ``layers`` as a piece of its own (features numbered as :meth:`Pieces.concat`)."""
    n = sum(len(lp) for lp in layers)
    i64 = np.arange(n, dtype=np.int64)
    if n == 0:
        return Pieces.concat([])
    return Pieces(
        feats=np.concatenate([lp.geoms for lp in layers]),
        indptr=np.arange(n + 1, dtype=np.int64),
        members=i64,
        kind=np.concatenate([np.full(len(lp), lp.kind, dtype=object) for lp in layers]),
        group=i64,
        label_piece=i64,
        label=np.full(n, ALL_ZONES, dtype=object),
        area=np.concatenate([lp.area for lp in layers]),
        feat_bounds=np.concatenate([lp.bounds for lp in layers]),
    )


def shares_unit(
    left: np.ndarray, right: np.ndarray, piece: np.ndarray, unit: np.ndarray, n_units: int
) -> np.ndarray:
    """Tell which pairs ``(left, right)`` have a unit where both have a row.

    ``piece``, ``unit`` are the measured rows (one per piece and unit it has area in).

    Examples
    --------
    >>> piece, unit = np.array([0, 1, 1, 2, 3]), np.array([0, 0, 1, 1, 2])
    >>> shares_unit(np.array([0, 0, 1, 2]), np.array([1, 2, 2, 3]), piece, unit, 3).tolist()
    [True, False, True, False]
    """
    keep = np.zeros(len(left), dtype=bool)
    if len(left) == 0 or len(piece) == 0:
        return keep
    piece = np.asarray(piece, dtype=np.int64)
    unit = np.asarray(unit, dtype=np.int64)
    order = np.argsort(piece, kind="stable")
    p_sorted, u_sorted = piece[order], unit[order]
    keys = np.unique(piece * n_units + unit)
    start = np.searchsorted(p_sorted, left, side="left")
    count = np.searchsorted(p_sorted, left, side="right") - start
    pair = np.repeat(np.arange(len(left)), count)
    query = (
        np.asarray(right, dtype=np.int64)[pair] * n_units + u_sorted[concat_ranges(start, count)]
    )
    pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    keep[pair[keys[pos] == query]] = True
    return keep


def ordered_rows(
    layers: Sequence[LayerPairs],
    units: PreparedUnits,
    *,
    n_jobs: int = 1,
    measure: Measure | None = None,
) -> tuple[Pieces, MeasuredRows]:
    """Measure the features, link those sharing a unit, measure the groups: the pieces and rows.

    Parameters
    ----------
    layers : sequence of LayerPairs
        :func:`zoning.stats.dissolve.layers_pairs` output.
    units : PreparedUnits
        The units.
    n_jobs : int
        Threads for the pair tests (and the measure, unless ``measure`` is given).
    measure : callable, optional
        Measures pieces against ``units`` (default :func:`zoning.stats.measure.measure_areas`;
        the Dask path measures on its workers).

    Returns
    -------
    pieces : Pieces
        The dissolved pieces (pairs tested only where they share a unit).
    rows : MeasuredRows
        Their rows, as :func:`zoning.stats.measure.measure_rows` would give for them.
    """
    if measure is None:

        def measure(p: Pieces) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            return measure_areas(p, units, n_jobs=n_jobs)

    f_piece, f_unit, f_area = measure(feature_pieces(layers))
    parts, offset = [], 0
    for lp in layers:
        keep = shares_unit(lp.left + offset, lp.right + offset, f_piece, f_unit, len(units.ids))
        parts.append(link_layer(lp, keep, n_jobs=n_jobs))
        offset += len(lp)
    pieces = Pieces.concat(parts)
    # a piece of one feature: its feature's rows (features are numbered alike in both)
    sizes = pieces.sizes()
    one = np.flatnonzero(sizes == 1)
    feat = pieces.members[pieces.indptr[one]]
    order = np.argsort(f_piece, kind="stable")
    start = np.searchsorted(f_piece[order], feat, side="left")
    count = np.searchsorted(f_piece[order], feat, side="right") - start
    rows = order[concat_ranges(start, count)]
    res_piece = [np.repeat(one, count)]
    res_unit, res_area = [f_unit[rows]], [f_area[rows]]
    many = np.flatnonzero(sizes > 1)
    if len(many):
        m_piece, m_unit, m_area = measure(pieces.take(many))
        res_piece.append(many[m_piece])
        res_unit.append(m_unit)
        res_area.append(m_area)
    piece = np.concatenate(res_piece).astype(np.int64)
    unit = np.concatenate(res_unit).astype(np.int64)
    area = np.concatenate(res_area)
    return pieces, label_rows(pieces, piece, unit, area)
