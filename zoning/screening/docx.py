"""The screening report as a Word document (.docx), with the content of the HTML report.

Per site the verdict, the reasons with their rule and citation, the zones hit (area, length,
distance, outcome, rule), the control unit's access list, the evidence checklist and nearby
zones; a static map with legend and scale bar (:func:`zoning.screening.html.static_map`). The
document is built from the JSON document (:func:`zoning.screening.report.to_dict`) with the
building blocks of :mod:`zoning.docx_report`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoning.docx_report import (
    add_picture,
    add_provenance,
    add_table,
    format_number,
    new_document,
    save_document,
)
from zoning.labels import VERDICT_LABELS_OFFICE
from zoning.screening.html import static_map
from zoning.screening.report import to_dict

if TYPE_CHECKING:
    from zoning.screening.result import ScreeningResult

__all__ = ["screening_docx"]

_VERDICT_RGB = {
    "prohibited": (0xB2, 0x18, 0x2B),
    "needs_info": (0x55, 0x55, 0x55),
    "conditional": (0xD6, 0x60, 0x4D),
    "allowed": (0x1A, 0x98, 0x50),
}


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
    doc_json = to_dict(result)
    pt = doc_json["project_type_info"]
    packs = ", ".join(f"{p['id']} {p['version']}" for p in doc_json["rulepacks"])
    doc = new_document(
        "选址筛查报告 / Site screening report",
        f"项目类型 / Project type: {pt['name_zh']} / {pt['name_en']} ({pt['id']}) · {packs}",
    )
    sites = doc_json["sites"]
    doc.add_heading("结论 / Verdicts", level=1)
    add_table(
        doc,
        ["站点 / Site", "结论 / Verdict", "命中 / Hits", "面积 / Area m²", "长度 / Length m"],
        [
            (
                s["site_id"],
                VERDICT_LABELS_OFFICE.get(s["verdict"], s["verdict"]),
                sum(1 for h in s["hits"] if h.get("intersects", True)),
                format_number(s.get("site_area_m2")),
                format_number(s.get("site_length_m")),
            )
            for s in sites
        ],
    )
    if map_png is None:
        try:
            map_png = static_map(result)
        except Exception:  # the map is an extra: never lose the report for it
            map_png = None
    if map_png:
        doc.add_heading("地图 / Map", level=1)
        add_picture(doc, map_png, "选址筛查地图 / Site screening map")
    for s in sites:
        _site_section(doc, s)
    params = doc_json.get("parameters", {})
    catalog = doc_json.get("catalog") or {}
    add_provenance(
        doc,
        [
            ("目录 / Catalogue", catalog.get("name", "")),
            ("规则包 / Rule packs", packs),
            ("参数 / Parameters", ", ".join(f"{k} = {v}" for k, v in params.items())),
            *[("警告 / Warning", w) for w in doc_json.get("warnings", [])],
        ],
    )
    return save_document(doc, path)


def _site_section(doc: Any, s: Mapping[str, Any]) -> None:
    from docx.shared import RGBColor

    doc.add_heading(f"站点 / Site {s['site_id']} ({s['geometry_type']})", level=1)
    p = doc.add_paragraph()
    run = p.add_run(VERDICT_LABELS_OFFICE.get(s["verdict"], s["verdict"]))
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
        add_table(
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
                    format_number(h.get("overlap_area_m2")),
                    format_number(h.get("overlap_length_m")),
                    format_number(h.get("distance_m"), 1),
                    VERDICT_LABELS_OFFICE.get(str(h.get("outcome")), h.get("outcome") or ""),
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
        add_table(
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
        add_table(
            doc,
            ["图层分区 / Layer · zone", "要素 / Feature", "距离 / Distance m"],
            [
                (
                    f"{n.get('layer_kind')} · {n.get('zone')}",
                    n.get("name"),
                    format_number(n.get("distance_m")),
                )
                for n in nearby
            ],
        )
