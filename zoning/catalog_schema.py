"""The types of a catalogue's values, checked before any of them is used (issue 12).

:func:`catalog_value_problems` walks the parsed TOML of a catalogue and returns every value of
the wrong type (``path = 5``, ``zone_map = "x"``, ``illustrative = "false"``, an unknown
``encoding``), every NaN or infinity, and the layers that cannot be used because of them, each
problem with its key path (``layers[2].path``). :func:`zoning.catalog.load_catalog` reports them
together with its own checks.
"""

from __future__ import annotations

from typing import Any

from zoning.errors import Problem
from zoning.tomlfile import TypeChecks, check_encoding_name, nonfinite_problems

__all__ = ["catalog_value_problems"]

_LAYER_STRINGS = (
    "kind",
    "path",
    "layer",
    "name",
    "zone_field",
    "name_field",
    "id_field",
    "source",
    "licence",
    "license",
    "title",
    "sql",
)


def _layer_problems(spec: dict[str, Any], where: str, tc: TypeChecks) -> bool:
    ok = True
    for key in _LAYER_STRINGS:
        ok = tc.check(spec, key, (str,), where) and ok
    ok = tc.check(spec, "crs", (str, int), where) and ok
    ok = tc.check(spec, "vintage", (str, int), where) and ok
    ok = tc.check(spec, "illustrative", (bool,), where) and ok
    ok = tc.check_str_map(spec, "zone_map", where) and ok
    if isinstance(spec.get("path"), str) and not spec["path"].strip():
        ok = tc.bad(f"{where}path", spec["path"], "a file path relative to the catalogue")
    if tc.check(spec, "encoding", (str,), where):
        if "encoding" in spec:
            msg = check_encoding_name(spec["encoding"])
            if msg:
                tc.problems.append(Problem("unknown_encoding", f"{where}encoding: {msg}"))
                ok = False
    else:
        ok = False
    return ok


def catalog_value_problems(raw: dict[str, Any]) -> tuple[list[Problem], set[object]]:
    """Wrong types and non-finite numbers in a parsed catalogue.

    Returns
    -------
    problems : list of Problem
        Each names the key path (``layers[2].zone_map``), what was found and what was expected.
    unusable : set
        1-based indices of the ``[[layers]]`` that must be skipped, and ``"coverage"`` when the
        coverage entry is unusable.

    Examples
    --------
    >>> probs, bad = catalog_value_problems({"layers": [{"kind": "eco_redline", "path": 5}]})
    >>> bad, probs[0].message.split(";")[0]
    ({1}, 'layers[1].path is an integer (5)')
    """
    tc = TypeChecks()
    unusable: set[object] = set()
    for key in ("name", "description"):
        tc.check(raw, key, (str,), "")
    tc.check(raw, "vintage", (str, int), "")
    cov = raw.get("coverage")
    if cov is not None:
        if isinstance(cov, dict):
            ok = tc.check(cov, "path", (str,), "coverage.") & tc.check(
                cov, "layer", (str,), "coverage."
            )
            if "path" not in cov:
                ok = tc.bad("coverage", cov, "a table with path = FILE")
        else:
            ok = isinstance(cov, str) or tc.bad(
                "coverage", cov, 'a path string, or a table {path = "FILE", layer = "NAME"}'
            )
        if not ok:
            unusable.add("coverage")
    layers = raw.get("layers")
    if isinstance(layers, list):
        for i, spec in enumerate(layers, start=1):
            if isinstance(spec, dict) and not _layer_problems(spec, f"layers[{i}].", tc):
                unusable.add(i)
    problems = tc.problems + nonfinite_problems(raw)
    return problems, unusable
