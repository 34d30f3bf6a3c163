"""The three "not"s between two vintages of the red-line ledger.

确保生态功能不降低、面积不减少、性质不改变 (000_4195c4ce1761a0fb.txt L556–593):

* **面积不减少** (area not reduced): the net red-line area per county, city and for the whole
  catalogue, with the features added, removed and reshaped and the area each gained or lost.
* **性质不改变** (nature unchanged): features whose zone was downgraded (``core`` → ``general``:
  the kind's zones are declared strictest first) or whose designation was removed.
* **功能不降低** (function not reduced): the share of natural land cover
  (:data:`zoning.ledger.landcover.NATURAL_CLASSES`) inside the red line, per county, before and
  after; not assessed when a ledger has no land cover.

Every verdict is ``held``, ``not held`` or ``not assessed``, with a sentence saying why.
Precision: areas are exact to rounding in Albers equal-area (about 1e-9 relative); a net change
smaller than ``tolerance_km2`` (default 1e-6 km² = 1 m²) is no change, and a share change smaller
than ``tolerance_pct`` (default 1e-6 percentage points) is no change.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, cast

import geopandas as gpd
import pandas as pd
import shapely

from zoning.crs import ALBERS_CHINA, project
from zoning.errors import LayerValidationError, Problem

__all__ = ["PRINCIPLES", "TOLERANCE_KM2", "TOLERANCE_PCT", "LedgerCheck", "check_ledgers"]

#: default tolerance of a net area change (km²): 1 m²
TOLERANCE_KM2 = 1e-6
#: default tolerance of a natural-share change (percentage points)
TOLERANCE_PCT = 1e-6

#: principle id → (Chinese, English)
PRINCIPLES = {
    "area": ("面积不减少", "area not reduced"),
    "nature": ("性质不改变", "nature unchanged"),
    "function": ("功能不降低", "ecological function not reduced"),
    "all": ("三个不", "all three"),
}


@dataclass
class LedgerCheck:
    """The outcome of :func:`check_ledgers`.

    Attributes
    ----------
    verdicts : pandas.DataFrame
        One row per scope (``county``, ``city``, ``catalogue``), unit and principle
        (``area``, ``nature``, ``function``, ``all``): ``old_value``, ``new_value``,
        ``change``, ``verdict`` (held / not held / not assessed) and ``explanation``.
    changes : pandas.DataFrame
        One row per feature of either vintage: ``change`` (added, removed, reshaped, zone
        downgraded / upgraded, unchanged), zones, areas, ``gained_km2``, ``lost_km2``.
    old_vintage, new_vintage : str
    tolerance_km2, tolerance_pct : float
    """

    verdicts: pd.DataFrame
    changes: pd.DataFrame
    old_vintage: str
    new_vintage: str
    tolerance_km2: float = TOLERANCE_KM2
    tolerance_pct: float = TOLERANCE_PCT
    notes: list[str] = field(default_factory=list)

    def verdict(self, principle: str, scope: str = "catalogue", unit_id: str = "") -> str:
        """Return the verdict of one principle for one unit (the whole catalogue by default)."""
        v = self.verdicts
        row = v[(v["principle"] == principle) & (v["scope"] == scope)]
        if scope != "catalogue":
            row = row[row["unit_id"] == unit_id]
        if len(row) != 1:
            raise KeyError(f"no {principle!r} verdict for {scope} {unit_id!r}")
        return str(row["verdict"].iloc[0])

    @property
    def held(self) -> bool:
        """True when no principle is ``not held`` for the whole catalogue."""
        return self.verdict("all") != "not held"

    def summary(self) -> str:
        """Summarise the catalogue's verdicts and the units where a principle is not held."""
        v = self.verdicts
        lines = [f"red-line ledger check {self.old_vintage} → {self.new_vintage}"]
        for _, row in v[v["scope"] == "catalogue"].iterrows():
            zh, en = PRINCIPLES[row["principle"]]
            lines.append(f"  {zh} ({en}): {row['verdict']} — {row['explanation']}")
        bad = v[(v["verdict"] == "not held") & (v["scope"] == "county") & (v["principle"] != "all")]
        for _, row in bad.iterrows():
            zh, _ = PRINCIPLES[row["principle"]]
            lines.append(f"  not held: {row['unit_name']} ({row['unit_id']}) {zh}")
        lines.append(
            f"  tolerance: {self.tolerance_km2:g} km² for areas, {self.tolerance_pct:g} "
            "percentage points for shares"
        )
        return "\n".join(lines)


