"""Writing a GeoDataFrame as one file: GeoPackage, GeoJSON, GeoParquet or CSV (WKT).

Atomic (:mod:`zoning.io.atomic`) and deterministic: the same frame gives byte-identical files
(the GeoPackage timestamp is fixed, :func:`zoning.io.gpkg.fixed_gpkg_time`).

Examples
--------
>>> import geopandas as gpd, tempfile
>>> from pathlib import Path
>>> from shapely import box
>>> from zoning.io import read_vector, write_vector
>>> gdf = gpd.GeoDataFrame({"name": ["太原"]}, geometry=[box(112, 37, 113, 38)], crs="EPSG:4490")
>>> out = write_vector(gdf, Path(tempfile.mkdtemp()) / "units.gpkg")
>>> read_vector(out).loc[0, "name"]
'太原'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from zoning.errors import ZoningUsageError
from zoning.io.atomic import atomic_file, fsync_file
from zoning.io.gpkg import fixed_gpkg_time
from zoning.io.tables import write_csv

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["write_vector"]

_DRIVERS = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".parquet": "Parquet",
    ".geoparquet": "Parquet",
    ".csv": "CSV",
}


def _write_wkt_csv(gdf: gpd.GeoDataFrame, tmp: Path) -> None:
    import pandas as pd
    import shapely

    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    geom = gdf.geometry.to_numpy()
    df[gdf.geometry.name] = shapely.to_wkt(geom, rounding_precision=-1)
    keep_index = not (isinstance(gdf.index, pd.RangeIndex) and gdf.index.name is None)
    write_csv(df, tmp, index=keep_index)


def write_vector(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    overwrite: bool = False,
    driver: str | None = None,
) -> Path:
    """Write a GeoDataFrame atomically as GeoPackage, GeoJSON, GeoParquet or CSV.

    The file is written to a temporary sibling and renamed into place when complete: a
    failure leaves nothing behind and any existing file intact. Output is deterministic (the
    GeoPackage timestamp is fixed to :data:`zoning.io.gpkg.GPKG_TIMESTAMP`), so reruns are byte-identical.

    Parameters
    ----------
    gdf : GeoDataFrame
        The data.
    path : path-like
        Output file; the format follows the suffix (``.gpkg``, ``.geojson``/``.json``,
        ``.parquet``, ``.csv`` — the CSV holds the geometry as WKT and no CRS).
    layer : str, optional
        Layer name (GeoPackage, GeoJSON ``name``); default the file stem. A GeoPackage is
        written as a new file holding this one layer.
    overwrite : bool, default False
        Replace an existing file; otherwise :class:`~zoning.errors.OutputExistsError`.
    driver : {"GPKG", "GeoJSON", "Parquet", "CSV"}, optional
        Override the suffix.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    p = Path(path)
    fmt = driver or _DRIVERS.get(p.suffix.lower())
    if fmt not in {"GPKG", "GeoJSON", "Parquet", "CSV"}:
        raise ZoningUsageError(
            f"cannot write {p}: unknown output format {driver or p.suffix!r}; expected .gpkg, "
            ".geojson, .parquet or .csv (or driver='GPKG'|'GeoJSON'|'Parquet'|'CSV'); fix: "
            "change the file name"
        )
    name = layer or p.stem
    with atomic_file(p, overwrite) as tmp:
        if fmt == "Parquet":
            gdf.to_parquet(tmp)
        elif fmt == "CSV":
            _write_wkt_csv(gdf, tmp)
        elif fmt == "GPKG":
            with fixed_gpkg_time():
                gdf.to_file(tmp, driver="GPKG", layer=name, engine="pyogrio")
        else:
            gdf.to_file(tmp, driver="GeoJSON", layer=name, engine="pyogrio")
        fsync_file(tmp)
    return p
