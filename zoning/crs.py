"""Coordinate reference systems done right: CGCS2000, Gauss–Krüger zones, Albers, GCJ-02.

Rules this module enforces (``DESIGN.md``, house style rule 3):

- Data is stored in CGCS2000 geographic coordinates (:data:`CGCS2000`, EPSG:4490).
- Areas and lengths are measured only in a projected CRS in metres: the equal-area
  :data:`ALBERS_CHINA` for statistics, or the local CGCS2000 3-degree Gauss–Krüger zone
  (:func:`gk_crs_for`, EPSG:4534–4554) for site metrics. Asking for a measure in degrees or in
  any Mercator (Web Mercator included) raises :class:`~zoning.errors.ProjectionError`.
- A missing CRS is an error unless one is declared (:func:`ensure_crs`), and declarations that
  cannot be right (metres labelled as degrees, swapped lon/lat) are caught.
- Chinese web-map data (Amap, Tencent, Baidu-derived) is often GCJ-02 ("Mars coordinates"),
  shifted 300–700 m in Shanxi: :func:`gcj02_to_wgs84`, :func:`from_gcj02` undo it and
  :func:`detect_gcj02` flags it by comparison with reference boundaries.

Examples
--------
>>> from zoning.crs import gk_epsg_for_lon, wgs84_to_gcj02, gcj02_to_wgs84
>>> gk_epsg_for_lon(112.55)   # Taiyuan: central meridian 114E
4547
>>> lon, lat = wgs84_to_gcj02(112.55, 37.87)
>>> back = gcj02_to_wgs84(lon, lat)
>>> abs(back[0] - 112.55) < 1e-9 and abs(back[1] - 37.87) < 1e-9
True
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj

from zoning.errors import CRSError, EmptyInputError, ProjectionError
from zoning.io.sources import is_remote_crs_text, proj_offline

proj_offline()  # PROJ never downloads grids: zoning is offline (issue 12)

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ALBERS_CHINA",
    "CGCS2000",
    "VALID_IN",
    "WGS84",
    "Gcj02Check",
    "area_m2",
    "describe_crs",
    "detect_gcj02",
    "ensure_crs",
    "from_gcj02",
    "gcj02_shift_m",
    "gcj02_to_wgs84",
    "gk_central_meridian",
    "gk_crs_for",
    "gk_epsg_for_lon",
    "is_gk_crs",
    "is_marked_valid",
    "length_m",
    "mark_valid",
    "out_of_china",
    "project",
    "require_measurable",
    "to_gcj02",
    "wgs84_to_gcj02",
]

log = logging.getLogger(__name__)

#: CGCS2000 geographic (degrees): the CRS of every normalised layer frame.
CGCS2000 = "EPSG:4490"
#: WGS 84 geographic (degrees); at the scale of this toolkit it equals CGCS2000 to < 1 m.
WGS84 = "EPSG:4326"
#: Albers equal-area conic for China (lon_0 105E, standard parallels 25N and 47N) on the
#: CGCS2000 datum: the projection for area statistics.
VALID_IN = "zoning:valid_in"
"""Key of ``GeoDataFrame.attrs`` set by :func:`project`: the WKT of the CRS in which every
geometry of the frame was checked valid (and repaired where it was not). Statistics skip their
own validity pass on such a frame when they measure in that CRS; replacing its geometries
by hand should drop the key."""


def _albers_china() -> pyproj.CRS:
    """Albers equal-area conic for China (105°E; parallels 25°N, 47°N) on the CGCS2000 datum.

    Built on EPSG:4490 rather than from a PROJ string: the numbers are the same (the CGCS2000
    and GRS80 ellipsoids are identical), but a PROJ string keeps only the ellipsoid, so files
    written in it said "unknown datum based on GRS 1980" and QGIS and ``gdalsrsinfo`` lost
    the CGCS2000 identity.
    """
    from pyproj.crs import ProjectedCRS
    from pyproj.crs.coordinate_operation import AlbersEqualAreaConversion

    return ProjectedCRS(
        name="CGCS2000 / Albers equal-area China (105E; 25N, 47N)",
        conversion=AlbersEqualAreaConversion(
            latitude_first_parallel=25,
            latitude_second_parallel=47,
            latitude_false_origin=0,
            longitude_false_origin=105,
            easting_false_origin=0,
            northing_false_origin=0,
        ),
        geodetic_crs=pyproj.CRS.from_epsg(4490),
    )


ALBERS_CHINA = _albers_china()

# CGCS2000 3-degree Gauss–Krüger zones, EPSG codes checked with pyproj:
# without zone prefix (false easting 500 km): EPSG:4534 (CM 75E) … EPSG:4554 (CM 135E);
# with zone prefix (false easting zone*1e6 + 500 km): EPSG:4513 (zone 25, CM 75E) … 4533 (zone 45).
_GK3_FIRST_EPSG = 4534
_GK3_PREFIXED_FIRST_EPSG = 4513
_GK3_FIRST_CM = 75
_GK3_LAST_CM = 135

# China's extent with a generous margin, for sanity checks of declared CRSs.
_CHINA_LON = (60.0, 150.0)
_CHINA_LAT = (2.0, 60.0)

_FIX_MEASURE = (
    "expected: an equal-area CRS such as zoning.crs.ALBERS_CHINA for statistics, or the local "
    "CGCS2000 3-degree Gauss-Kruger zone (e.g. EPSG:4547, CM 114E, for eastern Shanxi) for site "
    "metrics; fix: pass crs=zoning.crs.ALBERS_CHINA or crs=zoning.crs.gk_crs_for(data)"
)


# ---------------------------------------------------------------------------------------------
# CRS description and Gauss–Krüger zones
# ---------------------------------------------------------------------------------------------


def describe_crs(crs: Any) -> str:
    """Return a short human name for a CRS, e.g. ``"EPSG:4490 (China Geodetic …)"``.

    Parameters
    ----------
    crs : pyproj.CRS, str, int or None
        Anything :meth:`pyproj.CRS.from_user_input` accepts.

    Returns
    -------
    str
        ``"no CRS"`` for None, ``"AUTH:CODE (name)"`` when an authority code is known,
        else the CRS name.
    """
    if crs is None:
        return "no CRS"
    try:
        c = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        return repr(crs)
    return _describe(c)


@lru_cache(maxsize=256)
def _describe(c: pyproj.CRS) -> str:
    auth = c.to_authority(min_confidence=90)
    if auth is not None:
        return f"{auth[0]}:{auth[1]} ({c.name})"
    if c.name != "unknown":
        return c.name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "lose projection information"
        return c.to_proj4() or c.to_wkt()[:80]


def _as_crs(crs: Any, *, what: str = "CRS") -> pyproj.CRS:
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


def gk_epsg_for_lon(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss–Krüger zone (no zone prefix) for a longitude.

    The central meridian is ``CM = 3 * floor(lon / 3 + 0.5)``: the nearest multiple of 3,
    halves rounded up, so 112.4999 → CM 111 (EPSG:4546) and 112.5 → CM 114 (EPSG:4547).
    Shanxi (110.2E–114.6E) spans EPSG:4546 and EPSG:4547.

    Parameters
    ----------
    lon : float
        Longitude in degrees east.

    Returns
    -------
    int
        An EPSG code in 4534 (CM 75E) … 4554 (CM 135E).

    Raises
    ------
    CRSError
        When the longitude is not finite or its zone is outside China's (CM 75E–135E).

    Examples
    --------
    >>> gk_epsg_for_lon(110.2), gk_epsg_for_lon(112.49), gk_epsg_for_lon(112.5)
    (4546, 4546, 4547)
    """
    lon = float(lon)
    if not math.isfinite(lon):
        raise CRSError(f"longitude {lon} is not finite; expected degrees east; fix: check data")
    cm = 3 * math.floor(lon / 3.0 + 0.5)
    if not _GK3_FIRST_CM <= cm <= _GK3_LAST_CM:
        raise CRSError(
            f"longitude {lon:.4f} falls in a Gauss-Kruger zone with central meridian {cm}E; "
            f"expected a longitude in China (CM 75E-135E, about 73.5E-136.5E); fix: check that "
            f"the data is in degrees (lon/lat) and not swapped or projected"
        )
    return _GK3_FIRST_EPSG + (cm - _GK3_FIRST_CM) // 3


