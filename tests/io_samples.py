"""Small vector samples for the ``zoning.io`` tests: units with Chinese names, shapefile tricks."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
from shapely import box

NAMES = ["太原市", "忻州市", "云州区"]
ENGINES = ["pyogrio", "fiona"]


def units_frame() -> gpd.GeoDataFrame:
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


def write_shp(gdf: gpd.GeoDataFrame, path: Path, encoding: str, *, keep_cpg: bool) -> Path:
    """Write ``gdf`` as a shapefile in ``encoding``, with or without its ``.cpg``."""
    gdf.to_file(path, encoding=encoding, engine="pyogrio")
    if not keep_cpg:
        path.with_suffix(".cpg").unlink()
    return path


def zip_files(path: Path, files: list[Path], arcnames: list[str] | None = None) -> Path:
    """Zip ``files`` into ``path`` (under ``arcnames`` when given)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, f in enumerate(files):
            zf.write(f, arcnames[i] if arcnames else f.name)
    return path


def set_ldid(shp: Path, ldid: int) -> None:
    """Set the DBF language driver id (header byte 29) of a shapefile."""
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = ldid
    dbf.write_bytes(bytes(data))
