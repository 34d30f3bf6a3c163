r"""Where an upload lives while it is screened: a private folder, a name the server chooses.

Nothing a client sends names a path on the server. The client's file name is used only for its
suffix (which says the format) and in messages; a name that looks like a path (``/``, ``\``,
``..``, a drive letter, control characters) is refused. The file is written as ``upload<suffix>``
into a fresh folder (mode 0700) made for the request and removed with everything in it when the
request ends, whatever happened. Messages from the readers name that folder; :func:`scrub`
replaces it with the client's file name before they are answered.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from zoning.serve.responses import ApiError

__all__ = [
    "UPLOAD_SUFFIXES",
    "private_folder",
    "scrub",
    "site_document",
    "upload_suffix",
    "write_site_geojson",
]

#: formats accepted as uploads, by suffix (a shapefile comes zipped with its parts)
UPLOAD_SUFFIXES: Mapping[str, str] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".kml": "KML",
    ".kmz": "KMZ",
    ".zip": "zipped Shapefile (or one GeoPackage / GeoJSON / KML inside a .zip)",
    ".gpkg": "GeoPackage",
    ".csv": "CSV with lon/lat or WKT columns",
}

_EXPECTED = ", ".join(sorted(UPLOAD_SUFFIXES))


def upload_suffix(filename: str | None) -> str:
    """Return the lower-case suffix of a client's file name after checking the name.

    Raises
    ------
    ApiError
        400 ``bad_filename`` for a missing or path-like name, 400 ``unsupported_format`` for a
        suffix that is not a site format.

    Examples
    --------
    >>> upload_suffix("选址.GeoJSON")
    '.geojson'
    """
    name = filename or ""
    bad = (
        not name.strip()
        or any(ch in name for ch in "/\\\x00")
        or any(ord(ch) < 32 for ch in name)
        or name.strip(". ") == ""
        or ".." in name
        or (len(name) > 1 and name[1] == ":")
        or len(name) > 255
    )
    if bad:
        raise ApiError(
            400,
            "bad_filename",
            f"the uploaded file name {name!r} looks like a path or is empty; expected a plain "
            f"file name such as sites.geojson; fix: rename the file (no folders, no '..')",
        )
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ApiError(
            400,
            "unsupported_format",
            f"the uploaded file {name!r} has the suffix {suffix or '(none)'!r}; expected one of "
            f"{_EXPECTED}; fix: export the sites to GeoJSON, KML/KMZ, GeoPackage, CSV or a "
            "zipped shapefile",
        )
    return suffix


@contextmanager
def private_folder(root: Path | None = None) -> Iterator[Path]:
    """Make a fresh folder only this process can read (0700), removed with it at exit."""
    folder = Path(tempfile.mkdtemp(prefix="zoning-serve-", dir=root))
    try:
        os.chmod(folder, 0o700)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def scrub(message: str, path: Path, shown: str) -> str:
    """Replace the private file ``path`` (and its folder) in ``message`` by the name ``shown``."""
    for full in sorted({str(path.resolve()), str(path)}, key=len, reverse=True):
        message = message.replace(full, shown)
    for base in sorted({str(path.parent.resolve()), str(path.parent)}, key=len, reverse=True):
        message = message.replace(base, "<upload>")
    return message


def _crs_code(crs: str) -> int:
    import pyproj

    try:
        code = pyproj.CRS.from_user_input(crs).to_epsg()
    except pyproj.exceptions.CRSError:
        code = None
    if code is None:
        raise ApiError(
            400,
            "bad_crs",
            f"crs {crs!r} is not a CRS with an EPSG code; expected e.g. EPSG:4490 (CGCS2000 "
            "lon/lat), EPSG:4326, a CGCS2000 Gauss–Krüger zone such as EPSG:4527, or 'gcj02'; "
            "fix: give the EPSG code of the coordinates",
        )
    return int(code)


def _feature_collection(site: Any) -> dict[str, Any]:
    kind = site.get("type") if isinstance(site, Mapping) else None
    if kind == "FeatureCollection" and isinstance(site.get("features"), list):
        return {"type": "FeatureCollection", "features": site["features"]}
    if kind == "Feature":
        return {"type": "FeatureCollection", "features": [site]}
    geometry_types = {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
    if kind in geometry_types:
        feature = {"type": "Feature", "properties": {}, "geometry": site}
        return {"type": "FeatureCollection", "features": [feature]}
    found = f"type {kind!r}" if kind else type(site).__name__
    raise ApiError(
        400,
        "bad_site",
        f"'site' holds {found}; expected a GeoJSON geometry, Feature or FeatureCollection; fix: "
        'send e.g. {"type": "Polygon", "coordinates": [[[lon, lat], …]]}',
    )


def site_document(site: Any, crs: str | None) -> tuple[dict[str, Any], int | None]:
    """Return the GeoJSON file a request's ``site`` is screened as, and the EPSG code it declares.

    The CRS is the file's ``crs`` member (``urn:ogc:def:crs:EPSG::<code>``), so
    ``zoning screen FILE --json`` on the file gives the same answer. Without ``crs`` the
    FeatureCollection's own ``crs`` member is kept (the code is then None: the file says it),
    else EPSG:4490 is written; for ``gcj02`` the file has none (GeoJSON's default, lon/lat; the
    code is None) and the caller converts.

    Raises
    ------
    ApiError
        400 ``bad_site`` for a site that is not GeoJSON, 400 ``bad_crs`` for a ``crs`` without
        an EPSG code.
    """
    from zoning.screening.request import is_gcj02

    doc = _feature_collection(site)
    own = site.get("crs") if isinstance(site, Mapping) else None
    if crs is None and isinstance(own, Mapping):
        return {"type": "FeatureCollection", "crs": own, "features": doc["features"]}, None
    if is_gcj02(crs):
        return doc, None
    code = _crs_code(crs or "EPSG:4490")
    urn = f"urn:ogc:def:crs:EPSG::{code}"
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": urn}},
        "features": doc["features"],
    }
    return doc, code


def write_site_geojson(site: Any, crs: str | None, path: Path) -> None:
    """Write a request's ``site`` as the GeoJSON file of :func:`site_document`."""
    doc, _ = site_document(site, crs)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
