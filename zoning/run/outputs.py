"""The write step of a run: every output file, written into the staging folder.

Tables (:func:`zoning.io.tables.write_table`), the workbook with its About sheet
(:mod:`zoning.io.workbook`), the units GeoPackage (:mod:`zoning.io.gpkg`), the choropleth map
and the statistics report (:func:`zoning.io.atomic_write_text`), the Word report, and the
screening and restoration folders. Every file is byte-identical on rerun.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from zoning.io.atomic import atomic_write_text
from zoning.io.gpkg import share_title, write_gpkg
from zoning.io.tables import write_table
from zoning.scenario import Scenario

__all__ = [
    "STATS_COLUMNS",
    "output_tables",
    "unit_frame",
    "wide_table",
    "write_excel",
    "write_map",
    "write_run_outputs",
]

logger = logging.getLogger("zoning.runner")  # run.log keeps the runner's records by this name

#: the columns of ``stats.csv``, in order
STATS_COLUMNS = [
    "unit_id",
    "layer_kind",
    "zone",
    "area_km2",
    "unit_area_km2",
    "share_pct",
    "level",
    "unit_name",
]


def output_tables(
    sc: Scenario,
    table: pd.DataFrame,
    *,
    overlaps: pd.DataFrame,
    flat_areas: pd.DataFrame,
    indicators: pd.DataFrame | None,
    reconciliation: pd.DataFrame,
    screening: pd.DataFrame | None,
) -> dict[str, pd.DataFrame]:
    """Choose the tables a run writes (each as ``<name>.csv`` and a workbook sheet).

    Parameters
    ----------
    sc : Scenario
        The scenario (``overlaps`` on or off).
    table : DataFrame
        The statistics of every level.
    overlaps, flat_areas : DataFrame
        The overlap table and the strictest-designation areas (empty when not computed).
    indicators : DataFrame or None
        The indicators, None when the scenario evaluates none.
    reconciliation : DataFrame
        The roll-up check (empty without roll-ups).
    screening : DataFrame or None
        The screened sites, None without ``[screening]``.

    Returns
    -------
    dict of str to DataFrame
        Name → table, in the order they are written.
    """
    tables = {"stats": table[STATS_COLUMNS]}
    if not overlaps.empty or sc.stats.get("overlaps", True):
        tables["overlaps"] = overlaps
        tables["flattened"] = flat_areas
    if indicators is not None:
        tables["indicators"] = indicators
    if not reconciliation.empty:
        tables["reconciliation"] = reconciliation
    if screening is not None:
        tables["screening"] = screening
    return tables


def write_excel(
    sheets: dict[str, pd.DataFrame], path: Path, sc: Scenario, inputs: dict[str, Any]
) -> None:
    """Write the run's workbook (:mod:`zoning.io.workbook`): bilingual, with an About sheet.

    Parameters
    ----------
    sheets : dict of str to DataFrame
        The tables, one sheet each.
    path : Path
        The ``.xlsx`` file.
    sc : Scenario
        The scenario (its id and title).
    inputs : dict
        The inputs with their checksums (listed on the About sheet).
    """
    from zoning import __version__
    from zoning.crs import ALBERS_CHINA
    from zoning.io.workbook import write_workbook

    about: list[tuple[str, object]] = [
        ("情景 / Scenario", f"{sc.id} — {sc.title}" if getattr(sc, "title", "") else sc.id),
        ("目录 / Catalogue", inputs["catalog"]["path"]),
        (
            "单位 / Units",
            "面积 km²，占比 %（占单元面积）/ areas in km², shares in % of the unit's area",
        ),
        ("面积计算坐标系 / CRS of the areas", f"{ALBERS_CHINA.name} (equal-area)"),
        ("软件 / Software", f"zoning {__version__}"),
        ("情景文件校验和 / Scenario sha256", inputs["scenario"]["sha256"]),
        ("目录文件校验和 / Catalogue sha256", inputs["catalog"]["sha256"]),
    ]
    for layer in inputs.get("layers", []):
        flag = "示意数据 / illustrative" if layer.get("illustrative") else "真实数据 / real"
        about.append(
            (
                f"图层 / Layer {layer.get('name')} ({layer.get('kind')})",
                f"{flag}; sha256 {layer.get('sha256')}; "
                f"licence {layer.get('licence') or '—'}; vintage {layer.get('vintage') or '—'}",
            )
        )
    for key in ("units", "targets", "sites", "restoration_scenario"):
        if key in inputs:
            about.append(
                (f"输入 / Input {key}", f"{inputs[key]['path']} sha256 {inputs[key]['sha256']}")
            )
    write_workbook(sheets, path, about=about)


def write_map(units_gdf: Any, column: str, title: str, path: Path) -> str:
    """Write the choropleth map to ``path``; return its HTML (embedded in report.html).

    Parameters
    ----------
    units_gdf : GeoDataFrame
        The units with their figures.
    column : str
        The figure mapped.
    title : str
        The map's title and legend title.
    path : Path
        The HTML file.

    Returns
    -------
    str
        The page.
    """
    from zoning.maps import choropleth_map
    from zoning.maps.builder import map_html

    m = choropleth_map(
        units_gdf.to_crs("EPSG:4490"),
        column,
        name=column,
        legend_title=title,
        title=title,
    )
    page = map_html(m)  # element ids are numbered: byte-identical on rerun
    atomic_write_text(path, page, overwrite=True)
    return page


def wide_table(stats: pd.DataFrame) -> pd.DataFrame:
    """Pivot statistics to one row per unit, columns ``<kind>_<zone>_km2`` and ``…_pct``.

    Parameters
    ----------
    stats : DataFrame
        Long statistics (unit, kind, zone, area, share).

    Returns
    -------
    DataFrame
        Indexed by unit id, with ``unit_area_km2`` first.
    """
    s = stats.copy()
    s["col"] = s.layer_kind + "_" + s.zone
    area = s.pivot(index="unit_id", columns="col", values="area_km2").add_suffix("_km2")
    share = s.pivot(index="unit_id", columns="col", values="share_pct").add_suffix("_pct")
    cols = list(dict.fromkeys(s["col"]))
    out = pd.concat([area, share], axis=1)
    ordered = [c for k in cols for c in (f"{k}_km2", f"{k}_pct")]
    unit_area = s.groupby("unit_id")["unit_area_km2"].first()
    out = out[ordered]
    out.insert(0, "unit_area_km2", unit_area)
    return out


def unit_frame(units: Any, id_field: str, stats: pd.DataFrame) -> Any:
    """Join each unit's figures (:func:`wide_table`) to its geometry, sorted by unit id.

    Parameters
    ----------
    units : GeoDataFrame
        The units.
    id_field : str
        Their id column (renamed ``unit_id``).
    stats : DataFrame
        Their statistics.

    Returns
    -------
    GeoDataFrame
        ``unit_id``, ``name``/``level`` when present, the figures, the geometry.
    """
    frame = units[[id_field, *[c for c in ("name", "level") if c in units.columns], "geometry"]]
    frame = frame.rename(columns={id_field: "unit_id"})
    frame = frame.assign(unit_id=frame.unit_id.astype(str))
    frame = frame.merge(wide_table(stats), left_on="unit_id", right_index=True, how="left")
    return frame.sort_values("unit_id", kind="stable").reset_index(drop=True)


def _docx_provenance(sc: Scenario, inputs: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("情景 / Scenario", f"{sc.id} ({inputs['scenario']['sha256'][:16]})"),
        (
            "目录 / Catalogue",
            f"{inputs['catalog']['path']} ({inputs['catalog']['sha256'][:16]})",
        ),
        *[
            (
                f"图层 / Layer {lay.get('name')}",
                f"{lay.get('kind')} sha256 {lay.get('sha256')}",
            )
            for lay in inputs.get("layers", [])
        ],
    ]


def write_run_outputs(
    stage: Path,
    sc: Scenario,
    tables: dict[str, pd.DataFrame],
    *,
    units_with_figures: Any,
    flat: Any,
    inputs: dict[str, Any],
    screened: Any,
    restored: Any,
    docx: bool,
) -> dict[str, Path]:
    """Write every output of a run into ``stage``.

    Parameters
    ----------
    stage : Path
        The staging folder.
    sc : Scenario
        The scenario (its ``[outputs]``).
    tables : dict of str to DataFrame
        The tables (:func:`output_tables`).
    units_with_figures : GeoDataFrame
        The units with their figures (:func:`unit_frame`).
    flat : GeoDataFrame or None
        The strictest-designation pieces, None when overlaps are off.
    inputs : dict
        The inputs with their checksums.
    screened : ScreeningResult or None
        The screened sites.
    restored : RestorationResult or None
        The restoration result.
    docx : bool
        Also write the Word reports.

    Returns
    -------
    dict of str to Path
        Output name → path, in the order written.
    """
    files: dict[str, Path] = {}
    for name, df in tables.items():
        files[f"{name}.csv"] = stage / f"{name}.csv"
        write_table(df, files[f"{name}.csv"])
    if sc.outputs.get("excel", True):
        files["stats.xlsx"] = stage / "stats.xlsx"
        write_excel(tables, files["stats.xlsx"], sc, inputs)
    if sc.outputs.get("gpkg", True):
        files["units.gpkg"] = stage / "units.gpkg"
        gpkg_layers = {"units": units_with_figures}
        if flat is not None and len(flat):
            gpkg_layers["strictest_designation"] = flat.to_crs("EPSG:4490")
        write_gpkg(
            gpkg_layers,
            files["units.gpkg"],
            share_column=f"{sc.outputs.get('map_layer', 'eco_redline')}_all_pct",
        )
    map_page = None
    map_png = None
    if sc.outputs.get("map", True):
        column = f"{sc.outputs.get('map_layer', 'eco_redline')}_all_pct"
        if column in units_with_figures.columns:
            files["map.html"] = stage / "map.html"
            map_page = write_map(
                units_with_figures,
                column,
                f"{sc.title}: {column} (for planning analysis, not an official map)",
                files["map.html"],
            )
            from zoning.maps.static import choropleth_png

            map_png = choropleth_png(
                units_with_figures, column, legend_title=share_title(column), title=sc.title
            )
        else:
            logger.info("map skipped: no column %s", column)
    if sc.outputs.get("report", True):
        from zoning.stats.report import render_stats_report

        files["report.html"] = stage / "report.html"
        page = render_stats_report(
            title=sc.title,
            stats=tables["stats"],
            inputs=inputs,
            parameters=sc.parameters(),
            indicators=tables.get("indicators"),
            overlaps=tables.get("overlaps"),
            flattened=tables.get("flattened"),
            reconciliation=tables.get("reconciliation"),
            map_html=map_page,
            map_png=map_png,
        )
        atomic_write_text(files["report.html"], page, overwrite=True)
    if docx:
        from zoning.docx_report import stats_docx

        files["report.docx"] = stats_docx(
            stage / "report.docx",
            title=sc.title,
            stats=tables["stats"],
            indicators=tables.get("indicators"),
            map_png=map_png,
            provenance=_docx_provenance(sc, inputs),
        )
    if screened is not None:  # the explained report of every site, as `zoning screen --out`
        from zoning.screening import write_screening

        (stage / "screening").mkdir(exist_ok=True)
        written = write_screening(screened, stage / "screening", compare=True, docx=docx)
        files.update({f"screening/{n}": p for n, p in written.items()})
    if restored is not None:
        from zoning.restoration.outputs import write_outputs

        folder = stage / "restoration"
        folder.mkdir(exist_ok=True)
        report = write_outputs(
            restored, folder, map_html=bool(sc.outputs.get("map", True)), docx=docx
        )
        files.update({f"restoration/{p.name}": p for p in sorted(folder.iterdir())})
        logger.info("restoration: %d units scored", report["n_units"])
    return files
