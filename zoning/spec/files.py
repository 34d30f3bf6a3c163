"""The declared schema of each TOML file zoning reads.

One declaration per file type, on :mod:`zoning.spec.schema`: :data:`CATALOG` (a catalogue of
layers), :data:`SCENARIO` (a batch run), :data:`RESTORATION` (a restoration scenario: a file of
its own, or the ``[restoration]`` section of a batch scenario), :data:`RULEPACK` (a rule pack),
:data:`PROJECT_TYPES` and :data:`KINDS` (the bundled project types and layer kinds).
:data:`DECLARATIONS` names them for ``zoning schema NAME`` and ``docs/schema/NAME.json``.

The loaders check each file against its declaration first (wrong types, with key paths), then
what a declaration cannot say (files that exist, known kinds, weights that sum to 1), and take
their lists of known keys from here.
"""

from __future__ import annotations

from typing import Any

from zoning.errors import ZoningUsageError
from zoning.spec.reading import check_encoding_name
from zoning.spec.schema import (
    Anything,
    Const,
    Either,
    Flag,
    Integer,
    ListOf,
    Number,
    Table,
    TableList,
    Text,
    TextMap,
)

__all__ = [
    "CATALOG",
    "CATALOG_LAYER",
    "DECLARATIONS",
    "KINDS",
    "PROJECT_TYPES",
    "RESTORATION",
    "RULEPACK",
    "SCENARIO",
]


def _encoding_rule(value: str) -> tuple[str, str] | None:
    msg = check_encoding_name(value)
    return None if msg is None else ("unknown_encoding", msg)


def _attrs_rule(value: Any) -> tuple[str, str] | None:
    from zoning.projects import parse_attrs  # here: a catalogue or run needs no project types

    try:
        parse_attrs(value)
    except ZoningUsageError as exc:
        return ("bad_attrs", str(exc))
    return None


_VINTAGE = Either(Text(), Integer(), description="The data's year or date.")

CATALOG_LAYER = Table(
    {
        "kind": Text("The layer kind (`zoning layers list`), e.g. eco_redline."),
        "path": Text(
            "The layer file, relative to the catalogue (or a PostgreSQL URL).",
            blank="a file path relative to the catalogue",
        ),
        "layer": Text("The layer inside a GeoPackage or database."),
        "name": Text("A name for the layer (default: the kind)."),
        "zone_field": Text("The column holding the zone value."),
        "name_field": Text("The column holding the feature names."),
        "id_field": Text("The column holding the feature ids."),
        "source": Text("Where the data comes from."),
        "licence": Text("The data's licence."),
        "license": Text("The data's licence (American spelling)."),
        "title": Text("A title for the layer."),
        "sql": Text("A query selecting the features (database sources)."),
        "crs": Either(Text(), Integer(), description="The CRS when the file declares none."),
        "vintage": _VINTAGE,
        "illustrative": Flag("The layer is generated for illustration, not official data."),
        "zone_map": TextMap("Zone values found in the data, mapped to the kind's zone ids."),
        "encoding": Text("The text encoding of a shapefile's DBF.", rule=_encoding_rule),
        "access_fields": Anything("Columns holding the unit's access list, by dimension."),
    },
    "One layer of the catalogue ([[layers]]).",
    closed=True,
)

CATALOG = Table(
    {
        "name": Text("The catalogue's name."),
        "description": Text("What the catalogue holds."),
        "vintage": _VINTAGE,
        "coverage": Either(
            Text(),
            Table(
                {"path": Text(), "layer": Text()},
                required=("path",),
                expected="a table with path = FILE",
                closed=True,
            ),
            description="The polygon the layers cover (a file relative to the catalogue).",
            expected='a path string, or a table {path = "FILE", layer = "NAME"}',
        ),
        "layers": TableList(CATALOG_LAYER, "The layers.", loader=True),
        "jurisdiction": Anything("The administrative code every site lies in (e.g. 140902)."),
        "demo_version": Anything("The demo build's version (written by the demo)."),
        "seed": Anything("The demo build's random seed (written by the demo)."),
    },
    "A catalogue of layers (catalog.toml).",
    closed=True,
)

_PATH = "A file path, relative to this file."

