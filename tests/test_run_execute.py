"""`zoning run`: one atomic folder, byte-identical reruns, resume, no partial output on error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box

from zoning.crs import ALBERS_CHINA
from zoning.errors import OutputExistsError, ScenarioError
from zoning.run import run_scenario, staging_dir

X0, Y0 = 650_000.0, 4_250_000.0


def sq(x, y, w, h=None):
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + (w if h is None else h))


def to_file(path: Path, geoms, **cols) -> None:
    gdf = gpd.GeoDataFrame(cols, geometry=list(geoms), crs=ALBERS_CHINA).to_crs("EPSG:4490")
    gdf.to_file(path, driver="GeoJSON")


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A catalogue of two 10 km counties of one city, a red line and basic farmland."""
    d = tmp_path / "data"
    d.mkdir()
    to_file(
        d / "admin.geojson",
        [
            sq(0, 0, 20_000, 10_000),
            sq(0, 0, 20_000, 10_000),
            sq(0, 0, 10_000),
            sq(10_000, 0, 10_000),
        ],
        adcode=["140000", "140100", "140101", "140102"],
        level=["province", "city", "county", "county"],
        name=["省", "市", "甲县", "乙县"],
    )
    # red line 4 x 5 km straddling the county border: 2 x 5 = 10 km² in each county
    to_file(d / "red.geojson", [sq(8_000, 0, 4_000, 5_000)], 编码=["HX1"], 类型=["生态保护红线"])
    to_file(d / "farm.geojson", [sq(0, 6_000, 20_000, 2_000)], 编码=["NT1"])
    (tmp_path / "catalog.toml").write_text(
        """
name = "tiny"
[[layers]]
kind = "admin_unit"
path = "data/admin.geojson"
zone_field = "level"
name_field = "name"
id_field = "adcode"
[[layers]]
kind = "eco_redline"
path = "data/red.geojson"
zone_field = "类型"
id_field = "编码"
[[layers]]
kind = "basic_farmland"
path = "data/farm.geojson"
id_field = "编码"
""",
        encoding="utf-8",
    )
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(
        """
schema_version = 1
id = "tiny"
title = "tiny"
catalog = "catalog.toml"
layers = ["eco_redline", "basic_farmland"]
[stats]
rollup = ["city", "province"]
indicators = false
""",
        encoding="utf-8",
    )
    return scenario


def test_run_writes_one_folder_with_every_output(tiny, tmp_path):
    out = tmp_path / "run1"
    result = run_scenario(tiny, out=out, progress=False)
    assert result.folder == out
    names = {p.name for p in out.iterdir()}
    assert {
        "stats.csv",
        "overlaps.csv",
        "flattened.csv",
        "reconciliation.csv",
        "stats.xlsx",
        "units.gpkg",
        "map.html",
        "report.html",
        "run.log",
        "manifest.json",
    } <= names
    assert not staging_dir(out).exists()
    stats = pd.read_csv(out / "stats.csv", dtype={"unit_id": str})
    red = stats[(stats.layer_kind == "eco_redline") & (stats.zone == "all")].set_index("unit_id")
    assert red.loc["140101", "area_km2"] == pytest.approx(10.0, rel=1e-6)
    assert red.loc["140102", "share_pct"] == pytest.approx(10.0, rel=1e-6)
    assert red.loc["140100", "area_km2"] == pytest.approx(20.0, rel=1e-6)  # roll-up
    assert red.loc["140000", "share_pct"] == pytest.approx(10.0, rel=1e-6)
    assert set(red.level) == {"county", "city", "province"}
    recon = pd.read_csv(out / "reconciliation.csv")
    assert recon.difference_km2.abs().max() < 1e-6
    with pd.ExcelFile(out / "stats.xlsx") as book:
        sheets = book.sheet_names
    assert sheets == ["stats", "overlaps", "flattened", "reconciliation", "说明 About"]
    units = gpd.read_file(out / "units.gpkg", layer="units")
    assert units.eco_redline_all_pct.round(6).tolist() == [10.0, 10.0]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["scenario"]["sha256"]
    assert {layer["kind"] for layer in manifest["inputs"]["layers"]} >= {"eco_redline"}
    assert manifest["versions"]["shapely"]
    assert "stats.csv" in manifest["outputs"]
    log = (out / "run.log").read_text(encoding="utf-8")
    assert log.startswith("INFO zoning.runner: zoning ")  # no clock time: reruns are identical
    # the printable report: province summary (red line 20 of 200 km² = 10 %, farmland strip
    # 20 x 2 km = 40 km² = 20 %), a per-county table, the reconciliation and the provenance
    page = (out / "report.html").read_text(encoding="utf-8")
    summary = page[page.index("Summary") : page.index("Indicators against")]
    assert '<td class="num">20.00</td><td class="num">10.00</td>' in summary
    assert '<td class="num">40.00</td><td class="num">20.00</td>' in summary
    assert "甲县" in page and "乙县" in page and "Reconciliation" in page
    assert manifest["inputs"]["scenario"]["sha256"][:16] in page
    assert "@media print" in page and 'src="http' not in page and 'href="http' not in page
    assert "statistics: 6 rows for 2 units" in log


