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

__all__ = ["NamesOnClick", "add_choropleth", "add_layer", "add_raster", "class_breaks", "palette"]

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
        from zoning.gcj02 import to_gcj02

        out = to_gcj02(out)
    return out


def _bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    """Lon/lat bounds of a display frame, ``None`` when it has no geometry."""
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
) -> folium.GeoJson:
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

    click_through = kind in _CLICK_THROUGH and style is None
    if click_through:
        popup_fields, tooltip_fields = (), ()
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
                if click_through:
                    options["interactive"] = False
                cache[zone, line] = options
            return cache[zone, line]

    elif callable(style):
        style_function = style
    else:
        fixed = dict(style)

        def style_function(feature: dict[str, Any]) -> dict[str, Any]:
            return fixed

    group = folium.FeatureGroup(name=label, show=show)
    geojson = _add_geojson(
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
            "bounds": _bounds(frame),
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


def class_breaks(values: np.ndarray, classes: int) -> np.ndarray:
    """Quantile class breaks (unique, increasing), min and max included."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.array([0.0, 0.0])
    qs = np.quantile(finite, np.linspace(0, 1, classes + 1))
    breaks = np.unique(qs)
    if breaks.size == 1:
        breaks = np.array([breaks[0], breaks[0]])
    return breaks


def palette(cmap: str, n: int, *, start: float = 0.15) -> list[str]:
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
    edges = np.asarray(breaks, dtype=float) if breaks is not None else class_breaks(values, classes)
    n_classes = max(1, edges.size - 1)
    colors = palette(cmap, n_classes, start=0.4 if outline else 0.15)
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
            "bounds": _bounds(frame),
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
        from zoning.gcj02 import wgs84_to_gcj02

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
        {
            "name": name,
            "kind": "raster",
            "features": 1,
            "simplified": False,
            "shape": arr.shape,
            "bounds": (minx, miny, maxx, maxy),
        }
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
