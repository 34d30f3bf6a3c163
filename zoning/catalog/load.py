"""Read a catalogue TOML into a :class:`~zoning.catalog.model.Catalog`, checking it whole.

The file is checked against its declaration (:data:`zoning.spec.files.CATALOG`: wrong value
types with their key paths, NaN and infinity), then for what a declaration cannot say: unknown
keys and kinds, missing files (paths relative to the catalogue, resolved by
:func:`zoning.spec.resolve_path`), zone maps onto unknown zones, PostGIS sources, the
jurisdiction. Every problem is collected into one :class:`~zoning.errors.CatalogError`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from zoning.access_list import parse_access_fields
from zoning.catalog.model import Catalog, LayerEntry, redacted
from zoning.errors import CatalogError, InputFileError, Problem
from zoning.io.sources import is_database_url, source_problem
from zoning.kinds import KIND_IDS, get_kind
from zoning.spec.files import CATALOG, CATALOG_LAYER
from zoning.spec.reading import nonfinite_problems, read_toml
from zoning.spec.schema import located_problems, resolve_path

__all__ = ["catalog_value_problems", "load_catalog"]

_LAYER_KEYS = CATALOG_LAYER.keys()
_TOP_KEYS = CATALOG.keys()


def catalog_value_problems(raw: dict[str, Any]) -> tuple[list[Problem], set[object]]:
    """Return the wrong types and non-finite numbers of a parsed catalogue, and what they spoil.

    Parameters
    ----------
    raw : dict
        The parsed catalogue.

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
    located = located_problems(CATALOG, raw)
    unusable: set[object] = set()
    for where, _ in located:
        if where.startswith("layers["):
            unusable.add(int(where[len("layers[") : where.index("]")]))
        elif where.startswith("coverage"):
            unusable.add("coverage")
    return [p for _, p in located] + nonfinite_problems(raw), unusable


