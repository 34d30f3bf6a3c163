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
    "write_screening": "zoning.report",
    "area_by_unit": "zoning.stats",
    "rollup": "zoning.stats",
    "area_by_unit_dask": "zoning.scale",
    "overlap_table": "zoning.overlaps",
    "flatten_designations": "zoning.overlaps",
    "flattened_areas": "zoning.overlaps",
    "evaluate_indicators": "zoning.indicators",
    "load_targets": "zoning.indicators",
    "diff_runs": "zoning.diff",
    "diff_vintages": "zoning.diff",
    "load_scenario": "zoning.scenario",
    "validate_scenario": "zoning.scenario",
    "run_scenario": "zoning.runner",
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
    "report",
    "restoration",
    "scenario",
    "runner",
}

__all__ = ["__version__", *sorted(_API), *sorted(_SUBMODULES)]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"zoning.{name}")
    raise AttributeError(f"module 'zoning' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
