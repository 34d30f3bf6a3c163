"""Run a restoration scenario: units, criteria, weights, scores, classes and the portfolio.

:func:`run_restoration` takes a validated :class:`~zoning.restoration.scenario.RestorationScenario`
and computes everything in memory (a :class:`RestorationResult`);
:func:`zoning.restoration.outputs.write_outputs` writes the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zoning.errors import CriteriaError, Problem, ScenarioError
from zoning.restoration.scenario import RestorationScenario
from zoning.spec.schema import resolve_path

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["RestorationResult", "run_restoration"]


@dataclass
class RestorationResult:
    """Everything a restoration run computed (written by ``write_outputs``)."""

    scenario: RestorationScenario
    units: gpd.GeoDataFrame
    weights: dict[str, float]
    consistency_ratio: float | None
    criteria_grid: dict[str, np.ndarray]
    grid_transform: Any
    grid_crs: Any
    portfolio: Any | None
    curve: pd.DataFrame
    provenance: dict[str, Any]


class _Context:
    """Lazy access to the catalogue, rasters and layers of one run."""

    def __init__(self, scenario: RestorationScenario):
        self.scenario = scenario
        self._catalog = None
        self._frames: dict[str, Any] = {}

    @property
    def catalog(self):
        if self._catalog is None:
            from zoning.catalog import load_catalog

            ref = self.scenario.catalog
            if ref is None:
                raise ScenarioError(
                    "restoration scenario",
                    [
                        Problem(
                            "no_catalog",
                            "A layer names a catalogue `kind` but the scenario "
                            'has no `catalog`; expected catalog = "demo" or a path.',
                        )
                    ],
                )
            if ref == "demo":
                from zoning.datasets import demo_catalog_path

                path = demo_catalog_path()
            else:
                path = resolve_path(str(ref), self.scenario.base_dir)
            self._catalog = load_catalog(path)
        return self._catalog

    def layer(self, ref: dict[str, Any]) -> gpd.GeoDataFrame:
        """Return a vector layer from a reference ``{kind|path, zones?, names?, where?, level?}``."""
        if "kind" in ref:
            frame = self.catalog.frame(ref["kind"])
        else:
            from zoning.io import read_vector

            path = resolve_path(str(ref["path"]), self.scenario.base_dir)
            frame = read_vector(path, layer=ref.get("layer"), crs=ref.get("crs"))
        if "zones" in ref:
            frame = frame[frame["zone"].isin(list(ref["zones"]))]
        if "level" in ref:
            frame = frame[frame["level"] == ref["level"]]
        if "names" in ref:
            if "name" not in frame.columns:
                raise ScenarioError(
                    "restoration scenario",
                    [
                        Problem(
                            "no_name_column",
                            f"Layer {ref.get('kind', ref.get('path'))!r} has no `name` column "
                            "to select `names` from; expected a catalogue kind or a file with "
                            "a `name` column. Use `where = {column = [values]}` instead.",
                        )
                    ],
                )
            wanted = list(ref["names"])
            found = set(frame["name"])
            missing = [n for n in wanted if n not in found]
            if missing:
                raise ScenarioError(
                    "restoration scenario",
                    [
                        Problem(
                            "unknown_names",
                            f"Names {missing} are not in layer "
                            f"{ref.get('kind', ref.get('path'))!r}; expected values of its "
                            "`name` column.",
                        )
                    ],
                )
            frame = frame[frame["name"].isin(wanted)]
        for col, val in (ref.get("where") or {}).items():
            if col not in frame.columns:
                raise ScenarioError(
                    "restoration scenario",
                    [
                        Problem(
                            "unknown_column",
                            f"Filter column {col!r} is not in layer "
                            f"{ref.get('kind', ref.get('path'))!r} (columns: "
                            f"{[c for c in frame.columns if c != 'geometry']}).",
                        )
                    ],
                )
            vals = val if isinstance(val, list) else [val]
            frame = frame[frame[col].isin(vals)]
        return frame


def _piecewise(points: list[list[float]]):
    xs = np.array([p[0] for p in points], dtype=float)
    ys = np.array([p[1] for p in points], dtype=float)
    order = np.argsort(xs)

    def f(v: pd.Series) -> np.ndarray:
        out = np.interp(v.to_numpy(dtype=float), xs[order], ys[order])
        return np.where(np.isnan(v.to_numpy(dtype=float)), np.nan, out)

    return f


def _build_units(ctx: _Context) -> gpd.GeoDataFrame:
    from zoning.restoration.units import assign_admin, grid_units, polygon_units

    sc = ctx.scenario
    spec = sc.units
    study = None
    if sc.study_area:
        study = ctx.layer(sc.study_area)
        if len(study) == 0:
            raise ScenarioError(
                "restoration scenario",
                [
                    Problem(
                        "empty_study_area",
                        f"The study area {sc.study_area} selects no "
                        "features; expected at least one polygon.",
                    )
                ],
            )
    if "grid_m" in spec:
        units = grid_units(
            study,
            cell_size_m=float(spec["grid_m"]),
            min_area_share=float(spec.get("min_area_share", 0.0)),
        )
    else:
        layer = ctx.layer(spec)
        units = polygon_units(layer, id_field=spec.get("id_field"))
    if sc.catalog is not None and "admin_unit" in ctx.catalog.kinds:
        admin = ctx.catalog.frame("admin_unit")
        counties = admin[admin["level"] == "county"]
        units = assign_admin(units, counties, columns=("name", "city", "adcode"))
    return units


def run_restoration(scenario: RestorationScenario) -> RestorationResult:
    """Compute units, criteria, scores, classes, the portfolio and the ranking curve."""
    from zoning.restoration import criteria as cr
    from zoning.restoration.portfolio import ranking_curve
    from zoning.restoration.scoring import (
        ahp_weights,
        check_weights,
        classify,
        normalize,
        score_units,
    )

    ctx = _Context(scenario)
    units = _build_units(ctx)
    crs = units.crs
    transform, shape = cr.raster_grid(units, resolution_m=scenario.raster_resolution_m)
    grids: dict[str, np.ndarray] = {}

    def raster(name: str) -> np.ndarray:
        if name not in grids:
            spec = scenario.rasters[name]
            grids[name] = cr.align_raster(
                resolve_path(str(spec["path"]), scenario.base_dir),
                crs=crs,
                transform=transform,
                shape=shape,
                resampling=spec.get("resampling", "nearest"),
                source_crs=spec.get("crs"),
            )
        return grids[name]

    raw = pd.DataFrame(index=units.index)
    criteria_grid: dict[str, np.ndarray] = {}
    cell_m = abs(transform.a)
    for c in scenario.criteria:
        ctype, name = c["type"], c["name"]
        if ctype == "coverage":
            raw[name] = cr.coverage_share(units, ctx.layer(c["layer"]))
        elif ctype == "distance":
            raw[name] = cr.distance_km(
                units, ctx.layer(c["layer"]), max_km=float(c.get("max_km", 50.0))
            )
        elif ctype == "erosion":
            slope = None
            if "dem" in c:
                slope = cr.slope_degrees(raster(c["dem"]), cell_size_m=cell_m)
            rain = raster(c["rainfall"]) if "rainfall" in c else c.get("rainfall_factor")
            criteria_grid[name] = cr.erosion_index(
                raster(c["landcover"]), slope_deg=slope, rainfall_factor=rain
            )
        elif ctype == "vegetation":
            table = {int(k): float(v) for k, v in (c.get("table") or {}).items()} or None
            criteria_grid[name] = cr.vegetation_degradation(raster(c["landcover"]), table)
        elif ctype == "raster":
            criteria_grid[name] = raster(c["raster"])
    if criteria_grid:
        means = cr.unit_means(units, criteria_grid, transform=transform, crs=crs)
        for name in criteria_grid:
            raw[name] = means[name]
    # interventions and cost (cost criteria need them)
    rules = [dict(iv) for iv in scenario.interventions]
    intervention = cr.assign_interventions(raw, rules) if rules else None
    cost = None
    if intervention is not None:
        rates = {iv["name"]: float(iv["cost_per_ha"]) for iv in rules}
        cost = cr.intervention_cost(units["area_ha"], intervention, rates)
        for c in scenario.criteria:
            if c["type"] == "cost":
                raw[c["name"]] = intervention.map(lambda k, r=rates: r.get(k, np.nan))
    # normalise
    norm = pd.DataFrame(index=units.index)
    for c in scenario.criteria:
        method = c.get("normalize", "minmax")
        if isinstance(method, dict):
            method = _piecewise(method["piecewise"])
        norm[c["name"]] = normalize(
            raw[c["name"]],
            method=method,
            direction=c.get("direction", "benefit"),
            on_constant=c.get("on_constant", "error"),
            fill=c.get("fill", 0.0),
            name=c["name"],
        )
    # weights
    cr_value = None
    if scenario.weights.get("method", "direct") == "ahp":
        names = scenario.weights.get("criteria") or [c["name"] for c in scenario.criteria]
        weights, cr_value = ahp_weights(
            scenario.weights["matrix"], names, max_cr=float(scenario.weights.get("max_cr", 0.1))
        )
    else:
        weights = check_weights({c["name"]: float(c["weight"]) for c in scenario.criteria})
    scored = score_units(norm, weights)
    classes = classify(
        scored["score"],
        method=scenario.classes.get("method", "quantile"),
        k=int(scenario.classes.get("k", 5)),
    )
    out = units.copy()
    for name in raw.columns:
        out[f"raw_{name}"] = raw[name]
        out[f"norm_{name}"] = norm[name]
    for col in scored.columns:
        out[col] = scored[col]
    out["priority_class"] = classes
    if intervention is not None:
        out["intervention"] = intervention
        out["cost"] = cost
    benefit = out["score"] * out["area_ha"]
    out["benefit"] = benefit
    result_portfolio = None
    if scenario.portfolio is not None:
        result_portfolio = _solve_portfolio(ctx, out, scenario.portfolio)
        out["selected"] = result_portfolio.selected
        out["locked"] = _locks_column(out)
    curve = ranking_curve(out["score"], out["area_ha"], benefit)
    provenance: dict[str, Any] = {"scenario": scenario.name, "illustrative": scenario.illustrative}
    if scenario.catalog is not None:
        try:
            provenance["catalog"] = ctx.catalog.provenance()
        except Exception as exc:  # provenance must never break a run
            provenance["catalog"] = {"error": str(exc)}
    return RestorationResult(
        scenario=scenario,
        units=out,
        weights=weights,
        consistency_ratio=cr_value,
        criteria_grid=dict(criteria_grid.items()),
        grid_transform=transform,
        grid_crs=crs,
        portfolio=result_portfolio,
        curve=curve,
        provenance=provenance,
    )


def _locks_column(out: pd.DataFrame) -> pd.Series:
    locked = pd.Series("", index=out.index, dtype=object)
    if "_locked_in" in out:
        locked[out.pop("_locked_in")] = "in"
    if "_locked_out" in out:
        locked[out.pop("_locked_out")] = "out"
    return locked


def _lock_mask(ctx: _Context, units, specs) -> pd.Series:
    from zoning.restoration.criteria import coverage_share

    mask = pd.Series(False, index=units.index)
    for spec in specs or []:
        share = coverage_share(units, ctx.layer(spec["layer"]))
        mask |= share >= float(spec.get("min_share", 0.5))
    return mask


def _solve_portfolio(ctx: _Context, out: gpd.GeoDataFrame, spec: dict[str, Any]):
    from zoning.restoration.portfolio import select_portfolio

    lock_in = _lock_mask(ctx, out, spec.get("locked_in"))
    lock_out = _lock_mask(ctx, out, spec.get("locked_out"))
    both = lock_in & lock_out
    if both.any():  # a legal exclusion wins over a wish to restore
        lock_in &= ~both
    out["_locked_in"] = lock_in
    out["_locked_out"] = lock_out
    groups = None
    targets = None
    tspec = spec.get("area_targets")
    if tspec:
        by = tspec["by"]
        col = {"intervention": "intervention", "county": "county_name", "city": "county_city"}[by]
        if col not in out.columns:
            raise CriteriaError(
                f"Area targets by {by!r} need column {col!r}, which the units lack; expected "
                "interventions or a catalogue with admin units."
            )
        groups = out[col].astype(str)
        targets = {str(k): float(v) for k, v in (tspec.get("targets") or {}).items()}
    return select_portfolio(
        out["benefit"],
        out["cost"],
        budget=float(spec["budget"]),
        area=out["area_ha"],
        groups=groups,
        area_targets=targets,
        locked_in=lock_in,
        locked_out=lock_out,
        time_limit=float(spec.get("time_limit_s", 60.0)),
        mip_rel_gap=float(spec.get("mip_rel_gap", 1e-4)),
    )
