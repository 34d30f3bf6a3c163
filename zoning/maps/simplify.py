"""Display-only geometry simplification and coordinate trimming (never used for statistics).

The tolerance follows from the most detailed zoom level the map is meant for: half a screen
pixel at that zoom, so a simplified edge never moves by more than about half a pixel there.
Layers whose polygons tile the plane (counties, control units) are simplified as a coverage
(``shapely.coverage_simplify``), so neighbours keep sharing their edges; other layers use
``shapely.simplify(preserve_topology=True)``. Coordinates are then rounded to the decimals that
resolve a tenth of the tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

__all__ = [
    "DEFAULT_DETAIL_ZOOM",
    "DisplayGeometry",
    "count_vertices",
    "decimals_for_tolerance",
    "display_geometries",
    "tolerance_for_zoom",
]

#: Zoom level at which display geometry is still exact to about half a pixel (≈ 19 m).
DEFAULT_DETAIL_ZOOM = 12


def tolerance_for_zoom(zoom: int | float) -> float:
    """Return the simplification tolerance in degrees: half a 256-px tile pixel at ``zoom``.

    A Web Mercator tile spans ``360 / 2**zoom`` degrees of longitude over 256 pixels.

    Examples
    --------
    >>> round(tolerance_for_zoom(0), 6)
    0.703125
    >>> tolerance_for_zoom(12) == 360 / 256 / 2**12 / 2
    True
    """
    return 360.0 / 256.0 / 2.0**zoom / 2.0


def decimals_for_tolerance(tolerance: float) -> int:
    """Return the number of decimals that resolves a tenth of ``tolerance`` (at least 1).

    Examples
    --------
    >>> decimals_for_tolerance(1.7e-4)
    5
    >>> decimals_for_tolerance(0.01)
    3
    """
    return max(1, math.ceil(-math.log10(tolerance / 10.0)))


def count_vertices(geoms: np.ndarray) -> int:
    """Return the total number of coordinates of an array of geometries."""
    return int(shapely.get_num_coordinates(np.asarray(geoms, dtype=object)).sum())


@dataclass(frozen=True)
class DisplayGeometry:
    """Result of :func:`display_geometries`.

    Attributes
    ----------
    geometries : numpy.ndarray
        The display geometries (same order and length as the input).
    tolerance : float
        Simplification tolerance in degrees (0 when not simplified).
    decimals : int or None
        Decimals kept in the coordinates.
    vertices_before, vertices_after : int
        Coordinate counts.
    method : str
        ``"coverage"``, ``"topology-preserving"``, ``"mixed"`` or ``"none"``.
    """

    geometries: np.ndarray
    tolerance: float
    decimals: int | None
    vertices_before: int
    vertices_after: int
    method: str

    @property
    def simplified(self) -> bool:
        """True when the display geometry differs from the source (fewer vertices)."""
        return self.vertices_after < self.vertices_before


def _is_polygonal(geoms: np.ndarray) -> bool:
    types = shapely.get_type_id(geoms)
    return bool(len(geoms)) and bool(np.isin(types, (3, 6)).all())


def _simplify_group(
    geoms: np.ndarray, tolerance: float, *, coverage: bool
) -> tuple[np.ndarray, str]:
    if coverage and len(geoms) > 1 and _is_polygonal(geoms):
        try:
            valid = bool(shapely.coverage_is_valid(geoms))
        except shapely.errors.GEOSException:  # pragma: no cover - defensive
            valid = False
        if valid:
            return np.asarray(shapely.coverage_simplify(geoms, tolerance)), "coverage"
    return np.asarray(shapely.simplify(geoms, tolerance, preserve_topology=True)), (
        "topology-preserving"
    )


def _round(geoms: np.ndarray, decimals: int) -> np.ndarray:
    return np.asarray(shapely.transform(geoms, lambda xy: np.round(xy, decimals)))


def display_geometries(
    geoms: np.ndarray,
    *,
    zoom: int | float | None = DEFAULT_DETAIL_ZOOM,
    groups: np.ndarray | None = None,
    coverage: bool = False,
    decimals: int | None = None,
) -> DisplayGeometry:
    """Simplify geographic (lon/lat) geometries for display and trim their coordinates.

    Parameters
    ----------
    geoms : array of shapely geometries
        Lon/lat geometries (degrees).
    zoom : int or float or None
        Most detailed zoom level the map is meant for; ``None`` disables simplification.
    groups : array, optional
        Group labels (e.g. zone ids); each group is simplified separately, so nested zones of
        different groups never borrow each other's edges.
    coverage : bool
        Try coverage simplification within each group (keeps shared edges shared); falls back
        to topology-preserving simplification when the group is not a valid coverage.
    decimals : int, optional
        Decimals kept (default from the tolerance, or 6 ≈ 0.1 m when not simplifying).

    Returns
    -------
    DisplayGeometry
    """
    geoms = np.asarray(geoms, dtype=object)
    before = count_vertices(geoms)
    if zoom is None or len(geoms) == 0:
        dec = 6 if decimals is None else decimals
        out = _round(geoms, dec) if len(geoms) else geoms
        return DisplayGeometry(out, 0.0, dec, before, count_vertices(out), "none")
    tolerance = tolerance_for_zoom(zoom)
    dec = decimals_for_tolerance(tolerance) if decimals is None else decimals
    out = np.empty(len(geoms), dtype=object)
    methods: set[str] = set()
    labels = np.zeros(len(geoms), dtype=int) if groups is None else np.asarray(groups, dtype=object)
    for label in dict.fromkeys(labels.tolist()):
        idx = np.flatnonzero(labels == label)
        simplified, method = _simplify_group(geoms[idx], tolerance, coverage=coverage)
        out[idx] = simplified
        methods.add(method)
    out = _round(out, dec)
    # simplification must never drop a feature from the map: keep the source where it collapsed
    empty = shapely.is_empty(out) & ~shapely.is_empty(geoms)
    if empty.any():
        out[empty] = _round(geoms[empty], dec)
    method = methods.pop() if len(methods) == 1 else "mixed"
    return DisplayGeometry(out, tolerance, dec, before, count_vertices(out), method)
