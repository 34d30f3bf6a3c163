"""Run a scenario into one output folder: tables, workbook, GeoPackage, map, log, manifest.

:func:`run_scenario` is the body of ``zoning run``. The folder appears atomically: the run
works in a hidden staging folder beside the target (``.<name>.partial``) and renames it into
place at the end; an error removes the staging folder, so a failed run leaves nothing behind.
An *interrupted* run (Ctrl-C, a killed process) keeps its staging folder with a checkpoint per
finished step, and ``--resume`` carries on from there (a checkpoint is reused only when its
key — the step, the parameters and the checksums of the inputs — still matches).

Every output except ``manifest.json``'s ``created`` timestamp is byte-identical between reruns:
CSVs are written with a fixed float format, the workbook and GeoPackage carry fixed internal
timestamps, the map's element ids are numbered in order, and ``run.log`` has no clock times.

Outputs: ``stats.csv`` (every level), ``overlaps.csv``, ``flattened.csv``, ``indicators.csv``,
``reconciliation.csv``, ``stats.xlsx`` (one sheet per table), ``units.gpkg`` (units with their
figures, and the strictest-designation-wins layer), ``map.html`` (choropleth), ``run.log``,
``manifest.json``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import platform
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from zoning.errors import OutputExistsError, Problem, ScenarioError
from zoning.gpkgfile import share_title, write_gpkg
from zoning.outlock import output_lock
from zoning.scenario import Scenario, load_scenario

__all__ = ["RunResult", "run_scenario", "staging_dir"]

logger = logging.getLogger(__name__)

_FIXED_TIME = (2000, 1, 1, 0, 0, 0)
_LOGGED = {"runner", "stats", "overlaps", "scale", "indicators", "scenario"}
_STEPS = (
    "load",
    "stats",
    "rollup",
    "overlaps",
    "flatten",
    "indicators",
    "screening",
    "restoration",
    "write",
)


@dataclass(frozen=True)
class RunResult:
    """Where a run wrote its outputs.

    Attributes
    ----------
    folder : Path
        The output folder.
    files : dict of str to Path
        Output name (``"stats.csv"`` …) → path.
    """

    folder: Path
    files: dict[str, Path]


def staging_dir(out: Path) -> Path:
    """The hidden staging folder of a run whose output folder is ``out``."""
    from zoning.workspace import hidden_sibling  # shortened when the name is long

    return hidden_sibling(out, "partial")


def _sha256(path: Path) -> str:
    from zoning.io import sha256_file

    return sha256_file(path)


def _key(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class _Checkpoints:
    """Per-step outputs kept in ``<staging>/.steps`` so an interrupted run can resume."""

    def __init__(self, folder: Path, base_key: str):
        self.folder = folder
        self.base_key = base_key
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, step: str, suffix: str) -> Path:
        return self.folder / f"{step}.{_key(self.base_key, step)}{suffix}"

    def frame(self, step: str, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        path = self._path(step, ".parquet")
        if path.is_file():
            logger.info("step %s: resumed from checkpoint", step)
            import geopandas as gpd

            try:
                return gpd.read_parquet(path)
            except ValueError:  # not a GeoParquet file: a plain table
                return pd.read_parquet(path)
        out = compute()
        tmp = path.with_suffix(".tmp")
        out.to_parquet(tmp)
        os.replace(tmp, path)
        return out


# ------------------------------------------------------------------------------- writers


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    from zoning.csvfile import write_csv

    write_csv(df, path, index=False, float_format="%.10g")


def _write_excel(
    sheets: dict[str, pd.DataFrame], path: Path, sc: Scenario, inputs: dict[str, Any]
) -> None:
    """The run's workbook (:mod:`zoning.workbook`): bilingual, formatted, with an About sheet."""
    from zoning import __version__
    from zoning.crs import ALBERS_CHINA
    from zoning.workbook import write_workbook

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


def _write_map(units_gdf: Any, column: str, title: str, path: Path) -> str:
    """Write the choropleth map to ``path``; return its HTML (embedded in report.html)."""
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
    path.write_text(page, encoding="utf-8")
    return page


# ------------------------------------------------------------------------------- steps


