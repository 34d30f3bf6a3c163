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
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import folium
import folium.plugins
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from zoning.errors import CRSError, OutputExistsError, ZoningError
from zoning.io.atomic import atomic_write_text
from zoning.maps.assets import DROPPED_URL_PARTS, inline_assets
from zoning.maps.basemaps import Basemap, add_basemap, resolve_basemap
from zoning.maps.choropleth import add_choropleth
from zoning.maps.info import SHANXI_BOUNDS, MapInfo, map_info
from zoning.maps.info import maps_of as _maps_of
from zoning.maps.layers import add_layer
from zoning.maps.panels import Panels
from zoning.maps.raster import add_raster
from zoning.maps.simplify import DEFAULT_DETAIL_ZOOM

__all__ = [
    "COLLAPSE_LAYER_CONTROL_ABOVE",
    "ZoningMap",
    "add_choropleth",
    "add_layer",
    "add_raster",
    "finish",
    "fit_to_budget",
    "html_size_mb",
    "layer_summary",
    "map_html",
    "new_dual_map",
    "new_map",
    "save_html",
    "save_map",
]


#: Above this many layers the layer control starts collapsed (a button), so the legend shows.
COLLAPSE_LAYER_CONTROL_ABOVE = 6


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


def _add_page_title(m: folium.Map | folium.plugins.DualMap, title: str) -> None:
    """Give the HTML page of ``m`` a ``<title>``."""
    figure = cast(Figure, m.get_root())  # a map's root is its Figure
    figure.header.add_child(Element(f"<title>{html_lib.escape(title)}</title>"))


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
        Initial extent in lon/lat. Default: the extent of the layers added (Shanxi while
        there are none).
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
        fit=bounds is None,
    )
    if title:
        _add_page_title(m, title)
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
    fit: bool = False,
) -> MapInfo:
    """Attach :class:`MapInfo`, basemap and the standard controls to a folium map."""
    minx, miny, maxx, maxy = bounds
    _drop_cdn_defaults(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    info = MapInfo(title=title, basemap=basemap, detail_zoom=detail_zoom, fit_to_layers=fit)
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
            fit=bounds is None,
        )
        _MapLabel(label).add_to(sub)
    dual._zoning_dual = True  # type: ignore[attr-defined]
    if title:
        _add_page_title(dual, title)
    return dual


def finish(m: folium.Map) -> folium.Map:
    """Add the layer control, legend, title and disclaimer (idempotent; :func:`save_map` calls it).

    Layers added after ``finish`` still appear: the panels are rendered at save time. ``m``
    may also be a side-by-side pair from :func:`new_dual_map`.
    """
    maps = _maps_of(m)
    infos = [map_info(sub) for sub in maps]
    if not infos[0].finished:
        for sub, info in zip(maps, infos, strict=True):
            box = info.layer_bounds
            if info.fit_to_layers and box is not None:
                pad_x = max((box[2] - box[0]) * 0.05, 0.002)
                pad_y = max((box[3] - box[1]) * 0.05, 0.002)
                sub.fit_bounds([[box[1] - pad_y, box[0] - pad_x], [box[3] + pad_y, box[2] + pad_x]])
            # a long list of layers would hide the legend: collapse it into the layers button
            many = len(info.layers) > COLLAPSE_LAYER_CONTROL_ABOVE
            collapsed = info.collapse_layers if info.collapse_layers is not None else many
            folium.LayerControl(collapsed=collapsed, position="topright").add_to(sub)
            info.finished = True
        Panels(maps).add_to(maps[-1])
    return m


def map_html(m: folium.Map) -> str:
    """Return the self-contained HTML of ``m`` (assets inlined; no CDN reference).

    Raises
    ------
    MapAssetsMissingError
        When the offline assets are not installed (run ``make setup``).
    """
    finish(m)
    html = stable_element_ids(m.get_root().render())
    return inline_assets(html)


# folium names every element ``<name>_<uuid4 hex>`` (map_…, feature_group_…, geo_json_…)
_ELEMENT_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


def stable_element_ids(html: str) -> str:
    """Renumber folium's random element ids in order of appearance.

    Two runs on the same data then give byte-identical HTML (reproducible batch outputs,
    reviewable diffs). Only 32-hex-digit ids that follow an underscore are renumbered, so
    checksums or codes in the data are left alone.

    Examples
    --------
    >>> stable_element_ids("map_" + "ab" * 16 + " feature_group_" + "cd" * 16 + " map_" + "ab" * 16)
    'map_00000000000000000000000000000001 feature_group_00000000000000000000000000000002 map_00000000000000000000000000000001'
    """
    seen: dict[str, str] = {}

    def number(m: re.Match[str]) -> str:
        return seen.setdefault(m.group(0), f"{len(seen) + 1:032x}")

    return _ELEMENT_ID.sub(number, html)


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
    atomic_write_text(out, html, overwrite=overwrite)
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
