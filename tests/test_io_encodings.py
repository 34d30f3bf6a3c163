"""Encodings of shapefile attribute tables (``zoning.io.encodings``): cpg, LDID, content."""

from __future__ import annotations

import geopandas as gpd
import io_samples
import pyogrio
import pytest
import shapely
from io_samples import ENGINES, NAMES, set_ldid, write_shp

from zoning import io as zio
from zoning.io import encodings as zio_encodings


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    """Three unit squares (0.1° side) with Chinese names, in CGCS2000."""
    return io_samples.units_frame()


# ---------------------------------------------------------------- shapefiles and encodings


@pytest.mark.parametrize("engine", ENGINES)
def test_read_shapefile_both_engines(tmp_path, units, engine):
    shp = write_shp(units, tmp_path / "units.shp", "UTF-8", keep_cpg=True)
    out = zio.read_vector(shp, engine=engine)
    assert out["name"].tolist() == NAMES
    assert out["adcode"].tolist() == [140100, 140900, 140215]
    assert out.crs.to_epsg() == 4490
    # shapefile rings are stored clockwise: compare normalised geometries
    got, want = shapely.normalize(out.geometry.values), shapely.normalize(units.geometry.values)
    assert shapely.equals_exact(got, want, tolerance=1e-12).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_gbk_shapefile_without_cpg_reads_chinese(tmp_path, units, engine):
    shp = write_shp(units, tmp_path / "gbk.shp", "gbk", keep_cpg=False)
    raw = shp.with_suffix(".dbf").read_bytes()
    assert "太原市".encode("gbk") in raw  # really GBK on disk
    assert not shp.with_suffix(".cpg").exists()
    assert zio.detect_dbf_encoding(shp) == "GB18030"
    assert zio.read_vector(shp, engine=engine)["name"].tolist() == NAMES
    # GDAL alone (no detection) gets it wrong: the test is not trivially passing
    assert pyogrio.read_dataframe(shp)["name"].tolist() != NAMES


def test_utf8_shapefile_with_and_without_cpg(tmp_path, units):
    shp = write_shp(units, tmp_path / "u.shp", "UTF-8", keep_cpg=True)
    assert zio.detect_dbf_encoding(shp) == "UTF-8"
    assert zio.read_vector(shp)["name"].tolist() == NAMES
    shp.with_suffix(".cpg").unlink()
    assert zio.detect_dbf_encoding(shp) == "UTF-8"  # decided by content
    assert zio.read_vector(shp)["name"].tolist() == NAMES


def test_gb18030_four_byte_character(tmp_path, units):
    names = ["𠀀村", *NAMES[1:]]  # U+20000: 4 bytes in GB18030, not in GBK at all
    gdf = units.assign(name=names)
    shp = write_shp(gdf, tmp_path / "g.shp", "gb18030", keep_cpg=False)
    assert "𠀀村".encode("gb18030") in shp.with_suffix(".dbf").read_bytes()
    assert zio.read_vector(shp)["name"].tolist() == names


def test_cpg_is_trusted_and_encoding_overrides(tmp_path, units):
    shp = write_shp(units, tmp_path / "c.shp", "gbk", keep_cpg=True)  # .cpg says GBK
    assert shp.with_suffix(".cpg").read_text().strip().upper() == "GBK"
    assert zio.detect_dbf_encoding(shp) == "GB18030"
    assert zio.read_vector(shp)["name"].tolist() == NAMES
    # a wrong .cpg is overridden by encoding=
    shp.with_suffix(".cpg").write_text("UTF-8")
    assert zio.read_vector(shp, encoding="gbk")["name"].tolist() == NAMES


def test_dbf_language_driver_byte_is_used(tmp_path, units):
    shp = write_shp(units, tmp_path / "l.shp", "gbk", keep_cpg=False)
    set_ldid(shp, 0x4D)  # code page 936
    assert zio.detect_dbf_encoding(shp) == "GB18030"
    assert zio.read_vector(shp)["name"].tolist() == NAMES
    set_ldid(shp, 0x03)  # says Windows-1252: trusted, so the Chinese comes out wrong
    assert zio.detect_dbf_encoding(shp) == "CP1252"
    assert zio.read_vector(shp)["name"].tolist() != NAMES


@pytest.mark.parametrize(
    ("cpg", "expected"),
    [("UTF-8", "UTF-8"), ("utf8", "UTF-8"), ("65001", "UTF-8"), ("936", "GB18030"),
     ("GB2312", "GB18030"), ("ANSI 936", "GB18030"), ("1252", "CP1252"), ("88591", "ISO-8859-1"),
     ("nonsense", None)],
)  # fmt: skip
def test_normalise_cpg(cpg, expected):
    assert zio_encodings._normalise_cpg(cpg) == expected


def test_content_detection_tolerates_cut_utf8():
    # a UTF-8 value cut mid-character by the DBF field width is still UTF-8
    cut = "太原".encode() + "市".encode()[:2]
    assert zio_encodings._encoding_from_content([b"abc", cut]) == "UTF-8"
    assert zio_encodings._encoding_from_content([b"abc", "太原市".encode("gbk")]) == "GB18030"
