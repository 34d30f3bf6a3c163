"""The layer cache's GeoParquet files, read in two halves so the first can run on a thread.

:func:`read_parts` reads the Arrow table and decodes the geometries' WKB with pyarrow and
shapely alone — no pandas, and most of the work (file reading, decompression, WKB parsing)
without the GIL — so it can run while the main thread is still importing pandas and geopandas.
:func:`to_frame` then makes the GeoDataFrame: the frame ``geopandas.read_parquet(path,
columns=columns)`` gives (same columns, dtypes, index, CRS and ``attrs``), without building a
``pyarrow.dataset`` for one file.

Only the plain files the cache writes take this path: one WKB geometry column without a bbox
covering column, a range index, a CRS without datum-ensemble members (whose ids geopandas
rewrites). For anything else :func:`read_parts` gives None and the caller reads the file with
geopandas, as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy as np
    import pyarrow as pa

__all__ = ["ParquetParts", "read_parts", "to_frame"]


@dataclass(frozen=True)
class ParquetParts:
    """A cached GeoParquet file as read: its columns as Arrow, its geometries decoded."""

    #: every column read except the geometry (with the file's pandas metadata)
    table: pa.Table
    #: shapely geometries, one per row
    geometries: np.ndarray
    #: the geometry column's name and its position among the columns read
    geometry_name: str
    position: int
    #: the CRS as the file's geo metadata gives it (PROJJSON dict or string)
    crs: Any
    #: the frame's ``attrs`` stored in the file, or None
    attrs: dict[str, Any] | None


def read_parts(path: str | Path, columns: list[str] | None = None) -> ParquetParts | None:
    """Read a cached GeoParquet file's table and geometries (pyarrow and shapely only).

    Parameters
    ----------
    path : str or Path
        A GeoParquet file written by :func:`geopandas.GeoDataFrame.to_parquet`.
    columns : list of str, optional
        The columns to read, the geometry column among them; default: all.

    Returns
    -------
    ParquetParts or None
        None when the file is not one this reader makes exactly geopandas' frame from (see
        the module notes): read it with :func:`geopandas.read_parquet` instead.

    Raises
    ------
    OSError, ValueError
        As :func:`geopandas.read_parquet` would for a missing or damaged file.
    """
    import numpy as np
    import pyarrow.parquet as pq
    import shapely

    with pq.ParquetFile(path) as file:
        metadata = file.schema_arrow.metadata or {}
        if b"geo" not in metadata or b"pandas" not in metadata:
            return None
        geo = json.loads(metadata[b"geo"])
        pandas_meta = json.loads(metadata[b"pandas"])
        name = geo.get("primary_column")
        column = geo.get("columns", {}).get(name)
        if (
            len(geo.get("columns", {})) != 1
            or column is None
            or column.get("encoding") != "WKB"
            or "covering" in column
            or any(not isinstance(i, dict) for i in pandas_meta.get("index_columns", []))
            or "members" in json.dumps(column.get("crs", ""))
            or (columns is not None and name not in columns)
        ):
            return None
        table = file.read(columns=columns, use_pandas_metadata=True)
    position = table.column_names.index(name)
    # the WKB as a list of bytes: NumPy's conversion of an Arrow column would import pandas,
    # which must not be imported on two threads at once (its extension modules fail)
    wkb = np.empty(table.num_rows, dtype=object)
    wkb[:] = table.column(position).to_pylist()
    geometries = shapely.from_wkb(wkb, on_invalid="raise")
    attrs = json.loads(metadata[b"PANDAS_ATTRS"]) if b"PANDAS_ATTRS" in metadata else None
    return ParquetParts(
        table.remove_column(position),
        geometries,
        name,
        position,
        column.get("crs", "OGC:CRS84"),
        attrs,
    )


def to_frame(parts: ParquetParts) -> gpd.GeoDataFrame:
    """Make the GeoDataFrame of :func:`read_parts`' result (needs pandas and geopandas).

    Parameters
    ----------
    parts : ParquetParts
        What :func:`read_parts` read.

    Returns
    -------
    geopandas.GeoDataFrame
        The frame :func:`geopandas.read_parquet` gives for the same file and columns.
    """
    import geopandas as gpd
    from geopandas.array import GeometryArray

    frame = parts.table.to_pandas()
    frame.insert(
        parts.position, parts.geometry_name, GeometryArray(parts.geometries, crs=parts.crs)
    )
    if parts.attrs:
        frame.attrs = parts.attrs
    return gpd.GeoDataFrame(frame, geometry=parts.geometry_name)
