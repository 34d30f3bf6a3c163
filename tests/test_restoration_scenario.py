"""Restoration scenarios end to end: loading, validation, outputs and ``zoning restore``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from affine import Affine
from click.testing import CliRunner
from shapely import LineString, box

from zoning.errors import InfeasibleError, ScenarioError
from zoning.restoration.run import run_restoration
from zoning.restoration.scenario import load_restoration_scenario

GK = "EPSG:4547"
X0, Y0 = 500000.0, 4000000.0


def _write_inputs(folder: Path) -> None:
    import rasterio

    # six 1 km units in a 3 x 2 block
    units = [
        box(X0 + i * 1000, Y0 + j * 1000, X0 + (i + 1) * 1000, Y0 + (j + 1) * 1000)
        for j in range(2)
        for i in range(3)
    ]
    gpd.GeoDataFrame({"code": [f"u{k}" for k in range(6)]}, geometry=units, crs=GK).to_file(
        folder / "units.gpkg"
    )
    # subsidence over the western half of u0 and all of u4
    gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 500, Y0 + 1000), units[4]], crs=GK).to_file(
        folder / "subsidence.gpkg"
    )
    gpd.GeoDataFrame(
        geometry=[LineString([(X0 + 3500, Y0 - 1000), (X0 + 3500, Y0 + 3000)])], crs=GK
    ).to_file(folder / "river.gpkg")
    gpd.GeoDataFrame(geometry=[units[5]], crs=GK).to_file(folder / "urban.gpkg")
    lc = np.array([[10, 16, 7], [12, 10, 5]], dtype=np.uint8)  # north row first
    with rasterio.open(
        folder / "landcover.tif",
        "w",
        driver="GTiff",
        width=3,
        height=2,
        count=1,
        dtype="uint8",
        nodata=255,
        crs=GK,
        transform=Affine(1000, 0, X0, 0, -1000, Y0 + 2000),
    ) as dst:
        dst.write(lc, 1)


SCENARIO = """
name = "toy"
title = "Toy restoration"

[units]
path = "units.gpkg"
id_field = "code"

[rasters]
resolution_m = 100
[rasters.landcover]
path = "landcover.tif"

[[criteria]]
name = "subsidence"
type = "coverage"
layer = {{ path = "subsidence.gpkg" }}
weight = {w_sub}

[[criteria]]
name = "river"
type = "distance"
layer = {{ path = "river.gpkg" }}
max_km = 10
direction = "cost"
weight = 0.2

[[criteria]]
name = "vegetation"
type = "vegetation"
landcover = "landcover"
weight = 0.4

[classes]
method = "quantile"
k = 3

[[interventions]]
name = "mine_reclamation"
cost_per_ha = 1000
when = {{ subsidence = {{ min = 0.05 }} }}

[[interventions]]
name = "revegetation"
cost_per_ha = 100

