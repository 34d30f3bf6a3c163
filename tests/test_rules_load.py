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


@pytest.mark.parametrize(
    ("where", "key", "suggested"),
    [
        # a city's rule with a misspelt jurisdiction would have bound the whole province
        (("rules", 0), "jurisdicton", "jurisdiction"),
        # misspelt exceptions or conditions would have made the rule stricter or unconditional
        (("rules", 0), "exceptons", "exceptions"),
        (("rules", 0), "conditons", "conditions"),
        (("rules", 0, "citation"), "artcle", "article"),
        (("pack",), "jurisdction", "jurisdiction"),
    ],
)
def test_misspelt_key_is_refused_with_the_near_name(where, key, suggested):
    data = copy.deepcopy(GOOD)
    table = data
    for step in where:
        table = table[step]
    table[key] = "1401" if "jur" in key else ([] if key.endswith("ons") else "Art. 2")
    with pytest.raises(RulePackError) as info:
        load_rulepack(data)
    [problem] = info.value.problems
    assert problem.code == "unknown_key"
    assert f"unknown key {key!r}; did you mean {suggested!r}?" in problem.message


def test_misspelt_keys_inside_conditions_and_exceptions_are_refused():
    data = copy.deepcopy(GOOD)
    rule = data["rules"][0]
    rule["conditions"] = [{"attr": "construction", "vaule": "new"}]
    rule["exceptions"] = [{"attr": "key_national_project", "value": True, "outcom": "allowed"}]
    rule["colour"] = "red"  # nothing near: no suggestion, the known keys are listed
    with pytest.raises(RulePackError) as info:
        load_rulepack(data)
    text = "\n".join(p.message for p in info.value.problems if p.code == "unknown_key")
    assert len(info.value.problems) == 4  # and the condition has no value: reported as well
    assert "condition construction: value None is not a single value" in str(info.value)
    assert "rule T-1 conditions[0]: unknown key 'vaule'; did you mean 'value'?" in text
    assert "rule T-1 exceptions[0]: unknown key 'outcom'; did you mean 'outcome'?" in text
    assert "rule T-1: unknown key 'colour'; expected one of ['buffer_m'," in text


def test_every_key_the_format_declares_is_accepted():
    """The bundled packs use most keys; the declaration (zoning schema rulepack) accepts them all."""
    from zoning.spec.files import RULEPACK

    rule_keys = set(RULEPACK.fields["rules"].item.fields)
    used = {k for pack in ("national", "shanxi") for r in _raw(pack)["rules"] for k in r}
    assert used <= rule_keys
    assert {"effective_to", "url", "question"} <= rule_keys | set(
        RULEPACK.fields["citations"].extra.fields
    )


def _raw(name):
    from zoning.specs import spec_path

    return tomllib.loads(spec_path("rulepacks", f"{name}.toml").read_text(encoding="utf-8"))
