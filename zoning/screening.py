"""Site screening: can this project go here? Every constraint hit, by how much, and why.

:func:`screen_sites` screens many sites (points, lines, polygons) against the control layers of
a catalogue in one pass and returns a :class:`ScreeningResult` (JSON, HTML report, CSV, map).

How it works
------------
1. **Candidates** come from one ``shapely.STRtree`` per layer kind, queried in bulk with every
   site's envelope grown by the search radius (or the largest rule buffer of the kind).
2. **Exact metrics** are computed only for candidate pairs, in the local CGCS2000 3-degree
   Gauss–Krüger zone of each site (``zoning.crs.gk_epsg_for_lon``; sites are grouped by zone and
   only candidate features are projected): containment and distance to the zone boundary for
   points; length inside and number of boundary crossings for lines; overlap area, share of the
   site and share of the zone for polygons; distance from the zone boundary for sites outside.
   A site wholly inside a zone (``contains_properly`` on prepared geometry) is never clipped.
   Pairs are processed in chunks on a thread pool (shapely releases the GIL).
3. **by_layer** totals each kind and zone on the dissolved layer: the clipped pieces of one
   site are unioned, so overlapping features are counted once.
4. **Rules** (``zoning.rules``) are matched by kind, zone, project type and feature name, and
   evaluated on the project attributes. A rule with ``buffer_m`` also catches sites outside the
   zone within that distance of its boundary.
5. **Verdict**: the strictest outcome wins, in the order ``prohibited`` > ``needs_info`` >
   ``conditional`` > ``allowed``. ``needs_info`` ranks above ``conditional`` because missing
   facts (an attribute, the functional zone, data coverage) may still turn a site prohibited,
   and below ``prohibited`` because a prohibition holds whatever the missing facts are. A zone
   hit that no rule covers for the project type is ``needs_info``; so is a site not wholly
   inside the catalogue's coverage. A site that hits nothing inside the coverage is
   ``allowed``, and for such sites the nearest feature of every kind is reported.

Examples
--------
>>> import geopandas as gpd
>>> from shapely import box
>>> zones = gpd.GeoDataFrame(
...     {"feature_id": ["ws1"], "kind": ["water_source"], "zone": ["level1"], "name": ["A"]},
...     geometry=[box(500_000, 4_200_000, 501_000, 4_201_000)], crs="EPSG:4547"
... ).to_crs("EPSG:4490")
>>> site = gpd.GeoDataFrame(
...     geometry=[box(500_100, 4_200_100, 500_200, 4_200_200)], crs="EPSG:4547")
>>> result = screen_sites(site, {"water_source": zones}, "chemical")
>>> result.sites["verdict"].tolist()
['prohibited']
>>> round(result.hits["overlap_area_m2"].iloc[0])
10000
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zoning.errors import CRSError, EmptyInputError, ZoningUsageError
from zoning.reasons import OUTCOME_ZH
from zoning.rules import SEVERITY, Assessment, Rule, RulePack, load_rulepacks
from zoning.threads import resolve_n_jobs

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj

    from zoning.projects import ProjectType

__all__ = [
    "DISCLAIMER",
    "ScreeningIndex",
    "ScreeningResult",
    "build_index",
    "screen",
    "screen_sites",
]

DISCLAIMER = "For planning analysis, not an official map / 仅供规划分析，非正式地图"
_NOT_SCREENED = {"admin_unit"}
_CHUNK = 4096
_DEG_LAT_M = 110_574.0
_DEG_LON_EQ_M = 111_320.0


# ---------------------------------------------------------------------------------------------
# Layer index
# ---------------------------------------------------------------------------------------------
class _LayerIndex:
    """STRtree and lazily projected geometries of one normalised layer frame."""

    def __init__(self, kind: str, frame: gpd.GeoDataFrame):
        import pyproj
        import shapely

        self.kind = kind
        self.frame = frame
        self.geoms = np.asarray(frame.geometry.values, dtype=object)
        self.tree = shapely.STRtree(self.geoms)
        self.crs = pyproj.CRS(frame.crs) if frame.crs is not None else None
        if self.crs is None:
            raise CRSError(
                f"layer frame {kind!r} has no CRS; expected EPSG:4490 (the normalised frame); "
                "fix: set_crs on the frame or load it through a catalogue"
            )
        self.geographic = self.crs.is_geographic
        self.zones = self._column("zone", "")
        self.feature_ids = self._column("feature_id", None)
        if self.feature_ids is None or pd.isna(self.feature_ids).any():
            self.feature_ids = np.array([f"{kind}:{i}" for i in range(len(frame))], dtype=object)
        self.names = self._column("name", None)
        if self.names is None:
            self.names = np.full(len(frame), None, dtype=object)
        self._projected: dict[int, np.ndarray] = {}
        self._done: dict[int, np.ndarray] = {}
        self._area: dict[int, np.ndarray] = {}
        lat = shapely.bounds(self.geoms)[:, [1, 3]] if len(self.geoms) else np.zeros((0, 2))
        self.max_abs_lat = float(np.nanmax(np.abs(lat))) if self.geographic and len(lat) else 0.0

    def _column(self, name: str, default: Any) -> np.ndarray | None:
        if name in self.frame.columns:
            return self.frame[name].to_numpy(dtype=object)
        if default is None:
            return None
        return np.full(len(self.frame), default, dtype=object)

    def projected(self, idx: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
        """Return the features ``idx`` in ``crs`` (projecting and caching only what is new)."""
        import shapely

        epsg = crs.to_epsg() or hash(crs.to_wkt())
        if self.crs == crs:
            return self.geoms[idx]
        if epsg not in self._projected:
            self._projected[epsg] = np.full(len(self.geoms), None, dtype=object)
            self._done[epsg] = np.zeros(len(self.geoms), dtype=bool)
        store, done = self._projected[epsg], self._done[epsg]
        todo = np.unique(idx[~done[idx]])
        if len(todo):
            projected = _transform(self.geoms[todo], self.crs, crs)
            bad = ~shapely.is_valid(projected)
            if bad.any():  # reprojection can fold near-degenerate rings: repair once, cached
                projected[bad] = shapely.make_valid(projected[bad])
            store[todo] = projected
            done[todo] = True
        return store[idx]

    def zone_area(self, idx: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
        """Area (m²) of features ``idx`` in the projected ``crs`` (cached)."""
        import shapely

        epsg = crs.to_epsg() or hash(crs.to_wkt())
        if epsg not in self._area:
            self._area[epsg] = np.full(len(self.geoms), np.nan)
        cache = self._area[epsg]
        todo = np.unique(idx[np.isnan(cache[idx])])
        if len(todo):
            cache[todo] = shapely.area(self.projected(todo, crs))
        return cache[idx]

    def query_pairs(self, sites_native: np.ndarray, radius_m: float) -> tuple[np.ndarray, ...]:
        """Candidate (site, feature) pairs whose envelopes come within ``radius_m``."""
        import shapely

        b = shapely.bounds(sites_native)
        if self.geographic:
            lat = np.clip(np.maximum(np.abs(b[:, 1]), np.abs(b[:, 3])), 0, 89.0)
            lat = np.maximum(lat, self.max_abs_lat)
            dx = radius_m / (_DEG_LON_EQ_M * np.cos(np.radians(lat))) * 1.01
            dy = np.full(len(b), radius_m / _DEG_LAT_M * 1.01)
        else:
            dx = dy = np.full(len(b), radius_m)
        boxes = shapely.box(b[:, 0] - dx, b[:, 1] - dy, b[:, 2] + dx, b[:, 3] + dy)
        site_idx, feat_idx = self.tree.query(boxes)
        return site_idx, feat_idx


@dataclass
class ScreeningIndex:
    """Spatial indexes of a catalogue's layers, built once and reused across screenings."""

    layers: dict[str, _LayerIndex]
    coverage: Any = None
    provenance: dict[str, Any] = field(default_factory=dict)
    admin: gpd.GeoDataFrame | None = None
    _prepared_coverage: Any = None
    jurisdiction: str | None = None
    kinds: tuple[str, ...] = ()
    #: catalogue layer name -> {access-list dimension: field} of the control-unit layers
    access_fields: dict[str, dict[str, str]] | None = None
    _access_lists: Any = None


def _transform(geoms: np.ndarray, src: pyproj.CRS, dst: pyproj.CRS) -> np.ndarray:
    import pyproj
    import shapely

    tr = pyproj.Transformer.from_crs(src, dst, always_xy=True)

    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


_INDEX_CACHE: dict[Any, tuple[tuple[Any, ...], ScreeningIndex]] = {}


def build_index(
    catalog_or_frames: Any, *, coverage: Any = None, kinds: Sequence[str] | None = None
) -> ScreeningIndex:
    """Build (or fetch from cache) the spatial indexes of a catalogue or of ``{kind: frame}``.

    Parameters
    ----------
    catalog_or_frames : zoning.catalog.Catalog, mapping of kind to GeoDataFrame, or ScreeningIndex
        Layer frames: normalised (EPSG:4490, DESIGN.md) or in any CRS with metres or degrees.
    coverage : shapely geometry, optional
        Where the data is complete (EPSG:4490). Default: the catalogue's coverage, else the
        union of the province (or all) ``admin_unit`` features, else unknown.
    kinds : sequence of str, optional
        Restrict to these kinds.
    """
    import shapely

    if isinstance(catalog_or_frames, ScreeningIndex):
        return catalog_or_frames
    # the same catalogue, or the same frame objects, reuse their indexes (like GeoDataFrame.sindex)
    if isinstance(catalog_or_frames, Mapping):
        ident: tuple[Any, ...] = tuple(catalog_or_frames.values())
        key: Any = (tuple(catalog_or_frames), tuple(id(f) for f in ident))
    else:
        ident = (catalog_or_frames,)
        key = ((), (id(catalog_or_frames),))
    cached = _INDEX_CACHE.get(key)
    if (
        cached is not None
        and all(a is b for a, b in zip(cached[0], ident, strict=True))
        and coverage is None
        and not kinds
    ):
        return cached[1]
    cat_jurisdiction = None
    if isinstance(catalog_or_frames, Mapping):
        frames = dict(catalog_or_frames)
        provenance: dict[str, Any] = {
            "name": "<frames>",
            "layers": [{"kind": k, "features": len(f)} for k, f in frames.items()],
        }
        cov = coverage
        if cov is None and "admin_unit" in frames and len(frames["admin_unit"]):
            admin = frames["admin_unit"].to_crs("EPSG:4490")
            top = admin[admin["zone"] == "province"] if "zone" in admin else admin
            cov = shapely.union_all((top if len(top) else admin).geometry.to_numpy())
        admin_frame = frames.get("admin_unit")
    else:  # a zoning.catalog.Catalog
        cat = catalog_or_frames
        frames = {k: cat.frame(k) for k in cat.kinds}
        provenance = cat.provenance()
        cov = coverage if coverage is not None else cat.coverage
        admin_frame = frames.get("admin_unit")
        cat_jurisdiction = getattr(cat, "jurisdiction", None)
    if kinds:
        frames = {k: f for k, f in frames.items() if k in kinds}
    from zoning.kinds import KIND_IDS

    unknown = [k for k in frames if k not in KIND_IDS]
    if unknown:
        raise ZoningUsageError(
            f"unknown layer kind(s) {unknown}; expected keys among {list(KIND_IDS)}; "
            "fix: key the frames by layer kind"
        )
    layers = {k: _LayerIndex(k, f) for k, f in frames.items() if k not in _NOT_SCREENED and len(f)}
    index = ScreeningIndex(
        layers=layers,
        coverage=cov,
        provenance=provenance,
        admin=admin_frame,
        jurisdiction=cat_jurisdiction,
        kinds=tuple(frames),
    )
    index.access_fields = _catalog_access_fields(catalog_or_frames)
    if cov is not None:
        index._prepared_coverage = cov
        shapely.prepare(cov)
    if coverage is None and not kinds:
        _INDEX_CACHE.clear()  # keep one catalogue's index alive at a time
        _INDEX_CACHE[key] = (ident, index)
    return index


