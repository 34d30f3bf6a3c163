"""Reading vector data as users have it.

Reading (:func:`read_vector`) accepts what Chinese planning data arrives as: shapefiles (also
zipped, and with GBK / GB18030 attribute tables that have no ``.cpg``), GeoPackages with several
layers, File Geodatabases, GeoJSON, KML / KMZ, GeoParquet and CSV tables with lon/lat or WKT
columns. Every failure is a :class:`~zoning.errors.ZoningError` that says what was found, what
was expected and the fix — never a bare GDAL traceback.
"""

from __future__ import annotations

import logging
import os
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from zoning.errors import EmptyInputError, InputFileError, ZoningError, ZoningUsageError
from zoning.io.encodings import detect_dbf_encoding, detect_encoding

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = ["Engine", "read_vector"]

log = logging.getLogger("zoning.io")  # the name users filter on (one logger for all reading)

Engine = Literal["pyogrio", "fiona"]

_LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "x")
_LAT_NAMES = ("lat", "latitude", "纬度", "y")
_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape")
_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
# Zip-bomb guard, from the declared sizes (before unpacking): vector data (shapefiles, GPKG)
# compresses 2-20:1; a large archive declaring far more is refused.
_BOMB_MIN_BYTES = 100_000_000
_BOMB_MAX_RATIO = 200
_PARQUET_SUFFIXES = {".parquet", ".geoparquet"}
_EXPECTED_FORMATS = (
    "a shapefile (.shp, or a .zip holding one), GeoPackage (.gpkg), File Geodatabase (.gdb "
    "folder), GeoJSON (.geojson/.json), KML/KMZ, GeoParquet (.parquet) or CSV with lon/lat or "
    "WKT columns"
)


def _summarise(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:300] + "…") if len(text) > 300 else text or type(exc).__name__


def _unreadable(path: Path | str, exc: BaseException, what: str = "") -> InputFileError:
    return InputFileError(
        f"cannot read {path}{what}: {_summarise(exc)}; expected {_EXPECTED_FORMATS}; fix: check "
        "that the file is complete (not truncated by a download or copy) and opens in QGIS, or "
        "re-export it"
    )


def _check_shapefile_parts(shp_name: str, names: list[str], where: str) -> None:
    stem = shp_name[: -len(".shp")]
    lower = {n.lower() for n in names}
    missing = [s for s in (".shx", ".dbf") if (stem + s).lower() not in lower]
    if missing:
        found = sorted(n for n in names if n.lower().startswith(stem.lower() + "."))
        role = {".shx": "shape index", ".dbf": "attribute table"}
        parts = ", ".join(f"{stem}{s} ({role[s]})" for s in missing)
        raise InputFileError(
            f"shapefile {shp_name} in {where} is missing {parts}; found {', '.join(found)}; "
            f"expected at least {stem}.shp, {stem}.shx and {stem}.dbf (plus .prj for the CRS "
            "and .cpg for the encoding); fix: copy or zip all the parts of the shapefile together"
        )


def _open_zip(path: Path, max_archive_bytes: int) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(path)
    # a damaged central directory also raises NotImplementedError (a garbled version or
    # method), UnicodeDecodeError (a garbled UTF-8 name), ValueError, struct.error, EOFError
    except Exception as exc:
        raise InputFileError(
            f"cannot open archive {path}: {_summarise(exc)}; expected a valid .zip/.kmz; fix: "
            "download or re-create the archive"
        ) from exc
    total = sum(i.file_size for i in zf.infolist())
    packed = sum(i.compress_size for i in zf.infolist())
    ratio = total / max(packed, 1)
    if total > max_archive_bytes:
        zf.close()
        raise InputFileError(
            f"archive {path} declares {total:,} bytes uncompressed, more than the limit of "
            f"{max_archive_bytes:,} bytes; nothing was unpacked; expected an archive within "
            "the limit; fix: unpack it yourself and read the data inside, or raise "
            "max_archive_bytes if you trust it"
        )
    if total > _BOMB_MIN_BYTES and ratio > _BOMB_MAX_RATIO:
        zf.close()
        raise InputFileError(
            f"archive {path} declares {total:,} bytes uncompressed from {packed:,} bytes "
            f"(ratio {ratio:,.0f}:1), the signature of a zip bomb; nothing was unpacked; "
            f"expected real geodata, which compresses less than {_BOMB_MAX_RATIO}:1; fix: "
            "unpack it yourself and check what is inside"
        )
    return zf


