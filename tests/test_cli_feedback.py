"""Issue 14, item 7: progress bars with named steps, one shape for every command, and the CSV
encoding every writer shares (item 2).
"""

from __future__ import annotations

import doctest
import importlib
import io
import json
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely import box

from zoning.cli.main import cli
from zoning.crs import ALBERS_CHINA
from zoning.errors import ZoningUsageError
from zoning.io.tables import csv_bytes, csv_encoding, read_csv_table, use_csv_encoding, write_csv
from zoning.progress import Steps, step_bar

X0, Y0 = 650_000.0, 4_250_000.0


@pytest.mark.parametrize(
    "module",
    [
        "zoning.io.tables",
        "zoning.hints",
        "zoning.progress",
        "zoning.cli.options",
        "zoning.restoration.outputs",
        "zoning.cli.screen",
    ],
)
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------------------ CSV encoding

FRAME = pd.DataFrame({"名称": ["太原", "大同"], "面积_km2": [1.5, 2.25]})


def test_csv_bytes_in_each_encoding():
    # UTF-8 with BOM by default: EF BB BF, then 名称 in UTF-8
    assert csv_bytes(FRAME, index=False)[:9] == b"\xef\xbb\xbf\xe5\x90\x8d\xe7\xa7\xb0"
    assert csv_bytes(FRAME, index=False, encoding="utf-8")[:6] == "名称".encode()
    # GB18030 (= GBK for these): 太 CC AB, 原 D4 AD
    assert b"\xcc\xab\xd4\xad" in csv_bytes(FRAME, index=False, encoding="gb18030")
    assert csv_bytes(FRAME, index=False, encoding="utf-8").count(b"\r") == 0  # \n line ends


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_pandas_and_csv_read_every_encoding_back_identically(tmp_path, encoding):
    import csv

    path = write_csv(FRAME, tmp_path / "t.csv", index=False, encoding=encoding)
    back = read_csv_table(path)  # whichever encoding it is in
    pd.testing.assert_frame_equal(back, FRAME)
    pd.testing.assert_frame_equal(pd.read_csv(path, encoding=encoding), FRAME)
    with open(path, encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["名称", "面积_km2"], ["太原", "1.5"], ["大同", "2.25"]]


def test_use_csv_encoding_nests_and_restores():
    assert csv_encoding() == "utf-8-sig"
    with use_csv_encoding("UTF8"):
        assert csv_encoding() == "utf-8"
        with use_csv_encoding("gb18030"):
            assert csv_encoding() == "gb18030"
        assert csv_encoding() == "utf-8"
    assert csv_encoding() == "utf-8-sig"
    with pytest.raises(ZoningUsageError, match="expected one of utf-8-sig, utf-8, gb18030"):
        with use_csv_encoding("latin-1"):
            pass
    assert csv_encoding() == "utf-8-sig"


def test_write_vector_csv_has_the_bom(tmp_path):
    from shapely import Point

    from zoning.io import write_vector

    gdf = gpd.GeoDataFrame({"名称": ["井"]}, geometry=[Point(112.5, 37.8)], crs="EPSG:4490")
    path = write_vector(gdf, tmp_path / "p.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf\xe5\x90\x8d")
    with use_csv_encoding("utf-8"):
        plain = write_vector(gdf, tmp_path / "q.csv")
    assert plain.read_bytes() == path.read_bytes()[3:]


# ------------------------------------------------------------------------------ progress bars


def test_steps_name_each_step_and_count_them():
    out = io.StringIO()
    with Steps("zoning job", ["read", "compute", "write"], enabled=True, file=out) as steps:
        steps.start("read")
        steps.start("compute")
        assert "zoning job [compute] 1/3" in out.getvalue()
        steps.start("write")
    text = out.getvalue()
    assert "zoning job [read] 0/3" in text
    assert "zoning job [write] 2/3" in text
    assert "zoning job [done] 3/3" in text


def test_steps_off_write_nothing():
    out = io.StringIO()
    with Steps("job", ["a", "b"], enabled=False, file=out) as steps:
        steps.start("a")
        steps.start("b")
    assert out.getvalue() == ""


def test_log_lines_go_above_the_bar_not_through_it(capsys):
    import sys

    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)  # the console handler zoning's CLI installs
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    try:
        with Steps("job", ["a", "b"], enabled=True, file=sys.stderr) as steps:
            steps.start("a")
            logging.getLogger("zoning.test").warning("something to say")
            steps.start("b")
        assert handler in root.handlers  # put back after the bar
    finally:
        root.removeHandler(handler)
    err = capsys.readouterr().err
    pieces = [p.strip() for line in err.split("\n") for p in line.split("\r")]
    # the record is a line of its own, not glued to the bar's text
    assert "WARNING zoning.test: something to say" in pieces
    assert "job [done] 2/2" in err


