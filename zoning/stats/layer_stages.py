"""Layer stages: each layer measured as soon as it is dissolved, while the others dissolve.

:func:`zoning.stats.summary.area_by_unit` dissolved every layer and then measured them all:
the measure waited for the longest dissolve while the other layers' dissolves had ended and
part of the second core idled. :func:`dissolve_and_measure` measures each layer on the
calling thread as soon as its dissolve ends (the units are prepared by then), while the
pool dissolves the others. Every piece is measured on its own
(:func:`zoning.stats.measure.kernel_pairs`), so the rows are those of measuring all the
pieces at once, in another order; the sums (:func:`math.fsum`) do not depend on the order.
The pieces the kernel declines are measured together at the end, as one call would
(:func:`zoning.stats.measure.declined_pairs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any

import numpy as np

from zoning.stats.dissolve import start_layers
from zoning.stats.measure import declined_pairs, kernel_pairs
from zoning.stats.measured_rows import LabelIndex, MeasuredRows, label_rows
from zoning.stats.pieces import Pieces
from zoning.stats.units import PreparedUnits

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = ["dissolve_and_measure"]


def dissolve_and_measure(
    layers: Mapping[str, gpd.GeoDataFrame],
    units_job: Future[PreparedUnits],
    *,
    crs: Any = None,
    n_jobs: int = 2,
    make_valid: bool = True,
) -> tuple[MeasuredRows, PreparedUnits, dict[str, list[str]]]:
    """Dissolve the layers and measure each in the units as soon as it is dissolved.

    The same rows as :func:`zoning.stats.measure.measure_rows` on
    :func:`zoning.stats.dissolve.dissolve_layers` output (group ids included), in another
    order. Errors come in the order of the stages one after the other: the units' first,
    then the layers' in sorted order, then the measure's.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Layer kind → features (as :func:`zoning.stats.summary.area_by_unit` takes them).
    units_job : Future of PreparedUnits
        The units, being prepared.
    crs : CRS-like, optional
        Equal-area CRS to measure in.
    n_jobs : int
        Threads (more than one: with one, the stages go one after the other).
    make_valid : bool
        Check and repair the layers' geometries.

    Returns
    -------
    rows : MeasuredRows
        The measured rows.
    units : PreparedUnits
        ``units_job``'s result.
    zones_by_kind : dict of str to list of str
        The zones present per kind.
    """
    with ThreadPoolExecutor(max(1, min(n_jobs, len(layers)))) as pool:
        try:
            started = start_layers(layers, pool, crs=crs, n_jobs=n_jobs, make_valid=make_valid)
        except BaseException:
            units_job.result()  # a problem with the units is reported first
            raise
        position = {job: i for i, job in enumerate(started.jobs)}
        done: dict[int, tuple[Pieces, np.ndarray, MeasuredRows]] = {}
        try:
            for job in as_completed(started.jobs):
                i = position[job]
                pieces = started.pieces(i)
                units = units_job.result()
                found = kernel_pairs(pieces, units, n_jobs=n_jobs)
                rows = label_rows(pieces, found.labels, found.piece, found.unit, found.area)
                done[i] = (pieces, found.declined, rows)
        except BaseException:
            units_job.result()  # the units' error first, then the first layer's in sorted order
            for i in range(len(started.kinds)):
                started.pieces(i)
            raise
    units = units_job.result()
    ordered = [done[i] for i in range(len(started.kinds))]
    parts = [rows for _, _, rows in ordered]
    piece_offset = np.cumsum([0] + [len(p) for p, _, _ in ordered])
    declined = np.concatenate(
        [d + off for (_, d, _), off in zip(ordered, piece_offset, strict=False)]
        + [np.array([], dtype=np.int64)]
    )
    if len(declined):  # all at once, as measuring the layers together would
        pieces = Pieces.concat([p for p, _, _ in ordered])
        pc, uc, ac = declined_pairs(pieces, declined, units, n_jobs=n_jobs)
        parts.append(label_rows(pieces, LabelIndex.of(pieces), pc, uc, ac))
    return MeasuredRows.concat(parts), units, started.zones_by_kind