def _verify_members(zf: zipfile.ZipFile, path: Path, names: list[str]) -> None:
    """Unpack ``names`` to nowhere so their CRC-32 is checked (GDAL's /vsizip does not check).

    A bit flipped in transit would otherwise give silently wrong attributes or coordinates.
    """
    for name in names:
        try:
            with zf.open(name) as fh:
                while fh.read(1 << 20):
                    pass
        # BadZipFile (CRC), zlib.error, EOFError, NotImplementedError (unknown method),
        # RuntimeError (encrypted member), ValueError …: all mean "cannot be unpacked"
        except Exception as exc:
            raise InputFileError(
                f"archive {path} is damaged or encrypted: {name} cannot be unpacked ({_summarise(exc)}); "
                "expected a complete .zip whose members pass their checksums; fix: download or "
                "re-create the archive"
            ) from exc


def _resolve_zip(
    path: Path, layer: str | None, encoding: str | None, max_archive_bytes: int
) -> tuple[str, str | None, str | None]:
    """GDAL source, layer and encoding for a .zip holding a shapefile (or one other dataset)."""
    with _open_zip(path, max_archive_bytes) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/") and "__MACOSX" not in n]
        shps = [n for n in names if n.lower().endswith(".shp")]
        if layer is not None and len(shps) > 1:
            chosen = [n for n in shps if Path(n).stem == layer]
            if chosen:
                shps, layer = chosen, None
        if len(shps) > 1:
            raise InputFileError(
                f"archive {path} holds {len(shps)} shapefiles ({', '.join(sorted(shps))}); "
                "expected one; fix: pass layer=<file name without .shp> to pick one"
            )
        if shps:
            shp = shps[0]
            _check_shapefile_parts(shp, names, str(path))
            _verify_members(
                zf, path, [n for n in names if n.lower().startswith(shp[:-4].lower() + ".")]
            )
            if encoding is None:
                stem = shp[:-4].lower()
                by_lower = {n.lower(): n for n in names}
                cpg_name = by_lower.get(stem + ".cpg")
                cpg = zf.read(cpg_name).decode("ascii", "replace") if cpg_name else None
                try:
                    with zf.open(by_lower[stem + ".dbf"]) as fh:
                        encoding = detect_encoding(cpg, fh, f"{path}!{shp}")
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                    raise InputFileError(
                        f"archive {path} is damaged: cannot unpack {stem}.dbf "
                        f"({_summarise(exc)}); expected a complete .zip; fix: download or "
                        "re-create the archive"
                    ) from exc
            return f"/vsizip/{path.resolve()}/{shp}", None, encoding
        gdbs = sorted({n.split(".gdb/")[0] + ".gdb" for n in names if ".gdb/" in n.lower()})
        others = [
            n for n in names if Path(n).suffix.lower() in {".gpkg", ".geojson", ".json", ".kml"}
        ]
        inner = gdbs + others
        if len(inner) == 1:
            _verify_members(zf, path, [n for n in names if n.startswith(inner[0])])
            from zoning.io.sources import check_zip_member

            check_zip_member(zf, inner[0], path)  # a GeoJSON linking its CRS to a URL
        if len(inner) != 1:
            raise InputFileError(
                f"archive {path} holds {len(inner) or 'no'} readable datasets "
                f"({', '.join(inner) or ', '.join(names[:10])}); expected one shapefile, "
                "GeoPackage, .gdb, GeoJSON or KML; fix: unpack it and read the file you want"
            )
        return f"/vsizip/{path.resolve()}/{inner[0]}", layer, encoding


def _resolve_kmz(path: Path, max_archive_bytes: int) -> str:
    with _open_zip(path, max_archive_bytes) as zf:
        kmls = [n for n in zf.namelist() if n.lower().endswith(".kml")]
        if not kmls:
            raise InputFileError(
                f"KMZ {path} holds no .kml document; expected doc.kml inside; fix: re-export "
                "the KMZ"
            )
        kml = "doc.kml" if "doc.kml" in kmls else sorted(kmls)[0]
        _verify_members(zf, path, [kml])
    return f"/vsizip/{path.resolve()}/{kml}"


def _pick_layer(source: str, layer: str | None, shown: Path) -> str | None:
    import pyogrio

    try:
        layers = pyogrio.list_layers(source)
    except Exception as exc:
        raise _unreadable(shown, exc) from exc
    names = [str(row[0]) for row in layers]
    spatial = [str(row[0]) for row in layers if row[1] is not None]
    if layer is not None:
        if layer not in names:
            raise InputFileError(
                f"{shown} has no layer {layer!r}; found layers: {', '.join(names) or 'none'}; "
                "fix: pass one of these names as layer"
            )
        return layer
    if len(spatial) == 1:
        return spatial[0]
    if len(spatial) > 1:
        raise InputFileError(
            f"{shown} holds {len(spatial)} layers ({', '.join(spatial)}) and no layer was "
            "given; expected one layer name; fix: pass layer=<name> (catalogue: layer = "
            '"<name>")'
        )
    return names[0] if names else None


