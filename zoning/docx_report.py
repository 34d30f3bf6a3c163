"""Word (.docx) reports: what planning offices exchange, with the content of the HTML reports.

Three documents, each verdict or headline first, then the evidence, then provenance and the
disclaimer:

* :func:`screening_docx` — per site the verdict, the reasons with their rule and citation,
  the zones hit (area, length, distance, outcome, rule), the control unit's access list, the
  evidence checklist and nearby zones; a static map with legend and scale bar
  (:mod:`zoning.maps.static`);
* :func:`stats_docx` — the province and city summary of a statistics run, the indicators
  against their targets, the statistics map;
* :func:`restoration_docx` — weights, classes, the budgeted portfolio, the top-ranked units and
  the ranking curve.

Chinese text is set in a CJK font (``w:eastAsia``: 宋体 / SimSun, present on every Chinese
Windows) and the rest in Calibri. Nothing time-dependent is written
(:func:`zoning.io.officefile.fixed_zip`), so a rerun gives the same file.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from zoning.io.officefile import fixed_zip

if TYPE_CHECKING:  # pragma: no cover
    from zoning.screening import ScreeningResult

__all__ = ["DISCLAIMER", "restoration_docx", "screening_docx", "stats_docx"]

DISCLAIMER = "仅供规划分析，非正式地图 / For planning analysis, not an official map"

_VERDICT = {
    "prohibited": "禁止 / Prohibited",
    "needs_info": "需补充材料 / Needs more information",
    "conditional": "有条件 / Conditional",
    "allowed": "允许 / Allowed",
}
_VERDICT_RGB = {
    "prohibited": (0xB2, 0x18, 0x2B),
    "needs_info": (0x55, 0x55, 0x55),
    "conditional": (0xD6, 0x60, 0x4D),
    "allowed": (0x1A, 0x98, 0x50),
}


def _new_document(title: str, subtitle: str = "") -> Any:
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    doc = docx.Document()
    for name in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Title"):
        style = doc.styles[name]
        style.font.name = "Calibri"
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), "宋体")
    doc.styles["Normal"].font.size = Pt(10.5)
    doc.core_properties.author = "zoning"
    doc.core_properties.title = title
    doc.add_heading(title, level=0)
    if subtitle:
        doc.add_paragraph(subtitle)
    warn = doc.add_paragraph().add_run(DISCLAIMER)
    warn.bold = True
    warn.font.color.rgb = RGBColor(0xB2, 0x18, 0x2B)
    return doc


def _table(doc: Any, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> Any:
    from docx.shared import Pt

    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(text))
        run.bold = True
        run.font.size = Pt(9)
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = ""
            run = cell.paragraphs[0].add_run("" if value is None else str(value))
            run.font.size = Pt(9)
    return table


def _picture(doc: Any, png: bytes | None, caption: str) -> None:
    from docx.shared import Cm

    if not png:
        return
    doc.add_picture(io.BytesIO(png), width=Cm(16))
    doc.add_paragraph(caption).italic = True


def _save(doc: Any, path: str | Path) -> Path:
    buf = io.BytesIO()
    doc.save(buf)
    path = Path(path)
    path.write_bytes(fixed_zip(buf.getvalue()))
    return path


def _num(value: object, digits: int = 0) -> str:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if v != v:  # NaN
        return ""
    return f"{v:,.{digits}f}"


def _provenance(doc: Any, rows: Sequence[tuple[str, object]]) -> None:
    doc.add_heading("数据来源 / Provenance", level=1)
    _table(doc, ["项目 / Item", "内容 / Value"], [(k, v) for k, v in rows])
    doc.add_paragraph(DISCLAIMER)


# ------------------------------------------------------------------------------ screening


def screening_docx(
    result: ScreeningResult, path: str | Path, *, map_png: bytes | None = None
) -> Path:
    """Write the screening report of ``result`` as a Word document.

    Parameters
    ----------
    result : ScreeningResult
    path : path-like
        The .docx to write.
    map_png : bytes, optional
        The static map (default: drawn with :func:`zoning.maps.static.site_map_png`).
    """
    doc_json = result.to_dict()
    pt = doc_json["project_type_info"]
    packs = ", ".join(f"{p['id']} {p['version']}" for p in doc_json["rulepacks"])
    doc = _new_document(
        "选址筛查报告 / Site screening report",
        f"项目类型 / Project type: {pt['name_zh']} / {pt['name_en']} ({pt['id']}) · {packs}",
    )
    sites = doc_json["sites"]
    doc.add_heading("结论 / Verdicts", level=1)
    _table(
        doc,
        ["站点 / Site", "结论 / Verdict", "命中 / Hits", "面积 / Area m²", "长度 / Length m"],
        [
            (
                s["site_id"],
                _VERDICT.get(s["verdict"], s["verdict"]),
                sum(1 for h in s["hits"] if h.get("intersects", True)),
                _num(s.get("site_area_m2")),
                _num(s.get("site_length_m")),
            )
            for s in sites
        ],
    )
    if map_png is None:
        try:
            from zoning.report import static_map

            map_png = static_map(result)
        except Exception:  # the map is an extra: never lose the report for it
            map_png = None
    if map_png:
        doc.add_heading("地图 / Map", level=1)
        _picture(doc, map_png, "选址筛查地图 / Site screening map")
    for s in sites:
        _site_section(doc, s)
    params = doc_json.get("parameters", {})
    catalog = doc_json.get("catalog") or {}
    _provenance(
        doc,
        [
            ("目录 / Catalogue", catalog.get("name", "")),
            ("规则包 / Rule packs", packs),
            ("参数 / Parameters", ", ".join(f"{k} = {v}" for k, v in params.items())),
            *[("警告 / Warning", w) for w in doc_json.get("warnings", [])],
        ],
    )
    return _save(doc, path)


def _site_section(doc: Any, s: Mapping[str, Any]) -> None:
    from docx.shared import RGBColor

    doc.add_heading(f"站点 / Site {s['site_id']} ({s['geometry_type']})", level=1)
    p = doc.add_paragraph()
    run = p.add_run(_VERDICT.get(s["verdict"], s["verdict"]))
    run.bold = True
    run.font.color.rgb = RGBColor(*_VERDICT_RGB.get(s["verdict"], (0, 0, 0)))
    doc.add_heading("理由 / Reasons", level=2)
    zh = s.get("reasons_zh") or []
    en = s.get("reasons_en") or []
    reasons = s.get("reasons") or []
    if zh:
        for i, text in enumerate(zh):
            doc.add_paragraph(str(text), style="List Number")
            if i < len(en) and en[i]:
                doc.add_paragraph(str(en[i])).italic = True
    else:
        for text in reasons:
            doc.add_paragraph(str(text), style="List Number")
    hits = [h for h in s.get("hits", []) if h.get("intersects", True)]
    if hits:
        doc.add_heading("命中要素 / Zones hit", level=2)
        _table(
            doc,
            [
                "图层分区 / Layer · zone",
                "要素 / Feature",
                "重叠面积 / Overlap m²",
                "区内长度 / Length m",
                "距边界 / Distance m",
                "结论 / Outcome",
                "规则 / Rule",
            ],
            [
                (
                    f"{h.get('layer_kind')} · {h.get('zone')}",
                    h.get("name") or h.get("feature_id"),
                    _num(h.get("overlap_area_m2")),
                    _num(h.get("overlap_length_m")),
                    _num(h.get("distance_m"), 1),
                    _VERDICT.get(str(h.get("outcome")), h.get("outcome") or ""),
                    h.get("rule_id") or "",
                )
                for h in hits
            ],
        )
        cited = {}
        for h in hits:
            cit = h.get("citation")
            if h.get("rule_id") and isinstance(cit, Mapping):
                cited[h["rule_id"]] = cit.get("text") or cit.get("document")
        if cited:
            doc.add_heading("依据 / Citations", level=2)
            for rid, text in cited.items():
                doc.add_paragraph(f"{rid}: {text}", style="List Bullet")
    access = [h for h in s.get("hits", []) if h.get("access_list")]
    for h in access:
        doc.add_heading(f"管控单元准入清单 / Unit access list: {h.get('name') or ''}", level=2)
        _table(
            doc,
            ["维度 / Dimension", "要求 / Requirement"],
            list(h["access_list"].items()),
        )
    if s.get("evidence_required"):
        doc.add_heading("需提交材料 / Evidence checklist", level=2)
        for e in s["evidence_required"]:
            doc.add_paragraph(f"☐ {e}")
    if s.get("questions"):
        doc.add_heading("待补充信息 / Questions", level=2)
        for q in s["questions"]:
            doc.add_paragraph(str(q), style="List Bullet")
    nearby = s.get("nearby") or []
    if nearby:
        doc.add_heading("附近分区 / Nearby zones", level=2)
        _table(
            doc,
            ["图层分区 / Layer · zone", "要素 / Feature", "距离 / Distance m"],
            [
                (
                    f"{n.get('layer_kind')} · {n.get('zone')}",
                    n.get("name"),
                    _num(n.get("distance_m")),
                )
                for n in nearby
            ],
        )


# ------------------------------------------------------------------------------ statistics


def stats_docx(
    path: str | Path,
    *,
    title: str,
    stats: pd.DataFrame,
    indicators: pd.DataFrame | None = None,
    map_png: bytes | None = None,
    provenance: Sequence[tuple[str, object]] = (),
) -> Path:
    """Write the summary of a statistics run (province, cities, indicators, map) as .docx."""
    from zoning.maps.style import kind_label, zone_label

    doc = _new_document(f"生态管控统计 / Zoning statistics — {title}")
    doc.add_paragraph(
        "面积在 Albers 等积投影（CGCS2000）中计算，同一图层重叠要素只计一次；占比为占单元面积的比例。 / "
        "Areas in km² measured in Albers equal-area (CGCS2000); overlapping features of a layer "
        "count once; shares are of the unit's area."
    )
    for level, label in (("province", "省 / Province"), ("city", "市 / City")):
        rows = stats[(stats["level"] == level) & (stats["zone"] == "all")]
        if not len(rows):
            continue
        doc.add_heading(label, level=1)
        rows = rows.sort_values(["unit_id", "layer_kind"], kind="stable")
        _table(
            doc,
            ["单元 / Unit", "图层 / Layer", "面积 / Area km²", "占比 / Share %"],
            [
                (r.unit_name, kind_label(r.layer_kind), _num(r.area_km2, 2), _num(r.share_pct, 2))
                for r in rows.itertuples(index=False)
            ],
        )
    zones = stats[(stats["level"] == "province") & (stats["zone"] != "all")]
    if len(zones):
        doc.add_heading("分区 / Zones (province)", level=2)
        _table(
            doc,
            ["图层 / Layer", "分区 / Zone", "面积 / Area km²", "占比 / Share %"],
            [
                (kind_label(r.layer_kind), zone_label(r.layer_kind, r.zone), _num(r.area_km2, 2),
                 _num(r.share_pct, 2))
                for r in zones.itertuples(index=False)
            ],
        )  # fmt: skip
    if indicators is not None and len(indicators):
        doc.add_heading("指标 / Indicators against plan targets", level=1)
        _table(
            doc,
            ["单元 / Unit", "指标 / Indicator", "现状 / Value", "目标 / Target", "达标 / Met"],
            [
                (
                    r.get("unit_name", r.get("unit_id")),
                    r.get("indicator"),
                    _num(r.get("value"), 2),
                    f"{r.get('target_rule')} {_num(r.get('threshold'), 2)}",
                    "是 / yes"
                    if r.get("met") is True
                    else "否 / no"
                    if r.get("met") is False
                    else "",
                )
                for r in indicators.to_dict("records")
            ],
        )
    if map_png:
        doc.add_heading("地图 / Map", level=1)
        _picture(doc, map_png, "统计地图 / Statistics map")
    _provenance(doc, provenance)
    return _save(doc, path)


# ------------------------------------------------------------------------------ restoration


def restoration_docx(
    path: str | Path,
    *,
    report: Mapping[str, Any],
    ranking: pd.DataFrame,
    curve_png: bytes | None = None,
    top: int = 20,
) -> Path:
    """Write a restoration run (weights, classes, portfolio, top units, curve) as .docx."""
    doc = _new_document(
        f"生态修复优先级 / Restoration priorities — {report.get('title', report.get('scenario'))}"
    )
    doc.add_paragraph(
        f"评估单元 / Units scored: {report['n_units']:,}; "
        f"面积 / area {_num(report.get('area_ha'))} ha"
    )
    p = report.get("portfolio")
    if p:
        doc.add_heading("预算组合 / Budgeted portfolio", level=1)
        _table(
            doc,
            ["项目 / Item", "值 / Value"],
            [
                ("入选单元 / Units selected", p.get("n_selected")),
                ("成本 / Cost (元 yuan)", _num(p.get("cost"))),
                ("预算 / Budget (元 yuan)", _num(p.get("budget"))),
                ("效益 / Benefit", _num(p.get("objective"), 3)),
                ("求解状态 / Solver status", p.get("status")),
            ],
        )
    doc.add_heading("权重 / Weights", level=1)
    _table(
        doc,
        ["准则 / Criterion", "权重 / Weight"],
        [(k, _num(v, 3)) for k, v in (report.get("weights") or {}).items()],
    )
    doc.add_heading("优先等级 / Priority classes (1 = highest)", level=1)
    _table(
        doc,
        ["等级 / Class", "单元数 / Units"],
        list((report.get("classes") or {}).items()),
    )
    if len(ranking):
        doc.add_heading(f"排名前 {top} / Top {top} units", level=1)
        cols = [c for c in ("rank", "unit_id", "name", "score", "priority_class") if c in ranking]
        _table(
            doc,
            cols,
            [
                [_num(v, 3) if isinstance(v, float) else v for v in row]
                for row in ranking[cols].head(top).itertuples(index=False)
            ],
        )
    if curve_png:
        doc.add_heading("排序曲线 / Ranking curve", level=1)
        _picture(doc, curve_png, "排序曲线 / Ranking curve")
    _provenance(
        doc,
        [
            ("情景 / Scenario", report.get("scenario")),
            ("示意数据 / Illustrative", report.get("illustrative")),
        ],
    )
    return _save(doc, path)
