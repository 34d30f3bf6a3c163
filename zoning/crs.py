"""Coordinate reference systems done right: CGCS2000, Gauss–Krüger zones, Albers.

Rules this module enforces (``DESIGN.md``, house style rule 3):

- Data is stored in CGCS2000 geographic coordinates (:data:`CGCS2000`, EPSG:4490).
- Areas and lengths are measured only in a projected CRS in metres: the equal-area
  :data:`ALBERS_CHINA` for statistics, or the local CGCS2000 3-degree Gauss–Krüger zone
  (:func:`gk_crs_for`, EPSG:4534–4554) for site metrics. Asking for a measure in degrees or in
  any Mercator (Web Mercator included) raises :class:`~zoning.errors.ProjectionError`.
- A missing CRS is an error unless one is declared, and declarations that cannot be right
  (metres labelled as degrees, swapped lon/lat) are caught (:mod:`zoning.declared_crs`).
- Chinese web-map data in GCJ-02 ("Mars coordinates") is converted and detected in
  :mod:`zoning.gcj02`.

Examples
--------
>>> from zoning.crs import gk_epsg_for_lon
>>> gk_epsg_for_lon(112.55)   # Taiyuan: central meridian 114E
4547
"""

from __future__ import annotations

import logging
import math
import threading
import warnings
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pyproj

from zoning.errors import CRSError, EmptyInputError, ProjectionError
from zoning.io.sources import proj_offline

proj_offline()  # PROJ never downloads grids: zoning is offline (issue 12)

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = [
    "ALBERS_CHINA",
    "CGCS2000",
    "GK3_PREFIXED_FIRST_EPSG",
    "VALID_IN",
    "WGS84",
    "area_m2",
    "cached_transformer",
    "describe_crs",
    "geoseries_with_crs",
    "gk_central_meridian",
    "gk_crs_for",
    "gk_epsg_for_lon",
    "is_gk_crs",
    "is_marked_valid",
    "length_m",
    "mark_valid",
    "project",
    "require_measurable",
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
#: EPSG code of zone 25 of the zone-prefixed CGCS2000 3-degree Gauss–Krüger zones.
GK3_PREFIXED_FIRST_EPSG = 4513
_GK3_FIRST_CM = 75
_GK3_LAST_CM = 135

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
    if GK3_PREFIXED_FIRST_EPSG <= epsg <= GK3_PREFIXED_FIRST_EPSG + 20:
        return float(_GK3_FIRST_CM + 3 * (epsg - GK3_PREFIXED_FIRST_EPSG))
    return None


@lru_cache(maxsize=256)
def _epsg(c: pyproj.CRS) -> int | None:
    # identification searches the PROJ database (~0.1 s for a custom CRS): cached
    if not c.is_projected:
        return None
    return c.to_epsg(min_confidence=90)


def is_gk_crs(crs: Any) -> bool:
    """Tell whether ``crs`` is a CGCS2000 3-degree Gauss–Krüger CRS (EPSG:4513–4554)."""
    return gk_central_meridian(crs) is not None


def _lonlat_bounds(obj: Any) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) in lon/lat of a geometry (assumed lon/lat) or a geo frame."""
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

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
        minx, miny, maxx, maxy = (float(v) for v in obj.total_bounds)
        crs = pyproj.CRS.from_user_input(obj.crs)
        if not crs.is_geographic:
            t = pyproj.Transformer.from_crs(crs, CGCS2000, always_xy=True)
            minx, miny, maxx, maxy = (float(v) for v in t.transform_bounds(minx, miny, maxx, maxy))
        return minx, miny, maxx, maxy
    if isinstance(obj, BaseGeometry):  # every shapely geometry (Point … GeometryCollection)
        if obj.is_empty:
            raise EmptyInputError(
                "cannot pick a Gauss-Kruger zone for an empty geometry; expected a non-empty "
                "geometry in lon/lat; fix: check the input"
            )
        minx, miny, maxx, maxy = (float(v) for v in obj.bounds)
        return minx, miny, maxx, maxy
    raise TypeError(f"expected a shapely geometry, GeoSeries or GeoDataFrame, got {type(obj)!r}")


def gk_crs_for(obj: Any) -> pyproj.CRS:
    """Return the local CGCS2000 3-degree Gauss–Krüger CRS of some data (for site metrics).

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


def geoseries_with_crs(data: Any, what: str) -> gpd.GeoSeries:
    """Return the geometry of ``data`` as a GeoSeries, refusing data without a CRS.

    Parameters
    ----------
    data : GeoDataFrame or GeoSeries
        The data to measure or move.
    what : str
        The caller, named in messages (``"area_m2"``, ``"to_gcj02"``).

    Returns
    -------
    GeoSeries
        ``data``'s geometry column, or ``data`` itself.

    Raises
    ------
    TypeError
        When ``data`` is neither a GeoDataFrame nor a GeoSeries.
    CRSError
        When it has no CRS.
    """
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
    gs = geoseries_with_crs(data, "area_m2")
    area: pd.Series = gs.to_crs(target).area.rename("area_m2")
    return area


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
    gs = geoseries_with_crs(data, "length_m")
    target = require_measurable(gk_crs_for(gs) if crs is None else crs, "length")
    length: pd.Series = gs.to_crs(target).length.rename("length_m")
    return length


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
    geoseries_with_crs(data, "project")  # a CRS is required
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
    return bool(data.attrs.get(VALID_IN) == target.to_wkt() and data.crs.equals(target))


_TRANSFORMERS = threading.local()


def cached_transformer(src: Any, dst: Any) -> pyproj.Transformer:
    """Return a lon/lat-ordered transformer ``src`` → ``dst``, cached per thread (never shared).

    Building a ``pyproj.Transformer`` costs milliseconds; screening and the GCJ-02 check ask
    for the same few on every request. A transformer is not safe to share between threads,
    so each thread keeps its own (at most 64; the cache starts over beyond that).

    Parameters
    ----------
    src, dst : pyproj.CRS or anything pyproj.CRS accepts
        Source and target CRS.

    Returns
    -------
    pyproj.Transformer
    """
    cache = getattr(_TRANSFORMERS, "cache", None)
    if cache is None:
        cache = _TRANSFORMERS.cache = {}
    key = (_definition(src), _definition(dst))
    tr = cache.get(key)
    if tr is None:
        if len(cache) > 64:
            cache.clear()
        tr = cache[key] = pyproj.Transformer.from_crs(src, dst, always_xy=True)
    return tr


def _definition(crs: Any) -> str:
    """Return a string that identifies ``crs`` (its definition as given, else its WKT)."""
    return getattr(crs, "srs", None) or pyproj.CRS(crs).to_wkt()
