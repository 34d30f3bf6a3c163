"""A site sent as GeoJSON in a JSON body, turned into the sites frame without a file.

``POST /api/screen`` with ``{"site": …}`` used to write the site into the request's private
folder and read it back with GDAL (:func:`zoning.serve.uploads.write_site_geojson`, then
:func:`zoning.screening.request.read_sites`), as ``zoning screen FILE`` reads it: opening the
file twice (layers, then features) cost more than the rest of the request apart from the
screening itself. For the sites the page draws and scripts send (plain points, lines and
polygons in 2-D, with text properties or none) the frame is built here directly, with the
same CRS checks (:func:`zoning.declared_crs.ensure_crs`, with the would-be file's name for the
messages, which :func:`zoning.serve.uploads.scrub` replaces). Anything else — a 3-D
coordinate, an unclosed ring, an empty part, a feature ``id``, a number, date-like text or
mixed keys in the properties, the collection's own ``crs`` member, GCJ-02, a large site —
takes the file path, so that what GDAL would do differently (turn a feature's ``id`` or a date
into a column of another type, close a ring, read an empty geometry) never differs here.
``tests/test_serve_site_body.py`` checks the frame and the screening against the file path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["MAX_POSITIONS", "plan_body_sites", "sites_from_plan"]

#: larger sites take the file path (this check runs in the server's main process)
MAX_POSITIONS = 2000

#: text GDAL may read as a date, a time or a number-like field: such properties take the file
_DATE_LIKE = re.compile(r"^[\d\s:/.+TZtz-]*$")

_DEPTH = {"Point": 0, "LineString": 1, "MultiPoint": 1, "Polygon": 2, "MultiLineString": 2}
_DEPTH["MultiPolygon"] = 3


class _Unsupported(Exception):
    """The site needs the file path."""


def _position(p: Any) -> int:
    if not isinstance(p, list) or len(p) != 2:
        raise _Unsupported
    for v in p:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise _Unsupported
    return 1


def _check_line(coords: Any, closed: bool) -> int:
    if not isinstance(coords, list) or len(coords) < (4 if closed else 2):
        raise _Unsupported
    n = sum(_position(p) for p in coords)
    if closed and coords[0] != coords[-1]:
        raise _Unsupported
    return n


def _check_geometry(geom: Any) -> int:
    """Positions of a supported geometry; :class:`_Unsupported` for anything else."""
    if not isinstance(geom, Mapping) or set(geom) != {"type", "coordinates"}:
        raise _Unsupported
    kind, coords = geom["type"], geom["coordinates"]
    if kind == "Point":
        return _position(coords)
    if kind == "LineString":
        return _check_line(coords, closed=False)
    if kind not in _DEPTH or not isinstance(coords, list) or not coords:
        raise _Unsupported
    if kind == "MultiPoint":
        return sum(_position(p) for p in coords)
    if kind == "MultiLineString":
        return sum(_check_line(c, closed=False) for c in coords)
    if kind == "Polygon":
        return sum(_check_line(c, closed=True) for c in coords)
    n = 0  # MultiPolygon
    for poly in coords:
        if not isinstance(poly, list) or not poly:
            raise _Unsupported
        n += sum(_check_line(c, closed=True) for c in poly)
    return n


def _check_properties(props: Any) -> tuple[str, ...]:
    if props is None:
        return ()
    if not isinstance(props, Mapping):
        raise _Unsupported
    for key, value in props.items():
        if not isinstance(key, str) or not key or key.lower() in ("geometry", "fid"):
            raise _Unsupported
        if not isinstance(value, str) or _DATE_LIKE.match(value):
            raise _Unsupported
    return tuple(props)


def plan_body_sites(collection: Mapping[str, Any], epsg: int) -> dict[str, Any] | None:
    """Return what :func:`sites_from_plan` needs, or None when the site must take the file path.

    Parameters
    ----------
    collection : mapping
        The request's site as a FeatureCollection
        (the file of :func:`zoning.serve.uploads.site_document`).
    epsg : int
        The EPSG code the file would declare.

    Returns
    -------
    dict or None
        ``{"epsg", "geometries", "properties", "keys"}``: plain JSON values, cheap to send to a
        worker process.
    """
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        return None
    try:
        keys: tuple[str, ...] | None = None
        positions = 0
        for f in features:
            if not isinstance(f, Mapping) or f.get("type") != "Feature":
                raise _Unsupported
            if not set(f) <= {"type", "geometry", "properties"}:
                raise _Unsupported
            positions += _check_geometry(f.get("geometry"))
            k = _check_properties(f.get("properties"))
            if keys is not None and k != keys:
                raise _Unsupported
            keys = k
            if positions > MAX_POSITIONS:
                raise _Unsupported
    except _Unsupported:
        return None
    return {
        "epsg": int(epsg),
        "geometries": [f["geometry"] for f in features],
        "properties": [dict(f.get("properties") or {}) for f in features],
        "keys": list(keys or ()),
    }


def sites_from_plan(plan: Mapping[str, Any], shown_path: Path) -> gpd.GeoDataFrame:
    """Build the sites frame of :func:`plan_body_sites`: what reading its file would give.

    Parameters
    ----------
    plan : mapping
        From :func:`plan_body_sites`.
    shown_path : Path
        The file the site would have been written to, named in the CRS messages.

    Returns
    -------
    GeoDataFrame
        One row per feature, the text properties as columns, the declared CRS, checked as
        :func:`zoning.io.read_vector` checks a file's.

    Raises
    ------
    CRSError
        As :func:`zoning.screening.request.read_sites` would raise it on the file
        (coordinates that cannot be in the declared CRS), with the same message.
    """
    import geopandas as gpd
    import shapely.geometry

    from zoning.declared_crs import ensure_crs
    from zoning.errors import CRSError

    geoms = [shapely.geometry.shape(g) for g in plan["geometries"]]
    columns = {k: [p[k] for p in plan["properties"]] for k in plan["keys"]}
    frame = gpd.GeoDataFrame(columns, geometry=geoms, crs=f"EPSG:{plan['epsg']}")
    try:
        return ensure_crs(frame, None, what=str(shown_path))
    except CRSError as exc:  # worded as read_sites words it for the file
        raise CRSError(f"{exc} (site file {shown_path})") from None
