"""Reading vector data as users have it (``zoning.io.read``): every format, every error."""

from __future__ import annotations

import logging
import os
import zipfile

import geopandas as gpd
import io_samples
import pandas as pd
import pyogrio
import pytest
from io_samples import ENGINES, NAMES, write_shp, zip_files
from shapely import Point

from zoning import io as zio
from zoning.errors import (
    CRSError,
    EmptyInputError,
    InputFileError,
    ZoningError,
    ZoningUsageError,
)
from zoning.io import read as zio_read


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    """Three unit squares (0.1° side) with Chinese names, in CGCS2000."""
    return io_samples.units_frame()


# ---------------------------------------------------------------- zip archives


def _shp_parts(tmp_path, units, name="units"):
    shp = write_shp(units, tmp_path / f"{name}.shp", "gbk", keep_cpg=False)
    return [shp.with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj")]


@pytest.mark.parametrize("engine", ENGINES)
def test_read_zipped_gbk_shapefile(tmp_path, units, engine):
    parts = _shp_parts(tmp_path, units)
    z = zip_files(tmp_path / "units.zip", parts, [f"data/{p.name}" for p in parts])
    out = zio.read_vector(z, engine=engine)
    assert out["name"].tolist() == NAMES
    assert out.crs.to_epsg() == 4490


def test_zip_missing_dbf_names_it(tmp_path, units):
    parts = _shp_parts(tmp_path, units)
    z = zip_files(tmp_path / "bad.zip", [p for p in parts if p.suffix != ".dbf"])
    with pytest.raises(InputFileError, match=r"missing units\.dbf \(attribute table\)"):
        zio.read_vector(z)


def test_zip_with_two_shapefiles_needs_layer(tmp_path, units):
    a = _shp_parts(tmp_path, units, "a")
    b = _shp_parts(tmp_path, units.iloc[:1], "b")
    z = zip_files(tmp_path / "two.zip", a + b)
    with pytest.raises(InputFileError, match=r"a\.shp, b\.shp"):
        zio.read_vector(z)
    assert len(zio.read_vector(z, layer="b")) == 1


def test_archive_too_large_refused_before_unpacking(tmp_path, monkeypatch, units):
    parts = _shp_parts(tmp_path, units)
    big = tmp_path / "padding.bin"
    big.write_bytes(b"\0" * 300_000)  # compresses to ~300 bytes
    z = zip_files(tmp_path / "bomb.zip", [*parts, big])
    assert z.stat().st_size < 20_000

    def boom(*args, **kwargs):
        raise AssertionError("the archive was opened for reading")

    monkeypatch.setattr(zio_read, "_read_gdal", boom)
    monkeypatch.setattr(zipfile.ZipFile, "open", boom)
    with pytest.raises(InputFileError, match=r"declares 3\d\d,\d\d\d bytes uncompressed") as info:
        zio.read_vector(z, max_archive_bytes=100_000)
    assert "100,000" in str(info.value)


def test_corruptzip_files(tmp_path):
    z = tmp_path / "broken.zip"
    z.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InputFileError, match="cannot open archive"):
        zio.read_vector(z)


# ---------------------------------------------------------------- other formats


@pytest.fixture
def gpkg_two_layers(tmp_path, units):
    path = tmp_path / "two.gpkg"
    units.to_file(path, layer="counties", engine="pyogrio")
    units.iloc[:2].to_file(path, layer="cities", engine="pyogrio", mode="a")
    return path


def test_geopackage_layers(gpkg_two_layers):
    with pytest.raises(InputFileError) as info:
        zio.read_vector(gpkg_two_layers)
    msg = str(info.value)
    assert "counties" in msg and "cities" in msg and "layer=" in msg
    assert len(zio.read_vector(gpkg_two_layers, layer="cities")) == 2
    with pytest.raises(InputFileError, match=r"no layer 'towns'.*counties"):
        zio.read_vector(gpkg_two_layers, layer="towns")