def load_catalog(path: str | os.PathLike[str], *, use_cache: bool = True) -> Catalog:
    """Read and check a catalogue TOML (not yet its layers: they load lazily).

    Parameters
    ----------
    path : str or path-like
        The catalogue file. Layer paths are relative to it.
    use_cache : bool
        Reuse validated, reprojected layers cached by checksum.

    Returns
    -------
    Catalog

    Raises
    ------
    InputFileError
        The file is missing or not valid TOML.
    CatalogError
        Every problem in the file at once: unknown keys or kinds, missing layer files, …
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(
            f"catalogue not found: {path}; expected a TOML file listing [[layers]]; fix: check "
            "the path, or run `zoning demo` to see an example"
        )
    raw = read_toml(path, "catalogue")
    base = path.parent
    problems, unusable = catalog_value_problems(raw)
    for key in sorted(set(raw) - _TOP_KEYS):
        problems.append(
            Problem(
                "unknown_key",
                f"unknown top-level key {key!r}; expected one of {', '.join(sorted(_TOP_KEYS))}",
            )
        )
    layers = raw.get("layers", [])
    if not isinstance(layers, list) or not layers:
        problems.append(
            Problem(
                "no_layers",
                "no [[layers]] entries; expected at least one; "
                "fix: add [[layers]] with kind and path",
            )
        )
        layers = []
    entries: list[LayerEntry] = []
    names: dict[str, int] = {}
    for i, spec in enumerate(layers, start=1):
        where = f"layer {i}"
        if not isinstance(spec, dict):
            problems.append(Problem("bad_layer", f"{where} is not a table"))
            continue
        for key in sorted(set(spec) - _LAYER_KEYS):
            problems.append(
                Problem(
                    "unknown_key",
                    f"{where}: unknown key {key!r}; expected one "
                    f"of {', '.join(sorted(_LAYER_KEYS))}",
                )
            )
        kind = spec.get("kind")
        if kind not in KIND_IDS:
            problems.append(
                Problem(
                    "unknown_kind",
                    f"{where}: unknown kind {kind!r}; expected one of {', '.join(KIND_IDS)}; fix: "
                    "use one of these ids (zoning layers list)",
                )
            )
            continue
        if "path" not in spec:
            problems.append(
                Problem(
                    "missing_path",
                    f"{where} ({kind}): no 'path'; expected a file path relative to the catalogue",
                )
            )
            continue
        if i in unusable:  # wrong value types, reported above
            continue
        url = _database_url(spec, where, kind, problems)  # a PostGIS source: never GDAL's
        refused = None if url else source_problem(base, spec["path"], f"{where} ({kind}) path")
        if refused is not None:
            problems.append(refused)
            continue
        src = Path(redacted(url)) if url else resolve_path(spec["path"], base).resolve()
        if not url and not src.exists():
            problems.append(
                Problem(
                    "missing_file",
                    f"{where} ({kind}): file not found: {src}; expected the path relative to "
                    f"{path}; fix: correct 'path'",
                )
            )
            continue
        name = spec.get("name") or kind
        if name in names:
            names[name] += 1
            name = f"{name}_{names[name]}"
        else:
            names[name] = 1
        zone_map = spec.get("zone_map", {})
        kind_spec = get_kind(kind)
        for raw_value, zone_id in zone_map.items():
            if zone_id not in kind_spec.zones:
                problems.append(
                    Problem(
                        "unknown_zone",
                        f"{where} ({kind}): zone_map maps {raw_value!r} to unknown zone {zone_id!r}; "
                        f"expected one of {', '.join(kind_spec.zone_ids)}",
                    )
                )
        access_fields, access_problems = _parse_access(spec, kind, where)
        problems += access_problems
        entries.append(
            LayerEntry(
                kind=kind,
                path=src,
                name=name,
                layer=spec.get("layer"),
                zone_field=spec.get("zone_field"),
                name_field=spec.get("name_field"),
                id_field=spec.get("id_field"),
                crs=spec.get("crs"),
                encoding=spec.get("encoding"),
                zone_map=dict(zone_map),
                access_fields=access_fields,
                illustrative=bool(spec.get("illustrative", False)),
                source=str(spec.get("source", "")),
                licence=str(spec.get("licence", spec.get("license", ""))),
                vintage=str(spec.get("vintage", raw.get("vintage", ""))),
                url=url,
                sql=spec.get("sql"),
            )
        )
    coverage = None
    cov = raw.get("coverage")
    if cov is not None and "coverage" not in unusable:
        cov_path, cov_layer = (
            (cov, None) if isinstance(cov, str) else (cov.get("path", ""), cov.get("layer"))
        )
        refused = source_problem(base, cov_path, "coverage")
        cov_src = resolve_path(cov_path, base).resolve() if refused is None else base
        if refused is not None:
            problems.append(refused)
        elif not cov_src.exists():
            problems.append(
                Problem(
                    "missing_file",
                    f"coverage file not found: {cov_src}; "
                    "expected a polygon file relative to the catalogue",
                )
            )
        else:
            coverage = (cov_src, cov_layer)
    jurisdiction = _parse_jurisdiction(raw, problems)
    if problems:
        raise CatalogError(f"catalogue {path}", problems)
    catalog = Catalog(path, str(raw.get("name", path.stem)), entries, coverage, use_cache=use_cache)
    catalog.jurisdiction = jurisdiction
    return catalog


def _parse_jurisdiction(raw: dict[str, Any], problems: list[Problem]) -> str | None:
    """Return the catalogue-level ``jurisdiction``, checked (``None`` when not given).

    It is an administrative code such as ``"140902"``: the area every site lies in when the
    catalogue has no ``admin_unit`` layer.
    """
    if "jurisdiction" not in raw:
        return None
    from zoning.rules import normalise_jurisdiction

    value = raw["jurisdiction"]
    try:
        if not isinstance(value, str):
            raise ValueError(f"jurisdiction {value!r} is a {type(value).__name__}, not text")
        normalise_jurisdiction(value)
    except ValueError as exc:
        problems.append(
            Problem(
                "bad_jurisdiction",
                f"{exc}; expected an administrative code in quotes, e.g. jurisdiction = "
                '"140902" (忻府区) or "1409" (忻州市)',
            )
        )
        return None
    return value.strip()


def _parse_access(
    spec: dict[str, Any], kind: str, where: str
) -> tuple[dict[str, str], list[Problem]]:
    """Return the ``access_fields`` of a layer entry and their problems (control units only)."""
    if "access_fields" not in spec:
        return {}, []
    if kind != "control_unit":
        return {}, [
            Problem(
                "bad_access_fields",
                f"{where} ({kind}): access_fields is for the 三线一单 unit layer only; expected "
                'kind = "control_unit"; fix: drop access_fields from this layer',
            )
        ]
    return parse_access_fields(spec["access_fields"], where)


def _database_url(spec: dict[str, Any], where: str, kind: str, problems: list[Problem]) -> str:
    """Return the PostGIS URL of a layer entry ("" for a file), its `layer`/`sql` checked."""
    path = spec["path"]
    if not is_database_url(path):
        if "sql" in spec:
            problems.append(
                Problem(
                    "sql_without_database",
                    f"{where} ({kind}): 'sql' is only for a PostGIS layer; expected 'path' = "
                    "postgresql://USER@HOST:PORT/DATABASE; fix: remove 'sql' or set the URL",
                )
            )
        return ""
    if ("layer" in spec) == ("sql" in spec):
        problems.append(
            Problem(
                "database_layer",
                f"{where} ({kind}): a PostGIS layer needs exactly one of 'layer' "
                "(schema.table) and 'sql' (SELECT …); fix: give one of them",
            )
        )
    return str(path).strip()
