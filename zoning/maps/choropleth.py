"""Classed choropleths of unit values on the offline maps (quantile classes, classed legend)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import folium
import numpy as np

from zoning.errors import ZoningError
from zoning.maps.info import FIELD_LABELS, LegendBlock, LegendEntry, map_info
from zoning.maps.layers import add_geojson, display_frame, feature_collection, frame_bounds
from zoning.maps.simplify import display_geometries

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = ["add_choropleth", "class_breaks", "palette"]


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
    frame = display_frame(m, units).copy()
    frame["_class"] = np.where(np.isfinite(values), cls, -1)
    value_label = f"{legend_title}"
    frame["value"] = [fmt.format(v) if np.isfinite(v) else "—" for v in values]
    if popup_fields is None:
        popup_fields = [c for c in ("name", "adcode") if c in frame.columns]
    fields = [*popup_fields, "value"]
    disp = display_geometries(
        frame.geometry.to_numpy(), zoom=info.detail_zoom, coverage=True, groups=None
    )
    data = feature_collection(frame, disp.geometries, [*fields, "_class"])

    def style_function(feature: dict[str, Any]) -> dict[str, Any]:
        k = feature["properties"]["_class"]
        fill = colors[k] if k >= 0 else "#d9d9d9"
        if outline:
            return {"color": fill, "weight": 3, "fillColor": fill, "fillOpacity": 0.0}
        return {"color": "#525252", "weight": 0.7, "fillColor": fill, "fillOpacity": 0.8}

    group = folium.FeatureGroup(name=name, show=show)
    labels = dict(FIELD_LABELS)
    labels["value"] = value_label
    add_geojson(
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
            "bounds": frame_bounds(frame),
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
