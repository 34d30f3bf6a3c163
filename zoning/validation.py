"""Validate a layer against its kind, repair what can be repaired, report everything.

:func:`validate_layer` collects *every* problem before anyone fails (the InVEST / osmnx way):
CRS, geometry types, null/empty/invalid geometries (with row ids), Z/M coordinates, required
fields, unknown zone values, duplicate ids, overlaps where the kind allows none, and nesting
(level1 inside level2 inside quasi). Invalid geometries are repaired with ``make_valid`` and
every repair goes into a per-feature log that is part of the output.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Polygon
>>> bowtie = Polygon([(112, 37), (112.01, 37.01), (112.01, 37), (112, 37.01)])
>>> gdf = gpd.GeoDataFrame({"级别": ["一级保护区"]}, geometry=[bowtie], crs="EPSG:4490")
>>> check = validate_layer(gdf, kind="water_source", zone_field="级别", layer_name="ws")
>>> [p.code for p in check.problems]
['invalid_geometry']
>>> check.frame["zone"].tolist(), len(check.repairs)
(['level1'], 1)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import STRtree

from zoning.errors import CRSError, Problem
from zoning.kinds import NORMALISED_COLUMNS, canonical_zone, get_kind

__all__ = ["NORMALISED_COLUMNS", "LayerCheck", "near_duplicate_problems", "validate_layer"]


_FAMILIES = {
    "polygon": {"Polygon", "MultiPolygon"},
    "line": {"LineString", "MultiLineString"},
    "point": {"Point", "MultiPoint"},
}
_MAX_ROWS_SHOWN = 10


@dataclass
class LayerCheck:
    """Outcome of :func:`validate_layer`.

    Attributes
    ----------
    frame : geopandas.GeoDataFrame
        The normalised frame (EPSG:4490 when the CRS was usable, else as read), with the
        problem rows repaired or dropped.
    problems : list of Problem
        Every problem found; ``severity="error"`` ones make the layer unusable.
    repairs : pandas.DataFrame
        One row per repaired or dropped feature: ``layer, row, feature_id, problem, action,
        area_before_m2, area_after_m2``.
    """

    frame: gpd.GeoDataFrame
    problems: list[Problem] = field(default_factory=list)
    repairs: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def errors(self) -> list[Problem]:
        """The error-level problems."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        """True when no error-level problem was found."""
        return not self.errors


def _rows(labels: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(x) for x in list(labels))


def _shown(rows: tuple[str, ...]) -> str:
    more = f" and {len(rows) - _MAX_ROWS_SHOWN} more" if len(rows) > _MAX_ROWS_SHOWN else ""
    return ", ".join(rows[:_MAX_ROWS_SHOWN]) + more


def _area_m2(geoms: gpd.GeoSeries) -> np.ndarray:
    from zoning.crs import ALBERS_CHINA

    if geoms.crs is None or len(geoms) == 0:
        return np.full(len(geoms), np.nan)
    area: np.ndarray = geoms.to_crs(ALBERS_CHINA).area.to_numpy()
    return area


def _keep_family(geom: shapely.Geometry, family: str) -> shapely.Geometry:
    """Return the parts of ``geom`` of the kind's family (after make_valid or in a collection)."""
    wanted = _FAMILIES[family]
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in wanted]
    if not parts:
        return shapely.Polygon() if family == "polygon" else shapely.LineString()
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def validate_layer(
    gdf: gpd.GeoDataFrame,
    *,
    kind: str,
    layer_name: str,
    zone_field: str | None = None,
    name_field: str | None = None,
    id_field: str | None = None,
    zone_map: Mapping[str, str] | None = None,
    declared_crs: object | None = None,
) -> LayerCheck:
    """Validate and normalise one layer of kind ``kind``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer as read.
    kind : str
        Layer kind id (``layers/kinds.toml``).
    layer_name : str
        Name used in messages and in the ``layer`` column.
    zone_field, name_field, id_field : str, optional
        Attribute columns holding the zone value, the display name and the feature id.
    zone_map : mapping, optional
        Per-layer overrides raw zone value → canonical zone id.
    declared_crs : optional
        CRS declared in the catalogue, used only when the data has none.

    Returns
    -------
    LayerCheck
    """
    spec = get_kind(kind)
    problems: list[Problem] = []
    repairs: list[dict[str, object]] = []
    gdf = gdf.copy()
    gdf.index = pd.RangeIndex(len(gdf))

    # --- CRS -------------------------------------------------------------------------------
    crs_ok = True
    if gdf.crs is None and declared_crs is None:
        crs_ok = False
        problems.append(
            Problem(
                "crs_missing",
                f"layer '{layer_name}' has no CRS; expected a CRS in the file (.prj / GeoPackage) "
                'or declared in the catalogue; fix: add crs = "EPSG:4490" (or the data\'s real '
                "CRS, e.g. a Gauss–Krüger zone EPSG:4546/4547) to this [[layers]] entry",
            )
        )
    else:
        from zoning.declared_crs import ensure_crs

        try:
            gdf = ensure_crs(gdf, declared_crs, what=f"layer '{layer_name}'")
        except CRSError as exc:
            crs_ok = False
            problems.append(Problem("crs_implausible", str(exc)))
            # the CRS is known to be wrong: drop it so nothing downstream measures or
            # reprojects the layer in it (metres taken as degrees reproject to infinity)
            gdf = gdf.set_crs(None, allow_override=True)

    if len(gdf) == 0:
        problems.append(
            Problem(
                "empty_layer",
                f"layer '{layer_name}' has no features; expected at least one; fix: check the file "
                "and the layer name",
            )
        )

    # --- geometries ------------------------------------------------------------------------
    geoms = gdf.geometry
    null = geoms.isna().to_numpy()
    empty = np.zeros(len(gdf), bool)
    empty[~null] = shapely.is_empty(geoms[~null].to_numpy())
    for code, mask, what in (("null_geometry", null, "null"), ("empty_geometry", empty, "empty")):
        if mask.any():
            rows = _rows(gdf.index[mask])
            problems.append(
                Problem(
                    code,
                    f"layer '{layer_name}': {mask.sum()} {what} geometr{'y' if mask.sum() == 1 else 'ies'} "
                    f"(rows {_shown(rows)}); expected a geometry on every feature; they were dropped "
                    "(fix the source to keep them)",
                    rows,
                    "warning",
                )
            )
            repairs += [
                {"row": int(r), "problem": f"{what} geometry", "action": "dropped"}
                for r in gdf.index[mask]
            ]
    gdf = gdf[~(null | empty)]
    if len(gdf) == 0 and (null | empty).any():
        problems.append(
            Problem(
                "empty_layer",
                f"layer '{layer_name}' has no features left: all {int((null | empty).sum())} "
                "geometries are null or empty; expected at least one feature with a geometry; "
                "fix: check the export (a broken join or filter often leaves every geometry null)",
            )
        )

    has_z = shapely.has_z(gdf.geometry.to_numpy())
    if has_z.any():
        rows = _rows(gdf.index[has_z])
        problems.append(
            Problem(
                "z_coordinates",
                f"layer '{layer_name}': {has_z.sum()} geometries carry Z/M values (rows {_shown(rows)}); "
                "expected 2-D; they were dropped to 2-D",
                rows,
                "warning",
            )
        )
        gdf = gdf.set_geometry(shapely.force_2d(gdf.geometry.to_numpy()), crs=gdf.crs)

    if spec.geometry in _FAMILIES:
        wanted = _FAMILIES[spec.geometry]
        gtypes = gdf.geom_type
        collection = (gtypes == "GeometryCollection").to_numpy()
        if collection.any():
            fixed = [_keep_family(g, spec.geometry) for g in gdf.geometry[collection]]
            gdf.loc[collection, gdf.geometry.name] = fixed
            problems.append(
                Problem(
                    "geometry_collection",
                    f"layer '{layer_name}': {collection.sum()} GeometryCollection(s) (rows "
                    f"{_shown(_rows(gdf.index[collection]))}); expected {spec.geometry}s; their "
                    f"{spec.geometry} parts were kept",
                    _rows(gdf.index[collection]),
                    "warning",
                )
            )
            repairs += [
                {
                    "row": int(r),
                    "problem": "GeometryCollection",
                    "action": f"kept {spec.geometry} parts",
                }
                for r in gdf.index[collection]
            ]
            gtypes = gdf.geom_type
        wrong = (~gtypes.isin(list(wanted))).to_numpy()
        if wrong.any():
            found = sorted(set(gtypes[wrong]))
            rows = _rows(gdf.index[wrong])
            problems.append(
                Problem(
                    "geometry_type",
                    f"layer '{layer_name}' (kind {kind}) has {wrong.sum()} feature(s) of type "
                    f"{', '.join(found)} (rows {_shown(rows)}); expected {' or '.join(sorted(wanted))}; "
                    "fix: export the layer with the right geometry type or declare another kind",
                    rows,
                )
            )

    invalid = ~shapely.is_valid(gdf.geometry.to_numpy())
    if invalid.any():
        idx = gdf.index[invalid]
        before = _area_m2(gdf.geometry[invalid]) if crs_ok else np.full(invalid.sum(), np.nan)
        reasons = shapely.is_valid_reason(gdf.geometry[invalid].to_numpy())
        family = spec.geometry if spec.geometry in _FAMILIES else None
        fixed = [
            _keep_family(shapely.make_valid(g), family) if family else shapely.make_valid(g)
            for g in gdf.geometry[invalid]
        ]
        fixed_gs = gpd.GeoSeries(fixed, index=idx, crs=gdf.crs)
        after = _area_m2(fixed_gs) if crs_ok else np.full(invalid.sum(), np.nan)
        gdf.loc[invalid, gdf.geometry.name] = fixed
        rows = _rows(idx)
        problems.append(
            Problem(
                "invalid_geometry",
                f"layer '{layer_name}': {invalid.sum()} invalid geometr"
                f"{'y' if invalid.sum() == 1 else 'ies'} (rows {_shown(rows)}: "
                f"{reasons[0]}); repaired with make_valid (see the repair log)",
                rows,
                "warning",
            )
        )
        repairs += [
            {
                "row": int(r),
                "problem": str(reason),
                "action": "make_valid",
                "area_before_m2": float(b),
                "area_after_m2": float(a),
            }
            for r, reason, b, a in zip(idx, reasons, before, after, strict=True)
        ]
        emptied = shapely.is_empty(gdf.geometry.to_numpy())
        if emptied.any():
            gdf = gdf[~emptied]

    # --- fields ----------------------------------------------------------------------------
    for role, col in (
        ("zone_field", zone_field),
        ("name_field", name_field),
        ("id_field", id_field),
    ):
        if col and col not in gdf.columns:
            problems.append(
                Problem(
                    "missing_field",
                    f"layer '{layer_name}': {role} '{col}' not found; expected one of the columns "
                    f"{', '.join(map(str, gdf.columns.drop(gdf.geometry.name)))}; fix: correct "
                    f"{role} in the catalogue",
                )
            )
    zone_col = zone_field if zone_field and zone_field in gdf.columns else None
    name_col = name_field if name_field and name_field in gdf.columns else None
    id_col = id_field if id_field and id_field in gdf.columns else None

    # --- zones -----------------------------------------------------------------------------
    if zone_col:
        raw = gdf[zone_col]
        zones = raw.map(lambda v: canonical_zone(kind, v, zone_map))
        unknown = zones.isna().to_numpy()
        if unknown.any():
            values = sorted({str(v) for v in raw[unknown]})
            rows = _rows(gdf.index[unknown])
            known = ", ".join(f"{z.id} ← {z.name_zh}" for z in spec.zones.values())
            problems.append(
                Problem(
                    "unknown_zone",
                    f"layer '{layer_name}': {unknown.sum()} feature(s) with unknown {zone_col!r} "
                    f"value(s) {', '.join(repr(v) for v in values[:10])} (rows {_shown(rows)}); "
                    f'expected one of: {known}; fix: add zone_map = {{ "{values[0]}" = '
                    f'"<zone id>" }} to this [[layers]] entry or correct the data',
                    rows,
                )
            )
    else:
        zones = pd.Series(spec.default_zone, index=gdf.index)

    # --- ids -------------------------------------------------------------------------------
    if id_col:
        ids = gdf[id_col].astype("string").fillna("").astype(str)
        ids = ids.where(ids != "", [f"{layer_name}:{i}" for i in gdf.index])
        dup = ids.duplicated(keep=False).to_numpy()
        if dup.any():
            rows = _rows(gdf.index[dup])
            problems.append(
                Problem(
                    "duplicate_id",
                    f"layer '{layer_name}': {dup.sum()} features share ids in {id_col!r} "
                    f"(e.g. {ids[dup].iloc[0]!r}; rows {_shown(rows)}); expected unique ids; "
                    "they were made unique with a '#n' suffix",
                    rows,
                    "warning",
                )
            )
            counter = ids.groupby(ids).cumcount()
            ids = ids.where(counter == 0, ids + "#" + (counter + 1).astype(str))
    else:
        ids = pd.Series([f"{layer_name}:{i}" for i in gdf.index], index=gdf.index)

    attrs = gdf.drop(columns=[c for c in NORMALISED_COLUMNS if c in gdf.columns])
    out = gpd.GeoDataFrame(
        {
            "feature_id": ids.astype(str).to_numpy(),
            "kind": kind,
            "zone": zones.astype(object).to_numpy(),
            "name": (
                gdf[name_col].astype(object).where(gdf[name_col].notna(), None).to_numpy()
                if name_col
                else None
            ),
            "layer": layer_name,
        },
        index=gdf.index,
    )
    out = gpd.GeoDataFrame(pd.concat([out, attrs], axis=1), geometry=gdf.geometry.name, crs=gdf.crs)
    if out.geometry.name != "geometry":
        out = out.rename_geometry("geometry")

    # --- topology between features ---------------------------------------------------------
    if crs_ok and spec.geometry == "polygon" and len(out) > 1 and out["zone"].notna().all():
        problems += _overlap_problems(
            out, layer_name, spec.overlaps_allowed, same_zone_only=bool(spec.nesting)
        )
        if spec.nesting:
            problems += _nesting_problems(out, layer_name, spec.nesting)

    if crs_ok and out.crs is not None:
        out = out.to_crs("EPSG:4490")
    repair_log = pd.DataFrame(
        repairs,
        columns=["row", "problem", "action", "area_before_m2", "area_after_m2"],
    )
    if len(repair_log):
        repair_log.insert(0, "layer", layer_name)
        fid = pd.Series(ids.to_numpy(), index=ids.index) if len(ids) else pd.Series(dtype=str)
        repair_log.insert(2, "feature_id", repair_log["row"].map(fid).astype(object).fillna(""))
    return LayerCheck(out, problems, repair_log)


