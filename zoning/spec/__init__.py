"""The spec layer: read a TOML file, check it against its declared schema, resolve its paths.

- :mod:`zoning.spec.reading` reads a TOML file users wrote (BOM, GBK, NUL, size, NaN).
- :mod:`zoning.spec.schema` declares fields, checks a parsed file (every problem with its key
  path), emits JSON Schema, and resolves the paths a file writes relative to it.
- :mod:`zoning.spec.files` declares each file type: catalogue, scenario, restoration scenario,
  rule pack, project types, layer kinds.

The loaders (:mod:`zoning.catalog`, :mod:`zoning.scenario`, :mod:`zoning.restoration.scenario`,
:mod:`zoning.rules`) build on it; the bundled spec files themselves are in :mod:`zoning.specs`.
"""

from zoning.spec.files import DECLARATIONS
from zoning.spec.reading import (
    MAX_TOML_BYTES,
    check_encoding_name,
    nonfinite_problems,
    parse_toml,
    read_toml,
)
from zoning.spec.schema import check, json_schema, located_problems, resolve_path

__all__ = [
    "DECLARATIONS",
    "MAX_TOML_BYTES",
    "check",
    "check_encoding_name",
    "json_schema",
    "located_problems",
    "nonfinite_problems",
    "parse_toml",
    "read_toml",
    "resolve_path",
]
