"""Summary: measured piece areas added up per unit, layer kind and zone, and rolled up.

:func:`area_by_unit` runs the three stages — dissolve (:mod:`zoning.stats.dissolve`),
measure (:mod:`zoning.stats.measure`), sum (:func:`summarise`) — and returns the statistics
table (:data:`STATS_COLUMNS`); on several threads each layer is measured as soon as it is
dissolved (:mod:`zoning.stats.layer_stages`). Areas are added with :func:`math.fsum` (exactly rounded,
independent of order), so the single-machine and the Dask paths (:mod:`zoning.stats.cluster`)
give identical numbers. :func:`rollup` adds county figures up to cities and the province;
because layers are dissolved before they are split by units, the sums equal a direct
computation on the parent units.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from zoning.kinds import get_kind
from zoning.stats.dissolve import ALL_ZONES, dissolve_layers
from zoning.stats.layer_stages import dissolve_and_measure
from zoning.stats.measure import MeasuredRows, measure_rows
from zoning.stats.pieces import Pieces
from zoning.stats.units import PreparedUnits, prepare_units
from zoning.threads import resolve_n_jobs

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = ["STATS_COLUMNS", "area_by_unit", "parent_adcode", "rollup", "summarise"]

STATS_COLUMNS = ["unit_id", "layer_kind", "zone", "area_km2", "unit_area_km2", "share_pct"]
"""Columns of the statistics table, in order (``zoning stats``)."""


def _zone_order(kind: str, zones: Iterable[str]) -> list[str]:
    """``all`` first, then the kind's canonical zones in declaration order, then the rest."""
    present = set(zones) - {ALL_ZONES}
    declared: tuple[str, ...] = ()
    try:
        declared = get_kind(kind).zone_ids
    except KeyError:
        pass
    ordered = [z for z in declared if z in present]
    ordered += sorted(present - set(ordered))
    return [ALL_ZONES, *ordered]


def summarise(
    measured: pd.DataFrame | MeasuredRows,
    units: PreparedUnits,
    zones_by_kind: Mapping[str, Iterable[str]],
) -> pd.DataFrame:
    """Add up measured piece areas per (unit, kind, zone) with :func:`math.fsum`.

    ``measured`` is :func:`zoning.stats.measure.measure_pieces` output, or the same rows as
    :class:`zoning.stats.measure.MeasuredRows`.

    Every (unit, kind, zone) combination appears, with zero area where nothing lies, so that
    tables of two runs line up row by row.
    """
    sums = _group_sums(measured)
    order = [(kind, _zone_order(kind, zones_by_kind[kind])) for kind in sorted(zones_by_kind)]
    rows: list[tuple[str, str, str, float, float]] = []
    for u, uid in enumerate(units.ids):
        for kind, zones in order:
            for zone in zones:
                rows.append(
                    (uid, kind, zone, sums.get((u, kind, zone), 0.0), float(units.area_m2[u]))
                )
    out = pd.DataFrame(rows, columns=["unit_id", "layer_kind", "zone", "area_m2", "unit_m2"])
    out["area_km2"] = out["area_m2"] / 1e6
    out["unit_area_km2"] = out["unit_m2"] / 1e6
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share_pct"] = np.where(out["unit_m2"] > 0, 100.0 * out["area_m2"] / out["unit_m2"], 0)
    out = out[STATS_COLUMNS]
    return _sort_stats(out)


