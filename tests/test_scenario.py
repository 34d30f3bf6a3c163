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