def _projected_valid(frame: gpd.GeoDataFrame, crs: object) -> np.ndarray:
    from zoning.crs import project

    geoms: np.ndarray = project(frame, crs).geometry.to_numpy()
    return geoms


def _overlap_problems(
    frame: gpd.GeoDataFrame, layer_name: str, overlaps_allowed: bool, *, same_zone_only: bool
) -> list[Problem]:
    """Overlaps between features, for kinds that allow none.

    Nested kinds (water-source levels delivered as overlapping polygons) only check pairs of
    the same zone; the others (control units, farmland …) check every pair.
    """
    if overlaps_allowed:
        return []
    from zoning.crs import ALBERS_CHINA

    # topology in the data's own CRS (shared vertices stay identical there), area in Albers
    geoms = frame.geometry.to_numpy()
    tree = STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if same_zone_only:
        zones = frame["zone"].to_numpy()
        same = zones[left] == zones[right]
        left, right = left[same], right[same]
    if len(left) == 0:
        return []
    pieces = gpd.GeoSeries(shapely.intersection(geoms[left], geoms[right]), crs=frame.crs)
    areas = _projected_valid(gpd.GeoDataFrame(geometry=pieces), ALBERS_CHINA)
    areas = shapely.area(areas)
    # ignore slivers along shared boundaries (floating-point noise of real data): below 1 m²
    # or below 1e-7 of the smaller feature
    feature_area = shapely.area(_projected_valid(frame, ALBERS_CHINA))
    smaller = np.minimum(feature_area[left], feature_area[right])
    real = areas > np.maximum(1.0, 1e-7 * smaller)
    if not real.any():
        return []
    pairs = [
        f"{frame['feature_id'].iloc[a]}×{frame['feature_id'].iloc[b]}"
        for a, b in zip(left[real], right[real], strict=True)
    ]
    return [
        Problem(
            "overlap",
            f"layer '{layer_name}': {real.sum()} pair(s) of features overlap "
            f"({', '.join(pairs[:5])}{' …' if len(pairs) > 5 else ''}; {areas[real].sum() / 1e6:.4f} "
            "km² in all); expected none for this kind; statistics count the overlap once",
            tuple(pairs),
            "warning",
        )
    ]


