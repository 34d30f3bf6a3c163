"""The types of a batch scenario's values, checked before any of them is used (issue 12).

:func:`scenario_value_problems` returns every value of the wrong type in a parsed scenario
(``indicators = 5``, ``attrs = 5``, ``overlaps = "no"``), every NaN or infinity, each with its
key path. :func:`zoning.scenario.load_scenario` reports them before its own checks, which
assume the right types.
"""

from __future__ import annotations

from typing import Any

from zoning.errors import Problem, ZoningUsageError
from zoning.tomlfile import TypeChecks, nonfinite_problems

__all__ = ["restoration_value_problems", "scenario_value_problems"]


def _strings(tc: TypeChecks, table: Any, keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        tc.check(table, key, (str,), where)


def _string_list(tc: TypeChecks, table: dict[str, Any], key: str, where: str) -> None:
    value = table.get(key)
    if value is None or isinstance(value, str):
        return
    if not isinstance(value, list):
        tc.bad(f"{where}{key}", value, "a list of strings")
        return
    for i, v in enumerate(value):
        if not isinstance(v, str):
            tc.bad(f"{where}{key}[{i}]", v, "a string")


def _attrs(tc: TypeChecks, screening: dict[str, Any]) -> None:
    value = screening.get("attrs")
    if value is None:
        return
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        items: Any = value
    elif isinstance(value, dict):
        items = value
    else:
        tc.bad(
            "screening.attrs",
            value,
            'a table such as {discharges_wastewater = false} or a list of "key=value" strings',
        )
        return
    from zoning.projects import parse_attrs

    try:
        parse_attrs(items)
    except ZoningUsageError as exc:
        tc.problems.append(Problem("bad_attrs", f"screening.attrs: {exc}"))


def scenario_value_problems(raw: dict[str, Any]) -> list[Problem]:
    """Wrong types and non-finite numbers in a parsed batch scenario, with their key paths.

    Only what :func:`zoning.scenario.load_scenario`'s own checks leave unchecked (they already
    refuse a wrong ``id``, ``catalog``, ``layers``, file paths, tables and ``outputs`` flags).

    Examples
    --------
    >>> [p.message.split(";")[0] for p in scenario_value_problems({"stats": {"indicators": 5}})]
    ['stats.indicators is an integer (5)']
    """
    tc = TypeChecks()
    _strings(tc, raw, ("title", "description"), "")

    def table(key: str) -> dict[str, Any]:
        value = raw.get(key)
        return value if isinstance(value, dict) else {}

    _strings(tc, table("units"), ("layer", "id_field", "name_field"), "units.")
    stats = table("stats")
    tc.check(stats, "overlaps", (bool,), "stats.")
    tc.check(stats, "n_jobs", (int,), "stats.")
    if "indicators" in stats and not (
        isinstance(stats["indicators"], str) or stats["indicators"] is False
    ):
        tc.bad(
            "stats.indicators",
            stats["indicators"],
            '"default", the path of an indicator targets file, or false',
        )
    screening = table("screening")
    _strings(tc, screening, ("layer", "site_id_field"), "screening.")
    _attrs(tc, screening)
    return tc.problems + nonfinite_problems(raw)


def _table_list(
    tc: TypeChecks, raw: dict[str, Any], key: str, where: str = ""
) -> list[tuple[int, dict[str, Any]]]:
    """The tables of the array ``key`` (``[[criteria]]``); wrong items are recorded."""
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        tc.bad(f"{where}{key}", value, f"an array of tables ([[{where}{key}]])")
        return []
    out = []
    for i, item in enumerate(value, start=1):
        if isinstance(item, dict):
            out.append((i, item))
        else:
            tc.bad(f"{where}{key}[{i}]", item, f"a table ([[{where}{key}]])")
    return out


def _positive(tc: TypeChecks, table: dict[str, Any], key: str, where: str) -> None:
    if tc.check(table, key, (int, float), where) and key in table:
        if not table[key] > 0:
            tc.bad(f"{where}{key}", table[key], "a number > 0")


def restoration_value_problems(raw: dict[str, Any]) -> list[Problem]:
    """Wrong types and non-finite numbers in a parsed restoration scenario, with key paths.

    Examples
    --------
    >>> [p.message.split(";")[0] for p in restoration_value_problems({"units": {"grid_m": "1"}})]
    ["units.grid_m is a string ('1')"]
    """
    tc = TypeChecks()
    _strings(tc, raw, ("name", "title", "catalog"), "")
    tc.check(raw, "illustrative", (bool,), "")
    tables = {}
    for key in ("study_area", "units", "rasters", "weights", "portfolio", "classes", "outputs"):
        if tc.check(raw, key, (dict,), ""):
            tables[key] = raw.get(key) or {}
    units = tables.get("units", {})
    _positive(tc, units, "grid_m", "units.")
    tc.check(units, "path", (str,), "units.")
    rasters = tables.get("rasters", {})
    for name, spec in rasters.items():
        if name == "resolution_m":
            _positive(tc, rasters, "resolution_m", "rasters.")
        elif not isinstance(spec, dict):
            tc.bad(f"rasters.{name}", spec, 'a table such as {path = "FILE.tif"}')
        else:
            tc.check(spec, "path", (str,), f"rasters.{name}.")
    for i, c in _table_list(tc, raw, "criteria"):
        where = f"criteria[{i}]."
        _strings(tc, c, ("name", "type", "direction", "landcover", "dem", "rainfall"), where)
        tc.check(c, "raster", (str,), where)
        tc.check(c, "weight", (int, float), where)
        tc.check(c, "normalize", (str, dict), where)
        tc.check(c, "layer", (dict,), where)
    weights = tables.get("weights", {})
    tc.check(weights, "method", (str,), "weights.")
    _string_list(tc, weights, "criteria", "weights.")
    matrix = weights.get("matrix")
    if matrix is not None and not (
        isinstance(matrix, list)
        and all(
            isinstance(row, list)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)
            for row in matrix
        )
    ):
        tc.bad("weights.matrix", matrix, "a list of rows of numbers")
    for i, iv in _table_list(tc, raw, "interventions"):
        tc.check(iv, "name", (str,), f"interventions[{i}].")
        tc.check(iv, "cost_per_ha", (int, float), f"interventions[{i}].")
    portfolio = tables.get("portfolio", {})
    tc.check(portfolio, "budget", (int, float), "portfolio.")
    for key in ("locked_in", "locked_out"):
        for i, lk in _table_list(tc, portfolio, key, "portfolio."):
            tc.check(lk, "layer", (dict,), f"portfolio.{key}[{i}].")
    tc.check(portfolio, "area_targets", (dict,), "portfolio.")
    tc.check(tables.get("classes", {}), "method", (str,), "classes.")
    return tc.problems + nonfinite_problems(raw)
