"""Warm-up at start: the spatial index, one screening, every feature in its local zones.

The screening engine measures a site in the CGCS2000 Gauss–Krüger zone of its centroid and
projects (and, where reprojection folds a ring, repairs) each zone feature into that zone the
first time a site needs it, then caches it. On a server the first users would pay that
(tens of milliseconds per new feature); here every feature is projected into each zone the
catalogue spans before the first request, using the engine's own cache
(``ScreeningIndex.layers[kind].projected`` / ``zone_area``). If the engine's internals change,
this step is skipped with a log line: it only makes the first screenings faster. The county
boundaries of the GCJ-02 check are prepared for the same zones
(:func:`zoning.screening.site.gcj02_reference`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from typing import Any

import numpy as np

__all__ = ["warm_up"]

log = logging.getLogger("zoning.serve")


def _zones_spanned(index: Any) -> list[int]:
    """EPSG codes of the GK zones whose bands meet the catalogue (coverage, else the layers)."""
    import shapely

    from zoning.crs import gk_epsg_for_lon

    if index.coverage is not None and not shapely.is_empty(index.coverage):
        minx, _, maxx, _ = shapely.bounds(index.coverage)
    else:
        boxes = np.array([shapely.total_bounds(layer.geoms) for layer in index.layers.values()])
        if not len(boxes):
            return []
        minx, maxx = float(np.nanmin(boxes[:, 0])), float(np.nanmax(boxes[:, 2]))
    lons = [*np.arange(math.floor(minx), math.ceil(maxx) + 1, 1.0), maxx]
    return sorted({gk_epsg_for_lon(float(min(max(x, minx), maxx))) for x in lons})


def _preproject(index: Any) -> int:
    import pyproj
    import shapely

    from zoning.screening.site import gcj02_reference

    n = 0
    for epsg in _zones_spanned(index):
        crs = pyproj.CRS.from_epsg(epsg)
        for layer in index.layers.values():
            idx = np.arange(len(layer.geoms))
            layer.projected(idx, crs)
            if len(idx) and int(shapely.get_dimensions(layer.geoms).max()) == 2:
                layer.zone_area(idx, crs)
            n += len(idx)
        with contextlib.suppress(Exception):  # advisory, like the check itself
            gcj02_reference(index, epsg)  # the GCJ-02 check's county boundaries in this zone
    return n


def warm_up(catalog: Any) -> float:
    """Build the index, screen one point, project every feature; return the seconds taken."""
    import geopandas as gpd
    import shapely

    from zoning.screening import build_index
    from zoning.screening.request import screen_read_sites

    t0 = time.perf_counter()
    coverage = getattr(catalog, "coverage", None)
    point = (
        coverage.representative_point()
        if coverage is not None and not coverage.is_empty
        else shapely.Point(112.5, 37.9)
    )
    sites = gpd.GeoDataFrame(geometry=[point], crs="EPSG:4490")
    screen_read_sites(sites, catalog, "solar_pv")
    try:
        n = _preproject(build_index(catalog))
        log.info("warm-up: %d feature projections cached", n)
    except Exception as exc:  # an engine change: the warm-up is an optimisation only
        log.warning("warm-up: features not pre-projected (%s)", exc)
    return time.perf_counter() - t0