def _nesting_problems(
    frame: gpd.GeoDataFrame, layer_name: str, nesting: tuple[str, ...]
) -> list[Problem]:
    """Each inner zone (level1) must lie inside the filled outline of the next (level2 …).

    Real data delivers nested zones either as overlapping polygons or as disjoint rings;
    filling the outer zone's holes and adding the inner zones accepts both conventions.
    """
    from zoning.crs import ALBERS_CHINA

    proj = frame.set_geometry(_projected_valid(frame, ALBERS_CHINA), crs=ALBERS_CHINA)
    problems = []
    for inner, outer in itertools.pairwise(nesting):
        inner_rows = proj[proj["zone"] == inner]
        outer_rows = proj[proj["zone"] == outer]
        if inner_rows.empty or outer_rows.empty:
            continue
        envelope = shapely.union_all(
            [
                shapely.polygons(shapely.get_exterior_ring(p))
                for g in outer_rows.geometry
                for p in shapely.get_parts(g)
            ]
        )
        outside = shapely.area(shapely.difference(inner_rows.geometry.to_numpy(), envelope))
        bad = outside > 1.0
        if bad.any():
            rows = _rows(inner_rows["feature_id"][bad])
            problems.append(
                Problem(
                    "nesting",
                    f"layer '{layer_name}': {bad.sum()} {inner} zone(s) not enclosed by a {outer} "
                    f"zone (features {_shown(rows)}); expected {' ⊂ '.join(nesting)}; check the "
                    "zone values or the delineation",
                    rows,
                    "warning",
                )
            )
    return problems


