"""zoning.rules.load: bundled packs load, every problem of a bad pack is collected, citations say so."""

from __future__ import annotations

import copy
import tomllib

import pytest

from zoning.errors import RulePackError
from zoning.rules import OUTCOMES, load_rulepack, load_rulepacks

GOOD = {
    "pack": {"id": "test", "version": "1"},
    "rules": [
        {
            "id": "T-1",
            "kind": "water_source",
            "zones": ["level1"],
            "categories": ["heavily_polluting"],
            "outcome": "prohibited",
            "buffer_m": 500,
            "citation": {"document": "test law", "article": "Art. 1", "verified": True},
        }
    ],
}


def test_bundled_packs_load_with_versions():
    packs = load_rulepacks()
    assert [p.id for p in packs] == ["national", "shanxi"]
    for p in packs:
        assert p.version
        assert p.provenance()["n_rules"] == len(p.rules) > 10


def test_bundled_rules_have_citations_and_valid_outcomes():
    for pack in load_rulepacks():
        for rule in pack.rules:
            assert rule.outcome in OUTCOMES
            assert rule.citation.document
            if rule.citation.seed_file:
                assert rule.citation.line, rule.id
            if not rule.citation.verified:
                assert "clause number not verified" in rule.citation.text()


def test_water_law_citation_is_flagged_unverified():
    national = load_rulepack("national")
    text = national.get("CN-WS-02").citation.text()
    assert "水污染防治法" in text and "not verified" in text


def test_seed_citation_has_file_and_line():
    shanxi = load_rulepack("shanxi")
    cit = shanxi.get("SX-LV-01").citation
    assert cit.seed_file == "004_f2f9b8e90689b124.txt" and cit.line == "404" and cit.verified
    assert "004_f2f9b8e90689b124.txt:L404" in cit.text()


def test_all_problems_collected_in_one_error():
    data = copy.deepcopy(GOOD)
    data["rules"][0]["zones"] = ["level9"]
    data["rules"].append(
        {
            "id": "T-2",
            "kind": "lava_field",
            "project_types": ["spaceport"],
            "outcome": "maybe",
            "citation": {"document": "x"},
        }
    )
    with pytest.raises(RulePackError) as info:
        load_rulepack(data)
    codes = sorted(p.code for p in info.value.problems)
    assert codes == ["unknown_kind", "unknown_outcome", "unknown_project_type", "unknown_zone"]
    assert "level9" in str(info.value) and "lava_field" in str(info.value)


def test_unknown_zone_in_file(tmp_path):
    text = """
[pack]
id = "bad"
version = "0.1"
[[rules]]
id = "B-1"
kind = "protected_area"
zones = ["centre"]
project_types = ["*"]
outcome = "prohibited"
citation = { document = "d" }
"""
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulePackError, match="unknown zone 'centre' of protected_area"):
        load_rulepack(path)


def test_bad_toml_and_missing_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[pack\nid=", encoding="utf-8")
    with pytest.raises(
        RulePackError, match=r"is not valid TOML .*fix the syntax at the line and column"
    ):
        load_rulepack(path)
    with pytest.raises(RulePackError, match="not found"):
        load_rulepack(tmp_path / "nope.toml")


def test_duplicate_ids_across_packs():
    with pytest.raises(RulePackError, match="'T-1' is in packs"):
        load_rulepacks([GOOD, copy.deepcopy(GOOD)])


def test_bundled_files_parse_as_plain_toml():
    from zoning.specs import spec_path

    for name in ("national", "shanxi", "project_types"):
        text = spec_path("rulepacks", f"{name}.toml").read_text("utf-8")
        assert tomllib.loads(text)
