"""Zoning statistics: area of every layer and zone per administrative unit, nothing counted twice.

How much of each county is under each control line (生态保护红线, 自然保护地, 饮用水水源保护区 …)?
:func:`area_by_unit` answers it in the equal-area Albers projection
(:data:`zoning.crs.ALBERS_CHINA`), the way an auditor would: overlapping features of a layer are
dissolved first (the wdpar recipe: erase overlaps before measuring coverage), features crossing a
unit boundary are split exactly, and every figure reconciles with the unit totals.

The algorithm avoids the all-pairs overlay of ``geopandas.overlay`` + ``dissolve``:

1. **dissolve** — features whose envelopes overlap are linked when their interiors really
   overlap (a positive intersection area); connected components of that graph are the groups
   whose union counts once (members in a canonical order so that permuting input rows changes
   nothing). A feature that overlaps nothing is its own piece. No union is built.
2. **measure** — a piece whose envelope touches no unit boundary lies wholly inside one unit (or
   outside all): most are found on a grid of the cells boundaries pass through (a summed-area
   table answers for an envelope at once) and placed by the unit of their cell, the others by
   the boundary index and one point-in-polygon test; its area (its group's union) counts whole. Every other (piece, unit) pair whose envelopes meet is measured as
   ``area(union(group) ∩ unit)``.
   Both areas come from the boundary integral of :mod:`zoning.polyarea`, which never builds
   the union or the intersection; shared and collinear edges (features cut along a county
   line) are decided by its tie rule. The rare pairs it declines (e.g. a ring with a spike)
   are clipped and unioned by GEOS instead.
3. **sum** — areas are added with :func:`math.fsum` (exactly rounded, independent of order), so
   the single-machine and the Dask paths (:mod:`zoning.scale`) give identical numbers.

Examples
--------
>>> import geopandas as gpd
>>> from shapely import box
>>> from zoning.stats import area_by_unit
>>> units = gpd.GeoDataFrame({"adcode": ["A"]}, geometry=[box(0, 0, 10_000, 10_000)],
...                          crs="EPSG:4547")
>>> red = gpd.GeoDataFrame({"zone": ["general", "general"]},
...                        geometry=[box(0, 0, 2_000, 5_000), box(1_000, 0, 3_000, 5_000)],
...                        crs="EPSG:4547")
>>> out = area_by_unit(units, {"eco_redline": red}, crs="EPSG:4547")
>>> out[["zone", "area_km2", "share_pct"]].round(6).values.tolist()
[['all', 15.0, 15.0], ['general', 15.0, 15.0]]
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from zoning.duplicates import near_duplicate_rows
from zoning.errors import CRSError, LayerValidationError, Problem
from zoning.threads import resolve_n_jobs

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = [
    "ALL_ZONES",
    "STATS_COLUMNS",
    "Pieces",
    "area_by_unit",
    "dissolve_layer",
    "measure_pieces",
    "parent_adcode",
    "prepare_units",
    "rollup",
    "summarise",
    "validate_units",
]

logger = logging.getLogger(__name__)

ALL_ZONES = "all"
"""The ``zone`` label of the whole (dissolved) layer."""

STATS_COLUMNS = ["unit_id", "layer_kind", "zone", "area_km2", "unit_area_km2", "share_pct"]
"""Columns of the statistics table, in order (PRODUCT.md, ``zoning stats``)."""

_BOUNDARY_CHUNK = 2  # segments per piece of unit boundary in the boundary index
_GRID_CELLS = 1024  # cells per side of the boundary grid over the units
_POLYGONAL = ("Polygon", "MultiPolygon")
_REMAINDER_MIN_PAIRS = 64  # crossing pairs needed before the subtraction shortcut is used


def _albers() -> Any:
    """Return :data:`zoning.crs.ALBERS_CHINA` (built here if that module is not available)."""
    try:
        from zoning.crs import ALBERS_CHINA
    except ImportError:  # pragma: no cover - foundation module not yet merged
        from pyproj import CRS

        return CRS.from_proj4(
            "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 "
            "+ellps=GRS80 +units=m +no_defs"
        )
    return ALBERS_CHINA


def _check_measurable(crs: Any) -> Any:
    """Return ``crs`` as a pyproj CRS, refusing geographic and Web Mercator CRSs."""
    from pyproj import CRS

    target = CRS.from_user_input(crs)
    try:
        from zoning.crs import require_measurable
    except ImportError:  # pragma: no cover - foundation module not yet merged
        if target.is_geographic or "Pseudo-Mercator" in target.name:
            raise CRSError(
                f"statistics asked for in {target.name}, which cannot measure areas; "
                "expected an equal-area projection; use the default ALBERS_CHINA"
            ) from None
        return target
    require_measurable(target, "zoning statistics")
    return target


# --------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------


def validate_units(
    units: gpd.GeoDataFrame,
    *,
    unit_id: str = "adcode",
    overlap_tolerance: float = 1e-6,
) -> list[Problem]:
    """Check a unit layer before statistics: ids present and unique, polygons, CRS, no overlaps.

    Parameters
    ----------
    units : GeoDataFrame
        Administrative (or any) units.
    unit_id : str
        Column holding the unit id.
    overlap_tolerance : float
        Overlap between two units allowed, as a fraction of the smaller unit's area (slivers
        left by digitising); larger overlaps would count land twice in roll-ups.

    Returns
    -------
    list of Problem
        Empty when the units are usable.
    """
    problems: list[Problem] = []
    if units.crs is None:
        problems.append(
            Problem(
                "crs_missing",
                "the unit layer has no CRS; expected one (e.g. EPSG:4490); "
                "set it with units.set_crs(...) or crs = ... in the catalogue",
            )
        )
    if unit_id not in units.columns:
        problems.append(
            Problem(
                "unit_field_missing",
                f"the unit layer has no column {unit_id!r}; found {list(units.columns)}; "
                "pass the id column with --unit-field / unit_id=",
            )
        )
        return problems
    ids = units[unit_id]
    if ids.isna().any():
        rows = tuple(str(i) for i in units.index[ids.isna()][:10])
        problems.append(
            Problem("unit_id_missing", f"{int(ids.isna().sum())} unit(s) have no {unit_id}", rows)
        )
    dup = ids[ids.duplicated(keep=False) & ids.notna()]
    if len(dup):
        shown = sorted({str(v) for v in dup})[:10]
        problems.append(
            Problem(
                "duplicate_unit_id",
                f"unit ids must be unique; {unit_id} values {', '.join(shown)} occur more than "
                "once; dissolve the units by id or choose another --unit-field",
                tuple(shown),
            )
        )
    geoms = np.asarray(units.geometry.values)
    kinds = shapely.get_type_id(geoms)
    bad = ~np.isin(kinds, [3, 6])  # Polygon, MultiPolygon
    if bad.any():
        rows = tuple(str(v) for v in ids[bad][:10])
        problems.append(
            Problem(
                "unit_not_polygon",
                f"{int(bad.sum())} unit(s) are not polygons (ids {', '.join(rows)}); "
                "units must be polygons or multipolygons",
                rows,
            )
        )
        return problems
    if units.crs is None:
        return problems
    if units.crs.is_geographic:
        geoms = np.asarray(units.geometry.to_crs(_albers()).values)
    geoms = _valid(geoms)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if len(left):
        inter = _overlap_areas(geoms, left, right)
        smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
        over = inter > overlap_tolerance * smaller
        if over.any():
            pairs = [
                f"{ids.iloc[a]}×{ids.iloc[b]} ({inter[k] / 1e6:.4g} km²)"
                for k, (a, b) in enumerate(zip(left, right, strict=True))
                if over[k]
            ][:10]
            problems.append(
                Problem(
                    "overlapping_units",
                    f"{int(over.sum())} pair(s) of units overlap: {', '.join(pairs)}; expected "
                    "units that partition the territory (one level only, e.g. counties); "
                    "select one level or fix the boundaries",
                    tuple(pairs),
                )
            )
    return problems


def _overlap_areas(geoms: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Area of ``geoms[left] ∩ geoms[right]`` by the area kernel (neighbouring units share
    edges: 0 within rounding), GEOS for the pairs it declines.
    """
    from zoning.polyarea import pack, union_clip_areas

    area, noise = union_clip_areas(
        pack(geoms), np.arange(len(left) + 1), left, right, with_noise=True
    )
    area = np.where(np.abs(area) <= noise, 0.0, area)
    bad = np.flatnonzero(np.isnan(area))
    if len(bad):
        area[bad] = shapely.area(shapely.intersection(geoms[left[bad]], geoms[right[bad]]))
    return area


