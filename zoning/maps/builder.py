"""The one map builder of zoning: offline Folium maps with a consistent cartography.

Typical use::

    m = new_map(title="生态保护红线 / Red lines")
    add_layer(m, catalog.frame("eco_redline"), kind="eco_redline")
    save_map(m, "map.html")          # finish() is called for you

Every map has a scale bar, fullscreen and measure controls, a layer control, a bilingual
legend and the disclaimer "for planning analysis, not an official map / 仅供规划分析，非正式地图".
Saved HTML inlines Leaflet and its plugins (:mod:`zoning.maps.assets`): with no basemap it
opens with no network. Geometry is simplified *for display only*; the map says so.
"""

from __future__ import annotations

import html as html_lib
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import folium
import folium.plugins
import numpy as np
from branca.element import Element, MacroElement
from jinja2 import Template

from zoning.errors import CRSError, OutputExistsError, ZoningError
from zoning.maps.assets import DROPPED_URL_PARTS, inline_assets
from zoning.maps.basemaps import Basemap, add_basemap, resolve_basemap
from zoning.maps.simplify import DEFAULT_DETAIL_ZOOM, display_geometries
from zoning.maps.style import kind_label, style_for, zone_label, zone_order

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = [
    "DISCLAIMER",
    "FIELD_LABELS",
    "SHANXI_BOUNDS",
    "LegendBlock",
    "LegendEntry",
    "MapInfo",
    "ZoningMap",
    "add_choropleth",
    "add_layer",
    "add_raster",
    "finish",
    "fit_to_budget",
    "html_size_mb",
    "layer_summary",
    "map_html",
    "map_info",
    "new_dual_map",
    "new_map",
    "save_html",
    "save_map",
]

#: Above this many layers the layer control starts collapsed (a button), so the legend shows.
COLLAPSE_LAYER_CONTROL_ABOVE = 6

DISCLAIMER = "仅供规划分析，非正式地图 / For planning analysis, not an official map"

#: Default extent: Shanxi province (lon/lat).
SHANXI_BOUNDS: tuple[float, float, float, float] = (110.2, 34.5, 114.6, 40.8)

#: Bilingual popup/tooltip labels of well-known columns.
FIELD_LABELS: Mapping[str, str] = {
    "name": "名称 / Name",
    "zone_label": "分区 / Zone",
    "kind_label": "类型 / Kind",
    "feature_id": "编号 / ID",
    "layer": "图层 / Layer",
    "adcode": "行政区划代码 / Code",
    "level": "级别 / Level",
    "city": "市 / City",
    "rule": "规则 / Rule",
    "rule_id": "规则 / Rule",
    "outcome": "规则结果 / Outcome",
    "citation": "依据 / Citation",
    "site_id": "项目 / Site",
    "distance_m": "距离 (m) / Distance (m)",
    "overlap_m2": "重叠面积 (m²) / Overlap (m²)",
    "score": "得分 / Score",
    "verdict": "结论代码 / Verdict code",
    "verdict_label": "结论 / Verdict",
    "layer_kind": "图层类型 / Layer kind",
    "change": "变化 / Change",
    "unit_id": "单元 / Unit",
    "area_km2": "面积 (km²) / Area (km²)",
    "rank": "排名 / Rank",
}

_LINE_TYPES = frozenset({"LineString", "MultiLineString"})

_DEFAULT_POPUP = ("name", "zone_label", "feature_id", "layer", "adcode")
_SCREENING_FIELDS = (
    "site_id",
    "rule_id",
    "rule",
    "outcome",
    "citation",
    "distance_m",
    "overlap_m2",
)


@dataclass(frozen=True)
class LegendEntry:
    """One legend row: a swatch and its bilingual label."""

    label: str
    color: str
    fill: bool = True
    line: bool = False
    gradient: tuple[str, ...] = ()


class LegendBlock(NamedTuple):
    """The legend of one layer: heading, rows, and the JavaScript name of the layer."""

    heading: str
    entries: list[LegendEntry]
    layer: str | None = None


