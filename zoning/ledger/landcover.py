"""Land-cover composition of polygons from a classified raster (IGBP classes, e.g. MODIS).

Coverage is exact (:mod:`zoning.restoration.zonal`: partial cells weighted by the share of the
cell inside the polygon). The share of each class is taken over the valid cells covered and
applied to the polygon's equal-area area, so class areas add up to the polygon's area.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["IGBP_NAMES", "NATURAL_CLASSES", "class_areas", "default_landcover_path"]

#: IGBP class → (English, Chinese) name (MODIS MCD12 type 1)
IGBP_NAMES: dict[int, tuple[str, str]] = {
    0: ("water", "水体"),
    1: ("evergreen needleleaf forest", "常绿针叶林"),
    2: ("evergreen broadleaf forest", "常绿阔叶林"),
    3: ("deciduous needleleaf forest", "落叶针叶林"),
    4: ("deciduous broadleaf forest", "落叶阔叶林"),
    5: ("mixed forest", "混交林"),
    6: ("closed shrubland", "郁闭灌丛"),
    7: ("open shrubland", "稀疏灌丛"),
    8: ("woody savanna", "木本稀树草原"),
    9: ("savanna", "稀树草原"),
    10: ("grassland", "草地"),
    11: ("permanent wetland", "永久湿地"),
    12: ("cropland", "耕地"),
    13: ("urban and built-up", "城市和建设用地"),
    14: ("cropland/natural mosaic", "耕地/自然植被镶嵌"),
    15: ("snow and ice", "永久冰雪"),
    16: ("barren", "裸地"),
}

#: Classes counted as natural land cover for 功能不降低: water, forests, shrublands, savannas,
#: grasslands, wetlands, snow and barren land; cropland (12), built-up (13) and the
#: cropland/natural mosaic (14) are not.
NATURAL_CLASSES: frozenset[int] = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16})


def default_landcover_path() -> Path:
    """Return the path of the MODIS MCD12C1 2019 IGBP land cover of Shanxi (demo data)."""
    from zoning.datasets.build import DATA_DIR

    return DATA_DIR / "modis-landcover-shanxi" / "mcd12c1_2019_igbp_shanxi.tif"


def class_areas(polygons: gpd.GeoSeries, area_km2: np.ndarray, raster: str | Path) -> pd.DataFrame:
    """Area (km²) of every land-cover class inside each polygon.

    Parameters
    ----------
    polygons : geopandas.GeoSeries
        Polygons with a CRS (reprojected to the raster's CRS for the coverage).
    area_km2 : numpy.ndarray
        The equal-area area of each polygon (km²): the class shares are applied to it.
    raster : str or pathlib.Path
        A single-band classified raster (IGBP codes; its nodata and codes outside 0–16 are
        left out).

    Returns
    -------
    pandas.DataFrame
        One row per polygon, one column per class code present (km²); all NaN for a polygon
        covering no valid cell.
    """
    from zoning.restoration.zonal import build_zone_index, zonal_stats
    from zoning.restoration.zonal_read import read_grid_band

    band, transform, crs, nodata = read_grid_band(str(raster))
    geoms = polygons.to_crs(crs) if crs is not None else polygons
    index = build_zone_index(list(geoms.geometry), shape=band.shape, transform=transform, crs=crs)
    codes = band.astype(np.int64)
    valid = np.isin(codes, list(IGBP_NAMES))
    if nodata is not None:
        valid &= codes != int(nodata)
    present = sorted(int(c) for c in np.unique(codes[valid]))
    rasters = {"valid": valid.astype(np.float64)}
    rasters.update({f"c{c}": (valid & (codes == c)).astype(np.float64) for c in present})
    stats = zonal_stats(index, rasters, stats=("sum",), nodata=None)
    total = stats["valid_sum"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = {c: stats[f"c{c}_sum"].to_numpy() / total for c in present}
    out = pd.DataFrame({c: np.where(total > 0, s * area_km2, np.nan) for c, s in share.items()})
    out.index = polygons.index
    return out
