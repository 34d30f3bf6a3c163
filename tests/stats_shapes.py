"""Shapes for the statistics tests (tests/test_stats_*.py): squares built in metres in Albers.

Squares are built near a spot in central Shanxi (lon 112.5, lat 37.8) in the measuring CRS
(:data:`zoning.crs.ALBERS_CHINA`), so their areas are known exactly.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import box

from zoning.crs import ALBERS_CHINA

# Albers coordinates of a spot in central Shanxi (lon 112.5, lat 37.8): squares are built here in
# metres, so their areas are known exactly in the measuring CRS.
X0, Y0 = 650_000.0, 4_250_000.0


def sq(x: float, y: float, w: float, h: float | None = None) -> shapely.Polygon:
    """Rectangle with lower-left corner (X0 + x, Y0 + y), sides in metres."""
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + (w if h is None else h))


def frame(geoms, crs=ALBERS_CHINA, **cols) -> gpd.GeoDataFrame:
    """GeoDataFrame of ``geoms`` with columns ``cols``."""
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs)


def two_counties() -> gpd.GeoDataFrame:
    """A = [0, 10 km] x [0, 10 km] (100 km²), B = [10, 20 km] x [0, 10 km] (100 km²)."""
    return frame([sq(0, 0, 10_000), sq(10_000, 0, 10_000)], adcode=["140101", "140102"])


def grid_units() -> gpd.GeoDataFrame:
    """Six 10 km squares, 3 x 2, adcodes 140101 … 140106."""
    cells = [sq(i * 10_000, j * 10_000, 10_000) for i in range(3) for j in range(2)]
    return frame(cells, adcode=[f"1401{k:02d}" for k in range(1, 7)])


def row(out: pd.DataFrame, unit: str, kind: str, zone: str = "all") -> pd.Series:
    """The one statistics row of (unit, kind, zone)."""
    sel = out[(out.unit_id == unit) & (out.layer_kind == kind) & (out.zone == zone)]
    assert len(sel) == 1, sel
    return sel.iloc[0]


def random_layer(seed: int, n: int) -> gpd.GeoDataFrame:
    """``n`` random star polygons over and around :func:`grid_units`, zones core/general."""
    rng = np.random.default_rng(seed)
    geoms = []
    for _ in range(n):
        cx, cy = rng.uniform(-2_000, 32_000), rng.uniform(-2_000, 22_000)
        k = int(rng.integers(8, 60))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = rng.uniform(300, 2_500) * (0.5 + 0.5 * rng.random(k))
        geoms.append(
            shapely.Polygon(np.c_[X0 + cx + rad * np.cos(ang), Y0 + cy + rad * np.sin(ang)])
        )
    return frame(geoms, zone=rng.choice(["core", "general"], n).tolist())


def random_layers() -> dict[str, gpd.GeoDataFrame]:
    """Three layers of :func:`random_layer` stars (150, 90 and 40), as the pipeline tests use."""
    return {
        "eco_redline": random_layer(41, 150),
        "basic_farmland": random_layer(42, 90),
        "urban_boundary": random_layer(43, 40),
    }


def random_stars(
    seed: int,
    n: int,
    *,
    origin: tuple[float, float] = (0.0, 0.0),
    extent: float = 10_000.0,
    vertices: tuple[int, int] = (5, 80),
    radius: tuple[float, float] = (200.0, 1_500.0),
    holes_every: int = 7,
    multi_every: int | None = 11,
) -> np.ndarray:
    """``n`` seeded random star polygons, some with a hole, some multipolygons.

    Centres lie in the square ``origin + [0, extent]²``; each star has a number of vertices in
    ``vertices`` and radii in ``radius``. Star ``i`` gets a hole when ``i % holes_every`` is
    ``3 % holes_every``,
    and becomes a multipolygon with a 300 m square beside it when ``i % multi_every`` is 5.
    """
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        cx, cy = origin[0] + rng.uniform(0, extent), origin[1] + rng.uniform(0, extent)
        k = int(rng.integers(*vertices))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = rng.uniform(*radius) * (0.5 + 0.5 * rng.random(k))
        star = shapely.Polygon(np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)])
        if i % holes_every == 3 % holes_every:
            star = star.difference(shapely.Point(cx, cy).buffer(rad.min() / 3))
        elif multi_every is not None and i % multi_every == 5:
            star = shapely.MultiPolygon([star, shapely.box(cx + 2_000, cy, cx + 2_300, cy + 300)])
        out.append(star)
    return np.array(out, dtype=object)
