"""A synthetic nation for statistics at national scale, seeded and reproducible (issue 17).

China has 2,875 county-level divisions. :func:`counties` tiles a rough outline of China with
that many counties — the Voronoi cells of jittered grid points, clipped to the outline — in
the equal-area Albers CRS of the statistics (:data:`zoning.crs.ALBERS_CHINA`). The outline
(rather than the rectangular extent) keeps the counties' area near China's ~9.6 M km² and
gives the tiling a ragged border and concave corners, as the real one has; Voronoi cells share
their edges exactly (one GEOS computation for both sides), so the counties tile without gaps
or overlaps.

Layers are cut along the county lines, as real layers are:

* red-line patches (:func:`redline_patches`): smooth star-shaped blobs on a jittered grid,
  about a quarter of the land, one in ten pushed onto a neighbour so that features overlap
  (the dissolve has work to do); then cut by the counties (:func:`cut_by_units`);
* control units (:func:`grid_control_units`): every county cut by a square grid, so that the
  units tile the whole country, as 三线一单 environmental control units do.

:func:`nation` returns the counties and both layers for a feature count; :func:`write_nation`
writes them (in CGCS2000 longitude/latitude, as real data comes) with a ``catalog.toml`` for
``zoning stats``. Everything is generated: these are not real boundaries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

from zoning.crs import ALBERS_CHINA

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = [
    "CHINA_OUTLINE_LONLAT",
    "N_COUNTIES",
    "china_outline",
    "counties",
    "cut_by_units",
    "grid_control_units",
    "nation",
    "redline_patches",
    "write_nation",
]

#: county-level divisions of China (2,875 in the 2020s statistics)
N_COUNTIES = 2875

#: a rough outline of mainland China (longitude, latitude; 67 points, counter-clockwise
#: from the Pamirs); good to a few tens of km, enough for an extent and a ragged border
CHINA_OUTLINE_LONLAT: tuple[tuple[float, float], ...] = (
    (73.6, 39.4), (74.9, 37.2), (77.8, 35.5), (78.9, 34.3), (78.7, 32.5), (79.3, 30.9),
    (81.1, 30.0), (83.0, 29.1), (85.9, 27.9), (88.9, 27.3), (91.6, 27.8), (94.5, 29.1),
    (97.3, 28.2), (98.6, 25.0), (97.6, 23.9), (99.5, 22.1), (101.7, 21.2), (103.9, 22.5),
    (106.7, 22.0), (108.0, 21.5), (109.8, 21.4), (110.3, 20.3), (111.0, 21.5), (113.5, 22.2),
    (117.0, 23.4), (119.6, 25.5), (121.9, 28.8), (121.9, 30.9), (120.9, 32.6), (119.3, 34.6),
    (120.6, 36.1), (122.6, 37.4), (119.2, 37.1), (117.8, 38.6), (121.2, 40.8), (121.2, 38.8),
    (124.3, 39.9), (126.0, 41.5), (129.0, 42.4), (130.6, 42.4), (131.3, 44.9), (133.2, 45.0),
    (134.7, 48.3), (132.5, 47.7), (130.9, 48.9), (127.5, 49.8), (125.3, 53.2), (121.2, 53.3),
    (119.8, 50.3), (117.4, 49.6), (116.0, 47.8), (119.9, 46.6), (117.4, 46.5), (111.9, 43.7),
    (107.0, 42.5), (100.8, 42.6), (96.4, 42.7), (95.3, 44.3), (90.9, 45.2), (90.9, 46.9),
    (87.8, 49.1), (85.6, 48.1), (82.6, 47.1), (82.4, 45.2), (80.2, 44.9), (80.4, 42.9),
    (76.3, 40.5),
)  # fmt: skip


def china_outline() -> shapely.Geometry:
    """Return the rough outline of China in :data:`zoning.crs.ALBERS_CHINA` (metres).

    Returns
    -------
    shapely.Geometry
        :data:`CHINA_OUTLINE_LONLAT`, densified to 0.25° steps before projecting so that its
        edges follow the parallels' curvature.
    """
    import pyproj

    ring = shapely.segmentize(shapely.Polygon(CHINA_OUTLINE_LONLAT), 0.25)
    lon, lat = shapely.get_coordinates(ring).T
    to_albers = pyproj.Transformer.from_crs(4490, ALBERS_CHINA, always_xy=True)
    x, y = to_albers.transform(lon, lat)
    return shapely.make_valid(shapely.Polygon(np.column_stack([x, y])))


def _grid_points_inside(region: shapely.Geometry, n: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Return the centres of a square grid of about ``n`` cells inside ``region``, and the side."""
    xmin, ymin, xmax, ymax = shapely.bounds(region)
    side = np.sqrt(shapely.area(region) / n)
    for _ in range(20):  # shrink until at least n centres fall inside
        xs = np.arange(xmin + side / 2, xmax, side)
        ys = np.arange(ymin + side / 2, ymax, side)
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        inside = shapely.contains_xy(region, gx, gy)
        if inside.sum() >= n:
            return gx[inside], gy[inside], float(side)
        side *= 0.97
    raise RuntimeError(f"could not place {n} grid points inside the region")  # pragma: no cover


