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

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from zoning.errors import OutputExistsError
from zoning.io.outlock import output_lock
from zoning.io.siblings import hidden_sibling
from zoning.io.workspace import refuse_unsafe_output
from zoning.run import steps
from zoning.run.checkpoints import Checkpoints, step_key
from zoning.run.inputs import input_checksums, input_paths
from zoning.run.manifest import publish_run, write_manifest
from zoning.run.outputs import output_tables, unit_frame, write_run_outputs
from zoning.scenario import Scenario, load_scenario

__all__ = ["RunResult", "run_scenario", "staging_dir"]

logger = logging.getLogger("zoning.runner")  # run.log keeps the runner's records by this name

#: the loggers (second part of the name) whose records go into run.log: the others log
#: timings, which would make reruns differ
_LOGGED = {"runner", "stats", "overlaps", "scale", "indicators", "scenario"}
#: the steps of a run, as the progress bar names them
_STEPS = (
    "load catalogue and units",
    "statistics",
    "roll-up",
    "overlaps",
    "strictest designation",
    "indicators",
    "screening",
    "restoration",
    "write outputs",
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
    """Return the hidden staging folder of a run whose output folder is ``out``.

    Parameters
    ----------
    out : Path
        The output folder.

    Returns
    -------
    Path
        ``.<name>.partial`` beside it (shortened when the name is long).
    """
    return hidden_sibling(out, "partial")


def run_scenario(
    scenario: Scenario | str | Path,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    resume: bool = False,
    scheduler: str | None = None,
    progress: bool | None = None,
    docx: bool = False,
    before_publish: Callable[[RunResult, Path], None] | None = None,
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
    before_publish : callable, optional
        Called with the finished run, still in its staging folder, and the output folder it
        is about to be published as (e.g. to write its statistics to a database under the
        folder's name). If it raises, nothing is published: the staging folder is removed and
        an existing output folder is left as it was.

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
    refuse_unsafe_output(target, input_paths(sc))  # before any work: --overwrite deletes
    with output_lock(target):  # a second run into the same folder is refused, not interleaved
        return _run_into(
            sc,
            target,
            overwrite=overwrite,
            resume=resume,
            scheduler=scheduler,
            progress=progress,
            docx=docx,
            before_publish=before_publish,
        )


def _run_log(log_path: Path, *, resume: bool) -> logging.FileHandler:
    handler = logging.FileHandler(log_path, mode="a" if resume else "w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    # only the statistics modules: others log timings, which would make reruns differ
    handler.addFilter(lambda r: r.name.split(".")[1] in _LOGGED if "." in r.name else False)
    return handler


def _run_into(
    sc: Scenario,
    target: Path,
    *,
    overwrite: bool,
    resume: bool,
    scheduler: str | None,
    progress: bool | None,
    docx: bool = False,
    before_publish: Callable[[RunResult, Path], None] | None = None,
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
    handler = _run_log(stage / "run.log", resume=resume)
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
    shutil.rmtree(stage / ".steps", ignore_errors=True)
    write_manifest(stage, result, sc, inputs=inputs, scheduler=scheduler)
    if before_publish is not None:
        try:
            before_publish(RunResult(folder=stage, files=dict(result)), target)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
    publish_run(stage, target, overwrite=overwrite)
    files = {name: target / p.relative_to(stage) for name, p in result.items()}
    return RunResult(folder=target, files=files)


def _load(
    sc: Scenario, stage: Path, scheduler: str | None
) -> tuple[steps.RunContext, Path | None, dict[str, Any]]:
    """Load the catalogue, the units and the layers; key the checkpoints on the inputs."""
    from zoning import __version__
    from zoning.catalog import load_catalog
    from zoning.crs import ALBERS_CHINA

    catalog = load_catalog(sc.catalog)
    kinds = steps.select_kinds(sc, catalog)
    units, id_field, level = steps.load_units(sc, catalog)
    layers = {k: catalog.frame(k, crs=ALBERS_CHINA) for k in kinds}
    steps.refuse_kinds_without_polygons(sc, layers)
    targets_path = None
    if sc.stats.get("indicators") not in (False, None):
        from zoning.stats.indicators import default_targets_path

        ind = sc.stats["indicators"]
        targets_path = default_targets_path() if ind == "default" else Path(ind)
    inputs = input_checksums(sc, catalog, targets_path)
    base_key = step_key(sc.parameters(), inputs, __version__, scheduler is not None)
    ctx = steps.RunContext(
        sc=sc,
        catalog=catalog,
        units=units,
        id_field=id_field,
        level=level,
        layers=layers,
        checkpoints=Checkpoints(stage / ".steps", base_key),
        scheduler=scheduler,
    )
    logger.info("units: %d (%s, id %s); layers: %s", len(units), level or "file", id_field, kinds)
    return ctx, targets_path, inputs


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
    from zoning.progress import step_bar

    bar = step_bar(f"zoning run {sc.id}", list(_STEPS), enabled=progress)
    logger.info("zoning %s: scenario %s (%s)", __version__, sc.id, sc.path.name)
    ctx, targets_path, inputs = _load(sc, stage, scheduler)
    bar.update(1)

    stats = ctx.checkpoints.frame("stats", lambda: ctx.area_by_unit(ctx.units))
    logger.info("statistics: %d rows for %d units", len(stats), stats.unit_id.nunique())
    bar.update(1)

    table, recon = steps.rollup_step(ctx, stats)
    bar.update(1)

    overlaps = pd.DataFrame()
    flat_areas = pd.DataFrame()
    flat = None
    if sc.stats.get("overlaps", True):
        overlaps = steps.overlaps_step(ctx, stats)
        bar.update(1)
        flat, flat_areas = steps.flatten_step(ctx)
    else:
        bar.update(1)
    bar.update(1)

    indicators = None
    if targets_path is not None:
        indicators = steps.evaluate_indicators_step(table, targets_path)
    bar.update(1)

    screened = steps.screening_step(sc, ctx.catalog)
    screening = steps.screening_table(screened) if screened is not None else None
    bar.update(1)
    restored = steps.restoration_step(sc)
    bar.update(1)

    tables = output_tables(
        sc,
        table,
        overlaps=overlaps,
        flat_areas=flat_areas,
        indicators=indicators,
        reconciliation=recon,
        screening=screening,
    )
    files = write_run_outputs(
        stage,
        sc,
        tables,
        units_with_figures=unit_frame(ctx.units, ctx.id_field, stats),
        flat=flat,
        inputs=inputs,
        screened=screened,
        restored=restored,
        docx=docx,
    )
    bar.update(1)
    bar.close()
    logger.info("outputs: %s", ", ".join(sorted(files)))
    files["run.log"] = stage / "run.log"
    return files, inputs
