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
   the single-machine and the Dask paths (:mod:`zoning.stats.cluster`) give identical numbers.

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

from typing import TYPE_CHECKING

from zoning.lazy import lazy_names

if TYPE_CHECKING:  # the names, for type checkers; at run time they load on first use
    from zoning.stats.cluster import area_by_unit_dask, dask_client, partition_pieces
    from zoning.stats.dissolve import ALL_ZONES, dissolve_layer, dissolve_layers
    from zoning.stats.layer_kinds import choose_kinds, polygon_kinds
    from zoning.stats.measure import measure_pieces
    from zoning.stats.overlaps import (
        DEFAULT_ORDER,
        OVERLAP_COLUMNS,
        flatten_designations,
        flattened_areas,
        overlap_table,
    )
    from zoning.stats.pieces import Pieces
    from zoning.stats.summary import STATS_COLUMNS, area_by_unit, parent_adcode, rollup, summarise
    from zoning.stats.units import PreparedUnits, prepare_units, validate_units

#: public name -> the module defining it. Imported on first use, so that ``zoning stats`` reads
#: its catalogue while numba (with the kernels) loads, and no command loads what it does not use
_API = {
    "area_by_unit_dask": "cluster",
    "dask_client": "cluster",
    "partition_pieces": "cluster",
    "ALL_ZONES": "dissolve",
    "Pieces": "pieces",
    "dissolve_layer": "dissolve",
    "dissolve_layers": "dissolve",
    "choose_kinds": "layer_kinds",
    "polygon_kinds": "layer_kinds",
    "measure_pieces": "measure",
    "DEFAULT_ORDER": "overlaps",
    "OVERLAP_COLUMNS": "overlaps",
    "flatten_designations": "overlaps",
    "flattened_areas": "overlaps",
    "overlap_table": "overlaps",
    "STATS_COLUMNS": "summary",
    "area_by_unit": "summary",
    "parent_adcode": "summary",
    "rollup": "summary",
    "summarise": "summary",
    "PreparedUnits": "units",
    "prepare_units": "units",
    "validate_units": "units",
}

__all__ = [
    "ALL_ZONES",
    "DEFAULT_ORDER",
    "OVERLAP_COLUMNS",
    "STATS_COLUMNS",
    "Pieces",
    "PreparedUnits",
    "area_by_unit",
    "area_by_unit_dask",
    "choose_kinds",
    "dask_client",
    "dissolve_layer",
    "dissolve_layers",
    "flatten_designations",
    "flattened_areas",
    "measure_pieces",
    "overlap_table",
    "parent_adcode",
    "partition_pieces",
    "polygon_kinds",
    "prepare_units",
    "rollup",
    "summarise",
    "validate_units",
]


__getattr__, __dir__ = lazy_names(__name__, _API, globals(), __all__)
