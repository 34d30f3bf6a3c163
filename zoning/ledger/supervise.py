"""Supervision of human activities inside the red line (人类活动遥感监测).

000_4195c4ce1761a0fb.txt L556–593: 以遥感和地面调查监测相结合，重点识别可能造成生态破坏的人类活动影响.

Every ``human_activity`` patch that meets the red line or a protected area is screened with
the screening engine (:func:`zoning.screening.screen_sites`), its activity type standing for a
project type (:data:`ACTIVITY_PROJECT_TYPES`; a ``project_type`` column overrides it), and its
attribute columns that name project attributes (``necessary_and_unavoidable`` …) as the
project's attributes. Then

* **suspected problem patches** (疑似问题图斑): verdict ``prohibited`` — with the rules and
  clauses broken — or ``needs_info``; ranked by severity (prohibited in a core zone, prohibited,
  needs information) and area, for field verification;
* **allowed limited activities** (允许的有限人类活动): the red-line or protected-area rule that
  applies is conditional or allowed; listed with the evidence the rule requires;
* **not screened**: activity types with no project type (agriculture, other), listed so that
  nothing disappears silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning.crs import ALBERS_CHINA, project
from zoning.errors import EmptyInputError

__all__ = ["ACTIVITY_PROJECT_TYPES", "SupervisionResult", "supervise"]

logger = logging.getLogger(__name__)

#: activity type (``human_activity`` zone) → project type screened (None: not screened)
ACTIVITY_PROJECT_TYPES: dict[str, str | None] = {
    "mining": "quarry",
    "industry": "industrial_park",
    "transport": "road",
    "energy": "solar_pv",
    "tourism": "tourism_facility",
    "housing": "housing",
    "agriculture": None,
    "other": None,
}

#: kinds whose rules decide supervision (the patch must meet one of them)
SUPERVISED_KINDS = ("eco_redline", "protected_area")
_CORE_ZONES = {("eco_redline", "core"), ("protected_area", "core"), ("protected_area", "buffer")}
#: patches screened per call: a GEOS failure costs a re-screening of its chunk only
_CHUNK = 2000
_SEVERITY = {1: "prohibited in a core zone", 2: "prohibited", 3: "needs information"}


@dataclass
class SupervisionResult:
    """The outcome of :func:`supervise`.

    Attributes
    ----------
    suspects : geopandas.GeoDataFrame
        Suspected problem patches, ranked (``rank`` 1 first): ``severity``, ``verdict``,
        ``rules``, ``clauses``, the red-line / protected-area features met, area.
    allowed : geopandas.GeoDataFrame
        Allowed limited activities with ``rules``, ``clauses`` and ``evidence_required``.
    unscreened : geopandas.GeoDataFrame
        Patches in the red line or a protected area whose activity type has no project type.
    n_patches, n_inside : int
        Patches in the layer, and those meeting the red line or a protected area.
    """

    suspects: gpd.GeoDataFrame
    allowed: gpd.GeoDataFrame
    unscreened: gpd.GeoDataFrame
    n_patches: int
    n_inside: int
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line per list."""
        return (
            f"{self.n_patches} patches, {self.n_inside} in the red line or a protected area: "
            f"{len(self.suspects)} suspected problem patches (疑似问题图斑), {len(self.allowed)} "
            f"allowed limited activities, {len(self.unscreened)} not screened"
        )


def _attribute_columns(patches: pd.DataFrame) -> list[str]:
    from zoning.projects import attribute_specs

    return [c for c in patches.columns if c in attribute_specs()]


def _patch_attrs(row: dict[str, Any], columns: list[str]) -> tuple[tuple[str, Any], ...]:
    from zoning.projects import attribute_specs

    specs = attribute_specs()
    out = []
    for c in columns:
        value = row[c]
        if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
            continue
        out.append((c, specs[c].coerce(value)))
    return tuple(out)


def _meets(patches: np.ndarray, frames: dict[str, gpd.GeoDataFrame]) -> dict[str, list[str]]:
    """Per supervised kind, the feature ids each patch meets (interiors or lines inside)."""
    out: dict[str, list[str]] = {}
    for kind in SUPERVISED_KINDS:
        ids: list[list[str]] = [[] for _ in range(len(patches))]
        frame = frames.get(kind)
        if frame is not None and len(frame):
            tree = shapely.STRtree(frame.geometry.to_numpy())
            i, j = tree.query(patches, predicate="intersects")
            fids = frame["feature_id"].astype(str).to_numpy()
            for a, b in zip(i, j, strict=True):
                ids[a].append(fids[b])
        out[kind] = [", ".join(sorted(set(x))) for x in ids]
    return out


def _clause(rule: Any) -> str:
    c = rule.citation
    title = c.title() if hasattr(c, "title") else c.document  # 《title》（文号） where known
    return f"{title} {c.article}: {rule.text_zh}".strip()