def _read_gdal(
    source: str, layer: str | None, encoding: str | None, engine: Engine, shown: Path
) -> gpd.GeoDataFrame:
    import geopandas as gpd

    kwargs: dict[str, Any] = {"engine": engine}
    if layer is not None:
        kwargs["layer"] = layer
    if encoding is not None:
        kwargs["encoding"] = encoding
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*has GPKG application_id.*")
            return gpd.read_file(source, **kwargs)
    except ZoningError:
        raise
    except Exception as exc:
        raise _unreadable(shown, exc) from exc


def _find_column(columns: list[str], wanted: str | None, names: tuple[str, ...]) -> str | None:
    if wanted is not None:
        return wanted if wanted in columns else None
    by_lower = {c.strip().lower(): c for c in columns}
    for n in names:
        if n in by_lower:
            return by_lower[n]
    return None


def _read_csv_frame(path: Path, encoding: str | None) -> pd.DataFrame:
    import pandas as pd

    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    tries = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    last: Exception | None = None
    for enc in tries:
        try:
            df = pd.read_csv(path, sep=sep, encoding=enc)
        except UnicodeDecodeError as exc:
            last = exc
            continue
        except (ValueError, OSError) as exc:
            raise _unreadable(path, exc) from exc
        if enc == "gb18030":
            log.info("%s: not UTF-8; read as GB18030", path)
        return df
    raise _unreadable(path, last or ValueError("unknown encoding"), " (text encoding)")


def _refuse_degrees_out_of_range(path: Path, lon: str, lat: str, x: Any, y: Any) -> None:
    """Refuse degree columns (lon/lat, 经度/纬度 — not x/y) with a value beyond ±180/±90.

    Without a CRS that is a bad row (or metres under a degrees name), not a missing CRS.
    """
    import numpy as np

    from zoning.hints import option

    if lon.strip().lower() == "x" or lat.strip().lower() == "y":
        return  # x/y may be projected metres: the missing CRS is the problem
    bad = np.flatnonzero((np.abs(x) > 180) | (np.abs(y) > 90))
    if not len(bad) or ((np.abs(x) <= 90).all() and (np.abs(y) <= 180).all()):
        return  # in range, or lat/lon swapped: the swap check says so
    first = bad[0]
    rows = ", ".join(str(i + 2) for i in bad[:10])  # +2: 1-based, after the header
    raise InputFileError(
        f"{path}: {len(bad)} row(s) have {lon}/{lat} out of range (file lines {rows}; e.g. "
        f"{lon}={x[first]:g}, {lat}={y[first]:g}); expected longitude -180…180 and latitude "
        f"-90…90 degrees; fix: correct those rows, or if the columns hold projected metres, "
        f"pass {option('crs')} with their CRS (e.g. EPSG:4547)"
    )