def _group_sums(measured: pd.DataFrame | MeasuredRows) -> dict[tuple[int, str, str], float]:
    """Sum ``area_m2`` per (unit, kind, label) with :func:`math.fsum`, groups in first-seen order.

    The same sums as a pandas ``groupby(sort=False)`` with ``fsum`` per group (rows with a
    missing key left out). The keys are factorised column by column (hashing, no Python
    objects per row) and the rows sorted by group, so only the ``fsum`` of each group runs in
    Python: a loop over every row cost ~0.1 s per 200,000 rows on the main thread while the
    other core idled. ``fsum`` is correctly rounded, so the order within a group cannot change
    a sum.
    """
    if not len(measured):
        return {}
    codes: list[np.ndarray] = []
    uniques: list[np.ndarray] = []
    if isinstance(measured, MeasuredRows):  # kinds and labels already coded; units are positions
        codes = [measured.unit.astype(np.int64), measured.kind_code, measured.label_code]
        uniques = [np.arange(int(codes[0].max()) + 1), measured.kinds, measured.labels]
    else:
        for col in ("unit", "kind", "label"):
            code, uniq = pd.factorize(measured[col], sort=False)  # missing: -1
            codes.append(code.astype(np.int64))
            uniques.append(np.asarray(uniq, dtype=object))
    keep = (codes[0] >= 0) & (codes[1] >= 0) & (codes[2] >= 0)
    key = (codes[0] * len(uniques[1]) + codes[1]) * len(uniques[2]) + codes[2]
    key = key[keep]
    area = np.asarray(measured["area_m2"], dtype=np.float64)[keep]
    # any order within a group: fsum is correctly rounded. Few groups (117 counties, 4 kinds,
    # 3 labels: 1,404 keys): 16-bit keys, which numpy sorts by radix (4x faster)
    if len(key) and key.max() < 1 << 16:
        order = np.argsort(key.astype(np.uint16), kind="stable")
    else:
        order = np.argsort(key)
    k_sorted = key[order]
    starts = np.flatnonzero(np.r_[True, k_sorted[1:] != k_sorted[:-1]])
    ends = np.r_[starts[1:], len(k_sorted)].tolist()
    first_seen = np.argsort(np.minimum.reduceat(order, starts))  # groups by their first row
    values = area[order].tolist()
    out: dict[tuple[int, str, str], float] = {}
    for g in first_seen.tolist():
        s, k = int(starts[g]), int(k_sorted[starts[g]])
        k, z = divmod(k, len(uniques[2]))
        u, k = divmod(k, len(uniques[1]))
        key_g = (int(uniques[0][u]), str(uniques[1][k]), str(uniques[2][z]))
        out[key_g] = math.fsum(values[s : ends[g]])
    return out


def _sort_stats(df: pd.DataFrame) -> pd.DataFrame:
    """Sort by unit id, then kind, keeping the zone order within each kind."""
    df = df.copy()
    df["_z"] = df.groupby(["unit_id", "layer_kind"], sort=False).cumcount()
    df = df.sort_values(["unit_id", "layer_kind", "_z"], kind="stable").drop(columns="_z")
    return df.reset_index(drop=True)


def area_by_unit(
    units: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    unit_id: str = "adcode",
    crs: Any = None,
    n_jobs: int | None = None,
    make_valid: bool = True,
    validate: bool = True,
    dissolved: tuple[Pieces, dict[str, list[str]]] | None = None,
) -> pd.DataFrame:
    """Area and share of every layer kind and zone inside every unit, in an equal-area CRS.

    Overlapping features of a layer are dissolved first, so nothing is counted twice; features
    crossing a unit boundary are split exactly. Layers and units may be in any CRS (EPSG:4490,
    a Gauss–Krüger zone, WGS84 …): everything is measured in ``crs``.

    Parameters
    ----------
    units : GeoDataFrame
        Units that do not overlap each other (e.g. counties), with an id column.
    layers : mapping of str to GeoDataFrame
        Layer kind → features; a ``zone`` column gives zone rows (otherwise only ``all``).
        Non-polygonal features (rivers as lines) are ignored.
    unit_id : str
        Id column of ``units`` (default ``"adcode"``).
    crs : CRS-like, optional
        Equal-area CRS to measure in; default :data:`zoning.crs.ALBERS_CHINA`.
    n_jobs : int, optional
        Threads to use (default: all cores). Results do not depend on it.
    make_valid : bool
        Check layer geometries and repair invalid ones (``False`` for frames already valid,
        such as :meth:`Catalog.frame` output: the check costs about as much as the rest).
    validate : bool
        Check the units (unique ids, no overlaps); turn off only for units already checked.
    dissolved : tuple, optional
        :func:`dissolve_layers` output for ``layers`` in ``crs``, to reuse one dissolve for
        several unit sets (``layers`` is then not read).

    Returns
    -------
    DataFrame
        ``unit_id, layer_kind, zone, area_km2, unit_area_km2, share_pct``; ``zone == "all"`` is
        the whole dissolved layer. One row per unit × kind × zone present, zeros included,
        sorted by unit id, kind, zone.

    Raises
    ------
    LayerValidationError
        Units with duplicate ids, overlapping units, no CRS.
    CRSError
        A layer without a CRS, or ``crs`` unfit for areas.
    """
    jobs = resolve_n_jobs(n_jobs)
    # the units are prepared on a thread of their own while the layers dissolve (the two
    # are independent; both spend most of their time in GEOS and the kernel, without the GIL)
    with ThreadPoolExecutor(1) as background:
        units_job = background.submit(
            prepare_units, units, unit_id=unit_id, crs=crs, validate=validate
        )
        if jobs <= 1:
            units_job.result()  # one thread: one stage after the other
        elif dissolved is None:
            # each layer measured as soon as it is dissolved, while the others dissolve
            measured, prepared, zones = dissolve_and_measure(
                layers, units_job, crs=crs, n_jobs=jobs, make_valid=make_valid
            )
            return summarise(measured, prepared, zones)
        try:
            if dissolved is None:
                dissolved = dissolve_layers(layers, crs=crs, n_jobs=jobs, make_valid=make_valid)
        except BaseException:
            units_job.result()  # a problem with the units is reported first, as before
            raise
        prepared = units_job.result()
    pieces, zones_by_kind = dissolved
    measured = measure_rows(pieces, prepared, n_jobs=jobs)  # summed without a DataFrame
    return summarise(measured, prepared, zones_by_kind)