[portfolio]
budget = {budget}
mip_rel_gap = 0
locked_out = [{{ layer = {{ path = "urban.gpkg" }}, min_share = 0.5 }}]
"""


@pytest.fixture
def toy(tmp_path):
    _write_inputs(tmp_path)

    def make(w_sub=0.4, budget=120000.0, name="toy.toml"):
        path = tmp_path / name
        path.write_text(SCENARIO.format(w_sub=w_sub, budget=budget), encoding="utf-8")
        return path

    return make


def test_run_scores_and_portfolio(toy):
    result = run_restoration(load_restoration_scenario(toy()))
    u = result.units
    # subsidence share by hand: u0 half covered, u4 fully
    assert u.loc["u0", "raw_subsidence"] == pytest.approx(0.5, abs=1e-3)
    assert u.loc["u4", "raw_subsidence"] == pytest.approx(1.0, abs=1e-6)
    assert u.loc["u1", "raw_subsidence"] == pytest.approx(0.0, abs=1e-6)
    # the decomposition sums to the score, scores in [0, 1]
    contrib = u.filter(like="contrib_").sum(axis=1)
    np.testing.assert_allclose(contrib, u["score"])
    assert u["score"].between(0, 1).all()
    # interventions and cost: u0, u4 mine reclamation at 1000 / ha, others 100 / ha
    assert u.loc["u0", "intervention"] == "mine_reclamation"
    assert u.loc["u1", "intervention"] == "revegetation"
    p = result.portfolio
    assert p.cost <= 120000.0
    assert not u.loc["u5", "selected"]  # locked out (urban)
    assert u.loc["u5", "locked"] == "out"


def test_cli_writes_every_output_and_identical_rasters(toy, tmp_path):
    from zoning.cli.main import cli

    scenario = toy()
    runner = CliRunner()
    out1, out2 = tmp_path / "run1", tmp_path / "run2"
    for out in (out1, out2):
        res = runner.invoke(cli, ["restore", "--scenario", str(scenario), "--out", str(out)])
        assert res.exit_code == 0, res.output
    names = {p.name for p in out1.iterdir()}
    assert {
        "priority.tif",
        "criteria.tif",
        "priority_class.tif",
        "units.gpkg",
        "ranking.csv",
        "ranking_curve.png",
        "ranking_curve.csv",
        "map.html",
        "report.json",
    } <= names

    def digest(p):
        return hashlib.sha256(p.read_bytes()).hexdigest()

    assert digest(out1 / "priority.tif") == digest(out2 / "priority.tif")
    assert digest(out1 / "criteria.tif") == digest(out2 / "criteria.tif")
    report = json.loads((out1 / "report.json").read_text(encoding="utf-8"))
    assert report["portfolio"]["n_variables"] == 6
    assert "not an official map" in report["disclaimer"]
    import rasterio

    with rasterio.open(out1 / "priority.tif") as src:
        assert src.profile["tiled"] and src.compression.name.lower() == "deflate"
        assert src.overviews(1)
        assert src.descriptions == ("score", "priority_class", "selected")
        assert np.isnan(src.nodata)
        float_classes = src.read(2)
        # QGIS and gdalsrsinfo must see CGCS2000, not "unknown based on GRS 1980"
        assert pyproj.CRS.from_wkt(src.crs.to_wkt()).datum.name == "China 2000"
    with rasterio.open(out1 / "priority_class.tif") as src:
        assert src.dtypes == ("uint8",) and src.nodata == 0
        classes = src.read(1)
        # the same classes as the float band, 0 where that band is NaN
        np.testing.assert_array_equal(classes, np.nan_to_num(float_classes, nan=0).astype("uint8"))
        k = int(classes.max())
        assert k == max(int(c) for c in report["classes"])
        cmap = src.colormap(1)
        assert cmap[0][3] == 0  # nodata transparent
        assert len({cmap[c] for c in range(1, k + 1)}) == k  # one colour per class
        brightness = [sum(cmap[c][:3]) for c in range(1, k + 1)]
        assert brightness == sorted(brightness)  # class 1 darkest, the lowest class lightest
        tags = src.tags(1)
        assert "最高优先" in tags["CLASS_1"] and "highest" in tags["CLASS_1"]
        assert pyproj.CRS.from_wkt(src.crs.to_wkt()).datum.name == "China 2000"
    # an existing output is refused without --overwrite, replaced with it
    res = runner.invoke(cli, ["restore", "--scenario", str(scenario), "--out", str(out1)])
    assert res.exit_code == 1 and "exists" in res.output
    res = runner.invoke(
        cli, ["restore", "--scenario", str(scenario), "--out", str(out1), "--overwrite"]
    )
    assert res.exit_code == 0, res.output


def test_bad_weights_are_listed(toy):
    with pytest.raises(ScenarioError, match=r"sum to 1\.2"):
        load_restoration_scenario(toy(w_sub=0.6))


def test_infeasible_budget_leaves_no_output(toy, tmp_path):
    from zoning.cli.main import cli

    # nothing locked in, so any budget >= 0 is feasible; a negative budget is refused on load
    with pytest.raises(ScenarioError, match="budget"):
        load_restoration_scenario(toy(budget=-1))
    # lock in the subsidence units (cost 100 ha x 1000 each at least) with a tiny budget
    text = (
        toy()
        .read_text(encoding="utf-8")
        .replace(
            "locked_out =",
            'locked_in = [{ layer = { path = "subsidence.gpkg" }, min_share = 0.4 }]\nlocked_out =',
        )
        .replace("budget = 120000.0", "budget = 1000.0")
    )
    path = tmp_path / "tight.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InfeasibleError, match="short by"):
        run_restoration(load_restoration_scenario(path))
    out = tmp_path / "never"
    res = CliRunner().invoke(cli, ["restore", "--scenario", str(path), "--out", str(out)])
    assert res.exit_code == 1 and "short by" in res.output
    assert not out.exists()


def test_scenario_problems_are_collected(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_restoration_scenario(
            {
                "units": {"path": "u.gpkg"},
                "criteria": [
                    {"name": "a", "type": "slope", "weight": 0.5},
                    {"name": "b", "type": "erosion", "weight": 0.5, "direction": "up"},
                ],
            }
        )
    codes = {p.code for p in info.value.problems}
    assert {"criterion_type", "criterion_raster", "direction"} <= codes


def test_missing_scenario_file(tmp_path):
    from zoning.errors import InputFileError

    with pytest.raises(InputFileError, match="does not exist"):
        load_restoration_scenario(tmp_path / "nope.toml")


def test_demo_catalogue_small_grid(demo_catalog_path, tmp_path):
    # one county of the demo (Ying County, Shuozhou) at 2 km with catalogue layers
    scenario = {
        "name": "ying",
        "catalog": str(demo_catalog_path),
        "study_area": {"kind": "admin_unit", "level": "county", "names": ["应县"]},
        "units": {"grid_m": 2000},
        "rasters": {
            "resolution_m": 500,
            "landcover": {"path": "dataset:modis-landcover-shanxi/mcd12c1_2019_igbp_shanxi.tif"},
        },
        "criteria": [
            {
                "name": "redline",
                "type": "coverage",
                "layer": {"kind": "eco_redline"},
                "weight": 0.3,
            },
            {
                "name": "river",
                "type": "distance",
                "layer": {"kind": "river"},
                "max_km": 30,
                "direction": "cost",
                "weight": 0.3,
            },
            {"name": "erosion", "type": "erosion", "landcover": "landcover", "weight": 0.4},
        ],
    }
    result = run_restoration(load_restoration_scenario(scenario))
    u = result.units
    # Ying County is about 1,700 km2: the clipped 2 km cells add up to the county area
    assert 1500 * 100 < u["area_ha"].sum() < 1900 * 100
    assert (u["county_name"] == "应县").mean() > 0.95
    assert u["score"].between(0, 1).all()
    assert set(u["priority_class"]) <= {1, 2, 3, 4, 5}


def test_ahp_weights_in_a_scenario(toy, tmp_path):
    from zoning.errors import CriteriaError

    # replace the direct weights by an AHP matrix: subsidence 3x river, 1x vegetation …
    text = toy().read_text(encoding="utf-8")
    ahp = (
        '[weights]\nmethod = "ahp"\ncriteria = ["subsidence", "river", "vegetation"]\n'
        "matrix = [[1, 3, 1], [0.3333333333333333, 1, 0.3333333333333333], [1, 3, 1]]\n"
    )
    path = tmp_path / "ahp.toml"
    path.write_text(text.replace("[classes]", ahp + "\n[classes]"), encoding="utf-8")
    result = run_restoration(load_restoration_scenario(path))
    # a consistent matrix (a = 3b = c): weights 3/7, 1/7, 3/7 and CR 0
    assert result.weights == pytest.approx(
        {"subsidence": 3 / 7, "river": 1 / 7, "vegetation": 3 / 7}
    )
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-9)
    # a = 9b, b = 9c, c = 9a: consistency ratio 6.13 (see test_restoration_scoring)
    bad = ahp.split("matrix")[0] + (
        "matrix = [[1, 9, 0.1111111111111111], [0.1111111111111111, 1, 9], "
        "[9, 0.1111111111111111, 1]]\n"
    )
    path.write_text(text.replace("[classes]", bad + "\n[classes]"), encoding="utf-8")
    with pytest.raises(CriteriaError, match=r"consistency ratio 6\.13"):
        run_restoration(load_restoration_scenario(path))


def test_units_geopackage_holds_scores_and_decomposition(toy, tmp_path):
    from zoning.restoration.outputs import write_outputs

    result = run_restoration(load_restoration_scenario(toy()))
    out = tmp_path / "out"
    out.mkdir()
    write_outputs(result, out, map_html=False)
    gpkg = gpd.read_file(out / "units.gpkg", layer="restoration_units")
    assert gpkg.crs.to_epsg() == 4490
    assert len(gpkg) == 6
    for col in (
        "unit_id",
        "score",
        "rank",
        "priority_class",
        "contrib_subsidence",
        "norm_river",
        "raw_vegetation",
        "intervention",
        "cost",
        "selected",
    ):
        assert col in gpkg.columns, col
    ranking = pd.read_csv(out / "ranking.csv")
    assert ranking["rank"].is_monotonic_increasing
    np.testing.assert_allclose(
        ranking.filter(like="contrib_").sum(axis=1), ranking["score"], atol=1e-9
    )


def test_demo_scenario_validates():
    from zoning.restoration.scenario import demo_scenario_path

    scenario = load_restoration_scenario(demo_scenario_path())
    assert scenario.catalog == "demo"
    assert scenario.study_area["names"] == ["忻州市", "朔州市", "大同市"]
    assert scenario.units["grid_m"] == 1000
    assert sum(c["weight"] for c in scenario.criteria) == pytest.approx(1.0)


def test_admin_layer_without_city_column_gives_empty_city(tmp_path):
    """A user's county layer often has only a name: units still get it, city stays empty."""
    from zoning.restoration.units import assign_admin

    units = gpd.GeoDataFrame(
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 5000, Y0, X0 + 6000, Y0 + 1000)],
        crs=GK,
    )
    counties = gpd.GeoDataFrame(
        {"name": ["西县"], "adcode": ["140001"]},
        geometry=[box(X0 - 100, Y0 - 100, X0 + 2000, Y0 + 2000)],
        crs=GK,
    )
    out = assign_admin(units, counties, columns=("name", "city", "adcode"))
    assert out["county_name"].tolist()[0] == "西县"
    assert pd.isna(out["county_name"].tolist()[1])  # the second unit lies in no county
    assert out["county_city"].isna().all()