def _read_csv(
    path: Path,
    *,
    encoding: str | None,
    crs: Any,
    lon_col: str | None,
    lat_col: str | None,
    wkt_col: str | None,
) -> tuple[gpd.GeoDataFrame, Any]:
    """Read a CSV table; return the frame and the CRS to declare (may be None)."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    df = _read_csv_frame(path, encoding)
    cols = [str(c) for c in df.columns]
    for given, label in ((lon_col, "lon_col"), (lat_col, "lat_col"), (wkt_col, "wkt_col")):
        if given is not None and given not in cols:
            raise InputFileError(
                f"{path} has no column {given!r} (given as {label}); found columns: "
                f"{', '.join(cols)}; fix: pass the right column name"
            )
    wkt = _find_column(cols, wkt_col, _WKT_NAMES) if lon_col is None else None
    lon = _find_column(cols, lon_col, _LON_NAMES) if wkt is None else None
    lat = _find_column(cols, lat_col, _LAT_NAMES) if wkt is None else None
    declared = crs
    if declared is None and "crs" in df.columns:
        values = df["crs"].dropna().astype(str).unique()
        if len(values) == 1:
            declared = values[0]
            df = df.drop(columns="crs")
    if wkt is not None:
        text = df[wkt].astype("string")
        geoms = shapely.from_wkt(text.fillna("").to_numpy(dtype=object), on_invalid="ignore")
        bad = np.flatnonzero(pd.isna(geoms) & text.fillna("").str.strip().ne("").to_numpy())
        if len(bad):
            rows = ", ".join(str(i + 2) for i in bad[:10])  # +2: 1-based, after the header
            raise InputFileError(
                f"{path}: column {wkt!r} holds text that is not WKT on {len(bad)} row(s) "
                f"(file lines {rows}); expected WKT such as 'POLYGON ((112 37, …))'; fix: "
                "correct those rows or pass wkt_col=<the WKT column>"
            )
        gdf = gpd.GeoDataFrame(df.drop(columns=wkt), geometry=list(geoms))
        return gdf, declared
    if lon is None or lat is None:
        raise InputFileError(
            f"{path} has no geometry columns: found {', '.join(cols)}; expected lon/lat columns "
            f"(one of {', '.join(_LON_NAMES)} and one of {', '.join(_LAT_NAMES)}) or a WKT column "
            f"({', '.join(_WKT_NAMES)}); fix: pass lon_col=, lat_col= or wkt_col="
        )
    x = pd.to_numeric(df[lon], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(df[lat], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(x) | ~np.isfinite(y))
    if len(bad):
        rows = ", ".join(str(i + 2) for i in bad[:10])
        raise InputFileError(
            f"{path}: {len(bad)} row(s) have no numeric {lon}/{lat} (file lines {rows}); "
            "expected numbers on every row; fix: fill or delete those rows"
        )
    gdf = gpd.GeoDataFrame(df.drop(columns=[lon, lat]), geometry=gpd.points_from_xy(x, y))
    in_range = len(x) > 0 and bool((np.abs(x) <= 180).all() and (np.abs(y) <= 90).all())
    if declared is None and not in_range:
        _refuse_degrees_out_of_range(path, lon, lat, x, y)
    if declared is None and in_range:
        from zoning.hints import option

        log.warning(
            "%s: CSV columns %s/%s look like lon/lat degrees and no CRS was given; assuming "
            "CGCS2000 (EPSG:4490). Pass %s if they are WGS84 or GCJ-02 (Amap/Tencent).",
            path,
            lon,
            lat,
            option("crs"),
        )
        declared = "EPSG:4490"
    return gdf, declared


def _read_parquet(path: Path) -> gpd.GeoDataFrame:
    import geopandas as gpd

    try:
        return gpd.read_parquet(path)
    except Exception as exc:
        raise _unreadable(path, exc) from exc


def _geodataframe_type() -> type[gpd.GeoDataFrame]:
    import geopandas as gpd

    gdf_type: type[gpd.GeoDataFrame] = gpd.GeoDataFrame
    return gdf_type


def _is_empty(gdf: gpd.GeoDataFrame) -> bool:
    if len(gdf) == 0:
        return True
    if "geometry" not in gdf or not hasattr(gdf, "geometry"):
        return False
    geoms = gdf.geometry
    return bool((geoms.isna() | geoms.is_empty).all())


def read_vector(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    encoding: str | None = None,
    crs: Any = None,
    engine: Engine = "pyogrio",
    lon_col: str | None = None,
    lat_col: str | None = None,
    wkt_col: str | None = None,
    allow_empty: bool = False,
    max_archive_bytes: int = 2_000_000_000,
    check_crs: bool = True,
) -> gpd.GeoDataFrame:
    """Read a vector layer from the formats planning data arrives in.

    Parameters
    ----------
    path : path-like
        ``.shp`` (its ``.shx`` and ``.dbf`` must be beside it), ``.zip`` holding one shapefile
        (or one .gdb / .gpkg / .geojson / .kml), ``.gpkg``, ``.gdb`` folder, ``.geojson`` /
        ``.json``, ``.kml``, ``.kmz``, ``.parquet``, ``.csv`` (other GDAL formats are tried).
    layer : str, optional
        Layer to read from a multi-layer source (GeoPackage, .gdb, KML). Required when the
        source has several spatial layers. For a zip of several shapefiles, the file stem.
    encoding : str, optional
        Text encoding of shapefile attributes / CSV text. By default detected: for shapefiles
        by :func:`detect_dbf_encoding` (GBK/GB18030 tables without ``.cpg`` read right), for
        CSV UTF-8 then GB18030.
    crs : CRS-like, optional
        Declared CRS, used only when the data has none (e.g. a shapefile without ``.prj``).
        See :func:`zoning.declared_crs.ensure_crs` for the checks that catch wrong declarations.
    engine : {"pyogrio", "fiona"}
        The GDAL binding used for GDAL formats.
    lon_col, lat_col, wkt_col : str, optional
        CSV geometry columns. By default detected by name (lon/lng/longitude/经度/x,
        lat/latitude/纬度/y, wkt/geometry/geom). A CSV gets its CRS from ``crs``, else from a
        ``crs`` column holding one value, else EPSG:4490 is assumed (and logged) for lon/lat
        columns whose values are in degree range; otherwise it has none and fails.
    allow_empty : bool, default False
        Return an empty frame instead of raising when the layer has no features.
    max_archive_bytes : int
        Largest total declared uncompressed size of a .zip / .kmz; checked before unpacking.
    check_crs : bool, default True
        Apply :func:`zoning.declared_crs.ensure_crs`. ``False`` returns the frame as read (with
        ``crs`` set only when it has none), for validators that collect every problem first.

    Returns
    -------
    GeoDataFrame
        With a CRS.

    Raises
    ------
    InputFileError
        Missing, unreadable or corrupt file; shapefile parts missing; several layers and none
        chosen; archive too large; CSV without geometry columns.
    CRSError
        No CRS in the data and none declared, or a declaration that cannot be right.
    EmptyInputError
        No features (unless ``allow_empty``).
    ZoningUsageError
        Unknown ``engine``.
    """
    from zoning.declared_crs import ensure_crs
    from zoning.io.sources import check_source, is_utf8_name, stay_offline, utf8_alias

    if engine not in ("pyogrio", "fiona"):
        raise ZoningUsageError(
            f"unknown engine {engine!r}; expected 'pyogrio' or 'fiona'; fix: pass one of them"
        )
    if not is_utf8_name(path):  # a GBK file name: GDAL cannot be given it, an alias can
        with utf8_alias(Path(path)) as alias:
            return read_vector(
                alias,
                layer=layer,
                encoding=encoding,
                crs=crs,
                engine=engine,
                lon_col=lon_col,
                lat_col=lat_col,
                wkt_col=wkt_col,
                allow_empty=allow_empty,
                max_archive_bytes=max_archive_bytes,
                check_crs=check_crs,
            )
    check_source(path)  # URLs, /vsi paths, FIFOs, devices, folders, remote CRS/VRT sources
    stay_offline()
    p = Path(path)
    if not p.exists():
        raise InputFileError(
            f"file not found: {p}; expected {_EXPECTED_FORMATS}; fix: check the path (relative "
            "paths in a catalogue are resolved against the catalogue's folder)"
        )
    suffix = p.suffix.lower()
    declared = crs
    if suffix in _CSV_SUFFIXES:
        gdf, declared = _read_csv(
            p, encoding=encoding, crs=crs, lon_col=lon_col, lat_col=lat_col, wkt_col=wkt_col
        )
    elif suffix in _PARQUET_SUFFIXES:
        gdf = _read_parquet(p)
    else:
        source, enc = str(p), encoding
        if suffix == ".zip":
            source, layer, enc = _resolve_zip(p, layer, encoding, max_archive_bytes)
        elif suffix == ".kmz":
            source = _resolve_kmz(p, max_archive_bytes)
        elif suffix == ".shp":
            names = [q.name for q in p.parent.iterdir()]
            _check_shapefile_parts(p.name, names, str(p.parent))
            if enc is None:
                enc = detect_dbf_encoding(p)
        elif suffix == ".gdb" and not p.is_dir():
            raise InputFileError(
                f"{p} is a file, but a File Geodatabase is a folder; expected the .gdb folder; "
                "fix: pass the folder (or a .zip of it)"
            )
        chosen = _pick_layer(source, layer, p)
        gdf = _read_gdal(source, chosen, enc, engine, p)
        if layer is None and chosen is not None:
            log.debug("%s: read layer %s", p, chosen)
    if not hasattr(gdf, "geometry") or not isinstance(gdf, _geodataframe_type()):
        raise InputFileError(
            f"{p}{f' layer {layer!r}' if layer else ''} has no geometry column (found columns: "
            f"{', '.join(map(str, gdf.columns))}); expected a spatial layer; fix: choose a "
            "spatial layer, or for a table give lon_col/lat_col or wkt_col"
        )
    if _is_empty(gdf):
        if not allow_empty:
            raise EmptyInputError(
                f"{p}{f' layer {layer!r}' if layer else ''} holds no features; expected at "
                "least one feature with a geometry; fix: check the file (or the layer / filter "
                "chosen), or pass allow_empty=True if an empty layer is fine"
            )
        if gdf.crs is None and declared is not None:
            gdf = gdf.set_crs(declared)
        return gdf
    if not check_crs:
        return gdf.set_crs(declared) if gdf.crs is None and declared is not None else gdf
    return ensure_crs(gdf, declared, what=str(p))
