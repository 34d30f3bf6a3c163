"""Which kinds statistics measure (zoning.stats.layer_kinds), asked by the CLI or a scenario."""

from __future__ import annotations

import pytest

from zoning.errors import CatalogError, ScenarioError, ZoningUsageError
from zoning.stats import choose_kinds, polygon_kinds

POLYGON_KINDS = [
    "eco_redline",
    "protected_area",
    "water_source",
    "subsidence",
    "basic_farmland",
    "urban_boundary",
    "spring_area",
    "control_unit",
    "industrial_park",
    "no_farming_zone",
    "contaminated_land",
    "groundwater_recharge",
]


def test_default_is_every_polygon_kind_but_the_units(demo_catalog):
    # river and sensitive_receptor are declared "any" geometry: not measured by default
    assert polygon_kinds(demo_catalog) == POLYGON_KINDS
    assert choose_kinds(demo_catalog) == POLYGON_KINDS
    assert choose_kinds(demo_catalog, "") == POLYGON_KINDS  # --layers "" as no --layers
    assert choose_kinds(demo_catalog, None, scenario="s.toml") == POLYGON_KINDS
    assert choose_kinds(demo_catalog, (), scenario="s.toml") == POLYGON_KINDS


def test_asked_kinds_in_the_order_asked(demo_catalog):
    assert choose_kinds(demo_catalog, " water_source, eco_redline ,") == [
        "water_source",
        "eco_redline",
    ]
    assert choose_kinds(demo_catalog, ["water_source", "eco_redline"], scenario="s.toml") == [
        "water_source",
        "eco_redline",
    ]


def test_unknown_kind_named_as_the_user_wrote_it(demo_catalog):
    with pytest.raises(CatalogError, match="--layers names 'eco_redlines', which the catalogue"):
        choose_kinds(demo_catalog, "eco_redline,eco_redlines")
    with pytest.raises(ScenarioError, match=r"scenario s\.toml") as err:
        choose_kinds(demo_catalog, ["eco_redlines"], scenario="s.toml")
    assert "layer kind 'eco_redlines' is not in catalogue" in str(err.value)
    assert "remove it from layers or add it to the catalogue" in str(err.value)


def test_option_naming_nothing_or_lines_is_a_usage_error(demo_catalog):
    with pytest.raises(ZoningUsageError, match="--layers ' , ' names no layer kind"):
        choose_kinds(demo_catalog, " , ")
    with pytest.raises(ZoningUsageError, match="--layers names river, which holds lines"):
        choose_kinds(demo_catalog, "eco_redline,river")
