"""Restoration criteria per planning unit, from vector layers and rasters.

Vector criteria (units and layers in the equal-area Albers CRS):

* :func:`coverage_share` — share of each unit's area covered by a layer (mines, subsidence,
  red lines, key ecological function areas, the Yellow River basin …), the layer dissolved
  first so overlapping features count once;
* :func:`distance_km` — distance from each unit to the nearest feature (0 when touching).

Raster criteria, on a common grid (:func:`raster_grid`, :func:`align_raster`), then averaged
per unit with exact partial-cell coverage (:func:`unit_means`, :mod:`zoning.restoration.zonal`):

* :func:`vegetation_degradation` — a degradation score from the land-cover class
  (:data:`DEGRADATION_BY_IGBP`);
* :func:`erosion_index` — a RUSLE-style relative erosion-risk index
  ``E = R · K · LS · C · P`` (Wischmeier & Smith 1978; Renard et al. 1997) where

  - ``R`` rainfall erosivity: a raster when given, else 1 (uniform);
  - ``K`` soil erodibility: 1 (no soil map in the demo; Loess Plateau soils are uniformly
    highly erodible, so K mostly rescales);
  - ``LS`` slope factor: McCool et al. (1987) ``S = 10.8 sin θ + 0.03`` for slopes < 9 % and
    ``S = 16.8 sin θ − 0.50`` otherwise, from a DEM when given (slope length fixed at 22.13 m,
    so L = 1), else 1;
  - ``C`` cover-management factor by IGBP class (:data:`C_FACTOR_BY_IGBP`, typical literature
    values: forest 0.003–0.01, shrub 0.03–0.05, grassland 0.05–0.1, cropland 0.25,
    barren 0.45; urban and water 0 because not erodible soil);
  - ``P`` support practice: 1.

  It is a *relative* index for ranking, not a soil loss in t ha⁻¹ a⁻¹.

* cost: :func:`assign_interventions` picks an intervention type per unit from ordered rules and
  :func:`intervention_cost` prices it per hectare.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zoning.errors import CriteriaError, CRSError

if TYPE_CHECKING:
    import geopandas as gpd
    from affine import Affine

__all__ = [
    "C_FACTOR_BY_IGBP",
    "DEGRADATION_BY_IGBP",
    "align_raster",
    "assign_interventions",
    "coverage_share",
    "distance_km",
    "erosion_index",
    "intervention_cost",
    "map_classes",
    "raster_grid",
    "slope_degrees",
    "slope_factor",
    "unit_means",
    "vegetation_degradation",
]

#: RUSLE cover-management factor C by IGBP land-cover class (MODIS MCD12 type 1).
C_FACTOR_BY_IGBP: dict[int, float] = {
    0: 0.0,  # water
    1: 0.003,  # evergreen needleleaf forest
    2: 0.003,
    3: 0.005,
    4: 0.006,  # deciduous broadleaf forest
    5: 0.005,  # mixed forest
    6: 0.03,  # closed shrubland
    7: 0.05,  # open shrubland
    8: 0.03,  # woody savanna
    9: 0.06,  # savanna
    10: 0.08,  # grassland
    11: 0.0,  # permanent wetland
    12: 0.25,  # cropland
    13: 0.0,  # urban and built-up
    14: 0.15,  # cropland / natural vegetation mosaic
    15: 0.0,  # snow and ice
    16: 0.45,  # barren
}

#: Vegetation degradation score (1 = most degraded, worth restoring) by IGBP class: bare and
#: sparse cover rank first, closed forest last; water, wetland, urban and snow are not
#: vegetation-restoration targets (0).
DEGRADATION_BY_IGBP: dict[int, float] = {
    0: 0.0,
    1: 0.1,
    2: 0.1,
    3: 0.1,
    4: 0.15,
    5: 0.1,
    6: 0.4,
    7: 0.75,
    8: 0.35,
    9: 0.5,
    10: 0.6,
    11: 0.0,
    12: 0.3,
    13: 0.0,
    14: 0.4,
    15: 0.0,
    16: 1.0,
}


def _same_crs(units: gpd.GeoDataFrame, layer: gpd.GeoDataFrame | gpd.GeoSeries, what: str):
    if layer.crs is None:
        raise CRSError(f"The {what} layer has no CRS; expected one. Set it with `.set_crs()`.")
    return layer.to_crs(units.crs) if layer.crs != units.crs else layer


def coverage_share(units: gpd.GeoDataFrame, layer: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Share (0–1) of each unit's area covered by a layer, overlaps counted once.

    Parameters
    ----------
    units : GeoDataFrame
        Planning units in a projected, equal-area CRS (see :mod:`~zoning.restoration.units`).
    layer : GeoDataFrame or GeoSeries
        Polygons (any CRS; reprojected to the units' CRS).

    Returns
    -------
    pandas.Series
        Same index as ``units``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> u = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)], crs="EPSG:4547")
    >>> coverage_share(u, gpd.GeoSeries([box(0, 0, 5, 10)], crs="EPSG:4547")).tolist()
    [0.5]
    """
    import shapely

    from zoning.crs import require_measurable

    require_measurable(units.crs, "coverage share")
    layer = _same_crs(units, layer, "coverage")
    geoms = np.asarray(getattr(layer, "geometry", layer), dtype=object)
    geoms = geoms[~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)]
    out = pd.Series(0.0, index=units.index, name="coverage_share")
    if geoms.size == 0 or len(units) == 0:
        return out
    merged = shapely.union_all(geoms)
    parts = shapely.get_parts(merged)
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    tree = shapely.STRtree(parts)
    ugeo = units.geometry.to_numpy()
    ui, pi = tree.query(ugeo, predicate="intersects")
    if ui.size == 0:
        return out
    inter = shapely.area(shapely.intersection(ugeo[ui], parts[pi]))
    covered = np.bincount(ui, inter, minlength=len(units))
    uarea = shapely.area(ugeo)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(uarea > 0, covered / np.where(uarea > 0, uarea, 1), 0.0)
    out[:] = np.clip(share, 0.0, 1.0)
    return out


