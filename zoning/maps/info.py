"""Book-keeping shared by the map modules: map info, legends, labels of well-known fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import folium
import folium.plugins

from zoning.errors import ZoningError
from zoning.maps.basemaps import Basemap
from zoning.maps.simplify import DEFAULT_DETAIL_ZOOM

__all__ = [
    "FIELD_LABELS",
    "SHANXI_BOUNDS",
    "LegendBlock",
    "LegendEntry",
    "MapInfo",
    "map_info",
    "maps_of",
]

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
    #: fit the view to the layers at ``finish`` (when ``new_map`` got no bounds)
    fit_to_layers: bool = False
    #: start the layer control collapsed (True), expanded (False) or by the number of layers
    collapse_layers: bool | None = None

    @property
    def layer_bounds(self) -> tuple[float, float, float, float] | None:
        """Union of the lon/lat bounds of the layers drawn (``None`` when nothing was)."""
        boxes = [lay["bounds"] for lay in self.layers if lay.get("bounds") is not None]
        if not boxes:
            return None
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

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


def maps_of(obj: Any) -> list[folium.Map]:
    """Return the zoning maps of a single map or of a side-by-side pair."""
    if isinstance(obj, folium.plugins.DualMap):
        return [obj.m1, obj.m2]
    return [obj]
