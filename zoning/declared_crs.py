"""Declared CRSs: use a declared CRS only where the data has none, and catch wrong ones.

A layer or site file without a CRS gets the one declared in the catalogue (``crs = …``) or on
the command line (``--crs``); the data's own CRS always wins. Declarations that cannot be
right are refused with the fix: metres labelled as degrees, lon/lat swapped, a Gauss–Krüger
zone that puts the data far outside China.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj

from zoning.crs import CGCS2000, GK3_PREFIXED_FIRST_EPSG, describe_crs, is_gk_crs
from zoning.errors import CRSError
from zoning.io.sources import is_remote_crs_text

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["as_crs", "ensure_crs"]

log = logging.getLogger(__name__)

# China's extent with a generous margin, for sanity checks of declared CRSs.
_CHINA_LON = (60.0, 150.0)
_CHINA_LAT = (2.0, 60.0)


def as_crs(crs: Any, *, what: str = "CRS") -> pyproj.CRS:
    """Return ``crs`` as a :class:`pyproj.CRS`, refusing URLs and what pyproj cannot read.

    Parameters
    ----------
    crs : CRS-like
        ``"EPSG:4490"``, a WKT, a :class:`pyproj.CRS` …
    what : str
        What the CRS is, for messages (``"declared CRS of layer 'rivers'"``).

    Returns
    -------
    pyproj.CRS
        The CRS.

    Raises
    ------
    CRSError
        For a URL (zoning never downloads a CRS) or a CRS pyproj does not understand.
    """
    if isinstance(crs, str) and is_remote_crs_text(crs):
        raise CRSError(
            f'{what} {crs!r} is a URL; expected a CRS named locally such as "EPSG:4490"; '
            "zoning works offline and never downloads a CRS; fix: give the EPSG code"
        )
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(
            f"{what} {crs!r} is not a CRS pyproj understands ({exc}); expected e.g. "
            f'"EPSG:4490" (CGCS2000) or "EPSG:4547" (CGCS2000 GK CM 114E); fix: correct the CRS'
        ) from exc


def _suggest_gk_for_metres(minx: float, maxx: float) -> str:
    """Suggest a GK zone for projected-looking x values."""
    zone = int(minx // 1_000_000)
    if 25 <= zone <= 45 and int(maxx // 1_000_000) == zone:
        epsg = GK3_PREFIXED_FIRST_EPSG + zone - 25
        return (
            f"the x values start with zone number {zone}, so they look like zone-prefixed "
            f"CGCS2000 3-degree Gauss-Kruger eastings: EPSG:{epsg} (CM {3 * zone}E)"
        )
    return (
        "x values around 500,000 m look like CGCS2000 3-degree Gauss-Kruger eastings without a "
        "zone prefix: EPSG:4546 (CM 111E) for western Shanxi or EPSG:4547 (CM 114E) for "
        "eastern Shanxi (check the data's documentation for the central meridian)"
    )


def ensure_crs(
    gdf: gpd.GeoDataFrame, declared: Any = None, *, what: str = "layer"
) -> gpd.GeoDataFrame:
    """Return ``gdf`` with a CRS, after checks that catch wrong declarations.

    Parameters
    ----------
    gdf : GeoDataFrame
        The data as read.
    declared : pyproj.CRS or str, optional
        The CRS declared by the user (catalogue ``crs`` or ``--crs``); used only when the data
        has none (the data's own CRS wins; a disagreement is logged).
    what : str
        Name of the data for messages (e.g. the layer name or file path).

    Returns
    -------
    GeoDataFrame
        ``gdf`` itself when it had a CRS, else a copy with the declared CRS set.

    Raises
    ------
    CRSError
        When there is no CRS and none declared; when a geographic CRS holds coordinates outside
        ±180/±90 (projected metres labelled as degrees); when the lon/lat look swapped for
        China (x in 15–55, y in 70–140); when a Gauss–Krüger CRS puts the data far outside
        China.
    """
    if gdf.crs is None:
        if declared is None:
            raise CRSError(
                f"{what} has no CRS (no .prj / no CRS in the file); expected a CRS in the data or "
                'a declared one; fix: set crs = "EPSG:4490" (or the right code) for this layer in '
                "the catalogue, or pass --crs EPSG:4490 on the command line"
            )
        crs = as_crs(declared, what=f"declared CRS of {what}")
        gdf = gdf.set_crs(crs, allow_override=True)
    elif declared is not None:
        dc = as_crs(declared, what=f"declared CRS of {what}")
        if not dc.equals(gdf.crs, ignore_axis_order=True):
            log.info(
                "%s: the file's own CRS %s is used; the declared %s is ignored",
                what,
                describe_crs(gdf.crs),
                describe_crs(dc),
            )
    _check_plausible(gdf, what)
    return gdf


def _check_plausible(gdf: gpd.GeoDataFrame, what: str) -> None:
    if len(gdf) == 0:
        return
    bounds = np.asarray(gdf.total_bounds, dtype=float)
    if not np.isfinite(bounds).all():
        return  # only empty geometries: nothing to check
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    crs = pyproj.CRS.from_user_input(gdf.crs)
    if crs.is_geographic:
        if 15 <= minx and maxx <= 55 and 70 <= miny and maxy <= 140:
            raise CRSError(
                f"{what} is labelled {describe_crs(crs)} but x spans {minx:.3f}..{maxx:.3f} and y spans "
                f"{miny:.3f}..{maxy:.3f}: these look like latitude/longitude swapped (China is "
                f"about lon 73-136, lat 18-54); expected x = longitude, y = latitude; fix: swap "
                "the columns (or read CSV with lon_col/lat_col set the right way round)"
            )
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise CRSError(
                f"{what} is labelled {describe_crs(crs)} (degrees) but its coordinates span x "
                f"{minx:,.1f}..{maxx:,.1f}, y {miny:,.1f}..{maxy:,.1f}, outside ±180/±90: the "
                f"numbers look like projected metres; expected lon/lat degrees for {describe_crs(crs)}; fix: "
                f"declare the projected CRS instead — {_suggest_gk_for_metres(minx, maxx)}"
            )
        return
    if is_gk_crs(crs):
        t = pyproj.Transformer.from_crs(crs, CGCS2000, always_xy=True)
        lon, lat = t.transform(
            np.array([minx, maxx, minx, maxx]), np.array([miny, miny, maxy, maxy])
        )
        ok = (
            np.isfinite(lon).all()
            and np.isfinite(lat).all()
            and _CHINA_LON[0] <= float(np.min(lon))
            and float(np.max(lon)) <= _CHINA_LON[1]
            and _CHINA_LAT[0] <= float(np.min(lat))
            and float(np.max(lat)) <= _CHINA_LAT[1]
        )
        if not ok and -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90:
            raise CRSError(
                f"{what} is labelled {describe_crs(crs)} (metres) but its coordinates span x "
                f"{minx:.4f}..{maxx:.4f}, y {miny:.4f}..{maxy:.4f}: the numbers look like "
                "lon/lat degrees; expected Gauss-Kruger metres (x about 250,000-750,000); fix: "
                'declare crs = "EPSG:4490" (CGCS2000 lon/lat) for this layer instead'
            )
        if not ok:
            raise CRSError(
                f"{what} is labelled {describe_crs(crs)}, but its coordinates (x {minx:,.0f}..{maxx:,.0f}, "
                f"y {miny:,.0f}..{maxy:,.0f}) then fall far outside China (lon "
                f"{np.nanmin(lon):.1f}..{np.nanmax(lon):.1f}, lat {np.nanmin(lat):.1f}.."
                f"{np.nanmax(lat):.1f}); expected a Gauss-Kruger zone that matches the data; "
                f"fix: declare the right CRS — {_suggest_gk_for_metres(minx, maxx)}"
            )
