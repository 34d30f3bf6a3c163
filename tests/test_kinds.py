import pytest

from zoning.kinds import KIND_IDS, canonical_zone, get_kind, normalise_zone_value


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("water_source", "一级保护区", "level1"),
        ("water_source", "二级保护区", "level2"),
        ("water_source", "准保护区", "quasi"),
        ("water_source", " 一级 ", "level1"),
        ("water_source", "二级区", "level2"),
        ("protected_area", "核心区", "core"),
        ("protected_area", "缓冲区", "buffer"),
        ("protected_area", "实验区", "experimental"),
        ("protected_area", "试验区", "experimental"),
        ("protected_area", "核心保护区", "core"),
        ("protected_area", "一般控制区", "general"),
        ("control_unit", "优先保护单元", "priority"),
        ("control_unit", "重点管控单元", "key"),
        ("control_unit", "一般管控单元", "general"),
        ("eco_redline", "核心保护区", "core"),
        ("subsidence", "基本稳定", "stabilising"),
        ("water_source", "ＬＥＶＥＬ１", "level1"),  # full-width Latin (NFKC)
    ],
)
def test_chinese_zone_values_map_to_canonical_ids(kind, value, expected):
    assert canonical_zone(kind, value) == expected


def test_unknown_zone_value_is_none_and_override_wins():
    assert canonical_zone("water_source", "三级保护区") is None
    assert canonical_zone("water_source", "三级保护区", {"三级保护区": "quasi"}) == "quasi"
    # an override can also re-map a known alias
    assert canonical_zone("protected_area", "核心区", {"核心区": "general"}) == "general"


def test_empty_value_gives_the_default_zone():
    assert canonical_zone("basic_farmland", None) == "all"
    assert canonical_zone("water_source", "") is None  # water zones need a level


def test_kinds_of_product_md_are_all_declared():
    expected = {
        "eco_redline",
        "protected_area",
        "water_source",
        "subsidence",
        "control_unit",
        "basic_farmland",
        "urban_boundary",
        "spring_area",
        "river",
        "admin_unit",
        "human_activity",
    }
    assert expected == set(KIND_IDS)
    assert get_kind("water_source").nesting == ("level1", "level2", "quasi")
    with pytest.raises(KeyError, match="expected one of"):
        get_kind("red_line")


def test_normalise_strips_spaces_and_punctuation():
    assert normalise_zone_value("一级（保护区）") == "一级保护区"
