"""`zoning stats`, `zoning run` and `zoning diff` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely import box

from zoning.cli.main import cli
from zoning.crs import ALBERS_CHINA

X0, Y0 = 650_000.0, 4_250_000.0


def sq(x, y, w):
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + w)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_stats_on_the_demo_red_line(runner, demo_catalog_path, tmp_path):
    out = tmp_path / "s"
    res = runner.invoke(
        cli,
        [
            "stats",
            "--catalog",
            str(demo_catalog_path),
            "--layers",
            "eco_redline",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out / "stats.csv", dtype={"unit_id": str})
    assert list(df.columns)[:6] == [
        "unit_id",
        "layer_kind",
        "zone",
        "area_km2",
        "unit_area_km2",
        "share_pct",
    ]
    assert df.unit_id.nunique() == 117  # the counties
    yunzhou = df[(df.unit_id == "140215") & (df.zone == "all")].share_pct.iloc[0]
    assert abs(yunzhou - 34.2) <= 0.5
    # an existing folder is refused
    res = runner.invoke(cli, ["stats", "--layers", "eco_redline", "--out", str(out)])
    assert res.exit_code == 1 and "--overwrite" in res.output


def test_stats_with_a_unit_file(runner, tmp_path):
    units = gpd.GeoDataFrame(
        {"code": ["a", "b"]}, geometry=[sq(0, 0, 10_000), sq(10_000, 0, 10_000)], crs=ALBERS_CHINA
    )
    units.to_crs("EPSG:4490").to_file(tmp_path / "u.geojson", driver="GeoJSON")
    out = tmp_path / "s"
    res = runner.invoke(
        cli,
        [
            "stats",
            "--units",
            str(tmp_path / "u.geojson"),
            "--unit-field",
            "code",
            "--layers",
            "eco_redline",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out / "stats.csv")
    assert sorted(df.unit_id.unique()) == ["a", "b"]
    assert (df.unit_area_km2 - 100).abs().max() < 1e-6


def test_bad_units_exit_1_without_output(runner, tmp_path):
    units = gpd.GeoDataFrame(
        {"code": ["a", "a"]}, geometry=[sq(0, 0, 1_000), sq(500, 0, 1_000)], crs=ALBERS_CHINA
    )
    units.to_file(tmp_path / "u.gpkg", driver="GPKG")
    out = tmp_path / "s"
    res = runner.invoke(
        cli,
        [
            "stats",
            "--units",
            str(tmp_path / "u.gpkg"),
            "--unit-field",
            "code",
            "--layers",
            "eco_redline",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 1
    assert "occur more than once" in res.output and "overlap" in res.output
    assert not out.exists()


def test_unknown_layer_exit_1(runner, tmp_path):
    res = runner.invoke(cli, ["stats", "--layers", "eco_redlines", "--out", str(tmp_path / "s")])
    assert res.exit_code == 1 and "eco_redlines" in res.output
    assert not (tmp_path / "s").exists()


def test_run_with_a_missing_file_exit_1(runner, tmp_path):
    sc = tmp_path / "s.toml"
    sc.write_text('schema_version = 1\nid = "x"\ncatalog = "nope.toml"\n', encoding="utf-8")
    out = tmp_path / "out"
    res = runner.invoke(cli, ["run", str(sc), "--out", str(out)])
    assert res.exit_code == 1 and "nope.toml" in res.output
    assert not out.exists() and not any(p.name.startswith(".out") for p in tmp_path.iterdir())


def _stats_csv(folder: Path, shares: dict[str, float]) -> None:
    folder.mkdir()
    pd.DataFrame(
        {
            "unit_id": list(shares),
            "layer_kind": "eco_redline",
            "zone": "all",
            "area_km2": [s * 10 for s in shares.values()],
            "unit_area_km2": 1000.0,
            "share_pct": list(shares.values()),
        }
    ).to_csv(folder / "stats.csv", index=False)


def test_diff_two_runs(runner, tmp_path):
    _stats_csv(tmp_path / "a", {"1": 10.0, "2": 20.0, "3": 5.0})
    _stats_csv(tmp_path / "b", {"1": 10.0, "2": 21.5, "4": 7.0})
    res = runner.invoke(
        cli, ["diff", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "d.csv")]
    )
    assert res.exit_code == 0, res.output
    d = pd.read_csv(tmp_path / "d.csv", dtype={"unit_id": str}).set_index("unit_id")
    assert d.loc["2", "status"] == "changed"
    assert d.loc["2", "delta_share_pct"] == pytest.approx(1.5)
    assert d.loc["2", "delta_km2"] == pytest.approx(15.0)
    assert d.loc["3", "status"] == "removed" and d.loc["4", "status"] == "added"
    assert "1" not in d.index  # unchanged rows are left out unless --all


def test_diff_two_vintages_of_a_layer(runner, tmp_path):
    old = gpd.GeoDataFrame(
        {"feature_id": ["r1", "r2", "r3", "r4"]},
        geometry=[sq(0, 0, 1_000), sq(5_000, 0, 1_000), sq(9_000, 0, 1_000), sq(20_000, 0, 500)],
        crs=ALBERS_CHINA,
    )
    new = gpd.GeoDataFrame(
        # r1 unchanged, r2 grown to 2 x 1 km, r3 removed, r4 renamed r9, r5 added
        {"feature_id": ["r1", "r2", "r9", "r5"]},
        geometry=[
            sq(0, 0, 1_000),
            box(X0 + 5_000, Y0, X0 + 7_000, Y0 + 1_000),
            sq(20_000, 0, 500),
            sq(30_000, 0, 2_000),
        ],
        crs=ALBERS_CHINA,
    )
    old.to_crs("EPSG:4490").to_file(tmp_path / "old.geojson", driver="GeoJSON")
    new.to_crs("EPSG:4490").to_file(tmp_path / "new.geojson", driver="GeoJSON")
    out = tmp_path / "changes.gpkg"
    res = runner.invoke(
        cli,
        ["diff", str(tmp_path / "old.geojson"), str(tmp_path / "new.geojson"), "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    ch = gpd.read_file(out)
    status = dict(zip(ch.feature_id.fillna(ch.feature_id_old), ch.status, strict=True))
    assert status == {"r2": "reshaped", "r9": "id_changed", "r5": "added", "r3": "removed"}
    r2 = ch[ch.feature_id == "r2"].iloc[0]
    assert r2.gained_m2 == pytest.approx(1e6, rel=1e-6) and r2.lost_m2 == pytest.approx(0, abs=1)
    assert ch[ch.feature_id == "r5"].gained_m2.iloc[0] == pytest.approx(4e6, rel=1e-6)


def test_stats_on_a_local_dask_cluster_equals_local(runner, demo_catalog_path, tmp_path):
    args = [
        "stats",
        "--catalog",
        str(demo_catalog_path),
        "--layers",
        "eco_redline",
        "--level",
        "city",
    ]
    res = runner.invoke(cli, [*args, "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, [*args, "--dask", "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "a" / "stats.csv").read_bytes() == (
        tmp_path / "b" / "stats.csv"
    ).read_bytes()


def _two_named_units(tmp_path: Path) -> Path:
    units = gpd.GeoDataFrame(
        {"code": ["a", "b"], "name": ["云州区", "阳高县"]},
        geometry=[sq(0, 0, 10_000), sq(10_000, 0, 10_000)],
        crs=ALBERS_CHINA,
    )
    path = tmp_path / "u.geojson"
    units.to_crs("EPSG:4490").to_file(path, driver="GeoJSON")
    return path


def _stats_args(units: Path, out: Path, *extra: str) -> list[str]:
    return [
        "stats",
        "--units",
        str(units),
        "--unit-field",
        "code",
        "--layers",
        "eco_redline",
        "--out",
        str(out),
        *extra,
    ]


def test_stats_csv_has_a_bom_unit_names_and_levels_and_reads_back(runner, tmp_path):
    import csv

    res = runner.invoke(cli, _stats_args(_two_named_units(tmp_path), tmp_path / "s"))
    assert res.exit_code == 0, res.output
    data = (tmp_path / "s" / "stats.csv").read_bytes()
    assert data[:3] == b"\xef\xbb\xbf"  # UTF-8 byte-order mark: Excel on Chinese Windows
    assert data[3:11] == b"unit_id,"  # then the header, unchanged
    assert "云州区".encode() in data
    df = pd.read_csv(tmp_path / "s" / "stats.csv")
    assert list(df.columns) == [
        "unit_id",
        "layer_kind",
        "zone",
        "area_km2",
        "unit_area_km2",
        "share_pct",
        "level",
        "unit_name",
    ]  # the columns zoning run writes, in its order
    assert dict(zip(df.unit_id, df.unit_name, strict=True)) == {"a": "云州区", "b": "阳高县"}
    assert set(df.level) == {"unit"}  # a unit file, not an admin level
    with open(tmp_path / "s" / "stats.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["unit_name"] for r in rows] == df.unit_name.tolist()
    assert [r["unit_id"] for r in rows] == df.unit_id.tolist()  # the BOM is not in the header
    assert [float(r["unit_area_km2"]) for r in rows] == pytest.approx([100.0] * len(df))


@pytest.mark.parametrize(
    ("encoding", "name_bytes"),
    [("utf-8", "云州区".encode()), ("gb18030", b"\xd4\xc6\xd6\xdd\xc7\xf8")],  # GBK codes
)
def test_stats_csv_encoding_option(runner, tmp_path, encoding, name_bytes):
    units = _two_named_units(tmp_path)
    res = runner.invoke(cli, _stats_args(units, tmp_path / "s", "--csv-encoding", encoding))
    assert res.exit_code == 0, res.output
    data = (tmp_path / "s" / "stats.csv").read_bytes()
    assert data.startswith(b"unit_id,")  # no BOM
    assert name_bytes in data
    back = pd.read_csv(tmp_path / "s" / "stats.csv", encoding=encoding)
    assert back.drop_duplicates("unit_id").unit_name.tolist() == ["云州区", "阳高县"]
    # zoning diff reads it back whatever the encoding: the two runs are the same
    res = runner.invoke(cli, _stats_args(units, tmp_path / "t"))  # default, with BOM
    res = runner.invoke(cli, ["diff", str(tmp_path / "s"), str(tmp_path / "t"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["units_differing"] == 0


def test_stats_bad_csv_encoding_is_a_usage_error(runner, tmp_path):
    res = runner.invoke(
        cli, _stats_args(tmp_path / "u.gpkg", tmp_path / "s", "--csv-encoding", "latin-1")
    )
    assert res.exit_code == 2 and "utf-8-sig" in res.output
    assert not (tmp_path / "s").exists()


def test_diff_of_identical_runs_says_so_without_a_dangling_colon(runner, tmp_path):
    _stats_csv(tmp_path / "a", {"1": 10.0, "2": 20.0})
    _stats_csv(tmp_path / "b", {"1": 10.0, "2": 20.0})
    res = runner.invoke(cli, ["diff", str(tmp_path / "a"), str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    assert res.stdout == "no unit differs\n"
    res = runner.invoke(cli, ["diff", str(tmp_path / "a"), str(tmp_path / "b"), "--all"])
    assert res.stdout.splitlines()[0] == "no unit differs"  # unchanged rows are no difference


def test_diff_runs_json(runner, tmp_path):
    _stats_csv(tmp_path / "a", {"1": 10.0, "2": 20.0, "3": 5.0})
    _stats_csv(tmp_path / "b", {"1": 10.0, "2": 21.5, "4": 7.0})
    res = runner.invoke(cli, ["diff", str(tmp_path / "a"), str(tmp_path / "b"), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)  # one JSON document, nothing else on stdout
    assert doc["units_differing"] == 3
    assert doc["counts"] == {"added": 1, "changed": 1, "removed": 1}
    by_unit = {r["unit_id"]: r for r in doc["rows"]}
    assert by_unit["2"]["delta_km2"] == pytest.approx(15.0)
    assert by_unit["4"]["area_km2_a"] is None  # strict JSON: absent, not NaN
    human = runner.invoke(cli, ["diff", str(tmp_path / "a"), str(tmp_path / "b")])
    assert human.stdout.splitlines()[0] == "3 unit(s) differ: added 1, changed 1, removed 1"


def _vintages(tmp_path: Path) -> tuple[Path, Path]:
    old = gpd.GeoDataFrame(
        {"feature_id": ["r1", "r3", "r4"]},
        geometry=[sq(0, 0, 1_000), sq(9_000, 0, 1_000), sq(20_000, 0, 500)],
        crs=ALBERS_CHINA,
    )
    new = gpd.GeoDataFrame(  # r3 removed (1 km²), r4 renamed r9
        {"feature_id": ["r1", "r9"]},
        geometry=[sq(0, 0, 1_000), sq(20_000, 0, 500)],
        crs=ALBERS_CHINA,
    )
    a, b = tmp_path / "old.gpkg", tmp_path / "new.gpkg"
    for frame, path in ((old, a), (new, b)):
        frame.to_crs("EPSG:4490").to_file(path, layer="redline", driver="GPKG")
    return a, b


def test_diff_vintages_names_removed_features_not_nan(runner, tmp_path):
    a, b = _vintages(tmp_path)
    res = runner.invoke(cli, ["diff", str(a), str(b)])
    assert res.exit_code == 0, res.output
    assert "nan" not in res.stdout
    lines = res.stdout.splitlines()
    assert lines[0] == "2 feature(s) differ: id_changed 1, removed 1"
    assert "  r3: removed +0.0000 / -1.0000 km²" in lines
    assert "  r4 → r9: id_changed +0.0000 / -0.0000 km²" in lines
    doc = json.loads(runner.invoke(cli, ["diff", str(a), str(b), "--json"]).stdout)
    assert sorted(r["feature_id"] for r in doc["rows"]) == ["r3", "r4 → r9"]


def test_diff_multi_layer_file_asks_for_its_own_layer_option(runner, tmp_path):
    a, b = _vintages(tmp_path)
    extra = gpd.GeoDataFrame({"feature_id": ["x"]}, geometry=[sq(0, 0, 10)], crs=ALBERS_CHINA)
    extra.to_crs("EPSG:4490").to_file(a, layer="other", driver="GPKG")
    res = runner.invoke(cli, ["diff", str(a), str(b)])
    assert res.exit_code == 1
    assert "holds 2 layers (redline, other) and no layer was given" in res.stderr
    assert "fix: pass --layer NAME" in res.stderr and "layer=" not in res.stderr
    res = runner.invoke(cli, ["diff", str(a), str(b), "--layer", "redline"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0] == "2 feature(s) differ: id_changed 1, removed 1"
