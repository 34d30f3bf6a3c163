"""The HTML report of a statistics run (``<run>/report.html``), printable to PDF.

What an auditor reads first: the share of the province under each control line, the binding
indicators against their targets (with the clause they come from), the same figures per city
and per county, the "three lines" conflicts (red line × basic farmland × urban boundary), the
strictest-designation-wins areas, the reconciliation of the roll-ups against a direct
computation, the choropleth map (offline) and the provenance of every input (checksums,
versions, parameters). No clock time is written: a rerun gives the same bytes.

The page uses :func:`zoning.maps.report_page` (A4 print rules: table headers repeat, rows never
split, map controls hidden).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["CONFLICT_PAIRS", "render_stats_report"]

#: the pairs of layers whose overlaps planners must resolve ("三线" conflicts first)
CONFLICT_PAIRS: tuple[tuple[str, str], ...] = (
    ("basic_farmland", "eco_redline"),
    ("basic_farmland", "urban_boundary"),
    ("eco_redline", "urban_boundary"),
    ("eco_redline", "subsidence"),
    ("protected_area", "subsidence"),
    ("control_unit", "water_source"),
)

_LEVELS = (("province", "省 / Province"), ("city", "市 / City"), ("county", "县（区）/ County"))


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _num(x: Any, nd: int = 2) -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return ""
    return f"{float(x):,.{nd}f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    from zoning.maps.report import html_table

    return html_table(headers, rows, numeric=numeric)


def _kind_label(kind: str) -> str:
    from zoning.kinds import get_kind

    try:
        k = get_kind(kind)
    except (KeyError, ValueError):
        return kind
    return f"{k.name_zh} / {k.name_en}"


def _share_matrix(stats: pd.DataFrame, level: str, kinds: Sequence[str]) -> str:
    """Units of ``level`` as rows, the share (%) of each layer (zone "all") as columns."""
    sub = stats[(stats.level == level) & (stats.zone == "all")]
    if sub.empty:
        return ""
    area = sub.groupby("unit_id").unit_area_km2.first()
    names = sub.groupby("unit_id").unit_name.first()
    share = sub.pivot_table(index="unit_id", columns="layer_kind", values="share_pct")
    rows = []
    for uid in sorted(area.index):
        row = [_esc(uid), _esc(names.get(uid, "")), _num(area[uid], 1)]
        row += [_num(share.at[uid, k]) if k in share.columns else "" for k in kinds]
        rows.append(row)
    headers = ["代码 / Code", "名称 / Name", "面积 / Area km²"]
    headers += [f"{_kind_label(k)} %" for k in kinds]
    return _table(headers, rows, numeric=set(range(2, 3 + len(kinds))))


def _summary(stats: pd.DataFrame, kinds: Sequence[str]) -> str:
    top = next((lv for lv, _ in _LEVELS if (stats.level == lv).any()), None)
    if top is None:  # units from a file: one row per kind, summed over the units
        sub = stats[stats.zone == "all"]
        total = sub.groupby("unit_id").unit_area_km2.first().sum()
        rows = [
            [_esc(_kind_label(str(k))), _num(a), _num(100 * a / total if total else None)]
            for k, a in sub.groupby("layer_kind").area_km2.sum().items()
        ]
        return _table(["图层 / Layer", "面积 / Area km²", "占比 / Share %"], rows, {1, 2})
    sub = stats[(stats.level == top)]
    rows = []
    for kind in kinds:
        k = sub[sub.layer_kind == kind]
        for zone in ["all", *sorted(z for z in k.zone.unique() if z != "all")]:
            z = k[k.zone == zone]
            if z.empty:
                continue
            rows.append(
                [
                    _esc(_kind_label(kind)),
                    _esc("合计 / all" if zone == "all" else zone),
                    _num(z.area_km2.sum()),
                    _num(100 * z.area_km2.sum() / z.unit_area_km2.sum()),
                ]
            )
    names = ", ".join(sorted(set(sub.unit_name.dropna().astype(str))))
    return f"<p>{_esc(names)}</p>" + _table(
        ["图层 / Layer", "分区 / Zone", "面积 / Area km²", "占比 / Share %"], rows, {2, 3}
    )


def _indicators(ind: pd.DataFrame) -> str:
    if ind is None or ind.empty:
        return "<p class='note'>No indicator table in this run.</p>"
    rows = []
    records: Iterable[Any] = ind.itertuples(index=False)  # fields: the table's columns
    for r in records:
        met = getattr(r, "met", None)
        mark = (
            "" if met is None or pd.isna(met) else ("✓ 达标 / met" if met else "✗ 未达标 / not met")
        )
        rows.append(
            [
                _esc(f"{r.unit_name} ({r.unit_id})"),
                _esc(r.indicator),
                _num(r.value),
                _esc(r.unit),
                _esc(f"{r.target_rule} {_num(r.threshold)} ({r.target_year})"),
                _esc(mark),
                _num(r.gap),
                _esc(f"{r.source}:L{r.source_lines}" if pd.notna(r.source) else ""),
            ]
        )
    return _table(
        [
            "单元 / Unit",
            "指标 / Indicator",
            "值 / Value",
            "单位 / Unit",
            "目标 / Target",
            "结果 / Result",
            "差距 / Gap",
            "出处 / Source",
        ],
        rows,
        {2, 6},
    )


def _conflicts(overlaps: pd.DataFrame, stats: pd.DataFrame) -> str:
    if overlaps is None or overlaps.empty:
        return "<p class='note'>Overlaps were not computed in this run.</p>"
    o = overlaps[(overlaps.zone_a == "all") & (overlaps.zone_b == "all")]
    total = stats[stats.zone == "all"].groupby("unit_id").unit_area_km2.first()
    units = set(o.unit_id)
    territory = float(total[total.index.isin(units)].sum())
    rows = []
    for a, b in CONFLICT_PAIRS:
        pair = o[
            ((o.kind_a == a) & (o.kind_b == b)) | ((o.kind_a == b) & (o.kind_b == a))
        ].sort_values(["overlap_km2", "unit_id"], ascending=[False, True])
        if pair.empty:
            continue
        km2 = float(pair.overlap_km2.sum())
        worst = pair.iloc[0]
        rows.append(
            [
                _esc(f"{_kind_label(a)} × {_kind_label(b)}"),
                _num(km2),
                _num(100 * km2 / territory if territory else None, 3),
                _esc(f"{worst.unit_id} ({_num(worst.overlap_km2)} km²)"),
            ]
        )
    if not rows:
        return "<p>No overlaps between the layer pairs planners must resolve.</p>"
    return _table(
        [
            "冲突 / Conflict",
            "面积 / Area km²",
            "占比 / Share of the units %",
            "最大的单元 / Largest in",
        ],
        rows,
        {1, 2},
    )


def _flattened(flat: pd.DataFrame) -> str:
    if flat is None or flat.empty:
        return "<p class='note'>Not computed in this run.</p>"
    g = flat.groupby(["rank", "designation"], as_index=False)[["area_km2"]].sum()
    total = flat.groupby("unit_id").unit_area_km2.first().sum()
    ranked: Iterable[Any] = g.sort_values("rank").itertuples(index=False)  # fields: the columns
    rows = [
        [_esc(int(r.rank)), _esc(r.designation), _num(r.area_km2), _num(100 * r.area_km2 / total)]
        for r in ranked
        if r.area_km2 > 0
    ]
    return _table(
        ["优先级 / Rank", "管控 / Designation", "面积 / Area km²", "占比 / Share %"],
        rows,
        {0, 2, 3},
    )


def _reconciliation(recon: pd.DataFrame) -> str:
    if recon is None or recon.empty:
        return "<p class='note'>No roll-up in this run.</p>"
    rows = []
    for level, g in recon.groupby("level", sort=False):
        worst = g.difference_pct.abs().max()
        rows.append(
            [
                _esc(level),
                _esc(len(g)),
                _num(g.difference_km2.abs().max(), 9),
                _esc("" if pd.isna(worst) else f"{worst:.1e}"),
            ]
        )
    return (
        "<p>Every roll-up (county → city → province) is compared with a direct computation on "
        "the higher units; the largest differences are:</p>"
        + _table(
            ["层级 / Level", "行 / Rows", "最大差 / Max |Δ| km²", "最大相对差 / Max |Δ| %"],
            rows,
            {1, 2, 3},
        )
    )


def _provenance(inputs: Mapping[str, Any], parameters: Mapping[str, Any]) -> str:
    rows = [
        [
            _esc(layer.get("name")),
            _esc(layer.get("kind")),
            _esc(layer.get("vintage") or ""),
            _esc("示意 / illustrative" if layer.get("illustrative") else ""),
            _esc(layer.get("licence") or ""),
            f"<code>{_esc(str(layer.get('sha256') or '')[:16])}</code>",
        ]
        for layer in inputs.get("layers", [])
    ]
    files = [
        [_esc(key), _esc(v.get("path")), f"<code>{_esc(str(v.get('sha256') or '')[:16])}</code>"]
        for key, v in inputs.items()
        if isinstance(v, Mapping) and "path" in v
    ]
    params = "".join(
        f"<li><b>{_esc(k)}</b>: {_esc(_param_text(v))}</li>" for k, v in sorted(parameters.items())
    )
    return (
        _table(
            ["图层 / Layer", "类型 / Kind", "版本 / Vintage", "", "许可 / Licence", "SHA-256"],
            [*rows],
            set(),
        )
        + _table(["输入 / Input", "文件 / File", "SHA-256"], files, set())
        + f"<ul class='note'>{params}</ul>"
    )


def render_stats_report(
    *,
    title: str,
    stats: pd.DataFrame,
    inputs: Mapping[str, Any],
    parameters: Mapping[str, Any],
    indicators: pd.DataFrame | None = None,
    overlaps: pd.DataFrame | None = None,
    flattened: pd.DataFrame | None = None,
    reconciliation: pd.DataFrame | None = None,
    map_html: str | None = None,
    map_png: bytes | None = None,
) -> str:
    """Return the self-contained HTML report of a statistics run.

    Parameters
    ----------
    title : str
        The scenario title.
    stats : DataFrame
        ``stats.csv`` of the run (``unit_id, layer_kind, zone, area_km2, unit_area_km2,
        share_pct, level, unit_name``).
    inputs, parameters : mapping
        The ``inputs`` and ``parameters`` of ``manifest.json``.
    indicators, overlaps, flattened, reconciliation : DataFrame, optional
        The run's other tables, as written beside ``stats.csv``.
    map_html : str, optional
        A saved offline map (``map.html``) to embed.
    map_png : bytes, optional
        The same map as a static image (:func:`zoning.maps.static.choropleth_png`): printed
        in place of the live map, which does not survive printing.

    Returns
    -------
    str
    """
    from zoning.maps.report import embed_html, print_figure, report_page

    kinds = sorted(stats.layer_kind.unique())
    body = [
        "<section><h2>概要 / Summary</h2>",
        "<p class='note'>Areas in km² measured in the Albers equal-area projection "
        "(CGCS2000 datum, lon₀ 105°, parallels 25° and 47°); overlapping features of a layer "
        "are counted once; shares are of the unit's own area.</p>",
        _summary(stats, kinds),
        "</section><section><h2>指标 / Indicators against plan targets</h2>",
        _indicators(indicators if indicators is not None else pd.DataFrame()),
        "</section>",
    ]
    for level, label in _LEVELS[1:]:
        matrix = _share_matrix(stats, level, kinds)
        if matrix:
            body += [f"<section class='page-break'><h2>{_esc(label)}</h2>", matrix, "</section>"]
    if not any((stats.level == lv).any() for lv, _ in _LEVELS):
        level = str(stats.level.iloc[0]) if len(stats) else "unit"
        body += ["<section><h2>单元 / Units</h2>", _share_matrix(stats, level, kinds), "</section>"]
    body += [
        "<section class='page-break'><h2>三线冲突 / Conflicts between control lines</h2>",
        _conflicts(overlaps if overlaps is not None else pd.DataFrame(), stats),
        "</section><section><h2>最严格管控 / Strictest designation wins</h2>",
        "<p class='note'>Each piece of land counted once, under its strictest designation.</p>",
        _flattened(flattened if flattened is not None else pd.DataFrame()),
        "</section><section><h2>核对 / Reconciliation</h2>",
        _reconciliation(reconciliation if reconciliation is not None else pd.DataFrame()),
        "</section>",
    ]
    if map_html:
        body += [
            "<section class='keep-together'><h2>地图 / Map</h2>",
            embed_html(map_html, title="map"),
            print_figure(map_png, "统计地图 / Statistics map") if map_png else "",
            "</section>",
        ]
    body += [
        "<section class='page-break'><h2>数据来源 / Provenance</h2>",
        _provenance(inputs, parameters),
        "</section>",
    ]
    return report_page(f"生态管控统计 / Zoning statistics — {title}", "\n".join(body))


def _param_text(value: Any) -> str:
    """Return a run parameter as a reader sees it: JSON (``true``, ``"a.toml"``), not Python."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