def _catalog_access_fields(source: Any) -> dict[str, dict[str, str]] | None:
    """Access-list fields of a catalogue's control-unit layers (None for plain frames: their
    fields are detected by name when a list is asked for).
    """
    if isinstance(source, Mapping) or not hasattr(source, "access_fields"):
        return None
    return {
        e.name: source.access_fields(e.name) for e in source.entries if e.kind == "control_unit"
    }


def unit_access_list(index: ScreeningIndex | None, feature_idx: int) -> dict[str, str] | None:
    """The access list (dimension → text) of control unit ``feature_idx`` of ``index``, or
    ``None`` when the unit layer carries none (:mod:`zoning.access_list`).
    """
    if index is None or "control_unit" not in index.layers:
        return None
    if index._access_lists is None:
        from zoning.access_list import frame_access_lists

        frame = index.layers["control_unit"].frame
        index._access_lists = frame_access_lists(frame, index.access_fields)
    entry = index._access_lists[int(feature_idx)]
    return dict(entry) if entry else None


def _with_access_columns(result: ScreeningResult, summary: pd.DataFrame) -> pd.DataFrame:
    """The per-site summary with the site's control unit(s) and their access list, one column
    per dimension (``access_spatial_layout`` …); texts of several units are prefixed by unit.
    """
    from zoning.access_list import DIMENSIONS

    units: list[str] = []
    columns: dict[str, list[str]] = {f"access_{d}": [] for d in DIMENSIONS}
    for i in range(len(result.sites)):
        trig, *_ = result._site_rows(i)
        hits = [h for h in trig if h["layer_kind"] == "control_unit" and bool(h["intersects"])]
        ids = list(dict.fromkeys(str(h["feature_id"]) for h in hits))
        lists = {
            str(h["feature_id"]): unit_access_list(result.index, h["feature_idx"]) or {}
            for h in hits
        }
        units.append(";".join(ids))
        for d in DIMENSIONS:
            texts = [(u, lists[u][d]) for u in ids if d in lists[u]]
            cell = texts[0][1] if len(texts) == 1 and len(ids) == 1 else ""
            if len(ids) > 1:
                cell = " | ".join(f"[{u}] {t}" for u, t in texts)
            columns[f"access_{d}"].append(cell)
    return summary.assign(control_unit=units, **columns)


# ---------------------------------------------------------------------------------------------
# Sites
# ---------------------------------------------------------------------------------------------
def _site_ids(sites: gpd.GeoDataFrame, site_id_field: str | None) -> list[str]:
    if site_id_field is not None:
        if site_id_field not in sites.columns:
            raise ZoningUsageError(
                f"site id field {site_id_field!r} not in the site file; columns: "
                f"{', '.join(map(str, sites.columns))}"
            )
        col = site_id_field
    else:
        col = next((c for c in ("site_id", "id", "name", "名称") if c in sites.columns), None)
    if col is None:
        return [str(i + 1) for i in range(len(sites))]
    ids = [str(v) if not pd.isna(v) else str(i + 1) for i, v in enumerate(sites[col])]
    if len(set(ids)) != len(ids):  # keep them unique
        ids = [f"{v}#{i + 1}" if ids.count(v) > 1 else v for i, v in enumerate(ids)]
    return ids


