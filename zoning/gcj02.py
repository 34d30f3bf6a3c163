"""GCJ-02, the shifted coordinates of Chinese web maps: convert, measure and detect them.

Chinese web-map data (Amap, Tencent, Baidu-derived) is often GCJ-02 ("Mars coordinates"),
shifted 300–700 m in Shanxi from WGS84 (≈ CGCS2000, :mod:`zoning.crs`).
:func:`wgs84_to_gcj02` applies the public offset formula, :func:`gcj02_to_wgs84` undoes it by
fixed-point iteration, :func:`to_gcj02` / :func:`from_gcj02` move whole frames and geometries,
and :func:`detect_gcj02` flags a layer that fits trusted boundaries far better once corrected.

Examples
--------
>>> from zoning.gcj02 import wgs84_to_gcj02, gcj02_to_wgs84
>>> lon, lat = wgs84_to_gcj02(112.55, 37.87)
>>> back = gcj02_to_wgs84(lon, lat)
>>> abs(back[0] - 112.55) < 1e-9 and abs(back[1] - 37.87) < 1e-9
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pyproj

from zoning.crs import CGCS2000, cached_transformer, geoseries_with_crs, gk_crs_for
from zoning.errors import EmptyInputError

if TYPE_CHECKING:
    import geopandas as gpd
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Gcj02Check",
    "Gcj02Reference",
    "detect_gcj02",
    "from_gcj02",
    "gcj02_shift_m",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_gcj02",
    "wgs84_to_gcj02",
]


# Constants of the public GCJ-02 offset formula (Krasovsky semi-major axis and e²).
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Tell where the GCJ-02 offset is not applied (outside the usual China bounding box)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_delta(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
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


def _out(lon: NDArray[np.float64], lat: NDArray[np.float64], scalar: bool) -> tuple[Any, Any]:
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
        # types-shapely 2.1 says include_z: bool; shapely 2.2 takes None (infer per geometry)
        return shapely.transform(data, _transform_xy(func), include_z=None)  # type: ignore[call-overload]
    if not isinstance(data, gpd.GeoDataFrame | gpd.GeoSeries):
        raise TypeError(f"{what} expects a GeoDataFrame, GeoSeries or geometry, got {type(data)!r}")
    gs = geoseries_with_crs(data, what)
    crs = pyproj.CRS.from_user_input(gs.crs)
    work = gs if crs.is_geographic else gs.to_crs(CGCS2000)
    # types-shapely 2.1 says include_z: bool; shapely 2.2 takes None (infer per geometry)
    moved = shapely.transform(np.asarray(work.values), _transform_xy(func), include_z=None)  # type: ignore[call-overload]
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
    # with indices= shapely returns an array of lines, never one line
    return cast("NDArray[np.object_]", shapely.linestrings(xy[order], indices=piece[order]))


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
    data = geoseries_with_crs(gdf, "detect_gcj02 (data)")
    ref = geoseries_with_crs(reference, "detect_gcj02 (reference)")
    if data.is_empty.all() or ref.is_empty.all():
        raise EmptyInputError(
            "detect_gcj02 needs non-empty data and reference; found an empty one; fix: check "
            "the inputs"
        )
    check = Gcj02Reference(ref, gk_crs_for(ref)).check(data, sample=sample, near_m=near_m)
    assert check is not None  # unbounded: always an answer
    return check


class Gcj02Reference:
    """Reference boundaries prepared once for many GCJ-02 checks (:func:`detect_gcj02`).

    The boundaries are projected into ``measure`` and cut into short pieces under an STRtree
    once; a server screening one site per request then pays only for the site's own sample.

    Parameters
    ----------
    reference : GeoDataFrame or GeoSeries
        Trusted boundaries (with a CRS), non-empty.
    measure : pyproj.CRS
        The projected CRS distances are measured in (a Gauss–Krüger zone).
    """

    def __init__(self, reference: gpd.GeoDataFrame | gpd.GeoSeries, measure: pyproj.CRS):
        import shapely

        ref = geoseries_with_crs(reference, "Gcj02Reference (reference)")
        self.measure = measure
        ref_m = ref.to_crs(measure)
        ref_linear, ref_points = _explode(np.asarray(ref_m.values))
        self.pieces = np.concatenate([_short_pieces(ref_linear), ref_points])
        self.tree = shapely.STRtree(self.pieces)

    def check(
        self,
        gdf: gpd.GeoDataFrame | gpd.GeoSeries,
        *,
        sample: int = 2000,
        near_m: float = 2000.0,
        reach_m: float | None = None,
    ) -> Gcj02Check | None:
        """Check ``gdf`` against the prepared boundaries (as :func:`detect_gcj02`).

        Parameters
        ----------
        gdf : GeoDataFrame or GeoSeries
            The data to check, with a CRS.
        sample : int, default 2000
            Number of points sampled along the data.
        near_m : float, default 2000
            Only points within this distance of a boundary count.
        reach_m : float, optional
            The boundaries are known complete only within this distance (m) of the data (a
            subset near it). Nearest boundaries are then searched only as far as the answer
            needs (``near_m`` plus the largest shift), and ``None`` is returned when that
            search would reach beyond ``reach_m``. A "cannot tell" answer then counts the
            misfit of farther points as infinite.

        Returns
        -------
        Gcj02Check or None
            ``None`` only with ``reach_m``, when the answer could depend on boundaries
            farther away.
        """
        import shapely

        data = geoseries_with_crs(gdf, "detect_gcj02 (data)")
        measure = self.measure
        crs = data.crs if isinstance(data.crs, pyproj.CRS) else pyproj.CRS(data.crs)
        data_ll = data if crs.is_geographic else data.to_crs(CGCS2000)
        to_m = cached_transformer(data_ll.crs, measure)
        tree: Any = self.tree

        # sample along the data's edges as drawn in the measuring CRS (straight there, like the
        # reference's), then go back to lon/lat to undo GCJ-02 on the sampled points
        pts_m = _sample_boundary_points(data_ll.to_crs(measure), sample)
        to_ll = cached_transformer(measure, data_ll.crs)
        pts = np.column_stack(to_ll.transform(pts_m[:, 0], pts_m[:, 1])) if len(pts_m) else pts_m
        fixed = np.column_stack(gcj02_to_wgs84(pts[:, 0], pts[:, 1])) if len(pts) else pts
        xy_raw = np.column_stack(to_m.transform(pts[:, 0], pts[:, 1])) if len(pts) else pts
        xy_fix = np.column_stack(to_m.transform(fixed[:, 0], fixed[:, 1])) if len(pts) else pts

        max_distance = None
        if reach_m is not None and len(pts):
            # a point counts when its raw or corrected misfit is ≤ near_m, so both misfits of a
            # counted point are ≤ near_m + shift: no nearer search is needed, and the pieces
            # that matter lie within near_m + 2 × shift of the data
            shift = float(np.max(np.hypot(*(xy_fix - xy_raw).T)))
            max_distance = near_m + shift + 1.0
            if not max_distance + shift + 1.0 <= reach_m:
                return None

        if max_distance is not None and len(pts):
            # only the pieces within reach of the sample matter: one query for all of them
            # (none, for a site far from any boundary), then a tree of those few
            lo = np.minimum(xy_raw.min(axis=0), xy_fix.min(axis=0))
            hi = np.maximum(xy_raw.max(axis=0), xy_fix.max(axis=0))
            box = shapely.box(lo[0], lo[1], hi[0], hi[1])
            cand = tree.query(box, predicate="dwithin", distance=max_distance)
            tree = shapely.STRtree(self.pieces[cand]) if len(cand) else None

        def distances(xy: NDArray[np.float64]) -> NDArray[np.float64]:
            if tree is None:  # nothing within reach
                return np.full(len(xy), np.inf)
            geoms = shapely.points(xy[:, 0], xy[:, 1])
            _, d = tree.query_nearest(geoms, return_distance=True, all_matches=False)
            d = np.asarray(d, dtype=float)
            if max_distance is not None:
                d[d > max_distance] = np.inf  # beyond reach: not measured
            return d

        d_raw = distances(xy_raw) if len(pts) else np.empty(0)
        d_fix = distances(xy_fix) if len(pts) else np.empty(0)
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
                f"looks GCJ-02-shifted: median misfit to the reference is {raw:.0f} m as given "
                f"and {after:.0f} m after removing the GCJ-02 offset (expected < 100 m for "
                "WGS84/CGCS2000 data); fix: convert it with zoning.gcj02.from_gcj02(gdf) and save "
                "the result before using it (Amap / Tencent / many Chinese web-map exports are "
                "GCJ-02)"
            )
        else:
            msg = (
                f"no sign of GCJ-02: median misfit to the reference is {raw:.0f} m as given and "
                f"{after:.0f} m after a GCJ-02 correction"
            )
        return Gcj02Check(likely, raw, after, msg)
