"""The red-line ledger, the three "not"s between vintages, and the supervision of human
activities, on hand-built catalogues whose areas are worked out by hand.

The catalogues are drawn in the Albers equal-area CRS of the statistics (metres), near
(112.5° E, 37.5° N): a rectangle of 1 km × 3 km is 3 km². Two counties side by side, A
(140105, x 0–10 km) and B (140106, x 10–20 km), of one city (140100).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely import box

from zoning.catalog import load_catalog
from zoning.crs import ALBERS_CHINA
from zoning.ledger import build_ledger
from zoning.ledger.check import check_ledgers

X0, Y0 = 650_000.0, 4_040_000.0
KM = 1000.0
GRASS, CROP, BUILT = 10, 12, 13


def rect(x0: float, y0: float, x1: float, y1: float):
    """A rectangle given in km from the origin of the test area."""
    return box(X0 + x0 * KM, Y0 + y0 * KM, X0 + x1 * KM, Y0 + y1 * KM)


def _admin() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "adcode": ["140000", "140100", "140105", "140106"],
            "name": ["山西省", "太原市", "A县", "B县"],
            "level": ["province", "city", "county", "county"],
            "parent_adcode": ["", "140000", "140100", "140100"],
        },
        geometry=[rect(0, 0, 20, 10), rect(0, 0, 20, 10), rect(0, 0, 10, 10), rect(10, 0, 20, 10)],
        crs=ALBERS_CHINA,
    )


def _red(features: list[tuple[str, str, object]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "编码": [f[0] for f in features],
            "名称": [f"红线{f[0]}" for f in features],
            "类型": [f[1] for f in features],
        },
        geometry=[f[2] for f in features],
        crs=ALBERS_CHINA,
    )


_FIELDS = {
    "admin_unit": 'zone_field = "level"\nname_field = "name"\nid_field = "adcode"',
    "eco_redline": 'zone_field = "类型"\nname_field = "名称"\nid_field = "编码"',
    "protected_area": 'zone_field = "功能分区"\nname_field = "名称"\nid_field = "编码"',
    "subsidence": 'zone_field = "稳定性"\nname_field = "名称"\nid_field = "编码"',
    "human_activity": 'zone_field = "活动类型"\nname_field = "名称"\nid_field = "图斑编号"',
}


def write_catalog(folder: Path, layers: dict[str, gpd.GeoDataFrame], vintage: str) -> Path:
    """A catalogue of GeoPackage layers (admin units added) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    layers = {"admin_unit": _admin(), **layers}
    text = [f'name = "test {vintage}"\nvintage = "{vintage}"\n']
    for kind, frame in layers.items():
        frame.to_file(folder / "data.gpkg", layer=kind, driver="GPKG")
        text.append(
            f'[[layers]]\nkind = "{kind}"\npath = "data.gpkg"\nlayer = "{kind}"\n{_FIELDS[kind]}\n'
        )
    path = folder / "catalog.toml"
    path.write_text("\n".join(text), encoding="utf-8")
    return path


def write_landcover(path: Path, cells: dict[tuple[int, int], int], default: int = GRASS) -> Path:
    """A 1 km land-cover grid over the test area (20 × 10 cells), class ``default`` except
    ``cells`` ((column, row from the top) → class).
    """
    grid = np.full((10, 20), default, dtype=np.uint8)
    for (col, row), value in cells.items():
        grid[row, col] = value
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=20,
        height=10,
        count=1,
        dtype="uint8",
        crs=ALBERS_CHINA,
        transform=from_origin(X0, Y0 + 10 * KM, KM, KM),
        nodata=255,
    ) as dst:
        dst.write(grid, 1)
    return path


def ledger_of(tmp_path: Path, name: str, red, landcover=None, **layers) -> gpd.GeoDataFrame:
    path = write_catalog(tmp_path / name, {"eco_redline": _red(red), **layers}, name)
    return build_ledger(load_catalog(path, use_cache=False), landcover=landcover)