def test_file_geodatabase(tmp_path, units):
    gdb = tmp_path / "zoning.gdb"
    units = units.astype({"adcode": "int32"})  # FileGDB's default integer is 32-bit
    units.to_file(gdb, driver="OpenFileGDB", layer="counties", engine="pyogrio")
    units.iloc[:1].to_file(gdb, driver="OpenFileGDB", layer="reserves", engine="pyogrio", mode="a")
    assert gdb.is_dir()
    out = zio.read_vector(gdb, layer="counties")
    assert out["name"].tolist() == NAMES
    assert out.crs.to_epsg() == 4490
    with pytest.raises(InputFileError, match="reserves"):
        zio.read_vector(gdb)
    # zipped .gdb folder
    files = sorted(gdb.iterdir())
    z = zip_files(tmp_path / "gdb.zip", files, [f"zoning.gdb/{f.name}" for f in files])
    assert len(zio.read_vector(z, layer="reserves")) == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_geojson(tmp_path, units, engine):
    path = tmp_path / "u.geojson"
    units.to_file(path, driver="GeoJSON", engine="pyogrio")
    out = zio.read_vector(path, engine=engine)
    assert out["name"].tolist() == NAMES
    assert out.crs.to_epsg() == 4490


def test_kml_and_kmz(tmp_path, units):
    kml = tmp_path / "u.kml"
    units.to_crs("EPSG:4326").to_file(kml, driver="KML", engine="pyogrio")
    out = zio.read_vector(kml)
    assert out["Name"].tolist() == NAMES
    assert out.crs.to_epsg() == 4326
    kmz = zip_files(tmp_path / "u.kmz", [kml], ["doc.kml"])
    out = zio.read_vector(kmz)
    assert out["Name"].tolist() == NAMES
    assert out["adcode"].astype(int).tolist() == [140100, 140900, 140215]  # ExtendedData kept
    empty_kmz = zip_files(tmp_path / "e.kmz", [tmp_path / "u.kml"], ["readme.txt"])
    with pytest.raises(InputFileError, match=r"no \.kml"):
        zio.read_vector(empty_kmz)


def test_geoparquet(tmp_path, units):
    path = tmp_path / "u.parquet"
    units.to_parquet(path)
    out = zio.read_vector(path)
    assert out["name"].tolist() == NAMES
    assert out.crs.to_epsg() == 4490


# ---------------------------------------------------------------- CSV


def test_csv_chinese_lonlat_headers_in_gbk(tmp_path, caplog):
    path = tmp_path / "poi.csv"
    path.write_bytes("名称,经度,纬度\n太原站,112.58,37.85\n忻州站,112.74,38.41\n".encode("gbk"))
    with caplog.at_level(logging.WARNING, logger="zoning.io"):
        out = zio.read_vector(path)
    assert out["名称"].tolist() == ["太原站", "忻州站"]
    assert out.crs.to_epsg() == 4490
    assert "assuming CGCS2000 (EPSG:4490)" in caplog.text
    assert out.geometry.iloc[0].equals(Point(112.58, 37.85))