def _valid(geoms: np.ndarray) -> np.ndarray:
    """Return ``geoms`` with invalid geometries repaired by ``make_valid`` (polygons kept)."""
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        fixed = shapely.make_valid(geoms[invalid])
        geoms[invalid] = _polygonal(fixed)
        logger.info("repaired %d invalid geometries with make_valid", int(invalid.sum()))
    return geoms


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of (possibly collection) geometries."""
    out = geoms.copy()
    coll = shapely.get_type_id(out) == 7
    for i in np.flatnonzero(coll):
        parts = shapely.get_parts(out[i])
        parts = parts[np.isin(shapely.get_type_id(parts), [3, 6])]
        out[i] = shapely.union_all(parts) if len(parts) else shapely.Polygon()
    return out


@dataclass(frozen=True)
class _Units:
    """Units projected for measuring: ids, geometries, areas, and an index of their boundaries."""

    ids: np.ndarray
    geoms: np.ndarray
    area_m2: np.ndarray
    tree: shapely.STRtree
    boundary_tree: shapely.STRtree
    grid: _BoundaryGrid
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def region(self) -> Any:
        """Union of all units (prepared), built on first use."""
        if "region" not in self._cache:
            region = shapely.union_all(self.geoms)
            shapely.prepare(region)
            self._cache["region"] = region
        return self._cache["region"]


def prepare_units(
    units: gpd.GeoDataFrame,
    *,
    unit_id: str = "adcode",
    crs: Any = None,
    validate: bool = True,
) -> _Units:
    """Project and index a unit layer for :func:`measure_pieces`.

    Raises
    ------
    LayerValidationError
        Duplicate ids, overlapping units, non-polygons or no CRS (all problems listed).
    """
    if validate:
        problems = validate_units(units, unit_id=unit_id)
        if any(p.severity == "error" for p in problems):
            raise LayerValidationError("unit layer", problems)
    target = _check_measurable(crs if crs is not None else _albers())
    projected = units.to_crs(target) if not units.crs.equals(target) else units
    # private copies (exact WKB round trip): preparing them never touches the caller's
    # geometries, which another thread may be using (prepared geometries are not thread-safe)
    geoms = shapely.from_wkb(shapely.to_wkb(np.asarray(projected.geometry.values)))
    geoms = _valid(geoms)
    ids = projected[unit_id].astype(str).to_numpy()
    grid = _BoundaryGrid.of(geoms)
    boundaries = _boundary_chunks(geoms)
    for g in geoms:
        shapely.prepare(g)
    return _Units(
        ids=ids,
        geoms=geoms,
        area_m2=shapely.area(geoms),
        tree=shapely.STRtree(geoms),
        boundary_tree=shapely.STRtree(boundaries),
        grid=grid,
    )


def _boundary_chunks(geoms: np.ndarray) -> np.ndarray:
    """Split unit boundaries into short linestrings with small envelopes.

    Long edges are first segmentized (to 1/2000 of the layer's extent), so that each chunk's
    envelope hugs the boundary; a piece whose envelope meets none of them is away from every
    boundary.
    """
    if len(geoms) == 0:
        return np.array([], dtype=object)
    rings = shapely.get_rings(shapely.get_parts(geoms))
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    step = max(xmax - xmin, ymax - ymin) / 2000.0
    if step > 0:
        rings = shapely.segmentize(rings, step)
    coords, ring_idx = shapely.get_coordinates(rings, return_index=True)
    starts = np.flatnonzero(np.r_[True, ring_idx[1:] != ring_idx[:-1]])
    ends = np.r_[starts[1:], len(coords)]
    k = _BOUNDARY_CHUNK
    n_chunks = np.maximum((ends - starts - 1 + k - 1) // k, 0)
    ring_of_chunk = np.repeat(np.arange(len(starts)), n_chunks)
    first_chunk = np.r_[0, np.cumsum(n_chunks)[:-1]]
    j = np.arange(n_chunks.sum()) - first_chunk[ring_of_chunk]
    c_start = starts[ring_of_chunk] + j * k
    c_len = np.minimum(c_start + k, ends[ring_of_chunk] - 1) - c_start + 1
    if len(c_len) == 0:
        return np.array([], dtype=object)
    chunk_id = np.repeat(np.arange(len(c_len)), c_len)
    offset = np.arange(c_len.sum()) - np.repeat(np.r_[0, np.cumsum(c_len)[:-1]], c_len)
    pos = np.repeat(c_start, c_len) + offset
    return shapely.linestrings(coords[pos], indices=chunk_id)


@dataclass(frozen=True)
class _BoundaryGrid:
    """Cells of a regular grid over the units that unit boundaries pass through.

    A box whose cells are all free of boundaries lies inside one unit or outside all, and
    every point of such a cell is in the same unit as the cell's centre. The test is
    conservative: cells are marked from the envelopes of boundary segments no longer than a
    cell, and cell indices come from monotone floating-point operations, so a box that meets
    a boundary always meets a marked cell (a few boxes near a boundary are called near
    without touching it, which costs time, not accuracy).
    """

    x0: float
    y0: float
    size: float
    n: int
    marked_sat: np.ndarray  # summed-area table of marked cells, shape (n + 1, n + 1)

    @staticmethod
    def of(geoms: np.ndarray, n: int = _GRID_CELLS) -> _BoundaryGrid:
        if len(geoms) == 0:
            return _BoundaryGrid(0.0, 0.0, 1.0, 1, np.zeros((2, 2), dtype=np.int64))
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        size = max(xmax - xmin, ymax - ymin, 1e-9) / n
        rings = shapely.get_rings(shapely.get_parts(geoms))
        coords, ring = shapely.get_coordinates(
            shapely.segmentize(rings, size / 2), return_index=True
        )
        n += 1  # the last column and row hold the units' maximum x and y
        grid = _BoundaryGrid(float(xmin), float(ymin), float(size), n, np.zeros(0))
        same = ring[1:] == ring[:-1]  # consecutive vertices of one ring: a segment
        a, b = coords[:-1][same], coords[1:][same]
        cx0, cx1 = grid.col(np.minimum(a[:, 0], b[:, 0])), grid.col(np.maximum(a[:, 0], b[:, 0]))
        cy0, cy1 = grid.row(np.minimum(a[:, 1], b[:, 1])), grid.row(np.maximum(a[:, 1], b[:, 1]))
        marked = np.zeros((n, n), dtype=np.int64)
        # a segment shorter than a cell spans at most two cells each way
        for cy in (cy0, cy1):
            for cx in (cx0, cx1):
                marked[cy, cx] = 1
        sat = np.zeros((n + 1, n + 1), dtype=np.int64)
        sat[1:, 1:] = marked.cumsum(0).cumsum(1)
        return _BoundaryGrid(grid.x0, grid.y0, grid.size, n, sat)

    def col(self, x: np.ndarray) -> np.ndarray:
        return np.floor((x - self.x0) / self.size).astype(np.int64)

    def row(self, y: np.ndarray) -> np.ndarray:
        return np.floor((y - self.y0) / self.size).astype(np.int64)

    def free(self, bounds: np.ndarray) -> np.ndarray:
        """True for envelopes inside the grid that meet no boundary cell."""
        c0, c1 = self.col(bounds[:, 0]), self.col(bounds[:, 2])
        r0, r1 = self.row(bounds[:, 1]), self.row(bounds[:, 3])
        inside = (c0 >= 0) & (r0 >= 0) & (c1 < self.n) & (r1 < self.n)
        c0, c1, r0, r1 = (np.clip(v, 0, self.n - 1) for v in (c0, c1, r0, r1))
        s = self.marked_sat
        hits = s[r1 + 1, c1 + 1] - s[r0, c1 + 1] - s[r1 + 1, c0] + s[r0, c0]
        return inside & (hits == 0)

    def centres(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cell of each point (flat index) and the centres of the distinct cells."""
        cell = self.row(y) * self.n + self.col(x)
        uniq, inv = np.unique(cell, return_inverse=True)
        cx = self.x0 + (uniq % self.n + 0.5) * self.size
        cy = self.y0 + (uniq // self.n + 0.5) * self.size
        return inv.ravel(), cx, cy


# --------------------------------------------------------------------------------------------
# Dissolve
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pieces:
    """A dissolved layer, kept as groups of features that are unioned only when needed.

    A *piece* is a set of features that must be unioned before measuring (a connected group
    of overlapping features, or its part in one zone). Its geometry is only built when the
    piece touches a unit boundary; elsewhere its area is enough.

    Attributes
    ----------
    feats : ndarray of shapely geometries
        Features of every layer, in the measuring CRS.
    indptr, members : ndarray of int
        Piece ``i`` is ``feats[members[indptr[i]:indptr[i + 1]]]`` (members in canonical order).
    kind : ndarray of str
        Layer kind of each piece.
    group : ndarray of int
        Connected group each piece belongs to (stable across row permutations).
    label_piece, label : ndarray
        Label table: piece ``label_piece[j]`` counts for zone ``label[j]`` (``"all"`` is the
        whole layer). A group whose features share one zone is one piece with two labels.
    area : ndarray of float, optional
        Area of each piece's union where the dissolve already knows it (one feature: its
        area; two overlapping features: both areas minus their intersection), NaN elsewhere.
    """

    feats: np.ndarray
    indptr: np.ndarray
    members: np.ndarray
    kind: np.ndarray
    group: np.ndarray
    label_piece: np.ndarray
    label: np.ndarray
    area: np.ndarray | None = None

    def known_area(self) -> np.ndarray:
        """:attr:`area`, or all NaN when the pieces carry none."""
        if self.area is None:
            return np.full(len(self.kind), np.nan)
        return self.area

    def __len__(self) -> int:
        return len(self.kind)

    def sizes(self) -> np.ndarray:
        """Number of features in each piece."""
        return np.diff(self.indptr)

    def bounds(self) -> np.ndarray:
        """Envelope ``(xmin, ymin, xmax, ymax)`` of each piece."""
        if len(self) == 0:
            return np.empty((0, 4))
        fb = shapely.bounds(self.feats[self.members])
        starts = self.indptr[:-1]
        return np.column_stack(
            [
                np.minimum.reduceat(fb[:, 0], starts),
                np.minimum.reduceat(fb[:, 1], starts),
                np.maximum.reduceat(fb[:, 2], starts),
                np.maximum.reduceat(fb[:, 3], starts),
            ]
        )

    def take(self, idx: np.ndarray) -> Pieces:
        """Return the pieces at positions ``idx`` with only the features they need."""
        idx = np.asarray(idx, dtype=np.int64)
        sizes = self.sizes()[idx]
        indptr = np.r_[0, np.cumsum(sizes)].astype(np.int64)
        old = self.members[_ranges(self.indptr[idx], sizes)]
        used, members = np.unique(old, return_inverse=True)
        new_pos = np.full(len(self.kind), -1, dtype=np.int64)
        new_pos[idx] = np.arange(len(idx))
        lab = new_pos[self.label_piece] >= 0
        return Pieces(
            feats=self.feats[used],
            indptr=indptr,
            members=members.astype(np.int64),
            kind=self.kind[idx],
            group=self.group[idx],
            label_piece=new_pos[self.label_piece[lab]],
            label=self.label[lab],
            area=None if self.area is None else self.area[idx],
        )

    @staticmethod
    def concat(parts: Sequence[Pieces]) -> Pieces:
        """Concatenate piece sets (features renumbered)."""
        if not parts:
            i64 = np.array([], dtype=np.int64)
            obj = np.array([], dtype=object)
            return Pieces(obj, np.zeros(1, dtype=np.int64), i64, obj, i64, i64, obj)
        feats, indptr, members, label_piece = [], [np.zeros(1, dtype=np.int64)], [], []
        f_off = m_off = p_off = 0
        for p in parts:
            feats.append(p.feats)
            members.append(p.members + f_off)
            indptr.append(p.indptr[1:] + m_off)
            label_piece.append(p.label_piece + p_off)
            f_off += len(p.feats)
            m_off += len(p.members)
            p_off += len(p.kind)
        return Pieces(
            feats=np.concatenate(feats),
            indptr=np.concatenate(indptr).astype(np.int64),
            members=np.concatenate(members).astype(np.int64),
            kind=np.concatenate([p.kind for p in parts]),
            group=np.concatenate([p.group for p in parts]).astype(np.int64),
            label_piece=np.concatenate(label_piece).astype(np.int64),
            label=np.concatenate([p.label for p in parts]),
            area=np.concatenate([p.known_area() for p in parts]),
        )


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for every ``(s, n)``, without a Python loop.

    >>> _ranges(np.array([5, 0]), np.array([2, 3])).tolist()
    [5, 6, 0, 1, 2]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    first = np.r_[0, np.cumsum(lengths)[:-1]]
    return np.repeat(np.asarray(starts, dtype=np.int64) - first, lengths) + np.arange(
        lengths.sum(), dtype=np.int64
    )


def _map_chunks(
    func: Callable[[np.ndarray], np.ndarray], items: np.ndarray, n_jobs: int
) -> np.ndarray:
    """Apply a vectorised shapely function to ``items`` in ``n_jobs`` threads (GIL released)."""
    if n_jobs <= 1 or len(items) < 64:
        return func(items)
    parts = np.array_split(items, n_jobs * 4)
    with ThreadPoolExecutor(n_jobs) as pool:
        return np.concatenate(list(pool.map(func, parts)))


def _repaired(geoms: np.ndarray) -> np.ndarray:
    """Return ``geoms`` with invalid members replaced by their ``make_valid`` polygons."""
    bad = ~shapely.is_valid(geoms)
    if not bad.any():
        return geoms
    out = geoms.copy()
    out[bad] = _polygonal(shapely.make_valid(geoms[bad]))
    return out


def _overlay(op: Callable[..., Any], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Vectorised ``op(a, b)``; on a GEOS topology error, repair the inputs and retry."""
    try:
        return op(a, b)
    except shapely.errors.GEOSException:
        logger.info("topology error in %s; repairing %d input pairs", op.__name__, len(a))
        return op(_repaired(a), _repaired(b))


def _union_all(geoms: np.ndarray) -> Any:
    """``union_all`` that repairs invalid inputs on a GEOS topology error."""
    try:
        return shapely.union_all(geoms)
    except shapely.errors.GEOSException:
        return shapely.union_all(_repaired(geoms))


def _layer_geoms(
    kind: str, layer: gpd.GeoDataFrame, target: Any, *, make_valid: bool, n_jobs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return projected polygonal geometries and zone labels of one layer."""
    if layer.crs is None:
        raise CRSError(
            f"layer {kind!r} has no CRS; expected one (e.g. EPSG:4490 or a Gauss-Krüger zone); "
            f"set it with gdf.set_crs(...) or crs = ... in the catalogue"
        )
    if len(layer) == 0:
        return np.array([], dtype=object), np.array([], dtype=object)
    projected = layer.to_crs(target) if not layer.crs.equals(target) else layer
    geoms = np.asarray(projected.geometry.values)
    if "zone" in projected.columns:
        zones = projected["zone"].astype(object).where(projected["zone"].notna(), ALL_ZONES)
        zones = zones.astype(str).to_numpy(dtype=object)
    else:
        zones = np.full(len(geoms), ALL_ZONES, dtype=object)
    keep = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    coll = types == 7
    if coll.any():
        geoms = geoms.copy()
        geoms[coll] = _polygonal(geoms[coll])
        types = shapely.get_type_id(geoms)
    keep &= np.isin(types, [3, 6])
    if not keep.all():
        logger.info("layer %s: %d non-polygonal feature(s) ignored", kind, int((~keep).sum()))
    geoms, zones = geoms[keep], zones[keep]
    if make_valid and not _checked_valid(layer, projected, target):
        invalid = _invalid(geoms, n_jobs)
        if invalid.any():
            geoms = geoms.copy()
            geoms[invalid] = _polygonal(shapely.make_valid(geoms[invalid]))
            logger.info("layer %s: repaired %d invalid geometries", kind, int(invalid.sum()))
    keep = ~shapely.is_empty(geoms)
    return geoms[keep], zones[keep]


def _invalid(geoms: np.ndarray, n_jobs: int) -> np.ndarray:
    """Which geometries are invalid: GEOS ``is_valid`` only on those the area kernel cannot
    certify as simple rings (holes, multipolygons, rings with a contact), ~20x cheaper.
    """
    from zoning.polyarea import certified_valid, pack

    invalid = np.zeros(len(geoms), dtype=bool)
    rest = np.flatnonzero(~certified_valid(pack(geoms), n_jobs=n_jobs))
    if len(rest):
        invalid[rest] = ~_map_chunks(shapely.is_valid, geoms[rest], n_jobs)
    return invalid


def _checked_valid(layer: gpd.GeoDataFrame, projected: gpd.GeoDataFrame, target: Any) -> bool:
    """Whether :func:`zoning.crs.project` already checked ``layer`` valid in ``target``
    (catalogue frames), so the validity pass (the costliest step on big layers) can go.
    """
    from zoning.crs import is_marked_valid

    return projected is layer and is_marked_valid(layer, target)


def _interiors_meet(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True where the interiors of ``a`` and ``b`` intersect (touching features stay apart)."""
    hit = shapely.intersects(a, b)
    out = np.zeros(len(a), dtype=bool)
    if hit.any():
        out[hit] = shapely.relate_pattern(a[hit], b[hit], "T********")
    return out


def dissolve_layer(
    kind: str,
    geoms: np.ndarray,
    zones: np.ndarray,
    *,
    n_jobs: int = 1,
    group_offset: int = 0,
) -> Pieces:
    """Group the features of one layer into pieces that never overlap within a label.

    Features are linked when their interiors intersect (exact test, run only on pairs whose
    envelopes overlap; features that only touch need no union); each connected group is one piece for ``all`` and, when its features have several
    zones, one piece per zone. Near-coincident copies of a feature with the same zone (one
    polygon delivered twice, :mod:`zoning.duplicates`) count once: all but one are dropped
    before any union, because GEOS overlays of nearly coincident edges go wrong.

    Parameters
    ----------
    kind : str
        Layer kind, copied to the pieces.
    geoms : ndarray
        Polygonal geometries in the measuring CRS.
    zones : ndarray of str
        Zone of each geometry (``"all"`` when the layer has none).
    n_jobs : int
        Threads for the exact tests.
    group_offset : int
        Added to the group ids (to keep them unique across layers).

    Returns
    -------
    Pieces
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(geoms)
    if n == 0:
        return Pieces.concat([])
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms)
    copies = near_duplicate_rows(geoms, zones, (left, right))
    if copies.any():  # one feature delivered twice: GEOS unions of such copies go wrong
        return dissolve_layer(
            kind, geoms[~copies], zones[~copies], n_jobs=n_jobs, group_offset=group_offset
        )
    keep = left < right
    left, right = left[keep], right[keep]
    inter = np.array([], dtype=float)
    if len(left):
        pairs = np.stack([left, right], axis=1)
        hit, inter = _interiors_overlap(geoms, pairs, n_jobs)
        left, right, inter = left[hit], right[hit], inter[hit]
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)

    # canonical member order (envelope, then area), so permuting rows changes nothing
    bounds = shapely.bounds(geoms)
    area = shapely.area(geoms)
    order = np.lexsort((area, bounds[:, 3], bounds[:, 2], bounds[:, 1], bounds[:, 0], comp))
    comp_sorted = comp[order]
    starts = np.flatnonzero(np.r_[True, comp_sorted[1:] != comp_sorted[:-1]])
    ends = np.r_[starts[1:], n]
    first = order[starts]
    canon = np.lexsort((area[first], *(bounds[first, k] for k in (3, 2, 1, 0))))
    group_of_comp = np.empty(len(starts), dtype=np.int64)
    group_of_comp[comp[first[canon]]] = np.arange(len(starts)) + group_offset

    # one piece per group, labelled "all" and, when all its features share one, its zone
    zones_sorted = zones[order]
    sizes = ends - starts
    comp_of_feat = np.repeat(np.arange(len(starts)), sizes)
    differs = np.r_[False, zones_sorted[1:] != zones_sorted[:-1]] & (
        comp_of_feat == np.r_[-1, comp_of_feat[:-1]]
    )
    mixed = np.zeros(len(starts), dtype=bool)
    mixed[comp_of_feat[differs]] = True
    groups = group_of_comp[comp_sorted[starts]]
    zone_of = zones_sorted[starts]
    whole = np.arange(len(starts))
    own_zone = ~mixed & (zone_of != ALL_ZONES)
    indptr_parts = [sizes]
    members_parts = [order]
    p_group = [groups]
    lab_piece = [whole, whole[own_zone]]
    lab = [np.full(len(starts), ALL_ZONES, dtype=object), zone_of[own_zone]]
    # groups whose features have several zones also get one piece per zone
    # areas known without a union: one feature, or two whose intersection the test measured
    known = np.full(len(starts), np.nan)
    one = sizes == 1
    known[one] = area[order[starts[one]]]
    two = np.flatnonzero(sizes == 2)
    if len(two) and len(left):
        a, b = order[starts[two]], order[starts[two] + 1]
        key = np.minimum(a, b) * n + np.maximum(a, b)
        pair_key = left * n + right  # left < right
        srt = np.argsort(pair_key)
        pos = np.minimum(np.searchsorted(pair_key[srt], key), len(srt) - 1)
        found = pair_key[srt[pos]] == key
        two, a, b, pos = two[found], a[found], b[found], pos[found]
        known[two] = area[a] + area[b] - inter[srt[pos]]  # NaN where GEOS made the test
    area_parts = [known]
    npieces = len(starts)
    for c in np.flatnonzero(mixed):
        m = order[starts[c] : ends[c]]
        zs = zones_sorted[starts[c] : ends[c]]
        for z in sorted(set(zs) - {ALL_ZONES}):
            sub = m[zs == z]
            members_parts.append(sub)
            indptr_parts.append(np.array([len(sub)]))
            p_group.append(np.array([groups[c]]))
            lab_piece.append(np.array([npieces]))
            lab.append(np.array([z], dtype=object))
            area_parts.append(np.array([area[sub[0]] if len(sub) == 1 else np.nan]))
            npieces += 1
    return Pieces(
        feats=geoms,
        indptr=np.r_[0, np.cumsum(np.concatenate(indptr_parts))].astype(np.int64),
        members=np.concatenate(members_parts).astype(np.int64),
        kind=np.full(npieces, kind, dtype=object),
        group=np.concatenate(p_group).astype(np.int64),
        label_piece=np.concatenate(lab_piece).astype(np.int64),
        label=np.concatenate(lab),
        area=np.concatenate(area_parts),
    )


def _interiors_overlap(
    geoms: np.ndarray, pairs: np.ndarray, n_jobs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Whether the interiors of ``geoms[pairs[:, 0]]`` and ``geoms[pairs[:, 1]]`` overlap,
    and the area of their intersection.

    Measured as a positive intersection area by :mod:`zoning.polyarea`; pairs it declines
    (touching or collinear edges) get the exact DE-9IM test from GEOS and a NaN area.
    """
    from zoning.polyarea import pack, union_clip_areas

    used, inv = np.unique(pairs, return_inverse=True)
    inv = inv.reshape(pairs.shape)
    area, noise = union_clip_areas(
        pack(geoms[used]),
        np.arange(len(pairs) + 1),
        inv[:, 0],
        inv[:, 1],
        n_jobs=n_jobs,
        with_noise=True,
    )
    hit = area > noise  # features that only touch have an intersection of 0 within rounding
    bad = np.flatnonzero(np.isnan(area))
    if len(bad):
        hit[bad] = _interiors_meet(geoms[pairs[bad, 0]], geoms[pairs[bad, 1]])
    return hit, area


def _piece_geometries(pieces: Pieces, idx: np.ndarray, n_jobs: int) -> np.ndarray:
    """Build (union) the geometries of pieces ``idx``."""
    out = np.empty(len(idx), dtype=object)
    sizes = pieces.sizes()[idx]
    first = pieces.members[pieces.indptr[idx]]
    one = sizes == 1
    out[one] = pieces.feats[first[one]]
    two = np.flatnonzero(sizes == 2)
    if len(two):
        a = first[two]
        b = pieces.members[pieces.indptr[idx[two]] + 1]
        pairs = np.stack([a, b], axis=1)
        out[two] = _map_chunks(
            lambda p: _overlay(shapely.union, pieces.feats[p[:, 0]], pieces.feats[p[:, 1]]),
            pairs,
            n_jobs,
        )
    many = np.flatnonzero(sizes > 2)
    if len(many):

        def _u(k: int) -> Any:
            i = idx[k]
            return _union_all(pieces.feats[pieces.members[pieces.indptr[i] : pieces.indptr[i + 1]]])

        if n_jobs > 1 and len(many) > 1:
            with ThreadPoolExecutor(n_jobs) as pool:
                out[many] = list(pool.map(_u, many))
        else:
            out[many] = [_u(k) for k in many]
    return out


def _piece_areas(pieces: Pieces, idx: np.ndarray, n_jobs: int) -> np.ndarray:
    """Area of the union of pieces ``idx`` without building it.

    Areas the dissolve already knows (:attr:`Pieces.area`) are taken as they are. Other
    pieces of one feature: its area; of several: the boundary integral of
    :mod:`zoning.polyarea`, with GEOS unions for the groups it declines.
    """
    out = pieces.known_area()[idx].copy()
    todo = np.isnan(out)
    sizes = pieces.sizes()[idx]
    first = pieces.members[pieces.indptr[idx]]
    one = todo & (sizes == 1)
    out[one] = _map_chunks(shapely.area, pieces.feats[first[one]], n_jobs)
    many = np.flatnonzero(todo & (sizes > 1))
    if len(many):
        out[many] = _kernel_areas(pieces, idx[many], None, np.full(len(many), -1), n_jobs)
        bad = many[np.isnan(out[many])]
        if len(bad):
            out[bad] = shapely.area(_piece_geometries(pieces, idx[bad], n_jobs))
    return out


def _kernel_areas(
    pieces: Pieces,
    idx: np.ndarray,
    units: _Units | None,
    unit_of: np.ndarray,
    n_jobs: int,
) -> np.ndarray:
    """Area of ``union(piece idx[i]) ∩ unit unit_of[i]`` (no clip where ``unit_of`` is -1)
    by :func:`zoning.polyarea.union_clip_areas`; NaN where the kernel declines.
    """
    from zoning.polyarea import pack, union_clip_areas

    sizes = pieces.sizes()[idx]
    pos = _ranges(pieces.indptr[idx], sizes)
    used, members = np.unique(pieces.members[pos], return_inverse=True)
    geoms = pieces.feats[used]
    clip = np.asarray(unit_of, dtype=np.int64).copy()
    if units is not None:
        geoms = np.concatenate([geoms, units.geoms])
        clip[clip >= 0] += len(used)
    indptr = np.r_[0, np.cumsum(sizes)]
    area, noise = union_clip_areas(
        pack(geoms), indptr, members.ravel(), clip, n_jobs=n_jobs, with_noise=True
    )
    area[np.abs(area) <= noise] = 0.0  # a piece touching a unit from outside: none inside
    return area


# --------------------------------------------------------------------------------------------
# Measure
# --------------------------------------------------------------------------------------------


def measure_pieces(pieces: Pieces, units: _Units, *, n_jobs: int = 1) -> pd.DataFrame:
    """Area (m²) of every piece inside every unit it touches, for every label of the piece.

    Returns
    -------
    DataFrame
        Columns ``unit`` (position in ``units``), ``kind``, ``label``, ``group``, ``area_m2``;
        one row per (piece label, unit) pair with a positive area.
    """
    n = len(pieces)
    if n == 0 or len(units.ids) == 0:
        return _empty_measure()
    b = pieces.bounds()
    # a piece whose envelope touches no unit boundary lies inside one unit (or outside all).
    # Most are found by the boundary grid, and placed by the unit of the centre of the
    # (boundary-free) cell holding their envelope's corner; the envelopes of the others are
    # tested against the boundary chunks, and those clear of them placed by their corner.
    free = units.grid.free(b)
    cell, cx, cy = units.grid.centres(b[free, 0], b[free, 1])
    c_idx, c_unit = _units_containing(units, cx, cy)
    unit_of_cell = np.full(len(cx), -1, dtype=np.int64)
    unit_of_cell[c_idx] = c_unit
    far = np.flatnonzero(free)
    placed = unit_of_cell[cell] >= 0
    far_piece, far_unit = [far[placed]], [unit_of_cell[cell][placed]]
    near = ~free
    check = np.flatnonzero(near)
    if len(check) and len(units.boundary_tree):
        cb = b[check]
        boxes = shapely.box(cb[:, 0], cb[:, 1], cb[:, 2], cb[:, 3])
        hit = np.zeros(len(check), dtype=bool)
        hit[units.boundary_tree.query(boxes)[0]] = True
        clear = check[~hit]
        near[clear] = False
        p_idx, u_idx = _units_containing(units, b[clear, 0], b[clear, 1])
        far_piece.append(clear[p_idx])
        far_unit.append(u_idx)
    far_piece, far_unit = np.concatenate(far_piece), np.concatenate(far_unit)
    res_piece = [far_piece]
    res_unit = [far_unit]
    res_area = [_piece_areas(pieces, far_piece, n_jobs)]

    near_idx = np.flatnonzero(near)
    if len(near_idx):
        # every (piece, unit) pair whose envelopes meet, measured by the boundary integral
        nb = b[near_idx]
        p_pos, u_idx = units.tree.query(shapely.box(nb[:, 0], nb[:, 1], nb[:, 2], nb[:, 3]))
        cand = near_idx[p_pos]
        area = _kernel_areas(pieces, cand, units, u_idx, n_jobs)
        declined = np.zeros(n, dtype=bool)
        declined[cand[np.isnan(area)]] = True
        ok = ~declined[cand]
        res_piece.append(cand[ok])
        res_unit.append(u_idx[ok])
        res_area.append(area[ok])
        # pieces with a pair the kernel declined (touching or collinear edges): GEOS
        sizes = pieces.sizes()
        single = np.flatnonzero(declined & (sizes == 1))
        if len(single):
            pc, uc, ac = _measure_single(pieces, single, units, n_jobs)
            res_piece.append(pc)
            res_unit.append(uc)
            res_area.append(ac)
        multi = np.flatnonzero(declined & (sizes > 1))
        if len(multi):
            pc, uc, ac = _measure_multi(pieces, multi, units, n_jobs)
            res_piece.append(pc)
            res_unit.append(uc)
            res_area.append(ac)
    piece = np.concatenate(res_piece)
    unit = np.concatenate(res_unit)
    area = np.concatenate(res_area)
    pos = area > 0
    piece, unit, area = piece[pos], unit[pos], area[pos]
    # expand to labels: a piece may count for "all" and for its zone
    order = np.argsort(pieces.label_piece, kind="stable")
    lp = pieces.label_piece[order]
    lstart = np.searchsorted(lp, piece, side="left")
    lend = np.searchsorted(lp, piece, side="right")
    reps = lend - lstart
    rows = np.repeat(np.arange(len(piece)), reps)
    lab_idx = order[_ranges(lstart, reps)]
    return pd.DataFrame(
        {
            "unit": unit[rows].astype(np.int64),
            "kind": pieces.kind[piece[rows]],
            "label": pieces.label[lab_idx],
            "group": pieces.group[piece[rows]],
            "area_m2": area[rows],
        }
    )


def _units_containing(units: _Units, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (point, unit) with the point inside the unit: envelope candidates from the
    tree, then one vectorised point-in-polygon call per unit on its prepared geometry (an
    order of magnitude faster than a predicate query of the tree).
    """
    c_p, c_u = units.tree.query(shapely.points(x, y))
    order = np.argsort(c_u, kind="stable")
    c_p, c_u = c_p[order], c_u[order]
    cut = np.searchsorted(c_u, np.arange(len(units.geoms) + 1))
    inside = np.zeros(len(c_p), dtype=bool)
    for u in np.flatnonzero(np.diff(cut)):
        s, e = cut[u], cut[u + 1]
        inside[s:e] = shapely.contains_xy(units.geoms[u], x[c_p[s:e]], y[c_p[s:e]])
    return c_p[inside], c_u[inside]


def _measure_single(
    pieces: Pieces, cand: np.ndarray, units: _Units, n_jobs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Measure one-feature pieces near unit boundaries: whole when covered, else clipped."""
    cgeoms = pieces.feats[pieces.members[pieces.indptr[cand]]]
    ctree = shapely.STRtree(cgeoms)
    # unit contains_properly or covers piece (units prepared once): whole, never clipped;
    # such a piece has no area in any other unit (units do not overlap)
    u_in, c_in = ctree.query(units.geoms, predicate="contains_properly")
    inside = np.zeros(len(cand), dtype=bool)
    inside[c_in] = True
    rest = np.flatnonzero(~inside)
    if len(rest):
        rtree = shapely.STRtree(cgeoms[rest])
        u_cov, r_cov = rtree.query(units.geoms, predicate="covers")
        u_in = np.r_[u_in, u_cov]
        c_in = np.r_[c_in, rest[r_cov]]
        inside[rest[r_cov]] = True
    res_piece, res_unit = [cand[c_in]], [u_in]
    res_area = [_map_chunks(shapely.area, cgeoms[c_in], n_jobs)]
    c_all, u_all = units.tree.query(cgeoms)  # envelope candidates
    keep = ~inside[c_all]
    c_all, u_all = c_all[keep], u_all[keep]
    # drop pairs that do not meet at all (prepared units; one thread: not thread-safe)
    meet = shapely.intersects(units.geoms[u_all], cgeoms[c_all])
    c_all, u_all = c_all[meet], u_all[meet]
    if len(c_all):
        last = _remainder_pairs(c_all, u_all, cgeoms, units)
        pairs = np.stack([c_all[~last], u_all[~last]], axis=1)
        area = np.empty(len(c_all), dtype=float)
        area[~last] = _map_chunks(
            lambda p: shapely.area(
                _overlay(shapely.intersection, cgeoms[p[:, 0]], units.geoms[p[:, 1]])
            ),
            pairs,
            n_jobs,
        )
        if last.any():
            # a piece inside the units' union splits among its units: the last unit (by id)
            # gets the piece's area minus the others' (one intersection saved per piece)
            others: dict[int, list[float]] = {}
            for c, a in zip(c_all[~last], area[~last], strict=True):
                others.setdefault(int(c), []).append(float(a))
            whole = shapely.area(cgeoms[c_all[last]])
            rest = [
                math.fsum([w, *(-x for x in others[int(c)])])
                for c, w in zip(c_all[last], whole, strict=True)
            ]
            area[last] = np.maximum(rest, 0.0)
        res_piece.append(cand[c_all])
        res_unit.append(u_all)
        res_area.append(area)
    return np.concatenate(res_piece), np.concatenate(res_unit), np.concatenate(res_area)


def _remainder_pairs(
    c_all: np.ndarray, u_all: np.ndarray, cgeoms: np.ndarray, units: _Units
) -> np.ndarray:
    """Mark, for each piece crossing several units and covered by their union, the pair of
    its last unit (largest id): its area is the piece's area minus the other parts.
    """
    last = np.zeros(len(c_all), dtype=bool)
    counts = np.bincount(c_all, minlength=len(cgeoms))
    multi = counts[c_all] > 1
    if multi.sum() < _REMAINDER_MIN_PAIRS:  # not worth building the units' union
        return last
    # order pairs by piece, then unit id; the last pair of each piece is the candidate
    order = np.lexsort((units.ids[u_all], c_all))
    c_sorted = c_all[order]
    is_last = np.r_[c_sorted[1:] != c_sorted[:-1], True]
    cand_pos = order[is_last & multi[order]]
    pieces = np.unique(c_all[cand_pos])
    covered = shapely.covers(units.region(), cgeoms[pieces])  # prepared, one thread
    ok = np.zeros(len(cgeoms), dtype=bool)
    ok[pieces[covered]] = True
    last[cand_pos[ok[c_all[cand_pos]]]] = True
    return last


def _measure_multi(
    pieces: Pieces, cand: np.ndarray, units: _Units, n_jobs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Measure groups of overlapping features near unit boundaries: clip each member, then union.

    A large connected group (e.g. a coverage of control units with sliver overlaps) is never
    unioned as a whole: each member is clipped by the units it meets and the clipped parts are
    unioned per unit, which gives the same area as clipping the union.
    """
    sizes = pieces.sizes()[cand]
    piece_of = np.repeat(cand, sizes)
    pos = _ranges(pieces.indptr[cand], sizes)
    mgeoms = pieces.feats[pieces.members[pos]]
    m_idx, u_idx = units.tree.query(mgeoms)
    # one thread: prepared geometries build their index lazily and are not thread-safe
    covered = shapely.covers(units.geoms[u_idx], mgeoms[m_idx])
    parts = mgeoms[m_idx].copy()
    clip = np.flatnonzero(~covered)
    if len(clip):
        pairs = np.stack([m_idx[clip], u_idx[clip]], axis=1)
        parts[clip] = _map_chunks(
            lambda p: _overlay(shapely.intersection, mgeoms[p[:, 0]], units.geoms[p[:, 1]]),
            pairs,
            n_jobs,
        )
    part_area = shapely.area(parts)
    ok = part_area > 0
    m_idx, u_idx, parts, part_area = m_idx[ok], u_idx[ok], parts[ok], part_area[ok]
    p_of = piece_of[m_idx]
    # group parts by (piece, unit), members in canonical order
    order = np.lexsort((m_idx, u_idx, p_of))
    p_of, u_sorted, parts, part_area = p_of[order], u_idx[order], parts[order], part_area[order]
    if len(order) == 0:
        return (np.array([], dtype=np.int64),) * 2 + (np.array([], dtype=float),)
    brk = np.flatnonzero(np.r_[True, (p_of[1:] != p_of[:-1]) | (u_sorted[1:] != u_sorted[:-1])])
    ends = np.r_[brk[1:], len(order)]
    area = np.empty(len(brk), dtype=float)
    lone = (ends - brk) == 1
    area[lone] = part_area[brk[lone]]
    groups = [parts[s:e] for s, e in zip(brk[~lone], ends[~lone], strict=True)]
    if groups:

        def _u(g: np.ndarray) -> float:
            return float(shapely.area(_union_all(g)))

        if n_jobs > 1 and len(groups) > 1:
            with ThreadPoolExecutor(n_jobs) as pool:
                area[~lone] = list(pool.map(_u, groups))
        else:
            area[~lone] = [_u(g) for g in groups]
    return p_of[brk], u_sorted[brk], area


def _empty_measure() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit": pd.Series(dtype=np.int64),
            "kind": pd.Series(dtype=object),
            "label": pd.Series(dtype=object),
            "group": pd.Series(dtype=np.int64),
            "area_m2": pd.Series(dtype=float),
        }
    )


def _zone_order(kind: str, zones: Iterable[str]) -> list[str]:
    """``all`` first, then the kind's canonical zones in declaration order, then the rest."""
    present = set(zones) - {ALL_ZONES}
    declared: tuple[str, ...] = ()
    try:
        from zoning.kinds import get_kind

        declared = get_kind(kind).zone_ids
    except (ImportError, KeyError):
        pass
    ordered = [z for z in declared if z in present]
    ordered += sorted(present - set(ordered))
    return [ALL_ZONES, *ordered]


def summarise(
    measured: pd.DataFrame,
    units: _Units,
    zones_by_kind: Mapping[str, Iterable[str]],
) -> pd.DataFrame:
    """Add up measured piece areas per (unit, kind, zone) with :func:`math.fsum`.

    Every (unit, kind, zone) combination appears, with zero area where nothing lies, so that
    tables of two runs line up row by row.
    """
    sums: dict[tuple[int, str, str], float] = {}
    if len(measured):
        grouped = measured.groupby(["unit", "kind", "label"], sort=False)["area_m2"]
        for key, values in grouped:
            sums[(int(key[0]), str(key[1]), str(key[2]))] = math.fsum(values.to_numpy())
    rows: list[tuple[str, str, str, float, float]] = []
    for u, uid in enumerate(units.ids):
        for kind in sorted(zones_by_kind):
            for zone in _zone_order(kind, zones_by_kind[kind]):
                rows.append(
                    (uid, kind, zone, sums.get((u, kind, zone), 0.0), float(units.area_m2[u]))
                )
    out = pd.DataFrame(rows, columns=["unit_id", "layer_kind", "zone", "area_m2", "unit_m2"])
    out["area_km2"] = out["area_m2"] / 1e6
    out["unit_area_km2"] = out["unit_m2"] / 1e6
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share_pct"] = np.where(out["unit_m2"] > 0, 100.0 * out["area_m2"] / out["unit_m2"], 0)
    out = out[STATS_COLUMNS]
    return _sort_stats(out)


def _sort_stats(df: pd.DataFrame) -> pd.DataFrame:
    """Sort by unit id, then kind, keeping the zone order within each kind."""
    df = df.copy()
    df["_z"] = df.groupby(["unit_id", "layer_kind"], sort=False).cumcount()
    df = df.sort_values(["unit_id", "layer_kind", "_z"], kind="stable").drop(columns="_z")
    return df.reset_index(drop=True)


def area_by_unit(
    units: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    unit_id: str = "adcode",
    crs: Any = None,
    n_jobs: int | None = None,
    make_valid: bool = True,
    validate: bool = True,
    dissolved: tuple[Pieces, dict[str, list[str]]] | None = None,
) -> pd.DataFrame:
    """Area and share of every layer kind and zone inside every unit, in an equal-area CRS.

    Overlapping features of a layer are dissolved first, so nothing is counted twice; features
    crossing a unit boundary are split exactly. Layers and units may be in any CRS (EPSG:4490,
    a Gauss–Krüger zone, WGS84 …): everything is measured in ``crs``.

    Parameters
    ----------
    units : GeoDataFrame
        Units that do not overlap each other (e.g. counties), with an id column.
    layers : mapping of str to GeoDataFrame
        Layer kind → features; a ``zone`` column gives zone rows (otherwise only ``all``).
        Non-polygonal features (rivers as lines) are ignored.
    unit_id : str
        Id column of ``units`` (default ``"adcode"``).
    crs : CRS-like, optional
        Equal-area CRS to measure in; default :data:`zoning.crs.ALBERS_CHINA`.
    n_jobs : int, optional
        Threads to use (default: all cores). Results do not depend on it.
    make_valid : bool
        Check layer geometries and repair invalid ones (``False`` for frames already valid,
        such as :meth:`Catalog.frame` output: the check costs about as much as the rest).
    validate : bool
        Check the units (unique ids, no overlaps); turn off only for units already checked.
    dissolved : tuple, optional
        :func:`dissolve_layers` output for ``layers`` in ``crs``, to reuse one dissolve for
        several unit sets (``layers`` is then not read).

    Returns
    -------
    DataFrame
        ``unit_id, layer_kind, zone, area_km2, unit_area_km2, share_pct``; ``zone == "all"`` is
        the whole dissolved layer. One row per unit × kind × zone present, zeros included,
        sorted by unit id, kind, zone.

    Raises
    ------
    LayerValidationError
        Units with duplicate ids, overlapping units, no CRS.
    CRSError
        A layer without a CRS, or ``crs`` unfit for areas.
    """
    jobs = resolve_n_jobs(n_jobs)
    prepared = prepare_units(units, unit_id=unit_id, crs=crs, validate=validate)
    if dissolved is None:
        dissolved = dissolve_layers(layers, crs=crs, n_jobs=jobs, make_valid=make_valid)
    pieces, zones_by_kind = dissolved
    measured = measure_pieces(pieces, prepared, n_jobs=jobs)
    return summarise(measured, prepared, zones_by_kind)


def dissolve_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    crs: Any = None,
    n_jobs: int = 1,
    make_valid: bool = True,
) -> tuple[Pieces, dict[str, list[str]]]:
    """Project and dissolve every layer; return the pieces and the zones present per kind."""
    target = _check_measurable(crs if crs is not None else _albers())
    parts: list[Pieces] = []
    zones_by_kind: dict[str, list[str]] = {}
    offset = 0
    for kind in sorted(layers):
        geoms, zones = _layer_geoms(
            kind, layers[kind], target, make_valid=make_valid, n_jobs=n_jobs
        )
        zones_by_kind[kind] = sorted(set(zones))
        p = dissolve_layer(kind, geoms, zones, n_jobs=n_jobs, group_offset=offset)
        offset += len(geoms)
        parts.append(p)
    return Pieces.concat(parts), zones_by_kind


# --------------------------------------------------------------------------------------------
# Roll-ups
# --------------------------------------------------------------------------------------------


def parent_adcode(adcode: object, level: str) -> str:
    """Return the city (``level="city"``) or province adcode of a 6-digit county adcode.

    Examples
    --------
    >>> parent_adcode("140215", "city"), parent_adcode(140215, "province")
    ('140200', '140000')
    """
    code = str(adcode).strip()
    if len(code) != 6 or not code.isdigit():
        raise ValueError(f"adcode {code!r} is not a 6-digit administrative code")
    if level == "city":
        return code[:4] + "00"
    if level == "province":
        return code[:2] + "0000"
    raise ValueError(f"level must be 'city' or 'province', not {level!r}")


def rollup(
    stats: pd.DataFrame,
    parents: Mapping[str, str] | pd.Series | Callable[[str], str],
) -> pd.DataFrame:
    """Roll statistics up to parent units (county → city → province) by adding areas.

    Because layers are dissolved before they are split by units, the pieces inside the child
    units partition the dissolved layer inside the parent, so the sums equal a direct
    computation on the parent units (to rounding; sums use :func:`math.fsum`).

    Parameters
    ----------
    stats : DataFrame
        Output of :func:`area_by_unit` for the child units.
    parents : mapping, Series or callable
        Child unit id → parent unit id.

    Returns
    -------
    DataFrame
        Same columns, one row per parent × kind × zone.
    """
    mapper = parents if callable(parents) and not isinstance(parents, pd.Series) else None
    df = stats.copy()
    if mapper is not None:
        df["_parent"] = [mapper(u) for u in df["unit_id"]]
    else:
        lookup = dict(parents.items()) if isinstance(parents, pd.Series) else dict(parents)
        missing = sorted(set(df["unit_id"]) - set(lookup))
        if missing:
            raise ValueError(f"no parent for unit(s) {', '.join(missing[:10])}")
        df["_parent"] = df["unit_id"].map(lookup)
    df["_z"] = df.groupby(["unit_id", "layer_kind"], sort=False).cumcount()
    unit_area = (
        df.drop_duplicates("unit_id")
        .groupby("_parent")["unit_area_km2"]
        .agg(lambda s: math.fsum(s.to_numpy()))
    )
    area = df.groupby(["_parent", "layer_kind", "zone"], sort=False).agg(
        area_km2=("area_km2", lambda s: math.fsum(s.to_numpy())), _z=("_z", "min")
    )
    out = area.reset_index().rename(columns={"_parent": "unit_id"})
    out["unit_area_km2"] = out["unit_id"].map(unit_area)
    out["share_pct"] = np.where(
        out["unit_area_km2"] > 0, 100.0 * out["area_km2"] / out["unit_area_km2"], 0.0
    )
    out["unit_id"] = out["unit_id"].astype(str)
    out = out.sort_values(["unit_id", "layer_kind", "_z"], kind="stable")
    return out[STATS_COLUMNS].reset_index(drop=True)