def test_step_bar_follows_update_calls(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stderr", out)
    bar = step_bar("zoning run x", ["load", "stats", "write"], enabled=True)
    bar.update(1)
    assert bar._running == "stats"
    bar.update(1)
    bar.update(1)
    bar.close()
    text = out.getvalue()
    assert "[load] 0/3" in text and "[stats] 1/3" in text and "[write] 2/3" in text
    assert "[done] 3/3" in text


def _units(tmp_path: Path) -> Path:
    units = gpd.GeoDataFrame(
        {"code": ["a"], "name": ["云州区"]},
        geometry=[box(X0, Y0, X0 + 10_000, Y0 + 10_000)],
        crs=ALBERS_CHINA,
    )
    path = tmp_path / "u.geojson"
    units.to_crs("EPSG:4490").to_file(path, driver="GeoJSON")
    return path


def _stats(tmp_path: Path, *pre: str, out: str = "s") -> list[str]:
    return [
        *pre,
        "stats",
        "--units",
        str(_units(tmp_path)),
        "--unit-field",
        "code",
        "--layers",
        "eco_redline",
        "--out",
        str(tmp_path / out),
    ]


def test_stats_shows_named_steps_on_a_terminal_and_not_with_quiet(tmp_path, monkeypatch):
    monkeypatch.setattr("zoning.progress.stderr_is_tty", lambda: True)
    res = CliRunner().invoke(cli, _stats(tmp_path))
    assert res.exit_code == 0, res.output
    for name in ("[load catalogue]", "[read layers]", "[statistics]", "[write stats.csv]"):
        assert name in res.stderr
    assert "zoning stats [done] 4/4" in res.stderr
    assert res.stdout == f"{tmp_path / 's' / 'stats.csv'}\n"  # the bar stays on stderr
    quiet = CliRunner().invoke(cli, _stats(tmp_path, "--quiet", out="q"))
    assert quiet.exit_code == 0, quiet.output
    assert "zoning stats" not in quiet.stderr and "[statistics]" not in quiet.stderr


def test_no_bar_when_stderr_is_not_a_terminal(tmp_path):
    res = CliRunner().invoke(cli, _stats(tmp_path))  # CliRunner's stderr is no TTY
    assert res.exit_code == 0, res.output
    assert "[statistics]" not in res.stderr and "\r" not in res.stderr


# ------------------------------------------------------------------------ one shape everywhere


@pytest.mark.parametrize(
    "command",
    [
        ["screen"],
        ["stats"],
        ["run"],
        ["restore"],
        ["diff"],
        ["map"],
        ["demo"],
        ["layers", "check"],
        ["layers", "list"],
        ["types"],
        ["rules", "list"],
        ["rules", "show"],
    ],
)
def test_every_command_that_prints_a_result_has_json(command):
    res = CliRunner().invoke(cli, [*command, "--help"])
    assert res.exit_code == 0, res.output
    assert "--json" in res.stdout
    assert "``" not in res.stdout  # no RST markup in any help


@pytest.mark.parametrize(
    "command", [["screen"], ["stats"], ["run"], ["restore"], ["diff"], ["demo"]]
)
def test_every_command_that_writes_csv_has_the_encoding_option(command):
    res = CliRunner().invoke(cli, [*command, "--help"])
    assert "--csv-encoding" in res.stdout and "utf-8-sig" in res.stdout


def test_demo_help_is_plain_text():
    res = CliRunner().invoke(cli, ["demo", "--help"])
    assert res.exit_code == 0
    assert "OUT holds catalog_check.json / catalog_check.txt" in res.stdout
    assert "``" not in res.stdout


@pytest.mark.parametrize("command", ["stats", "run"])
def test_scheduler_is_local_or_an_address(command, tmp_path):
    args = [command, "--scheduler", "my-cluster", "--out", str(tmp_path / "o")]
    if command == "run":
        args.insert(1, "demo")
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2
    assert "'my-cluster' is not a Dask scheduler" in res.stderr
    assert "tcp://127.0.0.1:8786" in res.stderr
    assert not (tmp_path / "o").exists()
    help_text = CliRunner().invoke(cli, [command, "--help"]).stdout
    assert "--dask" in help_text and "The same as --scheduler local." in help_text


def test_stats_out_defaults_to_a_named_folder_here(tmp_path, monkeypatch):
    units = _units(tmp_path)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(
        cli,
        ["stats", "--units", str(units), "--unit-field", "code", "--layers", "eco_redline"],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "stats-shanxi-demo" / "stats.csv").is_file()
    again = CliRunner().invoke(
        cli, ["stats", "--units", str(units), "--unit-field", "code", "--layers", "eco_redline"]
    )
    assert again.exit_code == 1 and "--overwrite" in again.stderr  # never overwritten


def test_stats_json_is_one_document(tmp_path):
    res = CliRunner().invoke(cli, [*_stats(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["files"] == {"stats.csv": str(tmp_path / "s" / "stats.csv")}
    assert doc["units"] == 1
    row = next(r for r in doc["rows"] if r["zone"] == "all")
    assert row["unit_name"] == "云州区" and row["level"] == "unit"
    assert row["unit_area_km2"] == pytest.approx(100.0)  # 10 km x 10 km


def test_map_out_default_and_json(tmp_path, monkeypatch):
    cat = tmp_path / "henan"
    cat.mkdir()
    rl = gpd.GeoDataFrame(
        {"id": ["R1"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=ALBERS_CHINA
    )
    rl.to_crs("EPSG:4490").to_file(cat / "rl.geojson")
    (cat / "catalog.toml").write_text(
        'name = "henan"\n[[layers]]\nkind = "eco_redline"\npath = "rl.geojson"\nid_field = "id"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("zoning.progress.stderr_is_tty", lambda: True)
    res = CliRunner().invoke(cli, ["map", "--catalog", str(cat / "catalog.toml"), "--json"])
    assert res.exit_code == 0, res.output
    for i, name in enumerate(["load catalogue", "draw the layers", "write HTML"]):
        assert f"zoning map [{name}] {i}/3" in res.stderr
    doc = json.loads(res.stdout)
    assert doc["out"] == "map-henan.html" and (tmp_path / "map-henan.html").is_file()
    assert doc["features"] == 1
    assert [layer["kind"] for layer in doc["layers"]] == ["eco_redline"]
