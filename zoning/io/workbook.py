"""Excel workbooks a planning office can use as they open: bilingual, formatted, explained.

A table written by :func:`write_workbook` gets, on its sheet:

* a header row in Chinese and English (``面积 (km²) / Area (km²)``), frozen, with an
  autofilter over the whole table;
* names before codes (``unit_name`` first), and codes turned into names in the cells that hold
  them (layer kinds, zones, levels, verdicts, indicator rules): ``eco_redline`` reads
  ``生态保护红线 / Ecological protection red line``;
* a number format fit for each column (km² with two decimals, shares as ``21.95%``, years
  without a thousands separator) and column widths that fit the content (CJK counted double);

and the workbook ends with a ``说明 About`` sheet: the disclaimer, what the run was (scenario,
catalogue, rule packs), units, the CRS of the measurements, and the checksum of every input.
Nothing time-dependent is written, so the same tables give a byte-identical file.

The CSV files beside a workbook keep the codes: they are for programs, the workbook is for
people.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from zoning.io.officefile import fixed_zip
from zoning.labels import DISCLAIMER_ZH_FIRST as DISCLAIMER
from zoning.labels import VERDICT_LABELS_OFFICE

__all__ = ["ABOUT_SHEET", "COLUMNS", "DISCLAIMER", "write_workbook"]

#: the disclaimer every workbook carries on its About sheet.
#: title of the last sheet.
ABOUT_SHEET = "说明 About"

_KM2 = "#,##0.00"
_PCT = '0.00"%"'  # the values are percentages already (21.95 means 21.95 %)
_INT = "0"
_M = "#,##0"

#: column → (Chinese, English, number format or None); columns not listed keep their name.
COLUMNS: dict[str, tuple[str, str, str | None]] = {
    "unit_name": ("单元名称", "Unit", None),
    "unit_id": ("单元代码", "Unit code", "@"),
    "level": ("层级", "Level", None),
    "layer_kind": ("图层", "Layer", None),
    "zone": ("分区", "Zone", None),
    "area_km2": ("面积 (km²)", "Area (km²)", _KM2),
    "unit_area_km2": ("单元面积 (km²)", "Unit area (km²)", _KM2),
    "share_pct": ("占比", "Share", _PCT),
    "kind_a": ("图层 A", "Layer A", None),
    "zone_a": ("分区 A", "Zone A", None),
    "kind_b": ("图层 B", "Layer B", None),
    "zone_b": ("分区 B", "Zone B", None),
    "overlap_km2": ("重叠面积 (km²)", "Overlap (km²)", _KM2),
    "share_of_unit_pct": ("占单元比例", "Share of unit", _PCT),
    "share_of_a_pct": ("占 A 比例", "Share of A", _PCT),
    "share_of_b_pct": ("占 B 比例", "Share of B", _PCT),
    "rank": ("严格程度排序", "Rank (1 = strictest)", _INT),
    "designation": ("最严格管控分区", "Strictest designation", None),
    "indicator": ("指标", "Indicator", None),
    "measure": ("度量", "Measure", None),
    "value": ("现状值", "Value", "#,##0.00"),
    "unit": ("单位", "Unit of measure", None),
    "baseline_year": ("基准年", "Baseline year", _INT),
    "baseline": ("基准值", "Baseline", "#,##0.00"),
    "target_year": ("目标年", "Target year", _INT),
    "target_rule": ("目标规则", "Target rule", None),
    "target_value": ("目标值", "Target value", "#,##0.00"),
    "threshold": ("判定阈值", "Threshold", "#,##0.00"),
    "met": ("是否达标", "Met", None),
    "gap": ("差距", "Gap", "#,##0.00"),
    "attribute": ("指标属性", "Attribute", None),
    "source": ("来源", "Source", None),
    "source_lines": ("来源行号", "Source lines", "@"),
    "area_km2_rollup": ("汇总面积 (km²)", "Rolled-up area (km²)", _KM2),
    "area_km2_direct": ("直接计算面积 (km²)", "Direct area (km²)", _KM2),
    "difference_km2": ("差值 (km²)", "Difference (km²)", "0.00E+00"),
    "difference_pct": ("差值比例", "Difference", '0.00E+00"%"'),
    "unit_area_km2_rollup": ("汇总单元面积 (km²)", "Rolled-up unit area (km²)", _KM2),
    "unit_area_km2_direct": ("直接单元面积 (km²)", "Direct unit area (km²)", _KM2),
    "site_id": ("场址编号", "Site", None),
    "repair": ("几何修复", "Geometry repair", None),
    "geometry_type": ("几何类型", "Geometry type", None),
    "verdict": ("结论", "Verdict", None),
    "covered": ("在数据范围内", "Within the data", None),
    "n_hits": ("命中数", "Hits", _INT),
    "site_area_m2": ("场址面积 (m²)", "Site area (m²)", _M),
    "site_length_m": ("场址长度 (m)", "Site length (m)", _M),
    "gk_epsg": ("高斯-克吕格投影 (EPSG)", "Gauss–Krüger zone (EPSG)", _INT),
    "near_boundary": ("临近边界", "Near a boundary", None),
}

#: the order in which known columns are placed (names first); the rest keep their order.
_LEADING = ("unit_name", "unit_id", "level", "site_id", "verdict")

_LEVELS = {"province": "省 / Province", "city": "市 / City", "county": "县 / County"}
_TARGET_RULES = {
    "no_decrease": "不减少 / No decrease",
    "at_least": "不低于 / At least",
    "at_most": "不高于 / At most",
    "equal": "等于 / Equal",
}
_ATTRIBUTES = {"binding": "约束性 / Binding", "expected": "预期性 / Expected"}
_BOOL = {True: "是 / Yes", False: "否 / No"}


def _kind(value: object) -> object:
    from zoning.maps.style import kind_label

    return kind_label(str(value)) if isinstance(value, str) and value else value


def _designation(value: object) -> object:
    from zoning.maps.style import kind_label, zone_label

    if not isinstance(value, str) or ":" not in value:
        return value
    kind, zone = value.split(":", 1)
    if zone == "all":
        return kind_label(kind)
    return f"{kind_label(kind)} — {zone_label(kind, zone)}"


def _indicator(value: object) -> object:
    if not isinstance(value, str):
        return value
    for suffix, zh, en in (("_share", "占比", "share"), ("_area", "面积", "area")):
        if value.endswith(suffix):
            from zoning.kinds import KIND_IDS, get_kind

            kind = value[: -len(suffix)]
            if kind in KIND_IDS:
                spec = get_kind(kind)
                return f"{spec.name_zh}{zh} / {spec.name_en} {en}"
    return value


def _mapped(table: Mapping[Any, str]) -> Callable[[object], object]:
    return lambda v: table.get(v, v) if isinstance(v, (str, bool)) else v


def _zone_pairs(df: pd.DataFrame) -> dict[str, str]:
    """Zone column → the layer-kind column it belongs to."""
    return {"zone": "layer_kind", "zone_a": "kind_a", "zone_b": "kind_b"}


def _display(df: pd.DataFrame) -> pd.DataFrame:
    """Turn the table into what people read: names first, codes as bilingual names."""
    from zoning.maps.style import zone_label

    out = df.copy()
    for zcol, kcol in _zone_pairs(out).items():
        if zcol in out.columns and kcol in out.columns:
            out[zcol] = [
                "全部 / all" if z == "all" else zone_label(k, z) if isinstance(z, str) else z
                for k, z in zip(out[kcol], out[zcol], strict=True)
            ]
    converters: dict[str, Callable[[object], object]] = {
        "layer_kind": _kind,
        "kind_a": _kind,
        "kind_b": _kind,
        "designation": _designation,
        "indicator": _indicator,
        "level": _mapped(_LEVELS),
        "verdict": _mapped(VERDICT_LABELS_OFFICE),
        "target_rule": _mapped(_TARGET_RULES),
        "attribute": _mapped(_ATTRIBUTES),
        "met": _mapped(_BOOL),
        "covered": _mapped(_BOOL),
        "near_boundary": _mapped(_BOOL),
    }
    for col, fn in converters.items():
        if col in out.columns:
            out[col] = out[col].map(fn).astype(object)
    lead = [c for c in _LEADING if c in out.columns]
    return out[lead + [c for c in out.columns if c not in lead]]


def _header(col: str) -> str:
    zh, en, _ = COLUMNS.get(col, (col, "", None))
    return f"{zh} / {en}" if en else zh


def _width(value: object) -> int:
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(v: Any) -> Any:
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):
        return v.item()
    return v


def _add_table(wb: Any, name: str, df: pd.DataFrame) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title=name[:31])
    shown = _display(df)
    ws.append([_header(c) for c in shown.columns])
    for row in shown.itertuples(index=False):
        ws.append([_cell(v) for v in row])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    n = len(shown)
    for j, col in enumerate(shown.columns, start=1):
        fmt = COLUMNS.get(col, ("", "", None))[2]
        letter = get_column_letter(j)
        if fmt and n:
            for (cell,) in ws.iter_rows(min_row=2, max_row=n + 1, min_col=j, max_col=j):
                cell.number_format = fmt
        sample = (
            shown[col]
            .head(200)
            .map(lambda v, f=fmt: f"{v:,.2f}" if isinstance(v, float) and f else v)
        )
        widest = max([_width(v) for v in sample] + [min(_width(_header(col)), 24)])
        ws.column_dimensions[letter].width = min(max(widest + 2, 8), 60)
    ws.freeze_panes = "B2" if shown.columns[0] in ("unit_name", "site_id") else "A2"
    if n:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(shown.columns))}{n + 1}"
    ws.row_dimensions[1].height = 32


def _add_about(wb: Any, about: Sequence[tuple[str, object]]) -> None:
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(title=ABOUT_SHEET)
    ws.append(["说明 / About", ""])
    ws["A1"].font = Font(bold=True, size=13)
    for key, value in [("免责声明 / Disclaimer", DISCLAIMER), *about]:
        ws.append([key, _cell(value) if not isinstance(value, (list, dict)) else str(value)])
    for row in ws.iter_rows(min_row=2):
        row[0].font = Font(bold=True)
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
        row[0].alignment = Alignment(vertical="top")
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 100


def write_workbook(
    sheets: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    about: Sequence[tuple[str, object]] = (),
    fixed_time: dt.datetime = dt.datetime(2000, 1, 1),
) -> Path:
    """Write ``sheets`` (one table each) and an About sheet into an .xlsx file.

    Parameters
    ----------
    sheets : mapping of str to DataFrame
        Sheet name → table, in order. Columns keep their codes in the data frames; the
        workbook shows bilingual headers and names (see the module docstring).
    path : path-like
        The .xlsx to write (replaced if it exists: callers write into a staging folder).
    about : sequence of (label, value)
        Lines of the About sheet after the disclaimer (scenario, catalogue, units, CRS,
        checksums …).
    fixed_time : datetime
        The document's created/modified time, fixed so reruns are byte-identical.

    Returns
    -------
    pathlib.Path
    """
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        _add_table(wb, name, df)
    _add_about(wb, about)
    wb.properties.created = fixed_time
    wb.properties.modified = fixed_time
    wb.properties.creator = "zoning"
    buf = io.BytesIO()
    wb.save(buf)
    path = Path(path)
    path.write_bytes(fixed_zip(buf.getvalue()))
    return path
