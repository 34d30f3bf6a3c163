"""Ready-made maps for each zoning product: catalogue, screening, statistics, restoration, vintages.

All of them are built with :mod:`zoning.maps.builder` and return a ``folium.Map`` to save with
:func:`zoning.maps.save_map` (or embed with :func:`zoning.maps.map_html`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from zoning.errors import ZoningError, ZoningUsageError
from zoning.labels import VERDICT_LABELS
from zoning.maps.builder import new_dual_map, new_map
from zoning.maps.choropleth import add_choropleth
from zoning.maps.info import LegendBlock, LegendEntry, map_info
from zoning.maps.layers import add_layer
from zoning.maps.raster import add_raster
from zoning.maps.style import VERDICT_COLORS, kind_label, zone_label

if TYPE_CHECKING:  # pragma: no cover
    import folium
    import folium.plugins
    import geopandas as gpd

__all__ = [
    "CATALOG_DRAW_ORDER",
    "HIDDEN_BY_DEFAULT",
    "catalog_map",
    "choropleth_map",
    "compare_map",
    "restoration_map",
    "share_map",
    "site_map",
]

#: Drawing order of a catalogue map: area-wide layers at the bottom, small strict zones and
#: the administrative outlines on top (so they stay visible and clickable).
CATALOG_DRAW_ORDER: tuple[str, ...] = (
    "control_unit",
    "no_farming_zone",
    "basic_farmland",
    "urban_boundary",
    "groundwater_recharge",
    "spring_area",
    "subsidence",
    "protected_area",
    "eco_redline",
    "water_source",
    "industrial_park",
    "contaminated_land",
    "river",
    "sensitive_receptor",
    "admin_unit",
)

#: Layers that cover most of the province: listed in the layer control but off at start.
HIDDEN_BY_DEFAULT = frozenset(
    {"control_unit", "basic_farmland", "urban_boundary", "no_farming_zone"}
)


def _bounds_of(frames: Iterable[gpd.GeoDataFrame], pad: float = 0.02) -> tuple[float, ...] | None:
    boxes = []
    for f in frames:
        if f is None or len(f) == 0 or f.crs is None:
            continue
        g = f if f.crs.is_geographic else f.to_crs(4490)
        boxes.append(g.total_bounds)
    if not boxes:
        return None
    arr = np.vstack(boxes)
    minx, miny = arr[:, 0].min(), arr[:, 1].min()
    maxx, maxy = arr[:, 2].max(), arr[:, 3].max()
    dx = max((maxx - minx) * pad, 0.005)
    dy = max((maxy - miny) * pad, 0.005)
    return (minx - dx, miny - dy, maxx + dx, maxy + dy)


def parse_kinds(text: str | Sequence[str] | None, available: Sequence[str]) -> list[str]:
    """Parse ``"eco_redline,water_source"`` into kinds present in ``available``.

    Raises
    ------
    ZoningUsageError
        For a kind that is not in the catalogue.
    """
    if text is None:
        return list(available)
    items = text.split(",") if isinstance(text, str) else list(text)
    kinds = [k.strip() for k in items if k.strip()]
    unknown = [k for k in kinds if k not in available]
    if unknown:
        raise ZoningUsageError(
            f"layer kind(s) {', '.join(unknown)} not in the catalogue; expected some of "
            f"{', '.join(available)}"
        )
    return kinds


def catalog_map(
    catalog: Any,
    *,
    kinds: Sequence[str] | None = None,
    basemap: str | None = None,
    tianditu_key: str | None = None,
    title: str | None = None,
    detail_zoom: int | None = 12,
) -> folium.Map:
    """Map the layers of a catalogue (``Catalog.frame(kind)`` for each kind).

    Parameters
    ----------
    catalog : zoning.catalog.Catalog
        Anything with ``.kinds`` and ``.frame(kind)``.
    kinds : sequence of str, optional
        Kinds to draw (default: all present).
    basemap, tianditu_key, detail_zoom :
        See :func:`zoning.maps.new_map`.
    title : str, optional
        Map title (default: the catalogue's name when it has one).

    Returns
    -------
    folium.Map
    """
    available = list(catalog.kinds)
    wanted = parse_kinds(list(kinds) if kinds is not None else None, available)
    order = [k for k in CATALOG_DRAW_ORDER if k in wanted] + [
        k for k in wanted if k not in CATALOG_DRAW_ORDER
    ]
    frames = {k: catalog.frame(k) for k in order}
    coverage = getattr(catalog, "coverage", None)
    bounds: tuple[float, ...] | None
    if coverage is not None and not coverage.is_empty:
        bounds = tuple(coverage.bounds)
    else:
        bounds = _bounds_of(frames.values())
    name = title or getattr(catalog, "name", None) or "区划图层 / Zoning layers"
    m = new_map(
        bounds=bounds,
        title=str(name),
        basemap=basemap,
        tianditu_key=tianditu_key,
        detail_zoom=detail_zoom,
    )
    for kind in order:
        frame = frames[kind]
        if len(frame) == 0:
            continue
        add_layer(m, frame, kind=kind, show=kind not in HIDDEN_BY_DEFAULT or len(order) == 1)
    return m


def site_map(
    sites: gpd.GeoDataFrame,
    hits: gpd.GeoDataFrame | None = None,
    *,
    context: Mapping[str, gpd.GeoDataFrame] | None = None,
    title: str | None = None,
    basemap: str | None = None,
    tianditu_key: str | None = None,
) -> folium.Map:
    """Map screened sites coloured by verdict, the zone features they hit, and context layers.

    Parameters
    ----------
    sites : GeoDataFrame
        One row per site (points, lines or polygons) with ``site_id`` and, when screened,
        ``verdict`` (``prohibited``/``conditional``/``needs_info``/``allowed``).
    hits : GeoDataFrame, optional
        Zone features hit, with the zone geometry and the columns ``layer_kind``, ``zone``,
        ``feature_id``, ``name``, ``site_id``, ``outcome``, ``rule_id``, ``citation`` (those
        present are shown in the popup).
    context : mapping kind → GeoDataFrame, optional
        Extra catalogue layers drawn underneath, off at start.
    title, basemap, tianditu_key :
        See :func:`zoning.maps.new_map`.

    Returns
    -------
    folium.Map
    """
    if len(sites) == 0:
        raise ZoningError("site_map got no sites; expected at least one screened site")
    frames = [sites] + ([hits] if hits is not None and len(hits) else [])
    m = new_map(
        bounds=_bounds_of(frames, pad=0.15),
        title=title or "选址筛查 / Site screening",
        basemap=basemap,
        tianditu_key=tianditu_key,
        detail_zoom=16,
    )
    # the layer control starts as a button: expanded it would cover the sites it lists
    map_info(m).collapse_layers = True
    for kind, frame in (context or {}).items():
        if len(frame):  # county outlines stay on for orientation; other context starts off
            add_layer(m, frame, kind=kind, show=kind == "admin_unit")
    if hits is not None and len(hits):
        kind_col = "layer_kind" if "layer_kind" in hits.columns else "kind"
        for kind, group in hits.groupby(kind_col, sort=False):
            fields = [c for c in ("site_id", "name") if c in group.columns]
            if "zone" in group.columns:
                fields.append("zone_label")
            fields += [
                c
                for c in ("feature_id", "outcome", "rule_id", "citation", "distance_m")
                if c in group.columns
            ]
            add_layer(
                m,
                group.drop(columns=[c for c in ("kind",) if c in group.columns]),
                kind=str(kind),
                name=f"命中 {kind_label(str(kind))} / hits",
                popup_fields=fields,
            )
    verdicts = sites["verdict"].astype(str) if "verdict" in sites.columns else None
    frame = sites.copy()
    if verdicts is not None:
        frame["verdict_label"] = verdicts.map(lambda v: VERDICT_LABELS.get(v, v))
    popup = [c for c in ("site_id", "name", "verdict_label") if c in frame.columns]
    tooltip = [c for c in ("site_id",) if c in frame.columns] or popup[:1]

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        v = feature["properties"].get("verdict", "")
        color = VERDICT_COLORS.get(v, "#2b2b2b")
        return {"color": color, "fillColor": color, "weight": 3, "fillOpacity": 0.6}

    if verdicts is not None:
        popup_plus = [*popup, "verdict"]
    else:
        popup_plus = popup
    group = add_layer(
        m,
        frame,
        name="项目选址 / Sites",
        popup_fields=popup_plus,
        tooltip_fields=tooltip,
        style=style,
        zone_column="__none__",
    )
    info = map_info(m)
    present = list(dict.fromkeys(verdicts)) if verdicts is not None else []
    entries = [
        LegendEntry(label=VERDICT_LABELS[v], color=VERDICT_COLORS[v])
        for v in VERDICT_COLORS
        if v in present
    ] or [LegendEntry(label="项目选址 / Site", color="#2b2b2b")]
    info.legends.append(LegendBlock("项目选址 / Sites", entries, group.get_name()))
    return m


def choropleth_map(
    units: gpd.GeoDataFrame,
    column: str,
    *,
    name: str,
    legend_title: str,
    classes: int = 5,
    title: str | None = None,
    basemap: str | None = None,
    tianditu_key: str | None = None,
    **kwargs: Any,
) -> folium.Map:
    """Map a statistic by unit (e.g. red-line share by county) with a classed legend.

    Extra keyword arguments go to :func:`zoning.maps.add_choropleth`.
    """
    m = new_map(
        bounds=_bounds_of([units]),
        title=title or legend_title,
        basemap=basemap,
        tianditu_key=tianditu_key,
    )
    add_choropleth(
        m, units, column, name=name, legend_title=legend_title, classes=classes, **kwargs
    )
    return m


def share_map(
    stats: Any,
    units: gpd.GeoDataFrame,
    *,
    layer_kind: str,
    zone: str = "all",
    unit_id: str = "unit_id",
    units_key: str | None = None,
    classes: int = 5,
    title: str | None = None,
    basemap: str | None = None,
    tianditu_key: str | None = None,
) -> folium.Map:
    """Map a layer's share of each unit from a statistics table (``zoning stats`` output).

    Parameters
    ----------
    stats : DataFrame
        Rows with ``unit_id``, ``layer_kind``, ``zone``, ``share_pct`` (and ``area_km2``).
    units : GeoDataFrame
        Unit polygons (e.g. the counties of the catalogue's ``admin_unit`` layer).
    layer_kind : str
        Layer kind to map, e.g. ``"eco_redline"``.
    zone : str
        Zone row to map (``"all"``: the whole layer).
    unit_id : str
        Column of ``stats`` naming the unit.
    units_key : str, optional
        Column of ``units`` matching ``unit_id`` (default ``adcode``, else ``feature_id``).
    classes : int
        Number of quantile classes.
    title, basemap, tianditu_key :
        See :func:`zoning.maps.new_map`.

    Returns
    -------
    folium.Map
        Units without a statistics row are drawn grey ("no data"), never as 0 %.
    """
    missing = [c for c in (unit_id, "layer_kind", "zone", "share_pct") if c not in stats.columns]
    if missing:
        raise ZoningError(
            f"statistics table lacks the column(s) {missing}; expected the `zoning stats` "
            "columns unit_id, layer_kind, zone, area_km2, unit_area_km2, share_pct"
        )
    if units_key is None:
        units_key = next((c for c in ("adcode", "feature_id") if c in units.columns), None)
    if units_key is None or units_key not in units.columns:
        raise ZoningError(
            f"units have no key column {units_key!r} to join the statistics on; pass "
            f"units_key= one of {[c for c in units.columns if c != units.geometry.name]}"
        )
    rows = stats[(stats["layer_kind"] == layer_kind) & (stats["zone"] == zone)]
    keep = [c for c in (unit_id, "share_pct", "area_km2") if c in rows.columns]
    rows = rows[keep].assign(_key=rows[unit_id].astype(str)).drop(columns=unit_id)
    frame = units.assign(_key=units[units_key].astype(str)).merge(rows, on="_key", how="left")
    frame = frame.drop(columns="_key")
    kind_name = kind_label(layer_kind)
    zh, _, en = kind_name.partition(" / ")
    zone_part = "" if zone == "all" else f" [{zone_label(layer_kind, zone)}]"
    legend = f"{zh}占比 (%) / {en or zh} share (%){zone_part}"
    popup = [c for c in ("name", "adcode", "area_km2") if c in frame.columns]
    return choropleth_map(
        frame,
        "share_pct",
        name=f"{kind_name} 占比 / share",
        legend_title=legend,
        classes=classes,
        title=title or legend,
        basemap=basemap,
        tianditu_key=tianditu_key,
        popup_fields=popup,
    )


def restoration_map(
    array: np.ndarray,
    bounds: Sequence[float] | None = None,
    *,
    transform: Any = None,
    crs: Any = None,
    units: gpd.GeoDataFrame | None = None,
    score_column: str = "score",
    nodata: float | None = None,
    title: str | None = None,
    basemap: str | None = None,
    tianditu_key: str | None = None,
    classes: int = 5,
) -> folium.Map:
    """Map the restoration priority raster and, optionally, the scored units on top.

    Parameters
    ----------
    array : 2-D array
        Priority values, first row north.
    bounds : (minx, miny, maxx, maxy), optional
        Extent of a lon/lat grid.
    transform, crs : optional
        Grid transform and CRS of a projected raster (as written to the GeoTIFF); it is
        reprojected to lon/lat for display.
    units : GeoDataFrame, optional
        Scored restoration units with ``score_column`` (classed choropleth, popups).
    score_column : str
        Column of ``units`` to classify.
    nodata : float, optional
        Raster value drawn transparent.
    title, basemap, tianditu_key :
        See :func:`zoning.maps.new_map`.
    classes : int
        Classes of the unit choropleth.
    """
    if bounds is None and transform is not None and crs is not None:
        from rasterio.transform import array_bounds
        from rasterio.warp import transform_bounds

        rows, cols = np.shape(array)
        view = transform_bounds(crs, "EPSG:4326", *array_bounds(rows, cols, transform))
    else:
        view = tuple(bounds) if bounds is not None else None
    m = new_map(
        bounds=view,
        title=title or "生态修复优先级 / Restoration priority",
        basemap=basemap,
        tianditu_key=tianditu_key,
    )
    add_raster(
        m,
        array,
        bounds,
        name="修复优先级栅格 / Priority raster",
        cmap="YlOrRd",
        nodata=nodata,
        transform=transform,
        crs=crs,
        legend_title="修复优先度得分（0–1，越高越优先）/ Restoration priority score (0–1, higher first)",
    )
    if units is not None and len(units):
        popup = [c for c in ("name", "unit_id", "rank") if c in units.columns]
        add_choropleth(
            m,
            units,
            score_column,
            name="修复单元 / Restoration units",
            legend_title="单元修复优先度得分（0–1）/ Unit restoration priority score (0–1)",
            classes=classes,
            cmap="Purples",
            fmt="{:.2f}",
            popup_fields=popup,
            outline=True,
        )
    return m


def compare_map(
    left: gpd.GeoDataFrame,
    right: gpd.GeoDataFrame,
    *,
    kind: str | None = None,
    left_name: str = "旧版 / Before",
    right_name: str = "新版 / After",
    side_by_side: bool = False,
    title: str | None = None,
    basemap: str | None = None,
    tianditu_key: str | None = None,
) -> folium.Map | folium.plugins.DualMap:
    """Compare two vintages of a layer, with what was added and removed.

    Two views: one map with both vintages as toggleable layers (the default), or with
    ``side_by_side=True`` two synchronised maps, the earlier vintage left and the later right.
    The "added" and "removed" areas are computed in lon/lat, for display only (areas of change
    belong to ``zoning diff``, measured in an equal-area CRS).

    Parameters
    ----------
    left, right : GeoDataFrame
        The earlier and the later vintage.
    kind : str, optional
        Layer kind (cartography of the right-hand layer; default the ``kind`` column).
    left_name, right_name : str
        Layer names (and map labels side by side).
    side_by_side : bool
        Two synchronised maps instead of one (save it with :func:`zoning.maps.save_map`).
    title, basemap, tianditu_key :
        See :func:`zoning.maps.new_map`.

    Returns
    -------
    folium.Map or folium.plugins.DualMap
    """
    if kind is None:
        for frame in (right, left):
            if "kind" in frame.columns and frame["kind"].nunique() == 1:
                kind = str(frame["kind"].iloc[0])
                break
    bounds = _bounds_of([left, right])
    title = title or f"{kind_label(kind) if kind else '图层 / Layer'}：{left_name} ↔ {right_name}"
    added, removed = _changes(left, right)
    if side_by_side:
        dual = new_dual_map(
            labels=(left_name, right_name),
            bounds=bounds,
            title=title,
            basemap=basemap,
            tianditu_key=tianditu_key,
        )
        add_layer(dual.m1, left, kind=kind, name=left_name)
        add_layer(dual.m2, right, kind=kind, name=right_name)
        _add_change(dual.m1, removed, "移除 / Removed", "#7b3294")
        _add_change(dual.m2, added, "新增 / Added", "#1a9850")
        return dual
    m = new_map(bounds=bounds, title=title, basemap=basemap, tianditu_key=tianditu_key)
    add_layer(
        m,
        left,
        kind=kind,
        name=left_name,
        style={
            "color": "#525252",
            "fillColor": "#bdbdbd",
            "weight": 1.5,
            "fillOpacity": 0.35,
            "dashArray": "5 4",
        },
    )
    add_layer(m, right, kind=kind, name=right_name)
    _add_change(m, added, "新增 / Added", "#1a9850")
    _add_change(m, removed, "移除 / Removed", "#7b3294")
    return m


def _changes(
    left: gpd.GeoDataFrame, right: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Polygons in ``right`` only (added) and in ``left`` only (removed), EPSG:4490."""
    import geopandas as gpd
    import shapely

    def union(frame: gpd.GeoDataFrame) -> shapely.Geometry:
        if len(frame) == 0:
            return shapely.Polygon()
        geoms = frame.to_crs(4490).geometry.to_numpy() if frame.crs else frame.geometry.to_numpy()
        return shapely.union_all(geoms)

    lu, ru = union(left), union(right)
    out = []
    for geom in (shapely.difference(ru, lu), shapely.difference(lu, ru)):
        parts = [g for g in shapely.get_parts(geom) if not g.is_empty and g.area > 0]
        out.append(gpd.GeoDataFrame(geometry=parts, crs=4490))
    return out[0], out[1]


def _add_change(m: folium.Map, change: gpd.GeoDataFrame, label: str, color: str) -> None:
    if len(change):
        add_layer(
            m,
            change.assign(change=label),
            name=label,
            popup_fields=["change"],
            tooltip_fields=["change"],
            style={"color": color, "fillColor": color, "weight": 2, "fillOpacity": 0.6},
            zone_column="__none__",
        )
