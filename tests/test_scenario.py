"""Scenario TOML: the shipped scenarios validate; every problem of a bad one is listed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from zoning.errors import ScenarioError
from zoning.scenario import load_scenario, validate_scenario

ROOT = Path(__file__).resolve().parent.parent
# `zoning run` scenarios carry schema_version (restoration scenarios have their own format)
RUN_SCENARIOS = [
    p
    for p in sorted((ROOT / "scenarios").glob("*.toml"))
    if tomllib.loads(p.read_text(encoding="utf-8")).get("schema_version") is not None
]


@pytest.mark.parametrize("path", RUN_SCENARIOS, ids=lambda p: p.name)
def test_shipped_scenarios_validate(path):
    assert validate_scenario(path) == []


def test_demo_scenario_loads_with_defaults():
    sc = load_scenario(ROOT / "scenarios" / "demo_province_stats.toml")
    assert sc.id == "demo_province_stats"
    assert sc.catalog_is_demo and sc.catalog.name == "catalog.toml"
    assert sc.units == {"level": "county", "id_field": "adcode"}
    assert sc.stats["rollup"] == ["city", "province"]
    assert sc.parameters()["catalog"] == "demo"


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_all_problems_are_collected(tmp_path):
    p = write(
        tmp_path,
        """
schema_version = 2
id = "a/b"
catalog = "missing/catalog.toml"
layers = ["eco_redlines", "basic_farmland"]
colour = "red"
[units]
path = "nowhere.gpkg"
[stats]
rollup = ["county"]
[outputs]
excel = "yes"
""",
    )
    codes = [x.code for x in validate_scenario(p)]
    assert sorted(codes) == sorted(
        [
            "unknown_key",
            "schema_version",
            "id_invalid",
            "file_missing",
            "unknown_layer",
            "file_missing",
            "rollup_invalid",
            "wrong_type",
        ]
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    msg = str(err.value)
    assert "eco_redlines" in msg and "did you mean eco_redline" in msg
    assert "missing/catalog.toml" in msg and "nowhere.gpkg" in msg


def test_screening_needs_sites_and_a_known_project_type(tmp_path):
    p = write(
        tmp_path,
        """
schema_version = 1
id = "s"
[screening]
project_type = "spaceport"
""",
    )
    codes = {x.code for x in validate_scenario(p)}
    assert "key_missing" in codes
    assert "unknown_project_type" in codes


def test_missing_and_broken_files(tmp_path):
    assert [x.code for x in validate_scenario(tmp_path / "none.toml")] == ["scenario_missing"]
    p = write(tmp_path, "id = [")
    assert [x.code for x in validate_scenario(p)] == ["toml_invalid"]


def _inline_restoration(tmp_path: Path) -> Path:
    """A batch scenario whose [restoration] section holds the demo restoration scenario."""
    from zoning.specs import spec_path

    head, tables, seen_table = [], [], False
    for line in spec_path("scenarios", "demo_restoration.toml").read_text("utf-8").splitlines():
        if line.startswith("[["):
            line, seen_table = "[[restoration." + line[2:], True
        elif line.startswith("["):
            line, seen_table = "[restoration." + line[1:], True
        (tables if seen_table else head).append(line)
    text = 'schema_version = 1\nid = "inline"\n\n[restoration]\n' + "\n".join(head + tables)
    path = tmp_path / "inline.toml"
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_restoration_section_may_hold_the_restoration_scenario(tmp_path):
    from zoning.restoration.scenario import load_restoration_scenario
    from zoning.specs import spec_path

    path = _inline_restoration(tmp_path)
    assert validate_scenario(path) == []
    sc = load_scenario(path)
    assert sc.restoration == {"scenario": path}  # the runner reads the section from this file
    inline = load_restoration_scenario(path)
    alone = load_restoration_scenario(spec_path("scenarios", "demo_restoration.toml"))
    assert inline.name == alone.name == "demo-restoration"
    assert inline.criteria == alone.criteria and inline.weights == alone.weights
    assert inline.units == alone.units and inline.portfolio == alone.portfolio
    # a batch scenario naming its restoration file reads that file
    named = load_restoration_scenario(spec_path("scenarios", "demo_province_stats.toml"))
    assert named.criteria == alone.criteria


def test_restoration_section_problems_have_key_paths(tmp_path):
    path = _inline_restoration(tmp_path)
    text = path.read_text("utf-8").replace("grid_m = 1000", 'grid_m = "1000"')
    path.write_text(text + "\n[restoration.extra]\nx = 1\n", encoding="utf-8")
    messages = [p.message for p in validate_scenario(path)]
    assert any(m.startswith("unknown key 'extra' in [restoration]") for m in messages), messages
    wrong = [m for m in messages if "grid_m is a string" in m]
    assert wrong == [
        "restoration: units.grid_m is a string ('1000'); expected an integer or a number"
    ], messages