def distance_km(
    units: gpd.GeoDataFrame,
    layer: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    max_km: float | None = None,
) -> pd.Series:
    """Distance in km from each unit to the nearest feature of a layer (0 when touching).

    Distances are measured in the local CGCS2000 3-degree Gauss–Krüger zone of the units
    (``zoning.crs.gk_crs_for``; Albers would be off by about 2 % east–west at 114°E). Units
    farther than ``max_km`` (or all units when the layer is empty) get ``max_km`` (NaN
    without it).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> u = gpd.GeoDataFrame(geometry=[box(500000, 0, 501000, 1000)], crs="EPSG:4547")
    >>> distance_km(u, gpd.GeoSeries([Point(504000, 500)], crs="EPSG:4547")).tolist()
    [3.0]
    """
    import shapely

    from zoning.crs import gk_crs_for, require_measurable

    require_measurable(units.crs, "distance")
    gk = gk_crs_for(units)
    layer = _same_crs(units, layer, "distance").to_crs(gk)
    units = units.to_crs(gk)
    geoms = np.asarray(getattr(layer, "geometry", layer), dtype=object)
    geoms = geoms[~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)]
    fill = np.nan if max_km is None else float(max_km)
    out = pd.Series(fill, index=units.index, name="distance_km")
    if geoms.size == 0 or len(units) == 0:
        return out
    tree = shapely.STRtree(geoms)
    ugeo = units.geometry.to_numpy()
    max_m = None if max_km is None else max_km * 1000.0
    (ui, _), dist = tree.query_nearest(
        ugeo, max_distance=max_m, return_distance=True, all_matches=False
    )
    values = np.full(len(units), fill)
    values[ui] = dist / 1000.0
    if max_km is not None:
        values = np.minimum(values, max_km)
    out[:] = values
    return out


