"""The answer of a screening: :class:`ScreeningResult`, a plain value with its explanations.

It holds the sites with their verdicts, the hits with their metrics, the totals per zone, the
nearest features and the rules used; it explains each verdict (reasons in both languages, the
evidence to supply, the questions that would settle ``needs_info``; texts from
:mod:`zoning.screening.reasons`), sums it up per site (:meth:`ScreeningResult.summary`) and ranks
the sites as alternatives (:meth:`ScreeningResult.compare`). It builds no JSON, HTML, CSV or Word:
that is the report side (:mod:`zoning.screening.report`, :mod:`zoning.screening.html`,
:mod:`zoning.screening.docx`), which imports the result, never the reverse.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from zoning.rules import SEVERITY, Assessment, Rule, RulePack
from zoning.screening.metrics import clip_to_zones
from zoning.screening.reasons import OUTCOME_ZH
from zoning.screening.records import frame_records

if TYPE_CHECKING:
    import geopandas as gpd

    from zoning.projects import ProjectType
    from zoning.screening.index import ScreeningIndex

__all__ = ["ScreeningResult", "zone_label_zh"]


def _severity_key(s: pd.Series) -> pd.Series:
    """Sort key: strictest outcome first (unknown outcomes last)."""
    return -pd.to_numeric(s.map(SEVERITY), errors="coerce").fillna(0)


@functools.cache
def zone_label_zh(kind: str, zone: str) -> str:
    """Return the short Chinese label of a zone used in the reasons (``生态保护红线·核心区``).

    The kind's name, then the zone's name unless it repeats the kind's. The reports use the
    longer bilingual label (:func:`zoning.maps.style.zone_label`) instead.

    Parameters
    ----------
    kind : str
        Layer kind id.
    zone : str
        Zone id of the kind.

    Returns
    -------
    str
        The label.
    """
    from zoning.kinds import get_kind

    k = get_kind(kind)
    z = k.zones.get(zone)
    return f"{k.name_zh}{'·' + z.name_zh if z and z.name_zh != k.name_zh else ''}"


def _hit_labels(h: Mapping[str, Any]) -> tuple[str, str]:
    """Name the zone and feature a hit concerns: (Chinese, English), as the reasons quote it."""
    where = zone_label_zh(h["layer_kind"], h["zone"])
    label_zh, label_en = where, f"{h['layer_kind']}/{h['zone']} {where}"
    if h["name"] is not None and not pd.isna(h["name"]):
        label_zh += f"“{h['name']}”"
        label_en += f" '{h['name']}'"
    return label_zh, label_en


#: how much a subsidence zone weighs when sites are compared (unstable ground ranks last)
_GROUND_RISK = {"unstable": 3, "unknown": 2, "stabilising": 1, "stable": 0}


@dataclass
class ScreeningResult:
    """The outcome of :func:`screen_sites`: verdicts, hits, totals, reasons, provenance.

    Attributes
    ----------
    sites : GeoDataFrame
        One row per site (EPSG:4490): ``site_id``, ``verdict``, ``n_hits``, ``covered``,
        ``near_boundary``, ``site_area_m2``, ``site_length_m``, ``gk_epsg``, ``repair``.
    hits : DataFrame
        One row per site × feature within the search radius, with metrics; ``triggered`` rows
        (zone hits and buffer catches) carry ``outcome``, ``rule_id`` and ``rule_ids``.
    by_layer : DataFrame
        Per site, kind and zone on the dissolved layer.
    nearest : DataFrame
        Nearest feature of every kind for sites that hit nothing.
    """

    project_type: ProjectType
    attrs: dict[str, Any]
    user_attrs: dict[str, Any]
    packs: list[RulePack]
    provenance: dict[str, Any]
    sites: gpd.GeoDataFrame
    hits: pd.DataFrame
    by_layer: pd.DataFrame
    nearest: pd.DataFrame
    parameters: dict[str, Any]
    warnings: list[str]
    index: ScreeningIndex | None = field(default=None, repr=False)
    site_gk: np.ndarray | None = field(default=None, repr=False)
    zone_gk: np.ndarray | None = field(default=None, repr=False)
    area_hits: pd.DataFrame | None = field(default=None, repr=False)
    jurisdictions: Any = field(default=None, repr=False)
    #: per site, the layer kinds a rule for the project type needs and the catalogue lacks
    missing_layers: list[list[str]] | None = field(default=None, repr=False)

    def boundary_distance(self, row: Mapping[str, Any]) -> float:
        """Return the distance (m) from a site inside a zone to the zone's boundary.

        Computed on demand for lines and polygons; the engine computes it for points.

        Parameters
        ----------
        row : mapping
            A hit of :meth:`site_rows`.

        Returns
        -------
        float
            The distance, or the row's value (NaN for a site not inside the zone).
        """
        import shapely

        value: float = row["boundary_distance_m"]
        if (
            not pd.isna(value)
            or not bool(row["inside"])
            or self.zone_gk is None
            or self.site_gk is None
        ):
            return value
        site = self.site_gk[int(row["site_idx"])]
        zone = self.zone_gk[int(row["_pos"])]
        return float(shapely.distance(site, shapely.boundary(zone)))

    def constrained(self) -> pd.DataFrame:
        """Return per site the area and length inside zones with a restrictive outcome.

        Restrictive: prohibited, needs_info, conditional; all layers dissolved together.
        """
        cached: pd.DataFrame | None = self.__dict__.get("_constrained_cache")
        if cached is not None:
            return cached.copy()
        import shapely

        n = len(self.sites)
        area, length = np.zeros(n), np.zeros(n)
        h = self.hits
        if len(h) and self.site_gk is not None:
            restrictive = h["intersects"].astype(bool) & h["outcome"].isin(
                ["prohibited", "needs_info", "conditional"]
            )
            # filtered once, then per site only its own rows as arrays (linear in hits)
            hr = h[restrictive]
            inside = hr["inside"].to_numpy().astype(bool)
            ov_area = hr["overlap_area_m2"].to_numpy(float)
            ov_length = hr["overlap_length_m"].to_numpy(float)
            labels = hr.index.to_numpy()
            for site_idx, idx in hr.groupby("site_idx").indices.items():
                site = cast("int", site_idx)  # the site_idx column holds integers
                if inside[idx].any():
                    piece = self.site_gk[site]
                elif len(idx) == 1:
                    area[site] = ov_area[idx[0]]
                    length[site] = ov_length[idx[0]]
                    continue
                else:
                    assert self.zone_gk is not None, "site_gk and zone_gk are set together"
                    zones = self.zone_gk[labels[idx]]
                    zones = zones[shapely.get_dimensions(zones) == 2]
                    if not len(zones):
                        continue
                    piece = clip_to_zones(self.site_gk[site], zones)
                dim = shapely.get_dimensions(self.site_gk[site])
                area[site] = shapely.area(piece) if dim == 2 else 0.0
                length[site] = shapely.length(piece) if dim == 1 else 0.0
        out = pd.DataFrame(
            {"site_id": self.sites["site_id"].to_numpy(), "area_m2": area, "length_m": length}
        )
        self.__dict__["_constrained_cache"] = out
        return out.copy()

    # -------------------------------------------------------------- lookup
    @property
    def verdicts(self) -> pd.Series:
        """Verdict per site id."""
        return pd.Series(self.sites["verdict"].to_numpy(), index=self.sites["site_id"])

    def rule(self, rule_id: str) -> Rule:
        """Return a rule of the packs used."""
        by_id: dict[str, Rule] | None = self.__dict__.get("_rules_by_id")
        if by_id is None:
            by_id = {r.id: r for pack in self.packs for r in pack.rules}
            self.__dict__["_rules_by_id"] = by_id
        return by_id[rule_id]

    def _records(self) -> dict[str, dict[int, list[dict[str, Any]]]]:
        """Rows of hits, by_layer and nearest as plain dicts grouped per site (built once)."""
        cached = self.__dict__.get("_records_cache")
        if cached is None:

            def by_site(frame: pd.DataFrame) -> dict[int, list[dict[str, Any]]]:
                out: dict[int, list[dict[str, Any]]] = {}
                # the columns of hits, by_layer and nearest are named by strings
                for pos, rec in enumerate(frame_records(frame)):
                    rec["_pos"] = pos
                    out.setdefault(int(rec["site_idx"]), []).append(rec)
                return out

            cached = {
                "hits": by_site(self.hits),
                "by_layer": by_site(self.by_layer),
                "nearest": by_site(self.nearest),
            }
            self.__dict__["_records_cache"] = cached
        return cached

    def site_rows(
        self, i: int
    ) -> tuple[
        list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]
    ]:
        """Return the rows of site ``i`` as plain dicts (shared: do not modify them).

        Parameters
        ----------
        i : int
            Position of the site in :attr:`sites`.

        Returns
        -------
        tuple of lists
            The triggered hits (zone hits and buffer catches), the nearby zones, the totals per
            zone (``by_layer``) and the nearest features.
        """
        rec = self._records()
        rows = rec["hits"].get(i, [])
        trig = [r for r in rows if r["triggered"]]
        nearby = [r for r in rows if not r["triggered"]]
        return trig, nearby, rec["by_layer"].get(i, []), rec["nearest"].get(i, [])

    # -------------------------------------------------------------- explanation
    def explanation(self, i: int) -> dict[str, list[str]]:
        """Return every reason of site ``i`` in both languages, computed once.

        The JSON, the summary and the reports all need it.

        Parameters
        ----------
        i : int
            Position of the site in :attr:`sites`.

        Returns
        -------
        dict of str to list of str
            ``reasons`` (Chinese | English), ``reasons_zh``, ``reasons_en``,
            ``evidence_required``, ``questions``.
        """
        memo: dict[int, dict[str, list[str]]] = self.__dict__.setdefault("_explained_cache", {})
        if i not in memo:
            memo[i] = self._explain_full(i, self.site_rows(i)[0])
        return memo[i]

    def area_rows(self, i: int) -> list[dict[str, Any]]:
        """Return the rules that need no layer, or fire outside a zone, for site ``i``."""
        cache: dict[int, list[dict[str, Any]]] | None = self.__dict__.get("_area_cache")
        if cache is None:
            cache = {}
            frame = self.area_hits if self.area_hits is not None else pd.DataFrame()
            for rec in frame_records(frame):  # columns named by strings
                cache.setdefault(int(rec["site_idx"]), []).append(rec)
            self.__dict__["_area_cache"] = cache
        return cache.get(i, [])

    def jurisdiction_text(self, i: int) -> str:
        """Return where site ``i`` lies, in words (``未知 / unknown`` when it cannot be told).

        Parameters
        ----------
        i : int
            Position of the site in :attr:`sites`.

        Returns
        -------
        str
            The text (:func:`zoning.screening.jurisdiction.describe`).
        """
        from zoning.screening.jurisdiction import describe

        j = self.jurisdictions
        if j is None:
            return "未知 / unknown"
        return describe(j.codes[i], j.names)

    def _explain_full(self, i: int, trig: list[dict[str, Any]]) -> dict[str, list[str]]:
        """Explain site ``i``: every reason in both languages, strictest first.

        With the evidence a planner must supply and the questions that would settle
        ``needs_info``.
        """
        from zoning.kinds import get_kind
        from zoning.projects import attribute_specs
        from zoning.screening.reasons import (
            area_rule_reason,
            check_text,
            metric_texts,
            outside_rule_reason,
            rule_reason,
        )

        reasons: list[tuple[int, str, str]] = []
        evidence: list[tuple[int, str]] = []
        questions: list[str] = []
        info = SEVERITY["needs_info"]
        specs = attribute_specs()
        hit_reasons = self.__dict__.setdefault("_hit_reasons", {})

        def ask(rule: Rule, a: Assessment) -> None:
            if rule.question:
                questions.append(rule.question)
            for attr in (*a.missing, *a.exception_missing):
                if f"--attr {attr}" in rule.question:
                    continue  # the rule's own question already asks for it
                spec = specs[attr]
                questions.append(f"{spec.question_zh}（{spec.question_en}）→ --attr {attr}=…")

        def gather(rule: Rule, a: Assessment, outcome: str, sev: int) -> None:
            if outcome in ("conditional", "allowed"):
                evidence.extend((sev, e) for e in rule.evidence_required)
                if a.exception is not None:
                    evidence.extend((sev, e) for e in a.exception.evidence_required)
            if outcome == "needs_info":
                ask(rule, a)

        if not bool(self.sites["covered"].iat[i]):
            if self.index is not None and self.index.coverage is None:
                reasons.append(
                    (
                        info,
                        "需补充信息：数据目录既无覆盖范围（coverage）也无行政区划图层，无法确认场址位于"
                        "数据范围内",
                        "needs_info: the catalogue has neither a coverage nor an admin_unit layer, "
                        "so it cannot say that the site lies in its data",
                    )
                )
            else:
                reasons.append(
                    (
                        info,
                        "需补充信息：场址超出数据覆盖范围，该处图层可能缺失",
                        "needs_info: the site is not wholly inside the catalogue's coverage, so "
                        "layers may be missing there (站点超出数据覆盖范围)",
                    )
                )
        for kind in self.missing_layers[i] if self.missing_layers else []:
            k = get_kind(kind)
            reasons.append(
                (
                    info,
                    f"需补充信息：数据目录缺少“{k.name_zh}”（{kind}）图层，而本项目类型有规则依赖该图层",
                    f"needs_info: the catalogue has no {kind} ({k.name_en}) layer, which rules for "
                    f"project type {self.project_type.id} need",
                )
            )
        for h in sorted(trig, key=lambda r: -SEVERITY.get(r["outcome"], 0)):
            label_zh, label_en = _hit_labels(h)
            metric_zh, metric_en = metric_texts(h)
            if not h["rule_ids"]:
                reasons.append(
                    (
                        info,
                        f"需补充信息：{label_zh}（{metric_zh}），规则包中没有适用于项目类型"
                        f"“{self.project_type.name_zh}”的规则",
                        f"needs_info: site hits {label_en} ({metric_en}) and no rule in the packs "
                        f"covers project type {self.project_type.id} there",
                    )
                )
            for rid in h["rule_ids"]:
                rule = self.rule(rid)
                a = rule.assess(self.attrs)
                outcome = a.outcome or rule.outcome
                sev = SEVERITY[outcome]
                zh, en = rule_reason(
                    rule,
                    a,
                    self.attrs,
                    label_zh=label_zh,
                    label_en=label_en,
                    metric_zh=metric_zh,
                    metric_en=metric_en,
                )
                hit_reasons[(h["_pos"], rid)] = (zh, en)
                reasons.append((sev, zh, en))
                gather(rule, a, outcome, sev)
        # rules whose area cannot be told for the site: evidence to check, on hits and on
        # zones caught only by such a rule's buffer (left "nearby")
        for h in [*trig, *self.site_rows(i)[1]]:
            for rid in h.get("checks") or []:
                rule = self.rule(rid)
                outcome = rule.assess(self.attrs).outcome or rule.outcome
                evidence.append((SEVERITY[outcome], check_text(rule, outcome)))
        for row in self.area_rows(i):
            rule = self.rule(row["rule_id"])
            a = rule.assess(self.attrs)
            outcome = a.outcome or rule.outcome
            sev = SEVERITY[outcome]
            if row["status"] == "check":
                evidence.append((sev, check_text(rule, outcome)))
                continue
            if rule.outside:
                k = get_kind(rule.kind)
                zones = [z for z in rule.zones if z != "*"]
                zone_zh = "、".join(k.zones[z].name_zh for z in zones) or k.name_zh
                zone_en = f"{rule.kind}/{'|'.join(zones) or '*'}"
                zh, en = outside_rule_reason(rule, a, self.attrs, zone_zh, zone_en)
            else:
                zh, en = area_rule_reason(rule, a, self.attrs, self.jurisdiction_text(i))
            reasons.append((sev, zh, en))
            gather(rule, a, outcome, sev)

        ranked = sorted(reasons, key=lambda t: -t[0])  # stable: strictest first
        pairs = list(dict.fromkeys((zh, en) for _, zh, en in ranked))
        ev_ranked = sorted(evidence, key=lambda t: -t[0])
        return {
            "reasons": [f"{zh} | {en}" for zh, en in pairs],
            "reasons_zh": [zh for zh, _ in pairs],
            "reasons_en": [en for _, en in pairs],
            "evidence_required": list(dict.fromkeys(text for _, text in ev_ranked)),
            "questions": list(dict.fromkeys(questions)),
        }

    def hit_reason(self, h: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """Return the reason of the rule that decides a hit's outcome: (Chinese, English).

        Parameters
        ----------
        h : mapping
            A triggered hit of :meth:`site_rows`.

        Returns
        -------
        (str or None, str or None)
            The reason, or ``(None, None)`` when no rule covers the hit.
        """
        from zoning.screening.reasons import metric_texts, rule_reason

        if not h["rule_id"]:
            return None, None
        known: tuple[str | None, str | None] | None = self.__dict__.get("_hit_reasons", {}).get(
            (h["_pos"], h["rule_id"])
        )
        if known is not None:  # written by _explain_full with the same words
            return known
        rule = self.rule(h["rule_id"])
        label_zh, label_en = _hit_labels(h)
        metric_zh, metric_en = metric_texts(h)
        return rule_reason(
            rule,
            rule.assess(self.attrs),
            self.attrs,
            label_zh=label_zh,
            label_en=label_en,
            metric_zh=metric_zh,
            metric_en=metric_en,
        )

    def summary(self) -> pd.DataFrame:
        """One row per site: verdict, counts, constrained area and length, first reason."""
        cached: pd.DataFrame | None = self.__dict__.get("_summary_cache")
        if cached is not None:  # report.html, summary.csv and the ranking share one
            return cached.copy()
        rows = []
        cons = self.constrained()
        area_m2, length_m = cons["area_m2"].to_numpy(), cons["length_m"].to_numpy()
        for i, row in enumerate(self.sites.itertuples(index=False)):
            trig, nearby, _bl, _nn = self.site_rows(i)
            full = self.explanation(i)
            reasons = full["reasons"]
            inter = [r for r in trig if r["intersects"]]
            area_ids = [r["rule_id"] for r in self.area_rows(i) if r["status"] == "applies"]
            rows.append(
                {
                    "site_id": row.site_id,
                    "geometry_type": row.geometry_type,
                    "verdict": row.verdict,
                    "verdict_zh": OUTCOME_ZH[row.verdict],
                    "n_hits": len(inter),
                    "n_buffer_hits": int(len(trig) - len(inter)),
                    "n_nearby": len(nearby),
                    "constrained_area_m2": round(float(area_m2[i]), 2),
                    "constrained_length_m": round(float(length_m[i]), 2),
                    "rule_ids": ";".join(
                        dict.fromkeys([*(r for h in trig for r in h["rule_ids"]), *area_ids])
                    ),
                    "covered": bool(row.covered),
                    "near_boundary": bool(row.near_boundary),
                    "repaired": bool(row.repair),
                    "n_evidence": len(full["evidence_required"]),
                    "n_questions": len(full["questions"]),
                    "first_reason": reasons[0] if reasons else "",
                    "reason_zh": full["reasons_zh"][0] if reasons else "",
                    "reason_en": full["reasons_en"][0] if reasons else "",
                    "jurisdiction": ";".join(self.jurisdictions.codes[i] or [])
                    if self.jurisdictions
                    else "",
                }
            )
        out = pd.DataFrame(rows)
        self.__dict__["_summary_cache"] = out
        return out.copy()

    def compare(self) -> pd.DataFrame:
        """Rank the sites as alternatives. Rank 1 is the best.

        The order: least severe verdict; then the fewest assessments or permits the site's
        conditions require (``n_assessments``); then the ground those conditions concern —
        a site on unstable subsidence ground after one on ground of unknown stability, then
        stabilising, then stable (``subsidence_zone``, the least stable zone the site
        intersects); then the smallest area and length inside constrained zones; then the
        fewest hits. ``n_assessments`` and ``subsidence_zone`` are added to the summary's
        columns.
        """
        s = self.summary()
        s["severity"] = s["verdict"].map(SEVERITY)
        s["n_assessments"] = [self._n_assessments(i) for i in range(len(s))]
        s["subsidence_zone"] = [self._least_stable_ground(i) for i in range(len(s))]
        s["ground"] = s["subsidence_zone"].map(_GROUND_RISK).fillna(0)
        s = s.sort_values(
            [
                "severity",
                "n_assessments",
                "ground",
                "constrained_area_m2",
                "constrained_length_m",
                "n_hits",
                "site_id",
            ],
            kind="stable",
        ).reset_index(drop=True)
        s.insert(0, "rank", np.arange(1, len(s) + 1))
        return s.drop(columns=["severity", "ground"])

    def _least_stable_ground(self, i: int) -> str:
        """Return the least stable subsidence zone site ``i`` intersects ("" when none)."""
        zones = [
            str(h["zone"])
            for h in self.site_rows(i)[0]
            if h["layer_kind"] == "subsidence" and bool(h["intersects"])
        ]
        return max(zones, key=lambda z: _GROUND_RISK.get(z, 0), default="")

    def _n_assessments(self, i: int) -> int:
        """Count the distinct assessments or permits the conditions of site ``i`` require.

        That is the evidence of its conditional rules where it intersects a zone.
        """
        trig = self.site_rows(i)[0]
        needed: set[str] = set()
        for h in trig:
            if not bool(h["intersects"]):
                continue
            for rid in h["rule_ids"]:
                rule = self.rule(rid)
                outcome = rule.evaluate(self.attrs)[0] or rule.outcome
                if outcome == "conditional":
                    needed.update(rule.evidence_required)
        return len(needed)

    def hit_features(self) -> gpd.GeoDataFrame:
        """Return the features hit or caught by a buffer (EPSG:4490), with outcome and rule."""
        import geopandas as gpd

        parts = []
        if self.index is None or not len(self.hits):
            return gpd.GeoDataFrame(geometry=[], crs="EPSG:4490")
        for kind, grp in self.hits.groupby("layer_kind"):
            layer = self.index.layers[str(kind)]
            g = grp.sort_values("outcome", key=_severity_key)
            g = g.drop_duplicates("feature_idx")
            geo = gpd.GeoSeries(layer.geoms[g["feature_idx"].to_numpy(int)], crs=layer.crs)
            parts.append(
                gpd.GeoDataFrame(
                    {
                        "layer_kind": kind,
                        "zone": g["zone"].to_numpy(),
                        "feature_id": g["feature_id"].astype(str).to_numpy(),
                        "name": g["name"].to_numpy(),
                        "outcome": g["outcome"].replace("", "nearby").to_numpy(),
                        "rule_id": g["rule_id"].to_numpy(),
                        "distance_m": g["distance_m"].round(1).to_numpy(),
                    },
                    geometry=geo.to_crs("EPSG:4490").to_numpy(),
                    crs="EPSG:4490",
                )
            )
        return pd.concat(parts, ignore_index=True) if parts else gpd.GeoDataFrame()
