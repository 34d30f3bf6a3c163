"""The layer catalogue: a TOML file listing the control layers of a place.

- :mod:`zoning.catalog.load` reads and checks the TOML (:func:`load_catalog`).
- :mod:`zoning.catalog.model` is what it builds: :class:`Catalog` reads, validates, reprojects
  and caches each layer lazily; :func:`units_of_level` picks admin units.
- :mod:`zoning.catalog.report` summarises a catalogue's health (:func:`catalog_report`,
  ``zoning layers check``).
"""

from zoning.catalog.load import catalog_value_problems, load_catalog
from zoning.catalog.model import Catalog, LayerEntry, LoadedLayer, units_of_level
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