def _polygon_kinds(catalog: Any) -> list[str]:
    from zoning.kinds import get_kind

    return [k for k in catalog.kinds if k != "admin_unit" and get_kind(k).geometry == "polygon"]


def _units(scenario: Scenario, catalog: Any) -> tuple[Any, str, str | None]:
    """Return (units frame, id field, level or None)."""
    spec = scenario.units
    id_field = spec.get("id_field", "adcode")
    if spec.get("path"):
        from zoning.io import read_vector

        units = read_vector(spec["path"], layer=spec.get("layer"))
        return units, id_field, None
    if "admin_unit" not in catalog.kinds:
        raise ScenarioError(
            f"scenario {scenario.path}",
            [
                Problem(
                    "units_missing",
                    f"catalogue {catalog.path} has no admin_unit layer; expected one, or "
                    "[units] path = 'FILE' in the scenario",
                )
            ],
        )
    level = spec.get("level", "county")
    from zoning.catalog import units_of_level

    return units_of_level(catalog, level), id_field, level


def _refuse_kinds_without_polygons(scenario: Scenario, layers: dict[str, Any]) -> None:
    """Statistics measure areas: a kind holding only lines (rivers) would report 0 km²."""
    import numpy as np
    import shapely

    def polygons(frame: Any) -> bool:
        return bool(np.isin(shapely.get_type_id(frame.geometry.to_numpy()), (3, 6)).any())

    lines = [k for k, frame in layers.items() if len(frame) and not polygons(frame)]
    if lines:
        raise ScenarioError(
            f"scenario {scenario.path}",
            [
                Problem(
                    "layer_not_polygon",
                    f"layers names {k!r}, which holds lines or points, no polygons; expected "
                    "kinds holding polygons (statistics measure areas and would report 0 km²); "
                    f"fix: remove {k!r} from layers",
                )
                for k in lines
            ],
        )


def _names(units: Any, id_field: str) -> dict[str, str]:
    if "name" not in units.columns:
        return {}
    return dict(zip(units[id_field].astype(str), units["name"].astype(str), strict=False))


def _wide(stats: pd.DataFrame) -> pd.DataFrame:
    """One row per unit, columns ``<kind>_<zone>_km2`` and ``<kind>_<zone>_pct``."""
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


