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
