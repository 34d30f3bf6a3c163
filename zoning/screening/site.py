"""Sites before screening: checked, ids found, invalid geometry repaired, GCJ-02 flagged."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zoning.errors import CRSError, EmptyInputError, ZoningUsageError
from zoning.screening.index import crs_key

if TYPE_CHECKING:
    import geopandas as gpd

    from zoning.gcj02 import Gcj02Reference
    from zoning.screening.index import ScreeningIndex

__all__ = ["gcj02_reference", "gcj02_warning", "gk_epsg_of", "prepare_sites"]


def _site_ids(sites: gpd.GeoDataFrame, site_id_field: str | None) -> list[str]:
    if site_id_field is not None:
        if site_id_field not in sites.columns:
            raise ZoningUsageError(
                f"site id field {site_id_field!r} not in the site file; columns: "
                f"{', '.join(map(str, sites.columns))}"
            )
        col: str | None = site_id_field
    else:
        col = next((c for c in ("site_id", "id", "name", "名称") if c in sites.columns), None)
    if col is None:
        return [str(i + 1) for i in range(len(sites))]
    values = sites[col].to_numpy(dtype=object)  # the values iteration gives, in one call
    missing = pd.isna(values).tolist()
    ids = [
        str(i + 1) if na else str(v) for i, (v, na) in enumerate(zip(values, missing, strict=True))
    ]
    if len(set(ids)) != len(ids):  # keep them unique
        counts = Counter(ids)  # (ids.count per site was quadratic)
        ids = [f"{v}#{i + 1}" if counts[v] > 1 else v for i, v in enumerate(ids)]
    return ids


def prepare_sites(
    sites: gpd.GeoDataFrame, site_id_field: str | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Check and repair the sites; return them in EPSG:4490 with ids and a repair note.

    Parameters
    ----------
    sites : GeoDataFrame or GeoSeries
        The sites, with a declared CRS.
    site_id_field : str, optional
        Column holding site ids (default ``site_id``, ``id``, ``name``, ``名称`` or the row).

    Returns
    -------
    (GeoDataFrame, list of str)
        ``site_id``, ``repair`` and the geometry in EPSG:4490; the ids.

    Raises
    ------
    CRSError, EmptyInputError, LayerValidationError, ZoningUsageError
        For sites without a CRS, without geometry, with non-finite coordinates, or an unknown
        id field.
    """
    import geopandas as gpd
    import shapely

    if not isinstance(sites, gpd.GeoDataFrame):
        if isinstance(sites, gpd.GeoSeries):
            sites = gpd.GeoDataFrame(geometry=sites)
        else:
            raise ZoningUsageError(
                f"sites must be a GeoDataFrame, found {type(sites).__name__}; "
                "fix: read the file with zoning.io.read_vector"
            )
    if sites.crs is None:
        raise CRSError(
            "the site data has no CRS; expected one (EPSG:4490, EPSG:4326 or a CGCS2000 "
            "Gauss–Krüger zone); fix: declare it (CLI: --crs EPSG:4490; Python: set_crs)"
        )
    if len(sites) == 0:
        raise EmptyInputError("the site data holds no features; expected at least one site")
    geoms = np.asarray(sites.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.all():
        raise EmptyInputError(
            f"all {len(geoms)} site features have empty or missing geometry; expected at least "
            "one point, line or polygon"
        )
    ids = _site_ids(sites, site_id_field)
    notes = [""] * len(geoms)
    if missing.any():
        bad = [ids[i] for i in np.flatnonzero(missing)]
        raise EmptyInputError(
            f"{len(bad)} site(s) have empty or missing geometry: {', '.join(bad[:10])}; "
            "expected a point, line or polygon for every feature; fix: remove or redraw them"
        )
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    bad_xy = ~np.isfinite(coords).all(axis=1)
    if bad_xy.any():
        from zoning.errors import LayerValidationError, Problem

        rows = tuple(dict.fromkeys(ids[i] for i in owner[bad_xy]))
        raise LayerValidationError(
            "site data",
            [
                Problem(
                    "non_finite_coordinates",
                    f"{len(rows)} site(s) have NaN or infinite coordinates: "
                    f"{', '.join(rows[:10])}; expected finite numbers; fix: redraw or remove them",
                    rows=rows,
                )
            ],
        )
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        for i in np.flatnonzero(invalid):
            reason = shapely.is_valid_reason(geoms[i])
            fixed = shapely.make_valid(geoms[i])
            fixed = _keep_top_dimension(fixed)
            notes[i] = f"invalid geometry ({reason}) repaired with make_valid"
            geoms[i] = fixed
    out = gpd.GeoDataFrame(
        {"site_id": ids, "repair": notes},
        geometry=gpd.GeoSeries(geoms, crs=sites.crs),
        crs=sites.crs,
    )
    if crs_key(out.crs) != 4490:  # to_epsg, memoised
        out = out.to_crs("EPSG:4490")
    return out, ids


def _keep_top_dimension(geom: Any) -> Any:
    """From a GeometryCollection keep the parts of the highest dimension."""
    import shapely

    if shapely.get_type_id(geom) != 7:
        return geom
    parts = shapely.get_parts(geom)
    dims = shapely.get_dimensions(parts)
    top = parts[dims == dims.max()]
    return shapely.union_all(top) if len(top) > 1 else top[0]


def gcj02_warning(site_frame: gpd.GeoDataFrame, index: ScreeningIndex) -> list[str]:
    """Flag sites that look GCJ-02 shifted against the admin boundaries near them.

    The county boundaries are prepared once per index and Gauss–Krüger zone
    (:class:`zoning.gcj02.Gcj02Reference`); each call then measures only its own sample,
    searching no farther than the answer needs. The answer is the one of
    :func:`zoning.gcj02.detect_gcj02` against the counties near the sites, which is what runs
    when the prepared search could reach beyond them (sites far north, where 0.05° of
    longitude is short).

    Parameters
    ----------
    site_frame : GeoDataFrame
        The prepared sites (EPSG:4490).
    index : ScreeningIndex
        The catalogue's index (its ``admin`` frame is the reference).

    Returns
    -------
    list of str
        One warning, or none.
    """
    import shapely

    prepared = _gcj02_admin(index)
    if prepared is None:
        return []
    _, envelopes, bounds = prepared
    minx, miny, maxx, maxy = site_frame.total_bounds
    pad = _GCJ02_NEAR_DEG
    near = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    sel = shapely.intersects(near, envelopes)
    if not sel.any():
        return []
    try:
        from zoning.crs import gk_epsg_for_lon
        from zoning.gcj02 import detect_gcj02

        # the zone gk_crs_for(ref) picks: the centre of the nearby counties' bounds
        b = bounds[sel]
        epsg = gk_epsg_for_lon((float(np.nanmin(b[:, 0])) + float(np.nanmax(b[:, 2]))) / 2.0)
        ref = gcj02_reference(index, epsg)
        if ref is None:
            return []
        # every county within this distance of the sites is among the nearby ones
        lat = min(max(abs(miny), abs(maxy)) + 0.1, 89.0)
        reach = 0.9 * pad * min(_DEG_LON_EQ_M * np.cos(np.radians(lat)), _DEG_LAT_M)
        check = ref.check(site_frame, sample=400, reach_m=reach)
        if check is None:
            check = detect_gcj02(site_frame, prepared[0][sel], sample=400)
    except Exception:  # detection is advisory: never fail a screening on it
        return []
    if check.likely_gcj02:
        return [
            f"sites look GCJ-02 shifted (median misfit {check.offset_m:.0f} m against admin "
            f"boundaries, {check.offset_after_correction_m:.0f} m after correction): "
            f"{check.message}"
        ]
    return []


def gcj02_reference(index: ScreeningIndex, epsg: int) -> Gcj02Reference | None:
    """Return the county boundaries of ``index`` prepared for GCJ-02 checks in zone ``epsg``.

    Built on first use and kept on the index (``zoning serve`` prepares every zone of its
    catalogue at start).

    Parameters
    ----------
    index : ScreeningIndex
        The catalogue's index.
    epsg : int
        The Gauss–Krüger zone distances are measured in.

    Returns
    -------
    Gcj02Reference or None
        ``None`` when the index has no admin units.
    """
    if _gcj02_admin(index) is None:
        return None
    ref = index._gcj02_refs.get(epsg)
    if ref is None:
        import pyproj

        from zoning.gcj02 import Gcj02Reference

        ref = Gcj02Reference(index._gcj02_admin[0], pyproj.CRS.from_epsg(epsg))
        index._gcj02_refs[epsg] = ref
    return ref


#: counties whose envelope comes within this many degrees of the sites are the reference
_GCJ02_NEAR_DEG = 0.05
_DEG_LAT_M = 110_574.0
_DEG_LON_EQ_M = 111_320.0


def _gcj02_admin(index: ScreeningIndex) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray] | None:
    """Return the county admin units (EPSG:4490), their envelopes and bounds, once per index."""
    import shapely

    if index._gcj02_admin is not None:
        return index._gcj02_admin or None
    admin = index.admin
    if admin is None or not len(admin):
        index._gcj02_admin = ()
        return None
    if "zone" in admin.columns and (admin["zone"] == "county").any():
        admin = admin[admin["zone"] == "county"]
    admin = admin.to_crs("EPSG:4490") if admin.crs and admin.crs.to_epsg() != 4490 else admin
    geoms = np.asarray(admin.geometry.values, dtype=object)
    prepared = (admin, shapely.envelope(geoms), shapely.bounds(geoms))
    index._gcj02_admin = prepared
    return prepared


def gk_epsg_of(lon: np.ndarray) -> np.ndarray:
    """:func:`zoning.crs.gk_epsg_for_lon` of every longitude, once per central meridian.

    The meridian ``floor(lon / 3 + 0.5)`` is found in numpy (the same IEEE operations as
    ``math``); a longitude that is not finite or out of China's zones is raised for by the
    site-by-site look-up, so the error names the first such site, as before.

    Parameters
    ----------
    lon : numpy.ndarray
        Longitudes in degrees east (the sites' centroids).

    Returns
    -------
    numpy.ndarray
        The EPSG code of each longitude's CGCS2000 3-degree Gauss–Krüger zone.

    Raises
    ------
    CRSError
        For the first longitude that is not finite or outside China's zones.
    """
    from zoning.crs import gk_epsg_for_lon

    key = np.floor(np.asarray(lon, dtype=float) / 3.0 + 0.5)
    try:
        _, first, which = np.unique(key, return_index=True, return_inverse=True)
        codes = np.array([gk_epsg_for_lon(lon[i]) for i in first], dtype=np.int64)
    except CRSError:
        return np.array([gk_epsg_for_lon(x) for x in lon], dtype=np.int64)
    return codes[which.reshape(-1)]
