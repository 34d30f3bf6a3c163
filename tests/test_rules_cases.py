"""The cases of issue 11 (and issue 12 items 2 and 11) whose answers were worked out from the
law texts: province-wide bans, rules bound to the city that issued them, corrected national
rules, exceptions, missing data, bad rule packs, and the commands that show the rules.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, box

from zoning.cli.main import cli
from zoning.errors import CatalogError, RulePackError
from zoning.kinds import KIND_IDS, canonical_zone
from zoning.rules import load_rulepack, load_rulepacks
from zoning.screening import screen_sites
from zoning.screening.report import to_dict

X0, Y0 = 500_000.0, 4_200_000.0
GK = "EPSG:4547"
_TO_LL = pyproj.Transformer.from_crs(GK, "EPSG:4490", always_xy=True)
COVERAGE = shapely.transform(
    box(X0 - 50_000, Y0 - 50_000, X0 + 50_000, Y0 + 50_000),
    lambda c: np.column_stack(_TO_LL.transform(c[:, 0], c[:, 1])),
)
SITE = box(X0 + 450, Y0 + 450, X0 + 550, Y0 + 550)


def frames(*features, omit=()):
    """Every layer kind (empty) plus the given (kind, zone, name, geometry) features."""
    out = {}
    for k in KIND_IDS:
        if k == "admin_unit" or k in omit:
            continue
        rows = [f for f in features if f[0] == k]
        out[k] = gpd.GeoDataFrame(
            {
                "feature_id": [f"{k}-{i}" for i in range(len(rows))],
                "kind": k,
                "zone": [r[1] for r in rows],
                "name": [r[2] for r in rows],
                "layer": "t",
            },
            geometry=[r[3] for r in rows],
            crs=GK,
        ).to_crs("EPSG:4490")
    return out


def one(fr, ptype, *, site=SITE, jurisdiction="140105", coverage=COVERAGE, **kw):
    sites = gpd.GeoDataFrame({"site_id": ["s"]}, geometry=[site], crs=GK)
    res = screen_sites(
        sites, fr, ptype, coverage=coverage, jurisdiction=jurisdiction, n_jobs=1, **kw
    )
    return to_dict(res)["sites"][0]


def fired(site):
    ids = {r for h in site["hits"] for r in h["rule_ids"]}
    return ids | {a["rule_id"] for a in site["area_rules"] if a["status"] == "applies"}


# ----------------------------------------------------------------------- province-wide bans
GENERAL_UNIT_4KM_FROM_RIVER = frames(
    ("control_unit", "general", "一般管控单元", box(X0, Y0, X0 + 1000, Y0 + 1000)),
    ("river", "seven_rivers", "汾河", LineString([(X0 + 4500, Y0 - 5000), (X0 + 4500, Y0 + 5000)])),
)


def test_new_coking_plant_in_a_general_unit_far_from_rivers_asks_for_capacity_replacement():
    site = one(GENERAL_UNIT_4KM_FROM_RIVER, "coking")
    # 003 L171: 严禁焦化、钢铁、水泥等新增产能项目; replacement unknown → ask, never allowed
    assert site["verdict"] == "needs_info"
    assert "SX-CAP-01" in fired(site)
    assert any("capacity_replacement" in q for q in site["questions"])
    assert any("〔SX-CAP-01〕" in r and "严禁焦化、钢铁、水泥等新增产能项目" in r
               for r in site["reasons_zh"])  # fmt: skip


def test_coking_without_capacity_replacement_is_prohibited_and_with_it_conditional():
    no = one(GENERAL_UNIT_4KM_FROM_RIVER, "coking", attrs={"capacity_replacement": False})
    assert no["verdict"] == "prohibited"
    yes = one(GENERAL_UNIT_4KM_FROM_RIVER, "coking", attrs={"capacity_replacement": True})
    assert yes["verdict"] == "conditional"
    assert any("产能置换" in e for e in yes["evidence_required"])
    # the river is 4 km away: beyond SX-YR-01's 1 km placeholder, only nearby
    assert not [h for h in yes["hits"] if h["layer_kind"] == "river"]


def test_the_ban_binds_shanxi_only():
    hebei = one(GENERAL_UNIT_4KM_FROM_RIVER, "coking", jurisdiction="130102")
    assert "SX-CAP-01" not in fired(hebei) and hebei["verdict"] == "allowed"


def test_a_coking_plant_at_every_county_seat_of_the_demo_is_never_allowed(demo_catalog):
    counties = demo_catalog.admin_units("county")
    seats = gpd.GeoDataFrame(
        {"site_id": counties["name"].to_numpy()},
        geometry=counties.geometry.representative_point().to_numpy(),
        crs="EPSG:4490",
    )
    res = screen_sites(seats, demo_catalog, "coking", n_jobs=1)
    assert len(res.sites) == 117
    assert "allowed" not in set(res.sites["verdict"])
    doc = to_dict(res)
    # every seat is told the province-wide ban, with its county from the admin layer
    for s in doc["sites"]:
        assert s["jurisdiction"]["source"] == "admin_unit" and len(s["jurisdiction"]["codes"]) == 1
        assert "SX-CAP-01" in {a["rule_id"] for a in s["area_rules"]}


def test_yunzhou_bans_brick_kilns_district_wide_but_not_next_door():
    yz = one(frames(), "brick_kiln", jurisdiction="140215")
    assert yz["verdict"] == "prohibited" and "SX-YZ-01" in fired(yz)
    next_door = one(frames(), "brick_kiln", jurisdiction="140212")  # 新荣区
    assert "SX-YZ-01" not in fired(next_door)
    assert next_door["verdict"] == "conditional"  # SX-COAL-01: coal substitution, province-wide


# ----------------------------------------------------------------------- city rules bind the city
def _redline_site(demo_catalog, county: str):
    rl = demo_catalog.frame("eco_redline")
    feat = rl[rl["name"].str.startswith(county)].geometry.iloc[0]
    pt = feat.representative_point()
    return gpd.GeoDataFrame({"site_id": [county]}, geometry=[pt], crs="EPSG:4490")


def test_the_xinzhou_pv_rule_is_cited_in_xinzhou_and_not_in_taiyuan(demo_catalog):
    xz = to_dict(screen_sites(_redline_site(demo_catalog, "忻府区"), demo_catalog, "solar_pv"))
    ty = to_dict(screen_sites(_redline_site(demo_catalog, "迎泽区"), demo_catalog, "solar_pv"))
    xz, ty = xz["sites"][0], ty["sites"][0]
    assert xz["jurisdiction"]["codes"] == ["140902"] and ty["jurisdiction"]["codes"] == ["140106"]
    assert "SX-RE-01" in fired(xz)
    assert any("忻政办发〔2023〕33号" in r for r in xz["reasons_zh"])
    assert "SX-RE-01" not in fired(ty)
    assert not any("SX-RE-01" in e for e in ty["evidence_required"])
    assert xz["verdict"] == ty["verdict"] == "prohibited"  # CN-RL-02 holds in both


def test_a_catalogue_level_jurisdiction_key_binds_city_rules(tmp_path):
    fr = frames(("eco_redline", "general", None, box(X0, Y0, X0 + 1000, Y0 + 1000)))
    fr["eco_redline"].to_file(tmp_path / "rl.geojson")
    cov = gpd.GeoDataFrame(geometry=[COVERAGE], crs="EPSG:4490")
    cov.to_file(tmp_path / "cov.geojson")
    toml = (
        'name = "xinfu"\ncoverage = "cov.geojson"\njurisdiction = "140902"\n'
        '[[layers]]\nkind = "eco_redline"\npath = "rl.geojson"\nzone_field = "zone"\n'
    )
    (tmp_path / "c.toml").write_text(toml, encoding="utf-8")
    from zoning.catalog import load_catalog

    cat = load_catalog(tmp_path / "c.toml")
    assert cat.jurisdiction == "140902"
    sites = gpd.GeoDataFrame({"site_id": ["s"]}, geometry=[SITE], crs=GK)
    site = to_dict(screen_sites(sites, cat, "solar_pv"))["sites"][0]
    assert site["jurisdiction"] == {
        "codes": ["140902"], "source": "catalogue", "text": "140902"}  # fmt: skip
    assert "SX-RE-01" in fired(site)
    (tmp_path / "bad.toml").write_text(toml.replace('"140902"', '"Xinzhou"'), encoding="utf-8")
    with pytest.raises(CatalogError, match="not an administrative code"):
        load_catalog(tmp_path / "bad.toml")


# ----------------------------------------------------------------------- corrected national rules
def test_industrial_park_in_an_experimental_zone_is_prohibited():
    fr = frames(("protected_area", "experimental", "保护区", box(X0, Y0, X0 + 1000, Y0 + 1000)))
    site = one(fr, "industrial_park")
    assert site["verdict"] == "prohibited" and "CN-NR-03" in fired(site)
    assert any("自然保护区条例" in r and "第三十二条" in r for r in site["reasons_zh"])


def test_housing_in_a_protected_areas_general_control_zone_is_prohibited():
    fr = frames(("protected_area", "general", "保护地", box(X0, Y0, X0 + 1000, Y0 + 1000)))
    site = one(fr, "housing")
    assert site["verdict"] == "prohibited" and "CN-PA-02" in fired(site)
    # maintenance of an existing lawful facility is a listed limited activity
    kept = one(fr, "housing", attrs={"construction": "maintenance"})
    assert kept["verdict"] == "conditional"


@pytest.mark.parametrize("zone", ["level1", "level2", "quasi"])
def test_large_livestock_farm_in_any_water_source_zone_is_prohibited(zone):
    fr = frames(("water_source", zone, "水源", box(X0, Y0, X0 + 1000, Y0 + 1000)))
    site = one(fr, "livestock_farm", attrs={"livestock_scale": "large"})
    assert site["verdict"] == "prohibited" and "CN-LV-01" in fired(site)


def test_landfill_in_the_urban_boundary_needs_conditions():
    fr = frames(("urban_boundary", "all", "城镇开发边界", box(X0, Y0, X0 + 1000, Y0 + 1000)))
    site = one(fr, "landfill")
    assert site["verdict"] == "conditional" and "CN-UB-01" not in fired(site)
    assert any("GB 16889" in e for e in site["evidence_required"])
    assert one(fr, "housing")["verdict"] == "allowed"


def test_key_national_project_exception_reaches_a_thermal_plant_on_basic_farmland():
    fr = frames(("basic_farmland", "all", None, box(X0, Y0, X0 + 1000, Y0 + 1000)))
    assert one(fr, "thermal_power")["verdict"] == "prohibited"
    key = one(fr, "thermal_power", attrs={"key_national_project": True})
    assert key["verdict"] == "conditional"
    assert any("国务院批准" in e for e in key["evidence_required"])
    # a road is no key project by default either: prohibited until shown to be one
    assert one(fr, "road")["verdict"] == "prohibited"
    # housing has no such path at all
    assert one(fr, "housing", attrs={"key_national_project": True})["verdict"] == "prohibited"


def test_quasi_zone_treats_new_expanded_and_rebuilt_projects_differently():
    fr = frames(("water_source", "quasi", None, box(X0, Y0, X0 + 1000, Y0 + 1000)))
    assert one(fr, "nonferrous_smelting")["verdict"] == "prohibited"  # new: banned
    rebuilt = {"construction": "rebuild", "increases_discharge": False}
    assert one(fr, "nonferrous_smelting", attrs=rebuilt)["verdict"] == "conditional"
    more = {"construction": "rebuild", "increases_discharge": True}
    assert one(fr, "nonferrous_smelting", attrs=more)["verdict"] == "prohibited"
    asked = one(fr, "nonferrous_smelting", attrs={"construction": "rebuild"})
    assert asked["verdict"] == "needs_info"
    assert any("increases_discharge" in q for q in asked["questions"])


def test_river_belts_are_scoped_as_the_seeds_scope_them():
    yellow = LineString([(X0 - 500, Y0 + 500), (X0 + 1500, Y0 + 500)])
    fr = frames(("river", "yellow_main", "黄河", yellow))
    near = box(X0 + 450, Y0 + 540, X0 + 550, Y0 + 560)  # 40 m north of the Yellow River
    # Shuozhou's 50 m belt is for the Sanggan (and named tributaries), not the Yellow River
    sz = one(fr, "housing", site=near, jurisdiction="140602")
    assert not {"SX-RB-01", "SX-RB-02"} & fired(sz)
    sanggan = frames(("river", "seven_rivers", "桑干河", yellow))
    assert "SX-RB-01" in fired(one(sanggan, "housing", site=near, jurisdiction="140602"))
    # in Xinzhou the Fen has the 50 m belt (000 L1840), the Hutuo does not
    fen = frames(("river", "seven_rivers", "汾河", yellow))
    assert "SX-RB-XZ-01" in fired(one(fen, "housing", site=near, jurisdiction="140902"))
    hutuo = frames(("river", "seven_rivers", "滹沱河", yellow))
    assert "SX-RB-XZ-01" not in fired(one(hutuo, "housing", site=near, jurisdiction="140902"))


def test_the_seven_rivers_are_the_seven_of_the_plan():
    for river in ("汾河", "桑干河", "滹沱河", "漳沱河", "漳河", "沁河", "涑水河", "大清河"):
        assert canonical_zone("river", river) == "seven_rivers", river
    assert canonical_zone("river", "永定河") is None
    assert canonical_zone("river", "子牙河") is None


def test_chemical_plant_only_inside_a_chemical_park():
    park = box(X0, Y0, X0 + 1000, Y0 + 1000)
    inside = one(frames(("industrial_park", "chemical_park", "化工园区", park)), "chemical")
    assert inside["verdict"] == "conditional"
    general = one(frames(("industrial_park", "industrial_park", "开发区", park)), "chemical")
    assert general["verdict"] == "prohibited"
    nowhere = one(frames(), "chemical")
    assert nowhere["verdict"] == "prohibited" and "CN-IP-01" in fired(nowhere)
    assert any("不在任何化工园区内" in r for r in nowhere["reasons_zh"])


def test_unverified_clause_deciding_prohibited_says_so():
    fr = frames(("eco_redline", "general", None, box(X0, Y0, X0 + 1000, Y0 + 1000)))
    site = one(fr, "housing")
    (zh,) = [r for r in site["reasons_zh"] if "〔CN-RL-02〕" in r]
    assert zh.startswith("禁止：") and "自然资发〔2022〕142号" in zh
    assert "未经离线核实" in zh
    (en,) = [r for r in site["reasons_en"] if "CN-RL-02" in r]
    assert "not verified offline" in en
    hit = site["hits"][0]
    assert hit["reason_zh"] == zh and hit["reason_en"] == en
    assert site["reason_zh"] == zh and site["reason_en"] == en  # the deciding reason
    assert hit["citation"]["quote_zh"].startswith("生态保护红线内")


# ----------------------------------------------------------------------- issue 12 item 2
def test_no_coverage_and_no_admin_layer_is_never_allowed():
    site = one(frames(), "housing", coverage=None)
    assert site["verdict"] == "needs_info" and site["covered"] is False
    assert any("coverage" in r and "admin_unit" in r for r in site["reasons_en"])


def test_a_catalogue_without_the_red_line_kind_is_never_allowed_for_pv():
    site = one(frames(omit=("eco_redline",)), "solar_pv")
    assert site["verdict"] == "needs_info"
    assert "eco_redline" in site["missing_layers"]
    assert any("生态保护红线" in r for r in site["reasons_zh"])


def test_a_missing_kind_whose_rules_bind_elsewhere_does_not_count():
    # spring-area rules for housing bind Shuozhou only; in Taiyuan their layer is not needed
    site = one(frames(omit=("spring_area",)), "housing", jurisdiction="140105")
    assert "spring_area" not in site["missing_layers"]
    sz = one(frames(omit=("spring_area",)), "housing", jurisdiction="140602")
    assert "spring_area" in sz["missing_layers"] and sz["verdict"] == "needs_info"


# ----------------------------------------------------------------------- issue 12 item 11
PACK = {"pack": {"id": "p", "version": "1"}}
RULE = {
    "id": "P-1",
    "kind": "water_source",
    "zones": ["level1"],
    "project_types": ["*"],
    "outcome": "prohibited",
    "citation": {"document": "x"},
}


@pytest.mark.parametrize(
    ("change", "code", "found"),
    [
        ({"rules": [1]}, "bad_type", "rules[0] = 1 is not a table"),
        ({"rules": [{**RULE, "conditions": [1]}]}, "bad_type", "condition 1 is not a table"),
        ({"rules": [{**RULE, "buffer_m": math.nan}]}, "non_finite", "rules[0].buffer_m"),
        ({"rules": [{**RULE, "buffer_m": math.inf}]}, "non_finite", "rules[0].buffer_m"),
        ({"rules": [{**RULE, "buffer_m": "50"}]}, "bad_buffer", "'50' is not a number"),
        ({"rules": [{**RULE, "zones": 5}]}, "bad_type", "zones = 5"),
        ({"rules": [{**RULE, "id": 7}]}, "bad_type", "id = 7"),
        ({"rules": [{**RULE, "citation": {"document": "x", "verified": "false"}}]},
         "bad_type", "verified = 'false'"),
        ({"rules": [{**RULE, "conditions": [
            {"attr": "capacity_mw", "op": "gt", "value": math.nan}]}]},
         "non_finite", "conditions[0].value"),
        ({"rules": [{**RULE, "jurisdiction": "Xinzhou"}]}, "bad_jurisdiction", "'Xinzhou'"),
        ({"rules": [{**RULE, "jurisdiction": "1409"}]}, "jurisdiction_name", "no jurisdiction_name"),
        ({"rules": [{**RULE, "citation": "NOPE"}]}, "unknown_citation", "'NOPE'"),
        ({"rules": [{**RULE, "exceptions": [{"attr": "nope"}]}]}, "unknown_attribute", "'nope'"),
    ],
)  # fmt: skip
def test_bad_rule_pack_values_are_listed_not_raised(change, code, found):
    with pytest.raises(RulePackError) as err:
        load_rulepack({**PACK, **change})
    codes = [p.code for p in err.value.problems]
    assert code in codes, codes
    assert found in str(err.value)


def test_every_problem_of_a_pack_is_listed_at_once():
    bad = {**PACK, "rules": [1, {**RULE, "buffer_m": math.nan, "zones": 5}, {**RULE, "id": 9}]}
    with pytest.raises(RulePackError) as err:
        load_rulepack(bad)
    assert {"bad_type", "non_finite"} <= {p.code for p in err.value.problems}
    assert len(err.value.problems) >= 4


def test_cli_refuses_a_rule_pack_with_nan_without_a_traceback(tmp_path):
    pack = tmp_path / "p.toml"
    pack.write_text(
        '[pack]\nid = "p"\nversion = "1"\n[[rules]]\nid = "P-1"\nkind = "water_source"\n'
        'zones = ["level1"]\nproject_types = ["*"]\noutcome = "prohibited"\nbuffer_m = nan\n'
        'citation = { document = "x" }\nconditions = [1]\n',
        encoding="utf-8",
    )
    res = CliRunner().invoke(cli, ["rules", "list", "--rulepack", str(pack)])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert "NaN or infinite" in res.stderr and "not a table" in res.stderr


# ----------------------------------------------------------------------- the bundled register
def test_every_bundled_rule_has_a_quoted_citation_and_each_quote_is_registered_once():
    quotes = []
    for pack in load_rulepacks():
        for rule in pack.rules:
            c = rule.citation
            assert c.document and c.quote_zh and c.id in pack.citations, rule.id
            if rule.jurisdiction:
                assert rule.jurisdiction_name, rule.id
        for c in pack.citations.values():
            quotes.append(c.quote_zh)
            if c.verified:
                assert c.verified_against, c.id
            if c.seed_file:
                assert c.line and c.seed_file.endswith(".txt"), c.id
    assert len(quotes) == len(set(quotes))


def test_city_rules_cite_the_city_document():
    by_id = {r.id: r for p in load_rulepacks() for r in p.rules}
    assert by_id["SX-RE-01"].jurisdiction == "1409"
    assert by_id["SX-RE-01"].citation.doc_no == "忻政办发〔2023〕33号"
    assert by_id["SX-SUB-01"].jurisdiction == "1406"
    assert by_id["SX-YZ-01"].jurisdiction == "140215"
    assert by_id["SX-CAP-01"].jurisdiction == "14" and not by_id["SX-CAP-01"].kind


# ----------------------------------------------------------------------- the commands
def test_zoning_types_lists_the_new_types_and_the_attributes_that_matter():
    res = CliRunner().invoke(cli, ["types", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["id"]: r for r in json.loads(res.stdout)}
    for t in ("reservoir", "flood_control", "pumped_storage", "steel", "cement", "brick_kiln",
              "nonferrous_smelting", "coal_tar"):  # fmt: skip
        assert t in rows
    coking = {a["id"]: a for a in rows["coking"]["attributes"]}
    assert coking["capacity_replacement"]["rules"] == ["SX-CAP-01"]
    assert coking["construction"]["default"] == "new"


def test_zoning_rules_list_filters_by_type_kind_and_jurisdiction():
    run = CliRunner().invoke
    res = run(cli, ["rules", "list", "--type", "solar_pv", "--kind", "eco_redline",
                    "--jurisdiction", "140902", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    ids = {r["id"] for r in json.loads(res.stdout)}
    assert {"CN-RL-02", "SX-RE-01"} <= ids and not any(i.startswith("CN-WS") for i in ids)
    ty = run(cli, ["rules", "list", "-t", "solar_pv", "-k", "eco_redline", "-j", "140105",
                   "--json"])  # fmt: skip
    assert "SX-RE-01" not in {r["id"] for r in json.loads(ty.stdout)}
    none = run(cli, ["rules", "list", "--kind", "none", "--json"])
    assert {r["id"] for r in json.loads(none.stdout)} == {
        "SX-CAP-01", "SX-CAP-02", "SX-COAL-01", "SX-YZ-01", "SX-YZ-02"}  # fmt: skip
    assert run(cli, ["rules", "list", "--jurisdiction", "Xinzhou"]).exit_code == 2


def test_zoning_rules_show_prints_the_citation_and_quote():
    res = CliRunner().invoke(cli, ["rules", "show", "SX-RE-01"])
    assert res.exit_code == 0, res.output
    assert "忻政办发〔2023〕33号" in res.stdout and "有效避让基本农田" in res.stdout
    assert "002_99901f9d3b38cdf2.txt:L292" in res.stdout and "binds: 忻州市 (1409)" in res.stdout
    doc = json.loads(CliRunner().invoke(cli, ["rules", "show", "CN-WS-02", "--json"]).stdout)
    assert doc["citation"]["verified"] is False and doc["jurisdiction"] == "CN"
    bad = CliRunner().invoke(cli, ["rules", "show", "CN-WS-99"])
    assert bad.exit_code == 2 and "did you mean" in bad.stderr


def test_screen_lang_picks_the_language_of_the_reasons(tmp_path):
    fr = frames(("water_source", "level1", "水源", box(X0, Y0, X0 + 1000, Y0 + 1000)))
    fr["water_source"].to_file(tmp_path / "ws.geojson")
    gpd.GeoDataFrame(geometry=[COVERAGE], crs="EPSG:4490").to_file(tmp_path / "cov.geojson")
    (tmp_path / "c.toml").write_text(
        'name = "t"\ncoverage = "cov.geojson"\njurisdiction = "140105"\n'
        '[[layers]]\nkind = "water_source"\npath = "ws.geojson"\nzone_field = "zone"\n'
        'name_field = "name"\n',
        encoding="utf-8",
    )
    site = tmp_path / "s.geojson"
    gpd.GeoDataFrame({"site_id": ["s"]}, geometry=[SITE], crs=GK).to_crs(4490).to_file(site)
    base = ["screen", str(site), "-t", "housing", "--catalog", str(tmp_path / "c.toml")]
    zh = CliRunner().invoke(cli, [*base, "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    assert "禁止：饮用水水源保护区·一级保护区" in zh.stdout
    assert "prohibited: water_source/level1" not in zh.stdout
    en = CliRunner().invoke(cli, [*base, "--lang", "en"])
    assert "prohibited: water_source/level1" in en.stdout and "〔CN-WS-02〕" not in en.stdout
    both = CliRunner().invoke(cli, base)
    assert both.stdout.index("禁止：饮用水") < both.stdout.index("prohibited: water_source")
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, [*base, "--out", str(out)]).exit_code == 0
    csv = (out / "summary.csv").read_text(encoding="utf-8")
    assert {"reason_zh", "reason_en"} <= set(csv.splitlines()[0].split(","))
    assert "禁止：" in csv
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "禁止：饮用水水源保护区" in html and "prohibited: water_source/level1" in html


def test_an_outside_a_zone_rule_does_not_fire_beyond_the_data():
    far = box(X0 + 60_000, Y0, X0 + 60_100, Y0 + 100)  # outside the coverage
    site = one(frames(), "chemical", site=far)
    assert site["verdict"] == "needs_info" and site["covered"] is False
    assert "CN-IP-01" not in fired(site)  # no chemical park "here" is not known


@pytest.mark.parametrize("pack_id", ["datong", "neimenggu"])
def test_the_examples_in_docs_rulepacks_load(pack_id):
    import re
    import tomllib
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "rulepacks.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if f'id = "{pack_id}"' in b]
    pack = load_rulepack(tomllib.loads(blocks[0]))
    assert pack.id == pack_id and pack.rules
    packs = load_rulepacks(["national", "shanxi", pack])  # ids unique across the packs
    assert [p.id for p in packs] == ["national", "shanxi", pack_id]


_ANY_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.dates(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
_FIELDS = ["id", "kind", "zones", "project_types", "categories", "exclude_types", "outcome",
           "buffer_m", "conditions", "exceptions", "on_missing", "citation", "jurisdiction",
           "jurisdiction_name", "names", "outside", "evidence_required", "effective_from",
           "text_zh", "question"]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    field=st.sampled_from(_FIELDS),
    value=_ANY_VALUE,
    where=st.sampled_from(["rule", "pack", "rules", "citations"]),
)
def test_any_value_in_a_rule_pack_gives_a_rule_pack_error_or_a_pack(field, value, where):
    """Fuzzing the rule-pack values (types, NaN, huge numbers): never another exception."""
    doc = {"pack": {"id": "p", "version": "1"}, "rules": [dict(RULE)]}
    if where == "rule":
        doc["rules"][0][field] = value
    elif where == "pack":
        doc["pack"][field] = value
    elif where == "rules":
        doc["rules"] = value
    else:
        doc["citations"] = value
    try:
        pack = load_rulepack(doc)
    except RulePackError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    for rule in pack.rules:
        assert math.isfinite(rule.buffer_m) and rule.buffer_m >= 0
        rule.to_dict()


def test_rule_pack_files_read_like_catalogues(tmp_path):
    """A byte order mark is accepted (Notepad writes one); a GBK file is named with the fix."""
    from zoning.rules import load_rulepack

    text = (
        '[pack]\nid = "bom"\nversion = "1"\n\n[[rules]]\nid = "BOM-01"\nkind = "eco_redline"\n'
        'zones = ["*"]\nproject_types = ["*"]\noutcome = "prohibited"\n'
        'citation = { document = "测试文件" }\n'
    )
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_rulepack(bom).get("BOM-01").outcome == "prohibited"
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes(text.encode("gbk"))
    with pytest.raises(RulePackError, match=r"GBK/GB18030.*save it as UTF-8"):
        load_rulepack(gbk)
