"""Scenarios: a batch run declared in TOML, validated before anything runs.

A scenario names the catalogue, the units, the layers, the tables and the outputs of one run of
``zoning run`` (:mod:`zoning.run`). Paths are relative to the scenario file; the catalogue
may be the literal ``"demo"`` (the Shanxi demo, :func:`zoning.datasets.demo_catalog_path`).

.. code-block:: toml

    schema_version = 1
    id = "demo_province_stats"           # names the output folder
    title = "Shanxi demo: zoning statistics"
    catalog = "demo"                     # or "data/catalog.toml"
    layers = ["eco_redline", "protected_area"]   # optional; default every polygon kind

    [units]                              # default: the catalogue's counties
    level = "county"                     # admin_unit level, or:
    # path = "units.gpkg"                # a unit file
    # layer = "counties"
    id_field = "adcode"

    [stats]
    rollup = ["city", "province"]        # by adcode, checked against a direct computation
    overlaps = true                      # pairwise overlaps + strictest-designation-wins layer
    indicators = "default"               # targets table: "default", a CSV path, or false
    # flatten_order = ["eco_redline:core", "protected_area:core", ...]

    [outputs]
    excel = true
    gpkg = true
    map = true
    map_layer = "eco_redline"            # choropleth of this kind's share
    report = true                        # report.html: every table, the map, provenance

    [screening]                          # optional: screen a site list (zoning.screening)
    sites = "sites.geojson"
    project_type = "solar_pv"

    [restoration]                        # optional: run a restoration scenario too
    scenario = "demo_restoration.toml"   # written to <out>/restoration/ (see zoning restore)
    # or the restoration scenario itself, as a section: [restoration.units] grid_m = 1000,
    # [[restoration.criteria]] …, exactly the tables of a restoration scenario file

The file is checked against its declaration (:data:`zoning.spec.files.SCENARIO`: value types
with their key paths) and then for what a declaration cannot say. Validation collects every
problem (unknown keys, missing files, unknown layer kinds, wrong types) and :func:`load_scenario` raises one :class:`~zoning.errors.ScenarioError` listing them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoning.errors import InputFileError, Problem, ScenarioError
from zoning.spec.files import RESTORATION, SCENARIO
from zoning.spec.reading import read_toml
from zoning.spec.schema import check, resolve_path

__all__ = [
    "SCHEMA_VERSION",
    "Scenario",
    "load_scenario",
    "validate_scenario",
]

SCHEMA_VERSION = 1

_TOP_KEYS = SCENARIO.keys()
_UNIT_KEYS = SCENARIO.fields["units"].keys()  # type: ignore[attr-defined]
_STATS_KEYS = SCENARIO.fields["stats"].keys()  # type: ignore[attr-defined]
_OUTPUT_KEYS = SCENARIO.fields["outputs"].keys()  # type: ignore[attr-defined]
_SCREEN_KEYS = SCENARIO.fields["screening"].keys()  # type: ignore[attr-defined]
_RESTORATION_KEYS = RESTORATION.keys()
_LEVELS = ("province", "city", "county")


@dataclass(frozen=True)
class Scenario:
    """A validated scenario (frozen). Build it with :func:`load_scenario`.

    Attributes
    ----------
    path : Path
        The scenario file.
    id, title : str
        Identity; ``id`` names the output folder.
    catalog : Path
        The catalogue TOML (``"demo"`` resolved to the demo catalogue).
    layers : tuple of str or None
        Layer kinds to measure; None for every polygon kind of the catalogue.
    units : dict
        ``level`` (admin level) or ``path``/``layer``; ``id_field``.
    stats, outputs : dict
        Options with defaults filled in.
    screening, restoration : dict or None
        Optional steps.
    raw : dict
        The TOML as read (echoed into ``manifest.json``).
    """

    path: Path
    id: str
    title: str
    catalog: Path
    layers: tuple[str, ...] | None
    units: dict[str, Any]
    stats: dict[str, Any]
    outputs: dict[str, Any]
    screening: dict[str, Any] | None = None
    restoration: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    catalog_is_demo: bool = False

    def parameters(self) -> dict[str, Any]:
        """JSON-able parameters of the run (paths relative to the scenario folder)."""
        return {
            "id": self.id,
            "title": self.title,
            "catalog": "demo" if self.catalog_is_demo else _rel(self.catalog, self.path.parent),
            "layers": list(self.layers) if self.layers else None,
            "units": {k: _rel(v, self.path.parent) for k, v in self.units.items()},
            "stats": self.stats,
            "outputs": self.outputs,
            "screening": (
                {k: _rel(v, self.path.parent) for k, v in self.screening.items()}
                if self.screening
                else None
            ),
            "restoration": _rel(self.restoration, self.path.parent),
        }


def _rel(value: Any, base: Path) -> Any:
    """Return ``value`` with every path in it relative to ``base`` (POSIX text), else as is.

    Outputs carry no path of the machine that made them: a run's manifest and report are the
    same bytes wherever the checkout or the installed package lives.
    """
    if isinstance(value, dict):
        return {k: _rel(v, base) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rel(v, base) for v in value]
    if isinstance(value, Path):
        try:
            return value.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            return value.as_posix()
    return value


def _read(path: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    if not path.is_file():
        return None, [
            Problem(
                "scenario_missing",
                f"scenario file {path} does not exist; expected a TOML file "
                "(see scenarios/demo_province_stats.toml)",
            )
        ]
    try:
        return read_toml(path, "scenario"), []
    except InputFileError as exc:
        return None, [Problem("toml_invalid", str(exc))]


def _unknown(table: Mapping[str, Any], allowed: set[str], where: str) -> list[Problem]:
    out = []
    for key in sorted(set(table) - allowed):
        out.append(
            Problem(
                "unknown_key",
                f"unknown key {key!r} in {where}; expected one of {', '.join(sorted(allowed))}",
            )
        )
    return out


def _table(raw: Mapping[str, Any], key: str, problems: list[Problem]) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        problems.append(
            Problem("wrong_type", f"[{key}] must be a table, found {type(value).__name__}")
        )
        return {}
    return dict(value)


def _file(base: Path, value: Any, what: str, problems: list[Problem]) -> Path | None:
    if not isinstance(value, str) or not value:
        problems.append(Problem("wrong_type", f"{what} must be a path string, found {value!r}"))
        return None
    try:
        p = resolve_path(value, base).resolve()
        p.stat()
    except FileNotFoundError:
        pass
    except OSError as exc:  # a name too long for the file system, a loop of symlinks …
        from zoning.io.sources import unusable_path_message

        problems.append(Problem("bad_path", unusable_path_message(value, what, exc)))
        return None
    if not p.exists():
        problems.append(
            Problem(
                "file_missing",
                f"{what} = {value!r}: {p} does not exist; expected a path relative to the "
                "scenario file; fix the path or create the file",
            )
        )
        return None
    return p


def _check_kinds(names: Any, what: str, problems: list[Problem]) -> tuple[str, ...] | None:
    from zoning.kinds import KIND_IDS

    if names is None:
        return None
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        problems.append(Problem("wrong_type", f"{what} must be a list of layer kinds"))
        return None
    for n in names:
        if n not in KIND_IDS:
            import difflib

            close = difflib.get_close_matches(n, KIND_IDS, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            problems.append(
                Problem(
                    "unknown_layer",
                    f"{what} names unknown layer kind {n!r}{hint}; expected one of "
                    f"{', '.join(KIND_IDS)}",
                )
            )
    return tuple(names)


def _parse(path: Path, raw: dict[str, Any], problems: list[Problem]) -> Scenario | None:
    # [restoration] is checked whole by the restoration scenario's loader (_restoration_step)
    problems += check(SCENARIO, {k: v for k, v in raw.items() if k != "restoration"})
    base = path.parent
    problems += _unknown(raw, _TOP_KEYS, path.name)
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        problems.append(
            Problem(
                "schema_version",
                f"schema_version is {version!r}; expected {SCHEMA_VERSION} "
                "(add `schema_version = 1` at the top)",
            )
        )
    sid = raw.get("id")
    if not isinstance(sid, str) or not sid or any(c in sid for c in "/\\:"):
        problems.append(
            Problem(
                "id_invalid",
                f"id is {sid!r}; expected a non-empty name without slashes (it names the "
                "output folder)",
            )
        )
    title = raw.get("title", sid or "")
    cat_value = raw.get("catalog", "demo")
    catalog: Path | None = None
    is_demo = cat_value == "demo"
    if not is_demo:
        catalog = _file(base, cat_value, "catalog", problems)
    layers = _check_kinds(raw.get("layers"), "layers", problems)

    units = _table(raw, "units", problems)
    problems += _unknown(units, _UNIT_KEYS, "[units]")
    if "path" in units:
        p = _file(base, units["path"], "units.path", problems)
        units["path"] = p
        units.setdefault("id_field", "adcode")
    else:
        level = units.setdefault("level", "county")
        if level not in _LEVELS:
            problems.append(
                Problem(
                    "units_level",
                    f"units.level is {level!r}; expected one of {', '.join(_LEVELS)}",
                )
            )
        units.setdefault("id_field", "adcode")

    stats = _table(raw, "stats", problems)
    problems += _unknown(stats, _STATS_KEYS, "[stats]")
    rollup = stats.setdefault("rollup", [])
    if not isinstance(rollup, list) or any(r not in ("city", "province") for r in rollup):
        problems.append(
            Problem("rollup_invalid", f"stats.rollup is {rollup!r}; expected ['city', 'province']")
        )
    stats.setdefault("overlaps", True)
    ind = stats.setdefault("indicators", "default")
    if ind not in ("default", False) and isinstance(ind, str):
        p = _file(base, ind, "stats.indicators", problems)
        stats["indicators"] = p
    order = stats.get("flatten_order")
    if order is not None:
        if not isinstance(order, list):
            problems.append(Problem("wrong_type", "stats.flatten_order must be a list"))
        else:
            _check_kinds([str(o).split(":")[0] for o in order], "stats.flatten_order", problems)
    scale = stats.setdefault("scale", "local")
    if scale not in ("local", "dask"):
        problems.append(
            Problem("wrong_type", f"stats.scale is {scale!r}; expected 'local' or 'dask'")
        )

    outputs = _table(raw, "outputs", problems)
    problems += _unknown(outputs, _OUTPUT_KEYS, "[outputs]")
    for key in ("excel", "gpkg", "map", "report"):
        outputs.setdefault(key, True)
        if not isinstance(outputs[key], bool):
            problems.append(Problem("wrong_type", f"outputs.{key} must be true or false"))
    outputs.setdefault("map_layer", "eco_redline")
    _check_kinds([outputs["map_layer"]], "outputs.map_layer", problems)

    screening = raw.get("screening")
    if screening is not None:
        screening = _table(raw, "screening", problems)
        problems += _unknown(screening, _SCREEN_KEYS, "[screening]")
        if "sites" not in screening:
            problems.append(Problem("key_missing", "[screening] needs sites = 'FILE'"))
        else:
            screening["sites"] = _file(base, screening["sites"], "screening.sites", problems)
        pt = screening.get("project_type")
        if not isinstance(pt, str):
            problems.append(Problem("key_missing", "[screening] needs project_type = 'TYPE'"))
        else:
            problems += _check_project_type(pt)
    restoration = raw.get("restoration")
    if restoration is not None:
        restoration = _restoration_step(path, _table(raw, "restoration", problems), problems)

    if any(p.severity == "error" for p in problems):
        return None
    if is_demo:
        from zoning.datasets import demo_catalog_path

        catalog = demo_catalog_path()
    assert catalog is not None and isinstance(sid, str)  # no error: checked above
    return Scenario(
        path=path,
        id=sid,
        title=str(title),
        catalog=catalog,
        layers=layers,
        units=units,
        stats=stats,
        outputs=outputs,
        screening=screening,
        restoration=restoration,
        raw=raw,
        catalog_is_demo=is_demo,
    )


def _restoration_step(
    path: Path, section: dict[str, Any], problems: list[Problem]
) -> dict[str, Any]:
    """Check the ``[restoration]`` step: ``scenario = FILE``, or the restoration scenario itself.

    Either way the step names the restoration scenario's file: the one given, or this scenario
    file (whose ``[restoration]`` section :func:`load_restoration_scenario` then reads).
    """
    inline = "scenario" not in section and bool(set(section) & _RESTORATION_KEYS)
    allowed = _RESTORATION_KEYS if inline else {"scenario"}
    problems += _unknown(section, set(allowed), "[restoration]")
    if inline:
        problems += _check_restoration(path, "restoration")
        return {"scenario": path}
    if "scenario" not in section:
        problems.append(
            Problem(
                "key_missing",
                "[restoration] needs scenario = 'FILE' (a restoration scenario TOML, "
                "e.g. demo_restoration.toml), or the restoration scenario's own keys "
                "([restoration.units], [[restoration.criteria]] …)",
            )
        )
        return section
    section["scenario"] = _file(path.parent, section["scenario"], "restoration.scenario", problems)
    if section["scenario"] is not None:
        scenario = section["scenario"]
        problems += _check_restoration(scenario, f"restoration.scenario ({scenario.name})")
    return section


def _check_project_type(pt: str) -> list[Problem]:
    try:
        from zoning.projects import get_project_type
    except ImportError:  # screening helper not installed: checked when the step runs
        return []
    try:
        get_project_type(pt)
    except (KeyError, ValueError, LookupError) as exc:
        return [Problem("unknown_project_type", f"screening.project_type: {exc}")]
    return []


def _check_restoration(path: Path, label: str) -> list[Problem]:
    """Return the restoration scenario's own problems, named as coming from it (``label``)."""
    from zoning.restoration.scenario import load_restoration_scenario

    try:
        load_restoration_scenario(path)
    except ScenarioError as exc:
        return [Problem(p.code, f"{label}: {p.message}", p.rows, p.severity) for p in exc.problems]
    except InputFileError as exc:
        return [Problem("restoration_scenario", f"restoration.scenario: {exc}")]
    return []


def validate_scenario(path: str | Path) -> list[Problem]:
    """Check a scenario file; return every problem found (empty when usable).

    Examples
    --------
    >>> from zoning.specs import spec_path
    >>> demo = spec_path("scenarios", "demo_province_stats.toml")
    >>> validate_scenario(demo)
    []
    """
    p = Path(path)
    raw, problems = _read(p)
    if raw is None:
        return problems
    _parse(p, raw, problems)
    return problems


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario; raise one :class:`ScenarioError` listing every problem.

    Raises
    ------
    ScenarioError
        Unknown keys or layer kinds, missing files, wrong types, missing id.
    """
    p = Path(path)
    raw, problems = _read(p)
    scenario = _parse(p, raw, problems) if raw is not None else None
    if scenario is None:
        raise ScenarioError(f"scenario {p}", problems)
    return scenario
