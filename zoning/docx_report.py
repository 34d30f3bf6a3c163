"""Word (.docx) reports: what planning offices exchange, with the content of the HTML reports.

The building blocks of every Word report (:func:`new_document`, :func:`add_table`,
:func:`add_picture`, :func:`add_provenance`, :func:`save_document`) and two of the documents,
each headline first, then the evidence, then provenance and the disclaimer (the screening
report is :func:`zoning.screening.docx.screening_docx`):

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
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from zoning.io.officefile import fixed_zip
from zoning.labels import DISCLAIMER_ZH_FIRST as DISCLAIMER

__all__ = [
    "DISCLAIMER",
    "add_picture",
    "add_provenance",
    "add_table",
    "format_number",
    "new_document",
    "restoration_docx",
    "save_document",
    "stats_docx",
]


def new_document(title: str, subtitle: str = "") -> Any:
    """Start a Word document: CJK-aware fonts, the title, a subtitle and the disclaimer.

    Parameters
    ----------
    title : str
        Document title (also the core property).
    subtitle : str, optional
        A line under the title.

    Returns
    -------
    docx.Document
        The document.
    """
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


def add_table(doc: Any, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> Any:
    """Append a grid table with bold headers (9 pt text).

    Parameters
    ----------
    doc : docx.Document
        The document.
    headers : sequence of str
        Column headers.
    rows : sequence of sequences
        Cell values (``None`` is an empty cell).

    Returns
    -------
    docx.table.Table
        The table.
    """
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


def add_picture(doc: Any, png: bytes | None, caption: str) -> None:
    """Append a PNG 16 cm wide with an italic caption (nothing when ``png`` is empty).

    Parameters
    ----------
    doc : docx.Document
        The document.
    png : bytes or None
        The image.
    caption : str
        Caption under it.
    """
    from docx.shared import Cm

    if not png:
        return
    doc.add_picture(io.BytesIO(png), width=Cm(16))
    doc.add_paragraph(caption).italic = True


def save_document(doc: Any, path: str | Path) -> Path:
    """Save ``doc`` to ``path`` with fixed zip timestamps (:func:`zoning.io.officefile.fixed_zip`).

    Parameters
    ----------
    doc : docx.Document
        The document.
    path : path-like
        The .docx to write.

    Returns
    -------
    Path
        ``path``.
    """
    buf = io.BytesIO()
    doc.save(buf)
    path = Path(path)
    path.write_bytes(fixed_zip(buf.getvalue()))
    return path


def format_number(value: object, digits: int = 0) -> str:
    """Format a number with thousands separators; empty for ``None`` and NaN.

    Parameters
    ----------
    value : object
        A number (non-numbers are returned as text).
    digits : int, default 0
        Decimals.

    Returns
    -------
    str
        The text.

    Examples
    --------
    >>> format_number(12345.678, 1), format_number(float("nan")), format_number(None)
    ('12,345.7', '', '')
    """
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if v != v:  # NaN
        return ""
    return f"{v:,.{digits}f}"


def add_provenance(doc: Any, rows: Sequence[tuple[str, object]]) -> None:
    """Append the provenance table and the disclaimer.

    Parameters
    ----------
    doc : docx.Document
        The document.
    rows : sequence of (str, object)
        Item and value.
    """
    doc.add_heading("数据来源 / Provenance", level=1)
    add_table(doc, ["项目 / Item", "内容 / Value"], [(k, v) for k, v in rows])
    doc.add_paragraph(DISCLAIMER)


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

    doc = new_document(f"生态管控统计 / Zoning statistics — {title}")
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
        add_table(
            doc,
            ["单元 / Unit", "图层 / Layer", "面积 / Area km²", "占比 / Share %"],
            [
                (
                    r.unit_name,
                    kind_label(str(r.layer_kind)),
                    format_number(r.area_km2, 2),
                    format_number(r.share_pct, 2),
                )
                for r in rows.itertuples(index=False)
            ],
        )
    zones = stats[(stats["level"] == "province") & (stats["zone"] != "all")]
    zone_rows: Iterable[Any] = zones.itertuples(index=False)  # fields: the table's columns
    if len(zones):
        doc.add_heading("分区 / Zones (province)", level=2)
        add_table(
            doc,
            ["图层 / Layer", "分区 / Zone", "面积 / Area km²", "占比 / Share %"],
            [
                (kind_label(r.layer_kind), zone_label(r.layer_kind, r.zone), format_number(r.area_km2, 2),
                 format_number(r.share_pct, 2))
                for r in zone_rows
            ],
        )  # fmt: skip
    if indicators is not None and len(indicators):
        doc.add_heading("指标 / Indicators against plan targets", level=1)
        add_table(
            doc,
            ["单元 / Unit", "指标 / Indicator", "现状 / Value", "目标 / Target", "达标 / Met"],
            [
                (
                    r.get("unit_name", r.get("unit_id")),
                    r.get("indicator"),
                    format_number(r.get("value"), 2),
                    f"{r.get('target_rule')} {format_number(r.get('threshold'), 2)}",
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
        add_picture(doc, map_png, "统计地图 / Statistics map")
    add_provenance(doc, provenance)
    return save_document(doc, path)


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
    doc = new_document(
        f"生态修复优先级 / Restoration priorities — {report.get('title', report.get('scenario'))}"
    )
    doc.add_paragraph(
        f"评估单元 / Units scored: {report['n_units']:,}; "
        f"面积 / area {format_number(report.get('area_ha'))} ha"
    )
    p = report.get("portfolio")
    if p:
        doc.add_heading("预算组合 / Budgeted portfolio", level=1)
        add_table(
            doc,
            ["项目 / Item", "值 / Value"],
            [
                ("入选单元 / Units selected", p.get("n_selected")),
                ("成本 / Cost (元 yuan)", format_number(p.get("cost"))),
                ("预算 / Budget (元 yuan)", format_number(p.get("budget"))),
                ("效益 / Benefit", format_number(p.get("objective"), 3)),
                ("求解状态 / Solver status", p.get("status")),
            ],
        )
    doc.add_heading("权重 / Weights", level=1)
    add_table(
        doc,
        ["准则 / Criterion", "权重 / Weight"],
        [(k, format_number(v, 3)) for k, v in (report.get("weights") or {}).items()],
    )
    doc.add_heading("优先等级 / Priority classes (1 = highest)", level=1)
    add_table(
        doc,
        ["等级 / Class", "单元数 / Units"],
        list((report.get("classes") or {}).items()),
    )
    if len(ranking):
        doc.add_heading(f"排名前 {top} / Top {top} units", level=1)
        cols = [c for c in ("rank", "unit_id", "name", "score", "priority_class") if c in ranking]
        add_table(
            doc,
            cols,
            [
                [format_number(v, 3) if isinstance(v, float) else v for v in row]
                for row in ranking[cols].head(top).itertuples(index=False)
            ],
        )
    if curve_png:
        doc.add_heading("排序曲线 / Ranking curve", level=1)
        add_picture(doc, curve_png, "排序曲线 / Ranking curve")
    add_provenance(
        doc,
        [
            ("情景 / Scenario", report.get("scenario")),
            ("示意数据 / Illustrative", report.get("illustrative")),
        ],
    )
    return save_document(doc, path)