RESTORATION = Table(
    {
        "name": Text("The scenario's name."),
        "title": Text("A title."),
        "catalog": Text('The catalogue ("demo" or a path).'),
        "illustrative": Flag("The weights are illustrative."),
        "study_area": Table({}, "The study area: kind/level/names or path.", extra=Anything()),
        "units": Table(
            {
                "grid_m": Number("A grid of this cell size in metres.", positive=True),
                "path": Text(_PATH),
            },
            "The planning units: a grid or a polygon layer.",
            extra=Anything(),
        ),
        "rasters": Table(
            {"resolution_m": Number("Resampling resolution in metres.", positive=True)},
            "The criteria rasters ([rasters.NAME] with path).",
            extra=Table(
                {"path": Text(_PATH)},
                extra=Anything(),
                expected='a table such as {path = "FILE.tif"}',
            ),
        ),
        "weights": Table(
            {
                "method": Text("direct or ahp."),
                "criteria": Either(
                    Text(), ListOf(Text()), expected="a list of strings", description="AHP order."
                ),
                "matrix": ListOf(
                    ListOf(Number(), whole=True),
                    "The AHP pairwise comparison matrix.",
                    expected="a list of rows of numbers",
                    whole=True,
                ),
            },
            "How the criteria are weighted.",
            extra=Anything(),
        ),
        "portfolio": Table(
            {
                "budget": Number("The budget (yuan)."),
                "locked_in": TableList(Table({"layer": Table({}, extra=Anything())})),
                "locked_out": TableList(Table({"layer": Table({}, extra=Anything())})),
                "area_targets": Table({}, "Minimum hectares per zone.", extra=Anything()),
            },
            "The budgeted selection of units.",
            extra=Anything(),
        ),
        "classes": Table({"method": Text()}, "Priority classes.", extra=Anything()),
        "outputs": Table({}, "What to write.", extra=Anything()),
        "criteria": TableList(
            Table(
                {
                    "name": Text(),
                    "type": Text(),
                    "direction": Text(),
                    "landcover": Text(),
                    "dem": Text(),
                    "rainfall": Text(),
                    "raster": Text(),
                    "weight": Number(),
                    "normalize": Either(Text(), Table({}, extra=Anything())),
                    "layer": Table({}, extra=Anything()),
                },
                extra=Anything(),
            ),
            "The criteria ([[criteria]]).",
        ),
        "interventions": TableList(
            Table({"name": Text(), "cost_per_ha": Number()}, extra=Anything()),
            "Restoration measures and their costs ([[interventions]]).",
        ),
    },
    "A restoration scenario (a file, or the [restoration] section of a batch scenario).",
    extra=Anything(),
)

SCENARIO = Table(
    {
        "schema_version": Const(1, "The scenario format's version: 1.", loader=True),
        "id": Text("Names the output folder.", loader=True),
        "title": Text("A title."),
        "description": Text("What the run is for."),
        "catalog": Text('The catalogue ("demo" or a path).', loader=True),
        "layers": Either(
            Text(),
            ListOf(Text()),
            description="Layer kinds to measure (a list, or names separated by commas).",
            loader=True,
        ),
        "units": Table(
            {
                "level": Text("province, city or county.", loader=True),
                "path": Text(_PATH, loader=True),
                "layer": Text(),
                "id_field": Text(),
                "name_field": Text(),
            },
            "The statistical units: an admin level or a polygon file.",
            closed=True,
            loader=True,
        ),
        "stats": Table(
            {
                "rollup": ListOf(Text(), "Roll up to city and/or province.", loader=True),
                "overlaps": Flag("Measure the overlaps between layers."),
                "indicators": Either(
                    Text(),
                    Const(False),
                    description='"default", a targets file, or false.',
                    expected='"default", the path of an indicator targets file, or false',
                ),
                "flatten_order": ListOf(Text(), "Strictest first: kind or kind:zone.", loader=True),
                "scale": Text("local or dask.", loader=True),
                "n_jobs": Integer("Worker processes."),
            },
            "The statistics step.",
            closed=True,
            loader=True,
        ),
        "outputs": Table(
            {
                "excel": Flag(loader=True),
                "gpkg": Flag(loader=True),
                "map": Flag(loader=True),
                "map_layer": Text("The kind drawn on the map.", loader=True),
                "report": Flag(loader=True),
            },
            "What to write.",
            closed=True,
            loader=True,
        ),
        "screening": Table(
            {
                "sites": Text(_PATH, loader=True),
                "project_type": Text(
                    "The project type (`zoning screen --list-types`).", loader=True
                ),
                "layer": Text(),
                "site_id_field": Text(),
                "attrs": Either(
                    ListOf(Text(), whole=True),
                    Table({}, extra=Anything()),
                    description="Site attributes: a table, or key=value strings.",
                    expected='a table such as {discharges_wastewater = false} or a list of "key=value" strings',
                    rule=_attrs_rule,
                ),
            },
            "The screening step.",
            closed=True,
            loader=True,
        ),
        "restoration": Table(
            {
                "scenario": Text(
                    "A restoration scenario file (else: the section itself).", loader=True
                ),
                **RESTORATION.fields,
            },
            "The restoration step: scenario = FILE, or a restoration scenario's tables.",
            extra=Anything(),
            loader=True,
        ),
    },
    "A batch scenario (zoning run).",
    closed=True,
)

