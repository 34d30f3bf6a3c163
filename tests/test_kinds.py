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
    # the ten original kinds plus the five the seeds' siting rules need (issue 11)
    added = {
        "industrial_park",
        "sensitive_receptor",
        "no_farming_zone",
        "contaminated_land",
        "groundwater_recharge",
    }
    assert expected | added == set(KIND_IDS)
    assert get_kind("water_source").nesting == ("level1", "level2", "quasi")
    with pytest.raises(KeyError, match="expected one of"):
        get_kind("red_line")


def test_normalise_strips_spaces_and_punctuation():
    assert normalise_zone_value("一级（保护区）") == "一级保护区"


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        # 化工园区 vs other parks and development zones (000 L1657, 002 L313)
        ("industrial_park", "化工园区", "chemical_park"),
        ("industrial_park", "化工集中区", "chemical_park"),
        ("industrial_park", "煤化工循环经济工业园", "chemical_park"),
        ("industrial_park", "经济技术开发区", "industrial_park"),
        ("industrial_park", "省级开发区", "industrial_park"),
        ("industrial_park", "工业集聚区", "industrial_park"),
        # 居民区、学校、医疗和养老机构 (004 L546)
        ("sensitive_receptor", "居民区", "residential"),
        ("sensitive_receptor", "村庄", "residential"),
        ("sensitive_receptor", "小学", "school"),
        ("sensitive_receptor", "乡镇卫生院", "hospital"),
        ("sensitive_receptor", "敬老院", "elderly_care"),
        ("sensitive_receptor", "文物保护单位", "other"),
        # 禁养区、控养区和可养区 (004 L434), 限养区 (000 L2917)
        ("no_farming_zone", "畜禽养殖禁养区", "prohibited"),
        ("no_farming_zone", "限养区", "restricted"),
        ("no_farming_zone", "控养区", "restricted"),
        ("no_farming_zone", "可养区", "permitted"),
        # 污染地块名录 (000 L2315, 001 L2282), 疑似污染地块 (004 L516)
        ("contaminated_land", "疑似污染地块", "suspected"),
        ("contaminated_land", "建设用地土壤污染风险管控和修复名录", "contaminated"),
        ("contaminated_land", "已移出名录", "remediated"),
        # 地下水型水源地补给径流区 (000 L1620), 泉域 karst recharge
        ("groundwater_recharge", "地下水型水源地补给径流区", "source_recharge"),
        ("groundwater_recharge", "泉域补给区", "karst_recharge"),
        ("groundwater_recharge", "岩溶地下水补给区", "karst_recharge"),
        ("groundwater_recharge", "补给区", "recharge"),
    ],
)
def test_new_kinds_map_real_chinese_values(kind, value, expected):
    assert canonical_zone(kind, value) == expected


def test_new_kinds_defaults_geometry_and_overlap_policy():
    # a register row without a status is read cautiously as contaminated
    assert canonical_zone("contaminated_land", "") == "contaminated"
    assert canonical_zone("no_farming_zone", None) == "prohibited"
    assert canonical_zone("sensitive_receptor", None) == "other"
    assert canonical_zone("groundwater_recharge", "  ") == "recharge"
    assert canonical_zone("industrial_park", None) == "industrial_park"
    # receptors come as points (a school) or polygons (a residential district)
    assert get_kind("sensitive_receptor").geometry == "any"
    polygon_kinds = [
        "industrial_park",
        "no_farming_zone",
        "contaminated_land",
        "groundwater_recharge",
    ]
    assert all(get_kind(k).geometry == "polygon" for k in polygon_kinds)
    # 禁养区/限养区/可养区 tile a county; register plots are distinct parcels
    assert not get_kind("no_farming_zone").overlaps_allowed
    assert not get_kind("contaminated_land").overlaps_allowed
    # a chemical park lies inside a development zone; recharge areas of sources overlap
    assert get_kind("industrial_park").overlaps_allowed
    assert get_kind("groundwater_recharge").overlaps_allowed
    assert canonical_zone("groundwater_recharge", "三级保护区") is None


def test_every_kind_has_bilingual_names_and_a_distinct_colour():
    ks = [get_kind(k) for k in KIND_IDS]
    assert all(k.name_zh and k.name_en for k in ks)
    assert all(z.name_zh and z.name_en for k in ks for z in k.zones.values())
    assert len({k.color.lower() for k in ks}) == len(ks)
    # no alias reaches two zones of one kind
    for k in ks:
        seen: dict[str, str] = {}
        for z in k.zones.values():
            for a in z.aliases:
                assert seen.setdefault(a, z.id) == z.id, (k.id, a)
