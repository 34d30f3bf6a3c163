"""Planning units: a regular grid clipped to a study area, or any polygon layer.

Units are always returned in the equal-area Albers CRS of :mod:`zoning.crs` (areas in hectares
are then true areas), with a string ``unit_id`` index, ``area_ha`` and the geometry. Grid units
also carry ``row`` / ``col`` and the grid definition in ``units.attrs["grid"]`` so that unit
values can be written back as a raster without resampling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zoning.errors import CRSError, EmptyInputError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["albers", "assign_admin", "grid_units", "polygon_units"]


def albers():
    """Return the equal-area Albers CRS used for statistics (``zoning.crs.ALBERS_CHINA``)."""
    from zoning.crs import ALBERS_CHINA

    return ALBERS_CHINA


def _to_albers(gdf: gpd.GeoDataFrame | gpd.GeoSeries, what: str):
    if gdf.crs is None:
        raise CRSError(
            f"The {what} has no CRS; expected one (e.g. EPSG:4490 for CGCS2000 longitude/"
            "latitude). Set it with `.set_crs(...)` if you know it."
        )
    return gdf.to_crs(albers())


def grid_units(
    study_area: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    cell_size_m: float,
    min_area_share: float = 0.0,
) -> gpd.GeoDataFrame:
    """Cut the study area into a square grid of ``cell_size_m``.

    The grid is snapped to multiples of the cell size in Albers metres, so the same study area
    always gives the same cells. Cells are clipped to the study area; cells whose clipped area
    is at most ``min_area_share`` of a full cell are dropped.

    Parameters
    ----------
    study_area : GeoDataFrame or GeoSeries
        Polygons of the study area (any CRS; dissolved).
    cell_size_m : float
        Cell side in metres (e.g. 1000).
    min_area_share : float
        Drop cells with less than this share of a full cell inside the study area.

    Returns
    -------
    GeoDataFrame
        Index ``unit_id`` (``"r<row>c<col>"``), columns ``row``, ``col``, ``area_ha``,
        ``geometry`` (Albers); ``attrs["grid"]`` = ``{"transform", "shape", "crs"}``.

    Raises
    ------
    EmptyInputError
        If the study area is empty.
    """
    import geopandas as gpd
    import shapely
    from affine import Affine

    if cell_size_m <= 0:
        raise ValueError(f"cell_size_m is {cell_size_m}; expected a positive size in metres.")
    area = _to_albers(study_area, "study area")
    geom = shapely.union_all(area.geometry.to_numpy())
    if geom is None or geom.is_empty:
        raise EmptyInputError("The study area is empty; expected at least one polygon.")
    s = float(cell_size_m)
    minx, miny, maxx, maxy = geom.bounds
    x0, y1 = np.floor(minx / s) * s, np.ceil(maxy / s) * s
    ncol = int(np.ceil((maxx - x0) / s))
    nrow = int(np.ceil((y1 - miny) / s))
    transform = Affine(s, 0.0, x0, 0.0, -s, y1)
    grid_rows, grid_cols = np.meshgrid(np.arange(nrow), np.arange(ncol), indexing="ij")
    rows, cols = grid_rows.ravel(), grid_cols.ravel()
    boxes = shapely.box(x0 + cols * s, y1 - (rows + 1) * s, x0 + (cols + 1) * s, y1 - rows * s)
    shapely.prepare(geom)
    hit = shapely.intersects(geom, boxes)
    rows, cols, boxes = rows[hit], cols[hit], boxes[hit]
    inside = shapely.contains_properly(geom, boxes)
    clipped = boxes.copy()
    edge = ~inside
    clipped[edge] = shapely.intersection(boxes[edge], geom)
    # keep polygonal parts only (touching cells give lines or points)
    clipped[edge] = [_polygonal(g) for g in clipped[edge]]
    cell_area = shapely.area(clipped)
    keep = cell_area > max(min_area_share, 0.0) * s * s
    units = gpd.GeoDataFrame(
        {
            "row": rows[keep],
            "col": cols[keep],
            "area_ha": cell_area[keep] / 1e4,
        },
        geometry=clipped[keep],
        crs=albers(),
        index=pd.Index(
            [f"r{r}c{c}" for r, c in zip(rows[keep], cols[keep], strict=True)], name="unit_id"
        ),
    )
    units.attrs["grid"] = {"transform": transform, "shape": (nrow, ncol), "crs": albers()}
    return units


def _polygonal(g):
    import shapely

    if g is None or g.is_empty or g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def polygon_units(layer: gpd.GeoDataFrame, *, id_field: str | None = None) -> gpd.GeoDataFrame:
    """Use any polygon layer (counties, small watersheds, mine sites) as planning units.

    Parameters
    ----------
    layer : GeoDataFrame
        Polygons with a CRS.
    id_field : str, optional
        Column with unique unit ids; the index is used when omitted.

    Returns
    -------
    GeoDataFrame
        Index ``unit_id`` (str), the layer's columns, ``area_ha``, Albers geometry.

    Raises
    ------
    EmptyInputError
        If the layer has no features.
    """
    from zoning.errors import LayerValidationError, Problem

    if len(layer) == 0:
        raise EmptyInputError("The unit layer has no features; expected at least one polygon.")
    units = _to_albers(layer, "unit layer").copy()
    ids = units[id_field] if id_field else pd.Series(units.index, index=units.index)
    ids = ids.astype(str)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise LayerValidationError(
            "planning units",
            [
                Problem(
                    "duplicate_id",
                    f"Unit ids repeat (e.g. {dup.iloc[0]!r}); expected "
                    "unique ids. Choose another id_field.",
                )
            ],
        )
    kinds = set(units.geom_type.dropna())
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise LayerValidationError(
            "planning units",
            [
                Problem(
                    "not_polygon",
                    f"Units have geometry types {sorted(kinds)}; expected "
                    "polygons. Buffer points or lines first.",
                )
            ],
        )
    units.index = pd.Index(ids.to_numpy(), name="unit_id")
    units["area_ha"] = units.geometry.area / 1e4
    return units


def assign_admin(
    units: gpd.GeoDataFrame,
    admin: gpd.GeoDataFrame,
    *,
    columns: Any = ("name", "city", "adcode"),
    prefix: str = "county_",
) -> gpd.GeoDataFrame:
    """Attach the admin unit containing each unit's representative point.

    Returns a copy of ``units`` with ``<prefix><column>`` columns (None outside every admin unit,
    and None throughout for a column the admin layer does not have).
    """
    import geopandas as gpd

    present = [c for c in columns if c in admin.columns]  # a user's admin layer may lack `city`
    if admin.crs is None:
        _to_albers(admin, "admin layer")  # raises the CRSError that explains the fix
    adm = admin.to_crs(units.crs)[[*present, "geometry"]]  # join in the units' own CRS
    pts = gpd.GeoDataFrame(geometry=units.geometry.representative_point(), crs=units.crs)
    joined = gpd.sjoin(pts, adm, how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    out = units.copy()
    for c in columns:
        out[f"{prefix}{c}"] = joined[c].reindex(units.index) if c in present else None
    return out
