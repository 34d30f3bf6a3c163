"""The declarations of zoning's TOML files: the bundled and demo files match them, editors get
their JSON Schema (``zoning schema NAME``, ``docs/schema/NAME.json`` kept current here).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from zoning.cli.main import cli
from zoning.cli.schema import schema_text
from zoning.spec import DECLARATIONS, check
from zoning.specs import spec_path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "schema"


def _demo_files(demo_catalog_path: Path) -> list[tuple[str, Path]]:
    return [
        ("catalog", demo_catalog_path),
        ("scenario", spec_path("scenarios", "demo_province_stats.toml")),
        ("restoration", spec_path("scenarios", "demo_restoration.toml")),
        ("rulepack", spec_path("rulepacks", "national.toml")),
        ("rulepack", spec_path("rulepacks", "shanxi.toml")),
        ("project_types", spec_path("rulepacks", "project_types.toml")),
        ("kinds", spec_path("kinds.toml")),
    ]


@pytest.mark.parametrize("name", sorted(DECLARATIONS))
def test_docs_schema_is_current(name):
    """Regenerate with: for n in catalog …; do zoning schema $n > docs/schema/$n.json; done."""
    assert (DOCS / f"{name}.json").read_text(encoding="utf-8") == schema_text(name)


def test_zoning_schema_prints_it():
    res = CliRunner().invoke(cli, ["schema", "catalog"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["properties"]["layers"]["items"]["properties"]["crs"]["anyOf"][1] == {
        "type": "integer"
    }
    assert CliRunner().invoke(cli, ["schema", "nonsense"]).exit_code == 2


def test_bundled_and_demo_files_match_their_declarations(demo_catalog_path):
    for name, path in _demo_files(demo_catalog_path):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        assert check(DECLARATIONS[name], raw) == [], path


def test_bundled_and_demo_files_validate_against_the_json_schema(demo_catalog_path):
    for name, path in _demo_files(demo_catalog_path):
        schema = json.loads((DOCS / f"{name}.json").read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(raw))
        assert not errors, (path, [e.message for e in errors][:3])


def test_the_json_schema_refuses_what_the_loader_refuses():
    schema = json.loads((DOCS / "catalog.json").read_text(encoding="utf-8"))
    v = jsonschema.Draft202012Validator(schema)
    bad = {"kind": "eco_redline", "path": "a.gpkg", "illustrative": "false"}
    assert not v.is_valid({"layers": [bad]})
    assert not v.is_valid({"layers": [{"kind": "eco_redline", "path": 5}]})
    assert not v.is_valid({"layerz": []})
    assert v.is_valid({"layers": [{"kind": "eco_redline", "path": "a.gpkg", "crs": "EPSG:4490"}]})


def test_loaders_know_the_declared_keys():
    from zoning.catalog import load as catalog_load
    from zoning.scenario import _TOP_KEYS as scenario_keys  # the module's own list

    assert catalog_load.CATALOG_LAYER.keys() >= {"kind", "path", "crs", "zone_map", "sql"}
    assert scenario_keys == DECLARATIONS["scenario"].keys()
    restoration = DECLARATIONS["scenario"].fields["restoration"]
    assert restoration.keys() == {"scenario"} | DECLARATIONS["restoration"].keys()