def near_duplicate_problems(kind: str, frame: gpd.GeoDataFrame) -> list[Problem]:
    """Warnings for near-coincident features of one kind, across its layers (issue 12).

    ``frame`` is the kind's frame (every catalogue layer of the kind, with ``feature_id``,
    ``layer`` and ``zone``) in a CRS measured in metres. A polygon delivered twice (say once
    in EPSG:4490 and once in Gauss–Krüger) is counted once by the statistics
    (:mod:`zoning.duplicates`); the copies are reported so the catalogue can be cleaned.
    """
    from zoning.duplicates import NEAR_DUPLICATE_M, near_duplicate_pairs

    geoms = frame.geometry.to_numpy()
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    index = np.flatnonzero(polygonal)
    pairs = index[near_duplicate_pairs(geoms[index])] if len(index) else np.empty((0, 2))
    if not len(pairs):
        return []
    ids = frame["feature_id"].astype(str).to_numpy()
    layers = frame["layer"].astype(str).to_numpy()
    zones = frame["zone"].astype(str).to_numpy()
    shown = [
        f"{ids[i]} ({layers[i]}, {zones[i]}) = {ids[j]} ({layers[j]}, {zones[j]})"
        for i, j in pairs[:10]
    ]
    more = f" and {len(pairs) - 10} more" if len(pairs) > 10 else ""
    conflict = int((zones[pairs[:, 0]] != zones[pairs[:, 1]]).sum())
    zone_note = f"; {conflict} pair(s) disagree on the zone, and both are kept" if conflict else ""
    return [
        Problem(
            "near_duplicate",
            f"{kind}: {len(pairs)} pair(s) of features are the same polygon (within "
            f"{NEAR_DUPLICATE_M * 1000:g} mm): {'; '.join(shown)}{more}; statistics count each "
            f"once{zone_note}; expected each feature in one layer only; fix: remove the copies "
            "(often one layer delivered twice in two CRSs)",
            tuple(f"{ids[i]}|{ids[j]}" for i, j in pairs),
            "warning",
        )
    ]
