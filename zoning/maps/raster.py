"""Single-band rasters on the offline maps: an inline PNG overlay with a colour-ramp legend."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import folium
import numpy as np

from zoning.errors import CRSError, ZoningError
from zoning.maps.info import LegendBlock, LegendEntry, map_info

__all__ = ["add_raster"]


def _warp_to_lonlat(
    arr: np.ndarray, transform: Any, crs: Any, nodata: float | None
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Reproject a projected grid to a lon/lat grid (nearest neighbour, for display only)."""
    from rasterio.transform import array_bounds
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    rows, cols = arr.shape
    left, bottom, right, top = array_bounds(rows, cols, transform)
    dst_transform, width, height = calculate_default_transform(
        crs, "EPSG:4326", cols, rows, left=left, bottom=bottom, right=right, top=top
    )
    src = np.where(arr == nodata, np.nan, arr) if nodata is not None else arr
    dst = np.full((height, width), np.nan)
    reproject(
        src,
        dst,
        src_transform=transform,
        src_crs=crs,
        src_nodata=np.nan,
        dst_transform=dst_transform,
        dst_crs="EPSG:4326",
        dst_nodata=np.nan,
        resampling=Resampling.nearest,
    )
    west, south, east, north = array_bounds(height, width, dst_transform)
    return dst, (west, south, east, north)


def add_raster(
    m: folium.Map,
    array: np.ndarray,
    bounds: Sequence[float] | None = None,
    *,
    name: str,
    cmap: str = "viridis",
    nodata: float | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    opacity: float = 0.75,
    legend_title: str | None = None,
    show: bool = True,
    transform: Any = None,
    crs: Any = None,
    max_size: int = 2048,
) -> folium.raster_layers.ImageOverlay:
    """Add a single-band raster as an inline PNG overlay.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`new_map`.
    array : 2-D array
        Values, first row north.
    bounds : (minx, miny, maxx, maxy), optional
        Extent of a lon/lat array (EPSG:4490/4326). The rows are re-projected to Web Mercator
        for display (``mercator_project``). Not needed when ``transform`` and ``crs`` are given.
    transform : affine.Affine, optional
        Grid transform of a raster in a projected ``crs`` (e.g. Albers or a Gauss–Krüger
        zone): the array is reprojected to lon/lat for display (nearest neighbour).
    crs : CRS-like, optional
        CRS of ``transform``.
    max_size : int
        Largest image side in pixels; bigger arrays are subsampled for display (the map
        notes it).
    name : str
        Layer name (bilingual).
    cmap : str
        Matplotlib colormap.
    nodata : float, optional
        Value drawn transparent (NaN always is).
    vmin, vmax : float, optional
        Colour stretch (default: data min/max).
    opacity : float
        Layer opacity.
    legend_title : str, optional
        Legend heading (default ``name``).
    show : bool
        Visible when the map opens.

    Returns
    -------
    folium.raster_layers.ImageOverlay
    """
    import matplotlib

    info = map_info(m)
    arr = np.asarray(array, dtype=float)
    if arr.ndim != 2 or arr.size == 0:
        raise ZoningError(f"add_raster expects a non-empty 2-D array, got shape {arr.shape}")
    if transform is not None:
        if crs is None:
            raise CRSError(
                "add_raster got a transform but no crs; expected both (e.g. crs='EPSG:4547')"
            )
        arr, bounds = _warp_to_lonlat(arr, transform, crs, nodata)
    elif bounds is None:
        raise ZoningError("add_raster needs lon/lat bounds, or a transform and crs")
    step = max(1, math.ceil(max(arr.shape) / max_size))
    if step > 1:
        arr = arr[::step, ::step]
        info.notes.append(
            f"栅格 {name} 显示时每 {step} 个像元取 1 个 / raster {name} subsampled for display "
            f"(1 cell in {step} per row and column)"
        )
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    if not (minx < maxx and miny < maxy) or not (
        -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90
    ):
        raise CRSError(
            f"raster bounds {tuple(bounds)} are not lon/lat (minx, miny, maxx, maxy); "
            "reproject the raster to EPSG:4490 first"
        )
    valid = np.isfinite(arr)
    if nodata is not None:
        valid &= arr != nodata
    lo = float(np.nanmin(arr[valid])) if vmin is None and valid.any() else (vmin or 0.0)
    hi = float(np.nanmax(arr[valid])) if vmax is None and valid.any() else (vmax or 1.0)
    scaled = np.zeros_like(arr) if hi <= lo else (arr - lo) / (hi - lo)
    rgba = matplotlib.colormaps[cmap](np.clip(np.nan_to_num(scaled), 0, 1))
    rgba[..., 3] = np.where(valid, 1.0, 0.0)
    image = (rgba * 255).round().astype(np.uint8)
    if info.display_crs == "gcj02":
        from zoning.gcj02 import wgs84_to_gcj02

        xs, ys = wgs84_to_gcj02(np.array([minx, maxx]), np.array([miny, maxy]))
        minx, maxx = float(xs[0]), float(xs[1])
        miny, maxy = float(ys[0]), float(ys[1])
    overlay = folium.raster_layers.ImageOverlay(
        image=image,
        bounds=[[miny, minx], [maxy, maxx]],
        name=name,
        opacity=opacity,
        mercator_project=True,
        show=show,
        interactive=False,
    )
    overlay.add_to(m)
    info.layers.append(
        {
            "name": name,
            "kind": "raster",
            "features": 1,
            "simplified": False,
            "shape": arr.shape,
            "bounds": (minx, miny, maxx, maxy),
        }
    )
    ramp = tuple(
        matplotlib.colors.to_hex(matplotlib.colormaps[cmap](t)) for t in np.linspace(0, 1, 6)
    )
    info.legends.append(
        LegendBlock(
            legend_title or name,
            [LegendEntry(label=f"{lo:.3g} – {hi:.3g}", color=ramp[-1], gradient=ramp)],
            overlay.get_name(),
        )
    )
    return overlay
