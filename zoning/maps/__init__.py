"""Offline interactive maps for zoning (Folium): one builder with a consistent cartography.

Public API::

    new_map, add_layer, add_choropleth, add_raster, finish, save_map, map_html

Maps are self-contained HTML files (Leaflet inlined, no CDN), carry a bilingual legend and the
disclaimer "for planning analysis, not an official map", and simplify geometry for display only.
"""

from __future__ import annotations

from zoning.maps.assets import MapAssetsMissingError
from zoning.maps.builder import (
    DISCLAIMER,
    add_choropleth,
    add_layer,
    add_raster,
    finish,
    layer_summary,
    map_html,
    map_info,
    new_map,
    save_map,
)

__all__ = [
    "DISCLAIMER",
    "MapAssetsMissingError",
    "add_choropleth",
    "add_layer",
    "add_raster",
    "finish",
    "layer_summary",
    "map_html",
    "map_info",
    "new_map",
    "save_map",
]
