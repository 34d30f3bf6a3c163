"""Writing vector files (``zoning.io.vector``): formats, refusals, byte-identical reruns."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

import geopandas as gpd
import io_samples
import pandas as pd
import pyogrio
import pytest
import shapely
from io_samples import NAMES

from zoning import io as zio
from zoning.errors import (
    OutputExistsError,
    ZoningUsageError,
)


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    """Three unit squares (0.1° side) with Chinese names, in CGCS2000."""
    return io_samples.units_frame()


# ---------------------------------------------------------------- writing


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".parquet", ".csv"])
def test_write_read_round_trip(tmp_path, units, suffix):
    path = zio.write_vector(units, tmp_path / f"out{suffix}")
    assert path == tmp_path / f"out{suffix}"
    back = zio.read_vector(path, crs="EPSG:4490")  # the CSV carries no CRS
    assert back["name"].tolist() == NAMES
    assert back["share"].tolist() == [0.25, 0.5, 0.125]
    assert back.crs.to_epsg() == 4490
    assert shapely.equals_exact(back.geometry.values, units.geometry.values, tolerance=1e-12).all()
    assert [p.name for p in tmp_path.iterdir()] == [f"out{suffix}"]  # no temp files left


def test_write_gpkg_layer_name(tmp_path, units):
    path = zio.write_vector(units, tmp_path / "a.gpkg", layer="counties")
    assert pyogrio.list_layers(path)[:, 0].tolist() == ["counties"]


def test_write_refuses_existing(tmp_path, units):
    path = zio.write_vector(units, tmp_path / "x.geojson")
    before = path.read_bytes()
    with pytest.raises(OutputExistsError) as info:
        zio.write_vector(units.iloc[:1], path)
    msg = str(info.value)
    assert str(path) in msg and "overwrite=True" in msg and "--overwrite" in msg
    assert path.read_bytes() == before
    zio.write_vector(units.iloc[:1], path, overwrite=True)
    assert len(zio.read_vector(path)) == 1


def test_write_unknown_format(tmp_path, units):
    with pytest.raises(ZoningUsageError, match=r"\.shp"):
        zio.write_vector(units, tmp_path / "x.shp")


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".parquet", ".csv"])
def test_rewrites_are_byte_identical(tmp_path, units, suffix):
    path = tmp_path / f"det{suffix}"
    zio.write_vector(units, path)
    first = _sha(path)
    if suffix == ".gpkg":
        time.sleep(1.05)  # let the clock move: GDAL would stamp the time otherwise
    zio.write_vector(units, path, overwrite=True)
    assert _sha(path) == first


def test_gpkg_timestamp_is_fixed(tmp_path, units):
    path = zio.write_vector(units, tmp_path / "t.gpkg")
    with sqlite3.connect(path) as con:
        stamps = {r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")}
    assert stamps == {zio.GPKG_TIMESTAMP}


@pytest.mark.parametrize(
    ("suffix", "method"),
    [(".gpkg", "to_file"), (".geojson", "to_file"), (".parquet", "to_parquet")],
)
def test_failed_write_leaves_nothing_and_old_file_intact(
    tmp_path, units, monkeypatch, suffix, method
):
    path = zio.write_vector(units, tmp_path / f"keep{suffix}")
    before = path.read_bytes()

    def half_write(self, filename, *args, **kwargs):
        Path(filename).write_bytes(b"half a file")
        Path(f"{filename}-journal").write_bytes(b"journal")
        raise OSError("disk full")

    monkeypatch.setattr(gpd.GeoDataFrame, method, half_write)
    with pytest.raises(OSError, match="disk full"):
        zio.write_vector(units, path, overwrite=True)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"keep{suffix}"]
    # a new output that fails leaves nothing at all
    with pytest.raises(OSError, match="disk full"):
        zio.write_vector(units, tmp_path / f"new{suffix}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"keep{suffix}"]


def test_csv_output_is_wkt_text(tmp_path, units):
    path = zio.write_vector(units, tmp_path / "o.csv")
    df = pd.read_csv(path)
    assert df.columns.tolist() == ["name", "adcode", "share", "geometry"]
    assert (
        df["geometry"].iloc[0]
        == "POLYGON ((112.6 37.8, 112.6 37.9, 112.5 37.9, 112.5 37.8, 112.6 37.8))"
    )