def test_csv_lng_lat_with_declared_crs(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id,LNG,Lat\n1,112.58,37.85\n")
    out = zio.read_vector(path, crs="EPSG:4326")
    assert out.crs.to_epsg() == 4326
    assert list(out.columns) == ["id", "geometry"]


def test_csv_projected_xy_needs_crs(tmp_path):
    path = tmp_path / "xy.csv"
    path.write_text("id,x,y\n1,530000,4190000\n2,560000,4200000\n")
    with pytest.raises(CRSError, match="no CRS"):
        zio.read_vector(path)
    out = zio.read_vector(path, crs="EPSG:4547")
    assert out.crs.to_epsg() == 4547
    # and declaring degrees for metres is caught
    with pytest.raises(CRSError, match="projected metres"):
        zio.read_vector(path, crs="EPSG:4490")


def test_csv_swapped_columns_caught(tmp_path):
    path = tmp_path / "swap.csv"
    path.write_text("lon,lat\n37.85,112.58\n38.41,112.74\n")  # lat values in the lon column
    with pytest.raises(CRSError, match="swapped"):
        zio.read_vector(path, crs="EPSG:4490")


def test_csv_wkt(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text('name,wkt\na,"POLYGON ((112 37, 112.1 37, 112.1 37.1, 112 37))"\n')
    with pytest.raises(CRSError, match="no CRS"):  # WKT: no assumption is made
        zio.read_vector(path)
    out = zio.read_vector(path, crs="EPSG:4490")
    assert out.geometry.iloc[0].geom_type == "Polygon"
    assert "wkt" not in out.columns
    # a crs column holding one value declares it
    path2 = tmp_path / "w2.csv"
    path2.write_text('geometry,crs\n"POINT (112 37)",EPSG:4326\n"POINT (113 38)",EPSG:4326\n')
    out = zio.read_vector(path2)
    assert out.crs.to_epsg() == 4326 and "crs" not in out.columns


def test_csv_errors(tmp_path):
    nogeom = tmp_path / "n.csv"
    nogeom.write_text("a,b\n1,2\n")
    with pytest.raises(InputFileError, match="no geometry columns"):
        zio.read_vector(nogeom)
    badwkt = tmp_path / "b.csv"
    badwkt.write_text('wkt\n"POINT (1 2)"\n"POLYGON ((oops"\n')
    with pytest.raises(InputFileError, match="file lines 3"):
        zio.read_vector(badwkt, crs="EPSG:4490")
    badnum = tmp_path / "c.csv"
    badnum.write_text("lon,lat\n112,37\n,38\n")
    with pytest.raises(InputFileError, match="file lines 3"):
        zio.read_vector(badnum)
    with pytest.raises(InputFileError, match="no column 'east'"):
        zio.read_vector(badnum, lon_col="east", lat_col="lat")


# ---------------------------------------------------------------- read errors


def test_missing_file(tmp_path):
    with pytest.raises(
        InputFileError, match=r"file not found: .*nope\.gpkg; expected .*fix: check"
    ):
        zio.read_vector(tmp_path / "nope.gpkg")


@pytest.mark.parametrize("engine", ENGINES)
def test_random_bytes_shapefile(tmp_path, engine):
    for s in (".shp", ".shx", ".dbf"):
        (tmp_path / f"junk{s}").write_bytes(os.urandom(400))
    with pytest.raises(InputFileError, match=r"cannot read .*junk\.shp") as info:
        zio.read_vector(tmp_path / "junk.shp", engine=engine)
    assert isinstance(info.value, ZoningError)


@pytest.mark.parametrize("engine", ENGINES)
def test_truncated_geopackage(tmp_path, units, engine):
    good = tmp_path / "g.gpkg"
    units.to_file(good, engine="pyogrio")
    bad = tmp_path / "t.gpkg"
    bad.write_bytes(good.read_bytes()[:5000])
    with pytest.raises(InputFileError, match=r"cannot read .*t\.gpkg.*truncated"):
        zio.read_vector(bad, engine=engine)


def test_shapefile_missing_shx(tmp_path, units):
    shp = write_shp(units, tmp_path / "s.shp", "UTF-8", keep_cpg=True)
    shp.with_suffix(".shx").unlink()
    with pytest.raises(InputFileError, match=r"missing s\.shx \(shape index\)"):
        zio.read_vector(shp)


def test_no_crs_is_an_error_unless_declared(tmp_path, units):
    shp = write_shp(units, tmp_path / "n.shp", "UTF-8", keep_cpg=True)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match='crs = "EPSG:4490"'):
        zio.read_vector(shp)
    assert zio.read_vector(shp, crs="EPSG:4490").crs.to_epsg() == 4490


def test_empty_layer(tmp_path, units):
    path = tmp_path / "e.gpkg"
    units.iloc[:0].to_file(path, engine="pyogrio")
    with pytest.raises(EmptyInputError, match="holds no features"):
        zio.read_vector(path)
    out = zio.read_vector(path, allow_empty=True)
    assert len(out) == 0 and out.crs.to_epsg() == 4490


def test_unknown_engine(tmp_path):
    with pytest.raises(ZoningUsageError, match="engine"):
        zio.read_vector(tmp_path / "x.shp", engine="gdal")  # type: ignore[arg-type]


def test_attribute_only_layers(tmp_path, units):
    path = tmp_path / "attr.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"code": [1, 2]}), path, layer="codes")
    with pytest.raises(InputFileError, match=r"no geometry column \(found columns: code\)"):
        zio.read_vector(path)
    # next to one spatial layer, the table does not count as a choice to make
    units.to_file(path, layer="units", engine="pyogrio", mode="a")
    assert zio.read_vector(path)["name"].tolist() == NAMES


def test_check_crs_false_returns_data_as_found(tmp_path, units):
    shp = write_shp(units, tmp_path / "n.shp", "UTF-8", keep_cpg=True)
    shp.with_suffix(".prj").unlink()
    out = zio.read_vector(shp, check_crs=False)  # the caller validates the CRS itself
    assert out.crs is None and out["name"].tolist() == NAMES
    metres = tmp_path / "m.csv"
    metres.write_text("x,y\n530000,4190000\n")
    assert zio.read_vector(metres, crs="EPSG:4490", check_crs=False).crs.to_epsg() == 4490


def test_tests_cannot_reach_the_network():
    """The session guard in conftest.py refuses connections beyond loopback."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        with pytest.raises(OSError, match="tests must run offline"):
            s.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed
