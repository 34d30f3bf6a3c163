import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from zoning.cli.main import cli


def run(args):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_version():
    result = run(["--version"])
    assert result.exit_code == 0 and "0.1.0" in result.output


def test_layers_list_json():
    result = run(["layers", "list", "--json"])
    assert result.exit_code == 0
    kinds = {k["kind"]: k for k in json.loads(result.output)}
    assert kinds["water_source"]["name_zh"] == "饮用水水源保护区"
    assert [z["id"] for z in kinds["water_source"]["zones"]] == ["level1", "level2", "quasi"]


def test_layers_check_demo_reports_every_layer(demo_catalog_path):
    result = run(["layers", "check", "--catalog", str(demo_catalog_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    names = {r["name"] for r in report["layers"]}
    assert names == {
        "admin_unit",
        "eco_redline",
        "protected_area",
        "water_source",
        "subsidence",
        "basic_farmland",
        "urban_boundary",
        "spring_area",
        "river",
        "control_unit",
        # the illustrative layers of the kinds the seeds' siting rules need (issue 11)
        "industrial_park",
        "sensitive_receptor",
        "no_farming_zone",
        "contaminated_land",
        "groundwater_recharge",
    }
    by_name = {r["name"]: r for r in report["layers"]}
    assert by_name["admin_unit"]["area_km2"] == pytest.approx(156_700, rel=0.01)
    assert by_name["river"]["length_km"] > 1000
    assert by_name["water_source"]["zones"] == {"level1": 13, "level2": 13, "quasi": 13}
    assert all(r["ok"] for r in report["layers"])


def _catalog(tmp_path, body):
    path = tmp_path / "catalog.toml"
    path.write_text(body, encoding="utf-8")
    return str(path)


def _check(tmp_path, body):
    return CliRunner().invoke(cli, ["layers", "check", "--catalog", _catalog(tmp_path, body)])


def test_bad_input_missing_catalogue(tmp_path):
    result = CliRunner().invoke(cli, ["layers", "check", "--catalog", str(tmp_path / "x.toml")])
    assert result.exit_code == 1
    assert "catalogue not found" in result.output and "fix" in result.output


def test_bad_input_unknown_kind_and_missing_file(tmp_path):
    result = _check(
        tmp_path,
        '[[layers]]\nkind = "redline"\npath = "a.gpkg"\n'
        '[[layers]]\nkind = "eco_redline"\npath = "gone.gpkg"\n',
    )
    assert result.exit_code == 1
    assert "unknown kind 'redline'" in result.output and "eco_redline" in result.output
    assert "file not found" in result.output and "gone.gpkg" in result.output
    assert "Traceback" not in result.output


def test_bad_input_unreadable_file(tmp_path):
    (tmp_path / "junk.gpkg").write_bytes(b"this is not a geopackage" * 10)
    result = _check(tmp_path, '[[layers]]\nkind = "eco_redline"\npath = "junk.gpkg"\n')
    assert result.exit_code == 1
    assert "junk.gpkg" in result.output and "Traceback" not in result.output


def test_bad_input_no_crs_and_empty_layer(tmp_path):
    with pytest.warns(UserWarning, match="crs"):
        gpd.GeoDataFrame(geometry=[box(112, 37, 112.1, 37.1)]).to_file(
            tmp_path / "nocrs.shp", engine="pyogrio"
        )
    gpd.GeoDataFrame({"a": []}, geometry=[], crs=4490).to_file(
        tmp_path / "empty.gpkg", engine="pyogrio"
    )
    result = _check(
        tmp_path,
        '[[layers]]\nkind = "eco_redline"\npath = "nocrs.shp"\n'
        '[[layers]]\nkind = "basic_farmland"\npath = "empty.gpkg"\n',
    )
    assert result.exit_code == 1
    assert "has no CRS" in result.output and 'crs = "EPSG:4490"' in result.output
    assert "has no features" in result.output
    assert "2 layer(s) failed" in result.output


def test_demo_writes_outputs_and_refuses_to_overwrite(tmp_path, demo_catalog_path, monkeypatch):
    monkeypatch.setattr("zoning.progress.stderr_is_tty", lambda: True)  # progress bars drawn
    out = tmp_path / "demo-out"
    result = run(["demo", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert (out / "map.html").stat().st_size > 100_000
    report = json.loads((out / "catalog_check.json").read_text(encoding="utf-8"))
    assert len(report["layers"]) == 15  # the ten original kinds and issue 11's five
    # --json: one document on stdout, the check report and a line per product
    doc = json.loads(result.stdout)
    assert doc["catalog_check"] == report and doc["out"] == str(out)
    assert doc["products"][0].startswith("map: map.html")
    # the named steps on stderr, the batch run's own bar inside the last one
    steps = [
        "demo catalogue",
        "check every layer",
        "copy the layers",
        "map of every layer",
        "run: statistics, screening, restoration",
    ]
    for i, name in enumerate(steps):
        assert f"zoning demo [{name}] {i}/5" in result.stderr
    assert "zoning run demo_province_stats [screening] 6/9" in result.stderr
    assert "zoning demo [done] 5/5" in result.stderr
    # the batch run joined the demo: the province's red-line share is calibrated to the
    # published 21.95 % (anchors.md), within the 0.05 point the generator promises
    stats = pd.read_csv(out / "run" / "stats.csv", dtype={"unit_id": str})
    province = stats[(stats.level == "province") & (stats.layer_kind == "eco_redline")]
    assert province[province.zone == "all"].share_pct.iloc[0] == pytest.approx(21.95, abs=0.05)
    # S1 was placed inside a red-line polygon (scenarios/demo_sites.geojson): prohibited
    sites = pd.read_csv(out / "run" / "screening" / "summary.csv").set_index("site_id")
    assert sites.loc["S1", "verdict"] == "prohibited"
    assert sites.loc["S2", "verdict"] == "conditional"  # subsidence ground: assessment first
    assert (out / "run" / "restoration" / "priority.tif").is_file()
    manifest = json.loads((out / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert "restoration/ranking.csv" in manifest["outputs"]
    before = (out / "catalog_check.json").stat().st_mtime_ns
    again = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert again.exit_code == 1 and "--overwrite" in again.output
    assert (out / "catalog_check.json").stat().st_mtime_ns == before
