"""Catalog.read_ahead: cached frames read on a thread while pandas is imported, same frames."""

import logging

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from fresh_python import last_line

from zoning.catalog import load_catalog
from zoning.crs import ALBERS_CHINA


def _same(got, want):
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes) and type(got.index) is type(want.index)
    assert got.crs == want.crs and got.attrs == want.attrs
    assert (
        shapely.to_wkb(got.geometry.values).tolist()
        == shapely.to_wkb(want.geometry.values).tolist()
    )


def _kinds(catalog):
    from zoning.stats import choose_kinds

    return choose_kinds(catalog, None)


@pytest.fixture
def geopandas_reads(monkeypatch):
    """Count geopandas.read_parquet calls (the usual way of reading a cache file)."""
    calls = []
    real = gpd.read_parquet
    monkeypatch.setattr(gpd, "read_parquet", lambda p, **kw: calls.append(p) or real(p, **kw))
    return calls


def _warm(catalog_path):
    """Fill the cache with what is read ahead below, when the tests have no cache yet."""
    warm = load_catalog(catalog_path)
    kinds = _kinds(warm)
    for k in kinds:
        warm.frame(k, crs=ALBERS_CHINA, columns=["zone"])
    warm.frame("admin_unit")
    return kinds


def test_frames_read_ahead_equal_the_frames_read_as_usual(demo_catalog_path, geopandas_reads):
    kinds = _warm(demo_catalog_path)
    geopandas_reads.clear()
    plain = load_catalog(demo_catalog_path)
    want = {k: plain.frame(k, crs=ALBERS_CHINA, columns=["zone"]) for k in kinds}
    want_units = plain.frame("admin_unit")
    assert len(geopandas_reads) == len(kinds) + 1  # the cache is filled: read as usual

    ahead = load_catalog(demo_catalog_path)
    ahead.read_ahead(kinds, ALBERS_CHINA, ["zone"], loaded=["admin_unit"])
    got_units = ahead.frame("admin_unit")
    got = {k: ahead.frame(k, crs=ALBERS_CHINA, columns=["zone"]) for k in kinds}
    assert len(geopandas_reads) == len(kinds) + 1  # every frame came from the read-ahead
    _same(got_units, want_units)
    assert ahead.load("admin_unit").from_cache
    for k in kinds:
        _same(got[k], want[k])
    # what was read ahead is used once: asked again, the memo answers as before
    assert ahead.frame(kinds[0], crs=ALBERS_CHINA, columns=["zone"]) is got[kinds[0]]


def test_frames_not_read_ahead_are_read_as_usual(demo_catalog_path, geopandas_reads):
    kinds = _warm(demo_catalog_path)
    geopandas_reads.clear()
    catalog = load_catalog(demo_catalog_path)
    catalog.read_ahead(kinds[:1], ALBERS_CHINA, ["zone"])
    catalog.frame(kinds[0], crs=ALBERS_CHINA, columns=["zone"])
    assert geopandas_reads == []
    # other columns, another kind: read as usual
    whole = catalog.frame(kinds[0], crs=ALBERS_CHINA)
    catalog.frame(kinds[1], crs=ALBERS_CHINA, columns=["zone"])
    assert len(geopandas_reads) == 2 and "feature_id" in whole.columns


def test_a_damaged_cache_file_read_ahead_is_still_rebuilt_with_a_warning(
    tmp_path, monkeypatch, caplog
):
    from shapely.geometry import box

    monkeypatch.setenv("ZONING_CACHE_DIR", str(tmp_path / "cache"))
    gpd.GeoDataFrame(
        {"级别": ["一级保护区", "二级保护区"]},
        geometry=[box(112.0, 37.0, 112.01, 37.01), box(112.02, 37.0, 112.03, 37.01)],
        crs=4490,
    ).to_file(tmp_path / "ws.gpkg", layer="ws", engine="pyogrio")
    catalog_path = tmp_path / "catalog.toml"
    catalog_path.write_text(
        '[[layers]]\nkind = "water_source"\npath = "ws.gpkg"\nzone_field = "级别"\n',
        encoding="utf-8",
    )
    want = load_catalog(catalog_path).frame("water_source", crs=ALBERS_CHINA, columns=["zone"])
    files = sorted((tmp_path / "cache" / "layers").glob("*-*.parquet"))
    assert len(files) == 1
    files[0].write_bytes(files[0].read_bytes()[:100])  # a truncated file
    again = load_catalog(catalog_path)
    again.read_ahead(["water_source"], ALBERS_CHINA, ["zone"])
    with caplog.at_level(logging.WARNING, logger="zoning.cache"):
        got = again.frame("water_source", crs=ALBERS_CHINA, columns=["zone"])
    assert "cannot be read" in caplog.text  # found and reported by the usual path
    _same(got, want)
    assert len(gpd.read_parquet(files[0])) == 2  # and rebuilt


def test_a_catalogue_loads_and_reads_ahead_without_pandas(demo_catalog_path):
    # the catalogue's frames are read ahead while `zoning stats` imports pandas: loading the
    # catalogue, choosing its kinds and reading ahead must import neither pandas nor geopandas
    code = (
        "import sys\n"
        "from zoning.catalog import load_catalog\n"
        "from zoning.crs import ALBERS_CHINA\n"
        "from zoning.stats import choose_kinds\n"
        f"catalog = load_catalog({str(demo_catalog_path)!r})\n"
        "kinds = choose_kinds(catalog, None)\n"
        "catalog.read_ahead(kinds, ALBERS_CHINA, ['zone'], loaded=['admin_unit'])\n"
        "for future in catalog._ahead._futures.values():\n"
        "    assert future.result()[1] is not None\n"
        "print(len(kinds), [m for m in ('pandas', 'geopandas') if m in sys.modules])\n"
    )
    assert last_line(code).split() == ["12", "[]"]


def test_zoning_stats_joins_the_read_ahead_thread(demo_catalog_path, tmp_path, monkeypatch):
    # the command may end the process at once when it returns (options.allow_quick_exit):
    # the thread reading ahead must have ended by then, even when it is slow to finish
    import threading
    import time

    from click.testing import CliRunner

    import zoning.cli.options as options
    from zoning.catalog.cachekeys import ReadAhead
    from zoning.cli.main import cli

    real, written = ReadAhead._read, threading.Event()
    quick_exit = options.allow_quick_exit

    def slow(jobs):  # still running when the command has written its output
        real(jobs)
        written.wait(30)
        time.sleep(0.3)

    def allow_quick_exit():
        written.set()
        quick_exit()

    monkeypatch.setattr(ReadAhead, "_read", staticmethod(slow))
    monkeypatch.setattr(options, "allow_quick_exit", allow_quick_exit)
    out = tmp_path / "s"
    argv = ["stats", "--catalog", str(demo_catalog_path), "--layers", "spring_area"]
    res = CliRunner().invoke(cli, [*argv, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "stats.csv").is_file()
    assert [t for t in threading.enumerate() if t.name == "zoning-read-ahead"] == []