def gk_central_meridian(crs: Any) -> float | None:
    """Central meridian of a CGCS2000 3-degree Gauss–Krüger CRS, else None.

    Recognises EPSG:4534–4554 (no zone prefix) and EPSG:4513–4533 (zone-prefixed eastings).

    Examples
    --------
    >>> gk_central_meridian("EPSG:4547"), gk_central_meridian("EPSG:4526")
    (114.0, 114.0)
    >>> gk_central_meridian("EPSG:3857") is None
    True
    """
    if crs is None:
        return None
    try:
        epsg = _epsg(pyproj.CRS.from_user_input(crs))
    except pyproj.exceptions.CRSError:
        return None
    if epsg is None:
        return None
    if _GK3_FIRST_EPSG <= epsg <= _GK3_FIRST_EPSG + 20:
        return float(_GK3_FIRST_CM + 3 * (epsg - _GK3_FIRST_EPSG))
    if _GK3_PREFIXED_FIRST_EPSG <= epsg <= _GK3_PREFIXED_FIRST_EPSG + 20:
        return float(_GK3_FIRST_CM + 3 * (epsg - _GK3_PREFIXED_FIRST_EPSG))
    return None


@lru_cache(maxsize=256)
def _epsg(c: pyproj.CRS) -> int | None:
    # identification searches the PROJ database (~0.1 s for a custom CRS): cached
    if not c.is_projected:
        return None
    return c.to_epsg(min_confidence=90)


