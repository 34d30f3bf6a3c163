"""``zoning screen`` through the click group: outputs, exit codes, bad input, nothing written."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely import LineString, Point, Polygon, box

from zoning.cli.main import cli

X0, Y0 = 500_000.0, 4_200_000.0
GK = "EPSG:4547"


def b(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """A tiny catalogue: one level-1 and one level-2 zone, a red line, and a coverage file."""
    root = tmp_path_factory.mktemp("cat")
    ws = gpd.GeoDataFrame(
        {"编码": ["W1", "W2"], "级别": ["一级保护区", "二级保护区"], "名称": ["水源A", "水源A"]},
        geometry=[b(0, 0, 1000, 1000), b(1000, 0, 2000, 1000)],
        crs=GK,
    ).to_crs("EPSG:4490")
    ws.to_file(root / "ws.geojson")
    rl = gpd.GeoDataFrame({"id": ["R1"]}, geometry=[b(0, 3000, 1000, 4000)], crs=GK).to_crs(
        "EPSG:4490"
    )
    rl.to_file(root / "rl.geojson")
    cov = gpd.GeoDataFrame(geometry=[b(-5000, -5000, 5000, 9000)], crs=GK).to_crs("EPSG:4490")
    cov.to_file(root / "coverage.geojson")
    (root / "catalog.toml").write_text(
        'name = "cli test"\ncoverage = "coverage.geojson"\n'
        '[[layers]]\nkind = "water_source"\npath = "ws.geojson"\nzone_field = "级别"\n'
        'name_field = "名称"\nid_field = "编码"\n'
        '[[layers]]\nkind = "eco_redline"\npath = "rl.geojson"\nid_field = "id"\n',
        encoding="utf-8",
    )
    return root / "catalog.toml"


def write_sites(path, geoms, crs=GK, ids=None):
    gdf = gpd.GeoDataFrame(
        {"site_id": ids or [f"s{i + 1}" for i in range(len(geoms))]}, geometry=geoms, crs=crs
    )
    if crs is not None:
        gdf = gdf.to_crs("EPSG:4490")
    gdf.to_file(path)
    return path


def run(*args):
    return CliRunner().invoke(cli, ["screen", *map(str, args)])


def test_json_output_matches_the_contract(catalog, tmp_path):
    site = write_sites(tmp_path / "s.geojson", [b(100, 100, 300, 200), b(3000, 3000, 3100, 3100)])
    res = run(site, "--project-type", "chemical", "--catalog", catalog, "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["project_type"] == "chemical"
    assert doc["catalog"]["name"] == "cli test"
    s1, s2 = doc["sites"]
    assert s1["verdict"] == "prohibited" and s1["hits"][0]["feature_id"] == "W1"
    assert s1["hits"][0]["overlap_area_m2"] == pytest.approx(20_000, rel=1e-6)
    assert s1["hits"][0]["zone"] == "level1"
    # clear of both zones, but the catalogue lacks kinds that rules for chemical plants need
    # (basic farmland, control units …): needs_info naming them, never allowed (issue 12 item 2)
    assert s2["verdict"] == "needs_info" and s2["hits"] == []
    assert {"basic_farmland", "control_unit", "industrial_park"} <= set(s2["missing_layers"])
    assert any("basic_farmland" in r for r in s2["reasons"])


def test_out_writes_three_files_and_refuses_to_overwrite(catalog, tmp_path):
    site = write_sites(
        tmp_path / "s.geojson", [LineString([(X0 - 500, Y0 + 3500), (X0 + 500, Y0 + 3500)])]
    )
    out = tmp_path / "out"
    res = run(site, "-t", "road", "--catalog", catalog, "--out", out)
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "result.json", "summary.csv"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "仅供规划分析，非正式地图" in html and "not an official map" in html
    assert "CN-RL-03" in html and "必须且无法避让" in html
    doc = json.loads((out / "result.json").read_text(encoding="utf-8"))
    # the red-line crossing is conditional; the catalogue lacks kinds road rules need
    assert doc["sites"][0]["hits"][0]["outcome"] == "conditional"
    assert doc["sites"][0]["verdict"] == "needs_info" and doc["sites"][0]["missing_layers"]
    assert doc["sites"][0]["hits"][0]["overlap_length_m"] == pytest.approx(500, abs=1e-6)
    again = run(site, "-t", "road", "--catalog", catalog, "--out", out)
    assert again.exit_code == 1 and "--overwrite" in again.stderr
    assert run(site, "-t", "road", "--catalog", catalog, "--out", out, "--overwrite").exit_code == 0


def test_compare_ranks_alternatives(catalog, tmp_path):
    site = write_sites(
        tmp_path / "alt.geojson",
        [b(100, 100, 200, 200), b(3000, 3000, 3100, 3100), b(900, 3100, 1100, 3200)],
        ids=["in_level1", "clear", "edge_of_redline"],
    )
    res = run(site, "-t", "housing", "--catalog", catalog, "--compare", "--json")
    assert res.exit_code == 0, res.output
    ranking = json.loads(res.stdout)["ranking"]
    assert [r["site_id"] for r in ranking] == ["clear", "edge_of_redline", "in_level1"]
    # both constrained sites are prohibited: the one with less constrained area ranks first
    assert ranking[1]["constrained_area_m2"] == pytest.approx(100 * 100, rel=1e-6)
    assert ranking[2]["constrained_area_m2"] == pytest.approx(100 * 100, rel=1e-6)


def test_unknown_project_type_exits_2_with_suggestion(catalog, tmp_path):
    site = write_sites(tmp_path / "s.geojson", [Point(X0, Y0)])
    assert run(site, "-t", "solar", "--catalog", catalog, "--json").exit_code == 0  # alias
    res = run(site, "-t", "sola_pv", "--catalog", catalog, "--out", tmp_path / "x")
    assert res.exit_code == 2
    assert "did you mean solar_pv" in res.stderr
    assert not (tmp_path / "x").exists()


def test_site_file_without_crs(catalog, tmp_path):
    path = tmp_path / "nocrs.csv"
    path.write_text("site_id,x,y\na,500100,4200100\n", encoding="utf-8")
    res = run(path, "-t", "road", "--catalog", catalog, "--out", tmp_path / "o")
    assert res.exit_code == 1
    assert "crs" in res.stderr.lower()
    assert f"(site file {path})" in res.stderr
    assert res.stderr.count("fix:") == 1 and "--crs EPSG:4490" in res.stderr  # printed once
    assert not (tmp_path / "o").exists()
    ok = run(path, "-t", "chemical", "--catalog", catalog, "--crs", GK, "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["sites"][0]["verdict"] == "prohibited"


def test_empty_site_file(catalog, tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    res = run(path, "-t", "road", "--catalog", catalog, "--out", tmp_path / "o")
    assert res.exit_code == 1
    assert "no features" in res.stderr or "empty" in res.stderr.lower()
    assert not (tmp_path / "o").exists()


def test_invalid_site_geometry_is_repaired_and_reported(catalog, tmp_path):
    bowtie = Polygon(
        [(X0 + 100, Y0 + 100), (X0 + 300, Y0 + 300), (X0 + 300, Y0 + 100), (X0 + 100, Y0 + 300)]
    )
    site = write_sites(tmp_path / "bow.geojson", [bowtie])
    res = run(site, "-t", "chemical", "--catalog", catalog, "--json")
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)["sites"][0]
    assert s["repaired"] is True and "make_valid" in s["repair"]
    assert "repaired" in res.stderr


def test_gcj02_site_is_converted_with_crs_gcj02(catalog, tmp_path):
    from zoning.gcj02 import to_gcj02

    true_site = gpd.GeoDataFrame(
        {"site_id": ["g"]}, geometry=[b(400, 400, 600, 600)], crs=GK
    ).to_crs("EPSG:4326")
    shifted = to_gcj02(true_site)  # as a web map would deliver it (several hundred metres off)
    path = tmp_path / "gcj.geojson"
    shifted.to_file(path)
    raw = json.loads(run(path, "-t", "chemical", "--catalog", catalog, "--json").stdout)
    fixed = run(path, "-t", "chemical", "--catalog", catalog, "--crs", "gcj02", "--json")
    assert fixed.exit_code == 0, fixed.output
    doc = json.loads(fixed.stdout)
    assert any("GCJ-02" in w for w in doc["warnings"])
    hit = doc["sites"][0]["hits"][0]
    assert hit["inside"] is True and hit["overlap_area_m2"] == pytest.approx(40_000, rel=1e-3)
    assert raw["sites"][0]["hits"] == [] or raw["sites"][0]["hits"][0]["overlap_area_m2"] < 40_000


def test_rule_pack_with_unknown_zone_fails_and_writes_nothing(catalog, tmp_path):
    pack = tmp_path / "bad.toml"
    pack.write_text(
        '[pack]\nid = "bad"\nversion = "1"\n[[rules]]\nid = "B1"\nkind = "water_source"\n'
        'zones = ["level7"]\nproject_types = ["*"]\noutcome = "prohibited"\n'
        'citation = { document = "x" }\n',
        encoding="utf-8",
    )
    site = write_sites(tmp_path / "s.geojson", [Point(X0 + 10, Y0 + 10)])
    out = tmp_path / "o"
    res = run(site, "-t", "road", "--catalog", catalog, "--rulepack", pack, "--out", out)
    assert res.exit_code == 1
    assert "unknown zone 'level7' of water_source" in res.stderr
    assert not out.exists()


def test_bad_attr_is_usage_error(catalog, tmp_path):
    site = write_sites(tmp_path / "s.geojson", [Point(X0 + 10, Y0 + 10)])
    res = run(site, "-t", "livestock_farm", "--catalog", catalog, "--attr", "livestock_scale=huge")
    assert res.exit_code == 2 and "one of small, large" in res.stderr
    res = run(site, "-t", "livestock_farm", "--catalog", catalog, "--attr", "livestock_scale=large")
    assert res.exit_code == 0 and "SX-LV-01" in res.stdout


# --------------------------------------------------------------------- issue 14: messages


@pytest.fixture(scope="module")
def subsidence_catalog(tmp_path_factory):
    """Unstable and stable subsidence ground, and a red line (CN-RL-03: roads conditional)."""
    root = tmp_path_factory.mktemp("sub")
    sub = gpd.GeoDataFrame(
        {"id": ["U1", "S1"], "状态": ["不稳定", "稳定"]},
        geometry=[b(0, 0, 1000, 1000), b(2000, 0, 3000, 1000)],
        crs=GK,
    ).to_crs("EPSG:4490")
    sub.to_file(root / "sub.geojson")
    rl = gpd.GeoDataFrame({"id": ["R1"]}, geometry=[b(0, 3000, 1000, 4000)], crs=GK)
    rl.to_crs("EPSG:4490").to_file(root / "rl.geojson")
    cov = gpd.GeoDataFrame(geometry=[b(-5000, -5000, 5000, 9000)], crs=GK).to_crs("EPSG:4490")
    cov.to_file(root / "coverage.geojson")
    (root / "catalog.toml").write_text(
        'name = "subsidence test"\ncoverage = "coverage.geojson"\n'
        '[[layers]]\nkind = "subsidence"\npath = "sub.geojson"\nzone_field = "状态"\n'
        'id_field = "id"\n'
        '[[layers]]\nkind = "eco_redline"\npath = "rl.geojson"\nid_field = "id"\n',
        encoding="utf-8",
    )
    return root / "catalog.toml"


def test_compare_ranks_assessments_then_ground_before_area(subsidence_catalog, tmp_path):
    site = write_sites(
        tmp_path / "alt.geojson",
        [
            b(100, 100, 150, 150),  # 50 x 50 m on unstable ground
            b(2100, 100, 2300, 300),  # 200 x 200 m on stable ground
            b(900, 3900, 1100, 4100),  # 100 x 100 m of it in the red line
            b(4000, 8000, 4100, 8100),  # clear
        ],
        ids=["on_unstable", "on_stable", "in_redline", "clear"],
    )
    res = run(site, "-t", "road", "--catalog", subsidence_catalog, "--compare", "--json")
    assert res.exit_code == 0, res.output
    ranking = {r["site_id"]: r for r in json.loads(res.stdout)["ranking"]}
    # every site has the same verdict (no admin units: the jurisdiction is unknown) and the
    # constrained ones one hit each; by area the unstable site (2,500 m²) came first
    assert len({r["verdict"] for r in ranking.values()}) == 1
    assert ranking["on_unstable"]["constrained_area_m2"] == pytest.approx(2500, rel=1e-6)
    assert ranking["on_stable"]["constrained_area_m2"] == pytest.approx(40_000, rel=1e-6)
    assert ranking["in_redline"]["constrained_area_m2"] == pytest.approx(10_000, rel=1e-6)
    # CN-GH-01 asks two assessments on any subsidence ground (hazard, site stability),
    # CN-RL-03 three for a road in the red line (unavoidable, plan, ecological impact)
    assert [ranking[s]["n_assessments"] for s in ("on_unstable", "on_stable", "in_redline")] == [
        2,
        2,
        3,
    ]
    assert ranking["on_unstable"]["subsidence_zone"] == "unstable"
    assert ranking["on_stable"]["subsidence_zone"] == "stable"
    assert ranking["clear"]["subsidence_zone"] == ""
    # severity, then assessments (the red line last), then the ground: unstable after stable
    # although its constrained area is 16 times smaller
    order = sorted(ranking, key=lambda s: ranking[s]["rank"])
    assert order == ["clear", "on_stable", "on_unstable", "in_redline"]
    human = run(site, "-t", "road", "--catalog", subsidence_catalog, "--compare")
    verdict = ranking["on_unstable"]["verdict"]
    assert f"  3. on_unstable: {verdict}, 1 hit(s), 2,500 m² constrained\n" in human.stdout
    assert " m constrained" not in human.stdout  # polygons: no "0 m constrained"


def test_compare_prints_length_for_lines_and_nothing_for_points(catalog, tmp_path):
    site = write_sites(
        tmp_path / "mixed.geojson",
        [LineString([(X0 - 500, Y0 + 3500), (X0 + 500, Y0 + 3500)]), Point(X0 + 3000, Y0 + 3000)],
        ids=["route", "well"],
    )
    res = run(site, "-t", "road", "--catalog", catalog, "--compare")
    assert res.exit_code == 0, res.output
    # the route runs 500 m inside the red line (x from 0 to 500)
    assert re.search(r"\n  2\. route: \w+, 1 hit\(s\), 500 m constrained\n", res.stdout)
    assert re.search(r"\n  1\. well: \w+, 0 hit\(s\)\n", res.stdout)  # a point: no figure
    assert "m² constrained" not in res.stdout


def test_summary_csv_has_a_bom_and_reads_back(catalog, tmp_path):
    import csv

    import pandas as pd

    site = write_sites(tmp_path / "s.geojson", [b(100, 100, 300, 200)], ids=["厂址一"])
    out = tmp_path / "out"
    res = run(site, "-t", "chemical", "--catalog", catalog, "--out", out, "--compare")
    assert res.exit_code == 0, res.output
    for name in ("summary.csv", "ranking.csv"):
        data = (out / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") and "厂址一".encode() in data
        df = pd.read_csv(out / name)
        with open(out / name, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert df.site_id.tolist() == [r["site_id"] for r in rows] == ["厂址一"]
        assert df.verdict.tolist() == ["prohibited"]
    plain = run(site, "-t", "chemical", "--catalog", catalog, "--out", tmp_path / "o2")
    assert plain.exit_code == 0
    off = run(
        site, "-t", "chemical", "--catalog", catalog, "--out", tmp_path / "o3",
        "--csv-encoding", "utf-8",
    )  # fmt: skip
    assert off.exit_code == 0, off.output
    data = (tmp_path / "o3" / "summary.csv").read_bytes()
    assert data.startswith(b"site_id,")
    assert data == (tmp_path / "o2" / "summary.csv").read_bytes()[3:]  # the same, minus BOM


def test_csv_row_out_of_range_is_reported_as_such_once(catalog, tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("site_id,lon,lat\na,112.5,37.8\nb,200,37.8\n", encoding="utf-8")
    res = run(path, "-t", "road", "--catalog", catalog, "--out", tmp_path / "o")
    assert res.exit_code == 1
    assert "1 row(s) have lon/lat out of range (file lines 3; e.g. lon=200, lat=37.8)" in (
        res.stderr
    )
    assert "expected longitude -180…180 and latitude -90…90 degrees" in res.stderr
    assert "no CRS" not in res.stderr
    assert res.stderr.count("fix:") == 1 and "--crs" in res.stderr and "crs=" not in res.stderr
    assert not (tmp_path / "o").exists()


def test_lon_lat_warning_names_the_command_line_option(catalog, tmp_path, caplog):
    path = tmp_path / "sites.csv"
    path.write_text("site_id,lon,lat\na,120.0,30.0\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="zoning.io"):
        res = run(path, "-t", "road", "--catalog", catalog, "--json")
    assert res.exit_code == 0, res.output
    text = " ".join(r.getMessage() for r in caplog.records if r.name == "zoning.io")
    assert "assuming CGCS2000 (EPSG:4490). Pass --crs if they are WGS84" in text
    assert "crs=" not in text
    # the library keeps the API's spelling
    from zoning.io import read_vector

    caplog.clear()
    with caplog.at_level("WARNING", logger="zoning.io"):
        read_vector(path)
    assert "Pass crs= if they are WGS84" in caplog.text


def test_broken_pipe_ends_quietly(catalog, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    import zoning

    site = write_sites(tmp_path / "s.geojson", [b(100, 100, 300, 200)])
    env = {**os.environ, "PYTHONPATH": str(Path(zoning.__file__).parents[1])}
    cmd = [sys.executable, "-c", "from zoning.cli.main import cli; cli()"]
    proc = subprocess.Popen(
        [*cmd, "screen", str(site), "-t", "road", "--catalog", str(catalog), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    proc.stdout.close()  # the reader is gone before zoning writes (`| head -0`)
    with proc.stderr:
        err = proc.stderr.read().decode("utf-8", "replace")
    proc.wait(timeout=120)
    assert proc.returncode == 141  # 128 + SIGPIPE, as `cat` ends
    assert "Broken pipe" not in err and "disk" not in err and "Error" not in err
    assert "Exception ignored" not in err
