"""zoning.rules.model: outcome severity, conditions, project-type matching, dates in effect."""

from __future__ import annotations

import copy
import datetime as dt

from test_rules_load import GOOD

from zoning.projects import get_project_type
from zoning.rules import SEVERITY, load_rulepack


def test_severity_order_is_documented_order():
    assert SEVERITY["prohibited"] > SEVERITY["needs_info"] > SEVERITY["conditional"]
    assert SEVERITY["conditional"] > SEVERITY["allowed"]


def test_conditions_evaluate_with_missing_attributes():
    data = copy.deepcopy(GOOD)
    data["rules"][0]["categories"] = []
    data["rules"][0]["project_types"] = ["livestock_farm"]
    data["rules"][0]["conditions"] = [{"attr": "livestock_scale", "op": "eq", "value": "large"}]
    rule = load_rulepack(data).get("T-1")
    assert rule.evaluate({}) == ("needs_info", ["livestock_scale"])
    assert rule.evaluate({"livestock_scale": "large"}) == ("prohibited", [])
    assert rule.evaluate({"livestock_scale": "small"}) == (None, [])


def test_type_matching_with_exclusions():
    national = load_rulepack("national")
    level1 = national.get("CN-WS-02")  # "*" minus water_supply_related
    assert level1.covers_type(get_project_type("chemical"))
    assert not level1.covers_type(get_project_type("water_supply_facility"))


def test_effective_dates():
    rule = load_rulepack("national").get("CN-RL-02")
    assert rule.effective_from == dt.date(2022, 8, 16)
    assert not rule.in_effect(dt.date(2020, 1, 1))
    assert rule.in_effect(dt.date(2024, 1, 1))