def parent_adcode(adcode: object, level: str) -> str:
    """Return the city (``level="city"``) or province adcode of a 6-digit county adcode.

    Examples
    --------
    >>> parent_adcode("140215", "city"), parent_adcode(140215, "province")
    ('140200', '140000')
    """
    code = str(adcode).strip()
    if len(code) != 6 or not code.isdigit():
        raise ValueError(f"adcode {code!r} is not a 6-digit administrative code")
    if level == "city":
        return code[:4] + "00"
    if level == "province":
        return code[:2] + "0000"
    raise ValueError(f"level must be 'city' or 'province', not {level!r}")


def rollup(
    stats: pd.DataFrame,
    parents: Mapping[str, str] | pd.Series | Callable[[str], str],
) -> pd.DataFrame:
    """Roll statistics up to parent units (county → city → province) by adding areas.

    Because layers are dissolved before they are split by units, the pieces inside the child
    units partition the dissolved layer inside the parent, so the sums equal a direct
    computation on the parent units (to rounding; sums use :func:`math.fsum`).

    Parameters
    ----------
    stats : DataFrame
        Output of :func:`area_by_unit` for the child units.
    parents : mapping, Series or callable
        Child unit id → parent unit id.

    Returns
    -------
    DataFrame
        Same columns, one row per parent × kind × zone.
    """
    mapper = parents if callable(parents) and not isinstance(parents, pd.Series) else None
    df = stats.copy()
    if mapper is not None:
        df["_parent"] = [mapper(u) for u in df["unit_id"]]
    else:
        lookup = (
            dict(parents.items())
            if isinstance(parents, pd.Series)
            else dict(cast(Mapping[str, str], parents))
        )
        missing = sorted(set(df["unit_id"]) - set(lookup))
        if missing:
            raise ValueError(f"no parent for unit(s) {', '.join(missing[:10])}")
        df["_parent"] = df["unit_id"].map(lookup)
    df["_z"] = df.groupby(["unit_id", "layer_kind"], sort=False).cumcount()
    unit_area = (
        df.drop_duplicates("unit_id")
        .groupby("_parent")["unit_area_km2"]
        .agg(lambda s: math.fsum(s.to_numpy()))
    )
    area = df.groupby(["_parent", "layer_kind", "zone"], sort=False).agg(
        area_km2=("area_km2", lambda s: math.fsum(s.to_numpy())), _z=("_z", "min")
    )
    out = area.reset_index().rename(columns={"_parent": "unit_id"})
    out["unit_area_km2"] = out["unit_id"].map(unit_area)
    out["share_pct"] = np.where(
        out["unit_area_km2"] > 0, 100.0 * out["area_km2"] / out["unit_area_km2"], 0.0
    )
    out["unit_id"] = out["unit_id"].astype(str)
    out = out.sort_values(["unit_id", "layer_kind", "_z"], kind="stable")
    return out[STATS_COLUMNS].reset_index(drop=True)
