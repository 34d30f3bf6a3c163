"""The red-line ledger (生态保护红线信息台账): one row per red-line feature.

Each row holds the feature's id, name and zone; the counties it lies in with the area of each
part (and its city); its area (km², Albers equal-area, :data:`zoning.crs.ALBERS_CHINA`); the
land-cover composition inside it (from a classified raster such as the demo's MODIS layer);
the protected areas, water-source zones and control units it overlaps; the human activities
inside it by type (count and area: mines and subsidence, urban boundary, basic farmland, rivers
crossing, and the ``human_activity`` change patches); the vintage and the source checksum.

The per-county parts (``parts``, JSON) carry what :mod:`zoning.ledger.check` needs to compare
two vintages per county and city without the geometry of the units.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning.crs import ALBERS_CHINA, project
from zoning.errors import EmptyInputError
from zoning.ledger.landcover import IGBP_NAMES, NATURAL_CLASSES, class_areas

__all__ = ["LEDGER_COLUMNS", "build_ledger"]

#: the fixed leading columns of a ledger (activity and land-cover columns follow)
LEDGER_COLUMNS = (
    "vintage",
    "feature_id",
    "name",
    "zone",
    "county_adcode",
    "county_name",
    "city_adcode",
    "city_name",
    "counties",
    "area_km2",
    "natural_km2",
    "natural_pct",
    "landcover",
    "protected_areas",
    "water_source_zones",
    "control_units",
    "parts",
    "source_sha256",
)

#: activity kinds measured inside each feature: column prefix → kind
_ACTIVITY_KINDS = {
    "mines": "subsidence",
    "urban": "urban_boundary",
    "farmland": "basic_farmland",
}

_M2_PER_KM2 = 1e6


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersections, robust to GEOS topology errors (retried on made-valid input)."""
    try:
        return shapely.intersection(a, b)
    except shapely.errors.GEOSException:
        return shapely.intersection(shapely.make_valid(a), shapely.make_valid(b))


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Return the polygonal part of each geometry (edge intersections are collections)."""
    out = geoms.copy()
    for k in np.flatnonzero(shapely.get_type_id(geoms) == 7):
        parts = shapely.get_parts(geoms[k])
        parts = parts[shapely.get_dimensions(parts) == 2]
        out[k] = shapely.multipolygons(shapely.get_parts(parts)) if len(parts) else None
    return out


def _pairs(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs (i, j) whose interiors overlap, with their intersection geometries."""
    if not len(left) or not len(right):
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=object)
    tree = shapely.STRtree(right)
    i, j = tree.query(left, predicate="intersects")
    pieces = _intersection(left[i], right[j])
    return i, j, pieces


def _units(catalog: Any) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """Counties (Albers) with adcode, name, city adcode; and city adcode → name."""
    if "admin_unit" not in catalog.kinds:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries(crs=ALBERS_CHINA)), {}
    counties = catalog.admin_units("county")
    cities = catalog.admin_units("city")
    ids = counties["adcode"] if "adcode" in counties.columns else counties["feature_id"]
    if "parent_adcode" in counties.columns:
        parents = counties["parent_adcode"].astype(str)
    else:
        parents = ids.astype(str).str[:4] + "00"
    out = gpd.GeoDataFrame(
        {
            "adcode": ids.astype(str).to_numpy(),
            "name": counties["name"].to_numpy(),
            "city_adcode": parents.to_numpy(),
        },
        geometry=counties.geometry.to_numpy(),
        crs=counties.crs,
    )
    city_ids = cities["adcode"] if "adcode" in cities.columns else cities["feature_id"]
    city_names = dict(zip(city_ids.astype(str), cities["name"], strict=True))
    return project(out, ALBERS_CHINA), city_names


def _label(row: pd.Series) -> str:
    name = row.get("name")
    ident = str(row["feature_id"])
    shown = f"{name} ({ident})" if isinstance(name, str) and name and name != ident else ident
    return f"{shown} [{row['zone']}]"


def _overlap_lists(red: np.ndarray, other: gpd.GeoDataFrame) -> list[str]:
    """Per red-line feature, the features of ``other`` whose interiors overlap it."""
    out: list[list[str]] = [[] for _ in range(len(red))]
    if len(other):
        i, j, pieces = _pairs(red, other.geometry.to_numpy())
        keep = shapely.area(pieces) > 0
        for a, b in zip(i[keep], j[keep], strict=True):
            out[a].append(_label(other.iloc[b]))
    return ["; ".join(sorted(set(x))) for x in out]