# ---------------------------------------------------------------- the ledger
def test_ledger_rows_hold_parts_areas_landcover_overlaps_and_activities(tmp_path):
    red = [
        ("R1", "核心区", rect(1, 1, 4, 2)),  # 3 km² in A
        ("R2", "一般区", rect(9, 5, 11, 7)),  # 2 × 2 km across the A|B line: 2 km² each
    ]
    protected = gpd.GeoDataFrame(
        {"编码": ["P1"], "名称": ["保护区甲"], "功能分区": ["核心区"]},
        geometry=[rect(0, 0, 2, 3)],  # overlaps R1 only
        crs=ALBERS_CHINA,
    )
    mines = gpd.GeoDataFrame(
        {"编码": ["M1", "M2"], "名称": ["矿1", "矿2"], "稳定性": ["不稳定", "稳定"]},
        geometry=[rect(10, 5, 10.5, 6), rect(10.25, 5, 10.75, 6)],  # overlap: union 0.75 km²
        crs=ALBERS_CHINA,
    )
    patches = gpd.GeoDataFrame(
        {"图斑编号": ["H1"], "名称": ["采石场"], "活动类型": ["采石场"]},
        geometry=[rect(2, 1, 2.5, 1.5)],  # 0.25 km² mining patch in R1
        crs=ALBERS_CHINA,
    )
    lc = write_landcover(tmp_path / "lc.tif", {(1, 8): BUILT, (2, 8): BUILT})  # row 8: y 1–2 km
    ledger = ledger_of(
        tmp_path,
        "2024",
        red,
        landcover=lc,
        protected_area=protected,
        subsidence=mines,
        human_activity=patches,
    )
    assert ledger.crs.to_epsg() == 4490
    r1, r2 = ledger.set_index("feature_id").loc["R1"], ledger.set_index("feature_id").loc["R2"]
    assert r1["area_km2"] == pytest.approx(3.0, abs=1e-9)
    assert r2["area_km2"] == pytest.approx(4.0, abs=1e-9)
    assert r1["zone"] == "core" and r2["zone"] == "general"
    assert (r1["county_adcode"], r1["city_adcode"], r1["city_name"]) == (
        "140105",
        "140100",
        "太原市",
    )
    parts = {p["adcode"]: p["km2"] for p in json.loads(r2["parts"])}
    assert parts == pytest.approx({"140105": 2.0, "140106": 2.0}, abs=1e-9)
    # land cover: R1 covers cells (1..3, row 8); cells 1 and 2 are built-up → 2 of 3 km²
    assert r1["lc_urban_and_built_up_km2"] == pytest.approx(2.0, abs=1e-9)
    assert r1["lc_grassland_km2"] == pytest.approx(1.0, abs=1e-9)
    assert r1["natural_pct"] == pytest.approx(100 / 3, abs=1e-9)
    assert r2["natural_pct"] == pytest.approx(100.0, abs=1e-9)
    assert r1["protected_areas"] == "保护区甲 (P1) [core]" and r2["protected_areas"] == ""
    assert (r2["mines_n"], r2["mines_km2"]) == (2, pytest.approx(0.75, abs=1e-9))
    assert (r1["activity_mining_n"], r1["activity_mining_km2"]) == (1, pytest.approx(0.25))
    assert r1["vintage"] == "2024" and len(r1["source_sha256"]) == 64


# ---------------------------------------------------------------- the three "not"s
def test_a_county_losing_3_and_gaining_1_km2_does_not_hold_area(tmp_path):
    old = ledger_of(
        tmp_path, "2023", [("F1", "一般区", rect(1, 1, 2, 5)), ("B1", "一般区", rect(12, 1, 13, 2))]
    )
    # F1 shrinks from 4 to 1 km² (loses 3), F2 is added with 1 km²: A's net is −2 km²
    new = ledger_of(
        tmp_path,
        "2024",
        [
            ("F1", "一般区", rect(1, 1, 2, 2)),
            ("F2", "一般区", rect(5, 5, 6, 6)),
            ("B1", "一般区", rect(12, 1, 13, 2)),
        ],
    )
    check = check_ledgers(old, new)
    v = check.verdicts.set_index(["scope", "unit_id", "principle"])
    a = v.loc[("county", "140105", "area")]
    assert a["change"] == pytest.approx(-2.0, abs=1e-9)
    assert (a["old_value"], a["new_value"]) == (pytest.approx(4.0), pytest.approx(2.0))
    assert a["verdict"] == "not held"
    assert "F1 (reshaped) −3.000000 km²" in a["explanation"]
    assert "F2 (added) +1.000000 km²" in a["explanation"]
    assert v.loc[("county", "140106", "area"), "verdict"] == "held"
    assert v.loc[("city", "140100", "area"), "change"] == pytest.approx(-2.0, abs=1e-9)
    assert check.verdict("area") == "not held" and not check.held
    assert check.verdict("nature") == "held"  # nothing removed or downgraded
    changes = check.changes.set_index("feature_id")
    assert changes.loc["F1", "lost_km2"] == pytest.approx(3.0, abs=1e-9)
    assert changes.loc["F1", "gained_km2"] == pytest.approx(0.0, abs=1e-9)
    assert changes.loc["F2", "change"] == "added"
    assert changes.loc["B1", "change"] == "unchanged"