def _prepare_sites(
    sites: gpd.GeoDataFrame, site_id_field: str | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Check and repair the sites; return them in EPSG:4490 with ids and a repair note."""
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
    if out.crs.to_epsg() != 4490:
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


def _dimension(geoms: np.ndarray) -> np.ndarray:
    import shapely

    return shapely.get_dimensions(geoms)


# ---------------------------------------------------------------------------------------------
# Pair metrics
# ---------------------------------------------------------------------------------------------
_CLIP_MIN_VERTICES = 48
#: sites closer than this to a zone touch it (numerical noise of CRS round trips is ~1e-10 m)
_TOUCH_M = 1e-3


def _clip_rects(
    geoms: np.ndarray, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray
) -> np.ndarray:
    """``clip_by_rect`` with one rectangle per geometry, in one vectorised call.

    ``shapely.clip_by_rect`` accepts scalar bounds only; the ufunc behind it broadcasts, so it
    is called directly (falling back to a loop if a future shapely changes that).
    """
    import shapely

    try:
        from shapely import lib

        return lib.clip_by_rect(
            geoms,
            np.asarray(x0, dtype=float),
            np.asarray(y0, dtype=float),
            np.asarray(x1, dtype=float),
            np.asarray(y1, dtype=float),
        )
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - shapely changed
        pass
    except shapely.errors.GEOSException:
        # GEOS's rectangle clipping fails on some degenerate inputs ("LinearRing … 3 points",
        # seen on human-activity patches against control units): clip one by one, and take
        # the exact intersection with the rectangle for those it cannot clip
        pass
    return np.array(
        [_clip_one(g, *r) for g, r in zip(geoms, np.c_[x0, y0, x1, y1], strict=True)],
        dtype=object,
    )


def _clip_one(geom: Any, x0: float, y0: float, x1: float, y1: float) -> Any:
    """``clip_by_rect`` of one geometry; the intersection with the rectangle where it fails."""
    import shapely

    try:
        return shapely.clip_by_rect(geom, x0, y0, x1, y1)
    except shapely.errors.GEOSException:
        return shapely.intersection(geom, shapely.box(x0, y0, x1, y1))


def _local_zones(s: np.ndarray, z: np.ndarray, pad: np.ndarray) -> np.ndarray:
    """Each zone cut to its site's envelope grown by ``pad`` (``clip_by_rect``, linear time).

    Everything measured within ``pad`` of the site is unchanged (site ∩ zone, containment,
    distances up to ``pad``), while the costly overlay now sees a few vertices instead of
    thousands. Small zones are left whole.
    """
    import shapely

    out = z.copy()
    sb, zb = shapely.bounds(s), shapely.bounds(z)
    x0, y0, x1, y1 = sb[:, 0] - pad, sb[:, 1] - pad, sb[:, 2] + pad, sb[:, 3] + pad
    # clip only where it pays: detailed zones that reach beyond the site's neighbourhood
    # (points gain nothing: a point-in-polygon test is already linear in the zone's size)
    reaches_out = (zb[:, 0] < x0) | (zb[:, 1] < y0) | (zb[:, 2] > x1) | (zb[:, 3] > y1)
    dims = shapely.get_dimensions(s)
    big = np.flatnonzero(
        (shapely.get_num_coordinates(z) >= _CLIP_MIN_VERTICES) & reaches_out & (dims > 0)
    )
    if len(big):
        out[big] = _clip_rects(z[big], x0[big], y0[big], x1[big], y1[big])
    return out


def _line_zone_metrics(
    lines: np.ndarray, zones: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Length inside, boundary crossings and inside intervals of line/zone pairs, in numpy.

    Each line segment is split where it crosses the zone's rings (all segment × edge
    intersections at once, against the zone cut to the segment's envelope), and the pieces
    between splits are classified by their midpoints (``intersects_xy``: a piece running along
    the boundary counts as inside, as in a GEOS intersection). This replaces one overlay per
    pair, whose fixed cost dominates for short lines against detailed zones. Lengths are path
    lengths: a route that doubles back over itself counts both passes (as ``length`` does).

    Returns
    -------
    length : float array
        Length of each line inside its zone (m).
    crossings : int array
        Changes between outside and inside along each line (entries plus exits).
    intervals : object array
        Per pair, an ``(k, 2)`` array of inside intervals as distances along the line.
    """
    import shapely

    n = len(lines)
    parts, part_owner = shapely.get_parts(lines, return_index=True)
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    same = cidx[1:] == cidx[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    seg_part = cidx[:-1][same]
    seg_pair = part_owner[seg_part]
    seg_len = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
    # distance along the whole line (parts in order) at each segment start
    order_start = np.concatenate([[0.0], np.cumsum(seg_len)[:-1]])
    first_of_pair = np.r_[True, seg_pair[1:] != seg_pair[:-1]]
    pair_offset = np.maximum.accumulate(np.where(first_of_pair, order_start, 0.0))
    seg_start = order_start - pair_offset
    # the zone cut to each segment's envelope (1 m margin keeps the cut edges off the segment)
    lo, hi = np.minimum(a, b) - 1.0, np.maximum(a, b) + 1.0
    zseg = zones[seg_pair]
    big = shapely.get_num_coordinates(zseg) >= _CLIP_MIN_VERTICES
    zc = zseg.copy()
    zc[big] = _clip_rects(zseg[big], lo[big, 0], lo[big, 1], hi[big, 0], hi[big, 1])
    # every edge of every (clipped) zone ring, tagged with its segment
    rings, ring_seg = shapely.get_parts(shapely.boundary(zc), return_index=True)
    rc, ridx = shapely.get_coordinates(rings, return_index=True)
    rsame = ridx[1:] == ridx[:-1]
    q0, q1 = rc[:-1][rsame], rc[1:][rsame]
    eseg = ring_seg[ridx[:-1][rsame]]
    pa, r = a[eseg], (b - a)[eseg]
    sv = q1 - q0
    denom = r[:, 0] * sv[:, 1] - r[:, 1] * sv[:, 0]
    qa = q0 - pa
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = (qa[:, 0] * sv[:, 1] - qa[:, 1] * sv[:, 0]) / denom
        u = (qa[:, 0] * r[:, 1] - qa[:, 1] * r[:, 0]) / denom
    eps = 1e-12
    ok = (denom != 0) & (t > eps) & (t < 1 - eps) & (u >= -eps) & (u <= 1 + eps)
    # split parameters per segment: 0, crossings, 1
    nseg = len(a)
    t_all = np.concatenate([np.zeros(nseg), t[ok], np.ones(nseg)])
    s_all = np.concatenate([np.arange(nseg), eseg[ok], np.arange(nseg)])
    o = np.lexsort((t_all, s_all))
    t_all, s_all = t_all[o], s_all[o]
    cont = s_all[1:] == s_all[:-1]
    t0, t1, sk = t_all[:-1][cont], t_all[1:][cont], s_all[:-1][cont]
    keep = t1 - t0 > 1e-12
    t0, t1, sk = t0[keep], t1[keep], sk[keep]
    tm = (t0 + t1) / 2
    mx = a[sk, 0] + tm * (b[sk, 0] - a[sk, 0])
    my = a[sk, 1] + tm * (b[sk, 1] - a[sk, 1])
    inside = shapely.intersects_xy(zc[sk], mx, my)
    piece_len = (t1 - t0) * seg_len[sk]
    pair = seg_pair[sk]
    length = np.bincount(pair[inside], weights=piece_len[inside], minlength=n)
    # crossings: changes of state along each part of each line
    part = seg_part[sk]
    change = (inside[1:] != inside[:-1]) & (part[1:] == part[:-1])
    crossings = np.bincount(pair[1:][change], minlength=n).astype(np.int64)
    start = seg_start[sk] + t0 * seg_len[sk]
    end = seg_start[sk] + t1 * seg_len[sk]
    intervals = np.empty(n, dtype=object)
    sel = np.flatnonzero(inside)
    groups = np.split(sel, np.flatnonzero(np.diff(pair[sel])) + 1) if len(sel) else []
    for g in groups:
        intervals[pair[g[0]]] = np.column_stack([start[g], end[g]])
    for k in range(n):
        if intervals[k] is None:
            intervals[k] = np.empty((0, 2))
    return length, crossings, intervals


def _interval_union_length(intervals: list[np.ndarray]) -> float:
    """Total length of the union of 1-D intervals (overlapping features counted once)."""
    iv = np.concatenate([x for x in intervals if len(x)]) if intervals else np.empty((0, 2))
    if not len(iv):
        return 0.0
    iv = iv[np.argsort(iv[:, 0])]
    ends = np.maximum.accumulate(iv[:, 1])
    starts = iv[:, 0]
    gap = np.r_[True, starts[1:] > ends[:-1]]
    lo = starts[gap]
    hi = np.maximum.reduceat(iv[:, 1], np.flatnonzero(gap))
    return float(np.sum(hi - lo))


def _robust_intersection(a: Any, b: Any) -> Any:
    """``a ∩ b``, repairing ``b`` (and then snapping to a 1 mm grid) when GEOS fails."""
    import shapely
    from shapely.errors import GEOSException

    try:
        return shapely.intersection(a, b)
    except GEOSException:
        b = shapely.make_valid(b)
        try:
            return shapely.intersection(a, b)
        except GEOSException:
            return shapely.intersection(a, b, grid_size=1e-3)


def _pair_metrics(
    s: np.ndarray, z: np.ndarray, dim: np.ndarray, radius: np.ndarray, tolerance: float
) -> dict[str, np.ndarray]:
    """Exact metrics of site/zone pairs (projected metres). Runs in worker threads.

    Zones are first cut to the site's neighbourhood (:func:`_local_zones`); a site wholly
    inside a zone is never clipped; distances are computed only for pairs within ``radius``.
    """
    import shapely
    from shapely.errors import GEOSException

    n = len(s)
    pad = np.maximum(radius, tolerance) + 1.0
    # envelopes farther apart than the radius: the pair cannot matter, skip it outright
    sb, zb = shapely.bounds(s), shapely.bounds(z)
    gap_x = np.maximum(0.0, np.maximum(zb[:, 0] - sb[:, 2], sb[:, 0] - zb[:, 2]))
    gap_y = np.maximum(0.0, np.maximum(zb[:, 1] - sb[:, 3], sb[:, 1] - zb[:, 3]))
    env = np.hypot(gap_x, gap_y)
    # only pairs whose envelopes come within the tolerance can intersect: those are cut to a
    # small neighbourhood and measured in full; the others only need a distance
    close_pad = tolerance + 1.0
    close = env <= close_pad
    mid = ~close & (env <= pad)
    zl = z.copy()
    zl[close] = _local_zones(s[close], z[close], np.full(int(close.sum()), close_pad))
    empty = ~close | shapely.is_empty(zl)
    inter = np.zeros(n, dtype=bool)
    inter[~empty] = shapely.intersects(s[~empty], zl[~empty])
    inside = np.zeros(n, dtype=bool)
    inside[inter] = shapely.contains_properly(zl[inter], s[inter])
    proper = inside.copy()
    partial = inter & ~inside
    if partial.any():  # points on the boundary and sites touching from within are covered
        inside[partial] = shapely.covers(zl[partial], s[partial])
    area = np.zeros(n)
    length = np.zeros(n)
    crossings = np.zeros(n, dtype=np.int64)
    clip = np.full(n, None, dtype=object)
    # wholly inside: the site itself, no clipping
    area[inside & (dim == 2)] = shapely.area(s[inside & (dim == 2)])
    length[inside & (dim == 1)] = shapely.length(s[inside & (dim == 1)])
    clip[inside] = s[inside]
    intervals = np.full(n, None, dtype=object)
    cut = inter & ~inside & (dim == 2)
    if cut.any():
        pos = np.flatnonzero(cut)
        b = shapely.bounds(s[pos])
        rect = np.isclose(shapely.area(s[pos]), (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))
        rect &= shapely.get_num_coordinates(s[pos]) == 5
        pieces = np.empty(len(pos), dtype=object)
        if rect.any():  # an axis-aligned rectangle: clipping is the exact intersection
            pr, br = pos[rect], b[rect]
            pieces[rect] = _clip_rects(zl[pr], br[:, 0], br[:, 1], br[:, 2], br[:, 3])
        other = np.flatnonzero(~rect)
        if len(other):
            try:
                pieces[other] = shapely.intersection(s[pos[other]], zl[pos[other]])
            except GEOSException:  # a clipped zone came out invalid: repair, pair by pair
                pieces[other] = [
                    _robust_intersection(a, b)
                    for a, b in zip(s[pos[other]], zl[pos[other]], strict=True)
                ]
        clip[pos] = pieces
        area[pos] = shapely.area(pieces)
    lcut = inter & ~inside & (dim == 1)
    if lcut.any():
        pos = np.flatnonzero(lcut)
        length[pos], crossings[pos], intervals[pos] = _line_zone_metrics(s[pos], zl[pos])
    whole = inside & (dim == 1)
    for k in np.flatnonzero(whole):
        intervals[k] = np.array([[0.0, length[k]]])
    pts_touch = inter & ~inside & (dim == 0)
    clip[pts_touch] = s[pts_touch]
    distance = np.zeros(n)
    keep = inter.copy()
    out = np.flatnonzero(close & ~inter & ~empty)
    refine = mid.copy()
    if len(out):
        d_out = shapely.distance(s[out], zl[out])
        exact = d_out < close_pad - 1e-9  # beyond that, the cut zone may hide a nearer part
        near = exact & (d_out <= radius[out])
        distance[out[near]] = d_out[near]
        keep[out[near]] = True
        refine[out[~exact]] = True
        # closer than a millimetre is touching: coordinates stored in degrees (EPSG:4490) and
        # projected back move shared edges by ~1e-10 m, which must not decide a verdict
        touch = out[d_out <= _TOUCH_M]
        inter[touch] = True
        distance[touch] = 0.0
    refine |= close & empty & (env <= pad)  # nothing within the small cut, maybe within radius
    refine &= radius > close_pad - 1.0
    ref = np.flatnonzero(refine)
    if len(ref):
        d_ref = shapely.distance(s[ref], z[ref])
        near = d_ref <= radius[ref]
        distance[ref[near]] = d_ref[near]
        keep[ref[near]] = True
    # distance to the zone boundary: exact for points inside; for lines and polygons inside,
    # only whether the site lies within the positional tolerance of the boundary
    boundary_d = np.full(n, np.nan)
    boundary_d[inter & ~proper] = 0.0
    pts = proper & (dim == 0)
    if pts.any():
        boundary_d[pts] = shapely.distance(s[pts], shapely.boundary(z[pts]))
    near_edge = np.where(inter, ~proper, distance <= tolerance)
    near_edge[pts] = boundary_d[pts] <= tolerance
    big = proper & (dim > 0)
    if big.any() and tolerance > 0:
        near_edge[big] = ~shapely.contains_properly(zl[big], shapely.buffer(s[big], tolerance))
    return {
        "intersects": inter,
        "inside": inside,
        "overlap_area_m2": area,
        "overlap_length_m": length,
        "crossings": crossings,
        "distance_m": distance,
        "boundary_distance_m": boundary_d,
        "near_boundary": near_edge,
        "keep": keep,
        "clip": clip,
        "intervals": intervals,
    }


def _run_chunks(
    s: np.ndarray,
    z: np.ndarray,
    dim: np.ndarray,
    radius: np.ndarray,
    tolerance: float,
    workers: int,
    owner: np.ndarray,
) -> dict[str, np.ndarray]:
    """Run :func:`_pair_metrics` over the pairs on a thread pool.

    GEOS prepared geometries build their indexes lazily and are not safe to share between
    threads, so pairs are split into buckets by zone feature (``owner``): a zone is only ever
    touched by one thread.
    """
    n = len(s)
    if n == 0 or workers <= 1 or n <= _CHUNK:
        return _pair_metrics(s, z, dim, radius, tolerance)
    n_buckets = workers * 2
    bucket = owner % n_buckets
    order = np.argsort(bucket, kind="stable")
    cuts = np.searchsorted(bucket[order], np.arange(n_buckets + 1))

    def job(k: int) -> dict[str, np.ndarray]:
        sel = order[cuts[k] : cuts[k + 1]]
        return _pair_metrics(s[sel], z[sel], dim[sel], radius[sel], tolerance)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(job, range(n_buckets)))
    out = {}
    for key in parts[0]:
        merged = np.concatenate([p[key] for p in parts])
        res = np.empty_like(merged)
        res[order] = merged
        out[key] = res
    return out


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _RuleEval:
    rule: Rule
    outcome: str
    missing: tuple[str, ...]
    assessment: Assessment | None = None


_EVAL_CACHE: dict[Any, tuple[list[RulePack], dict[str, list[_RuleEval]]]] = {}


def _evaluate_rules(
    packs: Sequence[RulePack], pt: ProjectType, attrs: Mapping[str, Any], as_of: dt.date
) -> dict[str, list[_RuleEval]]:
    """Rules per kind that cover the project type, are in force and whose conditions hold.

    Rules that need no layer are listed under the kind ``""``. Results are memoised per pack
    objects, type, attributes and date (the packs are frozen; a screening of one site should
    not pay for evaluating every rule again).
    """
    try:
        key: Any = (tuple(map(id, packs)), pt.id, tuple(sorted(attrs.items())), as_of)
        hash(key)
    except TypeError:  # an unhashable attribute value: evaluate without the memo
        key = None
    hit = _EVAL_CACHE.get(key) if key is not None else None
    if hit is not None and all(a is b for a, b in zip(hit[0], packs, strict=True)):
        return dict(hit[1])  # the same pack objects (ids alone could be reused)
    out: dict[str, list[_RuleEval]] = {}
    for pack in packs:
        for rule in pack.rules:
            if not rule.in_effect(as_of) or not rule.covers_type(pt):
                continue
            a = rule.assess(attrs)
            if a.outcome is None:
                continue
            out.setdefault(rule.kind, []).append(_RuleEval(rule, a.outcome, a.missing, a))
    if key is not None:
        if len(_EVAL_CACHE) > 64:
            _EVAL_CACHE.clear()
        _EVAL_CACHE[key] = (list(packs), out)
    return out


def _binding(
    evals: dict[str, list[_RuleEval]], codes: Sequence[tuple[str, ...] | None]
) -> dict[str, np.ndarray]:
    """Per rule bound to a jurisdiction, per site: 1 binds, 0 does not, -1 cannot tell."""
    out: dict[str, np.ndarray] = {}
    memo: dict[str, np.ndarray] = {}
    for evs in evals.values():
        for ev in evs:
            jur = ev.rule.jurisdiction
            if not jur:
                continue
            if jur not in memo:
                val = {True: 1, False: 0, None: -1}
                per_codes: dict[Any, int] = {}  # sites of one county share their answer
                for c in set(codes):
                    per_codes[c] = val[ev.rule.binds(c)]
                memo[jur] = np.array([per_codes[c] for c in codes], dtype=np.int8)
            out[ev.rule.id] = memo[jur]
    return out


def _apply_rules(
    hits: pd.DataFrame,
    evals: dict[str, list[_RuleEval]],
    binding: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Add ``outcome``, ``rule_id``, ``rule_ids`` and ``checks`` to candidate rows.

    A rule bound to a jurisdiction fires only for sites in it (``binding``); for sites whose
    jurisdiction cannot be told its id goes to ``checks`` (evidence to check), not to the
    outcome. Rules that fire when a site lies outside a zone (``outside``) are not zone rules
    and are left to :func:`_area_rules`.
    """
    n = len(hits)
    binding = binding or {}
    outcome = np.full(n, "", dtype=object)
    rule_id = np.full(n, None, dtype=object)
    rule_ids: list[list[str]] = [[] for _ in range(n)]
    checks: list[list[str]] = [[] for _ in range(n)]
    if n:
        site_idx = hits["site_idx"].to_numpy(np.int64)
        names = hits["name"].to_numpy()
        inter = hits["intersects"].to_numpy()
        dist = hits["distance_m"].to_numpy()
        best = np.zeros(n, dtype=np.int64)
        for (kind, zone), rows in hits.groupby(["layer_kind", "zone"], sort=False).indices.items():
            for ev in evals.get(kind, []):
                if ev.rule.outside or not ev.rule.covers_zone(zone):
                    continue
                mask = inter[rows] | (dist[rows] <= ev.rule.buffer_m)
                if ev.rule.names:
                    mask &= np.array([ev.rule.covers_name(x) for x in names[rows]], dtype=bool)
                bind = binding.get(ev.rule.id)
                if bind is not None:
                    b = bind[site_idx[rows]]
                    for r in rows[mask & (b == -1)]:
                        checks[r].append(ev.rule.id)
                    mask &= b == 1
                sel = rows[mask]
                sev = SEVERITY[ev.outcome]
                for r in sel:
                    rule_ids[r].append(ev.rule.id)
                better = sel[sev > best[sel]]
                best[better] = sev
                outcome[better] = ev.outcome
                rule_id[better] = ev.rule.id
        # a zone hit that no rule covers for this project type: needs_info, never allowed
        uncovered = inter & (outcome == "")
        outcome[uncovered] = "needs_info"
    hits = hits.assign(outcome=outcome, rule_id=rule_id, rule_ids=rule_ids)
    if any(checks):  # rules whose area cannot be told for the site (rare: no admin data)
        hits["checks"] = checks
    hits["triggered"] = hits["outcome"] != ""
    return hits


_NO_AREA_HITS = pd.DataFrame(
    {"site_idx": np.empty(0, np.int64), "rule_id": [], "outcome": [], "status": []}
)


def _area_rules(
    evals: dict[str, list[_RuleEval]],
    hits: pd.DataFrame,
    binding: Mapping[str, np.ndarray],
    n_sites: int,
    layer_kinds: Iterable[str],
    covered: np.ndarray | None = None,
) -> pd.DataFrame:
    """Rules evaluated per site rather than per zone hit: rules that need no layer (they bind
    every site of their jurisdiction) and rules that fire when a site is not inside any zone
    of a kind (``outside``). ``status`` is ``applies`` or ``check`` (jurisdiction unknown).
    """
    rows: list[tuple[int, str, str, str]] = []
    present = set(layer_kinds)
    for kind, evs in evals.items():
        for ev in evs:
            if kind and not ev.rule.outside:
                continue
            fires = np.ones(n_sites, dtype=bool)
            if ev.rule.outside:
                if kind not in present:
                    continue  # the missing layer is reported as such
                if covered is not None:
                    fires &= covered  # outside the data, "no zone here" is not known
                if len(hits):
                    inside = hits[
                        (hits["layer_kind"] == kind)
                        & hits["inside"].astype(bool)
                        & hits["zone"].map(ev.rule.covers_zone).astype(bool)
                    ]
                    fires[inside["site_idx"].to_numpy(np.int64)] = False
            bind = binding.get(ev.rule.id)
            for i in np.flatnonzero(fires):
                b = 1 if bind is None else int(bind[i])
                if b:
                    rows.append((int(i), ev.rule.id, ev.outcome, "applies" if b == 1 else "check"))
    if not rows:
        return _NO_AREA_HITS
    return pd.DataFrame(rows, columns=["site_idx", "rule_id", "outcome", "status"])


def _missing_layers(
    evals: dict[str, list[_RuleEval]],
    layer_kinds: Iterable[str],
    binding: Mapping[str, np.ndarray],
    n_sites: int,
) -> list[list[str]]:
    """Per site, the layer kinds a restrictive rule for this project type needs and the
    catalogue lacks (rules whose jurisdiction surely excludes the site do not count).
    """
    present = set(layer_kinds)
    out: list[list[str]] = [[] for _ in range(n_sites)]
    for kind, evs in evals.items():
        if not kind or kind in present:
            continue
        needed = np.zeros(n_sites, dtype=bool)
        for ev in evs:
            if ev.outcome == "allowed":
                continue
            bind = binding.get(ev.rule.id)
            needed |= True if bind is None else bind != 0
        for i in np.flatnonzero(needed):
            out[int(i)].append(kind)
    return out


# ---------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------
def screen_sites(
    sites: gpd.GeoDataFrame,
    catalog_or_frames: Any,
    project_type: str | ProjectType,
    *,
    attrs: Mapping[str, Any] | Iterable[str] | None = None,
    rulepacks: Sequence[Any] | None = None,
    search_radius_m: float = 1000.0,
    tolerance_m: float = 10.0,
    coverage: Any = None,
    as_of: dt.date | str | None = None,
    site_id_field: str | None = None,
    workers: int | None = None,
    check_gcj02: bool = False,
    jurisdiction: str | None = None,
) -> ScreeningResult:
    """Screen sites for a project type against every control layer; explain the verdicts.

    Parameters
    ----------
    sites : GeoDataFrame
        One row per site (points, lines, polygons; any CRS, declared). Invalid geometries are
        repaired with ``make_valid`` and reported.
    catalog_or_frames : Catalog, mapping of kind to GeoDataFrame, or ScreeningIndex
        The control layers (normalised frames, DESIGN.md).
    project_type : str or ProjectType
        A project type id (``zoning.projects``), alias or Chinese name.
    attrs : mapping or iterable of "key=value", optional
        Project attributes that change outcomes (``discharges_wastewater``, ``livestock_scale``…).
    rulepacks : sequence, optional
        Rule packs (bundled names, TOML paths, parsed documents or ``RulePack`` objects).
        Default: the bundled national and Shanxi packs.
    search_radius_m : float, default 1000
        Zones within this distance are reported as nearby (rule buffers widen it per kind).
    tolerance_m : float, default 10
        Positional tolerance: sites within it of a zone boundary are flagged ``near_boundary``.
    coverage : shapely geometry, optional
        Where the data is complete (EPSG:4490); default from the catalogue.
    as_of : date or ISO string, optional
        Date on which rules must be in force (default today).
    site_id_field : str, optional
        Column holding site ids (default ``site_id``, ``id``, ``name`` or the row number).
    workers : int, optional
        Threads for the exact metrics (default: the idle CPUs by load average, 1 to 4).
    check_gcj02 : bool, default False
        Compare the sites with the catalogue's admin boundaries near them to flag GCJ-02
        (web-map) coordinates; adds ~50–100 ms, so the CLI turns it on and batch calls may not.
    jurisdiction : str, optional
        Administrative code of every site (``"140902"``), overriding the catalogue's
        ``admin_unit`` layer and its ``jurisdiction`` key (:mod:`zoning.jurisdiction`).
        Rules of a province, city or county bind only sites known to lie there.

    Returns
    -------
    ScreeningResult

    Raises
    ------
    UnknownProjectTypeError
        For an unknown project type (the closest ids are suggested).
    CRSError, EmptyInputError
        For sites without a CRS or without features.
    RulePackError
        For an invalid rule pack.
    """
    import shapely

    from zoning.crs import gk_epsg_for_lon
    from zoning.projects import get_project_type, resolve_attrs

    pt = get_project_type(project_type)
    attrs_resolved = resolve_attrs(pt, attrs)
    packs = load_rulepacks(rulepacks)
    if as_of is None:
        as_of = dt.date.today()
    elif isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    if not (0 <= search_radius_m < np.inf and 0 <= tolerance_m < np.inf):  # NaN fails too
        raise ZoningUsageError(
            f"search_radius_m={search_radius_m}, tolerance_m={tolerance_m}; expected finite "
            "numbers ≥ 0 metres"
        )
    workers = resolve_n_jobs(workers or None)
    index = build_index(catalog_or_frames, coverage=coverage)
    site_frame, _ids = _prepare_sites(sites, site_id_field)
    geoms_ll = np.asarray(site_frame.geometry.values, dtype=object)
    n_sites = len(geoms_ll)
    dims = _dimension(geoms_ll)

    warnings_: list[str] = []
    if check_gcj02:
        warnings_ += _gcj02_warning(site_frame, index)

    # coverage: a catalogue that cannot say where its data is complete never answers allowed
    if index.coverage is not None:
        covered = shapely.covers(index.coverage, geoms_ll)
    else:
        covered = np.zeros(n_sites, dtype=bool)
        warnings_.append(
            "catalogue coverage unknown (no coverage file and no admin_unit layer): sites "
            "cannot be checked against where data is complete, so no site is 'allowed'; fix: "
            'add coverage = "boundary.gpkg" or an admin_unit layer to the catalogue'
        )

    # local Gauss–Krüger zone of each site; sites are measured in their own zone
    import pyproj

    cx = shapely.get_coordinates(shapely.centroid(geoms_ll))[:, 0]
    epsg = np.array([gk_epsg_for_lon(x) for x in cx], dtype=np.int64)
    site_gk = np.empty(n_sites, dtype=object)
    crs_of: dict[int, pyproj.CRS] = {}
    src = pyproj.CRS("EPSG:4490")
    for code in np.unique(epsg):
        crs_of[int(code)] = pyproj.CRS.from_epsg(int(code))
        sel = epsg == code
        site_gk[sel] = _transform(geoms_ll[sel], src, crs_of[int(code)])
    site_area = np.where(dims == 2, shapely.area(site_gk), 0.0)
    site_length = np.where(dims == 1, shapely.length(site_gk), 0.0)

    evals = _evaluate_rules(packs, pt, attrs_resolved, as_of)
    from zoning.jurisdiction import site_jurisdictions

    juris = site_jurisdictions(index, geoms_ll, explicit=jurisdiction)
    binding = _binding(evals, juris.codes)
    frames_rows: list[pd.DataFrame] = []
    clips: list[np.ndarray] = []
    pieces_list: list[np.ndarray] = []
    intervals_list: list[np.ndarray] = []
    native_cache: dict[str, np.ndarray] = {}
    for kind, layer in index.layers.items():
        max_buffer = max((ev.rule.buffer_m for ev in evals.get(kind, [])), default=0.0)
        radius = max(search_radius_m, max_buffer, tolerance_m)
        key = layer.crs.to_wkt()
        if key not in native_cache:
            native_cache[key] = (
                geoms_ll if layer.crs.to_epsg() == 4490 else _transform(geoms_ll, src, layer.crs)
            )
        si, fj = layer.query_pairs(native_cache[key], radius)
        if len(si) == 0:
            continue
        z = np.empty(len(si), dtype=object)
        for code, crs in crs_of.items():
            sel = epsg[si] == code
            if sel.any():
                z[sel] = layer.projected(fj[sel], crs)
        m = _run_chunks(
            site_gk[si], z, dims[si], np.full(len(si), radius), tolerance_m, workers, fj
        )
        keep = m.pop("keep")
        pieces_all = m.pop("clip")[keep]
        intervals_list.append(m.pop("intervals")[keep])
        clip = z[keep]  # the projected zone of each kept pair, dissolved later in by_layer
        si, fj = si[keep], fj[keep]
        m = {k: v[keep] for k, v in m.items()}
        zone_area = np.full(len(si), np.nan)
        poly = (dims[si] == 2) & m["intersects"]
        for code, crs in crs_of.items():
            sel = poly & (epsg[si] == code)
            if sel.any():
                zone_area[sel] = layer.zone_area(fj[sel], crs)
        with np.errstate(invalid="ignore", divide="ignore"):
            share_site = np.where(
                dims[si] == 2,
                m["overlap_area_m2"] / site_area[si],
                np.where(dims[si] == 1, m["overlap_length_m"] / site_length[si], 1.0),
            )
            share_site = np.where(m["intersects"], share_site, 0.0)
            share_zone = np.where(poly, m["overlap_area_m2"] / zone_area, np.nan)
        frames_rows.append(
            pd.DataFrame(
                {
                    "site_idx": si,
                    "layer_kind": kind,
                    "feature_idx": fj,
                    "zone": layer.zones[fj],
                    "feature_id": layer.feature_ids[fj],
                    "name": layer.names[fj],
                    **m,
                    "share_of_site": share_site,
                    "share_of_zone": share_zone,
                }
            )
        )
        clips.append(clip)
        pieces_list.append(pieces_all)
    hits = (
        pd.concat(frames_rows, ignore_index=True)
        if frames_rows
        else pd.DataFrame(
            columns=[
                "site_idx", "layer_kind", "feature_idx", "zone", "feature_id", "name",
                "intersects", "inside", "overlap_area_m2", "overlap_length_m", "crossings",
                "distance_m", "boundary_distance_m", "share_of_site", "share_of_zone",
                "near_boundary",
            ]
        )
    )  # fmt: skip
    clip_all = np.concatenate(clips) if clips else np.empty(0, dtype=object)
    pieces_cat = np.concatenate(pieces_list) if pieces_list else np.empty(0, dtype=object)
    intervals_cat = np.concatenate(intervals_list) if intervals_list else np.empty(0, dtype=object)
    hits = _apply_rules(hits, evals, binding)
    present = set(index.kinds) | set(index.layers)  # a kind with no features here is present
    area_hits = _area_rules(evals, hits, binding, n_sites, present, covered)
    missing_layers = _missing_layers(evals, present, binding, n_sites)
    by_layer = _by_layer(
        hits, pieces_cat, intervals_cat, site_gk, dims, site_area, site_length, workers
    )

    # nearest feature of every kind for sites that hit nothing
    hit_any = np.zeros(n_sites, dtype=bool)
    if len(hits):
        hit_any[hits.loc[hits["intersects"].astype(bool), "site_idx"].to_numpy(int)] = True
    nearest = _nearest(index, np.flatnonzero(~hit_any), geoms_ll, site_gk, epsg, crs_of, src)

    # verdicts
    sev = np.zeros(n_sites, dtype=np.int64)
    trig = hits[hits["triggered"]] if len(hits) else hits
    if len(trig):
        row_sev = trig["outcome"].map(SEVERITY).to_numpy(int)
        np.maximum.at(sev, trig["site_idx"].to_numpy(int), row_sev)
    sev[~covered] = np.maximum(sev[~covered], SEVERITY["needs_info"])
    applies = area_hits[area_hits["status"] == "applies"] if len(area_hits) else area_hits
    if len(applies):
        np.maximum.at(
            sev,
            applies["site_idx"].to_numpy(np.int64),
            applies["outcome"].map(SEVERITY).to_numpy(int),
        )
    lacking = np.array([bool(m) for m in missing_layers], dtype=bool)
    sev[lacking] = np.maximum(sev[lacking], SEVERITY["needs_info"])
    sev[sev == 0] = SEVERITY["allowed"]
    by_sev = {v: k for k, v in SEVERITY.items()}
    verdict = [by_sev[int(v)] for v in sev]
    near_any = np.zeros(n_sites, dtype=bool)
    if len(hits):
        nb = hits[hits["near_boundary"].astype(bool)]
        near_any[nb["site_idx"].to_numpy(int)] = True
    counts = (
        trig[trig["intersects"].astype(bool)].groupby("site_idx").size()
        if len(trig)
        else pd.Series(dtype=int)
    )
    site_out = site_frame.assign(
        geometry_type=shapely.get_type_id(geoms_ll),
        verdict=verdict,
        covered=covered,
        n_hits=[int(counts.get(i, 0)) for i in range(n_sites)],
        site_area_m2=site_area,
        site_length_m=site_length,
        gk_epsg=epsg,
        near_boundary=near_any,
    )
    site_out["geometry_type"] = [g.geom_type for g in geoms_ll]
    missing_kinds = sorted(set(evals) - present - {""})
    if missing_kinds:
        warnings_.append(
            "no layer in the catalogue for kind(s) with rules for this project type: "
            + ", ".join(missing_kinds)
        )
    return ScreeningResult(
        project_type=pt,
        attrs=attrs_resolved,
        user_attrs=dict(_user_attrs(attrs)),
        packs=list(packs),
        provenance=index.provenance,
        sites=site_out,
        hits=hits,
        by_layer=by_layer,
        nearest=nearest,
        parameters={
            "search_radius_m": search_radius_m,
            "tolerance_m": tolerance_m,
            "as_of": as_of.isoformat(),
        },
        warnings=warnings_,
        index=index,
        _site_gk=site_gk,
        _zone_gk=clip_all,
        area_hits=area_hits,
        jurisdictions=juris,
        missing_layers=missing_layers,
    )


def _user_attrs(attrs: Any) -> Mapping[str, Any]:
    from zoning.projects import parse_attrs

    return parse_attrs(attrs)


def _gcj02_warning(site_frame: gpd.GeoDataFrame, index: ScreeningIndex) -> list[str]:
    """Flag sites that look GCJ-02 shifted against the admin boundaries near them."""
    import shapely

    admin = index.admin
    if admin is None or not len(admin):
        return []
    if "zone" in admin.columns and (admin["zone"] == "county").any():
        admin = admin[admin["zone"] == "county"]
    admin = admin.to_crs("EPSG:4490") if admin.crs and admin.crs.to_epsg() != 4490 else admin
    minx, miny, maxx, maxy = site_frame.total_bounds
    near = shapely.box(minx - 0.05, miny - 0.05, maxx + 0.05, maxy + 0.05)
    ref = admin[shapely.intersects(near, shapely.envelope(admin.geometry.values))]
    if not len(ref):
        return []
    try:
        from zoning.gcj02 import detect_gcj02

        check = detect_gcj02(site_frame, ref, sample=400)
    except Exception:  # detection is advisory: never fail a screening on it
        return []
    if check.likely_gcj02:
        return [
            f"sites look GCJ-02 shifted (median misfit {check.offset_m:.0f} m against admin "
            f"boundaries, {check.offset_after_correction_m:.0f} m after correction): "
            f"{check.message}"
        ]
    return []


def _safe_clip(site: Any, zones: np.ndarray) -> Any:
    """``site ∩ union(zones)``: the zones are first cut to the site's envelope (cheap, so big
    zones are never unioned whole), then dissolved, then intersected with the site once.
    """
    import shapely
    from shapely.errors import GEOSException

    x0, y0, x1, y1 = shapely.bounds(site)
    pad = 1.0 + 1e-6 * max(abs(x0), abs(y0), abs(x1), abs(y1))
    local = shapely.clip_by_rect(zones, x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    try:
        return shapely.intersection(site, shapely.union_all(local))
    except GEOSException:  # projection left a zone slightly invalid: repair and retry
        fixed = shapely.make_valid(local)
        try:
            return shapely.intersection(site, shapely.union_all(fixed))
        except GEOSException:  # last resort: union the clipped pieces (may keep slivers)
            return shapely.union_all(shapely.intersection(site, fixed), grid_size=1e-6)


def _dissolve_pieces(pieces: np.ndarray) -> Any:
    """Union the parts of one polygon site inside several features (overlaps count once)."""
    import shapely
    from shapely.errors import GEOSException

    try:
        return shapely.union_all(pieces)
    except GEOSException:
        return shapely.union_all(pieces, grid_size=1e-3)


def _by_layer(
    hits: pd.DataFrame,
    clip: np.ndarray,
    intervals: np.ndarray,
    site_gk: np.ndarray,
    dims: np.ndarray,
    site_area: np.ndarray,
    site_length: np.ndarray,
    workers: int = 1,
) -> pd.DataFrame:
    """Totals per site, kind and zone on the dissolved layer (overlaps counted once)."""
    import shapely

    cols = ["site_idx", "layer_kind", "zone", "overlap_area_m2", "overlap_length_m"]
    if not len(hits):
        return pd.DataFrame(columns=[*cols, "share_of_site", "inside", "n_features"])
    inter = hits["intersects"].to_numpy(bool)
    sub = hits[inter]
    pieces = clip[inter]
    spans = intervals[inter]
    grouped = sub.groupby(["site_idx", "layer_kind", "zone"], sort=True)
    g = grouped.ngroup().to_numpy()
    agg = grouped.agg(
        overlap_area_m2=("overlap_area_m2", "first"),
        overlap_length_m=("overlap_length_m", "first"),
        inside=("inside", "any"),
        n_features=("inside", "size"),
    ).reset_index()
    site = agg["site_idx"].to_numpy(np.int64)
    area = agg["overlap_area_m2"].to_numpy(float).copy()
    length = agg["overlap_length_m"].to_numpy(float).copy()
    inside = agg["inside"].to_numpy(bool)
    # a site wholly inside one feature of the zone: the dissolved overlap is the site itself
    area[inside] = np.where(dims[site[inside]] == 2, site_area[site[inside]], 0.0)
    length[inside] = np.where(dims[site[inside]] == 1, site_length[site[inside]], 0.0)
    multi = np.flatnonzero(~inside & (agg["n_features"].to_numpy() > 1))
    if len(multi):
        members = pd.Series(np.arange(len(g))).groupby(g).indices
        polys = []
        for k in multi:
            # dissolve the zones, then clip once: overlapping features count once, and no
            # near-collinear slivers from clipping each feature separately survive
            d = int(dims[site[k]])
            if d == 1:  # lines: union of the inside intervals along the line
                length[k] = _interval_union_length(list(spans[members[k]]))
            elif d == 2:
                polys.append(k)
        if polys:
            # the unions are independent GEOS calls that release the GIL: spread them over
            # the worker threads (the pieces are private copies, never prepared)
            def _area(k: int) -> float:
                return float(shapely.area(_dissolve_pieces(pieces[members[k]])))

            if workers > 1 and len(polys) > 64:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    area[polys] = list(pool.map(_area, polys, chunksize=32))
            else:
                area[polys] = [_area(k) for k in polys]
    d = dims[site]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(
            d == 2,
            area / site_area[site],
            np.where(d == 1, length / site_length[site], 1.0),
        )
    share = np.nan_to_num(share, nan=0.0)
    return pd.DataFrame(
        {
            "site_idx": site,
            "layer_kind": agg["layer_kind"].to_numpy(),
            "zone": agg["zone"].to_numpy(),
            "overlap_area_m2": area,
            "overlap_length_m": length,
            "share_of_site": share,
            "inside": inside,
            "n_features": agg["n_features"].to_numpy(np.int64),
        }
    )


def _nearest(
    index: ScreeningIndex,
    sites_idx: np.ndarray,
    geoms_ll: np.ndarray,
    site_gk: np.ndarray,
    epsg: np.ndarray,
    crs_of: Mapping[int, pyproj.CRS],
    src: pyproj.CRS,
) -> pd.DataFrame:
    """Nearest feature of every kind (exact GK distance) for the given sites."""
    import shapely

    cols = ["site_idx", "layer_kind", "zone", "feature_id", "name", "distance_m"]
    if not len(sites_idx):
        return pd.DataFrame(columns=cols)
    out = []
    for kind, layer in index.layers.items():
        native = geoms_ll[sites_idx]
        if layer.crs.to_epsg() != 4490:
            native = _transform(native, src, layer.crs)
        s_idx, f_idx = layer.tree.query_nearest(native, all_matches=False)
        if layer.geographic:
            # degrees are anisotropic: widen to every feature that could be nearer in metres
            d_deg = shapely.distance(native[s_idx], layer.geoms[f_idx])
            lat = np.abs(shapely.get_coordinates(shapely.centroid(native))[:, 1])
            factor = 1.0 / np.maximum(np.cos(np.radians(np.minimum(lat + 1.0, 89.0))), 1e-6)
            boxes_s, boxes_f = layer.tree.query(
                native, predicate="dwithin", distance=d_deg * factor * 1.01 + 1e-9
            )
            s_idx, f_idx = boxes_s, boxes_f
        gsite = sites_idx[s_idx]
        dist = np.empty(len(s_idx))
        for code, crs in crs_of.items():
            sel = epsg[gsite] == code
            if sel.any():
                dist[sel] = shapely.distance(site_gk[gsite[sel]], layer.projected(f_idx[sel], crs))
        df = pd.DataFrame({"site_idx": gsite, "f": f_idx, "distance_m": dist})
        df = df.sort_values(["site_idx", "distance_m"]).drop_duplicates("site_idx")
        out.append(
            pd.DataFrame(
                {
                    "site_idx": df["site_idx"].to_numpy(),
                    "layer_kind": kind,
                    "zone": layer.zones[df["f"].to_numpy()],
                    "feature_id": layer.feature_ids[df["f"].to_numpy()],
                    "name": layer.names[df["f"].to_numpy()],
                    "distance_m": df["distance_m"].to_numpy(),
                }
            )
        )
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)


# ---------------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------------
def _num(x: Any, nd: int = 2) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), nd)


def _severity_key(s: pd.Series) -> pd.Series:
    """Sort key: strictest outcome first (unknown outcomes last)."""
    return -pd.to_numeric(s.map(SEVERITY), errors="coerce").fillna(0)


@functools.cache
def _zone_label(kind: str, zone: str) -> str:
    from zoning.kinds import get_kind

    k = get_kind(kind)
    z = k.zones.get(zone)
    return f"{k.name_zh}{'·' + z.name_zh if z and z.name_zh != k.name_zh else ''}"


#: how much a subsidence zone weighs when sites are compared (unstable ground ranks last)
_GROUND_RISK = {"unstable": 3, "unknown": 2, "stabilising": 1, "stable": 0}


@dataclass
class ScreeningResult:
    """The outcome of :func:`screen_sites`: verdicts, hits, totals, reasons, provenance.

    Attributes
    ----------
    sites : GeoDataFrame
        One row per site (EPSG:4490): ``site_id``, ``verdict``, ``n_hits``, ``covered``,
        ``near_boundary``, ``site_area_m2``, ``site_length_m``, ``gk_epsg``, ``repair``.
    hits : DataFrame
        One row per site × feature within the search radius, with metrics; ``triggered`` rows
        (zone hits and buffer catches) carry ``outcome``, ``rule_id`` and ``rule_ids``.
    by_layer : DataFrame
        Per site, kind and zone on the dissolved layer.
    nearest : DataFrame
        Nearest feature of every kind for sites that hit nothing.
    """

    project_type: ProjectType
    attrs: dict[str, Any]
    user_attrs: dict[str, Any]
    packs: list[RulePack]
    provenance: dict[str, Any]
    sites: gpd.GeoDataFrame
    hits: pd.DataFrame
    by_layer: pd.DataFrame
    nearest: pd.DataFrame
    parameters: dict[str, Any]
    warnings: list[str]
    index: ScreeningIndex | None = field(default=None, repr=False)
    _site_gk: np.ndarray | None = field(default=None, repr=False)
    _zone_gk: np.ndarray | None = field(default=None, repr=False)
    area_hits: pd.DataFrame | None = field(default=None, repr=False)
    jurisdictions: Any = field(default=None, repr=False)
    #: per site, the layer kinds a rule for the project type needs and the catalogue lacks
    missing_layers: list[list[str]] | None = field(default=None, repr=False)

    def _boundary_distance(self, row: Mapping[str, Any]) -> float:
        """Distance (m) from a site inside a zone to the zone's boundary (computed on demand
        for lines and polygons; the engine computes it for points).
        """
        import shapely

        value = row["boundary_distance_m"]
        if not pd.isna(value) or not bool(row["inside"]) or self._zone_gk is None:
            return value
        site = self._site_gk[int(row["site_idx"])]
        zone = self._zone_gk[int(row["_pos"])]
        return float(shapely.distance(site, shapely.boundary(zone)))

    def constrained(self) -> pd.DataFrame:
        """Per site, the area and length inside zones with a restrictive outcome
        (prohibited, needs_info, conditional), all layers dissolved together.
        """
        cached = self.__dict__.get("_constrained_cache")
        if cached is not None:
            return cached.copy()
        import shapely

        n = len(self.sites)
        area, length = np.zeros(n), np.zeros(n)
        h = self.hits
        if len(h) and self._site_gk is not None:
            restrictive = h["intersects"].astype(bool) & h["outcome"].isin(
                ["prohibited", "needs_info", "conditional"]
            )
            # filtered once, then per site only its own rows as arrays (linear in hits)
            hr = h[restrictive]
            inside = hr["inside"].to_numpy().astype(bool)
            ov_area = hr["overlap_area_m2"].to_numpy(float)
            ov_length = hr["overlap_length_m"].to_numpy(float)
            labels = hr.index.to_numpy()
            for site, idx in hr.groupby("site_idx").indices.items():
                if inside[idx].any():
                    piece = self._site_gk[site]
                elif len(idx) == 1:
                    area[site] = ov_area[idx[0]]
                    length[site] = ov_length[idx[0]]
                    continue
                else:
                    zones = self._zone_gk[labels[idx]]
                    zones = zones[shapely.get_dimensions(zones) == 2]
                    if not len(zones):
                        continue
                    piece = _safe_clip(self._site_gk[site], zones)
                dim = shapely.get_dimensions(self._site_gk[site])
                area[site] = shapely.area(piece) if dim == 2 else 0.0
                length[site] = shapely.length(piece) if dim == 1 else 0.0
        out = pd.DataFrame(
            {"site_id": self.sites["site_id"].to_numpy(), "area_m2": area, "length_m": length}
        )
        self.__dict__["_constrained_cache"] = out
        return out.copy()

    # -------------------------------------------------------------- lookup
    @property
    def verdicts(self) -> pd.Series:
        """Verdict per site id."""
        return pd.Series(self.sites["verdict"].to_numpy(), index=self.sites["site_id"])

    def rule(self, rule_id: str) -> Rule:
        """Return a rule of the packs used."""
        by_id = self.__dict__.get("_rules_by_id")
        if by_id is None:
            by_id = {r.id: r for pack in self.packs for r in pack.rules}
            self.__dict__["_rules_by_id"] = by_id
        return by_id[rule_id]

    def _records(self) -> dict[str, dict[int, list[dict[str, Any]]]]:
        """Rows of hits, by_layer and nearest as plain dicts grouped per site (built once)."""
        cached = self.__dict__.get("_records_cache")
        if cached is None:

            def by_site(frame: pd.DataFrame) -> dict[int, list[dict[str, Any]]]:
                out: dict[int, list[dict[str, Any]]] = {}
                for pos, rec in enumerate(frame.to_dict("records") if len(frame) else []):
                    rec["_pos"] = pos
                    out.setdefault(int(rec["site_idx"]), []).append(rec)
                return out

            cached = {
                "hits": by_site(self.hits),
                "by_layer": by_site(self.by_layer),
                "nearest": by_site(self.nearest),
            }
            self.__dict__["_records_cache"] = cached
        return cached

    def _site_rows(self, i: int) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
        rec = self._records()
        rows = rec["hits"].get(i, [])
        trig = [r for r in rows if r["triggered"]]
        nearby = [r for r in rows if not r["triggered"]]
        return trig, nearby, rec["by_layer"].get(i, []), rec["nearest"].get(i, [])

    # -------------------------------------------------------------- explanation
    def _explained_full(self, i: int, trig: list[dict]) -> dict[str, list[str]]:
        """:meth:`_explain_full` of site ``i``, computed once (the JSON, the summary and the
        report all need it).
        """
        memo = self.__dict__.setdefault("_explained_cache", {})
        if i not in memo:
            memo[i] = self._explain_full(i, trig)
        return memo[i]

    def _explained(self, i: int, trig: list[dict]) -> tuple[list[str], list[str], list[str]]:
        """Reasons, evidence and questions of site ``i`` (memoised)."""
        full = self._explained_full(i, trig)
        return full["reasons"], full["evidence_required"], full["questions"]

    def _explain(self, i: int, trig: list[dict]) -> tuple[list[str], list[str], list[str]]:
        """Reasons (Chinese | English), evidence and questions of site ``i``."""
        full = self._explain_full(i, trig)
        return full["reasons"], full["evidence_required"], full["questions"]

    def _area_rows(self, i: int) -> list[dict[str, Any]]:
        """Rules that need no layer, or fire outside a zone, for site ``i``."""
        cache = self.__dict__.get("_area_cache")
        if cache is None:
            cache = {}
            frame = self.area_hits if self.area_hits is not None else pd.DataFrame()
            for rec in frame.to_dict("records") if len(frame) else []:
                cache.setdefault(int(rec["site_idx"]), []).append(rec)
            self.__dict__["_area_cache"] = cache
        return cache.get(i, [])

    def _where(self, i: int) -> str:
        from zoning.jurisdiction import describe

        j = self.jurisdictions
        if j is None:
            return "未知 / unknown"
        return describe(j.codes[i], j.names)

    def _explain_full(self, i: int, trig: list[dict]) -> dict[str, list[str]]:
        """Every reason of site ``i`` in both languages, strictest first, with the evidence a
        planner must supply and the questions that would settle ``needs_info``.
        """
        from zoning.kinds import get_kind
        from zoning.projects import attribute_specs
        from zoning.reasons import (
            area_rule_reason,
            check_text,
            metric_texts,
            outside_rule_reason,
            rule_reason,
        )

        reasons: list[tuple[int, str, str]] = []
        evidence: list[tuple[int, str]] = []
        questions: list[str] = []
        info = SEVERITY["needs_info"]
        specs = attribute_specs()
        hit_reasons = self.__dict__.setdefault("_hit_reasons", {})

        def ask(rule: Rule, a: Assessment) -> None:
            if rule.question:
                questions.append(rule.question)
            for attr in (*a.missing, *a.exception_missing):
                if f"--attr {attr}" in rule.question:
                    continue  # the rule's own question already asks for it
                spec = specs[attr]
                questions.append(f"{spec.question_zh}（{spec.question_en}）→ --attr {attr}=…")

        def gather(rule: Rule, a: Assessment, outcome: str, sev: int) -> None:
            if outcome in ("conditional", "allowed"):
                evidence.extend((sev, e) for e in rule.evidence_required)
                if a.exception is not None:
                    evidence.extend((sev, e) for e in a.exception.evidence_required)
            if outcome == "needs_info":
                ask(rule, a)

        if not bool(self.sites["covered"].iat[i]):
            if self.index is not None and self.index.coverage is None:
                reasons.append(
                    (
                        info,
                        "需补充信息：数据目录既无覆盖范围（coverage）也无行政区划图层，无法确认场址位于"
                        "数据范围内",
                        "needs_info: the catalogue has neither a coverage nor an admin_unit layer, "
                        "so it cannot say that the site lies in its data",
                    )
                )
            else:
                reasons.append(
                    (
                        info,
                        "需补充信息：场址超出数据覆盖范围，该处图层可能缺失",
                        "needs_info: the site is not wholly inside the catalogue's coverage, so "
                        "layers may be missing there (站点超出数据覆盖范围)",
                    )
                )
        for kind in self.missing_layers[i] if self.missing_layers else []:
            k = get_kind(kind)
            reasons.append(
                (
                    info,
                    f"需补充信息：数据目录缺少“{k.name_zh}”（{kind}）图层，而本项目类型有规则依赖该图层",
                    f"needs_info: the catalogue has no {kind} ({k.name_en}) layer, which rules for "
                    f"project type {self.project_type.id} need",
                )
            )
        for h in sorted(trig, key=lambda r: -SEVERITY.get(r["outcome"], 0)):
            where = _zone_label(h["layer_kind"], h["zone"])
            label_en = f"{h['layer_kind']}/{h['zone']} {where}"
            label_zh = where
            if h["name"] is not None and not pd.isna(h["name"]):
                label_en += f" '{h['name']}'"
                label_zh += f"“{h['name']}”"
            metric_zh, metric_en = metric_texts(h)
            if not h["rule_ids"]:
                reasons.append(
                    (
                        info,
                        f"需补充信息：{label_zh}（{metric_zh}），规则包中没有适用于项目类型"
                        f"“{self.project_type.name_zh}”的规则",
                        f"needs_info: site hits {label_en} ({metric_en}) and no rule in the packs "
                        f"covers project type {self.project_type.id} there",
                    )
                )
            for rid in h["rule_ids"]:
                rule = self.rule(rid)
                a = rule.assess(self.attrs)
                outcome = a.outcome or rule.outcome
                sev = SEVERITY[outcome]
                zh, en = rule_reason(
                    rule,
                    a,
                    self.attrs,
                    label_zh=label_zh,
                    label_en=label_en,
                    metric_zh=metric_zh,
                    metric_en=metric_en,
                )
                hit_reasons[(h["_pos"], rid)] = (zh, en)
                reasons.append((sev, zh, en))
                gather(rule, a, outcome, sev)
        # rules whose area cannot be told for the site: evidence to check, on hits and on
        # zones caught only by such a rule's buffer (left "nearby")
        for h in [*trig, *self._site_rows(i)[1]]:
            for rid in h.get("checks") or []:
                rule = self.rule(rid)
                outcome = rule.assess(self.attrs).outcome or rule.outcome
                evidence.append((SEVERITY[outcome], check_text(rule, outcome)))
        for row in self._area_rows(i):
            rule = self.rule(row["rule_id"])
            a = rule.assess(self.attrs)
            outcome = a.outcome or rule.outcome
            sev = SEVERITY[outcome]
            if row["status"] == "check":
                evidence.append((sev, check_text(rule, outcome)))
                continue
            if rule.outside:
                k = get_kind(rule.kind)
                zones = [z for z in rule.zones if z != "*"]
                zone_zh = "、".join(k.zones[z].name_zh for z in zones) or k.name_zh
                zone_en = f"{rule.kind}/{'|'.join(zones) or '*'}"
                zh, en = outside_rule_reason(rule, a, self.attrs, zone_zh, zone_en)
            else:
                zh, en = area_rule_reason(rule, a, self.attrs, self._where(i))
            reasons.append((sev, zh, en))
            gather(rule, a, outcome, sev)

        ranked = sorted(reasons, key=lambda t: -t[0])  # stable: strictest first
        pairs = list(dict.fromkeys((zh, en) for _, zh, en in ranked))
        ev_ranked = sorted(evidence, key=lambda t: -t[0])
        return {
            "reasons": [f"{zh} | {en}" for zh, en in pairs],
            "reasons_zh": [zh for zh, _ in pairs],
            "reasons_en": [en for _, en in pairs],
            "evidence_required": list(dict.fromkeys(text for _, text in ev_ranked)),
            "questions": list(dict.fromkeys(questions)),
        }

    def _hit_reason(self, h: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """The reason of the rule that decides a hit's outcome: (Chinese, English)."""
        from zoning.reasons import metric_texts, rule_reason

        if not h["rule_id"]:
            return None, None
        known = self.__dict__.get("_hit_reasons", {}).get((h["_pos"], h["rule_id"]))
        if known is not None:  # written by _explain_full with the same words
            return known
        rule = self.rule(h["rule_id"])
        where = _zone_label(h["layer_kind"], h["zone"])
        label_zh, label_en = where, f"{h['layer_kind']}/{h['zone']} {where}"
        if h["name"] is not None and not pd.isna(h["name"]):
            label_zh += f"“{h['name']}”"
            label_en += f" '{h['name']}'"
        metric_zh, metric_en = metric_texts(h)
        return rule_reason(
            rule,
            rule.assess(self.attrs),
            self.attrs,
            label_zh=label_zh,
            label_en=label_en,
            metric_zh=metric_zh,
            metric_en=metric_en,
        )

    def _area_rule_records(self, i: int) -> list[dict[str, Any]]:
        out = []
        for row in self._area_rows(i):
            rule = self.rule(row["rule_id"])
            out.append(
                {
                    "rule_id": rule.id,
                    "kind": rule.kind or None,
                    "outside": rule.outside,
                    "outcome": row["outcome"],
                    "status": row["status"],
                    "jurisdiction": rule.jurisdiction or "CN",
                    "jurisdiction_name": rule.jurisdiction_name,
                    "citation": rule.citation.to_dict(),
                }
            )
        return out

    # -------------------------------------------------------------- outputs
    def to_dict(self) -> dict[str, Any]:
        """Return the PRODUCT.md JSON document as a dictionary (plus extra fields).

        Built once: ``result.json``, the report and the command line all ask for it. The
        top-level fields that callers change afterwards (warnings, attrs, parameters) are
        taken fresh on every call; the per-site part is shared, do not modify it.
        """
        doc = self.__dict__.get("_doc_cache")
        if doc is None:
            doc = self.__dict__["_doc_cache"] = self._to_dict_fresh()
        return {
            **doc,
            "attrs": self.attrs,
            "parameters": self.parameters,
            "warnings": self.warnings,
        }

    def _to_dict_fresh(self) -> dict[str, Any]:
        out_sites = []
        for i, row in enumerate(self.sites.itertuples(index=False)):
            trig, nearby, bl, nn = self._site_rows(i)
            full = self._explained_full(i, trig)
            reasons, evidence, questions = (
                full["reasons"],
                full["evidence_required"],
                full["questions"],
            )
            hits = []
            for h in trig:
                # pandas 3 stores the rule ids as strings: a hit no rule covers has NaN, not None
                h["rule_id"] = h["rule_id"] if isinstance(h["rule_id"], str) else None
                cit = self.rule(h["rule_id"]).citation.to_dict() if h["rule_id"] else None
                reason_zh, reason_en = self._hit_reason(h)
                hits.append(
                    {
                        "layer_kind": h["layer_kind"],
                        "zone": h["zone"],
                        "feature_id": str(h["feature_id"]),
                        "name": None if pd.isna(h["name"]) else str(h["name"]),
                        "overlap_area_m2": _num(h["overlap_area_m2"]),
                        "overlap_length_m": _num(h["overlap_length_m"]),
                        "inside": bool(h["inside"]),
                        "distance_m": _num(h["distance_m"]),
                        "outcome": h["outcome"],
                        "rule_id": h["rule_id"],
                        "citation": cit,
                        "rule_ids": list(h["rule_ids"]),
                        "intersects": bool(h["intersects"]),
                        "crossings": int(h["crossings"]),
                        "boundary_distance_m": _num(self._boundary_distance(h)),
                        "share_of_site": _num(h["share_of_site"], 4),
                        "share_of_zone": _num(h["share_of_zone"], 6),
                        "near_boundary": bool(h["near_boundary"]),
                        "reason_zh": reason_zh,
                        "reason_en": reason_en,
                        "jurisdiction_checks": list(h.get("checks") or []),
                    }
                )
                if h["layer_kind"] == "control_unit":
                    hits[-1]["access_list"] = unit_access_list(self.index, h["feature_idx"])
            out_sites.append(
                {
                    "site_id": row.site_id,
                    "geometry_type": row.geometry_type,
                    "verdict": row.verdict,
                    "verdict_zh": OUTCOME_ZH[row.verdict],
                    "hits": hits,
                    "by_layer": [
                        {
                            "layer_kind": b["layer_kind"],
                            "zone": b["zone"],
                            "overlap_area_m2": _num(b["overlap_area_m2"]),
                            "overlap_length_m": _num(b["overlap_length_m"]),
                            "share_of_site": _num(b["share_of_site"], 4),
                            "inside": bool(b["inside"]),
                            "n_features": int(b["n_features"]),
                        }
                        for b in bl
                    ],
                    "reasons": reasons,
                    "reasons_zh": full["reasons_zh"],
                    "reasons_en": full["reasons_en"],
                    # the deciding (strictest) reason, in each language
                    "reason_zh": full["reasons_zh"][0] if full["reasons_zh"] else None,
                    "reason_en": full["reasons_en"][0] if full["reasons_en"] else None,
                    "evidence_required": evidence,
                    "questions": questions,
                    "jurisdiction": {
                        "codes": list(self.jurisdictions.codes[i] or [])
                        if self.jurisdictions
                        else [],
                        "source": self.jurisdictions.source if self.jurisdictions else "unknown",
                        "text": self._where(i),
                    },
                    "area_rules": self._area_rule_records(i),
                    "missing_layers": list(self.missing_layers[i]) if self.missing_layers else [],
                    "nearby": [
                        {
                            "layer_kind": h["layer_kind"],
                            "zone": h["zone"],
                            "feature_id": str(h["feature_id"]),
                            "name": None if pd.isna(h["name"]) else str(h["name"]),
                            "distance_m": _num(h["distance_m"]),
                            "jurisdiction_checks": list(h.get("checks") or []),
                        }
                        for h in nearby
                    ],
                    "nearest": [
                        {
                            "layer_kind": n["layer_kind"],
                            "zone": n["zone"],
                            "feature_id": str(n["feature_id"]),
                            "name": None if pd.isna(n["name"]) else str(n["name"]),
                            "distance_m": _num(n["distance_m"]),
                        }
                        for n in nn
                    ],
                    "covered": bool(row.covered),
                    "near_boundary": bool(row.near_boundary),
                    "site_area_m2": _num(row.site_area_m2),
                    "site_length_m": _num(row.site_length_m),
                    "gk_epsg": int(row.gk_epsg),
                    "repaired": bool(row.repair),
                    "repair": row.repair or None,
                }
            )
        return {
            "project_type": self.project_type.id,
            "project_type_info": self.project_type.to_dict(),
            "attrs": self.attrs,
            "catalog": self.provenance,
            "rulepacks": [p.provenance() for p in self.packs],
            "parameters": self.parameters,
            "warnings": self.warnings,
            "disclaimer": DISCLAIMER,
            "sites": out_sites,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return the result as the JSON document of PRODUCT.md (UTF-8 text)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, default=str)

    def summary(self) -> pd.DataFrame:
        """One row per site: verdict, counts, constrained area and length, first reason."""
        cached = self.__dict__.get("_summary_cache")
        if cached is not None:  # report.html, summary.csv and the ranking share one
            return cached.copy()
        rows = []
        cons = self.constrained()
        area_m2, length_m = cons["area_m2"].to_numpy(), cons["length_m"].to_numpy()
        for i, row in enumerate(self.sites.itertuples(index=False)):
            trig, nearby, _bl, _nn = self._site_rows(i)
            full = self._explained_full(i, trig)
            reasons, evidence, questions = (
                full["reasons"],
                full["evidence_required"],
                full["questions"],
            )
            inter = [r for r in trig if r["intersects"]]
            area_ids = [r["rule_id"] for r in self._area_rows(i) if r["status"] == "applies"]
            rows.append(
                {
                    "site_id": row.site_id,
                    "geometry_type": row.geometry_type,
                    "verdict": row.verdict,
                    "verdict_zh": OUTCOME_ZH[row.verdict],
                    "n_hits": len(inter),
                    "n_buffer_hits": int(len(trig) - len(inter)),
                    "n_nearby": len(nearby),
                    "constrained_area_m2": round(float(area_m2[i]), 2),
                    "constrained_length_m": round(float(length_m[i]), 2),
                    "rule_ids": ";".join(
                        dict.fromkeys([*(r for h in trig for r in h["rule_ids"]), *area_ids])
                    ),
                    "covered": bool(row.covered),
                    "near_boundary": bool(row.near_boundary),
                    "repaired": bool(row.repair),
                    "n_evidence": len(evidence),
                    "n_questions": len(questions),
                    "first_reason": reasons[0] if reasons else "",
                    "reason_zh": full["reasons_zh"][0] if reasons else "",
                    "reason_en": full["reasons_en"][0] if reasons else "",
                    "jurisdiction": ";".join(self.jurisdictions.codes[i] or [])
                    if self.jurisdictions
                    else "",
                }
            )
        out = pd.DataFrame(rows)
        self.__dict__["_summary_cache"] = out
        return out.copy()

    def compare(self) -> pd.DataFrame:
        """Rank the sites as alternatives. Rank 1 is the best.

        The order: least severe verdict; then the fewest assessments or permits the site's
        conditions require (``n_assessments``); then the ground those conditions concern —
        a site on unstable subsidence ground after one on ground of unknown stability, then
        stabilising, then stable (``subsidence_zone``, the least stable zone the site
        intersects); then the smallest area and length inside constrained zones; then the
        fewest hits. ``n_assessments`` and ``subsidence_zone`` are added to the summary's
        columns.
        """
        s = self.summary()
        s["severity"] = s["verdict"].map(SEVERITY)
        s["n_assessments"] = [self._n_assessments(i) for i in range(len(s))]
        s["subsidence_zone"] = [self._least_stable_ground(i) for i in range(len(s))]
        s["ground"] = s["subsidence_zone"].map(_GROUND_RISK).fillna(0)
        s = s.sort_values(
            [
                "severity",
                "n_assessments",
                "ground",
                "constrained_area_m2",
                "constrained_length_m",
                "n_hits",
                "site_id",
            ],
            kind="stable",
        ).reset_index(drop=True)
        s.insert(0, "rank", np.arange(1, len(s) + 1))
        return s.drop(columns=["severity", "ground"])

    def _least_stable_ground(self, i: int) -> str:
        """The least stable subsidence zone site ``i`` intersects ("" when none)."""
        zones = [
            str(h["zone"])
            for h in self._site_rows(i)[0]
            if h["layer_kind"] == "subsidence" and bool(h["intersects"])
        ]
        return max(zones, key=lambda z: _GROUND_RISK.get(z, 0), default="")

    def _n_assessments(self, i: int) -> int:
        """How many distinct assessments or permits the conditions of site ``i`` require
        (the evidence of its conditional rules where it intersects a zone).
        """
        trig = self._site_rows(i)[0]
        needed: set[str] = set()
        for h in trig:
            if not bool(h["intersects"]):
                continue
            for rid in h["rule_ids"]:
                rule = self.rule(rid)
                outcome = rule.evaluate(self.attrs)[0] or rule.outcome
                if outcome == "conditional":
                    needed.update(rule.evidence_required)
        return len(needed)

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """Return (and optionally write, atomically) the per-site CSV summary."""
        text = _with_access_columns(self, self.summary()).to_csv(index=False)
        if path is not None:  # in the CSV encoding of every output (zoning.csvfile)
            from zoning.csvfile import csv_encoding
            from zoning.io import atomic_write_bytes

            atomic_write_bytes(path, text.encode(csv_encoding()), overwrite=True)
        return text

    def to_html(self, *, map_: bool = True) -> str:
        """Return the self-contained HTML report (see :mod:`zoning.report`)."""
        from zoning.report import render_html

        return render_html(self, include_map=map_)

    def explore(self, **kwargs: Any) -> Any:
        """Return a folium map of the sites, the zones they hit and nearby zones."""
        from zoning.report import result_map

        return result_map(self, **kwargs)

    def hit_features(self) -> gpd.GeoDataFrame:
        """The features hit or caught by a buffer (EPSG:4490), with outcome and rule."""
        import geopandas as gpd

        parts = []
        if self.index is None or not len(self.hits):
            return gpd.GeoDataFrame(geometry=[], crs="EPSG:4490")
        for kind, grp in self.hits.groupby("layer_kind"):
            layer = self.index.layers[kind]
            g = grp.sort_values("outcome", key=_severity_key)
            g = g.drop_duplicates("feature_idx")
            geo = gpd.GeoSeries(layer.geoms[g["feature_idx"].to_numpy(int)], crs=layer.crs)
            parts.append(
                gpd.GeoDataFrame(
                    {
                        "layer_kind": kind,
                        "zone": g["zone"].to_numpy(),
                        "feature_id": g["feature_id"].astype(str).to_numpy(),
                        "name": g["name"].to_numpy(),
                        "outcome": g["outcome"].replace("", "nearby").to_numpy(),
                        "rule_id": g["rule_id"].to_numpy(),
                        "distance_m": g["distance_m"].round(1).to_numpy(),
                    },
                    geometry=geo.to_crs("EPSG:4490").to_numpy(),
                    crs="EPSG:4490",
                )
            )
        return pd.concat(parts, ignore_index=True) if parts else gpd.GeoDataFrame()


#: ``zoning.screen``: the same function as :func:`screen_sites` (the flat public name).
screen = screen_sites