def _activity(red: np.ndarray, other: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Count the features of ``other`` in each red-line feature and measure their area.

    Per red-line feature: features of ``other`` inside it (count) and their area in it (km²,
    overlaps counted once).
    """
    n = np.zeros(len(red), dtype=np.int64)
    area = np.zeros(len(red))
    if not len(other):
        return n, area
    i, _, pieces = _pairs(red, other.geometry.to_numpy())
    polygonal = shapely.get_dimensions(pieces) == 2
    dims = shapely.get_dimensions(other.geometry.to_numpy())
    for a in np.unique(i):
        sel = i == a
        if dims.max() == 2:
            mine = pieces[sel & polygonal]
            n[a] = int(np.count_nonzero(shapely.area(mine) > 0))
            area[a] = shapely.area(shapely.union_all(mine)) / _M2_PER_KM2 if len(mine) else 0.0
        else:
            n[a] = int(np.count_nonzero(~shapely.is_empty(pieces[sel])))
    return n, area


def _river_lengths(red: np.ndarray, rivers: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per red-line feature: rivers crossing it (count) and their length inside (km)."""
    n = np.zeros(len(red), dtype=np.int64)
    length = np.zeros(len(red))
    if not len(rivers):
        return n, length
    i, _, pieces = _pairs(red, rivers.geometry.to_numpy())
    lengths = shapely.length(pieces)
    np.add.at(n, i, (lengths > 0).astype(np.int64))
    np.add.at(length, i, lengths / 1000.0)
    return n, length


def _landcover_text(km2: dict[int, float], total: float) -> str:
    if not km2 or not total:
        return ""
    top = sorted(km2.items(), key=lambda kv: -kv[1])
    return "; ".join(
        f"{IGBP_NAMES[c][1]} {100 * v / total:.1f} %" for c, v in top if v / total >= 0.001
    )


def build_ledger(
    catalog: Any,
    *,
    vintage: str | None = None,
    landcover: str | Path | None = None,
) -> gpd.GeoDataFrame:
    """Build the red-line ledger of a catalogue.

    Parameters
    ----------
    catalog : zoning.catalog.Catalog
        Must have an ``eco_redline`` layer; ``admin_unit`` (counties, cities) gives the county
        parts, the other kinds give the overlaps and activities when present.
    vintage : str, optional
        The ledger's vintage (default: the red-line layers' ``vintage``, else the catalogue's
        name).
    landcover : path, optional
        A classified land-cover raster (IGBP codes, e.g. MODIS MCD12). Without it the
        land-cover columns are empty and 功能不降低 cannot be checked.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per red-line feature (EPSG:4490), columns :data:`LEDGER_COLUMNS`, then
        ``<activity>_n`` / ``<activity>_km2`` for mines, urban, farmland and each
        human-activity type present, ``rivers_n`` / ``rivers_km``, then the geometry.

    Raises
    ------
    EmptyInputError
        The catalogue has no red-line features.
    """
    if "eco_redline" not in catalog.kinds:
        raise EmptyInputError(
            f"catalogue {catalog.path} has no eco_redline layer; expected the red line to "
            'build its ledger; fix: add a [[layers]] entry with kind = "eco_redline"'
        )
    red4490 = catalog.frame("eco_redline")
    if not len(red4490):
        raise EmptyInputError(
            f"the eco_redline layer of {catalog.path} has no features; expected at least one"
        )
    red = catalog.frame("eco_redline", crs=ALBERS_CHINA)
    geoms = red.geometry.to_numpy()
    area_km2 = shapely.area(geoms) / _M2_PER_KM2
    counties, city_names = _units(catalog)

    # county parts: (feature, county) pieces, exact in Albers
    fi, ci, pieces = _pairs(geoms, counties.geometry.to_numpy())
    pieces = _polygonal(pieces)
    piece_km2 = shapely.area(pieces) / _M2_PER_KM2 if len(pieces) else np.array([])
    keep = piece_km2 > 0
    fi, ci, pieces, piece_km2 = fi[keep], ci[keep], pieces[keep], piece_km2[keep]
    if not len(counties):  # no units: each feature is one part, county unknown
        fi, ci = np.arange(len(geoms)), np.full(len(geoms), -1)
        pieces, piece_km2 = geoms, area_km2

    natural_piece = np.full(len(pieces), np.nan)
    classes_by_feature: list[dict[int, float]] = [{} for _ in range(len(geoms))]
    if landcover is not None and len(pieces):
        both = gpd.GeoSeries(np.concatenate([pieces, geoms]), crs=ALBERS_CHINA)
        table = class_areas(both, np.concatenate([piece_km2, area_km2]), landcover)
        table = table.fillna(0.0).where(~table.isna().all(axis=1))
        whole, table = table.iloc[len(pieces) :], table.iloc[: len(pieces)]
        # slivers along county lines may cover no valid cell: their feature's shares apply
        blank = table.isna().all(axis=1).to_numpy()
        shares = whole.to_numpy()[fi[blank]] / area_km2[fi[blank], None]
        table.iloc[np.flatnonzero(blank)] = shares * piece_km2[blank, None]
        table = table.reset_index(drop=True)
        natural_cols = [c for c in table.columns if c in NATURAL_CLASSES]
        natural_piece = table[natural_cols].sum(axis=1, min_count=0).to_numpy().copy()
        natural_piece[table.isna().all(axis=1).to_numpy()] = np.nan
        for col in table.columns:
            values = table[col].to_numpy()
            for f, v in zip(fi, values, strict=True):
                if np.isfinite(v) and v > 0:
                    classes_by_feature[f][int(col)] = classes_by_feature[f].get(int(col), 0.0) + v

    parts: list[list[dict[str, Any]]] = [[] for _ in range(len(geoms))]
    for k, (f, c) in enumerate(zip(fi, ci, strict=True)):
        unit = counties.iloc[c] if c >= 0 else None
        city = str(unit["city_adcode"]) if unit is not None else ""
        nat = natural_piece[k]
        parts[f].append(
            {
                "adcode": str(unit["adcode"]) if unit is not None else "",
                "name": str(unit["name"]) if unit is not None else "",
                "city_adcode": city,
                "city_name": city_names.get(city, ""),
                "km2": float(piece_km2[k]),
                "natural_km2": None if not np.isfinite(nat) else float(nat),
            }
        )
    for p in parts:
        p.sort(key=lambda d: (-d["km2"], d["adcode"]))

    def main(p: list[dict[str, Any]], key: str) -> str:
        return p[0][key] if p else ""

    natural = np.array(
        [
            math.fsum(d["natural_km2"] for d in p)
            if p and all(d["natural_km2"] is not None for d in p)
            else np.nan
            for p in parts
        ]
    )
    if vintage is None:
        vintages = sorted({e.vintage for e in catalog.entries if e.kind == "eco_redline"} - {""})
        vintage = ", ".join(vintages) or catalog.name
    checksums = sorted(
        {catalog.load(e.name).source_sha256 for e in catalog.entries if e.kind == "eco_redline"}
    )
    out = pd.DataFrame(
        {
            "vintage": vintage,
            "feature_id": red["feature_id"].astype(str).to_numpy(),
            "name": red["name"].to_numpy(),
            "zone": red["zone"].to_numpy(),
            "county_adcode": [main(p, "adcode") for p in parts],
            "county_name": [main(p, "name") for p in parts],
            "city_adcode": [main(p, "city_adcode") for p in parts],
            "city_name": [main(p, "city_name") for p in parts],
            "counties": [
                "; ".join(
                    f"{d['name']} {d['adcode']} {d['km2']:.6f} km²"
                    for d in p
                    if d["adcode"] and d["km2"] >= 5e-7
                )
                for p in parts
            ],
            "area_km2": area_km2,
            "natural_km2": natural,
            "natural_pct": 100 * natural / area_km2,
            "landcover": [
                _landcover_text(c, a) for c, a in zip(classes_by_feature, area_km2, strict=True)
            ],
            "protected_areas": _overlap_lists(geoms, _frame(catalog, "protected_area")),
            "water_source_zones": _overlap_lists(geoms, _frame(catalog, "water_source")),
            "control_units": _overlap_lists(geoms, _frame(catalog, "control_unit")),
            "parts": [json.dumps(p, ensure_ascii=False, sort_keys=True) for p in parts],
            "source_sha256": ",".join(checksums),
        }
    )
    for prefix, kind in _ACTIVITY_KINDS.items():
        n, a = _activity(geoms, _frame(catalog, kind))
        out[f"{prefix}_n"], out[f"{prefix}_km2"] = n, a
    n, length = _river_lengths(geoms, _frame(catalog, "river"))
    out["rivers_n"], out["rivers_km"] = n, length
    activity = _frame(catalog, "human_activity")
    if len(activity):
        from zoning.kinds import get_kind

        for zone in get_kind("human_activity").zone_ids:
            of_type = activity[activity["zone"] == zone]
            if len(of_type):
                n, a = _activity(geoms, of_type)
                out[f"activity_{zone}_n"], out[f"activity_{zone}_km2"] = n, a
    present = sorted({c for d in classes_by_feature for c in d})
    for code in present:
        out[_landcover_column(code)] = [d.get(code, 0.0) for d in classes_by_feature]
    return gpd.GeoDataFrame(out, geometry=red4490.geometry.to_numpy(), crs=red4490.crs)


def _landcover_column(code: int) -> str:
    """``lc_<class>_km2``, e.g. ``lc_grassland_km2`` for IGBP 10."""
    name = IGBP_NAMES[code][0]
    return "lc_" + re.sub(r"[^a-z]+", "_", name) + "_km2"


def _frame(catalog: Any, kind: str) -> gpd.GeoDataFrame:
    """Return the catalogue's ``kind`` in Albers, or an empty frame when absent."""
    if kind not in catalog.kinds:
        return gpd.GeoDataFrame(
            {"feature_id": [], "zone": [], "name": []}, geometry=gpd.GeoSeries(crs=ALBERS_CHINA)
        )
    return catalog.frame(kind, crs=ALBERS_CHINA)