def counties(n: int = N_COUNTIES, *, seed: int = 2875) -> gpd.GeoDataFrame:
    """Tile China's outline with ``n`` counties: Voronoi cells of jittered grid points.

    Parameters
    ----------
    n : int
        Number of counties (default 2,875, as China has).
    seed : int
        Seed of the jitter and of the choice of grid points.

    Returns
    -------
    GeoDataFrame
        Columns ``adcode`` (six-digit string), ``name`` and ``geometry`` (Polygon or
        MultiPolygon where the outline cuts a cell in two), in ``ALBERS_CHINA``; ``n`` rows
        that tile the outline.
    """
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    outline = china_outline()
    shapely.prepare(outline)
    gx, gy, side = _grid_points_inside(outline, n)
    pick = np.sort(rng.choice(len(gx), size=n, replace=False))
    x = gx[pick] + rng.uniform(-0.35, 0.35, n) * side  # stays inside its own grid cell
    y = gy[pick] + rng.uniform(-0.35, 0.35, n) * side
    seeds = shapely.multipoints(np.column_stack([x, y]))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(
            seeds, extend_to=shapely.box(*shapely.bounds(shapely.buffer(outline, side)))
        )
    )
    # Voronoi output is not in input order: match each cell to the seed it contains
    owner, cell = shapely.STRtree(cells).query(shapely.points(x, y), predicate="intersects")
    order = np.empty(n, dtype=np.intp)
    order[owner] = cell
    geoms = shapely.intersection(cells[order], outline)
    polys = [_polygonal(g) for g in geoms]
    return gpd.GeoDataFrame(
        {
            "adcode": [f"{100000 + i:06d}" for i in range(n)],
            "name": [f"县{i:04d}" for i in range(n)],
        },
        geometry=polys,
        crs=ALBERS_CHINA,
    )


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygons of an intersection (drop stray lines or points)."""
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = shapely.get_parts(geom)
    return shapely.multipolygons(parts[shapely.get_type_id(parts) == 3])


def redline_patches(
    units: gpd.GeoDataFrame,
    n: int,
    *,
    seed: int = 17,
    share: float = 0.25,
    vertices: tuple[int, int] = (16, 256),
) -> gpd.GeoDataFrame:
    """Place ``n`` smooth star-shaped patches covering about ``share`` of the units.

    Each patch sits in its own cell of a jittered grid over the units; one in ten is pushed
    half a cell towards a neighbour, so that it overlaps it. Its radius is modulated by three
    random harmonics (star-shaped, hence a simple ring) with a log-uniform vertex count.

    Parameters
    ----------
    units : GeoDataFrame
        The units the patches lie in (their union bounds the grid).
    n : int
        Number of patches (fewer only if the grid has fewer cells inside the units).
    seed : int
        Seed of every random choice.
    share : float
        Aimed share of the units' area covered (before overlaps).
    vertices : tuple of int
        Smallest and largest vertex count of a patch.

    Returns
    -------
    GeoDataFrame
        Column ``zone`` (``"core"`` for a fifth of the patches, else ``"general"``) and
        ``geometry``, in the units' CRS; not cut by the units.
    """
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    region = shapely.union_all(np.asarray(units.geometry.values))
    shapely.prepare(region)
    gx, gy, cell = _grid_points_inside(region, n)
    pick = rng.choice(len(gx), size=min(n, len(gx)), replace=False)
    k = len(pick)
    cx = gx[pick] + rng.uniform(-0.1, 0.1, k) * cell
    cy = gy[pick] + rng.uniform(-0.1, 0.1, k) * cell
    push = rng.random(k) < 0.10
    towards = rng.uniform(0, 2 * np.pi, k)
    cx[push] += 0.5 * cell * np.cos(towards[push])
    cy[push] += 0.5 * cell * np.sin(towards[push])
    lo, hi = vertices
    m = np.exp(rng.uniform(np.log(lo), np.log(hi), k)).astype(np.intp)
    # three harmonics with amplitudes summing below 0.6: the radius stays positive
    amp = rng.dirichlet(np.ones(3), k) * rng.uniform(0.2, 0.6, (k, 1))
    phase = rng.uniform(0, 2 * np.pi, (k, 3))
    # mean area of such a blob is ~pi r0^2 (1 + sum(amp^2)/2); aim at `share` of a cell
    r0 = cell * np.sqrt(share / np.pi / (1 + 0.5 * (amp**2).sum(axis=1)))
    r0 = np.minimum(r0 * rng.uniform(0.8, 1.2, k), 0.3 * cell)
    idx = np.repeat(np.arange(k), m)
    start = np.concatenate([[0], np.cumsum(m)[:-1]])
    theta = 2 * np.pi * (np.arange(len(idx)) - start[idx]) / m[idx]
    harm = np.array([2, 4, 6])  # lobes; harmonic 1 would only shift the centre
    wave = (amp[idx] * np.cos(harm * theta[:, None] + phase[idx])).sum(axis=1)
    rad = r0[idx] * (1 + wave)
    coords = np.column_stack([cx[idx] + rad * np.cos(theta), cy[idx] + rad * np.sin(theta)])
    polys = shapely.polygons(shapely.linearrings(coords, indices=idx))
    zone = np.where(rng.random(k) < 0.2, "core", "general").astype(object)
    return gpd.GeoDataFrame({"zone": zone}, geometry=polys, crs=units.crs)


def cut_by_units(
    frame: gpd.GeoDataFrame, units: gpd.GeoDataFrame, zones: np.ndarray
) -> gpd.GeoDataFrame:
    """Cut every feature along the unit boundaries it crosses, as real layers are cut.

    A feature inside one unit is kept whole; one that crosses unit lines is split into its
    intersections with each unit (GEOS does the cuts), one output feature per polygon part.

    Parameters
    ----------
    frame : GeoDataFrame
        Polygon features, in the units' CRS.
    units : GeoDataFrame
        The units to cut along.
    zones : ndarray
        Zone of each feature of ``frame``, carried to its parts.

    Returns
    -------
    GeoDataFrame
        Column ``zone`` and ``geometry`` (Polygon parts of positive area), in the units' CRS.
    """
    import geopandas as gpd

    ug = np.asarray(units.geometry.values)
    tree = shapely.STRtree(ug)
    geoms = np.asarray(frame.geometry.values)
    g_idx, u_idx = tree.query(geoms, predicate="intersects")
    parts = geoms[g_idx].copy()
    todo = np.flatnonzero(~shapely.covers(ug[u_idx], geoms[g_idx]))
    parts[todo] = shapely.intersection(geoms[g_idx[todo]], ug[u_idx[todo]])
    pieces, owner = shapely.get_parts(parts, return_index=True)  # one feature per part
    keep = (shapely.get_type_id(pieces) == 3) & (shapely.area(pieces) > 0)
    z = np.asarray(zones)[g_idx][owner]
    return gpd.GeoDataFrame({"zone": z[keep]}, geometry=pieces[keep], crs=units.crs)


def grid_control_units(units: gpd.GeoDataFrame, n_cells: int, *, seed: int) -> gpd.GeoDataFrame:
    """Tile every unit with control units: the unit cut by a square grid of ~``n_cells`` cells.

    Parameters
    ----------
    units : GeoDataFrame
        The units (counties) to tile.
    n_cells : int
        Grid cells over the units' bounding box (the side is chosen for that many).
    seed : int
        Seed of the zones (``priority``, ``key`` or ``general``, uniformly).

    Returns
    -------
    GeoDataFrame
        Column ``zone`` and ``geometry`` (Polygon parts of positive area), in the units' CRS.
    """
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    ug = np.asarray(units.geometry.values)
    xmin, ymin, xmax, ymax = units.total_bounds
    side = np.sqrt((xmax - xmin) * (ymax - ymin) / max(n_cells, 1))
    xs = np.arange(xmin, xmax, side)
    ys = np.arange(ymin, ymax, side)
    gx, gy = np.meshgrid(xs, ys)
    cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + side, gy.ravel() + side)
    c_idx, u_idx = shapely.STRtree(cells).query(ug, predicate="intersects")[::-1]
    parts = shapely.get_parts(shapely.intersection(cells[c_idx], ug[u_idx]))
    parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)]
    zones = rng.choice(np.array(["priority", "key", "general"], dtype=object), len(parts))
    return gpd.GeoDataFrame({"zone": zones}, geometry=parts, crs=units.crs)


def nation(
    n: int, *, n_counties: int = N_COUNTIES, seed: int = 2875
) -> tuple[gpd.GeoDataFrame, dict[str, gpd.GeoDataFrame]]:
    """Build the counties and about ``n`` features in two layers cut along them.

    About 80 % of the features are red-line patches (``eco_redline``), 20 % control units
    (``control_unit``), both after cutting; the exact counts depend on the cuts.

    Parameters
    ----------
    n : int
        Aimed total number of features (30,000, 100,000, 300,000 in the benchmark).
    n_counties : int
        Number of counties (2,875 by default; the test uses fewer).
    seed : int
        Seed of the counties; the layers use ``seed + 1`` and ``seed + 2``.

    Returns
    -------
    units : GeoDataFrame
        :func:`counties`.
    layers : dict
        ``{"eco_redline": ..., "control_unit": ...}``, each with ``zone`` and ``geometry``.
    """
    units = counties(n_counties, seed=seed)
    # cutting multiplies the patches by ~1 + 1.365 sqrt(counties / patches) (measured on the
    # full nation: patch radius over county side); solve for 80 % of n after the cuts
    b = 1.365 * np.sqrt(n_counties)
    n_red = max(int(((-b + np.sqrt(b * b + 3.2 * n)) / 2) ** 2), 1)
    red = redline_patches(units, n_red, seed=seed + 1)
    red_cut = cut_by_units(red, units, np.asarray(red["zone"]))
    # control units: the grid pieces grow like cells^0.6 (county cuts); two secant steps
    want = max(n - len(red_cut), 1)
    cells = want
    for _ in range(3):
        control = grid_control_units(units, cells, seed=seed + 2)
        if abs(len(control) - want) <= 0.1 * want:
            break
        cells = max(int(cells * (want / len(control)) ** (1 / 0.6)), 1)
    return units, {"eco_redline": red_cut, "control_unit": control}


def write_nation(
    folder: str | Path,
    units: gpd.GeoDataFrame,
    layers: dict[str, gpd.GeoDataFrame],
    *,
    name: str = "synthetic nation (generated, not real)",
) -> tuple[Path, Path]:
    """Write a :func:`nation` as GeoParquet (CGCS2000 lon/lat) with a catalogue for ``zoning stats``.

    Parameters
    ----------
    folder : str or Path
        Output folder (created).
    units, layers
        As :func:`nation` returns them.
    name : str
        The catalogue's name.

    Returns
    -------
    catalog : Path
        ``catalog.toml`` listing every layer (``zone_field = "zone"``).
    units : Path
        ``counties.parquet`` (``adcode``, ``name``), for ``zoning stats --units``.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    units.to_crs(4490).to_parquet(out / "counties.parquet")
    lines = [f"name = {json.dumps(name, ensure_ascii=False)}", ""]
    for kind, frame in layers.items():
        frame.to_crs(4490).to_parquet(out / f"{kind}.parquet")
        lines += [
            "[[layers]]",
            f'kind = "{kind}"',
            f'path = "{kind}.parquet"',
            'zone_field = "zone"',
            "illustrative = true",
            'source = "zoning.datasets.nation (generated, not real data)"',
            'licence = "generated"',
            "",
        ]
    (out / "catalog.toml").write_text("\n".join(lines), encoding="utf-8")
    return out / "catalog.toml", out / "counties.parquet"
