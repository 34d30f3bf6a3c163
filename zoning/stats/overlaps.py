"""Overlaps and conflicts between control lines, and the strictest-designation-wins layer.

Planners must resolve where the "three control lines" (三条控制线: ecological red line,
permanent basic farmland, urban development boundary) overlap, where mining subsidence lies
inside the red line, where water-source zones meet key control units … Two tables answer it,
after bcgov/designatedlands:

* :func:`overlap_table` — per unit, the area where each pair of (kind, zone) designations
  overlap (a long table: every pair kept);
* :func:`flatten_designations` — one layer where every place carries only its strictest
  designation (order configurable, :data:`DEFAULT_ORDER`), with :func:`flattened_areas` per
  unit, so the areas add up to the designated total with nothing counted twice.

Both reuse the dissolve and exact split of :mod:`zoning.stats` (:mod:`zoning.stats.dissolve`,
:mod:`zoning.stats.measure`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from zoning.crs import ALBERS_CHINA, require_measurable
from zoning.stats.dissolve import ALL_ZONES, dissolve_layers, piece_geometries
from zoning.stats.geos import overlay
from zoning.stats.measure import measure_pieces
from zoning.stats.pieces import Pieces
from zoning.stats.summary import area_by_unit, summarise
from zoning.stats.units import prepare_units
from zoning.threads import resolve_n_jobs

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = [
    "DEFAULT_ORDER",
    "OVERLAP_COLUMNS",
    "flatten_designations",
    "flattened_areas",
    "overlap_table",
]

logger = logging.getLogger(__name__)

DEFAULT_ORDER: tuple[str, ...] = (
    "eco_redline:core",
    "protected_area:core",
    "water_source:level1",
    "protected_area:buffer",
    "eco_redline:general",
    "eco_redline:all",
    "water_source:level2",
    "protected_area:experimental",
    "protected_area:general",
    "protected_area:unzoned",
    "spring_area:key",
    "basic_farmland:all",
    "water_source:quasi",
    "spring_area:protection",
    "spring_area:all",
    "subsidence:unstable",
    "urban_boundary:all",
    "control_unit:priority",
    "subsidence:stabilising",
    "subsidence:unknown",
    "subsidence:stable",
    "control_unit:key",
    "control_unit:general",
)
"""Strictest first: what may be done there, in decreasing restriction (after the national
rules: red-line and reserve cores closed, level-1 water-source zones
closed to projects unrelated to water supply, …). ``kind:all`` catches zones not listed."""

OVERLAP_COLUMNS = [
    "unit_id",
    "kind_a",
    "zone_a",
    "kind_b",
    "zone_b",
    "overlap_km2",
    "unit_area_km2",
    "share_of_unit_pct",
    "share_of_a_pct",
    "share_of_b_pct",
]

_SEP = "\x1f"


def _piece_frame(pieces: Pieces, n_jobs: int) -> tuple[np.ndarray, list[list[str]]]:
    """Geometries of all pieces and the labels each carries."""
    geoms = piece_geometries(pieces, np.arange(len(pieces)), n_jobs)
    labels: list[list[str]] = [[] for _ in range(len(pieces))]
    for p, lab in zip(pieces.label_piece, pieces.label, strict=True):
        labels[p].append(str(lab))
    return geoms, labels


def _single_pieces(geoms: list[Any], kinds: list[str], labels: list[list[str]]) -> Pieces:
    """Make pieces of one polygon each, with several labels per piece.

    Multipart geometries are exploded (their parts never overlap).
    """
    if len(geoms):
        parts, idx = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
        geoms = list(parts)
        kinds = [kinds[i] for i in idx]
        labels = [labels[i] for i in idx]
    n = len(geoms)
    lp = [i for i, labs in enumerate(labels) for _ in labs]
    lab = [x for labs in labels for x in labs]
    return Pieces(
        feats=np.asarray(geoms, dtype=object) if n else np.array([], dtype=object),
        indptr=np.arange(n + 1, dtype=np.int64),
        members=np.arange(n, dtype=np.int64),
        kind=np.asarray(kinds, dtype=object),
        group=np.arange(n, dtype=np.int64),
        label_piece=np.asarray(lp, dtype=np.int64),
        label=np.asarray(lab, dtype=object),
    )


def overlap_table(
    units: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    unit_id: str = "adcode",
    crs: Any = None,
    pairs: Sequence[tuple[str, str]] | None = None,
    stats: pd.DataFrame | None = None,
    n_jobs: int | None = None,
    make_valid: bool = True,
    dissolved: tuple[Pieces, dict[str, list[str]]] | None = None,
) -> pd.DataFrame:
    """Area where two designations overlap, per unit, for every pair of layer kinds and zones.

    Parameters
    ----------
    units : GeoDataFrame
        Non-overlapping units with an id column.
    layers : mapping of str to GeoDataFrame
        Layer kind → features (normalised frames; ``zone`` column optional).
    unit_id, crs, n_jobs, make_valid
        As in :func:`zoning.stats.area_by_unit`.
    pairs : sequence of (kind, kind), optional
        Kind pairs to compute (default: every pair of distinct kinds).
    stats : DataFrame, optional
        :func:`zoning.stats.area_by_unit` output for the same units and layers, used for the
        shares of each designation (computed when not given).
    dissolved : tuple, optional
        :func:`zoning.stats.dissolve.dissolve_layers` output to reuse.

    Returns
    -------
    DataFrame
        :data:`OVERLAP_COLUMNS`: one row per unit × pair of (kind, zone) labels (``all``
        included) with a non-zero overlap, sorted. ``share_of_a_pct`` is the overlap as a share
        of designation A inside the unit.
    """
    jobs = resolve_n_jobs(n_jobs)
    target = require_measurable(crs, "zoning statistics") if crs is not None else None
    prepared = prepare_units(units, unit_id=unit_id, crs=target)
    if dissolved is None:
        dissolved = dissolve_layers(layers, crs=target, n_jobs=jobs, make_valid=make_valid)
    pieces, _ = dissolved
    geoms, labels = _piece_frame(pieces, jobs)
    kinds = sorted(layers)
    wanted = (
        {tuple(sorted(p)) for p in pairs}
        if pairs is not None
        else {(a, b) for i, a in enumerate(kinds) for b in kinds[i + 1 :]}
    )
    tree = shapely.STRtree(geoms) if len(geoms) else None
    out_geoms: list[Any] = []
    out_kinds: list[str] = []
    out_labels: list[list[str]] = []
    if tree is not None:
        left, right = tree.query(geoms)
        ka, kb = pieces.kind[left], pieces.kind[right]
        keep = (
            np.array([(a, b) in wanted for a, b in zip(ka, kb, strict=True)], dtype=bool)
            & (ka != kb)
            & (left < right)
        )
        left, right = left[keep], right[keep]
        inter = overlay(shapely.intersection, geoms[left], geoms[right])
        area = shapely.area(inter)
        for i in np.flatnonzero(area > 0):
            a, b = left[i], right[i]
            out_geoms.append(inter[i])
            out_kinds.append(f"{pieces.kind[a]}{_SEP}{pieces.kind[b]}")
            out_labels.append([f"{la}{_SEP}{lb}" for la in labels[a] for lb in labels[b]])
    inter_pieces = _single_pieces(out_geoms, out_kinds, out_labels)
    measured = measure_pieces(inter_pieces, prepared, n_jobs=jobs)
    if stats is None:
        stats = area_by_unit(
            units, layers, unit_id=unit_id, crs=target, n_jobs=jobs, dissolved=dissolved
        )
    if measured.empty:
        return pd.DataFrame(columns=OVERLAP_COLUMNS)
    zones: dict[str, set[str]] = {}
    for k, labs in zip(out_kinds, out_labels, strict=True):
        zones.setdefault(k, set()).update(labs)
    table = summarise(measured, prepared, zones)
    table = table[table.area_km2 > 0]
    ka_kb = table.layer_kind.str.split(_SEP, expand=True)
    za_zb = table.zone.str.split(_SEP, expand=True)
    out = pd.DataFrame(
        {
            "unit_id": table.unit_id.to_numpy(),
            "kind_a": ka_kb[0].to_numpy(),
            "zone_a": za_zb[0].to_numpy(),
            "kind_b": ka_kb[1].to_numpy(),
            "zone_b": za_zb[1].to_numpy(),
            "overlap_km2": table.area_km2.to_numpy(),
            "unit_area_km2": table.unit_area_km2.to_numpy(),
            "share_of_unit_pct": table.share_pct.to_numpy(),
        }
    )
    # put each pair in a canonical orientation (kind_a < kind_b)
    swap = out.kind_a > out.kind_b
    out.loc[swap, ["kind_a", "zone_a", "kind_b", "zone_b"]] = out.loc[
        swap, ["kind_b", "zone_b", "kind_a", "zone_a"]
    ].to_numpy()
    out = (
        out.groupby(["unit_id", "kind_a", "zone_a", "kind_b", "zone_b"], sort=False)
        .agg(
            overlap_km2=("overlap_km2", "sum"),
            unit_area_km2=("unit_area_km2", "first"),
            share_of_unit_pct=("share_of_unit_pct", "sum"),
        )
        .reset_index()
    )
    area_of = stats.set_index(["unit_id", "layer_kind", "zone"])["area_km2"]
    a_area = area_of.reindex(list(zip(out.unit_id, out.kind_a, out.zone_a, strict=True))).to_numpy()
    b_area = area_of.reindex(list(zip(out.unit_id, out.kind_b, out.zone_b, strict=True))).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share_of_a_pct"] = np.where(a_area > 0, 100 * out.overlap_km2 / a_area, np.nan)
        out["share_of_b_pct"] = np.where(b_area > 0, 100 * out.overlap_km2 / b_area, np.nan)
    out["_za"] = out.zone_a != ALL_ZONES
    out["_zb"] = out.zone_b != ALL_ZONES
    out = out.sort_values(
        ["unit_id", "kind_a", "kind_b", "_za", "zone_a", "_zb", "zone_b"], kind="stable"
    )
    return out[OVERLAP_COLUMNS].reset_index(drop=True)


def _designations(order: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for item in order:
        kind, _, zone = str(item).partition(":")
        out.append((kind, zone or ALL_ZONES))
    return out


def flatten_designations(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    order: Sequence[str] = DEFAULT_ORDER,
    crs: Any = None,
    n_jobs: int | None = None,
    make_valid: bool = True,
    dissolved: tuple[Pieces, dict[str, list[str]]] | None = None,
) -> gpd.GeoDataFrame:
    """One layer where each place keeps only its strictest designation.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Layer kind → features.
    order : sequence of str
        ``"kind:zone"`` (or ``"kind"`` for the whole layer), strictest first; a ``kind:all``
        entry takes whatever of that kind no earlier entry took. Kinds not named are left out.
    crs : CRS-like, optional
        Measuring CRS (default :data:`zoning.crs.ALBERS_CHINA`); the result is in it.

    Returns
    -------
    GeoDataFrame
        Columns ``rank`` (1 = strictest), ``designation`` (``kind:zone``), ``layer_kind``,
        ``zone``, ``geometry``; pieces never overlap.
    """
    import geopandas as gpd

    jobs = resolve_n_jobs(n_jobs)
    target = require_measurable(crs if crs is not None else ALBERS_CHINA, "zoning statistics")
    if dissolved is None:
        dissolved = dissolve_layers(layers, crs=target, n_jobs=jobs, make_valid=make_valid)
    pieces, _ = dissolved
    geoms, labels = _piece_frame(pieces, jobs)
    taken: list[Any] = []
    rows: list[tuple[int, str, str, str, Any]] = []
    for rank, (kind, zone) in enumerate(_designations(order), start=1):
        idx = [i for i in range(len(pieces)) if pieces.kind[i] == kind and zone in labels[i]]
        if not idx:
            continue
        cand = shapely.get_parts(geoms[idx])  # polygons: blockers stay local
        if taken:
            tree = shapely.STRtree(np.asarray(taken, dtype=object))
            c_i, t_i = tree.query(cand)
            for k, g in enumerate(cand):
                hits = t_i[c_i == k]
                if len(hits):
                    blocker = shapely.union_all(np.asarray(taken, dtype=object)[hits])
                    g = overlay(shapely.difference, np.array([g]), np.array([blocker]))[0]
                if not shapely.is_empty(g) and shapely.area(g) > 0:
                    rows.append((rank, f"{kind}:{zone}", kind, zone, g))
        else:
            rows += [(rank, f"{kind}:{zone}", kind, zone, g) for g in cand]
        taken.extend(g for g in cand)
    frame = pd.DataFrame(rows, columns=["rank", "designation", "layer_kind", "zone", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=target)


def flattened_areas(
    units: gpd.GeoDataFrame,
    flat: gpd.GeoDataFrame,
    *,
    unit_id: str = "adcode",
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Area of each strictest designation per unit, plus ``none`` for the undesignated rest.

    Returns
    -------
    DataFrame
        ``unit_id, rank, designation, area_km2, unit_area_km2, share_pct``; per unit the
        areas add up to the unit area.
    """
    jobs = resolve_n_jobs(n_jobs)
    prepared = prepare_units(units, unit_id=unit_id, crs=flat.crs)
    geoms = list(flat.geometry.values)
    pieces = _single_pieces(geoms, ["flat"] * len(geoms), [[d] for d in flat.designation])
    measured = measure_pieces(pieces, prepared, n_jobs=jobs)
    designations = list(dict.fromkeys(flat.sort_values("rank").designation))
    table = summarise(measured, prepared, {"flat": designations})
    table = table[table.zone != ALL_ZONES].rename(columns={"zone": "designation"})
    rank = dict(zip(flat.designation, flat["rank"], strict=True))
    table["rank"] = table.designation.map(rank).astype(int)
    table = table.sort_values(["unit_id", "rank"], kind="stable")
    rest = table.groupby("unit_id", sort=True).agg(
        area_km2=("area_km2", "sum"), unit_area_km2=("unit_area_km2", "first")
    )
    none = pd.DataFrame(
        {
            "unit_id": rest.index,
            "rank": max(rank.values(), default=0) + 1,
            "designation": "none",
            "area_km2": (rest.unit_area_km2 - rest.area_km2).clip(lower=0).to_numpy(),
            "unit_area_km2": rest.unit_area_km2.to_numpy(),
        }
    )
    none["share_pct"] = 100 * none.area_km2 / none.unit_area_km2
    cols = ["unit_id", "rank", "designation", "area_km2", "unit_area_km2", "share_pct"]
    out = pd.concat([table[cols], none[cols]], ignore_index=True)
    out = out.sort_values(["unit_id", "rank"], kind="stable").reset_index(drop=True)
    return out
