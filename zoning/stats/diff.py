"""What changed: between two statistics runs, and between two vintages of a layer.

* :func:`diff_stats` / :func:`diff_runs` — which units' figures changed between two runs (two
  ``stats.csv``), by how much (km² and percentage points).
* :func:`diff_vintages` — which features of a layer were added, removed or reshaped between two
  vintages, matched by ``feature_id`` and, for features whose id changed, by geometry.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zoning.crs import ALBERS_CHINA, require_measurable
from zoning.errors import InputFileError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = ["DIFF_COLUMNS", "diff_runs", "diff_stats", "diff_vintages", "read_stats"]

DIFF_COLUMNS = [
    "unit_id",
    "layer_kind",
    "zone",
    "status",
    "area_km2_a",
    "area_km2_b",
    "delta_km2",
    "share_pct_a",
    "share_pct_b",
    "delta_share_pct",
]


def read_stats(run: str | Path) -> pd.DataFrame:
    """Read ``stats.csv`` of a run folder (or the CSV itself), unit ids as text."""
    p = Path(run)
    csv = p / "stats.csv" if p.is_dir() else p
    if not csv.is_file():
        raise InputFileError(
            f"{csv} does not exist; expected a run folder with stats.csv (zoning run / zoning "
            "stats) or the CSV itself"
        )
    from zoning.io.tables import read_csv_table

    df = read_csv_table(csv, dtype={"unit_id": str, "level": str})
    missing = {"unit_id", "layer_kind", "zone", "area_km2", "share_pct"} - set(df.columns)
    if missing:
        raise InputFileError(f"{csv} lacks columns {', '.join(sorted(missing))}")
    return df


def diff_stats(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    tolerance_km2: float = 1e-6,
    keep_unchanged: bool = False,
) -> pd.DataFrame:
    """Compare two statistics tables row by row.

    Parameters
    ----------
    a, b : DataFrame
        Statistics (``unit_id, layer_kind, zone, area_km2, share_pct``); ``b`` is the newer.
    tolerance_km2 : float
        Changes of area at or below this are ``unchanged``.
    keep_unchanged : bool
        Keep unchanged rows in the result.

    Returns
    -------
    DataFrame
        :data:`DIFF_COLUMNS`; ``status`` is ``added`` (only in b), ``removed`` (only in a),
        ``changed`` or ``unchanged``; sorted by the largest absolute change first.
    """
    key = ["unit_id", "layer_kind", "zone"]
    if "level" in a.columns and "level" in b.columns:
        key = ["level", *key]
    cols = [*key, "area_km2", "share_pct"]
    m = a[cols].merge(b[cols], on=key, how="outer", suffixes=("_a", "_b"), indicator=True)
    m["delta_km2"] = m.area_km2_b.fillna(0.0) - m.area_km2_a.fillna(0.0)
    m["delta_share_pct"] = m.share_pct_b.fillna(0.0) - m.share_pct_a.fillna(0.0)
    status = np.where(
        m["_merge"] == "left_only",
        "removed",
        np.where(
            m["_merge"] == "right_only",
            "added",
            np.where(m.delta_km2.abs() > tolerance_km2, "changed", "unchanged"),
        ),
    )
    m["status"] = status
    if not keep_unchanged:
        m = m[m.status != "unchanged"]
    m = m.assign(_abs=m.delta_km2.abs()).sort_values(
        ["_abs", *key], ascending=[False, *[True] * len(key)], kind="stable"
    )
    out_cols = (["level"] if "level" in key else []) + DIFF_COLUMNS
    return m[out_cols].reset_index(drop=True)


def diff_runs(run_a: str | Path, run_b: str | Path, **kwargs: Any) -> pd.DataFrame:
    """:func:`diff_stats` of two run folders (or two ``stats.csv`` files)."""
    return diff_stats(read_stats(run_a), read_stats(run_b), **kwargs)


def diff_vintages(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    *,
    id_field: str = "feature_id",
    crs: Any = None,
    tolerance_m2: float = 1.0,
) -> gpd.GeoDataFrame:
    """Features added, removed or reshaped between two vintages of a layer.

    Features are matched by ``id_field``; an unmatched feature whose geometry equals an
    unmatched feature of the other vintage is ``id_changed``. Areas are measured in ``crs``
    (default :data:`zoning.crs.ALBERS_CHINA`).

    Returns
    -------
    GeoDataFrame
        ``feature_id, feature_id_old, status`` (``added``, ``removed``, ``reshaped``,
        ``id_changed``, ``unchanged``), ``area_old_m2, area_new_m2, gained_m2, lost_m2`` and the
        geometry (new, or old for removed features), in ``crs``; unchanged features left out.
    """
    import geopandas as gpd
    import shapely

    target = require_measurable(crs if crs is not None else ALBERS_CHINA, "zoning statistics")
    for name, gdf in (("old", old), ("new", new)):
        if id_field not in gdf.columns:
            raise InputFileError(
                f"the {name} vintage has no column {id_field!r}; found {list(gdf.columns)}; "
                "pass --id-field"
            )
    o = old.to_crs(target)
    n = new.to_crs(target)
    og = dict(zip(o[id_field].astype(str), o.geometry.values, strict=False))
    ng = dict(zip(n[id_field].astype(str), n.geometry.values, strict=False))
    rows: list[dict[str, Any]] = []
    for fid in sorted(set(og) & set(ng)):
        a, b = og[fid], ng[fid]
        gained = float(shapely.area(shapely.difference(b, a)))
        lost = float(shapely.area(shapely.difference(a, b)))
        status = "reshaped" if gained + lost > tolerance_m2 else "unchanged"
        rows.append(_row(fid, fid, status, a, b, gained, lost))
    only_old = sorted(set(og) - set(ng))
    only_new = sorted(set(ng) - set(og))
    wkb_old = {shapely.to_wkb(shapely.normalize(og[f])): f for f in only_old}
    matched_old: set[str] = set()
    for fid in only_new:
        key = shapely.to_wkb(shapely.normalize(ng[fid]))
        if key in wkb_old and wkb_old[key] not in matched_old:
            prev = wkb_old[key]
            matched_old.add(prev)
            rows.append(_row(fid, prev, "id_changed", og[prev], ng[fid], 0.0, 0.0))
        else:
            b = ng[fid]
            rows.append(_row(fid, None, "added", None, b, float(shapely.area(b)), 0.0))
    for fid in only_old:
        if fid not in matched_old:
            a = og[fid]
            rows.append(_row(None, fid, "removed", a, None, 0.0, float(shapely.area(a))))
    df = pd.DataFrame(rows)
    if df.empty:
        df = pd.DataFrame(
            columns=[
                "feature_id",
                "feature_id_old",
                "status",
                "area_old_m2",
                "area_new_m2",
                "gained_m2",
                "lost_m2",
                "geometry",
            ]
        )
    df = df[df.status != "unchanged"].reset_index(drop=True)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=target)


def _row(
    fid: Any, old_id: Any, status: str, a: Any, b: Any, gained: float, lost: float
) -> dict[str, Any]:
    import shapely

    return {
        "feature_id": fid,
        "feature_id_old": old_id,
        "status": status,
        "area_old_m2": float(shapely.area(a)) if a is not None else 0.0,
        "area_new_m2": float(shapely.area(b)) if b is not None else 0.0,
        "gained_m2": gained,
        "lost_m2": lost,
        "geometry": b if b is not None else a,
    }
