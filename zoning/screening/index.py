"""Layer indexes of a catalogue: one STRtree per kind, projected features cached, nearest feature.

:func:`build_index` builds (or fetches from its one-entry cache) a :class:`ScreeningIndex` of a
catalogue or of ``{kind: frame}``; each layer keeps its features projected into the
Gauss–Krüger zones asked for so far. :func:`nearest_features` finds, for sites that hit
nothing, the nearest feature of every kind (exact distance in each site's zone).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zoning.crs import cached_transformer
from zoning.errors import CRSError, ZoningUsageError
from zoning.screening.buckets import run_buckets
from zoning.screening.nearest import EnvelopeTree, query_nearest

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj

__all__ = [
    "ScreeningIndex",
    "build_index",
    "nearest_features",
    "query_nearest",
    "sites_in_layer_crs",
    "transform_geoms",
    "unit_access_list",
    "warm_layers",
]

_NOT_SCREENED = {"admin_unit"}
#: rows charged per call of :meth:`_LayerIndex.fields` (a reused index soon keeps its columns)
_FIELDS_CALL_ROWS = 256
_DEG_LAT_M = 110_574.0
_DEG_LON_EQ_M = 111_320.0


class _LayerIndex:
    """STRtree and lazily projected geometries of one normalised layer frame.

    The tree and the features' envelopes are made on first use (under a lock: threads may ask
    at once), so that :func:`warm_layers` can read the envelopes on a helper thread first.
    """

    def __init__(self, kind: str, frame: gpd.GeoDataFrame):
        import pyproj

        self.kind = kind
        self.frame = frame
        self.geoms = np.asarray(frame.geometry.values, dtype=object)
        self._tree: Any = None
        self._bounds: np.ndarray | None = None
        self._lock = threading.Lock()
        if frame.crs is None:
            raise CRSError(
                f"layer frame {kind!r} has no CRS; expected EPSG:4490 (the normalised frame); "
                "fix: set_crs on the frame or load it through a catalogue"
            )
        self.crs: pyproj.CRS = pyproj.CRS(frame.crs)
        self.geographic = self.crs.is_geographic
        #: the layer CRS's WKT and EPSG code, asked for on every screening (slow in pyproj)
        self.crs_wkt = self.crs.to_wkt()
        self.epsg = self.crs.to_epsg()
        self._fields: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._asked = 0  # rows asked of fields() so far (with a charge per call)
        self._projected: dict[int, np.ndarray] = {}
        self._done: dict[int, np.ndarray] = {}
        self._area: dict[int, np.ndarray] = {}
        #: the STRtree of the envelopes, built if the nearest search needs it
        self.boxes = EnvelopeTree(self)
        self._max_abs_lat: float | None = None

    @property
    def geometries(self) -> np.ndarray:
        """The features, in the order of the tree (what :class:`EnvelopeTree` reads)."""
        return self.geoms

    @property
    def tree(self) -> Any:
        """The features' ``shapely.STRtree``, built on first use."""
        if self._tree is None:
            import shapely

            with self._lock:
                if self._tree is None:
                    self._tree = shapely.STRtree(self.geoms)
        return self._tree

    @property
    def bounds(self) -> np.ndarray:
        """The features' envelopes (``shapely.bounds``), for the nearest search."""
        if self._bounds is None:
            import shapely

            with self._lock:
                if self._bounds is None:
                    self._bounds = (
                        shapely.bounds(self.geoms) if len(self.geoms) else np.zeros((0, 4))
                    )
        return self._bounds

    @property
    def max_abs_lat(self) -> float:
        """The largest absolute latitude of the features (0 for a projected layer)."""
        if self._max_abs_lat is None:
            lat = self.bounds[:, [1, 3]] if self.geographic else np.zeros((0, 2))
            self._max_abs_lat = float(np.nanmax(np.abs(lat))) if len(lat) else 0.0
        return self._max_abs_lat

    @property
    def cold(self) -> bool:
        """Tell whether neither the tree nor the envelopes are made yet."""
        return self._tree is None and self._bounds is None

    def fields(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the zone, feature id and name of features ``idx`` (object arrays).

        A feature id is ``"<kind>:<row>"`` for every feature when the layer has no
        ``feature_id`` column or any id is missing; a missing zone column gives ``""``, a
        missing name column ``None``. The first screenings read only the rows they ask for
        from the frame (the columns of a large layer, as Python objects, cost more than the
        few rows a batch needs); once the rows asked add up to a quarter of the layer, the
        whole columns are read and kept, as a reused index asks again.
        """
        self._asked += len(idx) + _FIELDS_CALL_ROWS
        if self._fields is None and self._asked >= len(self.frame) // 4:
            self._fields = self._read_fields(None)
        if self._fields is not None:
            zones, ids, names = self._fields
            return zones[idx], ids[idx], names[idx]
        return self._read_fields(np.asarray(idx, dtype=np.int64))

    def _read_fields(self, idx: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Read the three fields of rows ``idx`` (``None``: every row) from the frame."""
        frame = self.frame
        rows = np.arange(len(frame)) if idx is None else idx

        def column(name: str) -> np.ndarray | None:
            if name not in frame.columns:
                return None
            values = frame[name].array
            if idx is not None:
                values = values.take(idx)
            return np.asarray(values.to_numpy(dtype=object), dtype=object)

        zones = column("zone")
        if zones is None:
            zones = np.full(len(rows), "", dtype=object)
        ids = None if self._ids_missing() else column("feature_id")
        if ids is None:
            ids = np.array([f"{self.kind}:{i}" for i in rows.tolist()], dtype=object)
        names = column("name")
        if names is None:
            names = np.full(len(rows), None, dtype=object)
        return zones, ids, names

    def _ids_missing(self) -> bool:
        """Tell whether the layer has no ``feature_id`` column or misses any id."""
        if "feature_id" not in self.frame.columns:
            return True
        return bool(self.frame["feature_id"].isna().any())

    def projected(self, idx: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
        """Return the features ``idx`` in ``crs`` (projecting and caching only what is new)."""
        import shapely

        epsg = crs_key(crs)
        if self.crs == crs:
            return self.geoms[idx]
        if epsg not in self._projected:
            self._projected[epsg] = np.full(len(self.geoms), None, dtype=object)
            self._done[epsg] = np.zeros(len(self.geoms), dtype=bool)
        store, done = self._projected[epsg], self._done[epsg]
        todo = np.unique(idx[~done[idx]])
        if len(todo):
            projected = transform_geoms(self.geoms[todo], self.crs, crs)
            bad = ~shapely.is_valid(projected)
            if bad.any():  # reprojection can fold near-degenerate rings: repair once, cached
                projected[bad] = shapely.make_valid(projected[bad])
            store[todo] = projected
            done[todo] = True
        return store[idx]

    def zone_area(self, idx: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
        """Area (m²) of features ``idx`` in the projected ``crs`` (cached)."""
        import shapely

        epsg = crs_key(crs)
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
    #: the county boundaries of the GCJ-02 check, prepared once (``zoning.screening.site``)
    _gcj02_admin: Any = None
    _gcj02_refs: dict[int, Any] = field(default_factory=dict)


def transform_geoms(geoms: np.ndarray, src: pyproj.CRS, dst: pyproj.CRS) -> np.ndarray:
    """Reproject an array of shapely geometries from ``src`` to ``dst`` (x/y order).

    Parameters
    ----------
    geoms : numpy.ndarray
        Shapely geometries.
    src, dst : pyproj.CRS
        Source and target CRS.

    Returns
    -------
    numpy.ndarray
        The geometries in ``dst``.
    """
    import shapely

    tr = cached_transformer(src, dst)

    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def sites_in_layer_crs(
    layer: _LayerIndex,
    sites_idx: np.ndarray,
    geoms_ll: np.ndarray,
    site_gk: np.ndarray,
    epsg: np.ndarray,
    crs_of: Mapping[int, pyproj.CRS],
    src: pyproj.CRS,
) -> tuple[np.ndarray, np.ndarray]:
    """Return sites ``sites_idx`` in the CRS of ``layer``, and which are their GK geometries.

    A site whose Gauss–Krüger zone is the layer's CRS (``layer.crs == crs``, as
    :meth:`_LayerIndex.projected` decides to hand out the features unprojected) is taken from
    ``site_gk``: the same transformation of the same coordinates (pyproj transforms point by
    point), so the same geometry, not projected again. The others are projected from
    ``geoms_ll`` (EPSG:4490), which a layer in EPSG:4490 takes as they are.

    Parameters
    ----------
    layer : _LayerIndex
        The layer.
    sites_idx : numpy.ndarray
        Positions of the sites.
    geoms_ll : numpy.ndarray
        Every site in EPSG:4490.
    site_gk : numpy.ndarray
        Every site in its Gauss–Krüger zone.
    epsg : numpy.ndarray
        The Gauss–Krüger EPSG code of every site.
    crs_of : mapping
        EPSG code → CRS of the zones in use.
    src : pyproj.CRS
        EPSG:4490.

    Returns
    -------
    native : numpy.ndarray
        The sites in the layer's CRS.
    own : numpy.ndarray
        Which of them are ``site_gk``'s geometries (their distances to the layer's features
        are the metric ones).
    """
    own = np.zeros(len(sites_idx), dtype=bool)
    if layer.epsg == 4490:
        return geoms_ll[sites_idx], own
    if not layer.geographic:
        for code, crs in crs_of.items():
            if layer.crs == crs:
                own |= epsg[sites_idx] == code
    native = np.empty(len(sites_idx), dtype=object)
    native[own] = site_gk[sites_idx[own]]
    rest = ~own
    if rest.any():
        native[rest] = transform_geoms(geoms_ll[sites_idx[rest]], src, layer.crs)
    return native, own


_KEYS: dict[str, int] = {}


def crs_key(crs: pyproj.CRS) -> int:
    """Return the EPSG code of ``crs``, else a hash of its WKT (memoised: pyproj is slow).

    Parameters
    ----------
    crs : pyproj.CRS
        A CRS.

    Returns
    -------
    int
        The key the projected features are cached under.
    """
    srs = crs.srs or crs.to_wkt()
    key = _KEYS.get(srs)
    if key is None:
        key = crs.to_epsg() or hash(crs.to_wkt())
        if len(_KEYS) > 256:
            _KEYS.clear()
        _KEYS[srs] = key
    return key


#: fewer pairs than this are measured on one thread (a thread costs more than it saves)
_NEAREST_PER_THREAD = 128


def _distances(a: np.ndarray, b: np.ndarray, n_jobs: int) -> np.ndarray:
    """``shapely.distance(a, b)``, runs of pairs on ``n_jobs`` threads (GEOS releases the GIL)."""
    import shapely

    n = len(a)
    chunks = min(n_jobs, n // _NEAREST_PER_THREAD)
    if chunks <= 1:
        return np.asarray(shapely.distance(a, b), dtype=np.float64)
    cut = np.linspace(0, n, chunks + 1).astype(np.int64)
    parts = run_buckets(
        lambda k: shapely.distance(a[cut[k] : cut[k + 1]], b[cut[k] : cut[k + 1]]), chunks, n_jobs
    )
    return np.concatenate(parts)


def warm_layers(index: ScreeningIndex) -> threading.Thread | None:
    """Read the envelopes of layers not used yet on a helper thread; ``None`` if all are warm.

    A new index's first pass over a large layer's features is slow: in a fresh (forked)
    process its memory is cold, and the tree build, which holds the GIL, pays for the cache
    misses (~60 ms for 100k features, 35 ms warm). ``shapely.bounds`` reads the same memory
    with the GIL released, so the caller prepares its sites meanwhile and builds the tree on
    warm memory; the envelopes are needed anyway (nearest search). Join the thread before
    using the layers' trees. The envelopes are the same whichever thread computes them.
    """
    cold = [layer for layer in index.layers.values() if layer.cold]
    if not cold:
        return None

    def warm() -> None:
        try:
            for layer in cold:
                layer.bounds  # noqa: B018 - computed and kept by the property
        except BaseException:  # the layer computes them again when used, and raises there
            pass

    thread = threading.Thread(target=warm, name="zoning-warm-layers", daemon=True)
    thread.start()
    return thread


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
    """Return the access-list fields of a catalogue's control-unit layers.

    ``None`` for plain frames: their fields are detected by name when a list is asked for.
    """
    if isinstance(source, Mapping) or not hasattr(source, "access_fields"):
        return None
    return {
        e.name: source.access_fields(e.name) for e in source.entries if e.kind == "control_unit"
    }


def unit_access_list(index: ScreeningIndex | None, feature_idx: int) -> dict[str, str] | None:
    """Return the access list (dimension → text) of control unit ``feature_idx`` of ``index``.

    ``None`` when the unit layer carries none (:mod:`zoning.access_list`).

    Parameters
    ----------
    index : ScreeningIndex or None
        The index the result was screened against.
    feature_idx : int
        Row of the feature in the ``control_unit`` layer.

    Returns
    -------
    dict or None
        Dimension → text.
    """
    if index is None or "control_unit" not in index.layers:
        return None
    if index._access_lists is None:
        from zoning.access_list import frame_access_lists

        frame = index.layers["control_unit"].frame
        index._access_lists = frame_access_lists(frame, index.access_fields)
    entry = index._access_lists[int(feature_idx)]
    return dict(entry) if entry else None


def nearest_features(
    index: ScreeningIndex,
    sites_idx: np.ndarray,
    geoms_ll: np.ndarray,
    site_gk: np.ndarray,
    epsg: np.ndarray,
    crs_of: Mapping[int, pyproj.CRS],
    src: pyproj.CRS,
    n_jobs: int = 1,
    first: Callable[[], object] | None = None,
) -> pd.DataFrame:
    """Return the nearest feature of every kind (exact GK distance) for the given sites.

    Parameters
    ----------
    index : ScreeningIndex
        The layer indexes.
    sites_idx : numpy.ndarray
        Positions of the sites to look up.
    geoms_ll : numpy.ndarray
        Every site in EPSG:4490.
    site_gk : numpy.ndarray
        Every site in its Gauss–Krüger zone.
    epsg : numpy.ndarray
        The Gauss–Krüger EPSG code of every site.
    crs_of : mapping
        EPSG code → CRS of the zones in use.
    src : pyproj.CRS
        EPSG:4490.
    n_jobs : int, default 1
        Threads for the nearest searches (many sites: the search against whole polygons is
        most of a batch's time; each site's answer is its own, whatever the split).
    first : callable, optional
        Other work of the caller, run exactly once on the calling thread, while helper threads
        start the first search (:func:`query_nearest`).

    Returns
    -------
    DataFrame
        ``site_idx``, ``layer_kind``, ``zone``, ``feature_id``, ``name``, ``distance_m``.
    """
    import shapely

    cols = ["site_idx", "layer_kind", "zone", "feature_id", "name", "distance_m"]
    if not len(sites_idx) or not index.layers:
        if first is not None:
            first()
        return pd.DataFrame(columns=cols)
    out = []
    for kind, layer in index.layers.items():
        # sites whose Gauss–Krüger zone is the layer's CRS are searched in it: the distances
        # the search computes are then those to report (the same shapely.distance call)
        native, own = sites_in_layer_crs(layer, sites_idx, geoms_ll, site_gk, epsg, crs_of, src)
        s_idx, f_idx, d_found = query_nearest(
            layer.tree, native, n_jobs, layer.bounds, first, boxes=layer.boxes, return_distance=True
        )
        first = None  # run once, beside the first layer's search
        known = own[s_idx]
        if layer.geographic:
            # degrees are anisotropic: widen to every feature that could be nearer in metres
            d_deg = d_found  # shapely.distance(native[s_idx], layer.geoms[f_idx])
            lat = np.abs(shapely.get_coordinates(shapely.centroid(native))[:, 1])
            factor = 1.0 / np.maximum(np.cos(np.radians(np.minimum(lat + 1.0, 89.0))), 1e-6)
            boxes_s, boxes_f = layer.tree.query(
                native, predicate="dwithin", distance=d_deg * factor * 1.01 + 1e-9
            )
            s_idx, f_idx = boxes_s, boxes_f
            known = np.zeros(len(s_idx), dtype=bool)
        gsite = sites_idx[s_idx]
        dist = np.empty(len(s_idx))
        if known.any():
            dist[known] = d_found[known]
        for code, crs in crs_of.items():
            sel = (epsg[gsite] == code) & ~known
            if sel.any():
                zones = layer.projected(f_idx[sel], crs)  # (caches: on this thread only)
                dist[sel] = _distances(site_gk[gsite[sel]], zones, n_jobs)
        df = pd.DataFrame({"site_idx": gsite, "f": f_idx, "distance_m": dist})
        df = df.sort_values(["site_idx", "distance_m"]).drop_duplicates("site_idx")
        zone, fid, name = layer.fields(df["f"].to_numpy())
        out.append(
            pd.DataFrame(
                {
                    "site_idx": df["site_idx"].to_numpy(),
                    "layer_kind": kind,
                    "zone": zone,
                    "feature_id": fid,
                    "name": name,
                    "distance_m": df["distance_m"].to_numpy(),
                }
            )
        )
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)


# ---------------------------------------------------------------------------------------------