def run_scenario(
    scenario: Scenario | str | Path,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    resume: bool = False,
    scheduler: str | None = None,
    progress: bool | None = None,
    docx: bool = False,
) -> RunResult:
    """Run a scenario and write its output folder atomically.

    Parameters
    ----------
    scenario : Scenario or path
        The scenario (loaded and validated when a path).
    out : path, optional
        Output folder; default ``runs/<scenario id>`` in the current folder.
    overwrite : bool
        Replace an existing output folder (only once the new one is complete).
    resume : bool
        Reuse the checkpoints of an interrupted run of the same scenario and inputs.
    scheduler : str, optional
        Dask scheduler address (or ``"local"``) for the statistics; default: this machine.
    progress : bool, optional
        Progress bars on stderr (default: when stderr is a terminal).
    docx : bool, default False
        Also write the statistics, screening and restoration reports as Word documents.

    Returns
    -------
    RunResult
        Output name → path, and ``folder``.

    Raises
    ------
    ScenarioError
        The scenario is invalid or names a layer the catalogue does not have.
    OutputExistsError
        ``out`` exists and ``overwrite`` is false.
    OutputBusyError
        Another run is writing ``out`` at this moment.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    target = Path(out) if out is not None else Path.cwd() / "runs" / sc.id
    from zoning.workspace import refuse_unsafe_output

    refuse_unsafe_output(target, _input_paths(sc))  # before any work: --overwrite deletes
    with output_lock(target):  # a second run into the same folder is refused, not interleaved
        return _run_into(
            sc,
            target,
            overwrite=overwrite,
            resume=resume,
            scheduler=scheduler,
            progress=progress,
            docx=docx,
        )


def _run_into(
    sc: Scenario,
    target: Path,
    *,
    overwrite: bool,
    resume: bool,
    scheduler: str | None,
    progress: bool | None,
    docx: bool = False,
) -> RunResult:
    if target.exists() and not overwrite:
        raise OutputExistsError(
            f"output folder {target} exists; expected a new folder, or pass --overwrite to "
            "replace it once the new run is complete"
        )
    stage = staging_dir(target)
    if stage.exists() and not resume:
        shutil.rmtree(stage)
    stage.mkdir(parents=True, exist_ok=True)
    log_path = stage / "run.log"
    handler = logging.FileHandler(log_path, mode="a" if resume else "w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    # only the statistics modules: others log timings, which would make reruns differ
    handler.addFilter(lambda r: r.name.split(".")[1] in _LOGGED if "." in r.name else False)
    root = logging.getLogger("zoning")
    root.addHandler(handler)
    old_level = root.level
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)
    try:
        result, inputs = _run(
            sc, stage, scheduler=scheduler, progress=progress, resume=resume, docx=docx
        )
    except KeyboardInterrupt:
        logger.warning("interrupted: checkpoints kept in %s; rerun with --resume", stage)
        raise
    except BaseException:
        root.removeHandler(handler)
        handler.close()
        shutil.rmtree(stage, ignore_errors=True)
        raise
    finally:
        root.setLevel(old_level)
    root.removeHandler(handler)
    handler.close()
    _finish(stage, target, result, sc, inputs=inputs, scheduler=scheduler, overwrite=overwrite)
    files = {name: target / p.relative_to(stage) for name, p in result.items()}
    files["manifest.json"] = target / "manifest.json"
    return RunResult(folder=target, files=files)


def _run(
    sc: Scenario,
    stage: Path,
    *,
    scheduler: str | None,
    progress: bool | None,
    resume: bool,
    docx: bool = False,
) -> tuple[dict[str, Path], dict[str, Any]]:

    from zoning import __version__
    from zoning.catalog import load_catalog
    from zoning.crs import ALBERS_CHINA
    from zoning.progress import step_bar

    bar = step_bar(  # the steps of _STEPS, named for the reader
        f"zoning run {sc.id}",
        [
            "load catalogue and units",
            "statistics",
            "roll-up",
            "overlaps",
            "strictest designation",
            "indicators",
            "screening",
            "restoration",
            "write outputs",
        ],
        enabled=progress,
    )
    logger.info("zoning %s: scenario %s (%s)", __version__, sc.id, sc.path.name)
    catalog = load_catalog(sc.catalog)
    kinds = list(sc.layers) if sc.layers else _polygon_kinds(catalog)
    missing = [k for k in kinds if k not in catalog.kinds]
    if missing:
        raise ScenarioError(
            f"scenario {sc.path}",
            [
                Problem(
                    "layer_not_in_catalog",
                    f"layer kind {k!r} is not in catalogue {catalog.path} (it has "
                    f"{', '.join(catalog.kinds)}); remove it from layers or add it to the "
                    "catalogue",
                )
                for k in missing
            ],
        )
    units, id_field, level = _units(sc, catalog)
    layers = {k: catalog.frame(k, crs=ALBERS_CHINA) for k in kinds}
    _refuse_kinds_without_polygons(sc, layers)
    targets_path = None
    if sc.stats.get("indicators") not in (False, None):
        from zoning.indicators import default_targets_path

        ind = sc.stats["indicators"]
        targets_path = default_targets_path() if ind == "default" else Path(ind)
    inputs = _inputs(sc, catalog, targets_path)
    base_key = _key(sc.parameters(), inputs, __version__, scheduler is not None)
    ck = _Checkpoints(stage / ".steps", base_key)
    logger.info("units: %d (%s, id %s); layers: %s", len(units), level or "file", id_field, kinds)
    bar.update(1)

    cache: dict[str, Any] = {}

    def _dissolved() -> Any:
        # one dissolve of the layers serves every unit set, the overlaps and the flattening
        if "d" not in cache:
            from zoning.stats import dissolve_layers

            cache["d"] = dissolve_layers(layers, crs=ALBERS_CHINA, n_jobs=os.cpu_count() or 1)
        return cache["d"]

    def _stats(u: Any) -> pd.DataFrame:
        if scheduler is not None or sc.stats.get("scale") == "dask":
            from zoning.scale import area_by_unit_dask

            return area_by_unit_dask(
                u, layers, unit_id=id_field, scheduler=scheduler, crs=ALBERS_CHINA
            )
        from zoning.stats import area_by_unit

        return area_by_unit(u, layers, unit_id=id_field, crs=ALBERS_CHINA, dissolved=_dissolved())

    stats = ck.frame("stats", lambda: _stats(units))
    logger.info("statistics: %d rows for %d units", len(stats), stats.unit_id.nunique())
    bar.update(1)

    names = _names(units, id_field)
    all_levels = [stats.assign(level=level or "unit")]
    recon = pd.DataFrame()
    rollups = sc.stats.get("rollup") or []
    if rollups and level == "county" and id_field == "adcode":
        from zoning.stats import parent_adcode, rollup

        checks = []
        for parent in rollups:
            up = rollup(stats, lambda u, p=parent: parent_adcode(u, p))
            direct_units = catalog.admin_units(parent)
            names.update(_names(direct_units, "adcode"))
            direct = ck.frame(f"direct_{parent}", lambda du=direct_units: _stats(du))
            all_levels.append(up.assign(level=parent))
            checks.append(_reconcile(up, direct, parent))
            logger.info(
                "roll-up to %s: %d units, checked against direct", parent, up.unit_id.nunique()
            )
        recon = pd.concat(checks, ignore_index=True)
    elif rollups:
        logger.info("roll-up skipped: needs county units with adcode ids")
    table = pd.concat(all_levels, ignore_index=True)
    table["unit_name"] = table.unit_id.map(names)
    bar.update(1)

    overlaps = pd.DataFrame()
    flat_areas = pd.DataFrame()
    flat = None
    if sc.stats.get("overlaps", True):
        from zoning.overlaps import (
            DEFAULT_ORDER,
            flatten_designations,
            flattened_areas,
            overlap_table,
        )

        overlaps = ck.frame(
            "overlaps",
            lambda: overlap_table(
                units,
                layers,
                unit_id=id_field,
                crs=ALBERS_CHINA,
                stats=stats,
                dissolved=_dissolved(),
            ),
        )
        logger.info("overlaps: %d rows", len(overlaps))
        bar.update(1)
        order = sc.stats.get("flatten_order") or DEFAULT_ORDER
        flat = ck.frame(
            "flatten", lambda: flatten_designations(layers, order=order, dissolved=_dissolved())
        )
        flat_areas = flattened_areas(units, flat, unit_id=id_field)
        logger.info("strictest designation: %d pieces", len(flat))
    else:
        bar.update(1)
    bar.update(1)

    indicators = pd.DataFrame()
    if targets_path is not None:
        from zoning.indicators import evaluate_indicators, load_targets

        indicators = evaluate_indicators(table, load_targets(targets_path))
        checked = indicators.dropna(subset=["value"])
        logger.info(
            "indicators: %d of %d computable, %d met",
            len(checked),
            len(indicators),
            int(checked.met.fillna(False).astype(bool).sum()),
        )
    bar.update(1)

    screened = _screening(sc, catalog)
    screening = _screening_table(screened) if screened is not None else None
    bar.update(1)
    restored = _restoration(sc)
    bar.update(1)

    files: dict[str, Path] = {}
    cols = [
        "unit_id",
        "layer_kind",
        "zone",
        "area_km2",
        "unit_area_km2",
        "share_pct",
        "level",
        "unit_name",
    ]
    tables = {"stats": table[cols]}
    if not overlaps.empty or sc.stats.get("overlaps", True):
        tables["overlaps"] = overlaps
        tables["flattened"] = flat_areas
    if targets_path is not None:
        tables["indicators"] = indicators
    if not recon.empty:
        tables["reconciliation"] = recon
    if screening is not None:
        tables["screening"] = screening
    for name, df in tables.items():
        files[f"{name}.csv"] = stage / f"{name}.csv"
        _write_csv(df, files[f"{name}.csv"])
    if sc.outputs.get("excel", True):
        files["stats.xlsx"] = stage / "stats.xlsx"
        _write_excel(tables, files["stats.xlsx"], sc, inputs)
    wide = _wide(stats)
    unit_frame = units[
        [id_field, *[c for c in ("name", "level") if c in units.columns], "geometry"]
    ]
    unit_frame = unit_frame.rename(columns={id_field: "unit_id"})
    unit_frame = unit_frame.assign(unit_id=unit_frame.unit_id.astype(str))
    unit_frame = unit_frame.merge(wide, left_on="unit_id", right_index=True, how="left")
    unit_frame = unit_frame.sort_values("unit_id", kind="stable").reset_index(drop=True)
    if sc.outputs.get("gpkg", True):
        files["units.gpkg"] = stage / "units.gpkg"
        gpkg_layers = {"units": unit_frame}
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
        if column in unit_frame.columns:
            files["map.html"] = stage / "map.html"
            map_page = _write_map(
                unit_frame,
                column,
                f"{sc.title}: {column} (for planning analysis, not an official map)",
                files["map.html"],
            )
            from zoning.maps.static import choropleth_png

            map_png = choropleth_png(
                unit_frame, column, legend_title=share_title(column), title=sc.title
            )
        else:
            logger.info("map skipped: no column %s", column)
    if sc.outputs.get("report", True):
        from zoning.stats_report import render_stats_report

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
        files["report.html"].write_text(page, encoding="utf-8")
    if docx:
        from zoning.docx_report import stats_docx

        files["report.docx"] = stats_docx(
            stage / "report.docx",
            title=sc.title,
            stats=tables["stats"],
            indicators=tables.get("indicators"),
            map_png=map_png,
            provenance=[
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
            ],
        )
    if screened is not None:  # the explained report of every site, as `zoning screen --out`
        from zoning.report import write_screening

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
    bar.update(1)
    bar.close()
    logger.info("outputs: %s", ", ".join(sorted(files)))
    files["run.log"] = stage / "run.log"
    return files, inputs


def _reconcile(up: pd.DataFrame, direct: pd.DataFrame, level: str) -> pd.DataFrame:
    key = ["unit_id", "layer_kind", "zone"]
    m = up.merge(direct, on=key, how="outer", suffixes=("_rollup", "_direct"))
    m = m.fillna({"area_km2_rollup": 0.0, "area_km2_direct": 0.0})
    m["difference_km2"] = m.area_km2_rollup - m.area_km2_direct
    denom = m.area_km2_direct.where(m.area_km2_direct > 0)
    m["difference_pct"] = 100 * m.difference_km2 / denom
    m["level"] = level
    return m[
        [
            "level",
            "unit_id",
            "layer_kind",
            "zone",
            "area_km2_rollup",
            "area_km2_direct",
            "difference_km2",
            "difference_pct",
            "unit_area_km2_rollup",
            "unit_area_km2_direct",
        ]
    ]


def _screening(sc: Scenario, catalog: Any) -> Any:
    """Screen the scenario's site list (a ScreeningResult), or None without [screening]."""
    if not sc.screening:
        return None
    from zoning.io import read_vector
    from zoning.screening import screen_sites

    sites = read_vector(sc.screening["sites"], layer=sc.screening.get("layer"))
    res = screen_sites(
        sites,
        catalog,
        sc.screening["project_type"],
        attrs=sc.screening.get("attrs"),
        site_id_field=sc.screening.get("site_id_field"),
    )
    logger.info("screening: %d sites for %s", len(res.sites), sc.screening["project_type"])
    return res