def supervise(
    catalog: Any,
    *,
    patches: gpd.GeoDataFrame | None = None,
    rulepacks: list[Any] | None = None,
    as_of: str | None = None,
) -> SupervisionResult:
    """Screen the human-activity patches inside the red line and protected areas.

    Parameters
    ----------
    catalog : zoning.catalog.Catalog
        The control layers (the ``human_activity`` kind is left out of the screening).
    patches : geopandas.GeoDataFrame, optional
        Normalised patch frame (default: the catalogue's ``human_activity`` layer).
    rulepacks : list, optional
        Rule packs (default: the bundled ones, as ``zoning screen``).
    as_of : str, optional
        Date the rules must be in force on (default today).

    Returns
    -------
    SupervisionResult

    Raises
    ------
    EmptyInputError
        No patches: the catalogue has no ``human_activity`` layer and none was given.
    """
    from zoning.projects import get_project_type
    from zoning.screening import build_index

    if patches is None:
        if "human_activity" not in catalog.kinds:
            raise EmptyInputError(
                f"catalogue {catalog.path} has no human_activity layer; expected the "
                "remote-sensing change patches (人类活动遥感监测图斑) to supervise; fix: add a "
                '[[layers]] entry with kind = "human_activity" and zone_field = the activity type'
            )
        patches = catalog.frame("human_activity")
    kinds = [k for k in catalog.kinds if k != "human_activity"]
    frames = {k: catalog.frame(k) for k in kinds}
    index = build_index(frames, coverage=catalog.coverage)
    meets = _meets(patches.geometry.to_numpy(), frames)
    inside = np.array([bool(a or b) for a, b in zip(*meets.values(), strict=True)], dtype=bool)
    base = patches.assign(
        patch_id=patches["feature_id"].astype(str),
        activity_type=patches["zone"],
        in_redline=meets["eco_redline"],
        in_protected_area=meets["protected_area"],
    )
    albers = project(patches.geometry, ALBERS_CHINA)
    base["area_km2"] = shapely.area(albers.to_numpy()) / 1e6
    base["length_km"] = np.where(
        shapely.get_dimensions(albers.to_numpy()) == 1, shapely.length(albers.to_numpy()) / 1e3, 0.0
    )
    if "project_type" in base.columns:
        given = base["project_type"].where(base["project_type"].astype(bool), None)
        base["project_type"] = given.fillna(base["zone"].map(ACTIVITY_PROJECT_TYPES))
    else:
        base["project_type"] = base["zone"].map(ACTIVITY_PROJECT_TYPES)
    sel = base[inside]
    attr_cols = _attribute_columns(sel)
    unscreened = sel[sel["project_type"].isna()].copy()
    unscreened["reason"] = (
        "activity type "
        + unscreened["activity_type"].astype(str)
        + (" has no project type to screen; verify in the field")
    )
    screened = sel[sel["project_type"].notna()]
    type_ids = {pt: get_project_type(pt).id for pt in set(screened["project_type"])}
    keys = [
        (type_ids[pt], _patch_attrs(row, attr_cols))
        for pt, row in zip(
            screened["project_type"], screened[attr_cols].to_dict("records"), strict=True
        )
    ]
    suspects: list[dict[str, Any]] = []
    allowed: list[dict[str, Any]] = []
    warnings: list[str] = []
    failed: list[pd.Series] = []
    for key in dict.fromkeys(keys):
        rows = screened[[k == key for k in keys]]
        pt, attrs = key
        screened_parts = [
            pair
            for start in range(0, len(rows), _CHUNK)
            for pair in _screen(
                rows.iloc[start : start + _CHUNK], index, pt, dict(attrs), rulepacks, as_of, failed
            )
        ]
        for part, result in screened_parts:
            warnings += result.warnings
            _classify(result, part, list(base.columns), pt, attrs, suspects, allowed)
    if failed:
        lost = gpd.GeoDataFrame(failed, crs=patches.crs)
        lost["reason"] = (
            "the screening engine failed on this patch (GEOS error); verify in the field"
        )
        unscreened = pd.concat([unscreened, lost])
        warnings.append(f"{len(failed)} patch(es) could not be screened (GEOS error); listed")
    return SupervisionResult(
        _ranked(suspects, patches.crs),
        _frame(allowed, patches.crs, ["area_km2"]),
        gpd.GeoDataFrame(unscreened.drop(columns=["feature_id", "kind"], errors="ignore")),
        len(patches),
        int(inside.sum()),
        list(dict.fromkeys(warnings)),
    )


