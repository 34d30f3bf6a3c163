"""Exact zonal statistics with partial-cell coverage.

The zone index is built once from the polygons and reused for every raster on the same grid.
It holds, for each zone,

* the *boundary cells* (cells the polygon boundary passes through) with their exact coverage
  fraction, and
* the *interior runs*: horizontal runs of cells lying wholly inside the polygon.

Coverage is exact because it is computed analytically, not by sampling. With cells as unit
squares in pixel space, the area of a polygon P inside the cell in row r and column c is the
line integral (Green's theorem)

    area(P ∩ cell) = ∮_∂P  g_c(x) 1[r ≤ y < r + 1] dy,   g_c(x) = clamp(x, c, c + 1) − (c + 1),

up to the orientation sign. Splitting each polygon edge at the grid lines gives pieces that
lie in one cell each: a piece in column c0 adds ``(x̄ − c0 − 1) dy`` to its own cell (x̄ is the
mid-point, exact because x is linear along the piece) and ``−dy`` to every cell to its right in
the same row. A running sum along each row therefore gives the exact fraction of every boundary
cell, and the cells between two boundary cells carry a constant integer value (0 outside, 1
inside): the interior runs (compiled in :mod:`zoning.restoration.zonal_scan`: one walk over
the edges, counting sorts, one pass over the cells). This is the scan-line form of the
algorithm of exactextract (isciences/exactextract); ``tests/test_restoration_zonal.py``
checks the results against exactextract to 1e-9.

Statistics then cost one pass over the cells of each raster that lie in some zone, whatever
the number of zones: :func:`~zoning.restoration.zonal_kernel.reduce_chunk` sums the runs and
reads the boundary cells chunk by chunk (float64, numpy's ``add.reduceat`` arithmetic
bitwise), the chunks coming from :mod:`zoning.restoration.zonal_read` (uncompressed GeoTIFFs
in place from a memory map).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zoning.errors import CRSError, EmptyInputError, LayerValidationError, Problem
from zoning.restoration.zonal_kernel import reduce_chunk
from zoning.restoration.zonal_read import array_chunks, file_chunks, open_raster
from zoning.restoration.zonal_scan import edge_pieces, piece_order, scan_cells, stable_order
from zoning.threads import resolve_n_jobs

if TYPE_CHECKING:
    import geopandas as gpd
    from affine import Affine

__all__ = [
    "ZoneIndex",
    "build_zone_index",
    "coverage_fractions",
    "zonal_stats",
]

_STATS = ("count", "sum", "mean", "min", "max")
_FRAC_EPS = 1e-12
_MAX_CELLS = 1e9  # vertices farther from the grid than this many cells are refused


@dataclass(frozen=True)
class ZoneIndex:
    """Exact coverage of a set of zones on one raster grid (built by :func:`build_zone_index`).

    Attributes
    ----------
    shape : tuple of int
        ``(rows, cols)`` of the grid.
    transform : affine.Affine
        North-up grid transform (no rotation).
    crs : object
        CRS of the grid (anything pyproj understands), or None.
    n_zones : int
        Number of zones; zone ``i`` is the i-th input polygon.
    b_zone, b_flat, b_frac : numpy.ndarray
        Boundary cells: zone number, flat cell index ``row * cols + col`` and coverage fraction
        in (0, 1].
    r_zone, r_start, r_stop : numpy.ndarray
        Interior runs: zone number and flat ``[start, stop)`` of cells wholly inside the zone,
        sorted by ``r_start``.
    disjoint : bool
        True when no two runs overlap (zones do not overlap), which allows the fastest path.
    """

    shape: tuple[int, int]
    transform: Affine
    crs: Any
    n_zones: int
    b_zone: np.ndarray
    b_flat: np.ndarray
    b_frac: np.ndarray
    r_zone: np.ndarray
    r_start: np.ndarray
    r_stop: np.ndarray
    disjoint: bool

    @property
    def coverage_count(self) -> np.ndarray:
        """Sum of coverage fractions per zone (area in cells), ignoring nodata."""
        runs = np.bincount(self.r_zone, self.r_stop - self.r_start, minlength=self.n_zones)
        return runs + np.bincount(self.b_zone, self.b_frac, minlength=self.n_zones)


def _ring_edges(geoms: np.ndarray, transform: Affine) -> tuple[np.ndarray, ...]:
    """Edges of every ring of every polygon, in pixel coordinates, with their zone number."""
    import shapely

    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    parts, part_zone = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    ring_zone = part_zone[ring_part]
    a, c, e, f = transform.a, transform.c, transform.e, transform.f
    col = (coords[:, 0] - c) / a
    row = (coords[:, 1] - f) / e
    same = ring_of[:-1] == ring_of[1:]
    zone = ring_zone[ring_of[:-1][same]]
    return col[:-1][same], row[:-1][same], col[1:][same], row[1:][same], zone


def _check_pixel_range(col: np.ndarray, row: np.ndarray, zone: np.ndarray) -> None:
    """Refuse vertices that are not finite or lie absurdly far from the grid (in cells).

    The scan line walks every edge cell by cell (and converts cell numbers to integers), so
    an edge from NaN or from a billion cells away would not end; such a zone is in another
    CRS or broken.
    """
    far = ~(np.abs(col) < _MAX_CELLS) | ~(np.abs(row) < _MAX_CELLS)
    if far.any():
        first = int(zone[np.flatnonzero(far)[0]])
        raise LayerValidationError(
            "zonal statistics",
            [
                Problem(
                    "bad_coordinates",
                    f"zone {first} has vertices that are not finite or lie more than "
                    f"{_MAX_CELLS:.0e} cells from the raster grid; expected polygons in the "
                    "raster's CRS. Reproject the zones with `zones.to_crs(raster_crs)` or fix "
                    "the geometries first.",
                )
            ],
        )


def build_zone_index(
    zones: gpd.GeoSeries | gpd.GeoDataFrame | Sequence[Any],
    *,
    shape: tuple[int, int],
    transform: Affine,
    crs: Any = None,
) -> ZoneIndex:
    """Compute the exact coverage of every zone on a raster grid, once.

    Parameters
    ----------
    zones : GeoSeries, GeoDataFrame or sequence of shapely polygons
        Polygons or multipolygons, in the CRS of the grid. Zone ``i`` is the i-th geometry.
    shape : tuple of int
        ``(rows, cols)`` of the grid.
    transform : affine.Affine
        North-up transform of the grid.
    crs : optional
        CRS of the grid; when ``zones`` has a CRS too they must be equal.

    Returns
    -------
    ZoneIndex

    Raises
    ------
    CRSError
        If the zones and the grid have different CRSs, or the grid is rotated.
    LayerValidationError
        If a geometry is not a polygon.

    Examples
    --------
    >>> from affine import Affine
    >>> from shapely import box
    >>> idx = build_zone_index([box(0, 0, 1.5, 2)], shape=(2, 2), transform=Affine(1, 0, 0, 0, -1, 2))
    >>> idx.coverage_count.tolist()
    [3.0]
    """
    import shapely

    if transform.b != 0 or transform.d != 0:
        raise CRSError(
            f"The raster grid is rotated (transform {tuple(transform)[:6]}); expected a "
            "north-up grid. Warp it to a north-up grid first (gdalwarp or rasterio.warp)."
        )
    zone_crs = getattr(zones, "crs", None)
    if zone_crs is not None and crs is not None:
        from pyproj import CRS

        if CRS.from_user_input(zone_crs) != CRS.from_user_input(crs):
            raise CRSError(
                f"The zones are in {CRS.from_user_input(zone_crs).name!r} but the raster grid "
                f"is in {CRS.from_user_input(crs).name!r}; expected the same CRS. Reproject "
                "the zones with `zones.to_crs(raster_crs)` first."
            )
    geoms = np.asarray(getattr(zones, "geometry", zones), dtype=object)
    n_zones = int(geoms.size)
    types = shapely.get_type_id(geoms)
    bad = np.flatnonzero(~np.isin(types, (3, 6)) & ~shapely.is_empty(geoms))
    if bad.size:
        raise LayerValidationError(
            "zonal statistics",
            [
                Problem(
                    "not_polygon",
                    f"{bad.size} zone(s) are not polygons (first at position {int(bad[0])}); "
                    "expected Polygon or MultiPolygon. Buffer points and lines first.",
                )
            ],
        )
    height, width = int(shape[0]), int(shape[1])
    empty_i = np.zeros(0, dtype=np.int64)
    empty_f = np.zeros(0, dtype=np.float64)
    c0, r0, c1, r1, zone = _ring_edges(geoms, transform)
    _check_pixel_range(c0, r0, zone)
    if c0.size == 0:
        return ZoneIndex(
            (height, width),
            transform,
            crs,
            n_zones,
            empty_i,
            empty_i,
            empty_f,
            empty_i,
            empty_i,
            empty_i,
            True,
        )
    pieces = edge_pieces(c0, r0, c1, r1, zone, height, width)
    order = piece_order(pieces, n_zones, height, width)
    # A north-up grid (e < 0) flips orientation: counter-clockwise exteriors become clockwise.
    sign = -1.0 if transform.a * transform.e < 0 else 1.0
    cells, b_frac, runs = scan_cells(pieces, order, sign, _FRAC_EPS, width)
    # boundary cells and runs in raster order (ties: zone order), as the chunks read them
    order = stable_order([(cells[:, 1], height), (cells[:, 2], width)])
    b_zone = cells[order, 0]
    b_flat = cells[order, 1] * width + cells[order, 2]
    b_frac = b_frac[order]
    order = stable_order([(runs[:, 1], height), (runs[:, 2], width)])
    r_zone = runs[order, 0]
    r_start = runs[order, 1] * width + runs[order, 2]
    r_stop = runs[order, 1] * width + runs[order, 3]
    disjoint = bool(np.all(r_start[1:] >= r_stop[:-1])) if r_start.size else True
    return ZoneIndex(
        (height, width),
        transform,
        crs,
        n_zones,
        b_zone,
        b_flat,
        b_frac,
        r_zone,
        r_start,
        r_stop,
        disjoint,
    )


def coverage_fractions(index: ZoneIndex, zone: int) -> np.ndarray:
    """Return the dense coverage-fraction array of one zone (for checks and small grids).

    Examples
    --------
    >>> from affine import Affine
    >>> from shapely import box
    >>> idx = build_zone_index([box(0, 0, 1.5, 2)], shape=(2, 2), transform=Affine(1, 0, 0, 0, -1, 2))
    >>> coverage_fractions(idx, 0).tolist()
    [[1.0, 0.5], [1.0, 0.5]]
    """
    out = np.zeros(index.shape[0] * index.shape[1])
    sel = index.r_zone == zone
    for s, t in zip(index.r_start[sel], index.r_stop[sel], strict=True):
        out[s:t] = 1.0
    sel = index.b_zone == zone
    np.add.at(out, index.b_flat[sel], index.b_frac[sel])
    return out.reshape(index.shape)


def _disjoint_reduce(ufunc, flat, starts, stops):
    bp = np.empty(2 * starts.size, dtype=np.int64)
    bp[0::2] = starts
    bp[1::2] = stops
    if bp[-1] >= flat.size:
        bp = bp[:-1]
    return ufunc.reduceat(flat, bp)[0::2]


def _run_reduce(ufunc, flat, starts, stops, disjoint: bool, width: int) -> np.ndarray:
    """Reduce ``flat`` over runs ``[start, stop)`` (float64 for sums)."""
    if starts.size == 0:
        return np.zeros(0)
    if ufunc is np.add and flat.dtype != np.float64:
        flat = flat.astype(np.float64)
    if disjoint:
        return _disjoint_reduce(ufunc, flat, starts, stops).astype(np.float64)
    if ufunc is not np.add:
        return np.array(
            [ufunc.reduce(flat[s:t]) for s, t in zip(starts, stops, strict=True)], dtype=float
        )
    # overlapping runs: sums over the segments between all break points, then prefix sums
    bp = np.unique(np.r_[starts, stops])
    bp = bp[bp < flat.size]
    seg = np.add.reduceat(flat, bp).astype(np.float64)
    prefix = np.r_[0.0, np.cumsum(seg)]
    return prefix[np.searchsorted(bp, stops)] - prefix[np.searchsorted(bp, starts)]


def _check_grid(index: ZoneIndex, shape, transform, crs, name: str) -> None:
    if tuple(shape) != tuple(index.shape):
        raise CRSError(
            f"Raster {name!r} has shape {tuple(shape)} but the zone index grid is "
            f"{index.shape}; expected rasters on one grid. Align it first with "
            "`zoning.restoration.criteria.align_raster`."
        )
    if transform is not None and not transform.almost_equals(index.transform, precision=1e-9):
        raise CRSError(
            f"Raster {name!r} has transform {tuple(transform)[:6]} but the zone index grid has "
            f"{tuple(index.transform)[:6]} (different origin or resolution); expected rasters "
            "on one grid. Align it first with `zoning.restoration.criteria.align_raster`."
        )
    if crs is not None and index.crs is not None:
        from pyproj import CRS

        if CRS.from_user_input(crs) != CRS.from_user_input(index.crs):
            raise CRSError(
                f"Raster {name!r} is in {CRS.from_user_input(crs).name!r} but the zones are "
                f"indexed in {CRS.from_user_input(index.crs).name!r}; expected one CRS. Align "
                "the raster with `zoning.restoration.criteria.align_raster`."
            )


def _one_raster(
    index: ZoneIndex, chunks, nodata: float | None, stats: Sequence[str]
) -> dict[str, np.ndarray]:
    """Statistics of one raster, streamed in chunks (see :mod:`zoning.restoration.zonal_read`).

    Disjoint zones (the usual case) take one fused numba pass per chunk
    (:func:`~zoning.restoration.zonal_kernel.reduce_chunk`); overlapping zones and ``min`` /
    ``max`` use numpy reductions over the runs. Both give the same float64 sums, bitwise.
    """
    width = index.shape[1]
    n_z = index.n_zones
    has_nodata = nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata))
    n_runs = index.r_start.size
    run_sum = np.zeros(n_runs)
    run_cnt = (index.r_stop - index.r_start).astype(np.float64)
    b_val = np.zeros(index.b_flat.size)
    b_ok = np.ones(index.b_flat.size, dtype=bool)
    extremes = [
        (name, ufunc, fill, np.full(n_runs, fill))
        for name, ufunc, fill in (("min", np.minimum, np.inf), ("max", np.maximum, -np.inf))
        if name in stats
    ]
    for r0, n_rows, data, tile_start, block_width in chunks:
        lo = r0 * width
        hi = lo + n_rows * width
        s0, s1 = np.searchsorted(index.r_start, (lo, hi))
        j0, j1 = np.searchsorted(index.b_flat, (lo, hi))
        starts = index.r_start[s0:s1] - lo
        stops = index.r_stop[s0:s1] - lo
        b_local = index.b_flat[j0:j1] - lo
        if index.disjoint:
            reduce_chunk(
                data,
                tile_start,
                block_width,
                width,
                starts,
                stops,
                b_local,
                nodata if has_nodata else None,
                run_sum[s0:s1],
                run_cnt[s0:s1],
                b_val[j0:j1],
                b_ok[j0:j1],
            )
            if not extremes:
                continue
        flat = data[: n_rows * width]  # numpy paths read row-major chunks (direct=False)
        valid = _valid_cells(flat, nodata if has_nodata else None)
        if not index.disjoint:
            src = flat if valid is None else np.where(valid, flat, 0)
            run_sum[s0:s1] = _run_reduce(np.add, src, starts, stops, False, width)
            if valid is not None:
                run_cnt[s0:s1] = _run_reduce(
                    np.add, valid.astype(np.float64), starts, stops, False, width
                )
                b_ok[j0:j1] = valid[b_local]
            b_val[j0:j1] = np.where(b_ok[j0:j1], flat[b_local], 0.0)
        for _name, ufunc, fill, acc in extremes:
            src = flat if valid is None else np.where(valid, flat, fill)
            acc[s0:s1] = _run_reduce(ufunc, src, starts, stops, index.disjoint, width)
    b_w = np.where(b_ok, index.b_frac, 0.0)
    count = np.bincount(index.r_zone, run_cnt, minlength=n_z) + np.bincount(
        index.b_zone, b_w, minlength=n_z
    )
    total = np.bincount(index.r_zone, run_sum, minlength=n_z) + np.bincount(
        index.b_zone, b_w * b_val, minlength=n_z
    )
    out: dict[str, np.ndarray] = {}
    if "count" in stats:
        out["count"] = count
    if "sum" in stats:
        out["sum"] = total
    if "mean" in stats:
        with np.errstate(invalid="ignore", divide="ignore"):
            out["mean"] = np.where(count > 0, total / np.where(count > 0, count, 1), np.nan)
    for name, ufunc, fill, acc in extremes:
        result = np.full(n_z, fill)
        ufunc.at(result, index.r_zone, acc)
        ufunc.at(result, index.b_zone[b_ok], b_val[b_ok])
        result[~np.isfinite(result)] = np.nan
        out[name] = result
    return out


def _valid_cells(flat: np.ndarray, nodata: float | None) -> np.ndarray | None:
    """Mask of the valid cells of a chunk (not NaN, not ``nodata``), or None if all are."""
    valid = None
    if nodata is not None and bool(np.any(flat == flat.dtype.type(nodata))):
        valid = flat != flat.dtype.type(nodata)
    if np.issubdtype(flat.dtype, np.floating):
        nan = np.isnan(flat)
        if nan.any():
            valid = ~nan if valid is None else valid & ~nan
    return valid


def zonal_stats(
    index: ZoneIndex,
    rasters: dict[str, Any] | Sequence[Any],
    *,
    stats: Sequence[str] = ("count", "sum", "mean"),
    nodata: float | None = None,
    rows: int = 512,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Coverage-weighted zonal statistics of one or more rasters on the index grid.

    ``count`` is the sum of the coverage fractions of valid cells, ``sum`` the sum of value ×
    fraction, ``mean`` their ratio (exactextract's definitions); ``min`` and ``max`` take every
    valid cell with a coverage above zero. NaN cells and cells equal to ``nodata`` (or to the
    file's own nodata value) are left out.

    Parameters
    ----------
    index : ZoneIndex
        From :func:`build_zone_index`.
    rasters : mapping of name to array or path, or a sequence of them
        2-D arrays on the index grid, or paths to single-band rasters on the same grid.
    stats : sequence of {"count", "sum", "mean", "min", "max"}
    nodata : float, optional
        Nodata value of the arrays (files use their own).
    rows : int
        Rasters are processed this many rows at a time (files are read window by window into
        one reused buffer, so memory stays at ``rows × columns`` cells whatever the size;
        uncompressed GeoTIFFs are reduced in place from a memory map, block row by block row).
    n_jobs : int, optional
        Threads, one raster each at a time; None (the default) uses the free CPUs
        (:func:`zoning.threads.resolve_n_jobs`). The results do not depend on it.

    Returns
    -------
    pandas.DataFrame
        One row per zone (0 … n-1), columns ``<raster>_<stat>``.

    Raises
    ------
    CRSError
        If a raster is not on the index grid (shape, transform or CRS).
    EmptyInputError
        If no rasters are given.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> from shapely import box
    >>> idx = build_zone_index([box(0, 0, 1.5, 2)], shape=(2, 2), transform=Affine(1, 0, 0, 0, -1, 2))
    >>> zonal_stats(idx, {"v": np.array([[1.0, 4.0], [1.0, 4.0]])})["v_mean"].tolist()
    [2.0]
    """
    unknown = set(stats) - set(_STATS)
    if unknown:
        raise ValueError(f"Unknown statistics {sorted(unknown)}; expected some of {_STATS}.")
    if not isinstance(rasters, dict):
        rasters = {f"r{i}": r for i, r in enumerate(rasters)}
    if not rasters:
        raise EmptyInputError("No rasters were given; expected at least one raster or array.")
    jobs = min(resolve_n_jobs(n_jobs), len(rasters))
    args = [(index, name, src, nodata, stats, rows) for name, src in rasters.items()]
    if jobs > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(jobs) as pool:  # the kernel and the reads release the GIL
            results = list(pool.map(lambda a: _raster_columns(*a), args))
    else:
        results = [_raster_columns(*a) for a in args]
    columns = {k: v for result in results for k, v in result.items()}
    return pd.DataFrame(columns, index=pd.RangeIndex(index.n_zones, name="zone"))


def _raster_columns(index, name, src, nodata, stats, rows) -> dict[str, np.ndarray]:
    """Check one raster against the index grid and return its statistics columns."""
    if isinstance(src, np.ndarray):
        if src.ndim != 2:
            raise CRSError(f"Raster {name!r} has {src.ndim} dimensions; expected a 2-D band.")
        _check_grid(index, src.shape, None, None, name)
        result = _one_raster(index, array_chunks(src, rows), nodata, stats)
    else:
        with open_raster(str(src)) as ds:
            _check_grid(index, (ds.height, ds.width), ds.transform, ds.crs, name)
            direct = index.disjoint and not {"min", "max"} & set(stats)
            result = _one_raster(index, file_chunks(ds, rows, direct=direct), ds.nodata, stats)
    return {f"{name}_{stat}": values for stat, values in result.items()}