def _screening_table(res: Any) -> pd.DataFrame:
    out = pd.DataFrame(res.sites.drop(columns="geometry", errors="ignore"))
    for c in out.columns:
        if out[c].map(lambda v: isinstance(v, list | dict | tuple)).any():
            out[c] = out[c].map(lambda v: json.dumps(v, ensure_ascii=False, default=str))
    return out


def _restoration(sc: Scenario) -> Any:
    """Run the restoration scenario named in [restoration] (a RestorationResult), or None."""
    if not sc.restoration:
        return None
    from zoning.restoration.run import run_restoration
    from zoning.restoration.scenario import load_restoration_scenario

    result = run_restoration(load_restoration_scenario(sc.restoration["scenario"]))
    logger.info("restoration: scenario %s", Path(sc.restoration["scenario"]).name)
    return result


def _input_paths(sc: Scenario) -> list[tuple[str, Any]]:
    """Every input file of a scenario (description, path) that an output must not hold."""
    from zoning.workspace import catalog_inputs

    found: list[tuple[str, Any]] = [("scenario", sc.path)]
    if not sc.catalog_is_demo:
        found += catalog_inputs(sc.catalog)
    found.append(("units file", sc.units.get("path")))
    if sc.screening:
        found.append(("site file", sc.screening.get("sites")))
    if sc.restoration:
        found.append(("restoration scenario", sc.restoration.get("scenario")))
    ind = sc.stats.get("indicators")
    if isinstance(ind, str | Path) and ind != "default":
        found.append(("indicator targets", ind))
    return found