def test_missing_raster_is_reported_when_the_scenario_loads(tmp_path):
    scn = tmp_path / "s.toml"
    scn.write_text(
        '[units]\npath = "units.gpkg"\n[rasters.lc]\npath = "nowhere.tif"\n'
        '[[criteria]]\nname = "lc"\ntype = "raster"\nraster = "lc"\nweight = 1.0\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"nowhere\.tif not found"):
        load_restoration_scenario(scn)


def test_units_gpkg_opens_in_qgis_colours(toy, tmp_path):
    """units.gpkg carries a default QGIS style: priority classes in the GeoTIFF's colours."""
    import sqlite3
    import xml.etree.ElementTree as ET

    from zoning.cli.main import cli

    out = tmp_path / "run"
    res = CliRunner().invoke(cli, ["restore", str(toy()), "--out", str(out)])
    assert res.exit_code == 0, res.output
    con = sqlite3.connect(out / "units.gpkg")
    rows = con.execute(
        "SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles"
    ).fetchall()
    kinds = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))
    con.close()
    assert [(r[0], r[2]) for r in rows] == [("restoration_units", 1)]
    assert kinds["layer_styles"] == "attributes"
    root = ET.fromstring(rows[0][3].split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "priority_class"
    units = gpd.read_file(out / "units.gpkg", layer="restoration_units")
    values = {c.get("value") for c in renderer.iter("category")}
    assert {str(v) for v in units["priority_class"].unique()} <= values
    from zoning.restoration.outputs import class_palette

    k = len(values)
    colors = [s.find(".//Option[@name='color']").get("value") for s in renderer.iter("symbol")]
    assert colors[0].startswith("{},{},{}".format(*class_palette(k)[1][0]))


def test_cli_prints_cost_in_yuan_and_writes_csv_with_bom(toy, tmp_path):
    from zoning.cli.main import cli

    out = tmp_path / "run"
    res = CliRunner().invoke(cli, ["restore", str(toy(budget=8e9)), "--out", str(out)])
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    cost = report["portfolio"]["cost"]
    assert f"cost {cost:,.0f} 元 (yuan) of 8,000,000,000 元 (yuan)," in res.stdout
    assert "e+09" not in res.stdout
    for name in ("ranking.csv", "ranking_curve.csv"):
        data = (out / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        assert pd.read_csv(out / name).columns[0] == data[3:].split(b",")[0].decode()
    ranking = pd.read_csv(out / "ranking.csv")
    assert len(ranking) == report["n_units"]
    # the budget holds every unit: all but the locked-out u5 are chosen, the printed cost is
    # the sum of theirs
    assert set(ranking.loc[~ranking.selected.astype(bool), "unit_id"]) == {"u5"}
    assert ranking.loc[ranking.selected.astype(bool), "cost"].sum() == pytest.approx(cost)
    # --json: one document, the report and where it was written
    res = CliRunner().invoke(
        cli,
        ["restore", str(toy(budget=8e9)), "--out", str(tmp_path / "j"), "--json"],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["out"] == str(tmp_path / "j")
    assert doc["portfolio"]["cost"] == pytest.approx(cost)
    assert doc["n_units"] == report["n_units"]
    # --csv-encoding utf-8: no BOM, the same bytes otherwise
    res = CliRunner().invoke(
        cli,
        ["restore", str(toy(budget=8e9)), "--out", str(tmp_path / "u"), "--csv-encoding", "utf-8"],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "u" / "ranking.csv").read_bytes() == (out / "ranking.csv").read_bytes()[3:]


def test_cli_restore_shows_named_steps_on_a_terminal(toy, tmp_path, monkeypatch):
    from zoning.cli.main import cli

    monkeypatch.setattr("zoning.progress.stderr_is_tty", lambda: True)
    res = CliRunner().invoke(cli, ["restore", str(toy()), "--out", str(tmp_path / "o"), "--no-map"])
    assert res.exit_code == 0, res.output
    for i, name in enumerate(["read scenario", "score units and portfolio", "write outputs"]):
        assert f"zoning restore [{name}] {i}/3" in res.stderr
    assert "zoning restore [done] 3/3" in res.stderr
    assert "zoning restore" not in res.stdout
