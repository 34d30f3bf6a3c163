"""The HTML report of a screening result, with its map (live and printed).

The report puts the verdict first, then per site the reasons, a table of hits with their
metrics, the rules with their text and citation, an evidence checklist, the questions to
answer, and the nearby zones; then the data provenance (catalogue layers with checksums, rule
packs with versions, parameters) and the disclaimer "for planning analysis, not an official
map / 仅供规划分析，非正式地图". The map (``zoning.maps.site_map``) is embedded offline; the
same map as a PNG (:func:`static_map`) is printed and put into the Word report.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Any

import pandas as pd

from zoning.labels import VERDICT_LABELS_REPORT
from zoning.screening.report import to_dict

if TYPE_CHECKING:
    import folium

    from zoning.screening.result import ScreeningResult

__all__ = ["render_html", "result_map", "static_map"]

log = logging.getLogger(__name__)

#: sites detailed one by one in the HTML report; the summary table always lists all sites.
MAX_DETAILED_SITES = 200
#: above this many sites the map shows the sites only (not the zones they hit).
MAX_MAPPED_HITS_SITES = 500

_VERDICT_COLOR = {
    "prohibited": "#b2182b",
    "needs_info": "#636363",
    "conditional": "#d6604d",
    "allowed": "#1a9850",
}


def _e(x: Any) -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return ""
    return html.escape(str(x))


def _badge(verdict: str) -> str:
    color = _VERDICT_COLOR.get(verdict, "#333")
    return (
        f'<span style="display:inline-block;padding:1px 8px;border-radius:3px;color:#fff;'
        f'background:{color};font-weight:600">{_e(VERDICT_LABELS_REPORT.get(verdict, verdict))}</span>'
    )


def _table(headers: list[str], rows: list[list[str]]) -> str:
    from zoning.maps.report import html_table

    return html_table(headers, rows)


def _fmt(x: Any, nd: int = 0) -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return ""
    return f"{float(x):,.{nd}f}"


def _zone_heading(kind: str, zone: str) -> str:
    """Bilingual kind and zone of a table row: ``生态保护红线 / Ecological … — 核心区 / Core``."""
    from zoning.maps.style import kind_label, zone_label

    return f"{kind_label(kind)} — {zone_label(kind, zone)}"


def _site_section(result: ScreeningResult, site: dict[str, Any]) -> str:
    parts = [
        f'<section class="keep-together"><h2>站点 / Site {_e(site["site_id"])} '
        f"({_e(site['geometry_type'])}) {_badge(site['verdict'])}</h2>"
    ]
    facts = []
    if site["site_area_m2"]:
        facts.append(f"面积 / area {_fmt(site['site_area_m2'])} m²")
    if site["site_length_m"]:
        facts.append(f"长度 / length {_fmt(site['site_length_m'])} m")
    facts.append(f"量测坐标系 / measured in EPSG:{site['gk_epsg']}")
    if site["near_boundary"]:
        facts.append("⚠ 位于边界定位容差内 / within the positional tolerance of a zone boundary")
    if site["repaired"]:
        facts.append(f"⚠ 几何已修复 / geometry repaired: {_e(site['repair'])}")
    if not site["covered"]:
        facts.append("⚠ 超出数据覆盖范围 / outside the catalogue coverage")
    parts.append(f'<p class="meta">{" · ".join(facts)}</p>')
    if site["reasons"]:
        parts.append("<h3>理由 / Reasons</h3><ol>")
        parts += [
            f"<li>{_e(zh)}<br><small>{_e(en)}</small></li>"
            for zh, en in zip(site["reasons_zh"], site["reasons_en"], strict=True)
        ]
        parts.append("</ol>")
    parts += _access_blocks(site)
    if site["hits"]:
        rows = []
        for h in site["hits"]:
            rows.append(
                [
                    _e(_zone_heading(h["layer_kind"], h["zone"])),
                    _e(h["feature_id"]),
                    _e(h["name"]),
                    "是 / yes"
                    if h["inside"]
                    else ("相交 / crosses" if h["intersects"] else "否 / no"),
                    _fmt(h["overlap_area_m2"]),
                    _fmt(h["overlap_length_m"]),
                    str(h["crossings"]) if h["crossings"] else "",
                    _fmt(h["distance_m"], 1),
                    _fmt(100 * (h["share_of_site"] or 0), 1),
                    _fmt(None if h["share_of_zone"] is None else 100 * h["share_of_zone"], 2),
                    _badge(h["outcome"]) if h["outcome"] else "",
                    _e(", ".join(h["rule_ids"])),
                ]
            )
        parts.append("<h3>命中要素 / Zones hit</h3>")
        parts.append(
            _table(
                [
                    "图层·分区 / Layer · zone",
                    "要素 / Feature",
                    "名称 / Name",
                    "位于内部 / Inside",
                    "重叠面积 / Overlap m²",
                    "区内长度 / Length m",
                    "穿越次数 / Crossings",
                    "距边界 / Distance m",
                    "占站点 / % of site",
                    "占分区 / % of zone",
                    "结论 / Outcome",
                    "规则 / Rules",
                ],
                rows,
            )
        )
        rule_ids = list(dict.fromkeys(r for h in site["hits"] for r in h["rule_ids"]))
        if rule_ids:
            parts.append("<h3>适用规则与依据 / Rules and citations</h3><ul>")
            for rid in rule_ids:
                rule = result.rule(rid)
                note = f"<br><small>注 / note: {_e(rule.note)}</small>" if rule.note else ""
                buf = f" · 缓冲 / buffer {rule.buffer_m:g} m" if rule.buffer_m else ""
                parts.append(
                    f"<li><b>{_e(rid)}</b> ({_e(rule.outcome)}{buf}): {_e(rule.text_zh)}<br>"
                    f"<i>{_e(rule.text_en)}</i><br>依据 / Citation: "
                    f"{_e(rule.citation.text_zh())}<br><small>{_e(rule.citation.text())}"
                    f"</small>{note}</li>"
                )
            parts.append("</ul>")
    parts += _area_rules_html(result, site)
    if site["by_layer"]:
        parts.append("<h3>按图层合计（叠加部分只计一次）/ Totals per layer (overlaps once)</h3>")
        parts.append(
            _table(
                [
                    "图层·分区 / Layer · zone",
                    "面积 / Area m²",
                    "长度 / Length m",
                    "占站点 / % of site",
                ],
                [
                    [
                        _e(_zone_heading(b["layer_kind"], b["zone"])),
                        _fmt(b["overlap_area_m2"]),
                        _fmt(b["overlap_length_m"]),
                        _fmt(100 * (b["share_of_site"] or 0), 1),
                    ]
                    for b in site["by_layer"]
                ],
            )
        )
    if site["evidence_required"]:
        parts.append("<h3>需提交的证明材料 / Evidence checklist</h3><ul>")
        parts += [f"<li>☐ {_e(ev)}</li>" for ev in site["evidence_required"]]
        parts.append("</ul>")
    if site["questions"]:
        parts.append("<h3>需回答的问题 / Questions to answer</h3><ul>")
        parts += [f"<li>{_e(q)}</li>" for q in site["questions"]]
        parts.append("</ul>")
    near = site["nearby"] or site["nearest"]
    if near:
        title = "周边分区 / Nearby zones" if site["nearby"] else "最近分区 / Nearest zones"
        parts.append(f"<h3>{title}</h3>")
        parts.append(
            _table(
                ["图层·分区 / Layer · zone", "要素 / Feature", "名称 / Name", "距离 / Distance m"],
                [
                    [
                        _e(_zone_heading(n["layer_kind"], n["zone"])),
                        _e(n["feature_id"]),
                        _e(n["name"]),
                        _fmt(n["distance_m"], 1),
                    ]
                    for n in near
                ],
            )
        )
    parts.append("</section>")
    return "\n".join(parts)


def _access_blocks(site: dict[str, Any]) -> list[str]:
    """Render the access list (生态环境准入清单) of each control unit the site lies in.

    A table of dimension and requirement, or a note when the unit layer carries none.
    """
    from zoning.access_list import DIMENSIONS
    from zoning.kinds import get_kind

    units = [h for h in site["hits"] if h["layer_kind"] == "control_unit" and h["intersects"]]
    kind = get_kind("control_unit")
    out = []
    for h in units:
        zone = kind.zones.get(h["zone"])
        label = " · ".join(
            x for x in (h["name"], h["feature_id"], zone.name_zh if zone else h["zone"]) if x
        )
        out.append(
            f"<h3>生态环境准入清单 / Environmental access list — {_e(label)}</h3>"
            '<p class="meta">核对项目是否符合所在管控单元的准入清单 / Check the project against '
            "the access list of its environmental control unit</p>"
        )
        access = h.get("access_list") or {}
        if not access:
            out.append(
                "<p class='note'>管控单元图层未提供准入清单字段 / The unit layer carries no "
                "access-list fields (catalogue key <code>access_fields</code>)</p>"
            )
            continue
        out.append(
            _table(
                ["维度 / Dimension", "要求 / Requirement"],
                [
                    [_e(f"{DIMENSIONS[d].name_zh} / {DIMENSIONS[d].name_en}"), _e(text)]
                    for d, text in access.items()
                ],
            )
        )
    return out


def _provenance(doc: dict[str, Any]) -> str:
    parts = ["<section><h2>数据与规则来源 / Provenance</h2>"]
    cat = doc["catalog"] or {}
    parts.append(
        f"<p>目录 / Catalogue: <b>{_e(cat.get('name'))}</b> {_e(cat.get('path', ''))}"
        + (" — 含示意性数据 / contains illustrative data" if cat.get("illustrative") else "")
        + "</p>"
    )
    layers = cat.get("layers") or []
    if layers:
        parts.append(
            _table(
                [
                    "图层 / Layer",
                    "类型 / Kind",
                    "要素数 / Features",
                    "SHA-256",
                    "年份 / Vintage",
                    "示意 / Illustrative",
                    "许可 / Licence",
                ],
                [
                    [
                        _e(x.get("name", x.get("kind"))),
                        _e(x.get("kind")),
                        _e(x.get("features")),
                        _e((x.get("sha256") or "")[:16]),
                        _e(x.get("vintage")),
                        "是 / yes" if x.get("illustrative") else "",
                        _e(x.get("licence")),
                    ]
                    for x in layers
                ],
            )
        )
    parts.append(
        _table(
            ["规则包 / Rule pack", "版本 / Version", "规则数 / Rules", "来源 / Source"],
            [
                [
                    _e(f"{p['name_zh']} / {p['name_en']}"),
                    _e(p["version"]),
                    _e(p["n_rules"]),
                    _e(p["source"]),
                ]
                for p in doc["rulepacks"]
            ],
        )
    )
    params = ", ".join(f"{k} = {v}" for k, v in doc["parameters"].items())
    attrs = ", ".join(f"{k} = {v}" for k, v in doc["attrs"].items()) or "—"
    parts.append(
        f"<p>参数 / Parameters: {_e(params)}<br>项目属性 / Project attributes: {_e(attrs)}</p>"
    )
    if doc["warnings"]:
        parts.append("<h3>提示 / Warnings</h3><ul>")
        parts += [f"<li>{_e(w)}</li>" for w in doc["warnings"]]
        parts.append("</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def render_html(result: ScreeningResult, *, include_map: bool = True) -> str:
    """Return the self-contained HTML report of a screening result.

    Parameters
    ----------
    result : ScreeningResult
    include_map : bool, default True
        Embed the offline site map (skipped with a note when map assets are unavailable).
    """
    from zoning.maps import report_page

    doc = to_dict(result)
    pt = result.project_type
    summary = result.summary()
    body = ["<section><h2>结论 / Verdicts</h2>"]
    counts = summary["verdict"].value_counts()
    body.append(
        "<p>"
        + " · ".join(
            f"{_badge(v)} × {int(counts.get(v, 0))}" for v in VERDICT_LABELS_REPORT if v in counts
        )
        + "</p>"
    )
    body.append(
        _table(
            [
                "站点 / Site",
                "结论 / Verdict",
                "命中 / Hits",
                "缓冲命中 / Buffer hits",
                "受限面积 / Constrained m²",
                "受限长度 / Constrained m",
                "规则 / Rules",
            ],
            [
                [
                    _e(r.site_id),
                    _badge(str(r.verdict)),
                    str(r.n_hits),
                    str(r.n_buffer_hits),
                    _fmt(r.constrained_area_m2),
                    _fmt(r.constrained_length_m),
                    _e(str(r.rule_ids).replace(";", ", ")),
                ]
                for r in summary.itertuples(index=False)
            ],
        )
    )
    body.append("</section>")
    if include_map:
        body.append(_map_section(result))
    for site in doc["sites"][:MAX_DETAILED_SITES]:
        body.append(_site_section(result, site))
    if len(doc["sites"]) > MAX_DETAILED_SITES:
        body.append(
            f"<p class='note'>仅详列前 {MAX_DETAILED_SITES} 个站点 / Only the first "
            f"{MAX_DETAILED_SITES} of {len(doc['sites'])} sites are detailed; see result.json "
            "and summary.csv for all.</p>"
        )
    body.append(_provenance(doc))
    subtitle = f"项目类型 / Project type: {pt.name_zh} / {pt.name_en} ({pt.id}) · " + " · ".join(
        f"{p.id} {p.version}" for p in result.packs
    )
    return report_page("选址筛查报告 / Site screening report", "\n".join(body), subtitle=subtitle)


def _map_section(result: ScreeningResult) -> str:
    from zoning.maps import embed_map
    from zoning.maps.report import print_figure

    try:
        m = result_map(result)
        live = embed_map(m, title="site screening map")
    except Exception as exc:  # the map is an extra: never lose the report for it
        log.warning("screening report map skipped: %s", exc)
        return f"<p class='note'>地图未生成 / Map not included: {_e(exc)}</p>"
    try:
        printed = print_figure(static_map(result), "选址筛查地图 / Site screening map")
    except Exception as exc:  # a print copy is an extra too
        log.warning("screening report print map skipped: %s", exc)
        printed = ""
    return "<section><h2>地图 / Map</h2>" + live + printed + "</section>"


def static_map(result: ScreeningResult) -> bytes:
    """Return the report map as a PNG for print and Word (:mod:`zoning.maps.static`).

    Drawn once per result: ``report.html`` and ``report.docx`` embed the same image.

    Parameters
    ----------
    result : ScreeningResult
        The screening.

    Returns
    -------
    bytes
        The PNG.
    """
    cached: bytes | None = result.__dict__.get("_static_map_png")
    if cached is not None:
        return cached
    from zoning.maps.static import site_map_png

    sites = result.sites[["site_id", "verdict", "geometry"]]
    zones = None
    if len(sites) <= MAX_MAPPED_HITS_SITES and len(result.hits):
        feats = result.hit_features()
        if len(feats):
            zones = feats[feats["intersects"].astype(bool)] if "intersects" in feats else feats
    png = site_map_png(
        sites,
        zones,
        context=_counties_around(result),
        title=f"选址筛查 / Site screening: {result.project_type.name_zh} ({result.project_type.id})",
    )
    result.__dict__["_static_map_png"] = png
    return png


def result_map(result: ScreeningResult, **kwargs: Any) -> folium.Map:
    """Return a folium map of the sites (coloured by verdict), the zones hit and nearby zones.

    Keyword arguments go to :func:`zoning.maps.site_map` (``title``, ``basemap`` …).
    """
    from zoning.maps import site_map

    sites = result.sites[["site_id", "verdict", "geometry"]].copy()
    hits = None
    if len(sites) <= MAX_MAPPED_HITS_SITES and len(result.hits):
        feats = result.hit_features()
        if len(feats):
            rule_text = {
                rid: result.rule(rid).citation.text() for rid in feats["rule_id"].dropna().unique()
            }
            feats["citation"] = feats["rule_id"].map(rule_text)
            hits = feats
    kwargs.setdefault(
        "title",
        f"选址筛查 / Site screening: {result.project_type.name_zh} ({result.project_type.id})",
    )
    if "context" not in kwargs:
        counties = _counties_around(result)
        if counties is not None:
            kwargs["context"] = {"admin_unit": counties}
    return site_map(sites, hits, **kwargs)


def _counties_around(result: ScreeningResult) -> Any:
    """Return the catalogue's county outlines near the sites (the lowest admin level present)."""
    admin = getattr(result.index, "admin", None) if result.index is not None else None
    if admin is None or not len(admin):
        return None
    admin = admin.to_crs("EPSG:4490")
    if "zone" in admin.columns:
        for level in ("county", "city", "province"):
            if (admin["zone"] == level).any():
                admin = admin[admin["zone"] == level]
                break
    minx, miny, maxx, maxy = result.sites.to_crs("EPSG:4490").total_bounds
    pad = max(maxx - minx, maxy - miny, 0.05) * 0.5
    near = admin.cx[minx - pad : maxx + pad, miny - pad : maxy + pad]
    return near if len(near) else None


def _area_rules_html(result: ScreeningResult, site: dict[str, Any]) -> list[str]:
    """Render the rules that need no layer or fire outside a zone, with their citations.

    Area-wide bans and outside-a-zone rules; rules whose area cannot be told for the site are
    listed as checks.
    """
    rows = site.get("area_rules") or []
    if not rows:
        return []
    parts = ["<h3>全域及区外规则 / Area-wide and outside-a-zone rules</h3><ul>"]
    for a in rows:
        rule = result.rule(a["rule_id"])
        status = "" if a["status"] == "applies" else " · 待核实管辖 / check the jurisdiction"
        parts.append(
            f"<li><b>{_e(rule.id)}</b> ({_e(a['outcome'])}{status}; "
            f"{_e(rule.jurisdiction_name or '全国')}): {_e(rule.text_zh)}<br>"
            f"<i>{_e(rule.text_en)}</i><br>依据 / Citation: {_e(rule.citation.text_zh())}<br>"
            f"<small>{_e(rule.citation.text())}</small></li>"
        )
    parts.append("</ul>")
    return parts
