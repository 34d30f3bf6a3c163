"""Layers read for the statistics: projected, polygonal, zoned, checked valid or repaired.

A layer is projected to the measuring CRS, collections are opened into their polygons,
points and lines (and features left empty) are dropped, and the ``zone`` column becomes
plain strings. Unless :func:`zoning.crs.project` checked it already (catalogue frames), its
validity is checked (:func:`invalid_features`: the area kernel's certificate, GEOS only for
what it cannot certify) and invalid features are repaired by GEOS ``make_valid``.

The check costs about as much as the rest of the statistics. It runs before the layer's
dissolve (:meth:`ReadLayer.checked`) or beside it (:class:`CheckedBeside`: the layer as read
is dissolved meanwhile, and used when nothing is invalid).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np
import shapely

from zoning.crs import is_marked_valid
from zoning.errors import CRSError
from zoning.stats.geos import map_chunks, polygonal_parts

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = [
    "ALL_ZONES",
    "CheckedBeside",
    "ReadLayer",
    "StartChecked",
    "filled",
    "invalid_features",
    "read_layer",
    "zone_labels",
]

logger = logging.getLogger(__name__)

ALL_ZONES = "all"
"""The ``zone`` label of the whole (dissolved) layer."""

T = TypeVar("T")


@dataclass(frozen=True)
class ReadLayer:
    """One layer read and projected (:func:`read_layer`), its validity not yet checked.

    Attributes
    ----------
    kind : str
        The layer kind.
    geoms, zones : ndarray
        Its polygonal features and their zones (empty ones possible when ``changed``).
    changed : bool
        Features were replaced (collections opened): some may be empty now.
    check : bool
        Their validity is still to be checked (``make_valid``, not checked on loading).
    """

    kind: str
    geoms: np.ndarray
    zones: np.ndarray
    changed: bool
    check: bool

    def as_read(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the features to dissolve when none needs a repair (empty ones dropped)."""
        if not self.changed:  # the features kept are those found not empty on reading
            return self.geoms, self.zones
        keep = ~shapely.is_empty(self.geoms)
        return self.geoms[keep], self.zones[keep]

    def checked(self, n_jobs: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the features to dissolve, checked (:func:`invalid_features`) and repaired."""
        return self.repaired(invalid_features(self.geoms, n_jobs))

    def repaired(self, invalid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the features to dissolve, ``invalid`` ones (a mask) repaired by GEOS.

        A feature with nothing polygonal left by the repair (a ring along a line gives
        lines) goes, as an empty one does.
        """
        if not invalid.any():
            return self.as_read()
        geoms = self.geoms.copy()
        geoms[invalid] = polygonal_parts(shapely.make_valid(geoms[invalid]))
        logger.info("layer %s: repaired %d invalid geometries", self.kind, int(invalid.sum()))
        keep = ~shapely.is_empty(geoms)
        return geoms[keep], self.zones[keep]


def read_layer(kind: str, layer: gpd.GeoDataFrame, target: Any, *, make_valid: bool) -> ReadLayer:
    """Project one layer and keep its polygonal features; tell whether to check their validity."""
    if layer.crs is None:
        raise CRSError(
            f"layer {kind!r} has no CRS; expected one (e.g. EPSG:4490 or a Gauss-Krüger zone); "
            f"set it with gdf.set_crs(...) or crs = ... in the catalogue"
        )
    if len(layer) == 0:
        empty = np.array([], dtype=object)
        return ReadLayer(kind, empty, empty, changed=False, check=False)
    projected = layer.to_crs(target) if not layer.crs.equals(target) else layer
    geoms = np.asarray(projected.geometry.values)
    if "zone" in projected.columns:
        zones = zone_labels(projected["zone"])
    else:
        zones = filled(len(geoms), ALL_ZONES)
    keep = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    coll = types == 7
    changed = bool(coll.any())  # features replaced: they may be empty now
    if changed:
        geoms = geoms.copy()
        geoms[coll] = polygonal_parts(geoms[coll])
        types = shapely.get_type_id(geoms)
    keep &= (types == 3) | (types == 6)
    if not keep.all():
        logger.info("layer %s: %d non-polygonal feature(s) ignored", kind, int((~keep).sum()))
    check = make_valid and not _checked_valid(layer, projected, target)
    return ReadLayer(kind, geoms[keep], zones[keep], changed=changed, check=check)


class StartChecked(Exception):
    """A layer checked beside its dissolve cannot be used as dissolved; check layers first.

    Raised by :meth:`CheckedBeside.pieces` when the check failed, or when the repair of its
    invalid features left nothing polygonal of some (the layer has fewer features than were
    counted when it was read): the caller
    (:func:`zoning.stats.layer_stages.dissolve_and_measure`) starts over with every layer
    checked and repaired first, so it never reaches the caller of the statistics.
    """


class CheckedBeside(Generic[T]):
    """A layer dissolved as read while its validity is checked on the ``checker`` thread.

    When the check finds invalid features it sets :attr:`stop` (so that the dissolve as read,
    given it, ends at its next stage) and starts the repaired layer's dissolve at once
    (``dissolve(geoms, zones)`` returns its future), so that it runs beside the other
    layers' work rather than when the layer is asked for. ``n_read``: the features dissolved
    as read (:meth:`ReadLayer.as_read`).
    """

    def __init__(
        self,
        read: ReadLayer,
        n_read: int,
        checker: ThreadPoolExecutor,
        n_jobs: int,
        dissolve: Callable[[np.ndarray, np.ndarray], Future[T]],
    ) -> None:
        self.read = read
        self.n_read = n_read  # features dissolved as read (group ids and zones count them)
        self.stop = threading.Event()
        self._check = checker.submit(self._checked, n_jobs, dissolve)

    def _checked(
        self, n_jobs: int, dissolve: Callable[[np.ndarray, np.ndarray], Future[T]]
    ) -> Future[T] | None:
        """Check the layer; ``None`` when nothing is invalid, else the repaired dissolve."""
        invalid = invalid_features(self.read.geoms, n_jobs)
        if not invalid.any():
            return None
        self.stop.set()
        geoms, zones = self.read.repaired(invalid)
        if len(geoms) != self.n_read:
            raise StartChecked(f"layer {self.read.kind!r} lost features in its repair")
        return dissolve(geoms, zones)

    def pieces(self, as_read: Future[T]) -> T:
        """Return the dissolve as read when nothing is invalid, else the repaired layer's."""
        try:
            repaired = self._check.result()
        except StartChecked:
            raise
        except Exception as exc:  # the check failed: it fails again in its place, checked first
            raise StartChecked(f"checking layer {self.read.kind!r} failed") from exc
        return as_read.result() if repaired is None else repaired.result()


def filled(n: int, value: str) -> np.ndarray:
    """Return an object array of ``n`` references to ``value``.

    ``np.full(n, value, dtype=object)`` makes a NumPy string of ``value`` and converts it
    back element by element: ``n`` new Python strings (~14 ms for 183k pieces, holding the
    GIL), where filling shares the one string (~1 ms).

    Examples
    --------
    >>> filled(3, "all").tolist()
    ['all', 'all', 'all']
    """
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def zone_labels(zone: Any) -> np.ndarray:
    """Zone column (a :class:`pandas.Series`) as an object array of ``str``, ``"all"`` where missing.

    A column of strings (most) is read as it is; any other is converted with ``str``.
    """
    import pandas as pd

    missing = zone.isna().to_numpy()
    if isinstance(zone.dtype, pd.StringDtype):
        out = zone.to_numpy(dtype=object)
        out[missing] = ALL_ZONES
        return out
    out = zone.astype(object).where(~missing, ALL_ZONES)
    return out.astype(str).to_numpy(dtype=object)


def invalid_features(geoms: np.ndarray, n_jobs: int) -> np.ndarray:
    """Tell which geometries are invalid, asking GEOS only about the uncertified ones.

    GEOS ``is_valid`` runs only on those the area kernel cannot certify as simple rings
    (holes, multipolygons, rings with a contact), ~20x cheaper.
    :func:`zoning.polyarea.certify_polygons` reads and certifies the layer in chunks, in
    ``n_jobs`` threads (copying all its coordinates at once cost more than the check).
    """
    from zoning.polyarea import certify_polygons

    invalid = np.zeros(len(geoms), dtype=bool)
    rest = np.flatnonzero(~certify_polygons(geoms, n_jobs=n_jobs))
    if len(rest):
        invalid[rest] = ~map_chunks(shapely.is_valid, geoms[rest], n_jobs)
    return invalid


def _checked_valid(layer: gpd.GeoDataFrame, projected: gpd.GeoDataFrame, target: Any) -> bool:
    """Tell whether :func:`zoning.crs.project` already checked ``layer`` valid in ``target``.

    True for catalogue frames, so the validity pass (the costliest step on big layers) can go.
    """
    return projected is layer and is_marked_valid(layer, target)
