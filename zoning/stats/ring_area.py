"""Area of packed polygons by the shoelace formula, with a bound on its rounding error.

:class:`zoning.stats.batches.SkipWhenInside` compares a piece's area inside a unit with the
piece's whole area. The area kernel gives the whole area too (a task without a clip), but at
the cost of a task: gathering the edges, sorting them into blocks, looking for crossings.
A polygon alone needs none of that: its area is the shoelace sum over its rings, which
:func:`polygon_areas` computes from the rings :func:`zoning.polyarea.pack` already made, in
about a twentieth of the time.

Rounding: each ring is summed relative to its first vertex ``o``. With ``u = 2**-53``, the
differences ``x - o`` are rounded by at most ``u`` relative, each product by ``u``, each
difference of two products by ``u``, so a term is within ``γ4·(|p| + |q|)`` of the exact
``p - q``; the recursive sum of ``m`` terms adds at most ``γ(m-1)`` times the sum of the
absolute terms. Twice the area of a ring of ``m`` edges is thus within ``(m + 8)·u·mag`` of
the exact value, ``mag`` being the sum of ``|p| + |q|`` over its terms (the margin covers
``γk = k·u / (1 - k·u)`` and ``mag`` itself being rounded). Rings are added as they are
valid polygons' rings: exteriors count, holes subtract (their absolute areas, so the
orientation does not matter), and adding ``R`` rings rounds by at most ``γR`` of their
absolute areas (each at most half its ``mag``): the bound takes ``(m + 8 + R)·u·mag`` per ring.
"""

from __future__ import annotations

import numpy as np

from zoning.jit import njit  # numba.njit; a broken cache falls back to no cache

__all__ = ["polygon_areas", "warm_up"]

_U = 2.0**-53  # unit roundoff of float64


def polygon_areas(packed: object, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Area of the packed geometries ``geoms`` and a bound on its rounding error.

    Parameters
    ----------
    packed : zoning.polyarea.Packed
        Packed polygons (:func:`zoning.polyarea.pack`).
    geoms : ndarray of int
        Positions of the geometries in ``packed``.

    Returns
    -------
    area, bound : ndarray of float
        Exterior rings' areas minus their holes' (as for a valid polygon or multipolygon),
        and ``|area - exact| <= bound``.

    Examples
    --------
    >>> import shapely
    >>> from zoning.polyarea import pack
    >>> holed = shapely.box(0, 0, 4, 4).difference(shapely.box(1, 1, 2, 2))
    >>> area, bound = polygon_areas(pack(np.array([holed])), np.array([0]))
    >>> area.tolist(), bool(bound[0] < 1e-13)
    ([15.0], True)
    """
    geoms = np.ascontiguousarray(geoms, dtype=np.int64)
    area = np.empty(len(geoms), dtype=np.float64)
    bound = np.empty(len(geoms), dtype=np.float64)
    if len(geoms):
        _areas(
            packed.coords,  # type: ignore[attr-defined]
            packed.ring_off,  # type: ignore[attr-defined]
            packed.ring_ext,  # type: ignore[attr-defined]
            packed.ring_start,  # type: ignore[attr-defined]
            packed.ring_end,  # type: ignore[attr-defined]
            geoms,
            area,
            bound,
        )
    return area, bound


def warm_up() -> float:
    """Compile the measure stage's small kernels (once per install: numba caches them).

    The shoelace sum, and the boundary-chunk test (:mod:`zoning.stats.chunk_hits`). ``make
    setup`` calls it beside :func:`zoning.polyarea.warm_up`, and ``zoning stats`` loads them
    on its kernel thread, so that no statistics run compiles them.

    Returns
    -------
    float
        The area of a 2 x 3 rectangle.

    Examples
    --------
    >>> warm_up()
    6.0
    """
    import shapely

    from zoning.polyarea import pack
    from zoning.stats import chunk_hits

    chunk_hits.warm_up()
    area, _ = polygon_areas(pack(np.array([shapely.box(0, 0, 2, 3)])), np.array([0]))
    return float(area[0])


@njit(cache=True, nogil=True)
def _areas(
    coords, ring_off, ring_ext, ring_start, ring_end, geoms, area, bound
):  # pragma: no cover
    """Write the shoelace area of every geometry ``geoms[k]`` and its rounding bound."""
    for k in range(geoms.shape[0]):
        g = geoms[k]
        total = 0.0
        err = 0.0
        n_rings = ring_end[g] - ring_start[g]  # the sum over the rings rounds too
        for r in range(ring_start[g], ring_end[g]):
            v0 = ring_off[r]
            v1 = ring_off[r + 1]
            ox = coords[v0, 0]
            oy = coords[v0, 1]
            twice = 0.0
            mag = 0.0
            x0 = 0.0
            y0 = 0.0
            for v in range(v0 + 1, v1):
                x1 = coords[v, 0] - ox
                y1 = coords[v, 1] - oy
                p = x0 * y1
                q = x1 * y0
                twice += p - q
                mag += abs(p) + abs(q)
                x0 = x1
                y0 = y1
            total += abs(twice) if ring_ext[r] else -abs(twice)
            err += (v1 - v0 + 8 + n_rings) * _U * mag
        area[k] = 0.5 * total
        bound[k] = 0.5 * err * (1.0 + 1e-6)  # and the sums of err and mag rounded