def is_gk_crs(crs: Any) -> bool:
    """True for a CGCS2000 3-degree Gauss–Krüger CRS (EPSG:4513–4554)."""
    return gk_central_meridian(crs) is not None


def _lonlat_bounds(obj: Any) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) in lon/lat of a geometry (assumed lon/lat) or a geo frame."""
    import geopandas as gpd
    import shapely

    if isinstance(obj, gpd.GeoDataFrame | gpd.GeoSeries):
        if len(obj) == 0 or obj.geometry.is_empty.all():
            raise EmptyInputError(
                "cannot pick a Gauss-Kruger zone for an empty layer; expected at least one "
                "non-empty geometry; fix: check the input"
            )
        if obj.crs is None:
            raise CRSError(
                "cannot pick a Gauss-Kruger zone: the data has no CRS; expected e.g. EPSG:4490; "
                'fix: set it with gdf.set_crs("EPSG:4490") or declare crs in the catalogue'
            )
        bounds = tuple(float(v) for v in obj.total_bounds)
        crs = pyproj.CRS.from_user_input(obj.crs)
        if not crs.is_geographic:
            t = pyproj.Transformer.from_crs(crs, CGCS2000, always_xy=True)
            bounds = tuple(float(v) for v in t.transform_bounds(*bounds))
        return bounds  # type: ignore[return-value]
    if isinstance(obj, shapely.Geometry):
        if obj.is_empty:
            raise EmptyInputError(
                "cannot pick a Gauss-Kruger zone for an empty geometry; expected a non-empty "
                "geometry in lon/lat; fix: check the input"
            )
        return tuple(float(v) for v in obj.bounds)  # type: ignore[return-value]
    raise TypeError(f"expected a shapely geometry, GeoSeries or GeoDataFrame, got {type(obj)!r}")


def gk_crs_for(obj: Any) -> pyproj.CRS:
    """The local CGCS2000 3-degree Gauss–Krüger CRS for some data (for site metrics).

    Parameters
    ----------
    obj : shapely.Geometry, GeoSeries or GeoDataFrame
        A bare geometry is assumed to be in lon/lat degrees; a GeoSeries / GeoDataFrame may be
        in any CRS (its bounds are converted to lon/lat).

    Returns
    -------
    pyproj.CRS
        The zone (EPSG:4534–4554) whose central meridian is nearest the centre of the bounds.

    Examples
    --------
    >>> from shapely import Point
    >>> gk_crs_for(Point(112.55, 37.87)).to_epsg()
    4547
    """
    minx, _, maxx, _ = _lonlat_bounds(obj)
    return pyproj.CRS.from_epsg(gk_epsg_for_lon((minx + maxx) / 2.0))


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def require_measurable(crs: Any, purpose: str = "area") -> pyproj.CRS:
    """Check that a CRS can be used to measure areas or lengths in metres, and return it.

    Parameters
    ----------
    crs : pyproj.CRS, str, int or None
        The CRS to measure in.
    purpose : str
        What is being measured, for the message ("area", "length", "buffer" …).

    Returns
    -------
    pyproj.CRS
        The CRS as a :class:`pyproj.CRS`.

    Raises
    ------
    ProjectionError
        When ``crs`` is None, geographic (degrees), geocentric, not in metres, or any Mercator
        (Web / Pseudo / World Mercator: detected by the projection method name, so every code
        of it — EPSG:3857, 900913, 3395, ESRI:54004 … — is caught). Transverse Mercator
        (Gauss–Krüger, UTM) is fine.

    Examples
    --------
    >>> require_measurable("EPSG:4547").to_epsg()
    4547
    >>> require_measurable("EPSG:3857")
    Traceback (most recent call last):
    ...
    zoning.errors.ProjectionError: area asked in EPSG:3857 (WGS 84 / Pseudo-Mercator), ...
    """
    if crs is None:
        raise ProjectionError(f"{purpose} asked with no CRS; {_FIX_MEASURE}")
    try:
        c = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise ProjectionError(
            f"{purpose} asked in {crs!r}, which is not a CRS pyproj understands; {_FIX_MEASURE}"
        ) from exc
    if c.is_compound and c.sub_crs_list:
        c = c.sub_crs_list[0]
    if c.is_geographic:
        raise ProjectionError(
            f"{purpose} asked in {describe_crs(c)}, a geographic CRS whose units are degrees, not metres; "
            f"{_FIX_MEASURE}"
        )
    if not c.is_projected:
        raise ProjectionError(
            f"{purpose} asked in {describe_crs(c)}, a {c.type_name}, not a projected CRS; {_FIX_MEASURE}"
        )
    method = (c.coordinate_operation.method_name if c.coordinate_operation else "") or ""
    low = method.lower()
    if "mercator" in low and "transverse" not in low and "oblique" not in low:
        raise ProjectionError(
            f"{purpose} asked in {describe_crs(c)}, a {method} projection whose scale grows as "
            f"1/cos(latitude) (about +60 % in area at Shanxi's 37N); {_FIX_MEASURE}"
        )
    units = {a.unit_name for a in c.axis_info}
    if units and units != {"metre"}:
        raise ProjectionError(
            f"{purpose} asked in {describe_crs(c)}, whose units are {', '.join(sorted(units))}, not metres; "
            f"{_FIX_MEASURE}"
        )
    return c


def _geoseries(data: Any, what: str) -> gpd.GeoSeries:
    import geopandas as gpd

    if isinstance(data, gpd.GeoDataFrame):
        gs = data.geometry
    elif isinstance(data, gpd.GeoSeries):
        gs = data
    else:
        raise TypeError(f"{what} expects a GeoDataFrame or GeoSeries, got {type(data)!r}")
    if gs.crs is None:
        raise CRSError(
            f"{what}: the data has no CRS, so its coordinates cannot be measured; expected a "
            'GeoDataFrame/GeoSeries with a CRS (e.g. EPSG:4490); fix: gdf.set_crs("EPSG:4490") '
            "if the coordinates are CGCS2000 lon/lat, or declare crs in the catalogue"
        )
    return gs


def area_m2(data: gpd.GeoDataFrame | gpd.GeoSeries, crs: Any = ALBERS_CHINA) -> pd.Series:
    """Area of each geometry in square metres, measured in a projected CRS.

    Parameters
    ----------
    data : GeoDataFrame or GeoSeries
        Geometries with a CRS (any CRS; they are reprojected).
    crs : pyproj.CRS or str, default :data:`ALBERS_CHINA`
        The CRS to measure in; validated by :func:`require_measurable` (so ``"EPSG:4490"`` or
        ``"EPSG:3857"`` raise :class:`~zoning.errors.ProjectionError`). Use
        ``gk_crs_for(data)`` for site metrics.

    Returns
    -------
    pandas.Series
        Float areas named ``"area_m2"``, with the input's index.

    Raises
    ------
    CRSError
        When the data has no CRS.
    ProjectionError
        When ``crs`` cannot measure (degrees, Mercator, None).
    """
    target = require_measurable(crs, "area")
    gs = _geoseries(data, "area_m2")
    return gs.to_crs(target).area.rename("area_m2")


def length_m(data: gpd.GeoDataFrame | gpd.GeoSeries, crs: Any = None) -> pd.Series:
    """Length (perimeter for polygons) of each geometry in metres, in a projected CRS.

    Parameters
    ----------
    data : GeoDataFrame or GeoSeries
        Geometries with a CRS.
    crs : pyproj.CRS or str, optional
        The CRS to measure in, validated by :func:`require_measurable`. By default the local
        Gauss–Krüger zone (:func:`gk_crs_for`), which is conformal: lengths within its 3-degree
        strip are true to < 0.03 % (an equal-area projection distorts lengths by up to ~1 %).

    Returns
    -------
    pandas.Series
        Float lengths named ``"length_m"``, with the input's index.
    """
    gs = _geoseries(data, "length_m")
    target = require_measurable(gk_crs_for(gs) if crs is None else crs, "length")
    return gs.to_crs(target).length.rename("length_m")


# ---------------------------------------------------------------------------------------------
# Declared CRSs and their sanity checks
# ---------------------------------------------------------------------------------------------


def _suggest_gk_for_metres(minx: float, maxx: float) -> str:
    """Suggest a GK zone for projected-looking x values."""
    zone = int(minx // 1_000_000)
    if 25 <= zone <= 45 and int(maxx // 1_000_000) == zone:
        epsg = _GK3_PREFIXED_FIRST_EPSG + zone - 25
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
        crs = _as_crs(declared, what=f"declared CRS of {what}")
        gdf = gdf.set_crs(crs, allow_override=True)
    elif declared is not None:
        dc = _as_crs(declared, what=f"declared CRS of {what}")
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


# ---------------------------------------------------------------------------------------------
# GCJ-02
# ---------------------------------------------------------------------------------------------

# Constants of the public GCJ-02 offset formula (Krasovsky semi-major axis and e²).
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where the GCJ-02 offset is not applied (outside the usual China bounding box)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_delta(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS84 positions (zero outside China)."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    )
    rad = np.radians(lat)
    magic = 1.0 - _GCJ_EE * np.sin(rad) ** 2
    sq = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sq) * pi)
    dlon = dlon * 180.0 / (_GCJ_A / sq * np.cos(rad) * pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _out(lon: NDArray, lat: NDArray, scalar: bool) -> tuple[Any, Any]:
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Apply the GCJ-02 offset to WGS84 (≈ CGCS2000) lon/lat (vectorised).

    Parameters
    ----------
    lon, lat : float or array-like
        WGS84 degrees. Points outside China are returned unchanged.

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02: floats for scalar input, else float arrays of the input shape.
    """
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    lo = np.asarray(lon, dtype=float)
    la = np.asarray(lat, dtype=float)
    dlon, dlat = _gcj_delta(lo, la)
    return _out(lo + dlon, la + dlat, scalar)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, iterations: int = 10, *, tol_deg: float = 1e-11
) -> tuple[Any, Any]:
    """Remove the GCJ-02 offset: GCJ-02 lon/lat → WGS84 (vectorised, iterated).

    The inverse has no closed form; it is solved by fixed-point iteration
    ``w ← g − δ(w)``. The offset δ varies slowly (its gradient is a few 1e-3), so each step
    shrinks the error ~300-fold: from the ~500 m offset to < 1e-6 m in four steps.

    Parameters
    ----------
    lon, lat : float or array-like
        GCJ-02 degrees. Points outside China are returned unchanged.
    iterations : int, default 10
        Maximum number of iterations (stops early once every point moved less than ``tol_deg``).
    tol_deg : float, default 1e-11
        Convergence threshold in degrees (1e-11° ≈ 1 µm).

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS84: floats for scalar input, else arrays of the input shape.
    """
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations}")
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(iterations):
        dlon, dlat = _gcj_delta(wlon, wlat)
        nlon, nlat = glon - dlon, glat - dlat
        step = max(
            float(np.nanmax(np.abs(nlon - wlon), initial=0.0)),
            float(np.nanmax(np.abs(nlat - wlat), initial=0.0)),
        )
        wlon, wlat = nlon, nlat
        if step < tol_deg:
            break
    return _out(wlon, wlat, scalar)


