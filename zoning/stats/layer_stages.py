"""Layer stages: each layer measured as soon as it is dissolved, while the others dissolve.

:func:`zoning.stats.summary.area_by_unit` dissolved every layer and then measured them all:
the measure waited for the longest dissolve while the other layers' dissolves had ended and
part of the second core idled. :func:`dissolve_and_measure` measures each layer on the
calling thread as soon as its dissolve ends (the units are prepared by then), while the
pool dissolves the others; layers whose dissolves ended while the thread was busy are
measured together. Every piece is measured on its own
(:func:`zoning.stats.measure.kernel_pairs`), so the rows are those of measuring all the
pieces at once, in another order; the sums (:func:`math.fsum`) do not depend on the order.
The pieces the kernel declines are measured together at the end, as one call would
(:func:`zoning.stats.measure.declined_pairs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

import numpy as np

from zoning.stats.dissolve import start_layers
from zoning.stats.layer_reads import StartChecked
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

    With ``make_valid``, each layer's validity is checked on a thread of its own while the
    layer as read is dissolved (:func:`zoning.stats.dissolve.start_layers`): the check had
    the cores to itself before the dissolve began, while the stages after it leave a core
    idle at times. A layer is measured once its check is done; one with invalid features is
    dissolved again, repaired, first. When that cannot give what checking first gives (the
    check failed, or a repair left nothing polygonal of a feature), everything starts over
    with each layer checked and repaired before its dissolve.

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
    if make_valid and n_jobs > 1:
        with ThreadPoolExecutor(1) as checker:
            try:
                return _dissolve_and_measure(layers, units_job, crs, n_jobs, True, checker)
            except StartChecked:
                pass  # checked first, below: the same rows, or the error in its place
    return _dissolve_and_measure(layers, units_job, crs, n_jobs, make_valid, None)


def _dissolve_and_measure(
    layers: Mapping[str, gpd.GeoDataFrame],
    units_job: Future[PreparedUnits],
    crs: Any,
    n_jobs: int,
    make_valid: bool,
    checker: ThreadPoolExecutor | None,
) -> tuple[MeasuredRows, PreparedUnits, dict[str, list[str]]]:
    """:func:`dissolve_and_measure`, the validity checked on ``checker`` when given."""
    with ThreadPoolExecutor(max(1, min(n_jobs, len(layers)))) as pool:
        try:
            started = start_layers(
                layers, pool, crs=crs, n_jobs=n_jobs, make_valid=make_valid, checker=checker
            )
        except BaseException:
            units_job.result()  # a problem with the units is reported first
            raise
        layer_pieces: dict[int, Pieces] = {}
        batches: list[tuple[list[int], np.ndarray, MeasuredRows]] = []
        pending = set(range(len(started.kinds)))
        try:
            while pending:
                ready = _dissolved(started.jobs, pending)
                pending.difference_update(ready)
                for i in ready:
                    layer_pieces[i] = started.pieces(i)
                units = units_job.result()
                parts = [layer_pieces[i] for i in ready]
                pieces = parts[0] if len(parts) == 1 else Pieces.concat(parts)
                found = kernel_pairs(pieces, units, n_jobs=n_jobs)
                rows = label_rows(pieces, found.labels, found.piece, found.unit, found.area)
                batches.append((ready, found.declined, rows))
        except BaseException:
            units_job.result()  # the units' error first, then the first layer's in sorted order
            for i in range(len(started.kinds)):
                started.pieces(i)
            raise
    units = units_job.result()
    ordered = [layer_pieces[i] for i in range(len(started.kinds))]
    offset = np.cumsum([0] + [len(p) for p in ordered])  # of each layer's pieces, all layers
    declined = [np.array([], dtype=np.int64)]
    for ready, local, _ in batches:
        # position in the batch's pieces -> position in every layer's pieces
        starts = np.cumsum([0] + [len(layer_pieces[i]) for i in ready])
        part = np.searchsorted(starts, local, side="right") - 1
        declined.append(local - starts[part] + offset[np.asarray(ready, dtype=np.int64)[part]])
    all_declined = np.sort(np.concatenate(declined))
    measured = [rows for _, _, rows in batches]
    if len(all_declined):  # all at once, as measuring the layers together would
        pieces = Pieces.concat(ordered)
        pc, uc, ac = declined_pairs(pieces, all_declined, units, n_jobs=n_jobs)
        measured.append(label_rows(pieces, LabelIndex.of(pieces), pc, uc, ac))
    return MeasuredRows.concat(measured), units, started.zones_by_kind


def _dissolved(jobs: list[Future[Pieces]], pending: set[int]) -> list[int]:
    """Wait for one of the ``pending`` layers; return every pending layer dissolved by then.

    Measured together: a measure's fixed costs (loops over the units, the grid, the
    kernel's batches) are paid once.
    """
    wait([jobs[i] for i in pending], return_when=FIRST_COMPLETED)
    return sorted(i for i in pending if jobs[i].done())
