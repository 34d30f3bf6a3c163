"""GeoTIFF outputs: tiled, DEFLATE-compressed, byte-identical on rerun.

:func:`write_geotiff` writes float32 bands (NaN as nodata) with internal overviews;
:func:`write_paletted_geotiff` writes one uint8 band of classes with a colour table and class
names, so QGIS opens it as a paletted legend. Nothing time-dependent is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["write_geotiff", "write_paletted_geotiff"]


def write_geotiff(
    path: str | Path,
    bands: dict[str, np.ndarray],
    *,
    transform: Any,
    crs: Any,
    blocksize: int = 256,
    overviews: tuple[int, ...] = (2, 4, 8),
) -> Path:
    """Write float32 bands as a tiled, DEFLATE-compressed GeoTIFF with internal overviews.

    NaN is the nodata value. Nothing time-dependent is written, so the same input gives
    byte-identical files.

    Parameters
    ----------
    path : path-like
        The file.
    bands : dict of str to ndarray
        Band name (its description) → 2-D values, all of one shape.
    transform : Affine
        The grid's transform.
    crs : CRS
        The grid's CRS.
    blocksize : int, default 256
        Tile size in pixels.
    overviews : tuple of int, default (2, 4, 8)
        Overview factors (those smaller than the grid are skipped).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import rasterio
    from rasterio.enums import Resampling

    names = list(bands)
    first = np.asarray(bands[names[0]])
    height, width = first.shape
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": len(names),
        "dtype": "float32",
        "crs": crs,
        "transform": transform,
        "nodata": float("nan"),
        "tiled": True,
        "blockxsize": blocksize,
        "blockysize": blocksize,
        "compress": "deflate",
        "predictor": 3,
        "interleave": "band",
    }
    path = Path(path)
    with rasterio.Env():
        with rasterio.open(path, "w", **profile) as dst:
            for i, name in enumerate(names, start=1):
                dst.write(np.asarray(bands[name], dtype=np.float32), i)
                dst.set_band_description(i, name)
            levels = [f for f in overviews if min(height, width) // f >= 1]
            if levels:
                dst.build_overviews(levels, Resampling.nearest)
                dst.update_tags(ns="rio_overview", resampling="nearest")
    return path


def write_paletted_geotiff(
    path: str | Path,
    classes: np.ndarray,
    *,
    transform: Any,
    crs: Any,
    palette: dict[int, tuple[tuple[int, int, int], str]],
    description: str,
) -> Path:
    """Write classes 1 … k as a uint8 GeoTIFF with a colour table and the class names.

    Parameters
    ----------
    path : path-like
        The file.
    classes : ndarray
        Class numbers (0 is nodata).
    transform : Affine
        The grid's transform.
    crs : CRS
        The grid's CRS.
    palette : dict of int to ((r, g, b), str)
        Colour and name of each class; the names go into the band's metadata (``CLASS_1`` …,
        shown by ``gdalinfo`` and QGIS's metadata panel).
    description : str
        The band's description.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import rasterio

    data = np.asarray(classes)
    height, width = data.shape
    path = Path(path)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="uint8",
        crs=crs,
        transform=transform,
        nodata=0,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
        photometric="palette",
    ) as dst:
        dst.write(data.astype(np.uint8), 1)
        colors = {0: (255, 255, 255, 0)}
        colors |= {c: (*rgb, 255) for c, (rgb, _) in palette.items()}
        dst.write_colormap(1, colors)
        dst.set_band_description(1, description)
        dst.update_tags(1, **{f"CLASS_{c}": name for c, (_, name) in palette.items()})
    return path
