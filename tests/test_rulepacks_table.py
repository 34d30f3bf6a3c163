"""Every rule of every bundled pack, tested: a hand-built site where the rule decides the verdict,
and sites where it must not fire (outside its zone, its project types or its jurisdiction).

The table ``CASES`` is written by hand: for each rule, the project type and attributes of a site
that the rule decides, the zone (and feature name) the site lies in, and the verdict worked out
from the rule text and every other rule that also applies there. The geometry is the same for
every case: a 100 m × 100 m site in the middle of a 1 km × 1 km zone (a line crossing the site
for rivers), drawn in EPSG:4547; every other layer kind is present but empty.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely import LineString, box

from zoning.kinds import KIND_IDS
from zoning.projects import project_types
from zoning.rules import load_rulepacks
from zoning.screening import screen_sites
from zoning.screening.report import to_dict

X0, Y0 = 500_000.0, 4_200_000.0
GK = "EPSG:4547"
_TO_LL = pyproj.Transformer.from_crs(GK, "EPSG:4490", always_xy=True)
COVERAGE = shapely.transform(
    box(X0 - 50_000, Y0 - 50_000, X0 + 50_000, Y0 + 50_000),
    lambda c: np.column_stack(_TO_LL.transform(c[:, 0], c[:, 1])),
)
ZONE = box(X0, Y0, X0 + 1000, Y0 + 1000)
RIVER = LineString([(X0 - 500, Y0 + 500), (X0 + 1500, Y0 + 500)])
SITE = box(X0 + 450, Y0 + 450, X0 + 550, Y0 + 550)

#: a county inside each rule area, and one outside it
INSIDE = {"": "140105", "14": "140105", "1409": "140902", "1406": "140602", "140215": "140215"}
OUTSIDE = {"14": "130102", "1409": "140105", "1406": "140902", "140215": "140212"}

# rule id: (project type, attributes, zone of the feature, feature name, expected verdict)
CASES: dict[str, tuple[str, dict, str | None, str | None, str]] = {
    # red line (自然资发〔2022〕142号)
    "CN-RL-01": ("housing", {}, "core", None, "prohibited"),
    "CN-RL-02": ("housing", {}, "general", None, "prohibited"),
    "CN-RL-03": ("road", {"necessary_and_unavoidable": True}, "general", None, "conditional"),
    "CN-RL-04": ("road", {"necessary_and_unavoidable": False}, "general", None, "prohibited"),
    "CN-RL-05": ("reservoir", {}, "general", None, "conditional"),
    "CN-RL-06": ("tourism_facility", {}, "general", None, "conditional"),
    "CN-RL-07": ("quarry", {}, "general", None, "prohibited"),
    "CN-RL-08": ("monitoring_facility", {}, "general", None, "conditional"),
    "CN-RL-09": ("ecological_restoration", {}, "general", None, "conditional"),
    # nature reserves and protected areas
    "CN-NR-01": ("housing", {}, "buffer", None, "prohibited"),
    "CN-NR-02": ("quarry", {}, "experimental", None, "prohibited"),
    "CN-NR-03": ("industrial_park", {}, "experimental", None, "prohibited"),
    "CN-NR-04": ("housing", {}, "experimental", None, "conditional"),
    "CN-NR-05": ("housing", {}, "unzoned", None, "needs_info"),
    "CN-PA-01": ("housing", {}, "core", None, "prohibited"),
    "CN-PA-02": ("housing", {}, "general", None, "prohibited"),
    "CN-PA-03": ("road", {}, "general", None, "conditional"),
    # water sources (水污染防治法 Arts 64-67; 畜禽规模养殖污染防治条例 Art 11)
    "CN-WS-01": ("sewage_outfall", {}, "quasi", None, "prohibited"),
    "CN-WS-02": ("housing", {}, "level1", None, "prohibited"),
    "CN-WS-03": ("water_supply_facility", {}, "level1", None, "conditional"),
    "CN-WS-04": ("housing", {}, "level2", None, "prohibited"),
    "CN-WS-05": ("solar_pv", {"discharges_wastewater": True}, "level2", None, "prohibited"),
    "CN-WS-06": ("solar_pv", {}, "level2", None, "conditional"),
    "CN-WS-07": ("nonferrous_smelting", {}, "quasi", None, "prohibited"),
    "CN-WS-08": ("housing", {}, "quasi", None, "conditional"),
    "CN-WS-09": ("solar_pv", {}, "quasi", None, "allowed"),
    "CN-WS-10": (
        "housing", {"construction": "rebuild", "increases_discharge": True}, "quasi", None,
        "prohibited",
    ),
    "CN-WS-11": (
        "solar_pv", {"construction": "rebuild", "increases_discharge": False}, "quasi", None,
        "conditional",
    ),
    "CN-LV-01": ("livestock_farm", {"livestock_scale": "large"}, "quasi", None, "prohibited"),
    "CN-LV-02": ("livestock_farm", {"livestock_scale": "large"}, "prohibited", None, "prohibited"),
    "CN-LV-03": ("livestock_farm", {"livestock_scale": "large"}, "all", None, "prohibited"),
    "CN-LV-04": ("livestock_farm", {"livestock_scale": "large"}, "restricted", None, "conditional"),
    "CN-LV-05": ("housing", {}, "prohibited", None, "allowed"),
    # basic farmland (土地管理法 Art 35)
    "CN-BF-01": ("housing", {}, "all", None, "prohibited"),
    "CN-BF-02": ("thermal_power", {}, "all", None, "prohibited"),
    "CN-BF-03": ("solar_pv", {}, "all", None, "prohibited"),
    # contaminated land (土壤污染防治法 Art 66)
    "CN-CL-01": ("housing", {}, "contaminated", None, "prohibited"),
    "CN-CL-02": ("solar_pv", {}, "contaminated", None, "prohibited"),
    "CN-CL-03": ("housing", {}, "suspected", None, "needs_info"),
    "CN-CL-04": ("housing", {}, "remediated", None, "conditional"),
    "CN-CL-05": ("ecological_restoration", {}, "contaminated", None, "conditional"),
    # parks
    "CN-IP-01": ("chemical", {}, None, None, "prohibited"),  # no park anywhere near
    "CN-IP-02": ("chemical", {}, "chemical_park", None, "conditional"),
    "CN-IP-03": ("housing", {}, "industrial_park", None, "allowed"),
    "CN-IP-04": ("chemical", {}, "industrial_park", None, "prohibited"),
    # sensitive receptors
    "CN-SR-01": ("landfill", {}, "residential", None, "conditional"),
    "CN-SR-02": ("housing", {}, "school", None, "allowed"),
    # control units, urban boundary, rivers, subsidence
    "CN-CU-01": ("nonferrous_smelting", {}, "priority", None, "prohibited"),
    "CN-CU-02": ("housing", {}, "priority", None, "conditional"),
    "CN-CU-03": ("housing", {}, "key", None, "conditional"),
    "CN-CU-04": ("housing", {}, "general", None, "allowed"),
    "CN-UB-01": ("housing", {}, "all", None, "allowed"),
    "CN-UB-02": ("landfill", {}, "all", None, "conditional"),
    "CN-RV-01": ("housing", {}, "other", None, "conditional"),
    "CN-GH-01": ("housing", {}, "stable", None, "conditional"),
    # Shanxi (14)
    "SX-CAP-01": ("coking", {"capacity_replacement": False}, None, None, "prohibited"),
    "SX-CAP-02": ("thermal_power", {}, None, None, "conditional"),
    "SX-COAL-01": ("brick_kiln", {}, None, None, "conditional"),
    "SX-BF-01": ("landfill", {}, "all", None, "prohibited"),
    "SX-YR-01": ("nonferrous_smelting", {}, "seven_rivers", "汾河", "prohibited"),
    "SX-UB-01": ("nonferrous_smelting", {}, "all", None, "prohibited"),
    "SX-UB-02": ("hazardous_waste_facility", {}, "all", None, "prohibited"),
    "SX-LK-01": ("nonferrous_smelting", {}, "other", "晋阳湖", "prohibited"),
    "SX-SP-02": ("quarry", {}, "key", None, "prohibited"),
    "SX-GW-02": ("landfill", {}, "source_recharge", None, "conditional"),
    "SX-GW-03": ("housing", {}, "recharge", None, "allowed"),
    # Xinzhou (1409)
    "SX-RE-01": ("solar_pv", {}, "general", None, "prohibited"),
    "SX-RE-02": ("wind_farm", {}, "all", None, "prohibited"),
    "SX-NR-01": ("tourism_facility", {}, "core", None, "prohibited"),
    "SX-NR-02": ("quarry", {}, "experimental", None, "prohibited"),
    "SX-HC-01": ("pipeline", {"transports_hazardous_chemicals": True}, "quasi", None, "prohibited"),
    "SX-HC-02": (
        "pipeline", {"transports_hazardous_chemicals": True}, "experimental", None, "prohibited",
    ),
    "SX-RB-XZ-01": ("housing", {}, "seven_rivers", "汾河", "conditional"),
    "SX-RB-XZ-02": ("housing", {}, "other", "牧马河", "conditional"),
    "SX-GW-01": ("landfill", {}, "source_recharge", None, "conditional"),
    "SX-IP-01": ("industrial_park", {}, None, None, "conditional"),  # no park anywhere near
    # Shuozhou (1406)
    "SX-RB-01": ("housing", {}, "seven_rivers", "永定河(桑干河、永定新河)", "conditional"),
    "SX-RB-02": ("housing", {}, "other", "恢河", "conditional"),
    "SX-LV-01": ("livestock_farm", {"livestock_scale": "large"}, "level1", None, "prohibited"),
    "SX-SP-01": ("quarry", {}, "protection", None, "conditional"),
    "SX-SP-03": ("housing", {}, "protection", None, "conditional"),
    "SX-SR-01": ("nonferrous_smelting", {}, "residential", None, "prohibited"),
    "SX-SR-02": ("nonferrous_smelting", {}, "hospital", "near", "needs_info"),  # 500 m away
    "SX-SUB-01": ("housing", {}, "unstable", None, "conditional"),
    # Yunzhou (140215)
    "SX-YZ-01": ("cement", {"capacity_replacement": True}, None, None, "prohibited"),
    "SX-YZ-02": ("thermal_power", {}, None, None, "prohibited"),
}  # fmt: skip

ALL_RULES = {r.id: r for p in load_rulepacks() for r in p.rules}


def _frames(kind: str | None, zone: str | None, name: str | None) -> dict:
    out = {}
    for k in KIND_IDS:
        if k == "admin_unit":
            continue
        rows = []
        if k == kind:
            geom = RIVER if kind == "river" else ZONE
            rows = [("f-1", zone, name if name != "near" else None, geom)]
        out[k] = gpd.GeoDataFrame(
            {
                "feature_id": [r[0] for r in rows],
                "kind": k,
                "zone": [r[1] for r in rows],
                "name": [r[2] for r in rows],
                "layer": "t",
            },
            geometry=[r[3] for r in rows],
            crs=GK,
        ).to_crs("EPSG:4490")
    return out


def _screen(rule, ptype, attrs, zone, name, *, site=SITE, jurisdiction=None, zone_kind=True):
    kind = rule.kind if zone_kind and zone is not None else None
    frames = _frames(kind, zone, name)
    sites = gpd.GeoDataFrame({"site_id": ["s"]}, geometry=[site], crs=GK)
    jur = INSIDE[rule.jurisdiction] if jurisdiction is None else jurisdiction
    res = screen_sites(
        sites, frames, ptype, attrs=attrs, coverage=COVERAGE, jurisdiction=jur, n_jobs=1
    )
    return to_dict(res)["sites"][0]


def _fired(site) -> set[str]:
    ids = {r for h in site["hits"] for r in h["rule_ids"]}
    return ids | {a["rule_id"] for a in site["area_rules"] if a["status"] == "applies"}


def _checks(site) -> set[str]:
    ids = {r for h in [*site["hits"], *site["nearby"]] for r in h["jurisdiction_checks"]}
    return ids | {a["rule_id"] for a in site["area_rules"] if a["status"] == "check"}


def test_every_rule_of_every_pack_is_in_the_table():
    assert set(CASES) == set(ALL_RULES), (
        f"untested: {sorted(set(ALL_RULES) - set(CASES))}; "
        f"stale: {sorted(set(CASES) - set(ALL_RULES))}"
    )


def test_the_table_expects_the_rules_own_outcome():
    """A rule decides its case: the expected verdict is the rule's outcome (or, for a rule
    whose exception holds, the exception's).
    """
    for rid, (_t, attrs, *_rest, expected) in CASES.items():
        rule = ALL_RULES[rid]
        a = rule.assess({**project_types()[_t].defaults, **attrs})
        assert a.outcome == expected, rid


@pytest.mark.parametrize("rid", sorted(CASES))
def test_rule_decides_its_site(rid):
    rule = ALL_RULES[rid]
    ptype, attrs, zone, name, expected = CASES[rid]
    site = SITE
    if name == "near":  # a buffer rule: the site lies 500 m east of the zone
        site = box(X0 + 1500, Y0 + 450, X0 + 1600, Y0 + 550)
    result = _screen(rule, ptype, attrs, zone, name, site=site)
    assert result["verdict"] == expected, (rid, result["reasons_en"])
    assert rid in _fired(result), (rid, result["reasons_en"])
    # the rule's own reason is there, Chinese first, with its citation
    (zh,) = [r for r in result["reasons_zh"] if f"〔{rid}〕" in r]
    assert zh.startswith(
        {"prohibited": "禁止", "needs_info": "需补充信息", "conditional": "有条件允许",
         "allowed": "允许"}[expected]
    )  # fmt: skip
    assert rule.citation.title() in zh
    if expected == "prohibited" and not rule.citation.verified:
        assert "未经离线核实" in zh


@pytest.mark.parametrize("rid", sorted(CASES))
def test_rule_does_not_fire_outside_its_zone(rid):
    rule = ALL_RULES[rid]
    ptype, attrs, zone, name, _expected = CASES[rid]
    if not rule.kind:
        pytest.skip("needs no layer: tested by type and jurisdiction")
    if rule.outside:  # fires outside the zone, so must not fire inside it
        result = _screen(rule, ptype, attrs, rule.zones[0] if "*" not in rule.zones else
                         "industrial_park", None)  # fmt: skip
    else:  # 5 km away, beyond every buffer
        far = box(X0 + 6000, Y0 + 450, X0 + 6100, Y0 + 550)
        result = _screen(rule, ptype, attrs, zone, name, site=far)
    assert rid not in _fired(result)


@pytest.mark.parametrize("rid", sorted(CASES))
def test_rule_does_not_fire_for_other_types(rid):
    rule = ALL_RULES[rid]
    _ptype, _attrs, zone, name, _expected = CASES[rid]
    other = next((t for t in project_types().values() if not rule.covers_type(t)), None)
    if other is None:
        pytest.skip("covers every project type")
    site = SITE if name != "near" else box(X0 + 1500, Y0 + 450, X0 + 1600, Y0 + 550)
    result = _screen(rule, other.id, {}, zone, name, site=site)
    assert rid not in _fired(result) | _checks(result)


@pytest.mark.parametrize("rid", sorted(r for r in CASES if ALL_RULES[r].jurisdiction))
def test_rule_does_not_fire_outside_its_jurisdiction(rid):
    rule = ALL_RULES[rid]
    ptype, attrs, zone, name, _expected = CASES[rid]
    site = SITE if name != "near" else box(X0 + 1500, Y0 + 450, X0 + 1600, Y0 + 550)
    outside = _screen(rule, ptype, attrs, zone, name, site=site,
                      jurisdiction=OUTSIDE[rule.jurisdiction])  # fmt: skip
    assert rid not in _fired(outside) | _checks(outside)
    # known only to lie in China: the rule becomes evidence to check, never a verdict
    unknown = _screen(rule, ptype, attrs, zone, name, site=site, jurisdiction="CN")
    assert rid not in _fired(unknown) and rid in _checks(unknown)
    assert any(f"〔{rid}〕" in e and "若场址位于" in e for e in unknown["evidence_required"])