def raster_grid(units: gpd.GeoDataFrame, *, resolution_m: float) -> tuple[Affine, tuple[int, int]]:
    """Lay a north-up grid in the units' CRS over them, snapped to ``resolution_m``.

    Returns ``(transform, (rows, cols))``.
    """
    from affine import Affine

    s = float(resolution_m)
    minx, miny, maxx, maxy = units.total_bounds
    x0, y1 = np.floor(minx / s) * s, np.ceil(maxy / s) * s
    ncol = max(int(np.ceil((maxx - x0) / s)), 1)
    nrow = max(int(np.ceil((y1 - miny) / s)), 1)
    return Affine(s, 0.0, x0, 0.0, -s, y1), (nrow, ncol)


def align_raster(
    source: str | Any,
    *,
    crs: Any,
    transform: Affine,
    shape: tuple[int, int],
    resampling: str = "nearest",
    source_crs: Any = None,
    band: int = 1,
) -> np.ndarray:
    """Reproject / resample one raster band onto a target grid (float32, NaN = nodata).

    Parameters
    ----------
    source : path
        Any GDAL raster (GeoTIFF, netCDF …).
    crs, transform, shape
        The target grid.
    resampling : str
        A :class:`rasterio.enums.Resampling` name: ``nearest`` for classes, ``bilinear`` for
        continuous values (elevation, rainfall).
    source_crs : optional
        CRS to assume when the file declares none (e.g. ``"EPSG:4326"`` for a netCDF).

    Raises
    ------
    CRSError
        If the source has no CRS and ``source_crs`` is not given.
    InputFileError
        If the file cannot be read.
    """
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    from zoning.errors import InputFileError

    try:
        method = Resampling[resampling]
    except KeyError:
        raise CriteriaError(
            f"Unknown resampling {resampling!r}; expected one of "
            f"{[r.name for r in Resampling][:12]}."
        ) from None
    try:
        src = rasterio.open(str(source))
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(
            f"Cannot read raster {source!s} ({exc}); expected a GDAL raster file."
        ) from exc
    with src:
        src_crs = src.crs or source_crs
        if src_crs is None:
            raise CRSError(
                f'Raster {source!s} declares no CRS; expected one. Give `crs = "EPSG:4326"` '
                "(or the right CRS) for it in the scenario."
            )
        data = src.read(band).astype(np.float32)
        nodata = src.nodata
        if nodata is not None:
            data[data == np.float32(nodata)] = np.nan
        out = np.full(shape, np.nan, dtype=np.float32)
        reproject(
            data,
            out,
            src_transform=src.transform,
            src_crs=src_crs,
            src_nodata=np.nan,
            dst_transform=transform,
            dst_crs=crs,
            dst_nodata=np.nan,
            resampling=method,
        )
    return out


def map_classes(classes: np.ndarray, table: Mapping[int, float]) -> np.ndarray:
    """Map class codes to values (float32; unknown classes and NaN → NaN)."""
    out = np.full(classes.shape, np.nan, dtype=np.float32)
    finite = np.isfinite(classes)
    codes = np.where(finite, classes, -1).astype(np.int64)
    for code, value in table.items():
        out[codes == int(code)] = value
    return out


def vegetation_degradation(
    landcover: np.ndarray, table: Mapping[int, float] | None = None
) -> np.ndarray:
    """Vegetation degradation score per cell from land-cover classes (0 good – 1 degraded)."""
    return map_classes(landcover, table or DEGRADATION_BY_IGBP)


def slope_degrees(dem: np.ndarray, *, cell_size_m: float) -> np.ndarray:
    """Slope in degrees from a DEM on a projected grid (central differences, NaN kept)."""
    gy, gx = np.gradient(dem.astype(np.float64), cell_size_m)
    return np.degrees(np.arctan(np.hypot(gx, gy))).astype(np.float32)


def slope_factor(slope_deg: np.ndarray) -> np.ndarray:
    """RUSLE slope-steepness factor S (McCool et al. 1987)."""
    theta = np.radians(slope_deg)
    s = np.sin(theta)
    steep = np.tan(theta) >= 0.09
    return np.where(steep, 16.8 * s - 0.50, 10.8 * s + 0.03).astype(np.float32)


