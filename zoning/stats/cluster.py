"""Zoning statistics on a Dask cluster, with numbers identical to the single-machine path.

:func:`area_by_unit_dask` runs the same three stages as :func:`zoning.stats.area_by_unit`:

1. **dissolve** (on the client) — the overlap graph and its connected groups. This is cheap
   (envelope queries and exact tests on candidate pairs); the unions are deferred.
2. **measure** (on the workers) — the dissolved pieces are partitioned spatially: ordered
   along a Hilbert curve through their envelope centres (as dask-geopandas'
   ``spatial_shuffle(by="hilbert")`` does) and cut into runs of about equal work (vertices), so
   that each partition covers a compact area; each partition's pieces — with only the features
   they need — go to a worker, which unions and clips them against the units exactly as the
   single-machine path does (units prepared once per worker thread).
3. **sum** (on the client) — the per-piece areas are added with :func:`math.fsum`, which does
   not depend on the order, so the result is bitwise identical to ``area_by_unit``.

A piece is measured whole by one worker even when it crosses partition borders, so nothing is
split or counted twice at partition edges (the dask-geopandas issue #8 pitfall).

The default scheduler is a ``dask.distributed`` ``LocalCluster`` on this machine; pass
``scheduler="tcp://host:8786"`` (``zoning stats --scheduler``) for an existing cluster.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from zoning.crs import ALBERS_CHINA, require_measurable
from zoning.stats.dissolve import dissolve_layers
from zoning.stats.measure import measure_pieces
from zoning.stats.pieces import Pieces
from zoning.stats.summary import summarise
from zoning.stats.units import prepare_units
from zoning.threads import resolve_n_jobs

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = ["area_by_unit_dask", "dask_client", "partition_pieces"]

logger = logging.getLogger(__name__)


@contextmanager
def dask_client(
    scheduler: str | None = None,
    *,
    n_local_workers: int = 2,
    processes: bool = False,
    n_workers: int | None = None,
) -> Iterator[Any]:
    """Yield a ``dask.distributed.Client``: to ``scheduler``, or a new local cluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``); ``None`` or ``"local"`` starts a
        ``LocalCluster`` that is closed on exit.
    n_local_workers : int
        Workers of the local cluster started here (one thread each); not used with
        ``scheduler``, whose cluster has its own workers.
    processes : bool
        Local workers as processes (True) or threads of this process (False: no data copies;
        shapely releases the GIL, so threads use the cores too).
    n_workers : int, optional
        Deprecated name of ``n_local_workers``.

    Yields
    ------
    distributed.Client
        A client, closed (with the local cluster) on exit.
    """
    from distributed import Client, LocalCluster

    if n_workers is not None:
        warnings.warn(
            "dask_client(n_workers=) is deprecated; use n_local_workers= (the count of local "
            "Dask worker processes or threads started here)",
            DeprecationWarning,
            stacklevel=3,
        )
        n_local_workers = n_workers

    if scheduler and scheduler != "local":
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=n_local_workers,
        threads_per_worker=1,
        processes=processes,
        dashboard_address=":0",  # any free port: never clash with a running cluster
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def partition_pieces(pieces: Pieces, npartitions: int) -> list[np.ndarray]:
    """Split pieces into ``npartitions`` spatially compact groups of about equal work.

    Pieces are ordered along a Hilbert curve through their envelope centres (the ordering
    dask-geopandas' ``spatial_shuffle(by="hilbert")`` uses, computed here in one vectorised
    pass), then cut into consecutive runs holding about the same number of vertices — the
    measuring cost — so that no worker waits on one heavy partition.

    Returns
    -------
    list of ndarray
        Piece positions per partition (every piece in exactly one), each sorted.
    """
    import geopandas as gpd

    if len(pieces) == 0:
        return []
    b = pieces.bounds()
    centres = gpd.GeoSeries(shapely.points((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2))
    order = np.argsort(centres.hilbert_distance().to_numpy(), kind="stable")
    verts = shapely.get_num_coordinates(pieces.feats)[pieces.members]
    work = np.add.reduceat(verts, pieces.indptr[:-1]) if len(verts) else np.ones(len(pieces))
    cum = np.cumsum(work[order], dtype=float)
    n = max(1, min(npartitions, len(pieces)))
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, n) / n, side="right")
    parts = np.split(order, cuts)
    return [np.sort(p) for p in parts if len(p)]


#: units prepared on this worker, per (units token, thread): prepared GEOS geometries are not
#: thread-safe, so each worker thread keeps its own copy, built once for all its partitions
_PREPARED: dict[tuple[str, int], Any] = {}
_PREPARED_LOCK = threading.Lock()


def _prepared_units(units: gpd.GeoDataFrame, unit_id: str, token: str) -> Any:
    key = (token, threading.get_ident())
    with _PREPARED_LOCK:
        found = _PREPARED.get(key)
    if found is None:
        found = prepare_units(units, unit_id=unit_id, crs=units.crs, validate=False)
        with _PREPARED_LOCK:
            if len(_PREPARED) > 64:  # a long-lived worker serving many runs
                _PREPARED.clear()
            _PREPARED[key] = found
    return found


def _measure_partition(
    part: Pieces, units: gpd.GeoDataFrame, unit_id: str, token: str
) -> pd.DataFrame:
    """Worker task: measure one partition of pieces against all units."""
    return measure_pieces(part, _prepared_units(units, unit_id, token), n_jobs=1)


def area_by_unit_dask(
    units: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    unit_id: str = "adcode",
    crs: Any = None,
    scheduler: str | None = None,
    client: Any = None,
    npartitions: int | None = None,
    make_valid: bool = True,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """:func:`zoning.stats.area_by_unit` on a Dask cluster (same arguments, same numbers).

    Parameters
    ----------
    units, layers, unit_id, crs, make_valid
        As in :func:`zoning.stats.area_by_unit`.
    scheduler : str, optional
        Scheduler address, or ``None``/``"local"`` for a local cluster (ignored with
        ``client``).
    client : distributed.Client, optional
        An existing client to use.
    npartitions : int, optional
        Spatial partitions of the pieces (default: 4 per worker thread).
    n_jobs : int, optional
        Threads of this process for the dissolve, which runs here (default: the free CPUs,
        :func:`zoning.threads.resolve_n_jobs`). Results do not depend on it.

    Returns
    -------
    DataFrame
        Identical to :func:`zoning.stats.area_by_unit`.
    """
    target = require_measurable(crs if crs is not None else ALBERS_CHINA, "zoning statistics")
    prepared = prepare_units(units, unit_id=unit_id, crs=target)  # validates the units
    # the dissolve runs on the client with this machine's cores (threads: shapely frees the GIL)
    pieces, zones_by_kind = dissolve_layers(
        layers, crs=target, make_valid=make_valid, n_jobs=resolve_n_jobs(n_jobs)
    )
    projected = units.to_crs(target)[[unit_id, "geometry"]].copy()
    projected[unit_id] = projected[unit_id].astype(str)
    projected["geometry"] = list(prepared.geoms)  # repaired geometries, same as the local path
    token = hashlib.sha256(
        b"".join(shapely.to_wkb(prepared.geoms)) + "\0".join(prepared.ids).encode()
    ).hexdigest()

    def _run(c: Any) -> pd.DataFrame:
        threads = sum(c.nthreads().values()) or 1
        n = npartitions or 4 * threads
        parts = partition_pieces(pieces, n)
        logger.info(
            "dask: %d pieces in %d partitions on %d threads", len(pieces), len(parts), threads
        )
        # hash=False: tokenizing object arrays of geometries costs more than the work itself
        units_future = c.scatter(projected, broadcast=True, hash=False)
        part_futures = c.scatter([pieces.take(idx) for idx in parts], hash=False)
        futures = [
            c.submit(_measure_partition, pf, units_future, unit_id, token, pure=False)
            for pf in part_futures
        ]
        results = c.gather(futures)
        measured = [r for r in results if len(r)]
        if not measured:
            return measure_pieces(Pieces.concat([]), prepared)
        # measure_pieces returns piece positions local to each partition; only unit, kind,
        # label and area are summed, so they can be concatenated directly
        return pd.concat(measured, ignore_index=True)

    if client is not None:
        measured = _run(client)
    else:
        with dask_client(scheduler) as c:
            measured = _run(c)
    return summarise(measured, prepared, zones_by_kind)
