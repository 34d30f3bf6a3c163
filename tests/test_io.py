"""Tests for zoning.io: reading every input format, errors, atomic deterministic writing."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely import Point, box

from zoning import io as zio
from zoning.io import encodings as zio_encodings
from zoning.io import read as zio_read
from zoning.errors import (
    CRSError,
    EmptyInputError,
    InputFileError,
    OutputExistsError,
    ZoningError,
    ZoningUsageError,
)

NAMES = ["太原市", "忻州市", "云州区"]
ENGINES = ["pyogrio", "fiona"]


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    """Three unit squares (0.1° side) with Chinese names, in CGCS2000."""
    return gpd.GeoDataFrame(
        {"name": NAMES, "adcode": [140100, 140900, 140215], "share": [0.25, 0.5, 0.125]},
        geometry=[
            box(112.5, 37.8, 112.6, 37.9),
            box(112.7, 38.4, 112.8, 38.5),
            box(113.5, 40, 113.6, 40.1),
        ],
        crs="EPSG:4490",
    )


def _write_shp(gdf, path: Path, encoding: str, *, keep_cpg: bool) -> Path:
    gdf.to_file(path, encoding=encoding, engine="pyogrio")
    if not keep_cpg:
        path.with_suffix(".cpg").unlink()
    return path


def _zip(path: Path, files: list[Path], arcnames: list[str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, f in enumerate(files):
            zf.write(f, arcnames[i] if arcnames else f.name)
    return path


def _set_ldid(shp: Path, ldid: int) -> None:
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = ldid
    dbf.write_bytes(bytes(data))


# ---------------------------------------------------------------- shapefiles and encodings


@pytest.mark.parametrize("engine", ENGINES)
def test_read_shapefile_both_engines(tmp_path, units, engine):
    shp = _write_shp(units, tmp_path / "units.shp", "UTF-8", keep_cpg=True)
    out = zio.read_vector(shp, engine=engine)
    assert out["name"].tolist() == NAMES
    assert out["adcode"].tolist() == [140100, 140900, 140215]
    assert out.crs.to_epsg() == 4490
    # shapefile rings are stored clockwise: compare normalised geometries
    got, want = shapely.normalize(out.geometry.values), shapely.normalize(units.geometry.values)
    assert shapely.equals_exact(got, want, tolerance=1e-12).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_gbk_shapefile_without_cpg_reads_chinese(tmp_path, units, engine):
    shp = _write_shp(units, tmp_path / "gbk.shp", "gbk", keep_cpg=False)
    raw = shp.with_suffix(".dbf").read_bytes()
    assert "太原市".encode("gbk") in raw  # really GBK on disk
    assert not shp.with_suffix(".cpg").exists()
    assert zio.detect_dbf_encoding(shp) == "GB18030"
    assert zio.read_vector(shp, engine=engine)["name"].tolist() == NAMES
    # GDAL alone (no detection) gets it wrong: the test is not trivially passing
    assert pyogrio.read_dataframe(shp)["name"].tolist() != NAMES


def test_utf8_shapefile_with_and_without_cpg(tmp_path, units):
    shp = _write_shp(units, tmp_path / "u.shp", "UTF-8", keep_cpg=True)
    assert zio.detect_dbf_encoding(shp) == "UTF-8"
    assert zio.read_vector(shp)["name"].tolist() == NAMES
    shp.with_suffix(".cpg").unlink()
    assert zio.detect_dbf_encoding(shp) == "UTF-8"  # decided by content
    assert zio.read_vector(shp)["name"].tolist() == NAMES


def test_gb18030_four_byte_character(tmp_path, units):
    names = ["𠀀村", *NAMES[1:]]  # U+20000: 4 bytes in GB18030, not in GBK at all
    gdf = units.assign(name=names)
    shp = _write_shp(gdf, tmp_path / "g.shp", "gb18030", keep_cpg=False)
    assert "𠀀村".encode("gb18030") in shp.with_suffix(".dbf").read_bytes()
    assert zio.read_vector(shp)["name"].tolist() == names


def test_cpg_is_trusted_and_encoding_overrides(tmp_path, units):
    shp = _write_shp(units, tmp_path / "c.shp", "gbk", keep_cpg=True)  # .cpg says GBK
    assert shp.with_suffix(".cpg").read_text().strip().upper() == "GBK"
    assert zio.detect_dbf_encoding(shp) == "GB18030"
    assert zio.read_vector(shp)["name"].tolist() == NAMES
    # a wrong .cpg is overridden by encoding=
    shp.with_suffix(".cpg").write_text("UTF-8")
    assert zio.read_vector(shp, encoding="gbk")["name"].tolist() == NAMES


def test_dbf_language_driver_byte_is_used(tmp_path, units):
    shp = _write_shp(units, tmp_path / "l.shp", "gbk", keep_cpg=False)
    _set_ldid(shp, 0x4D)  # code page 936
    assert zio.detect_dbf_encoding(shp) == "GB18030"
    assert zio.read_vector(shp)["name"].tolist() == NAMES
    _set_ldid(shp, 0x03)  # says Windows-1252: trusted, so the Chinese comes out wrong
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


# ---------------------------------------------------------------- zip archives


def _shp_parts(tmp_path, units, name="units"):
    shp = _write_shp(units, tmp_path / f"{name}.shp", "gbk", keep_cpg=False)
    return [shp.with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj")]


@pytest.mark.parametrize("engine", ENGINES)
def test_read_zipped_gbk_shapefile(tmp_path, units, engine):
    parts = _shp_parts(tmp_path, units)
    z = _zip(tmp_path / "units.zip", parts, [f"data/{p.name}" for p in parts])
    out = zio.read_vector(z, engine=engine)
    assert out["name"].tolist() == NAMES
    assert out.crs.to_epsg() == 4490


def test_zip_missing_dbf_names_it(tmp_path, units):
    parts = _shp_parts(tmp_path, units)
    z = _zip(tmp_path / "bad.zip", [p for p in parts if p.suffix != ".dbf"])
    with pytest.raises(InputFileError, match=r"missing units\.dbf \(attribute table\)"):
        zio.read_vector(z)


def test_zip_with_two_shapefiles_needs_layer(tmp_path, units):
    a = _shp_parts(tmp_path, units, "a")
    b = _shp_parts(tmp_path, units.iloc[:1], "b")
    z = _zip(tmp_path / "two.zip", a + b)
    with pytest.raises(InputFileError, match=r"a\.shp, b\.shp"):
        zio.read_vector(z)
    assert len(zio.read_vector(z, layer="b")) == 1


def test_archive_too_large_refused_before_unpacking(tmp_path, monkeypatch, units):
    parts = _shp_parts(tmp_path, units)
    big = tmp_path / "padding.bin"
    big.write_bytes(b"\0" * 300_000)  # compresses to ~300 bytes
    z = _zip(tmp_path / "bomb.zip", [*parts, big])
    assert z.stat().st_size < 20_000

    def boom(*args, **kwargs):
        raise AssertionError("the archive was opened for reading")

    monkeypatch.setattr(zio_read, "_read_gdal", boom)
    monkeypatch.setattr(zipfile.ZipFile, "open", boom)
    with pytest.raises(InputFileError, match=r"declares 3\d\d,\d\d\d bytes uncompressed") as info:
        zio.read_vector(z, max_archive_bytes=100_000)
    assert "100,000" in str(info.value)


def test_corrupt_zip(tmp_path):
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
    z = _zip(tmp_path / "gdb.zip", files, [f"zoning.gdb/{f.name}" for f in files])
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
    kmz = _zip(tmp_path / "u.kmz", [kml], ["doc.kml"])
    out = zio.read_vector(kmz)
    assert out["Name"].tolist() == NAMES
    assert out["adcode"].astype(int).tolist() == [140100, 140900, 140215]  # ExtendedData kept
    empty_kmz = _zip(tmp_path / "e.kmz", [tmp_path / "u.kml"], ["readme.txt"])
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
    shp = _write_shp(units, tmp_path / "s.shp", "UTF-8", keep_cpg=True)
    shp.with_suffix(".shx").unlink()
    with pytest.raises(InputFileError, match=r"missing s\.shx \(shape index\)"):
        zio.read_vector(shp)


def test_no_crs_is_an_error_unless_declared(tmp_path, units):
    shp = _write_shp(units, tmp_path / "n.shp", "UTF-8", keep_cpg=True)
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


def test_atomic_write_text_and_bytes(tmp_path, monkeypatch):
    path = zio.atomic_write_text(tmp_path / "sub" / "r.txt", "山西\nline2\n")
    assert path.read_bytes() == "山西\nline2\n".encode()
    with pytest.raises(OutputExistsError, match=r"r\.txt"):
        zio.atomic_write_text(path, "other")
    zio.atomic_write_bytes(path, b"\x00\x01", overwrite=True)
    assert path.read_bytes() == b"\x00\x01"

    def fail_replace(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(OSError, match="rename failed"):
        zio.atomic_write_bytes(path, b"new", overwrite=True)
    assert path.read_bytes() == b"\x00\x01"
    assert [p.name for p in path.parent.iterdir()] == ["r.txt"]


def test_atomic_directory_success_and_overwrite(tmp_path):
    out = tmp_path / "run"
    with zio.atomic_directory(out) as tmp:
        assert tmp.parent == tmp_path and tmp != out and tmp.is_dir()
        assert not out.exists()
        (tmp / "a.txt").write_text("1")
    assert (out / "a.txt").read_text() == "1"
    with zio.atomic_directory(out, overwrite=True) as tmp:
        (tmp / "b.txt").write_text("2")
    assert sorted(p.name for p in out.iterdir()) == ["b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_atomic_directory_refuses_before_work(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    ran = []
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        with zio.atomic_directory(out):
            ran.append(True)
    assert ran == []


def test_atomic_directory_failure_keeps_old(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="analysis failed"):
        with zio.atomic_directory(out, overwrite=True) as tmp:
            (tmp / "partial.txt").write_text("x")
            raise RuntimeError("analysis failed")
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_sha256_file_and_directory(tmp_path):
    f = tmp_path / "abc.txt"
    f.write_bytes(b"abc")
    # FIPS 180-2 test vector for "abc"
    assert zio.sha256_file(f) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    d1, d2 = tmp_path / "a.gdb", tmp_path / "b.gdb"
    for d, order in ((d1, ["x", "y"]), (d2, ["y", "x"])):  # created in different orders
        d.mkdir()
        for n in order:
            (d / n).write_text(n)
    assert zio.sha256_file(d1) == zio.sha256_file(d2)
    (d2 / "y").write_text("changed")
    assert zio.sha256_file(d1) != zio.sha256_file(d2)
    with pytest.raises(InputFileError):
        zio.sha256_file(tmp_path / "missing")


def test_csv_output_is_wkt_text(tmp_path, units):
    path = zio.write_vector(units, tmp_path / "o.csv")
    df = pd.read_csv(path)
    assert df.columns.tolist() == ["name", "adcode", "share", "geometry"]
    assert (
        df["geometry"].iloc[0]
        == "POLYGON ((112.6 37.8, 112.6 37.9, 112.5 37.9, 112.5 37.8, 112.6 37.8))"
    )


def test_attribute_only_layers(tmp_path, units):
    path = tmp_path / "attr.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"code": [1, 2]}), path, layer="codes")
    with pytest.raises(InputFileError, match=r"no geometry column \(found columns: code\)"):
        zio.read_vector(path)
    # next to one spatial layer, the table does not count as a choice to make
    units.to_file(path, layer="units", engine="pyogrio", mode="a")
    assert zio.read_vector(path)["name"].tolist() == NAMES


def test_check_crs_false_returns_data_as_found(tmp_path, units):
    shp = _write_shp(units, tmp_path / "n.shp", "UTF-8", keep_cpg=True)
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