def test_a_core_zone_downgraded_does_not_hold_nature(tmp_path):
    old = ledger_of(
        tmp_path, "2023", [("C1", "核心区", rect(11, 1, 13, 2)), ("A1", "一般区", rect(1, 1, 2, 2))]
    )
    new = ledger_of(
        tmp_path, "2024", [("C1", "一般区", rect(11, 1, 13, 2)), ("A1", "一般区", rect(1, 1, 2, 2))]
    )
    check = check_ledgers(old, new)
    assert check.verdict("nature", "county", "140106") == "not held"
    assert check.verdict("nature", "county", "140105") == "held"
    assert check.verdict("area", "county", "140106") == "held"  # same area
    row = check.verdicts.query(
        "scope == 'county' and unit_id == '140106' and principle == 'nature'"
    )
    assert row["explanation"].iloc[0] == "1 feature(s): C1 (zone downgraded)"
    assert check.verdict("all", "county", "140106") == "not held"
    assert check.changes.set_index("feature_id").loc["C1", "change"] == "zone downgraded"


def test_a_removed_feature_loses_area_and_designation(tmp_path):
    old = ledger_of(
        tmp_path, "2023", [("A1", "一般区", rect(1, 1, 2, 2)), ("A2", "一般区", rect(3, 1, 4, 3))]
    )
    new = ledger_of(tmp_path, "2024", [("A1", "一般区", rect(1, 1, 2, 2))])
    check = check_ledgers(old, new)
    assert check.verdict("area", "county", "140105") == "not held"
    assert check.verdict("nature", "county", "140105") == "not held"
    assert (
        "A2 (designation removed)"
        in check.verdicts.query("scope == 'catalogue' and principle == 'nature'")[
            "explanation"
        ].iloc[0]
    )


def test_grassland_turned_built_up_does_not_hold_function(tmp_path):
    red = [("B1", "一般区", rect(12, 1, 14, 2)), ("A1", "一般区", rect(1, 1, 2, 2))]
    before = write_landcover(tmp_path / "2023.tif", {})
    after = write_landcover(tmp_path / "2024.tif", {(12, 8): BUILT})  # half of B1
    old = ledger_of(tmp_path, "2023", red, landcover=before)
    new = ledger_of(tmp_path, "2024", red, landcover=after)
    check = check_ledgers(old, new)
    v = check.verdicts.set_index(["scope", "unit_id", "principle"])
    b = v.loc[("county", "140106", "function")]
    assert (b["old_value"], b["new_value"]) == (pytest.approx(100.0), pytest.approx(50.0))
    assert b["verdict"] == "not held"
    assert v.loc[("county", "140105", "function"), "verdict"] == "held"
    # whole catalogue: 3 km² natural of 3 → 2 of 3
    assert v.loc[("catalogue", "", "function"), "new_value"] == pytest.approx(200 / 3)
    assert check.verdict("area") == "held" and check.verdict("function") == "not held"


def test_a_vintage_pair_where_everything_holds(tmp_path):
    red = [("A1", "一般区", rect(1, 1, 2, 2)), ("B1", "核心区", rect(12, 1, 14, 2))]
    lc = write_landcover(tmp_path / "lc.tif", {(12, 8): CROP})
    old = ledger_of(tmp_path, "2023", red, landcover=lc)
    # A1 grows by 1 km² and is upgraded to core; B1 stays as it was
    grown = [("A1", "核心区", rect(1, 1, 2, 3)), ("B1", "核心区", rect(12, 1, 14, 2))]
    new = ledger_of(tmp_path, "2024", grown, landcover=lc)
    check = check_ledgers(old, new)
    assert check.held
    assert set(check.verdicts["verdict"]) == {"held"}
    assert check.changes.set_index("feature_id").loc["A1", "change"] == "reshaped; zone upgraded"
    assert check.verdict("area", "county", "140105") == "held"
    assert (
        "net +1.000000 km²"
        in check.verdicts.query(
            "scope == 'county' and unit_id == '140105' and principle == 'area'"
        )["explanation"].iloc[0]
    )
    assert "tolerance: 1e-06 km²" in check.summary()


def test_without_land_cover_function_is_not_assessed(tmp_path):
    red = [("A1", "一般区", rect(1, 1, 2, 2))]
    check = check_ledgers(ledger_of(tmp_path, "a", red), ledger_of(tmp_path, "b", red))
    assert check.verdict("function") == "not assessed"
    assert check.verdict("all") == "not assessed" and check.held


def test_a_ledger_with_repeated_ids_is_refused(tmp_path):
    from zoning.errors import LayerValidationError

    ledger = ledger_of(tmp_path, "a", [("A1", "一般区", rect(1, 1, 2, 2))])
    twice = gpd.GeoDataFrame(pd.concat([ledger, ledger]), crs=ledger.crs)
    with pytest.raises(LayerValidationError, match="repeated feature ids"):
        check_ledgers(twice, ledger)


# ---------------------------------------------------------------- supervision
def _patches(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=ALBERS_CHINA)


def test_supervision_flags_mining_and_lists_necessary_linear_infrastructure(tmp_path):
    from zoning.ledger.supervise import supervise

    red = _red([("G1", "一般区", rect(1, 1, 9, 9)), ("C1", "核心区", rect(11, 1, 19, 9))])
    patches = _patches(
        [
            {
                "图斑编号": "H1",
                "名称": "采石场",
                "活动类型": "采矿",
                "necessary_and_unavoidable": "",
            },
            {
                "图斑编号": "H2",
                "名称": "公路",
                "活动类型": "道路",
                "necessary_and_unavoidable": "是",
            },
            {"图斑编号": "H3", "名称": "开垦", "活动类型": "开垦", "necessary_and_unavoidable": ""},
            {"图斑编号": "H4", "名称": "采矿", "活动类型": "采矿", "necessary_and_unavoidable": ""},
            {"图斑编号": "H5", "名称": "区外", "活动类型": "采矿", "necessary_and_unavoidable": ""},
            {
                "图斑编号": "H6",
                "名称": "大采场",
                "活动类型": "采矿",
                "necessary_and_unavoidable": "",
            },
        ],
        [
            rect(2, 2, 2.5, 2.5),  # mining in the general red line: 0.25 km²
            rect(3, 4, 7, 4.02),  # a road strip in the general red line
            rect(5, 6, 5.5, 6.5),  # farming: no project type
            rect(12, 2, 12.2, 2.5),  # mining in the core zone: 0.1 km²
            rect(0.1, 9.2, 0.3, 9.8),  # outside every red line
            rect(4, 2, 5, 3),  # mining in the general red line: 1 km²
        ],
    )
    path = write_catalog(tmp_path / "s", {"eco_redline": red, "human_activity": patches}, "2024")
    result = supervise(load_catalog(path, use_cache=False))
    assert (result.n_patches, result.n_inside) == (6, 5)
    s = result.suspects
    # ranked: core-zone prohibition first, then by area
    assert s["patch_id"].tolist() == ["H4", "H6", "H1"]
    assert s["rank"].tolist() == [1, 2, 3]
    assert s["severity_label"].tolist() == ["prohibited in a core zone", "prohibited", "prohibited"]
    assert s.set_index("patch_id").loc["H4", "rules"] == "CN-RL-01"
    h1 = s.set_index("patch_id").loc["H1"]
    assert h1["verdict"] == "prohibited" and h1["rules"] == "CN-RL-07"  # rules v2: mining
    assert "自然资发〔2022〕142号" in h1["clauses"] and "禁止矿产资源开发" in h1["clauses"]
    assert h1["in_redline"] == "G1" and h1["area_km2"] == pytest.approx(0.25, abs=1e-9)
    a = result.allowed.set_index("patch_id")
    assert list(a.index) == ["H2"]
    assert a.loc["H2", "rules"] == "CN-RL-03"
    assert "necessary_and_unavoidable=True" in a.loc["H2", "attrs"]
    assert "必须且无法避让论证" in a.loc["H2", "evidence_required"]
    assert result.unscreened["patch_id"].tolist() == ["H3"]


def test_linear_infrastructure_shown_not_necessary_is_a_suspect(tmp_path):
    from zoning.ledger.supervise import supervise

    red = _red([("G1", "一般区", rect(1, 1, 9, 9))])
    patches = _patches(
        [{"图斑编号": "R1", "名称": "便道", "活动类型": "道路", "necessary_and_unavoidable": "否"}],
        [rect(3, 4, 7, 4.02)],
    )
    path = write_catalog(tmp_path / "s", {"eco_redline": red, "human_activity": patches}, "2024")
    result = supervise(load_catalog(path, use_cache=False))
    assert result.suspects["rules"].tolist() == ["CN-RL-04"]
    assert not len(result.allowed)


def test_supervision_needs_a_patch_layer(tmp_path):
    from zoning.errors import EmptyInputError
    from zoning.ledger.supervise import supervise

    path = write_catalog(
        tmp_path / "s", {"eco_redline": _red([("G1", "一般区", rect(1, 1, 2, 2))])}, "x"
    )
    with pytest.raises(EmptyInputError, match="no human_activity layer"):
        supervise(load_catalog(path, use_cache=False))


# ---------------------------------------------------------------- the command
def test_cli_builds_checks_and_refuses_to_overwrite(tmp_path):
    from click.testing import CliRunner

    from zoning.cli.main import cli

    old = write_catalog(
        tmp_path / "old", {"eco_redline": _red([("A1", "一般区", rect(1, 1, 2, 5))])}, "2023"
    )
    new = write_catalog(
        tmp_path / "new", {"eco_redline": _red([("A1", "一般区", rect(1, 1, 2, 2))])}, "2024"
    )
    runner = CliRunner()
    out = tmp_path / "ledger"
    res = runner.invoke(cli, ["ledger", "build", "--catalog", str(old), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [
        "ledger.csv",
        "ledger.gpkg",
        "ledger.xlsx",
        "map.html",
    ]
    res = runner.invoke(cli, ["ledger", "build", "--catalog", str(old), "--out", str(out)])
    assert res.exit_code == 1 and "pass --overwrite" in res.output
    res = runner.invoke(cli, ["ledger", "build", "--catalog", str(old)])
    assert res.exit_code == 2 and "--out DIR and/or --db URL" in res.output
    # a ledger folder against a catalogue: A1 lost 3 km² in county A
    res = runner.invoke(cli, ["ledger", "check", str(out), str(new), "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert "面积不减少 (area not reduced): not held — net -3.000000 km²" in res.output
    assert "not held: A县 (140105) 面积不减少" in res.output
    verdicts = pd.read_csv(tmp_path / "c" / "check.csv", dtype={"unit_id": str})
    row = verdicts.query("scope == 'county' and principle == 'area'").iloc[0]
    assert row["unit_id"] == "140105" and row["change"] == pytest.approx(-3.0, abs=1e-9)


def test_a_patch_the_engine_fails_on_is_listed_not_lost(tmp_path, monkeypatch):
    """GEOS can fail on one (patch, zone) pair; the batch is halved until that patch is
    isolated, listed as not screened, and every other patch still gets its verdict.
    """
    import shapely

    import zoning.screening
    from zoning.ledger.supervise import supervise

    red = _red([("G1", "一般区", rect(1, 1, 9, 9))])
    ids = [f"H{i}" for i in range(7)]
    patches = _patches(
        [{"图斑编号": i, "名称": i, "活动类型": "采矿"} for i in ids],
        [rect(1.5 + i, 2, 1.9 + i, 2.4) for i in range(7)],
    )
    path = write_catalog(tmp_path / "s", {"eco_redline": red, "human_activity": patches}, "2024")
    real = zoning.screening.screen_sites

    def flaky(sites, *args, **kwargs):
        if "H4" in set(sites["site_id"]):
            raise shapely.errors.GEOSException("IllegalArgumentException: test")
        return real(sites, *args, **kwargs)

    monkeypatch.setattr(zoning.screening, "screen_sites", flaky)
    result = supervise(load_catalog(path, use_cache=False))
    assert sorted(result.suspects["patch_id"]) == ["H0", "H1", "H2", "H3", "H5", "H6"]
    assert result.unscreened["patch_id"].tolist() == ["H4"]
    assert "GEOS error" in result.unscreened["reason"].iloc[0]
