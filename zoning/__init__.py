"""zoning — spatial-zoning analysis for ecological planning in Shanxi.

Screen a project site against the control layers (生态保护红线, 自然保护地, 饮用水水源保护区,
采煤沉陷区, 三线一单 …) with an explained verdict, compute zoning statistics per administrative
unit, and map restoration priorities — offline, in the right CRS, explained down to the clause.

The public API is flat (``import zoning as zn``); names are imported lazily so that
``zoning --help`` stays fast.

Examples
--------
>>> import zoning as zn
>>> zn.__version__
'0.1.0'
"""

from __future__ import annotations

import importlib
import logging
import warnings
from typing import Any

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

#: public name -> module that defines it
_API: dict[str, str] = {
    "Catalog": "zoning.catalog",
    "load_catalog": "zoning.catalog",
    "read_vector": "zoning.io",
    "write_vector": "zoning.io",
    "validate_layer": "zoning.validation",
    "canonical_zone": "zoning.kinds",
    "get_kind": "zoning.kinds",
    "area_m2": "zoning.crs",
    "length_m": "zoning.crs",
    "gk_crs_for": "zoning.crs",
    "screen": "zoning.screening",
    "screen_sites": "zoning.screening",
    "write_screening": "zoning.screening",
    "area_by_unit": "zoning.stats",
    "rollup": "zoning.stats",
    "area_by_unit_dask": "zoning.stats",
    "overlap_table": "zoning.stats",
    "flatten_designations": "zoning.stats",
    "flattened_areas": "zoning.stats",
    "evaluate_indicators": "zoning.stats.indicators",
    "load_targets": "zoning.stats.indicators",
    "diff_runs": "zoning.stats.diff",
    "diff_vintages": "zoning.stats.diff",
    "load_scenario": "zoning.scenario",
    "validate_scenario": "zoning.scenario",
    "run_scenario": "zoning.run",
    "load_restoration_scenario": "zoning.restoration.scenario",
    "run_restoration": "zoning.restoration.run",
    "catalog_map": "zoning.maps",
    "save_map": "zoning.maps",
}
_SUBMODULES = {
    "crs",
    "datasets",
    "errors",
    "io",
    "kinds",
    "maps",
    "catalog",
    "validation",
    "screening",
    "stats",
    "overlaps",
    "indicators",
    "diff",
    "scale",
    "restoration",
    "scenario",
    "run",
}
#: submodules renamed in the redesign (issue 13): old name -> new name, resolved with a warning
_RENAMED_SUBMODULES = {"runner": "run"}

#: submodule names kept on ``zoning`` for modules that moved into a package
_SUBMODULE_PATHS = {
    "overlaps": "zoning.stats.overlaps",
    "indicators": "zoning.stats.indicators",
    "diff": "zoning.stats.diff",
    "scale": "zoning.stats.cluster",
}

__all__ = ["__version__", *sorted(_API), *sorted(_SUBMODULES)]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(_SUBMODULE_PATHS.get(name, f"zoning.{name}"))
    if name in _RENAMED_SUBMODULES:
        new = _RENAMED_SUBMODULES[name]
        warnings.warn(
            f"zoning.{name} is now zoning.{new}; use zoning.{new}",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(f"zoning.{new}")
    raise AttributeError(f"module 'zoning' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