def test_rerun_is_byte_identical_except_the_timestamp(tiny, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run_scenario(tiny, out=a, progress=False)
    run_scenario(tiny, out=b, progress=False)
    for f in sorted(a.iterdir()):
        if f.name == "manifest.json":
            ma = json.loads(f.read_text(encoding="utf-8"))
            mb = json.loads((b / f.name).read_text(encoding="utf-8"))
            ma.pop("created")
            mb.pop("created")
            assert ma == mb
        else:
            assert f.read_bytes() == (b / f.name).read_bytes(), f.name


def test_existing_folder_is_refused_then_replaced(tiny, tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(OutputExistsError, match="--overwrite"):
        run_scenario(tiny, out=out, progress=False)
    assert (out / "old.txt").exists()
    run_scenario(tiny, out=out, overwrite=True, progress=False)
    assert not (out / "old.txt").exists() and (out / "stats.csv").exists()


def test_unknown_layer_in_catalogue_leaves_nothing(tiny, tmp_path):
    text = tiny.read_text(encoding="utf-8").replace('"basic_farmland"]', '"water_source"]')
    tiny.write_text(text, encoding="utf-8")
    out = tmp_path / "bad"
    with pytest.raises(ScenarioError, match="water_source"):
        run_scenario(tiny, out=out, progress=False)
    assert not out.exists() and not staging_dir(out).exists()


def test_interrupted_run_resumes_from_checkpoints(tiny, tmp_path, monkeypatch):
    import zoning.stats

    out = tmp_path / "r"

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(zoning.stats, "overlap_table", interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_scenario(tiny, out=out, progress=False)
    assert not out.exists()
    steps = staging_dir(out) / ".steps"
    assert any(p.name.startswith("stats.") for p in steps.iterdir())
    monkeypatch.undo()
    run_scenario(tiny, out=out, resume=True, progress=False)
    log = (out / "run.log").read_text(encoding="utf-8")
    assert "step stats: resumed from checkpoint" in log
    fresh = tmp_path / "fresh"
    run_scenario(tiny, out=fresh, progress=False)
    assert (out / "stats.csv").read_bytes() == (fresh / "stats.csv").read_bytes()
    assert not staging_dir(out).exists()


def test_scenario_with_site_screening(tiny, tmp_path):
    import shapely

    sites = gpd.GeoDataFrame(
        {"site": ["in_red_line", "outside"]},
        geometry=[shapely.Point(X0 + 9_000, Y0 + 1_000), shapely.Point(X0 + 2_000, Y0 + 3_000)],
        crs=ALBERS_CHINA,
    ).to_crs("EPSG:4490")
    sites.to_file(tmp_path / "sites.geojson", driver="GeoJSON")
    text = tiny.read_text(encoding="utf-8") + (
        '\n[screening]\nsites = "sites.geojson"\nproject_type = "solar_pv"\nsite_id_field = "site"\n'
    )
    tiny.write_text(text, encoding="utf-8")
    out = tmp_path / "s"
    run_scenario(tiny, out=out, progress=False)
    screened = pd.read_csv(out / "screening.csv")
    verdict = dict(zip(screened.site_id, screened.verdict, strict=True))
    assert verdict["in_red_line"] == "prohibited"
    assert verdict["outside"] != "prohibited"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["sites"]["sha256"]
    assert manifest["rule_packs"] and manifest["rule_packs"][0]["version"]
    # the explained report, as `zoning screen --out` writes it, inside the run folder
    doc = json.loads((out / "screening" / "result.json").read_text(encoding="utf-8"))
    assert {s["site_id"]: s["verdict"] for s in doc["sites"]} == verdict
    assert [r["site_id"] for r in doc["ranking"]][-1] == "in_red_line"  # worst alternative last
    assert "生态保护红线" in (out / "screening" / "report.html").read_text(encoding="utf-8")
    for name in ("screening/result.json", "screening/report.html", "screening/summary.csv"):
        assert manifest["outputs"][name]["sha256"]


def _with_restoration(tiny: Path, tmp_path: Path) -> None:
    """Add a restoration scenario to ``tiny``: two 10 km units; a layer covers half of the
    western one and none of the eastern one, so with that coverage as the only criterion the
    western unit ranks first.
    """
    to_file(tmp_path / "data" / "units.geojson", [sq(0, 0, 10_000), sq(10_000, 0, 10_000)],
            code=["W", "E"])  # fmt: skip
    to_file(tmp_path / "data" / "west.geojson", [sq(0, 0, 5_000, 10_000)], code=["half"])
    (tmp_path / "restore.toml").write_text(
        """
name = "tiny restoration"
[units]
path = "data/units.geojson"
id_field = "code"
[[criteria]]
name = "west"
type = "coverage"
layer = { path = "data/west.geojson" }
weight = 1.0
[classes]
method = "quantile"
k = 2
[[interventions]]
name = "revegetation"
cost_per_ha = 100
[portfolio]
budget = 1500000   # one 10,000 ha unit costs 1,000,000 yuan: only one fits
mip_rel_gap = 0
""",
        encoding="utf-8",
    )
    tiny.write_text(
        tiny.read_text(encoding="utf-8") + '\n[restoration]\nscenario = "restore.toml"\n',
        encoding="utf-8",
    )


def test_scenario_with_restoration_writes_its_folder(tiny, tmp_path):
    _with_restoration(tiny, tmp_path)
    out = tmp_path / "r"
    run_scenario(tiny, out=out, progress=False)
    ranking = pd.read_csv(out / "restoration" / "ranking.csv", dtype={"unit_id": str})
    assert ranking.unit_id.tolist()[0] == "W"  # half covered beats not covered
    assert ranking.set_index("unit_id").selected.astype(bool).to_dict() == {"W": True, "E": False}
    report = json.loads((out / "restoration" / "report.json").read_text(encoding="utf-8"))
    assert report["n_units"] == 2
    assert report["portfolio"]["n_selected"] == 1
    assert report["portfolio"]["cost"] == pytest.approx(1_000_000, rel=1e-9)
    assert "time_s" not in report["portfolio"]  # a timing would break byte-identical reruns
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["restoration_scenario"]["path"] == "restore.toml"
    assert "restoration/report.json" in manifest["outputs"]
    # a rerun gives the same bytes for every restoration output (no timings, fixed GPKG time)
    again = tmp_path / "r2"
    run_scenario(tiny, out=again, progress=False)
    for f in sorted((out / "restoration").iterdir()):
        assert f.read_bytes() == (again / "restoration" / f.name).read_bytes(), f.name


def test_restoration_scenario_problems_are_found_before_the_run(tiny, tmp_path):
    (tmp_path / "restore.toml").write_text("[units]\ngrid_m = 1000\n", encoding="utf-8")
    tiny.write_text(
        tiny.read_text(encoding="utf-8") + '\n[restoration]\nscenario = "restore.toml"\n',
        encoding="utf-8",
    )
    out = tmp_path / "r"
    with pytest.raises(ScenarioError, match=r"restoration.scenario \(restore.toml\)"):
        run_scenario(tiny, out=out, progress=False)
    assert not out.exists() and not staging_dir(out).exists()


def test_zoning_run_command(tiny, tmp_path):
    from click.testing import CliRunner

    from zoning.cli.main import cli

    out = tmp_path / "cli"
    res = CliRunner().invoke(cli, ["run", str(tiny), "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert res.output.strip().endswith(str(out))
    assert (out / "manifest.json").is_file()
    res = CliRunner().invoke(cli, ["run", str(tiny), "--out", str(out)])
    assert res.exit_code == 1 and "--overwrite" in res.output


def test_output_lock_refuses_a_second_writer_and_leaves_nothing(tmp_path):
    from zoning.errors import OutputBusyError
    from zoning.io.outlock import lock_path, output_lock

    out = tmp_path / "run"
    with output_lock(out) as held:
        assert held == lock_path(out) and held.exists()
        with pytest.raises(OutputBusyError, match=f"process {os.getpid()}"), output_lock(out):
            pass
    assert list(tmp_path.iterdir()) == []  # released and removed
    with output_lock(out):  # free again
        pass


def test_restoration_table_without_a_scenario_file_is_refused(tiny, tmp_path):
    tiny.write_text(
        tiny.read_text(encoding="utf-8") + "\n[restoration]\ngrid_m = 1000\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as err:
        run_scenario(tiny, out=tmp_path / "r", progress=False)
    text = str(err.value)
    assert "[restoration] needs scenario = 'FILE'" in text
    assert "unknown key 'grid_m' in [restoration]" in text
    assert not (tmp_path / "r").exists()


def test_units_gpkg_is_qgis_ready(tiny, tmp_path):
    """Declared geometry types and a default QGIS style per layer, in the map's colours."""
    import sqlite3
    import xml.etree.ElementTree as ET

    import pyogrio

    from zoning.maps.style import style_for

    out = tmp_path / "run"
    run_scenario(tiny, out=out, progress=False)
    layers = dict(pyogrio.list_layers(out / "units.gpkg"))
    assert layers["units"] == "MultiPolygon"
    assert layers["strictest_designation"] == "MultiPolygon"
    con = sqlite3.connect(out / "units.gpkg")
    styles = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles"))
    con.close()
    assert set(styles) == {"units", "strictest_designation"}

    units_r = ET.fromstring(styles["units"].split("\n", 1)[1]).find("renderer-v2")
    assert units_r.get("type") == "graduatedSymbol"
    assert units_r.get("attr") == "eco_redline_all_pct"
    labels = [r.get("label") for r in units_r.iter("range")]
    assert labels and all(lab.startswith("生态保护红线占比 (%)") for lab in labels)

    flat = gpd.read_file(out / "units.gpkg", layer="strictest_designation")
    des_r = ET.fromstring(styles["strictest_designation"].split("\n", 1)[1]).find("renderer-v2")
    assert des_r.get("type") == "categorizedSymbol" and des_r.get("attr") == "designation"
    cats = [c.get("value") for c in des_r.iter("category")]
    assert set(cats) == set(flat.designation)
    first = cats.index("eco_redline:general")
    symbol = list(des_r.iter("symbol"))[first]
    rgb = symbol.find(".//Option[@name='color']").get("value").split(",")[:3]
    expect = style_for("eco_redline", "general").fill_color.lstrip("#")
    assert [int(v) for v in rgb] == [int(expect[i : i + 2], 16) for i in (0, 2, 4)]


def test_geometry_collections_keep_only_their_polygons():
    from shapely.geometry import GeometryCollection, LineString, Point, Polygon

    from zoning.io.gpkg import multipolygons

    square = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    gc = GeometryCollection([square, LineString([(0, 0), (5, 5)]), Point(9, 9)])
    out = multipolygons([gc, square, LineString([(0, 0), (1, 1)])])
    assert [g.geom_type for g in out] == ["MultiPolygon"] * 3
    assert out[0].area == 1.0 and out[1].area == 1.0 and out[2].is_empty


def test_workbook_is_office_ready(tiny, tmp_path):
    """Bilingual headers, names not codes, number formats, filter, frozen header, About sheet."""
    import openpyxl

    out = tmp_path / "run"
    run_scenario(tiny, out=out, progress=False)
    wb = openpyxl.load_workbook(out / "stats.xlsx")
    ws = wb["stats"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["单元名称 / Unit", "单元代码 / Unit code", "层级 / Level"]
    assert "面积 (km²) / Area (km²)" in header and "占比 / Share" in header
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2)]
    red = next(
        r
        for r in rows
        if r["单元名称 / Unit"].value == "甲县"
        and r["图层 / Layer"].value == "生态保护红线 / Ecological protection red line"
        and r["分区 / Zone"].value == "全部 / all"
    )
    assert red["层级 / Level"].value == "县 / County"
    assert red["面积 (km²) / Area (km²)"].value == pytest.approx(10.0, rel=1e-6)  # by hand
    assert red["面积 (km²) / Area (km²)"].number_format == "#,##0.00"
    assert red["占比 / Share"].value == pytest.approx(10.0, rel=1e-6)
    assert red["占比 / Share"].number_format == '0.00"%"'
    assert red["单元代码 / Unit code"].value == "140101"
    assert ws.column_dimensions["A"].width >= 8
    about = wb["说明 About"]
    text = "\n".join(f"{a.value} {b.value}" for a, b in about.iter_rows(min_row=2))
    assert "仅供规划分析，非正式地图" in text
    assert "CGCS2000 / Albers" in text
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["scenario"]["sha256"] in text
    for layer in manifest["inputs"]["layers"]:
        assert layer["sha256"] in text


def test_cli_run_names_its_nine_steps_and_prints_json(tiny, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from zoning.cli.main import cli

    scenario = tiny
    monkeypatch.setattr("zoning.progress.stderr_is_tty", lambda: True)
    res = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(tmp_path / "o"), "--json"])
    assert res.exit_code == 0, res.output
    names = [
        "load catalogue and units",
        "statistics",
        "roll-up",
        "overlaps",
        "strictest designation",
        "indicators",
        "screening",
        "restoration",
        "write outputs",
    ]
    for i, name in enumerate(names):
        assert f"[{name}] {i}/9" in res.stderr
    assert "[done] 9/9" in res.stderr
    doc = json.loads(res.stdout)
    assert doc["out"] == str(tmp_path / "o")
    assert Path(doc["files"]["stats.csv"]).read_bytes().startswith(b"\xef\xbb\xbf")


def test_run_writes_word_reports(tiny, tmp_path):
    """``--docx``: the statistics and restoration reports as Word documents, read back."""
    import docx

    _with_restoration(tiny, tmp_path)
    out = tmp_path / "r"
    run_scenario(tiny, out=out, progress=False, docx=True)
    stats = docx.Document(str(out / "report.docx"))
    headings = [p.text for p in stats.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == ["省 / Province", "市 / City"]
    rows = [[c.text for c in r.cells] for r in stats.tables[0].rows]
    red = next(r for r in rows if r[1].startswith("生态保护红线"))
    assert red[2:] == ["20.00", "10.00"]  # 4 x 5 km red line in a 200 km² province, by hand
    assert any("image" in rel.reltype for rel in stats.part.rels.values())  # the map
    rest = docx.Document(str(out / "restoration" / "report.docx"))
    cells = {r.cells[0].text: r.cells[1].text for r in rest.tables[0].rows[1:]}
    assert cells["入选单元 / Units selected"] == "1"
    assert cells["成本 / Cost (元 yuan)"] == "1,000,000"
    text = "\n".join(p.text for p in rest.paragraphs)
    assert "仅供规划分析，非正式地图" in text


def test_the_old_runner_name_resolves_to_the_run_package_with_a_warning() -> None:
    import zoning
    import zoning.run

    with pytest.warns(DeprecationWarning, match="zoning.runner is now zoning.run"):
        assert zoning.runner is zoning.run
    assert zoning.run.run_scenario is zoning.run_scenario