def _inputs(sc: Scenario, catalog: Any, targets: Path | None) -> dict[str, Any]:
    """Input files with their checksums (scenario, catalogue and its layers, units, targets)."""
    inputs: dict[str, Any] = {
        "scenario": {"path": sc.path.name, "sha256": _sha256(sc.path)},
        "catalog": {
            "path": "demo" if sc.catalog_is_demo else str(sc.catalog),
            "sha256": _sha256(Path(sc.catalog)),
        },
    }
    prov = catalog.provenance()
    inputs["layers"] = [
        {k: layer.get(k) for k in ("name", "kind", "sha256", "vintage", "illustrative", "licence")}
        for layer in prov.get("layers", [])
    ]
    if sc.units.get("path"):
        inputs["units"] = {"path": str(sc.units["path"]), "sha256": _sha256(sc.units["path"])}
    if targets is not None:
        inputs["targets"] = {"path": targets.name, "sha256": _sha256(targets)}
    if sc.screening and sc.screening.get("sites"):
        p = Path(sc.screening["sites"])
        inputs["sites"] = {"path": p.name, "sha256": _sha256(p)}
    if sc.restoration:
        p = Path(sc.restoration["scenario"])
        inputs["restoration_scenario"] = {"path": p.name, "sha256": _sha256(p)}
    return inputs


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    import shapely

    from zoning import __version__

    out = {"zoning": __version__, "python": platform.python_version()}
    for pkg in ("geopandas", "shapely", "pyproj", "pandas", "numpy", "pyogrio", "dask"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    out["geos"] = shapely.geos_version_string
    try:
        import pyproj

        out["proj"] = pyproj.proj_version_str
    except ImportError:  # pragma: no cover
        pass
    return out


def _rulepacks() -> list[dict[str, Any]]:
    try:
        from zoning.rules import load_rulepacks

        return [p.provenance() for p in load_rulepacks()]
    except (ImportError, AttributeError, TypeError):
        return []


def _finish(
    stage: Path,
    target: Path,
    files: dict[str, Path],
    sc: Scenario,
    *,
    inputs: dict[str, Any],
    scheduler: str | None,
    overwrite: bool = True,
) -> None:
    from zoning.crs import ALBERS_CHINA

    steps = stage / ".steps"
    if steps.exists():
        shutil.rmtree(steps)
    manifest = {
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "scenario": sc.raw,
        "parameters": sc.parameters(),
        "scheduler": scheduler,
        "crs": f"{ALBERS_CHINA.name} (+proj=aea +lat_1=25 +lat_2=47 +lon_0=105, CGCS2000)",
        "inputs": inputs,
        "versions": _versions(),
        "rule_packs": _rulepacks(),
        "outputs": {
            name: {"sha256": _sha256(p), "bytes": p.stat().st_size}
            for name, p in sorted(files.items())
        },
        "note": "for planning analysis, not an official map; illustrative layers are labelled "
        "in inputs.layers",
    }
    (stage / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    files["manifest.json"] = stage / "manifest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    from zoning.errors import OutputExistsError
    from zoning.workspace import publish

    try:  # a folder that appeared at the target meanwhile is not replaced (unless overwrite)
        publish(stage, target, overwrite=overwrite)
    except OutputExistsError:
        shutil.rmtree(stage, ignore_errors=True)
        raise
