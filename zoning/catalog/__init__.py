"""The layer catalogue: a TOML file listing the control layers of a place.

- :mod:`zoning.catalog.load` reads and checks the TOML (:func:`load_catalog`).
- :mod:`zoning.catalog.model` is what it builds: :class:`Catalog` reads, validates, reprojects
  and caches each layer lazily; :func:`units_of_level` picks admin units.
- :mod:`zoning.catalog.report` summarises a catalogue's health (:func:`catalog_report`,
  ``zoning layers check``); it loads on first use (``zoning stats`` needs no report).
"""

from typing import TYPE_CHECKING

from zoning.catalog.load import catalog_value_problems, load_catalog
from zoning.catalog.model import Catalog, LayerEntry, LoadedLayer, units_of_level
from zoning.lazy import lazy_names

if TYPE_CHECKING:  # for type checkers; at run time it loads on first use
    from zoning.catalog.report import catalog_report

__all__ = [
    "Catalog",
    "LayerEntry",
    "LoadedLayer",
    "catalog_report",
    "catalog_value_problems",
    "load_catalog",
    "units_of_level",
]

__getattr__, __dir__ = lazy_names(__name__, {"catalog_report": "report"}, globals(), __all__)
