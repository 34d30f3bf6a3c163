"""Same inputs, byte-identical outputs (issue 7).

Each product is made twice from the same inputs, into two different folders, and compared byte
for byte: the batch run (CSV, workbook, GeoPackage, map, manifest apart from its ``created``
timestamp), the statistics command, the screening command and the vector writer. The second run
also meets a warm layer cache, so a cache that changed results would show here too.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
if "make_bad_corpus" not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        "make_bad_corpus", ROOT / "tests" / "data" / "make_bad_corpus.py"
    )
    _mod = importlib.util.module_from_spec(_spec)
    sys.modules["make_bad_corpus"] = _mod
    _spec.loader.exec_module(_mod)
corpus = sys.modules["make_bad_corpus"]


def _invoke(args: list[str]):
    from zoning.cli.main import cli

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, f"{result.stdout}\n{result.stderr}\n{result.exception!r}"
    return result


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _without_created(manifest: bytes) -> dict:
    doc = json.loads(manifest)
    assert "created" in doc  # the one field allowed to differ
    doc.pop("created")
    return doc


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    return corpus.write_scenario(tmp_path_factory.mktemp("det"))


@pytest.fixture(scope="module")
def two_runs(scenario: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    out1, out2 = scenario.parent / "run 1", scenario.parent / "运行 2"
    _invoke(["run", str(scenario), "--out", str(out1)])
    _invoke(["run", str(scenario), "--out", str(out2)])
    return _files(out1), _files(out2)


def test_batch_run_writes_the_same_set_of_files(two_runs) -> None:
    a, b = two_runs
    assert sorted(a) == sorted(b)
    assert {"stats.csv", "manifest.json", "units.gpkg"} <= set(a)


@pytest.mark.parametrize("suffix", [".csv", ".gpkg", ".xlsx", ".html"])
def test_batch_run_outputs_are_byte_identical(two_runs, suffix: str) -> None:
    a, b = two_runs
    names = [n for n in a if n.endswith(suffix)]
    assert names, f"no {suffix} output"
    different = [n for n in names if a[n] != b[n]]
    assert not different, f"differ between identical runs: {different}"


def test_manifest_is_identical_apart_from_its_timestamp(two_runs) -> None:
    a, b = two_runs
    assert _without_created(a["manifest.json"]) == _without_created(b["manifest.json"])


def test_manifest_checksums_are_those_of_the_files(two_runs) -> None:
    import hashlib

    a, _ = two_runs
    outputs = json.loads(a["manifest.json"])["outputs"]
    assert outputs
    for name, info in outputs.items():
        assert hashlib.sha256(a[name]).hexdigest() == info["sha256"], name


def test_run_log_is_identical(two_runs) -> None:
    a, b = two_runs
    assert a["run.log"] == b["run.log"]


def test_stats_command_is_byte_identical(tmp_path: Path) -> None:
    cat = corpus._catalog(tmp_path / "catalog")
    outs = [tmp_path / "s1", tmp_path / "s2"]
    for out in outs:
        _invoke(["stats", "--catalog", str(cat), "--out", str(out)])
    a, b = (_files(o) for o in outs)
    assert sorted(a) == sorted(b) and "stats.csv" in a
    for name in a:
        if name == "manifest.json":
            assert _without_created(a[name]) == _without_created(b[name])
        else:
            assert a[name] == b[name], name


@pytest.fixture(scope="module")
def two_screenings(tmp_path_factory) -> tuple[dict[str, bytes], dict[str, bytes]]:
    tmp = tmp_path_factory.mktemp("screen")
    cat = corpus._catalog(tmp / "catalog")
    site = corpus._site_geojson(
        tmp / "sites.geojson",
        [
            corpus._poly((112.33, 37.73, 112.34, 37.74)),
            corpus._poly((112.61, 37.71, 112.615, 37.715)),
        ],
    )
    outs = [tmp / "o1", tmp / "o2"]
    for out in outs:
        _invoke(
            ["screen", str(site), "-t", "chemical", "--catalog", str(cat), "--as-of",
             "2025-01-01", "--out", str(out)]
        )  # fmt: skip
    return _files(outs[0]), _files(outs[1])


@pytest.mark.parametrize(
    "name",
    [
        "result.json",
        "summary.csv",
        "report.html",
    ],
)
def test_screen_outputs_are_byte_identical(two_screenings, name: str) -> None:
    a, b = two_screenings
    assert sorted(a) == ["report.html", "result.json", "summary.csv"]
    assert a[name] == b[name]


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".csv", ".parquet"])
def test_write_vector_is_byte_identical(tmp_path: Path, suffix: str) -> None:
    import geopandas as gpd
    from shapely import box

    from zoning.io import write_vector

    gdf = gpd.GeoDataFrame(
        {"名称": ["甲", "乙"], "area": [1.5, 2.25]},
        geometry=[box(112, 37, 112.1, 37.1), box(112.2, 37, 112.3, 37.1)],
        crs="EPSG:4490",
    )
    a = write_vector(gdf, tmp_path / f"a{suffix}", layer="units").read_bytes()
    b = write_vector(gdf, tmp_path / f"b{suffix}", layer="units").read_bytes()
    assert a == b