def _screen(
    rows: gpd.GeoDataFrame,
    index: Any,
    project_type: str,
    attrs: dict[str, Any],
    rulepacks: Any,
    as_of: Any,
    failed: list[pd.Series],
) -> list[tuple[gpd.GeoDataFrame, Any]]:
    """Screen ``rows``, isolating the patches on which GEOS fails.

    When GEOS fails on the batch, halve it until the failing patches are isolated (they go to
    ``failed``), so one bad pair does not stop the whole supervision.
    """
    from zoning.screening import screen_sites

    sites = gpd.GeoDataFrame(
        {"site_id": rows["patch_id"].to_numpy()}, geometry=rows.geometry.to_numpy(), crs=rows.crs
    )
    try:
        result = screen_sites(
            sites, index, project_type, attrs=attrs, rulepacks=rulepacks, as_of=as_of
        )
    except shapely.errors.GEOSException as exc:
        if len(rows) == 1:
            logger.warning("patch %s not screened: %s", rows["patch_id"].iloc[0], exc)
            failed.append(rows.iloc[0])
            return []
        half = len(rows) // 2
        return [
            *_screen(rows.iloc[:half], index, project_type, attrs, rulepacks, as_of, failed),
            *_screen(rows.iloc[half:], index, project_type, attrs, rulepacks, as_of, failed),
        ]
    return [(rows, result)]


def _classify(
    result: Any,
    rows: gpd.GeoDataFrame,
    columns: list[str],
    pt: str,
    attrs: tuple[tuple[str, Any], ...],
    suspects: list[dict[str, Any]],
    allowed: list[dict[str, Any]],
) -> None:
    """Sort the screened patches into suspects and allowed limited activities."""
    hits = result.hits[result.hits["triggered"].astype(bool)]
    by_site = hits.groupby("site_idx").indices
    empty = hits.iloc[:0]
    attr_text = ", ".join(f"{k}={v}" for k, v in attrs)
    keep = [c for c in columns if c != "geometry" and c in rows.columns]
    records = rows[keep].to_dict("records")
    for pos, (verdict, record, geom) in enumerate(
        zip(result.sites["verdict"], records, rows.geometry, strict=True)
    ):
        mine = hits.iloc[by_site[pos]] if pos in by_site else empty
        record.update(project_type=pt, attrs=attr_text, verdict=verdict, geometry=geom)
        supervised = mine[mine["layer_kind"].isin(SUPERVISED_KINDS)]
        outcomes = set(supervised["outcome"])
        asks = verdict == "needs_info" and not len(supervised)
        if verdict == "prohibited" or "needs_info" in outcomes or asks:
            # prohibited anywhere, or the red line / protected area rule itself needs facts
            wanted = "prohibited" if verdict == "prohibited" else "needs_info"
            breaking = mine[mine["outcome"] == wanted]
            severity = 3
            if verdict == "prohibited":
                core = any(
                    (k, z) in _CORE_ZONES
                    for k, z in zip(breaking["layer_kind"], breaking["zone"], strict=True)
                )
                severity = 1 if core else 2
            rules = list(dict.fromkeys(breaking["rule_id"]))
            record.update(
                severity=severity,
                severity_label=_SEVERITY[severity],
                rules=", ".join(rules),
                clauses=" | ".join(_clause(result.rule(r)) for r in rules),
                features=", ".join(
                    f"{k}:{f} [{z}]"
                    for k, f, z in zip(
                        breaking["layer_kind"],
                        breaking["feature_id"],
                        breaking["zone"],
                        strict=True,
                    )
                ),
            )
            suspects.append(record)
        elif len(supervised) and outcomes <= {"conditional", "allowed"}:
            # a limited activity the red line / protected area rules allow; the overall verdict
            # (kept in `verdict`) may still ask about other layers
            rules = list(dict.fromkeys(supervised["rule_id"]))
            evidence = [e for r in rules for e in result.rule(r).evidence_required]
            record.update(
                rules=", ".join(rules),
                clauses=" | ".join(_clause(result.rule(r)) for r in rules),
                evidence_required="; ".join(dict.fromkeys(evidence)),
            )
            allowed.append(record)


def _frame(records: list[dict[str, Any]], crs: Any, sort: list[str]) -> gpd.GeoDataFrame:
    if not records:
        return gpd.GeoDataFrame(
            {"patch_id": [], "verdict": []}, geometry=gpd.GeoSeries(crs=crs), crs=crs
        )
    out = gpd.GeoDataFrame(pd.DataFrame(records), geometry="geometry", crs=crs)
    out = out.drop(columns=["feature_id", "kind"], errors="ignore")
    return out.sort_values(sort, ascending=False, kind="stable").reset_index(drop=True)


def _ranked(records: list[dict[str, Any]], crs: Any) -> gpd.GeoDataFrame:
    out = _frame(records, crs, ["area_km2"])
    if not len(out):
        return out
    out = out.sort_values(
        ["severity", "area_km2", "length_km", "patch_id"],
        ascending=[True, False, False, True],
        kind="stable",
    ).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out