def erosion_index(
    landcover: np.ndarray,
    *,
    slope_deg: np.ndarray | None = None,
    rainfall_factor: np.ndarray | float | None = None,
    c_factors: Mapping[int, float] | None = None,
) -> np.ndarray:
    """RUSLE-style relative erosion-risk index ``R · K · LS · C · P`` per cell (module docs).

    Examples
    --------
    >>> import numpy as np
    >>> erosion_index(np.array([[10.0, 16.0]])).astype(float).round(3).tolist()  # flat, R = 1
    [[0.08, 0.45]]
    """
    c = map_classes(landcover, c_factors or C_FACTOR_BY_IGBP)
    ls = np.float32(1.0) if slope_deg is None else slope_factor(slope_deg)
    r = np.float32(1.0) if rainfall_factor is None else rainfall_factor
    return (np.asarray(r, dtype=np.float32) * ls * c).astype(np.float32)


def unit_means(
    units: gpd.GeoDataFrame,
    rasters: Mapping[str, np.ndarray],
    *,
    transform: Affine,
    crs: Any = None,
) -> pd.DataFrame:
    """Coverage-weighted mean of each raster per unit (exact partial cells, NaN = nodata).

    The zone index is built once and reused for every raster.
    """
    from zoning.restoration.zonal import build_zone_index, zonal_stats

    if not rasters:
        return pd.DataFrame(index=units.index)
    shape = next(iter(rasters.values())).shape
    index = build_zone_index(units.geometry, shape=shape, transform=transform, crs=crs)
    stats = zonal_stats(index, dict(rasters), stats=("mean",))
    stats.columns = [c[: -len("_mean")] for c in stats.columns]
    stats.index = units.index
    return stats


def assign_interventions(
    raw: pd.DataFrame,
    rules: Sequence[Mapping[str, Any]],
) -> pd.Series:
    """Pick an intervention per unit: the first rule whose conditions hold.

    Each rule is ``{"name": str, "when": {criterion: {"min": x, "max": y}, …}}`` (or
    ``{"min_quantile": q}``: at least the q-quantile of the raw criterion); a rule
    without ``when`` matches every unit (put it last, as the default). Units matching no rule
    get None.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"subsidence": [0.3, 0.0]})
    >>> rules = [{"name": "mine", "when": {"subsidence": {"min": 0.1}}}, {"name": "revegetate"}]
    >>> assign_interventions(raw, rules).tolist()
    ['mine', 'revegetate']
    """
    out = pd.Series(None, index=raw.index, dtype=object, name="intervention")
    todo = pd.Series(True, index=raw.index)
    for rule in rules:
        ok = todo.copy()
        for crit, cond in (rule.get("when") or {}).items():
            if crit not in raw.columns:
                raise CriteriaError(
                    f"Intervention {rule.get('name')!r} tests criterion {crit!r}, which is not "
                    f"computed (have {sorted(raw.columns)}); expected a criterion name."
                )
            v = raw[crit]
            if "min" in cond:
                ok &= v >= cond["min"]
            if "max" in cond:
                ok &= v <= cond["max"]
            if "min_quantile" in cond:
                ok &= v >= v.quantile(float(cond["min_quantile"]))
        out[ok] = rule["name"]
        todo &= ~ok
    return out


def intervention_cost(
    area_ha: pd.Series, intervention: pd.Series, cost_per_ha: Mapping[str, float]
) -> pd.Series:
    """Cost per unit = area (ha) × cost per hectare of its intervention (0 without one)."""
    missing = sorted(set(intervention.dropna()) - set(cost_per_ha))
    if missing:
        raise CriteriaError(
            f"No cost per hectare for interventions {missing}; expected one in {sorted(cost_per_ha)}."
        )
    rate = intervention.map(lambda k: cost_per_ha.get(k, 0.0) if k is not None else 0.0)
    return (area_ha * rate.astype(float)).rename("cost")
