"""Project types as data: ids, categories, attributes, suggestions for unknown ids."""

from __future__ import annotations

import pytest

from zoning.errors import UnknownProjectTypeError, ZoningUsageError
from zoning.projects import (
    attribute_specs,
    categories,
    get_project_type,
    parse_attrs,
    project_types,
    resolve_attrs,
)

PRODUCT_IDS = [
    "coal_mine", "coking", "chemical", "steel", "cement", "thermal_power", "solar_pv",
    "wind_farm", "quarry", "road", "railway", "pipeline", "power_line", "housing",
    "tourism_facility", "livestock_farm", "sewage_outfall", "landfill", "water_supply_facility",
]  # fmt: skip


@pytest.mark.parametrize("type_id", PRODUCT_IDS)
def test_every_product_md_id_exists_with_names(type_id):
    pt = get_project_type(type_id)
    assert pt.id == type_id
    assert pt.name_zh and pt.name_en
    assert pt.categories, f"{type_id} has no category"


def test_categories_and_defaults_refer_to_known_ids():
    cats, attrs = categories(), attribute_specs()
    for pt in project_types().values():
        assert set(pt.categories) <= set(cats)
        assert set(pt.defaults) <= set(attrs)


@pytest.mark.parametrize(
    ("type_id", "category"),
    [
        ("road", "linear_infrastructure"),
        ("power_line", "linear_infrastructure"),
        ("coking", "heavily_polluting"),
        ("solar_pv", "renewable_energy"),
        ("water_supply_facility", "water_supply_related"),
        ("housing", "residential"),
        ("coal_mine", "mining"),
    ],
)
def test_key_categories(type_id, category):
    assert category in get_project_type(type_id).categories


def test_aliases_and_chinese_names_resolve():
    assert get_project_type("化工").id == "chemical"
    assert get_project_type("光伏").id == "solar_pv"
    assert get_project_type("Solar-PV").id == "solar_pv"


def test_unknown_type_is_usage_error_with_suggestions():
    with pytest.raises(UnknownProjectTypeError) as info:
        get_project_type("chemcial")
    msg = str(info.value)
    assert "chemical" in msg.split("did you mean")[1].split("?")[0]
    assert info.value.exit_code == 2
    assert isinstance(info.value, KeyError)  # also a built-in KeyError


def test_parse_attrs_types():
    got = parse_attrs(
        [
            "discharges_wastewater=no",
            "capacity_mw=12.5",
            "livestock_scale=large",
            "hazardous_chemicals=是",
        ]
    )
    assert got == {
        "discharges_wastewater": False,
        "capacity_mw": 12.5,
        "livestock_scale": "large",
        "hazardous_chemicals": True,
    }


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        ("discharges_wastewatr=true", "did you mean discharges_wastewater"),
        ("capacity_mw=big", "expected a number"),
        ("livestock_scale=huge", "one of small, large"),
        ("no_equals_sign", "has no '='"),
    ],
)
def test_parse_attrs_errors(item, fragment):
    with pytest.raises(ZoningUsageError, match=fragment):
        parse_attrs([item])


def test_user_attrs_override_defaults():
    assert resolve_attrs("chemical")["discharges_wastewater"] is True
    assert (
        resolve_attrs("chemical", {"discharges_wastewater": "false"})["discharges_wastewater"]
        is False
    )
    # tourism facilities have no default for discharges: left unknown
    assert "discharges_wastewater" not in resolve_attrs("tourism_facility")