@dataclass
class MapInfo:
    """Book-keeping zoning attaches to a folium map (``m._zoning``)."""

    title: str | None = None
    basemap: Basemap | None = None
    detail_zoom: int | None = DEFAULT_DETAIL_ZOOM
    legends: list[LegendBlock] = field(default_factory=list)
    layers: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    finished: bool = False

    @property
    def display_crs(self) -> str:
        """``"gcj02"`` on an AutoNavi basemap, else ``"wgs84"`` (CGCS2000 drawn as stored)."""
        return self.basemap.display_crs if self.basemap else "wgs84"

    @property
    def simplified(self) -> bool:
        """True when any layer's display geometry was simplified."""
        return any(layer.get("simplified") for layer in self.layers)


def map_info(m: folium.Map) -> MapInfo:
    """Return the :class:`MapInfo` of a map made by :func:`new_map`."""
    info = getattr(m, "_zoning", None)
    if not isinstance(info, MapInfo):
        raise ZoningError(
            "this folium map was not created by zoning.maps.new_map; create maps with "
            "new_map() so legends, disclaimer and offline assets are handled"
        )
    return info


def _drop_cdn_defaults(obj: Any) -> None:
    for attr in ("default_js", "default_css"):
        items = getattr(obj, attr, None)
        if items:
            setattr(
                obj,
                attr,
                [(n, u) for n, u in items if not any(p in u.lower() for p in DROPPED_URL_PARTS)],
            )


class ZoningMap(folium.Map):
    """A ``folium.Map`` whose notebook display is offline too (assets inlined, no CDN)."""

    def _repr_html_(self, **kwargs: Any) -> str:
        doc = html_lib.escape(map_html(self), quote=True)
        return (
            '<div style="width:100%;"><div style="position:relative;width:100%;height:0;'
            'padding-bottom:60%;"><iframe srcdoc="' + doc + '" style="position:absolute;'
            'width:100%;height:100%;left:0;top:0;border:none !important;" allowfullscreen>'
            "</iframe></div></div>"
        )


class _MapLabel(MacroElement):
    """A small label in the top-left corner of one map (e.g. the vintage of a pair)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (map) {
          var label = L.control({position: 'topleft'});
          label.onAdd = function () {
            var div = L.DomUtil.create('div', 'zoning-map-label');
            div.textContent = {{ this.text|tojson }};
            return div;
          };
          label.addTo(map);
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "MapLabel"
        self.text = text


class _MetricScale(MacroElement):
    """Leaflet scale bar in metres / kilometres only."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        L.control.scale({imperial: false, maxWidth: 160}).addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )


def new_map(
    *,
    bounds: Sequence[float] | None = None,
    title: str | None = None,
    basemap: str | None = None,
    tianditu_key: str | None = None,
    detail_zoom: int | None = DEFAULT_DETAIL_ZOOM,
    prefer_canvas: bool = True,
) -> folium.Map:
    """Create a zoning map: no tiles by default, scale bar, fullscreen and measure controls.

    Parameters
    ----------
    bounds : (minx, miny, maxx, maxy), optional
        Initial extent in lon/lat (default: Shanxi).
    title : str, optional
        Title shown on the map and as the HTML title.
    basemap : {None, "none", "osm", "tianditu", "gaode"}
        Optional tile basemap (needs network when the map is opened). With ``"gaode"``
        (GCJ-02 tiles) layers are shifted to GCJ-02 for display.
    tianditu_key : str, optional
        Tianditu key; default ``$TIANDITU_KEY``.
    detail_zoom : int or None
        Zoom level up to which display geometry stays exact to half a pixel; ``None`` keeps
        full detail.
    prefer_canvas : bool
        Draw vectors on a canvas (faster for thousands of polygons).

    Returns
    -------
    folium.Map
    """
    minx, miny, maxx, maxy = bounds if bounds is not None else SHANXI_BOUNDS
    base = resolve_basemap(basemap)
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise CRSError(
            f"map bounds {tuple(bounds or ())} are not lon/lat (minx, miny, maxx, maxy); "
            "give them in degrees (EPSG:4490), e.g. gdf.to_crs(4490).total_bounds"
        )
    m = ZoningMap(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=7,
        tiles=None,
        control_scale=False,  # added by _setup_map: metric only
        prefer_canvas=prefer_canvas,
    )
    _setup_map(
        m,
        bounds=(minx, miny, maxx, maxy),
        title=title,
        basemap=base,
        tianditu_key=tianditu_key,
        detail_zoom=detail_zoom,
    )
    if title:
        m.get_root().header.add_child(Element(f"<title>{html_lib.escape(title)}</title>"))
    return m