_GEOD = pyproj.Geod(ellps="GRS80")


def gcj02_shift_m(lon: ArrayLike, lat: ArrayLike) -> Any:
    """Magnitude in metres of the GCJ-02 shift at WGS84 positions (geodesic on GRS80).

    Examples
    --------
    >>> 300 < gcj02_shift_m(112.55, 37.87) < 700   # Taiyuan
    True
    """
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    lo = np.asarray(lon, dtype=float)
    la = np.asarray(lat, dtype=float)
    glon, glat = wgs84_to_gcj02(lo, la)
    _, _, dist = _GEOD.inv(lo, la, np.asarray(glon), np.asarray(glat))
    dist = np.asarray(dist, dtype=float)
    return float(dist) if scalar else dist


def _transform_xy(func: Any) -> Any:
    def apply(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        out = coords.copy()
        x, y = func(coords[:, 0], coords[:, 1])
        out[:, 0] = x
        out[:, 1] = y
        return out

    return apply


def _apply_lonlat(data: Any, func: Any, what: str) -> Any:
    import geopandas as gpd
    import shapely

    if isinstance(data, shapely.Geometry):
        return shapely.transform(data, _transform_xy(func), include_z=None)
    if not isinstance(data, gpd.GeoDataFrame | gpd.GeoSeries):
        raise TypeError(f"{what} expects a GeoDataFrame, GeoSeries or geometry, got {type(data)!r}")
    gs = _geoseries(data, what)
    crs = pyproj.CRS.from_user_input(gs.crs)
    work = gs if crs.is_geographic else gs.to_crs(CGCS2000)
    moved = shapely.transform(np.asarray(work.values), _transform_xy(func), include_z=None)
    new = gpd.GeoSeries(moved, index=gs.index, crs=work.crs, name=gs.name)
    if not crs.is_geographic:
        new = new.to_crs(crs)
    if isinstance(data, gpd.GeoSeries):
        return new
    out = data.copy()
    out[data.geometry.name] = new
    return out


def to_gcj02(data: Any) -> Any:
    """Shift geometries from WGS84/CGCS2000 to GCJ-02 (for comparisons and tests).

    Parameters
    ----------
    data : GeoDataFrame, GeoSeries or shapely geometry
        Frames need a CRS; projected frames are converted to lon/lat and back. A bare geometry
        is assumed to be lon/lat.

    Returns
    -------
    Same type as ``data``, index and CRS kept.
    """
    return _apply_lonlat(data, wgs84_to_gcj02, "to_gcj02")


def from_gcj02(data: Any) -> Any:
    """Undo the GCJ-02 shift of geometries (Amap / Tencent data → WGS84 ≈ CGCS2000).

    The frame's CRS label is kept as is: GCJ-02 data is usually labelled EPSG:4326, and after
    the correction that label is true.
    """
    return _apply_lonlat(data, gcj02_to_wgs84, "from_gcj02")


@dataclass(frozen=True)
class Gcj02Check:
    """Result of :func:`detect_gcj02`.

    Attributes
    ----------
    likely_gcj02 : bool
        True when the data looks GCJ-02-shifted relative to the reference.
    offset_m : float
        Median distance (m) from sampled boundary points of the data to the nearest reference
        boundary, as given.
    offset_after_correction_m : float
        The same after applying :func:`gcj02_to_wgs84` to the data.
    message : str
        Human explanation, with the fix when flagged.
    """

    likely_gcj02: bool
    offset_m: float
    offset_after_correction_m: float
    message: str


def _explode(geoms: NDArray[np.object_]) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Split geometries into (linear parts: lines and polygon rings, point parts)."""
    import shapely

    parts = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    while len(parts) and (shapely.get_type_id(parts) >= 4).any():  # multi-parts, collections
        parts = shapely.get_parts(parts)
    parts = parts[~shapely.is_empty(parts)]
    tid = shapely.get_type_id(parts)
    rings = shapely.get_rings(parts[tid == 3])
    linear = np.concatenate([parts[(tid == 1) | (tid == 2)], rings])
    return linear, parts[tid == 0]


def _short_pieces(lines: NDArray[np.object_], max_segments: int = 32) -> NDArray[np.object_]:
    """Cut lines (and rings) into consecutive pieces of at most ``max_segments`` segments.

    Neighbouring pieces share their end vertex, so the distance from any point to the nearest
    piece equals its distance to the nearest whole line, while an STRtree of short pieces
    prunes what a tree of a few long county rings cannot (nearest queries 10-20x faster).

    Examples
    --------
    >>> import shapely
    >>> line = shapely.LineString([(i, i % 2) for i in range(100)])
    >>> pieces = _short_pieces(np.array([line]), 32)
    >>> [len(p.coords) for p in pieces]
    [33, 33, 33, 4]
    >>> bool(shapely.distance(shapely.Point(50, 5), line) == min(
    ...     shapely.distance(shapely.Point(50, 5), pieces)))
    True
    """
    import shapely

    if not len(lines):
        return lines
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    counts = np.bincount(owner, minlength=len(lines))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(coords)) - starts[owner]
    last = np.maximum(counts - 2, 0) // max_segments  # index of each line's last piece
    first_piece = np.concatenate([[0], np.cumsum(last + 1)[:-1]])
    local = np.minimum(pos // max_segments, last[owner])
    # a vertex that starts piece j > 0 also ends piece j - 1
    shared = (pos % max_segments == 0) & (pos > 0) & (pos // max_segments <= last[owner])
    piece = np.concatenate([first_piece[owner] + local, (first_piece[owner] + local - 1)[shared]])
    order_pos = np.concatenate([pos, pos[shared]])
    xy = np.concatenate([coords, coords[shared]])
    order = np.lexsort((order_pos, piece))
    return shapely.linestrings(xy[order], indices=piece[order])


def _sample_boundary_points(gs: gpd.GeoSeries, n: int) -> NDArray[np.float64]:
    """About ``n`` points spread evenly (by length) along the boundaries / lines / points."""
    import shapely

    linear, points = _explode(np.asarray(gs.values))
    pts = [shapely.get_coordinates(points)]
    lengths = shapely.length(linear)
    total = float(lengths.sum())
    if total > 0:
        cum = np.concatenate([[0.0], np.cumsum(lengths)])
        dist = (np.arange(n) + 0.5) * (total / n)
        idx = np.clip(np.searchsorted(cum, dist, side="right") - 1, 0, len(linear) - 1)
        pts.append(
            shapely.get_coordinates(shapely.line_interpolate_point(linear[idx], dist - cum[idx]))
        )
    allpts = np.concatenate(pts)
    if len(allpts) > n:
        allpts = allpts[np.linspace(0, len(allpts) - 1, n).astype(int)]
    return allpts


def detect_gcj02(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    reference: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    sample: int = 2000,
    near_m: float = 2000.0,
) -> Gcj02Check:
    """Check whether data looks GCJ-02-shifted, by comparison with reference boundaries.

    Points spread along the data's boundaries (or lines, or the points themselves) are
    measured against the nearest reference boundary, in the local Gauss–Krüger zone, before and
    after undoing GCJ-02. Data that shares boundaries with the reference (e.g. county polygons
    from Amap versus official CGCS2000 counties) fits it far better after the correction; the
    raw misfit in Shanxi is 300–700 m. Flagged when the raw median misfit is 100–1000 m and the
    correction at least halves it.

    Parameters
    ----------
    gdf : GeoDataFrame or GeoSeries
        The data to check (with a CRS; labelled WGS84/CGCS2000 when it is GCJ-02).
    reference : GeoDataFrame or GeoSeries
        Trusted boundaries in WGS84/CGCS2000 (or any CRS) covering the same area.
    sample : int, default 2000
        Number of points sampled along the data.
    near_m : float, default 2000
        Only points within this distance of a reference boundary (before or after correction)
        count: points far from any reference boundary say nothing about a shift.

    Returns
    -------
    Gcj02Check
    """
    import shapely

    data = _geoseries(gdf, "detect_gcj02 (data)")
    ref = _geoseries(reference, "detect_gcj02 (reference)")
    if data.is_empty.all() or ref.is_empty.all():
        raise EmptyInputError(
            "detect_gcj02 needs non-empty data and reference; found an empty one; fix: check "
            "the inputs"
        )
    data_ll = data if pyproj.CRS(data.crs).is_geographic else data.to_crs(CGCS2000)
    measure = gk_crs_for(ref)
    to_m = pyproj.Transformer.from_crs(data_ll.crs, measure, always_xy=True)

    ref_m = ref.to_crs(measure)
    ref_linear, ref_points = _explode(np.asarray(ref_m.values))
    tree = shapely.STRtree(np.concatenate([_short_pieces(ref_linear), ref_points]))

    # sample along the data's edges as drawn in the measuring CRS (straight there, like the
    # reference's), then go back to lon/lat to undo GCJ-02 on the sampled points
    pts_m = _sample_boundary_points(data_ll.to_crs(measure), sample)
    to_ll = pyproj.Transformer.from_crs(measure, data_ll.crs, always_xy=True)
    pts = np.column_stack(to_ll.transform(pts_m[:, 0], pts_m[:, 1])) if len(pts_m) else pts_m
    fixed = np.column_stack(gcj02_to_wgs84(pts[:, 0], pts[:, 1])) if len(pts) else pts

    def distances(lonlat: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = to_m.transform(lonlat[:, 0], lonlat[:, 1])
        _, d = tree.query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
        return np.asarray(d, dtype=float)

    d_raw = distances(pts) if len(pts) else np.empty(0)
    d_fix = distances(fixed) if len(pts) else np.empty(0)
    near = np.minimum(d_raw, d_fix) <= near_m
    if int(near.sum()) < 10:
        return Gcj02Check(
            likely_gcj02=False,
            offset_m=float(np.median(d_raw)) if len(d_raw) else float("nan"),
            offset_after_correction_m=float(np.median(d_fix)) if len(d_fix) else float("nan"),
            message=(
                f"cannot tell: only {int(near.sum())} of {len(pts)} sampled points lie within "
                f"{near_m:.0f} m of a reference boundary; expected data that shares boundaries "
                "with the reference (e.g. admin units against admin units)"
            ),
        )
    raw = float(np.median(d_raw[near]))
    after = float(np.median(d_fix[near]))
    likely = 100.0 <= raw <= 1000.0 and after <= 0.5 * raw
    if likely:
        msg = (
            f"looks GCJ-02-shifted: median misfit to the reference is {raw:.0f} m as given and "
            f"{after:.0f} m after removing the GCJ-02 offset (expected < 100 m for WGS84/CGCS2000 "
            "data); fix: convert it with zoning.crs.from_gcj02(gdf) and save the result before "
            "using it (Amap / Tencent / many Chinese web-map exports are GCJ-02)"
        )
    else:
        msg = (
            f"no sign of GCJ-02: median misfit to the reference is {raw:.0f} m as given and "
            f"{after:.0f} m after a GCJ-02 correction"
        )
    return Gcj02Check(likely, raw, after, msg)


def project(data: Any, crs: Any = ALBERS_CHINA) -> Any:
    """Reproject to a measurable CRS and repair what reprojection broke.

    Reprojection moves collinear vertices off their line by round-off, so a polygon that is
    valid in EPSG:4490 (a ring touching itself at a vertex, cells of a raster outline) can
    come out invalid, and GEOS then refuses overlays on it. Those geometries — and only
    those — are repaired with ``make_valid``, keeping the parts of the original dimension.
    Use this instead of ``to_crs`` before any overlay measured in metres.

    Parameters
    ----------
    data : GeoDataFrame or GeoSeries
        With a CRS.
    crs : CRS-like, default :data:`ALBERS_CHINA`
        Target CRS, validated by :func:`require_measurable`.

    Returns
    -------
    GeoDataFrame or GeoSeries
        Same type and index as ``data``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> gs = gpd.GeoSeries([box(112, 37, 112.1, 37.1)], crs="EPSG:4490")
    >>> bool(project(gs).is_valid.all())
    True
    """
    import geopandas as gpd
    import shapely

    target = require_measurable(crs, "overlay")
    _geoseries(data, "project")  # a CRS is required
    out = data.to_crs(target)
    geoms = out.geometry.to_numpy() if isinstance(out, gpd.GeoDataFrame) else out.to_numpy()
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if not bad.any():
        return mark_valid(out, target)
    fixed = geoms.copy()
    dims = shapely.get_dimensions(geoms[bad])
    # "structure" keeps the area (shells minus holes); "linework" could fill an inverted hole
    repaired = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
    for i, (geom, dim) in enumerate(zip(repaired, dims, strict=True)):
        parts = [p for p in shapely.get_parts(geom) if shapely.get_dimensions(p) == dim]
        repaired[i] = shapely.union_all(parts) if len(parts) > 1 else (parts[0] if parts else geom)
    fixed[bad] = repaired
    series = gpd.GeoSeries(fixed, index=out.index, crs=target)
    if isinstance(out, gpd.GeoDataFrame):
        return mark_valid(out.set_geometry(series.rename(out.geometry.name)), target)
    return mark_valid(series, target)


def mark_valid(data: Any, crs: Any) -> Any:
    """Record in ``data.attrs`` that every geometry is valid in ``crs`` (:data:`VALID_IN`)."""
    data.attrs[VALID_IN] = pyproj.CRS.from_user_input(crs).to_wkt()
    return data


def is_marked_valid(data: Any, crs: Any) -> bool:
    """Whether ``data`` is in ``crs`` and :func:`project` checked it valid there."""
    if data.crs is None:
        return False
    target = pyproj.CRS.from_user_input(crs)
    return data.attrs.get(VALID_IN) == target.to_wkt() and data.crs.equals(target)
