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

What the cache holds is text columns and a range index from 0 (``ParquetParts.text_only``):
:func:`to_frame` makes those columns one by one, in under half the time of pyarrow's
metadata-driven ``Table.to_pandas`` (which it uses for any other table), and parses each CRS
once per process, not once per file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyproj

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
    #: every column read besides the geometry (at least one) is text as pandas wrote it, the
    #: index a range from 0 without a name, the column labels plain text (see :func:`to_frame`)
    text_only: bool = False


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
    rest = table.remove_column(position)
    return ParquetParts(
        rest,
        geometries,
        name,
        position,
        column.get("crs", "OGC:CRS84"),
        attrs,
        _text_only(rest, pandas_meta),
    )


#: the column labels' description pandas writes for labels that are all text
_TEXT_LABELS = [
    {
        "name": None,
        "field_name": None,
        "pandas_type": "unicode",
        "numpy_type": "str",
        "metadata": {"encoding": "UTF-8"},
    }
]


def _text_only(table: pa.Table, pandas_meta: dict[str, Any]) -> bool:
    """Tell whether ``table`` (the geometry removed) is text columns over a range index from 0.

    As pandas 3 writes a frame of ``str`` columns: each column ``large_string`` (or
    ``string``) in Arrow and ``str`` in the pandas metadata, without a dtype's metadata; the
    index a range from 0 in steps of 1 without a name; the column labels text without a name;
    no frame attributes in the pandas metadata. Nothing else (a categorical, a number, an
    index of labels, a pandas 2 ``object`` column) is made column by column.
    """
    import pyarrow as pa

    if table.num_columns == 0 or pandas_meta.get("attributes", {}) != {}:
        return False
    index = [{"kind": "range", "name": None, "start": 0, "stop": table.num_rows, "step": 1}]
    if pandas_meta.get("index_columns") != index:
        return False
    if pandas_meta.get("column_indexes") != _TEXT_LABELS:
        return False
    described = {c.get("field_name"): c for c in pandas_meta.get("columns", [])}
    for field in table.schema:
        meta = described.get(field.name)
        if (
            not (pa.types.is_large_string(field.type) or pa.types.is_string(field.type))
            or meta is None
            or meta.get("name") != field.name
            or meta.get("pandas_type") not in ("unicode", "object")
            or meta.get("numpy_type") != "str"
            or meta.get("metadata") is not None
        ):
            return False
    return len(set(table.column_names)) == int(table.num_columns)


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

    frame = _text_frame(parts.table) if parts.text_only else parts.table.to_pandas()
    crs = parts.crs
    if isinstance(crs, dict | str):  # as geopandas takes it: PROJJSON, or a name
        crs = _parsed_crs(json.dumps(crs, sort_keys=True))
    frame.insert(parts.position, parts.geometry_name, GeometryArray(parts.geometries, crs=crs))
    if parts.attrs:
        frame.attrs = parts.attrs
    return gpd.GeoDataFrame(frame, geometry=parts.geometry_name)


def _text_frame(table: pa.Table) -> pd.DataFrame:
    """Make the frame ``table.to_pandas()`` makes of a table :func:`_text_only` accepts.

    Each column converted on its own (``str`` columns backed by Arrow, as pandas 3 makes
    them), over ``RangeIndex(num_rows)``; the labels are ``str`` as pandas infers them.
    """
    import pandas as pd

    columns = {name: table.column(i).to_pandas() for i, name in enumerate(table.column_names)}
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))


@lru_cache(maxsize=16)
def _parsed_crs(text: str) -> pyproj.CRS:
    """Parse the CRS of a file's geo metadata (JSON of PROJJSON or of a name), once.

    The same CRS object then serves every frame in it (pyproj's CRS keeps its PROJ object
    per thread, so sharing it between threads is safe).
    """
    import pyproj

    return pyproj.CRS.from_user_input(json.loads(text))