def _parts(ledger: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for fid, text in zip(ledger["feature_id"].astype(str), ledger["parts"], strict=True):
        for part in json.loads(text) if isinstance(text, str) and text else []:
            rows.append({"feature_id": fid, **part})
    columns = ["feature_id", "adcode", "name", "city_adcode", "city_name", "km2", "natural_km2"]
    out = pd.DataFrame(rows, columns=columns)
    out["natural_km2"] = pd.to_numeric(out["natural_km2"], errors="coerce")
    return out


def _check_ledger(ledger: pd.DataFrame, what: str) -> None:
    problems = []
    missing = [
        c for c in ("feature_id", "zone", "area_km2", "parts", "geometry") if c not in ledger
    ]
    if missing:
        problems.append(
            Problem(
                "not_a_ledger",
                f"{what} lacks the ledger columns {missing}; expected a ledger written by "
                "`zoning ledger build`; fix: build it again",
            )
        )
    elif ledger["feature_id"].duplicated().any():
        dup = ledger.loc[ledger["feature_id"].duplicated(), "feature_id"].astype(str)
        problems.append(
            Problem(
                "duplicate_feature_id",
                f"{what} has repeated feature ids; expected one row per red-line feature "
                "(features are matched between vintages by id); fix: give each feature its "
                "own id (id_field in the catalogue)",
                tuple(dup.head(10)),
            )
        )
    if problems:
        raise LayerValidationError(what, problems)


def _zone_rank(zone: str) -> int:
    """Position of an eco_redline zone, strictest first (unknown zones rank last)."""
    from zoning.kinds import get_kind

    zones = get_kind("eco_redline").zone_ids
    return zones.index(zone) if zone in zones else len(zones)


def _feature_changes(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, tol: float) -> pd.DataFrame:
    o = old.set_index(old["feature_id"].astype(str))
    n = new.set_index(new["feature_id"].astype(str))
    ids = list(dict.fromkeys([*o.index, *n.index]))
    og = project(o.geometry, ALBERS_CHINA) if len(o) else o.geometry
    ng = project(n.geometry, ALBERS_CHINA) if len(n) else n.geometry
    rows = []
    for fid in ids:
        in_old, in_new = fid in o.index, fid in n.index
        row = {
            "feature_id": fid,
            "name": (n if in_new else o).at[fid, "name"] if "name" in o else None,
            "county_adcode": (o if in_old else n).at[fid, "county_adcode"]
            if "county_adcode" in o
            else "",
            "county_name": (o if in_old else n).at[fid, "county_name"]
            if "county_name" in o
            else "",
            "zone_old": o.at[fid, "zone"] if in_old else None,
            "zone_new": n.at[fid, "zone"] if in_new else None,
            "area_old_km2": float(o.at[fid, "area_km2"]) if in_old else 0.0,
            "area_new_km2": float(n.at[fid, "area_km2"]) if in_new else 0.0,
        }
        labels = []
        if in_old and in_new:
            a, b = og.loc[fid], ng.loc[fid]
            gained = shapely.area(shapely.difference(b, a)) / 1e6
            lost = shapely.area(shapely.difference(a, b)) / 1e6
            if gained > tol or lost > tol:
                labels.append("reshaped")
            ro, rn = _zone_rank(row["zone_old"]), _zone_rank(row["zone_new"])
            if rn > ro:
                labels.append("zone downgraded")
            elif rn < ro:
                labels.append("zone upgraded")
        elif in_new:
            gained, lost = row["area_new_km2"], 0.0
            labels.append("added")
        else:
            gained, lost = 0.0, row["area_old_km2"]
            labels.append("removed")
        row.update(
            gained_km2=gained,
            lost_km2=lost,
            net_km2=row["area_new_km2"] - row["area_old_km2"],
            change="; ".join(labels) or "unchanged",
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _fsum(values: pd.Series) -> float:
    return math.fsum(float(v) for v in values)


def _natural(values: pd.Series) -> float:
    return math.nan if values.isna().any() else _fsum(values)


def _scope_tables(parts: pd.DataFrame, level: str) -> pd.DataFrame:
    key, name = ("adcode", "name") if level == "county" else ("city_adcode", "city_name")
    if not len(parts):
        return pd.DataFrame(columns=["unit_id", "unit_name", "km2", "natural_km2"])
    grouped = parts.groupby(key, sort=True)
    return pd.DataFrame(
        {
            "unit_id": list(grouped.groups),
            "unit_name": grouped[name].first().to_numpy(),
            "km2": grouped["km2"].apply(_fsum).to_numpy(),
            "natural_km2": grouped["natural_km2"].apply(_natural).to_numpy(),
        }
    )


def _fmt_changes(rows: pd.DataFrame, column: str, sign: str) -> str:
    return ", ".join(
        f"{r.feature_id} ({r.change}) {sign}{abs(getattr(r, column)):.6f} km²"
        for r in rows.itertuples()
    )


def check_ledgers(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    *,
    tolerance_km2: float = TOLERANCE_KM2,
    tolerance_pct: float = TOLERANCE_PCT,
) -> LedgerCheck:
    """Check 面积不减少, 性质不改变 and 功能不降低 between two ledgers.

    Parameters
    ----------
    old, new : geopandas.GeoDataFrame
        Ledgers from :func:`zoning.ledger.build_ledger` (or read back from a file or database);
        features are matched by ``feature_id``.
    tolerance_km2 : float
        A net area change within ±tolerance counts as none (default 1 m²).
    tolerance_pct : float
        A natural-share change within ±tolerance (percentage points) counts as none.

    Returns
    -------
    LedgerCheck
    """
    _check_ledger(old, "the old ledger")
    _check_ledger(new, "the new ledger")
    changes = _feature_changes(old, new, tolerance_km2)
    po, pn = _parts(old), _parts(new)
    # per (feature, county) deltas, to name the features behind each county's net change
    delta = (
        pd.concat(
            [po.assign(old=po["km2"], new=0.0), pn.assign(old=0.0, new=pn["km2"])],
            ignore_index=True,
        )
        .groupby(["feature_id", "adcode", "city_adcode"], as_index=False)[["old", "new"]]
        .sum()
    )
    delta["net_km2"] = delta["new"] - delta["old"]
    delta = delta.merge(changes[["feature_id", "change"]], on="feature_id", how="left")
    bad_nature = changes[
        changes["change"].str.contains("removed|zone downgraded", regex=True)
    ].copy()
    bad_nature["why"] = bad_nature["change"].map(
        lambda c: "designation removed" if "removed" in c else "zone downgraded"
    )
    vo, vn = _vintage(old), _vintage(new)
    rows: list[dict[str, Any]] = []
    for level, key in (("county", "adcode"), ("city", "city_adcode")):
        to, tn = _scope_tables(po, level), _scope_tables(pn, level)
        units = to.merge(tn, on="unit_id", how="outer", suffixes=("_old", "_new"))
        for u in units.itertuples():
            # the outer merge leaves NaN on the side where the unit is absent
            name = cast(
                str, u.unit_name_new if isinstance(u.unit_name_new, str) else u.unit_name_old
            )
            sel = delta[delta[key] == u.unit_id]
            features = set(po.loc[po[key] == u.unit_id, "feature_id"])
            rows += _unit_rows(
                level,
                str(u.unit_id),
                name,
                _num(u.km2_old),
                _num(u.km2_new),
                _num(u.natural_km2_old, nan=True),
                _num(u.natural_km2_new, nan=True),
                sel,
                bad_nature[bad_nature["feature_id"].isin(features)],
                tolerance_km2,
                tolerance_pct,
            )
    total_delta = delta.groupby(["feature_id", "change"])["net_km2"].sum().reset_index()
    rows += _unit_rows(
        "catalogue",
        "",
        "whole catalogue",
        _fsum(old["area_km2"]),
        _fsum(new["area_km2"]),
        _natural(old["natural_km2"]) if "natural_km2" in old else math.nan,
        _natural(new["natural_km2"]) if "natural_km2" in new else math.nan,
        total_delta,
        bad_nature,
        tolerance_km2,
        tolerance_pct,
    )
    verdicts = pd.DataFrame(rows)
    verdicts.insert(0, "new_vintage", vn)
    verdicts.insert(0, "old_vintage", vo)
    return LedgerCheck(verdicts, changes, vo, vn, tolerance_km2, tolerance_pct)


def _vintage(ledger: pd.DataFrame) -> str:
    if "vintage" in ledger and len(ledger):
        return ", ".join(sorted(set(ledger["vintage"].astype(str))))
    return ""


def _num(value: Any, *, nan: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan if nan else 0.0
    if math.isnan(v) and not nan:
        return 0.0
    return v


def _unit_rows(
    scope: str,
    unit_id: str,
    unit_name: str,
    old_km2: float,
    new_km2: float,
    nat_old: float,
    nat_new: float,
    deltas: pd.DataFrame,
    bad_nature: pd.DataFrame,
    tol_km2: float,
    tol_pct: float,
) -> list[dict[str, Any]]:
    base = {"scope": scope, "unit_id": unit_id, "unit_name": unit_name}
    net = new_km2 - old_km2
    lost = deltas[deltas["net_km2"] < -tol_km2].sort_values("net_km2")
    gained = deltas[deltas["net_km2"] > tol_km2].sort_values("net_km2", ascending=False)
    area_held = net >= -tol_km2
    why = f"net {net:+.6f} km² ({old_km2:.6f} → {new_km2:.6f} km²)"
    if len(lost):
        why += f"; lost: {_fmt_changes(lost, 'net_km2', '−')}"
    if len(gained):
        why += f"; gained: {_fmt_changes(gained, 'net_km2', '+')}"
    rows: list[dict[str, Any]] = [
        {
            **base,
            "principle": "area",
            "old_value": old_km2,
            "new_value": new_km2,
            "change": net,
            "verdict": "held" if area_held else "not held",
            "explanation": why,
        }
    ]
    nature_held = not len(bad_nature)
    listed = ", ".join(f"{r.feature_id} ({r.why})" for r in bad_nature.itertuples())
    rows.append(
        {
            **base,
            "principle": "nature",
            "old_value": math.nan,
            "new_value": float(len(bad_nature)),
            "change": float(len(bad_nature)),
            "verdict": "held" if nature_held else "not held",
            "explanation": "no zone downgraded, no designation removed"
            if nature_held
            else f"{len(bad_nature)} feature(s): {listed}",
        }
    )
    share_old = 100 * nat_old / old_km2 if old_km2 > 0 else math.nan
    share_new = 100 * nat_new / new_km2 if new_km2 > 0 else math.nan
    if math.isnan(share_old) or math.isnan(share_new):
        function_verdict = "not assessed"
        fwhy = (
            "no land cover in a ledger (build both with a land-cover raster)"
            if math.isnan(nat_old) or math.isnan(nat_new)
            else "no red line in one of the vintages"
        )
        fchange = math.nan
    else:
        fchange = share_new - share_old
        function_verdict = "held" if fchange >= -tol_pct else "not held"
        fwhy = (
            f"natural land cover {share_old:.4f} % → {share_new:.4f} % of the red line "
            f"({fchange:+.4f} points; {nat_old:.6f} → {nat_new:.6f} km²)"
        )
    rows.append(
        {
            **base,
            "principle": "function",
            "old_value": share_old,
            "new_value": share_new,
            "change": fchange,
            "verdict": function_verdict,
            "explanation": fwhy,
        }
    )
    verdicts = [r["verdict"] for r in rows]
    overall = (
        "not held"
        if "not held" in verdicts
        else ("not assessed" if "not assessed" in verdicts else "held")
    )
    failing = [PRINCIPLES[r["principle"]][0] for r in rows if r["verdict"] == "not held"]
    rows.append(
        {
            **base,
            "principle": "all",
            "old_value": math.nan,
            "new_value": math.nan,
            "change": math.nan,
            "verdict": overall,
            "explanation": ("not held: " + "、".join(failing))
            if failing
            else (
                "all three principles held"
                if overall == "held"
                else "held where assessed (功能不降低 needs land cover)"
            ),
        }
    )
    return rows
