"""Drawing primitives of the generated demo layers: grid, blobs, polygonal parts, frames.

Shared by the generators of :mod:`zoning.datasets.generate`,
:mod:`zoning.datasets.control_units` and :mod:`zoning.datasets.siting_layers`; shapes are
drawn in metres in :data:`zoning.crs.ALBERS_CHINA` and handed back as EPSG:4490 frames
(:func:`to_frame`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio.features
import shapely
from affine import Affine
from scipy import ndimage
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from zoning.crs import ALBERS_CHINA, CGCS2000

__all__ = [
    "Grid",
    "blob",
    "polygonal",
    "smooth_noise",
    "to_albers",
    "to_frame",
    "union_frame",
]


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid in the Albers projection."""

    transform: Affine
    width: int
    height: int
    cell_m: float

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], cell_m: float) -> Grid:
        """Grid of ``cell_m`` cells covering ``bounds`` (minx, miny, maxx, maxy), snapped."""
        minx = np.floor(bounds[0] / cell_m) * cell_m
        maxy = np.ceil(bounds[3] / cell_m) * cell_m
        width = int(np.ceil((bounds[2] - minx) / cell_m))
        height = int(np.ceil((maxy - bounds[1]) / cell_m))
        return cls(Affine(cell_m, 0, minx, 0, -cell_m, maxy), width, height, cell_m)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """X and y of cell centres, each of shape (height, width)."""
        cols, rows = np.meshgrid(np.arange(self.width) + 0.5, np.arange(self.height) + 0.5)
        x, y = self.transform @ (cols, rows)
        return np.asarray(x), np.asarray(y)

    def rasterize(
        self, shapes: list[tuple[BaseGeometry, int]], fill: int = 0, dtype: str = "int32"
    ) -> np.ndarray:
        """Burn (geometry, value) pairs onto the grid (cell centres)."""
        burnt: np.ndarray = rasterio.features.rasterize(
            shapes,
            out_shape=(self.height, self.width),
            transform=self.transform,
            fill=fill,
            dtype=dtype,
        )
        return burnt


def to_albers(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoDataFrame | gpd.GeoSeries:
    """Return ``gdf`` in :data:`zoning.crs.ALBERS_CHINA`, where generation measures in metres."""
    return gdf.to_crs(ALBERS_CHINA)


def to_frame(records: list[dict[str, Any]], crs: object = ALBERS_CHINA) -> gpd.GeoDataFrame:
    """Turn records (Albers) into an EPSG:4490 frame with valid polygonal geometries only."""
    gdf = gpd.GeoDataFrame(records, geometry="geometry", crs=crs).to_crs(CGCS2000)
    fixed = [polygonal(shapely.make_valid(g)) for g in gdf.geometry]
    gdf = gdf.set_geometry(gpd.GeoSeries(fixed, index=gdf.index, crs=CGCS2000))
    return gdf[~gdf.geometry.is_empty].reset_index(drop=True)


def smooth_noise(rng: np.random.Generator, shape_: tuple[int, int], sigma: float) -> np.ndarray:
    """Return Gaussian-smoothed white noise of ``shape_``, scaled to mean 0 and deviation 1."""
    field: np.ndarray = ndimage.gaussian_filter(
        rng.standard_normal(shape_), sigma=sigma, mode="reflect"
    )
    standard: np.ndarray = (field - field.mean()) / field.std()
    return standard


def blob(centre: Point, radius: float, rng: np.random.Generator, n: int = 72) -> Polygon:
    """Draw an irregular star-shaped polygon around ``centre``, mean radius ``radius`` (m)."""
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    harmonics = sum(
        rng.normal(0, 0.12 / (h**0.7)) * np.cos(h * angles + rng.uniform(0, 2 * np.pi))
        for h in range(1, 6)
    )
    r = radius * (1 + harmonics)
    coords = np.column_stack([centre.x + r * np.cos(angles), centre.y + r * np.sin(angles)])
    return shapely.Polygon(coords)


def union_frame(frame: gpd.GeoDataFrame) -> BaseGeometry:
    """Union of a frame's geometries in Albers (empty polygon for an empty frame)."""
    if frame.empty:
        return shapely.Polygon()
    return shapely.union_all(to_albers(frame).geometry.to_numpy())


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygonal parts of an overlay result (drop slivers of lines/points)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()