_CITATION = Table(
    {
        "document": Text(),
        "article": Text(),
        "seed_file": Text(),
        "line": Either(Text(), Integer()),
        "verified": Flag(),
        "url": Text(),
        "doc_no": Text(),
        "quote_zh": Text(),
        "verified_against": Text(),
        "note": Text(),
    },
    "A citation of an official text.",
    closed=True,
)
_TEXTS = Either(Text(), ListOf(Text()))
_CONDITION_FIELDS = {"attr": Text(), "op": Text(), "value": Anything()}
_CONDITION = Table(_CONDITION_FIELDS, "A condition on a site attribute.", closed=True)
_EXCEPTION = Table(
    {
        **_CONDITION_FIELDS,
        "outcome": Text(),
        "text_zh": Text(),
        "text_en": Text(),
        "evidence_required": Either(Text(), ListOf(Text())),
        "on_missing": Text(),
    },
    "An exception: a condition and the outcome it gives.",
    closed=True,
)

RULEPACK = Table(
    {
        "pack": Table(
            {
                "id": Text(),
                "version": Either(Text(), Number()),
                "name_zh": Text(),
                "name_en": Text(),
                "jurisdiction": Either(Text(), Integer()),
                "jurisdiction_name": Text(),
                "description": Text(),
            },
            "The pack's identity.",
            required=("id", "version"),
            closed=True,
        ),
        "citations": Table({}, "The citation register: [citations.ID].", extra=_CITATION),
        "rules": TableList(
            Table(
                {
                    "id": Text(),
                    "kind": Text(),
                    "zones": _TEXTS,
                    "names": _TEXTS,
                    "outside": Flag(),
                    "buffer_m": Number(),
                    "project_types": _TEXTS,
                    "categories": _TEXTS,
                    "exclude_types": _TEXTS,
                    "exclude_categories": _TEXTS,
                    "outcome": Text(),
                    "conditions": ListOf(_CONDITION),
                    "exceptions": ListOf(_EXCEPTION),
                    "on_missing": Text(),
                    "citation": Either(Text(), _CITATION),
                    "text_zh": Text(),
                    "text_en": Text(),
                    "question": Text(),
                    "evidence_required": _TEXTS,
                    "effective_from": Anything(),
                    "effective_to": Anything(),
                    "note": Text(),
                    "jurisdiction": Either(Text(), Integer()),
                    "jurisdiction_name": Text(),
                },
                required=("id",),
                closed=True,
            ),
            "The rules ([[rules]]).",
        ),
    },
    "A rule pack (docs/rulepacks.md).",
    closed=True,
)

_NAMES = {"name_zh": Text(), "name_en": Text()}

PROJECT_TYPES = Table(
    {
        "spec_version": Integer(),
        "categories": Table({}, "Categories.", extra=Table(dict(_NAMES))),
        "attributes": Table(
            {},
            "Site attributes (--attr key=value).",
            extra=Table(
                {
                    "type": Text("bool, number or choice."),
                    "question_zh": Text(),
                    "question_en": Text(),
                    "choices": ListOf(Text()),
                    "unit": Text(),
                }
            ),
        ),
        "defaults": Table({}, "Defaults of every type.", extra=Anything()),
        "types": Table(
            {},
            "Project types.",
            extra=Table(
                {
                    **_NAMES,
                    "categories": ListOf(Text()),
                    "aliases": ListOf(Text()),
                    "defaults": Table({}, extra=Anything()),
                }
            ),
        ),
    },
    "The project types (zoning/specs/rulepacks/project_types.toml).",
)

KINDS = Table(
    {
        "spec_version": Integer(),
        "kinds": Table(
            {},
            "The layer kinds.",
            extra=Table(
                {
                    **_NAMES,
                    "geometry": Text(),
                    "default_zone": Text(),
                    "overlaps_allowed": Flag(),
                    "color": Text(),
                    "nesting": ListOf(Text()),
                    "zones": Table(
                        {},
                        extra=Table({**_NAMES, "aliases": ListOf(Text())}, closed=True),
                    ),
                },
                closed=True,
            ),
        ),
    },
    "The layer kinds (zoning/specs/kinds.toml).",
)

#: The declarations by name: ``zoning schema NAME``, ``docs/schema/NAME.json``.
DECLARATIONS: dict[str, Table] = {
    "catalog": CATALOG,
    "scenario": SCENARIO,
    "restoration": RESTORATION,
    "rulepack": RULEPACK,
    "project_types": PROJECT_TYPES,
    "kinds": KINDS,
}
