"""Layers of a zoning map: vector layers by kind and zone, classed choropleths, rasters."""

from __future__ import annotations

import html as html_lib
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import folium
import numpy as np
from branca.element import MacroElement
from jinja2 import Template

from zoning.errors import CRSError, ZoningError
from zoning.maps.info import FIELD_LABELS, LegendBlock, LegendEntry, map_info
from zoning.maps.simplify import display_geometries
from zoning.maps.style import kind_label, style_for, zone_label, zone_order

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = [
    "NamesOnClick",
    "add_geojson",
    "add_layer",
    "display_frame",
    "feature_collection",
    "frame_bounds",
]

_LINE_TYPES = frozenset({"LineString", "MultiLineString"})

_DEFAULT_POPUP = ("name", "zone_label", "feature_id", "layer", "adcode")
#: kinds drawn as outlines that take no clicks: a click inside a county reaches the red line
#: or reserve under it; a click where nothing else is drawn names the units there
#: (:class:`NamesOnClick`).
_CLICK_THROUGH = frozenset({"admin_unit"})
_SCREENING_FIELDS = (
    "site_id",
    "rule_id",
    "rule",
    "outcome",
    "citation",
    "distance_m",
    "overlap_m2",
)


def display_frame(m: folium.Map, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` in lon/lat for drawing (GCJ-02 when the basemap needs it).

    Parameters
    ----------
    m : folium.Map
        The map drawn on (its :func:`~zoning.maps.info.map_info` says the display CRS).
    gdf : GeoDataFrame
        The layer, with a CRS.

    Returns
    -------
    GeoDataFrame
        In EPSG:4326 (CGCS2000 relabelled), shifted to GCJ-02 for the AutoNavi tiles.
    """
    if gdf.crs is None:
        raise CRSError(
            "the layer to map has no CRS; expected a GeoDataFrame with a CRS (EPSG:4490 "
            "for catalogue frames); set it with gdf.set_crs(...)"
        )
    if gdf.crs.to_epsg() == 4490:
        # CGCS2000 and WGS84 agree to centimetres: a declared null transformation
        out = gdf.set_crs(4326, allow_override=True)
    elif gdf.crs.to_epsg() == 4326:
        out = gdf
    else:
        out = gdf.to_crs(4326)
    if map_info(m).display_crs == "gcj02":
        from zoning.gcj02 import to_gcj02

        out = to_gcj02(out)
    return out


def frame_bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    """Return the lon/lat bounds of a display frame, ``None`` when it has no geometry."""
    if len(frame) == 0 or frame.geometry.is_empty.all():
        return None
    minx, miny, maxx, maxy = (float(v) for v in frame.total_bounds)
    return (minx, miny, maxx, maxy)


def _json_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return round(value, 2)
    if isinstance(value, (np.floating,)):
        return "" if np.isnan(value) else round(float(value), 2)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, str):
        # popups insert values as HTML: escape so data shows as text, never as markup
        return html_lib.escape(value, quote=False)
    if isinstance(value, (int, bool)):
        return value
    try:
        import pandas as pd

        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def feature_collection(
    gdf: gpd.GeoDataFrame, geoms: np.ndarray, columns: Sequence[str]
) -> dict[str, Any]:
    """Build a compact GeoJSON FeatureCollection (integer ids, only ``columns``).

    Parameters
    ----------
    gdf : GeoDataFrame
        The attributes.
    geoms : ndarray of shapely geometries
        The display geometries, one per row of ``gdf`` (empty ones are left out).
    columns : sequence of str
        The properties to keep (values made JSON- and HTML-safe).

    Returns
    -------
    dict
        A GeoJSON FeatureCollection.
    """
    import shapely

    features = []
    records = gdf[list(columns)].to_dict("records") if columns else [{}] * len(gdf)
    for i, (geom, rec) in enumerate(zip(geoms, records, strict=True)):
        if geom is None or shapely.is_empty(geom):
            continue
        features.append(
            {
                "type": "Feature",
                "id": i,
                "properties": {k: _json_value(v) for k, v in rec.items()},
                "geometry": shapely.geometry.mapping(geom),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def add_geojson(
    group: folium.FeatureGroup,
    data: dict[str, Any],
    *,
    style_function: Callable[[dict[str, Any]], dict[str, Any]],
    popup_fields: Sequence[str],
    tooltip_fields: Sequence[str],
    points: bool,
    name: str,
    labels: Mapping[str, str] | None = None,
) -> folium.GeoJson:
    """Add a GeoJSON layer with bilingual popup and tooltip labels to ``group``.

    Parameters
    ----------
    group : folium.FeatureGroup
        The layer's group.
    data : dict
        A FeatureCollection from :func:`feature_collection`.
    style_function : callable
        Feature → Leaflet style.
    popup_fields, tooltip_fields : sequence of str
        Properties shown on click and on hover.
    points : bool
        Draw points as circle markers.
    name : str
        Layer name.
    labels : mapping, optional
        Field → label (default :data:`~zoning.maps.info.FIELD_LABELS`).

    Returns
    -------
    folium.GeoJson
        The added layer.
    """

    def aliases(fields: Sequence[str]) -> list[str]:
        table = labels if labels is not None else FIELD_LABELS
        return [table.get(f, f) for f in fields]

    kwargs: dict[str, Any] = {}
    if not data["features"]:  # folium checks popup fields against the first feature
        popup_fields, tooltip_fields = (), ()
    if popup_fields:
        kwargs["popup"] = folium.GeoJsonPopup(
            fields=list(popup_fields), aliases=aliases(popup_fields), localize=False, labels=True
        )
    if tooltip_fields:
        kwargs["tooltip"] = folium.GeoJsonTooltip(
            fields=list(tooltip_fields), aliases=aliases(tooltip_fields), sticky=False
        )
    if points:
        kwargs["marker"] = folium.CircleMarker(radius=6, weight=2, fill=True, fill_opacity=0.9)
    layer = folium.GeoJson(
        data, name=name, style_function=style_function, embed=True, zoom_on_click=False, **kwargs
    )
    layer.add_to(group)
    return layer


class NamesOnClick(MacroElement):
    """Name the units under a click that no other layer took (outline layers take none).

    Canvas-drawn polygons catch clicks anywhere inside them, filled or not, so an outline
    layer on top would answer every click with its own popup. Outlines are therefore drawn
    with ``interactive: false``, and this script answers a click on the bare map with the
    names of the units containing it, largest first (``山西省 › 忻州市 › 繁峙县``).
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (map, layer) {
          function inRing(p, ring) {
            var inside = false;
            for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
              var a = ring[i], b = ring[j];
              if ((a.lat > p.lat) !== (b.lat > p.lat) &&
                  p.lng < (b.lng - a.lng) * (p.lat - a.lat) / (b.lat - a.lat) + a.lng) {
                inside = !inside;
              }
            }
            return inside;
          }
          function contains(l, p) {
            if (!l.getLatLngs || !l.getBounds().contains(p)) { return false; }
            var polys = l.getLatLngs();
            if (polys.length && !Array.isArray(polys[0][0])) { polys = [polys]; }
            return polys.some(function (rings) {
              return inRing(p, rings[0]) && !rings.slice(1).some(function (h) { return inRing(p, h); });
            });
          }
          function size(l) {
            var b = l.getBounds();
            return (b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth());
          }
          map.on('click', function (e) {
            if (e.sourceTarget !== map || !map.hasLayer(layer)) { return; }
            var hits = [];
            layer.eachLayer(function (l) { if (contains(l, e.latlng)) { hits.push(l); } });
            if (!hits.length) { return; }
            hits.sort(function (a, b) { return size(b) - size(a); });
            var names = hits.map(function (l) {
              var p = l.feature && l.feature.properties || {};
              return p.name || p.feature_id || '';
            }).filter(function (n) { return n; });
            var div = document.createElement('div');
            div.className = 'zoning-unit-names';
            div.textContent = names.join(' › ');
            L.popup().setLatLng(e.latlng).setContent(div).openOn(map);
          });
        })({{ this._parent.get_name() }}, {{ this.layer.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, layer: folium.GeoJson):
        super().__init__()
        self._name = "NamesOnClick"
        self.layer = layer


def add_layer(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    *,
    kind: str | None = None,
    name: str | None = None,
    popup_fields: Sequence[str] | None = None,
    tooltip_fields: Sequence[str] | None = None,
    style: Mapping[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    show: bool = True,
    zone_column: str = "zone",
) -> folium.FeatureGroup:
    """Add a vector layer with the cartography of its kind and zones.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`new_map`.
    gdf : GeoDataFrame
        Features in any CRS (catalogue frames are EPSG:4490). Not modified.
    kind : str, optional
        Layer kind (default: the ``kind`` column when it holds one value).
    name : str, optional
        Layer-control name (default: the bilingual kind name).
    popup_fields, tooltip_fields : sequence of str, optional
        Columns in the popup / tooltip. Default popup: name, zone, id, layer (and the rule,
        outcome and citation of screening results when present); default tooltip: name.
        ``zone_label`` is the bilingual zone name.
    style : dict or callable, optional
        Leaflet path options for every feature, or a function feature → options.
    show : bool
        Visible when the map opens.
    zone_column : str
        Column holding canonical zone ids.

    Returns
    -------
    folium.FeatureGroup
        The group added to the map (one ``GeoJson`` child per zone drawing order).
    """
    info = map_info(m)
    if kind is None and "kind" in gdf.columns and gdf["kind"].nunique() == 1:
        kind = str(gdf["kind"].iloc[0])
    label = name or (kind_label(kind) if kind else "图层 / Layer")
    frame = display_frame(m, gdf).copy()
    zones = frame[zone_column].astype("object") if zone_column in frame.columns else None
    if zones is not None:
        order = {z: i for i, z in enumerate(zone_order(kind))} if kind else {}
        frame["_order"] = zones.map(lambda z: order.get(z, -1))
        frame = frame.sort_values("_order", kind="stable")
        frame["zone_label"] = frame[zone_column].map(lambda z: zone_label(kind, z))
    if popup_fields is None:
        popup_fields = [c for c in (*_DEFAULT_POPUP, *_SCREENING_FIELDS) if c in frame.columns]
    if tooltip_fields is None:
        tooltip_fields = [c for c in ("name",) if c in frame.columns] or (
            ["zone_label"] if "zone_label" in frame.columns else []
        )
    missing = [c for c in (*popup_fields, *tooltip_fields) if c not in frame.columns]
    if missing:
        raise ZoningError(
            f"popup/tooltip fields {missing} not in the layer {label!r}; its columns are "
            f"{[c for c in frame.columns if c != 'geometry']}"
        )
    keep = list(dict.fromkeys([*popup_fields, *tooltip_fields]))
    if zones is not None:
        keep.append(zone_column)
    geom_types = set(frame.geometry.geom_type.dropna())
    points = bool(geom_types) and geom_types <= {"Point", "MultiPoint"}
    any_points = bool(geom_types & {"Point", "MultiPoint"})
    coverage = bool(kind) and kind in {"admin_unit", "control_unit"}
    disp = display_geometries(
        frame.geometry.to_numpy(),
        zoom=None if points else info.detail_zoom,
        groups=frame[zone_column].to_numpy() if zones is not None else None,
        coverage=coverage,
    )
    data = feature_collection(frame, disp.geometries, keep)

    click_through = kind in _CLICK_THROUGH and style is None
    if click_through:
        popup_fields, tooltip_fields = (), ()
    if style is None:
        cache: dict[Any, dict[str, Any]] = {}

        def zone_style(feature: dict[str, Any]) -> dict[str, Any]:
            zone = feature["properties"].get(zone_column)
            # a filled polyline would paint the polygon its vertices imply: lines never fill
            line = (feature.get("geometry") or {}).get("type") in _LINE_TYPES
            if (zone, line) not in cache:
                options = style_for(kind, zone).to_leaflet()
                if line:
                    options.update(fill=False, fillOpacity=0.0)
                if click_through:
                    options["interactive"] = False
                cache[zone, line] = options
            return cache[zone, line]

        style_function: Callable[[dict[str, Any]], dict[str, Any]] = zone_style
    elif callable(style):
        style_function = style
    else:
        fixed = dict(style)

        def fixed_style(feature: dict[str, Any]) -> dict[str, Any]:
            return fixed

        style_function = fixed_style

    group = folium.FeatureGroup(name=label, show=show)
    geojson = add_geojson(
        group,
        data,
        style_function=style_function,
        popup_fields=popup_fields,
        tooltip_fields=tooltip_fields,
        points=any_points,  # circle markers: Leaflet's image markers need files offline
        name=label,
    )
    group.add_to(m)
    if click_through and data["features"]:
        NamesOnClick(geojson).add_to(m)
    n = len(data["features"])
    info.layers.append(
        {
            "name": label,
            "kind": kind,
            "features": n,
            "simplified": disp.simplified,
            "vertices_before": disp.vertices_before,
            "vertices_after": disp.vertices_after,
            "method": disp.method,
            "tolerance_deg": disp.tolerance,
            "detail_zoom": None if points else info.detail_zoom,
            "bounds": frame_bounds(frame),
        }
    )
    if style is None and n:
        present = list(dict.fromkeys(frame[zone_column])) if zones is not None else [None]
        ordered: list[str | None] = (
            [z for z in reversed(zone_order(kind)) if z in present] if kind else []
        )
        ordered += [z for z in present if z not in ordered]
        entries = []
        for z in ordered:
            st = style_for(kind, z)
            entries.append(
                LegendEntry(
                    label=zone_label(kind, z) if z is not None else label,
                    color=st.fill_color,
                    fill=st.fill,
                    line=points is False and geom_types <= {"LineString", "MultiLineString"},
                )
            )
        info.legends.append(LegendBlock(label, entries, group.get_name()))
    elif isinstance(style, Mapping) and n:
        color = str(style.get("fillColor", style.get("color", "#3388ff")))
        info.legends.append(
            LegendBlock(label, [LegendEntry(label=label, color=color)], group.get_name())
        )
    return group