def _setup_map(
    m: folium.Map,
    *,
    bounds: tuple[float, float, float, float],
    title: str | None,
    basemap: Basemap | None,
    tianditu_key: str | None,
    detail_zoom: int | None,
    fullscreen: bool = True,
) -> MapInfo:
    """Attach :class:`MapInfo`, basemap and the standard controls to a folium map."""
    minx, miny, maxx, maxy = bounds
    _drop_cdn_defaults(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    info = MapInfo(title=title, basemap=basemap, detail_zoom=detail_zoom)
    m._zoning = info  # type: ignore[attr-defined]
    if basemap is not None:
        add_basemap(m, basemap, tianditu_key=tianditu_key)
        if basemap.display_crs == "gcj02":
            info.notes.append(
                "图层已为显示转换至 GCJ-02 以匹配高德底图，统计仍用 CGCS2000 / Layers shifted to "
                "GCJ-02 for display on the AutoNavi basemap; statistics use CGCS2000"
            )
    _MetricScale().add_to(m)
    if fullscreen:
        folium.plugins.Fullscreen(position="topleft").add_to(m)
    folium.plugins.MeasureControl(
        position="topleft",
        primary_length_unit="meters",
        secondary_length_unit="kilometers",
        primary_area_unit="hectares",
    ).add_to(m)
    return info


def new_dual_map(
    *,
    bounds: Sequence[float] | None = None,
    title: str | None = None,
    labels: tuple[str, str] = ("左 / Left", "右 / Right"),
    basemap: str | None = None,
    tianditu_key: str | None = None,
    detail_zoom: int | None = DEFAULT_DETAIL_ZOOM,
) -> folium.plugins.DualMap:
    """Create two synchronised zoning maps side by side (``.m1`` left, ``.m2`` right).

    Add layers to ``dual.m1`` and ``dual.m2`` with :func:`add_layer` etc.; save the pair
    with :func:`save_map`. Panning or zooming one map moves the other (Leaflet.Sync, inlined).
    One legend and disclaimer serve both; each map shows its own label.
    """
    minx, miny, maxx, maxy = bounds if bounds is not None else SHANXI_BOUNDS
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise CRSError(f"map bounds {tuple(bounds or ())} are not lon/lat (minx, miny, maxx, maxy)")
    base = resolve_basemap(basemap)
    dual = folium.plugins.DualMap(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=7,
        tiles=None,
        control_scale=False,
        prefer_canvas=True,
    )
    _drop_cdn_defaults(dual)
    for sub, label in zip((dual.m1, dual.m2), labels, strict=True):
        _setup_map(
            sub,
            bounds=(minx, miny, maxx, maxy),
            title=title,
            basemap=base,
            tianditu_key=tianditu_key,
            detail_zoom=detail_zoom,
            fullscreen=False,
        )
        _MapLabel(label).add_to(sub)
    dual._zoning_dual = True  # type: ignore[attr-defined]
    if title:
        dual.get_root().header.add_child(Element(f"<title>{html_lib.escape(title)}</title>"))
    return dual


def _maps_of(obj: Any) -> list[folium.Map]:
    """The zoning maps of a single map or of a side-by-side pair."""
    if isinstance(obj, folium.plugins.DualMap):
        return [obj.m1, obj.m2]
    return [obj]


# --------------------------------------------------------------------------- layers


def _display_frame(m: folium.Map, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` in lon/lat for drawing (GCJ-02 when the basemap needs it)."""
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
        from zoning.crs import to_gcj02

        out = to_gcj02(out)
    return out


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


def _feature_collection(
    gdf: gpd.GeoDataFrame, geoms: np.ndarray, columns: Sequence[str]
) -> dict[str, Any]:
    """Build a compact GeoJSON FeatureCollection (integer ids, only ``columns``)."""
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


def _add_geojson(
    group: folium.FeatureGroup,
    data: dict[str, Any],
    *,
    style_function: Callable[[dict[str, Any]], dict[str, Any]],
    popup_fields: Sequence[str],
    tooltip_fields: Sequence[str],
    points: bool,
    name: str,
    labels: Mapping[str, str] | None = None,
) -> None:
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
    folium.GeoJson(
        data, name=name, style_function=style_function, embed=True, zoom_on_click=False, **kwargs
    ).add_to(group)


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
    frame = _display_frame(m, gdf).copy()
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
    data = _feature_collection(frame, disp.geometries, keep)

    if style is None:
        cache: dict[Any, dict[str, Any]] = {}

        def style_function(feature: dict[str, Any]) -> dict[str, Any]:
            zone = feature["properties"].get(zone_column)
            # a filled polyline would paint the polygon its vertices imply: lines never fill
            line = (feature.get("geometry") or {}).get("type") in _LINE_TYPES
            if (zone, line) not in cache:
                options = style_for(kind, zone).to_leaflet()
                if line:
                    options.update(fill=False, fillOpacity=0.0)
                cache[zone, line] = options
            return cache[zone, line]

    elif callable(style):
        style_function = style
    else:
        fixed = dict(style)

        def style_function(feature: dict[str, Any]) -> dict[str, Any]:
            return fixed

    group = folium.FeatureGroup(name=label, show=show)
    _add_geojson(
        group,
        data,
        style_function=style_function,
        popup_fields=popup_fields,
        tooltip_fields=tooltip_fields,
        points=any_points,  # circle markers: Leaflet's image markers need files offline
        name=label,
    )
    group.add_to(m)
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
        }
    )
    if style is None and n:
        present = list(dict.fromkeys(frame[zone_column])) if zones is not None else [None]
        ordered = [z for z in reversed(zone_order(kind)) if z in present] if kind else []
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


# --------------------------------------------------------------------------- choropleth


def _class_breaks(values: np.ndarray, classes: int) -> np.ndarray:
    """Quantile class breaks (unique, increasing), min and max included."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.array([0.0, 0.0])
    qs = np.quantile(finite, np.linspace(0, 1, classes + 1))
    breaks = np.unique(qs)
    if breaks.size == 1:
        breaks = np.array([breaks[0], breaks[0]])
    return breaks


def _palette(cmap: str, n: int, *, start: float = 0.15) -> list[str]:
    """``n`` colours of ``cmap`` from ``start`` to 0.95 (light classes stay visible)."""
    import matplotlib
    from matplotlib.colors import to_hex

    colormap = matplotlib.colormaps[cmap]
    if n == 1:
        return [to_hex(colormap(0.6))]
    return [to_hex(colormap(start + (0.95 - start) * i / (n - 1))) for i in range(n)]


def add_choropleth(
    m: folium.Map,
    units: gpd.GeoDataFrame,
    column: str,
    *,
    name: str,
    legend_title: str,
    classes: int = 5,
    breaks: Sequence[float] | None = None,
    cmap: str = "YlOrRd",
    fmt: str = "{:.1f}",
    popup_fields: Sequence[str] | None = None,
    show: bool = True,
    outline: bool = False,
) -> folium.FeatureGroup:
    """Add a classed choropleth of ``units[column]`` with a classed legend.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`new_map`.
    units : GeoDataFrame
        Polygons (e.g. counties) with the value column.
    column : str
        Numeric column to map (NaN → "no data", grey).
    name : str
        Layer name (bilingual).
    legend_title : str
        Legend heading (bilingual, with the unit, e.g. ``"红线占比 (%) / Red-line share (%)"``).
    classes : int
        Number of quantile classes (ignored when ``breaks`` is given).
    breaks : sequence of float, optional
        Explicit class edges, increasing, first ≤ min and last ≥ max.
    cmap : str
        Matplotlib colormap name.
    fmt : str
        Format of the legend and popup numbers.
    popup_fields : sequence of str, optional
        Extra columns in the popup (default: name, adcode when present).
    show : bool
        Visible when the map opens.
    outline : bool
        Draw the class colour as a thick outline with a transparent (still clickable) fill,
        so a raster underneath stays visible.

    Returns
    -------
    folium.FeatureGroup
    """
    import pandas as pd

    info = map_info(m)
    if column not in units.columns:
        raise ZoningError(
            f"choropleth column {column!r} not found; the units have columns "
            f"{[c for c in units.columns if c != 'geometry']}"
        )
    if classes < 1:
        raise ZoningError(f"classes must be at least 1, got {classes}")
    values = pd.to_numeric(units[column], errors="coerce").to_numpy(dtype=float)
    edges = (
        np.asarray(breaks, dtype=float) if breaks is not None else _class_breaks(values, classes)
    )
    n_classes = max(1, edges.size - 1)
    colors = _palette(cmap, n_classes, start=0.4 if outline else 0.15)
    cls = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, n_classes - 1)
    frame = _display_frame(m, units).copy()
    frame["_class"] = np.where(np.isfinite(values), cls, -1)
    value_label = f"{legend_title}"
    frame["value"] = [fmt.format(v) if np.isfinite(v) else "—" for v in values]
    if popup_fields is None:
        popup_fields = [c for c in ("name", "adcode") if c in frame.columns]
    fields = [*popup_fields, "value"]
    disp = display_geometries(
        frame.geometry.to_numpy(), zoom=info.detail_zoom, coverage=True, groups=None
    )
    data = _feature_collection(frame, disp.geometries, [*fields, "_class"])

    def style_function(feature: dict[str, Any]) -> dict[str, Any]:
        k = feature["properties"]["_class"]
        fill = colors[k] if k >= 0 else "#d9d9d9"
        if outline:
            return {"color": fill, "weight": 3, "fillColor": fill, "fillOpacity": 0.0}
        return {"color": "#525252", "weight": 0.7, "fillColor": fill, "fillOpacity": 0.8}

    group = folium.FeatureGroup(name=name, show=show)
    labels = dict(FIELD_LABELS)
    labels["value"] = value_label
    _add_geojson(
        group,
        data,
        style_function=style_function,
        popup_fields=fields,
        tooltip_fields=fields,
        points=False,
        name=name,
        labels=labels,
    )
    group.add_to(m)
    info.layers.append(
        {
            "name": name,
            "kind": "choropleth",
            "features": len(data["features"]),
            "simplified": disp.simplified,
            "vertices_before": disp.vertices_before,
            "vertices_after": disp.vertices_after,
            "method": disp.method,
            "tolerance_deg": disp.tolerance,
        }
    )
    entries = [
        LegendEntry(
            label=f"{fmt.format(edges[i])} – {fmt.format(edges[i + 1])}",
            color=colors[i],
            line=outline,
        )
        for i in range(n_classes)
    ]
    if (~np.isfinite(values)).any():
        entries.append(LegendEntry(label="无数据 / No data", color="#d9d9d9", line=outline))
    info.legends.append(LegendBlock(legend_title, entries, group.get_name()))
    return group


# --------------------------------------------------------------------------- raster


def _warp_to_lonlat(
    arr: np.ndarray, transform: Any, crs: Any, nodata: float | None
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Reproject a projected grid to a lon/lat grid (nearest neighbour, for display only)."""
    from rasterio.transform import array_bounds
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    rows, cols = arr.shape
    left, bottom, right, top = array_bounds(rows, cols, transform)
    dst_transform, width, height = calculate_default_transform(
        crs, "EPSG:4326", cols, rows, left=left, bottom=bottom, right=right, top=top
    )
    src = np.where(arr == nodata, np.nan, arr) if nodata is not None else arr
    dst = np.full((height, width), np.nan)
    reproject(
        src,
        dst,
        src_transform=transform,
        src_crs=crs,
        src_nodata=np.nan,
        dst_transform=dst_transform,
        dst_crs="EPSG:4326",
        dst_nodata=np.nan,
        resampling=Resampling.nearest,
    )
    west, south, east, north = array_bounds(height, width, dst_transform)
    return dst, (west, south, east, north)


def add_raster(
    m: folium.Map,
    array: np.ndarray,
    bounds: Sequence[float] | None = None,
    *,
    name: str,
    cmap: str = "viridis",
    nodata: float | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    opacity: float = 0.75,
    legend_title: str | None = None,
    show: bool = True,
    transform: Any = None,
    crs: Any = None,
    max_size: int = 2048,
) -> folium.raster_layers.ImageOverlay:
    """Add a single-band raster as an inline PNG overlay.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`new_map`.
    array : 2-D array
        Values, first row north.
    bounds : (minx, miny, maxx, maxy), optional
        Extent of a lon/lat array (EPSG:4490/4326). The rows are re-projected to Web Mercator
        for display (``mercator_project``). Not needed when ``transform`` and ``crs`` are given.
    transform : affine.Affine, optional
        Grid transform of a raster in a projected ``crs`` (e.g. Albers or a Gauss–Krüger
        zone): the array is reprojected to lon/lat for display (nearest neighbour).
    crs : CRS-like, optional
        CRS of ``transform``.
    max_size : int
        Largest image side in pixels; bigger arrays are subsampled for display (the map
        notes it).
    name : str
        Layer name (bilingual).
    cmap : str
        Matplotlib colormap.
    nodata : float, optional
        Value drawn transparent (NaN always is).
    vmin, vmax : float, optional
        Colour stretch (default: data min/max).
    opacity : float
        Layer opacity.
    legend_title : str, optional
        Legend heading (default ``name``).
    show : bool
        Visible when the map opens.

    Returns
    -------
    folium.raster_layers.ImageOverlay
    """
    import matplotlib

    info = map_info(m)
    arr = np.asarray(array, dtype=float)
    if arr.ndim != 2 or arr.size == 0:
        raise ZoningError(f"add_raster expects a non-empty 2-D array, got shape {arr.shape}")
    if transform is not None:
        if crs is None:
            raise CRSError(
                "add_raster got a transform but no crs; expected both (e.g. crs='EPSG:4547')"
            )
        arr, bounds = _warp_to_lonlat(arr, transform, crs, nodata)
    elif bounds is None:
        raise ZoningError("add_raster needs lon/lat bounds, or a transform and crs")
    step = max(1, math.ceil(max(arr.shape) / max_size))
    if step > 1:
        arr = arr[::step, ::step]
        info.notes.append(
            f"栅格 {name} 显示时每 {step} 个像元取 1 个 / raster {name} subsampled for display "
            f"(1 cell in {step} per row and column)"
        )
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    if not (minx < maxx and miny < maxy) or not (
        -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90
    ):
        raise CRSError(
            f"raster bounds {tuple(bounds)} are not lon/lat (minx, miny, maxx, maxy); "
            "reproject the raster to EPSG:4490 first"
        )
    valid = np.isfinite(arr)
    if nodata is not None:
        valid &= arr != nodata
    lo = float(np.nanmin(arr[valid])) if vmin is None and valid.any() else (vmin or 0.0)
    hi = float(np.nanmax(arr[valid])) if vmax is None and valid.any() else (vmax or 1.0)
    scaled = np.zeros_like(arr) if hi <= lo else (arr - lo) / (hi - lo)
    rgba = matplotlib.colormaps[cmap](np.clip(np.nan_to_num(scaled), 0, 1))
    rgba[..., 3] = np.where(valid, 1.0, 0.0)
    image = (rgba * 255).round().astype(np.uint8)
    if info.display_crs == "gcj02":
        from zoning.crs import wgs84_to_gcj02

        xs, ys = wgs84_to_gcj02(np.array([minx, maxx]), np.array([miny, maxy]))
        minx, maxx = float(xs[0]), float(xs[1])
        miny, maxy = float(ys[0]), float(ys[1])
    overlay = folium.raster_layers.ImageOverlay(
        image=image,
        bounds=[[miny, minx], [maxy, maxx]],
        name=name,
        opacity=opacity,
        mercator_project=True,
        show=show,
        interactive=False,
    )
    overlay.add_to(m)
    info.layers.append(
        {"name": name, "kind": "raster", "features": 1, "simplified": False, "shape": arr.shape}
    )
    ramp = tuple(
        matplotlib.colors.to_hex(matplotlib.colormaps[cmap](t)) for t in np.linspace(0, 1, 6)
    )
    info.legends.append(
        LegendBlock(
            legend_title or name,
            [LegendEntry(label=f"{lo:.3g} – {hi:.3g}", color=ramp[-1], gradient=ramp)],
            overlay.get_name(),
        )
    )
    return overlay


# --------------------------------------------------------------------------- finish / save

_PANEL = Template(
    """
<style>
.zoning-panel{position:fixed;z-index:1000;background:rgba(255,255,255,.92);padding:6px 9px;
 border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.35);color:#222;
 font:12px/1.35 "Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",sans-serif}
.zoning-title{top:10px;left:50%;transform:translateX(-50%);font-size:15px;font-weight:600}
.zoning-legend{bottom:28px;right:10px;max-height:42vh;overflow:auto;max-width:330px}
.zoning-legend h4{margin:6px 0 3px;font-size:12px}
.zoning-legend .row{display:flex;align-items:center;margin:1px 0}
.zoning-legend .sw{display:inline-block;width:16px;height:11px;margin-right:6px;
 border:1px solid rgba(0,0,0,.45);flex:none}
.zoning-legend .sw.line{height:0;border:0;border-top:3px solid}
.zoning-legend .sw.ramp{width:60px}
.zoning-disclaimer{bottom:44px;left:10px;max-width:46vw;font-size:11px}
.zoning-map-label{background:rgba(255,255,255,.92);padding:4px 8px;border-radius:4px;
 font-weight:600;box-shadow:0 1px 4px rgba(0,0,0,.35)}
@media print{.zoning-panel{box-shadow:none;border:1px solid #999}
 .leaflet-control-zoom,.leaflet-control-layers,.leaflet-control-measure,
 .leaflet-control-zoom-fullscreen{display:none}}
</style>
{% if title %}<div class="zoning-panel zoning-title">{{ title|e }}</div>{% endif %}
<div class="zoning-panel zoning-legend" id="zoning-legend">
{% for block in legends %}<div class="block"
{%- if block.layer %} data-layer="{{ block.layer }}"{% endif %}><h4>{{ block.heading|e }}</h4>
{% for e in block.entries %}<div class="row">
{%- if e.gradient %}<span class="sw ramp"
 style="background:linear-gradient(to right,{{ e.gradient|join(',') }})"></span>
{%- elif e.line or not e.fill %}<span class="sw line"
 style="border-top-color:{{ e.color }}"></span>
{%- else %}<span class="sw" style="background:{{ e.color }}"></span>{% endif -%}
<span>{{ e.label|e }}</span></div>
{% endfor %}</div>
{% endfor %}
</div>
<div class="zoning-panel zoning-disclaimer" id="zoning-disclaimer"><b>{{ disclaimer|e }}</b>
{% for note in notes %}<br>{{ note|e }}{% endfor %}
</div>
"""
)


class _Panels(MacroElement):
    """Title, legend and disclaimer, rendered from the map's :class:`MapInfo` at save time.

    The legend block of a layer is shown only while the layer is on the map (the layer
    control's ``overlayadd`` / ``overlayremove`` events).
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (maps) {
          function syncLegend() {
            document.querySelectorAll('#zoning-legend [data-layer]').forEach(function (el) {
              var layer = window[el.getAttribute('data-layer')];
              var shown = layer && maps.some(function (m) { return m.hasLayer(layer); });
              el.style.display = shown ? '' : 'none';
            });
          }
          maps.forEach(function (m) { m.on('overlayadd overlayremove', syncLegend); });
          syncLegend();
        })([{% for m in this.maps %}{{ m.get_name() }}{{ "," if not loop.last }}{% endfor %}]);
        {% endmacro %}"""
    )

    def __init__(self, maps: Sequence[folium.Map]):
        super().__init__()
        self._name = "ZoningPanels"
        self.maps = list(maps)

    def render(self, **kwargs: Any) -> None:
        infos = [map_info(m) for m in self.maps]
        legends = [block for info in infos for block in info.legends]
        notes = list(dict.fromkeys(note for info in infos for note in info.notes))
        layers = [layer for info in infos for layer in info.layers]
        if any(layer.get("simplified") for layer in layers):
            simplified = [lay for lay in layers if lay.get("simplified")]
            before = sum(lay["vertices_before"] for lay in simplified)
            after = sum(lay["vertices_after"] for lay in simplified)
            tol_m = max(lay["tolerance_deg"] for lay in simplified) * 111_320
            notes.append(
                f"显示用几何已简化（约 {tol_m:.0f} m，{before:,} → {after:,} 个顶点），"
                "统计使用原始几何 / "
                f"Display geometry simplified (≈ {tol_m:.0f} m, {before:,} → {after:,} vertices); "
                "statistics use the full geometry"
            )
        # side by side, the per-map labels name the maps; a centred title would hide controls
        title = infos[0].title if len(self.maps) == 1 else None
        html = _PANEL.render(title=title, legends=legends, disclaimer=DISCLAIMER, notes=notes)
        figure = self.get_root()
        figure.html.add_child(Element(html), name="zoning_panels")
        super().render(**kwargs)


def finish(m: folium.Map) -> folium.Map:
    """Add the layer control, legend, title and disclaimer (idempotent; :func:`save_map` calls it).

    Layers added after ``finish`` still appear: the panels are rendered at save time. ``m``
    may also be a side-by-side pair from :func:`new_dual_map`.
    """
    maps = _maps_of(m)
    infos = [map_info(sub) for sub in maps]
    if not infos[0].finished:
        for sub, info in zip(maps, infos, strict=True):
            # a long list of layers would hide the legend: collapse it into the layers button
            many = len(info.layers) > COLLAPSE_LAYER_CONTROL_ABOVE
            folium.LayerControl(collapsed=many, position="topright").add_to(sub)
            info.finished = True
        _Panels(maps).add_to(maps[-1])
    return m


def map_html(m: folium.Map) -> str:
    """Return the self-contained HTML of ``m`` (assets inlined; no CDN reference).

    Raises
    ------
    MapAssetsMissingError
        When the offline assets are not installed (run ``make setup``).
    """
    finish(m)
    html = m.get_root().render()
    return inline_assets(html)


def _atomic_write_text(path: Path, text: str, *, overwrite: bool) -> None:
    try:
        from zoning.io import atomic_write_text
    except ImportError:  # zoning.io not there yet: same contract, local implementation
        atomic_write_text = None
    if atomic_write_text is not None:
        atomic_write_text(path, text, overwrite=overwrite)
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_map(m: folium.Map, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write ``m`` as one self-contained HTML file (atomic: temp file, then rename).

    Parameters
    ----------
    m : folium.Map
        A map from :func:`new_map` (``finish`` is applied).
    path : path-like
        Output ``.html`` file; its folder must exist.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    Path

    Raises
    ------
    OutputExistsError
        When ``path`` exists and ``overwrite`` is false.
    MapAssetsMissingError
        When the offline assets are not installed (run ``make setup``).
    """
    return save_html(map_html(m), path, overwrite=overwrite)


def save_html(html: str, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write an HTML page from :func:`map_html` atomically (see :func:`save_map`)."""
    out = Path(path)
    if out.exists() and not overwrite:
        raise OutputExistsError(
            f"{out} already exists; expected a new file name, or pass overwrite=True "
            "(--overwrite on the command line) to replace it"
        )
    if not out.parent.is_dir():
        raise ZoningError(f"folder {out.parent} does not exist; create it before saving {out.name}")
    _atomic_write_text(out, html, overwrite=overwrite)
    return out


def html_size_mb(html: str) -> float:
    """Size of an HTML page in megabytes (10**6 bytes, UTF-8)."""
    return len(html.encode("utf-8")) / 1e6


def fit_to_budget(
    build: Callable[[int], folium.Map],
    *,
    max_mb: float = 15.0,
    start_zoom: int = DEFAULT_DETAIL_ZOOM,
    min_zoom: int = 6,
) -> tuple[folium.Map, str]:
    """Build a map, coarsening display detail one zoom level at a time until it fits.

    Parameters
    ----------
    build : callable
        ``build(detail_zoom) -> folium.Map`` (e.g. a ``lambda z: catalog_map(c, detail_zoom=z)``).
    max_mb : float
        Size budget of the HTML in MB (10**6 bytes).
    start_zoom, min_zoom : int
        First and last detail zoom tried.

    Returns
    -------
    (folium.Map, str)
        The map and its self-contained HTML.

    Raises
    ------
    ZoningError
        When even ``min_zoom`` gives a page over the budget (the message gives its size).
    """
    html = ""
    for zoom in range(start_zoom, min_zoom - 1, -1):
        m = build(zoom)
        if zoom < start_zoom:
            map_info(m).notes.append(
                f"为控制文件大小（≤ {max_mb:g} MB），显示细节降至缩放级别 {zoom} / "
                f"display detail lowered to zoom {zoom} to keep the file under {max_mb:g} MB"
            )
        html = map_html(m)
        if html_size_mb(html) <= max_mb:
            return m, html
    raise ZoningError(
        f"the map is {html_size_mb(html):.1f} MB even with display detail at zoom {min_zoom}; "
        f"expected at most {max_mb:g} MB. Map fewer layers (--layers), raise the budget "
        "(--max-mb) or lower --detail-zoom"
    )


def layer_summary(m: folium.Map) -> list[dict[str, Any]]:
    """Return one dict per layer added (name, kind, features, simplification figures).

    For a side-by-side pair, the left map's layers come first.
    """
    return [dict(layer) for sub in _maps_of(m) for layer in map_info(sub).layers]
