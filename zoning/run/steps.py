"""The analysis steps of a run, one function each: units, statistics, roll-up, overlaps.

Every step reads what the earlier ones produced from a :class:`RunContext` (the scenario, the
catalogue, the units and the projected layers) and returns its tables; the expensive ones are
checkpointed (:class:`~zoning.run.checkpoints.Checkpoints`) so an interrupted run resumes.
The steps write no file: :mod:`zoning.run.outputs` does.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from zoning.errors import Problem, ScenarioError
from zoning.run.checkpoints import Checkpoints
from zoning.scenario import Scenario

__all__ = [
    "RunContext",
    "evaluate_indicators_step",
    "flatten_step",
    "load_units",
    "overlaps_step",
    "refuse_kinds_without_polygons",
    "restoration_step",
    "rollup_step",
    "screening_step",
    "screening_table",
    "select_kinds",
    "unit_names",
]

logger = logging.getLogger("zoning.runner")  # run.log keeps the runner's records by this name


@dataclass
class RunContext:
    """What the steps of one run share.

    Attributes
    ----------
    sc : Scenario
        The scenario.
    catalog : Catalog
        Its catalogue.
    units : GeoDataFrame
        The units the statistics are computed for.
    id_field : str
        The units' id column.
    level : str or None
        The administrative level of the units, None for a units file.
    layers : dict of str to GeoDataFrame
        The layer kinds measured, projected to Albers.
    checkpoints : Checkpoints
        Where finished steps are kept.
    scheduler : str or None
        A Dask scheduler for the statistics, None for this machine.
    """

    sc: Scenario
    catalog: Any
    units: Any
    id_field: str
    level: str | None
    layers: dict[str, Any]
    checkpoints: Checkpoints
    scheduler: str | None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def dissolved(self) -> Any:
        """Dissolve the layers once: it serves every unit set, the overlaps and the flattening.

        Returns
        -------
        DissolvedLayers
            From :func:`zoning.stats.dissolve_layers`.
        """
        if "d" not in self._cache:
            from zoning.crs import ALBERS_CHINA
            from zoning.stats import dissolve_layers

            self._cache["d"] = dissolve_layers(
                self.layers, crs=ALBERS_CHINA, n_jobs=os.cpu_count() or 1
            )
        return self._cache["d"]

    def area_by_unit(self, units: Any) -> pd.DataFrame:
        """Measure the layers in ``units`` (here, or on the Dask scheduler).

        Parameters
        ----------
        units : GeoDataFrame
            The units (with the run's id field).

        Returns
        -------
        DataFrame
            One row per unit, layer kind and zone (:func:`zoning.stats.area_by_unit`).
        """
        from zoning.crs import ALBERS_CHINA

        sc = self.sc
        if self.scheduler is not None or sc.stats.get("scale") == "dask":
            from zoning.stats import area_by_unit_dask

            return area_by_unit_dask(
                units,
                self.layers,
                unit_id=self.id_field,
                scheduler=self.scheduler,
                crs=ALBERS_CHINA,
            )
        from zoning.stats import area_by_unit

        return area_by_unit(
            units, self.layers, unit_id=self.id_field, crs=ALBERS_CHINA, dissolved=self.dissolved()
        )


def select_kinds(sc: Scenario, catalog: Any) -> list[str]:
    """Choose the layer kinds a run measures (:func:`zoning.stats.choose_kinds`).

    Parameters
    ----------
    sc : Scenario
        The scenario (its ``layers``, else every polygon kind).
    catalog : Catalog
        The catalogue.

    Returns
    -------
    list of str
        The kinds.

    Raises
    ------
    ScenarioError
        A kind named in the scenario is not in the catalogue.
    """
    from zoning.stats import choose_kinds

    return choose_kinds(catalog, sc.layers, scenario=sc.path)


def load_units(scenario: Scenario, catalog: Any) -> tuple[Any, str, str | None]:
    """Load the units of a run: a units file, or the catalogue's units of one level.

    Parameters
    ----------
    scenario : Scenario
        The scenario (its ``[units]``).
    catalog : Catalog
        The catalogue.

    Returns
    -------
    tuple
        (units frame, id field, level or None).

    Raises
    ------
    ScenarioError
        No units file and no ``admin_unit`` layer in the catalogue.
    """
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


def refuse_kinds_without_polygons(scenario: Scenario, layers: dict[str, Any]) -> None:
    """Refuse layer kinds holding no polygons: statistics measure areas (lines would give 0 km²).

    Parameters
    ----------
    scenario : Scenario
        The scenario (named in the error).
    layers : dict of str to GeoDataFrame
        The layers to measure.

    Raises
    ------
    ScenarioError
        One problem per kind that holds lines or points only.
    """
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


def unit_names(units: Any, id_field: str) -> dict[str, str]:
    """Map unit id → name (empty when the units have no ``name`` column).

    Parameters
    ----------
    units : GeoDataFrame
        The units.
    id_field : str
        Their id column.

    Returns
    -------
    dict of str to str
        Id → name.
    """
    if "name" not in units.columns:
        return {}
    return dict(zip(units[id_field].astype(str), units["name"].astype(str), strict=False))


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


def rollup_step(ctx: RunContext, stats: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Roll county statistics up to the scenario's levels, each checked against a direct run.

    Parameters
    ----------
    ctx : RunContext
        The run.
    stats : DataFrame
        The statistics of the run's units.

    Returns
    -------
    tuple of DataFrame
        (every level's statistics with ``level`` and ``unit_name``, the reconciliation table —
        empty without roll-ups).
    """
    sc, level, id_field = ctx.sc, ctx.level, ctx.id_field
    names = unit_names(ctx.units, id_field)
    all_levels = [stats.assign(level=level or "unit")]
    recon = pd.DataFrame()
    rollups = sc.stats.get("rollup") or []
    if rollups and level == "county" and id_field == "adcode":
        from zoning.stats import parent_adcode, rollup

        checks = []
        for parent in rollups:
            up = rollup(stats, functools.partial(parent_adcode, level=parent))
            direct_units = ctx.catalog.admin_units(parent)
            names.update(unit_names(direct_units, "adcode"))
            direct = ctx.checkpoints.frame(
                f"direct_{parent}", functools.partial(ctx.area_by_unit, direct_units)
            )
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
    return table, recon


def overlaps_step(ctx: RunContext, stats: pd.DataFrame) -> pd.DataFrame:
    """Measure where the designations overlap in each unit.

    Parameters
    ----------
    ctx : RunContext
        The run.
    stats : DataFrame
        The statistics of the run's units.

    Returns
    -------
    DataFrame
        The overlap table (:func:`zoning.stats.overlaps.overlap_table`).
    """
    from zoning.crs import ALBERS_CHINA
    from zoning.stats import overlap_table

    overlaps = ctx.checkpoints.frame(
        "overlaps",
        lambda: overlap_table(
            ctx.units,
            ctx.layers,
            unit_id=ctx.id_field,
            crs=ALBERS_CHINA,
            stats=stats,
            dissolved=ctx.dissolved(),
        ),
    )
    logger.info("overlaps: %d rows", len(overlaps))
    return overlaps


def flatten_step(ctx: RunContext) -> tuple[Any, pd.DataFrame]:
    """Flatten the designations (the strictest wins) and measure the result in each unit.

    Parameters
    ----------
    ctx : RunContext
        The run (its scenario's ``flatten_order``, else the default order).

    Returns
    -------
    tuple
        (the flattened pieces, their areas per unit).
    """
    from zoning.stats import DEFAULT_ORDER, flatten_designations, flattened_areas

    order = ctx.sc.stats.get("flatten_order") or DEFAULT_ORDER
    flat = ctx.checkpoints.frame(
        "flatten",
        lambda: flatten_designations(ctx.layers, order=order, dissolved=ctx.dissolved()),
    )
    flat_areas = flattened_areas(ctx.units, flat, unit_id=ctx.id_field)
    logger.info("strictest designation: %d pieces", len(flat))
    return flat, flat_areas


def evaluate_indicators_step(table: pd.DataFrame, targets_path: Path) -> pd.DataFrame:
    """Evaluate the indicator targets on the statistics of every level.

    Parameters
    ----------
    table : DataFrame
        The statistics of every level.
    targets_path : Path
        The targets file.

    Returns
    -------
    DataFrame
        One row per target (:func:`zoning.stats.indicators.evaluate_indicators`).
    """
    from zoning.stats.indicators import evaluate_indicators, load_targets

    indicators = evaluate_indicators(table, load_targets(targets_path))
    checked = indicators.dropna(subset=["value"])
    logger.info(
        "indicators: %d of %d computable, %d met",
        len(checked),
        len(indicators),
        int(checked.met.fillna(False).astype(bool).sum()),
    )
    return indicators


def screening_step(sc: Scenario, catalog: Any) -> Any:
    """Screen the scenario's site list (a ScreeningResult), or None without ``[screening]``.

    Parameters
    ----------
    sc : Scenario
        The scenario.
    catalog : Catalog
        The catalogue.

    Returns
    -------
    ScreeningResult or None
        The screened sites.
    """
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


def screening_table(res: Any) -> pd.DataFrame:
    """Flatten a screening result's sites into a table (lists and dicts as JSON text).

    Parameters
    ----------
    res : ScreeningResult
        The screened sites.

    Returns
    -------
    DataFrame
        One row per site, no geometry.
    """
    out = pd.DataFrame(res.sites.drop(columns="geometry", errors="ignore"))
    for c in out.columns:
        if out[c].map(lambda v: isinstance(v, list | dict | tuple)).any():
            out[c] = out[c].map(lambda v: json.dumps(v, ensure_ascii=False, default=str))
    return out


def restoration_step(sc: Scenario) -> Any:
    """Run the restoration scenario named in ``[restoration]`` (a RestorationResult), or None.

    Parameters
    ----------
    sc : Scenario
        The scenario.

    Returns
    -------
    RestorationResult or None
        The scored and ranked units.
    """
    if not sc.restoration:
        return None
    from zoning.restoration.run import run_restoration
    from zoning.restoration.scenario import load_restoration_scenario

    result = run_restoration(load_restoration_scenario(sc.restoration["scenario"]))
    logger.info("restoration: scenario %s", Path(sc.restoration["scenario"]).name)
    return result
