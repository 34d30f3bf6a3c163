"""Offline interactive maps for zoning (Folium): one builder with a consistent cartography.

Builder: :func:`new_map`, :func:`add_layer`, :func:`add_choropleth`, :func:`add_raster`,
:func:`finish`, :func:`save_map`, :func:`map_html`. Products: :func:`catalog_map`,
:func:`site_map`, :func:`choropleth_map`, :func:`share_map`, :func:`restoration_map`, :func:`compare_map`.
Reports: :func:`report_css`, :func:`report_page`, :func:`embed_map`.

Maps are self-contained HTML files (Leaflet inlined, no CDN), carry a bilingual legend and the
disclaimer "for planning analysis, not an official map", and simplify geometry for display only.
"""

from __future__ import annotations

from zoning.labels import DISCLAIMER_ZH_FIRST as DISCLAIMER
from zoning.maps.assets import MapAssetsMissingError
from zoning.maps.builder import (
    finish,
    fit_to_budget,
    html_size_mb,
    layer_summary,
    map_html,
    new_dual_map,
    new_map,
    save_html,
    save_map,
)
from zoning.maps.choropleth import add_choropleth
from zoning.maps.info import map_info
from zoning.maps.layers import add_layer
from zoning.maps.products import (
    catalog_map,
    choropleth_map,
    compare_map,
    restoration_map,
    share_map,
    site_map,
)
from zoning.maps.raster import add_raster
from zoning.maps.report import embed_html, embed_map, html_table, report_css, report_page

__all__ = [
    "DISCLAIMER",
    "MapAssetsMissingError",
    "add_choropleth",
    "add_layer",
    "add_raster",
    "catalog_map",
    "choropleth_map",
    "compare_map",
    "embed_html",
    "embed_map",
    "finish",
    "fit_to_budget",
    "html_size_mb",
    "html_table",
    "layer_summary",
    "map_html",
    "map_info",
    "new_dual_map",
    "new_map",
    "report_css",
    "report_page",
    "restoration_map",
    "save_html",
    "save_map",
    "share_map",
    "site_map",
]
