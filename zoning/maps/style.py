"""Cartography per layer kind and zone: the colours users recognise, bilingual labels.

Red lines are red, level-1 water-source zones dark blue fading to light blue for the outer
zones, protected-area cores dark green, subsidence browns, administrative units outlines only.
Colours of the kinds come from ``layers/kinds.toml``; zone shades are declared here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoning.kinds import Kind

__all__ = [
    "VERDICT_COLORS",
    "ZONE_COLORS",
    "LayerStyle",
    "kind_label",
    "style_for",
    "zone_label",
    "zone_order",
]

#: Screening verdict colours (strictest darkest red), in the legends' order.
VERDICT_COLORS: Mapping[str, str] = {
    "prohibited": "#b2182b",
    "conditional": "#ef8a62",
    "needs_info": "#878787",
    "allowed": "#1a9850",
}

#: Fill colours per kind and canonical zone (strongest protection darkest).
ZONE_COLORS: Mapping[str, Mapping[str, str]] = {
    "eco_redline": {"core": "#a50f15", "general": "#d7191c"},
    "protected_area": {
        "core": "#00441b",
        "buffer": "#238b45",
        "experimental": "#74c476",
        "general": "#41ab5d",
        "unzoned": "#1a9641",
    },
    "water_source": {"level1": "#08306b", "level2": "#2171b5", "quasi": "#9ecae1"},
    "subsidence": {
        "unstable": "#8c510a",
        "stabilising": "#bf812d",
        "stable": "#dfc27d",
        "unknown": "#a6761d",
    },
    "control_unit": {"priority": "#1a9641", "key": "#e66101", "general": "#bababa"},
    "basic_farmland": {"all": "#f4d03f"},
    "urban_boundary": {"all": "#636363"},
    "spring_area": {"key": "#045a8d", "protection": "#7fcdbb"},
    "river": {"yellow_main": "#08519c", "seven_rivers": "#3182bd", "other": "#6baed6"},
    "admin_unit": {"province": "#000000", "city": "#252525", "county": "#737373"},
    "industrial_park": {"chemical_park": "#ce1256", "industrial_park": "#e7298a"},
    "sensitive_receptor": {
        "residential": "#ff7f00",
        "school": "#e6550d",
        "hospital": "#d94801",
        "elderly_care": "#fd8d3c",
        "other": "#fdae6b",
    },
    "no_farming_zone": {"prohibited": "#b8860b", "restricted": "#dfc27d", "permitted": "#f6e8c3"},
    "contaminated_land": {
        "contaminated": "#543005",
        "suspected": "#8c510a",
        "remediated": "#bf812d",
    },
    "groundwater_recharge": {
        "source_recharge": "#1d91c0",
        "karst_recharge": "#41b6c4",
        "recharge": "#7fcdbb",
    },
}

_LINE_WEIGHTS: Mapping[str, Mapping[str, float]] = {
    "river": {"yellow_main": 3.5, "seven_rivers": 2.5, "other": 1.2},
    "admin_unit": {"province": 3.0, "city": 2.0, "county": 0.8},
}

_FILL_OPACITY: Mapping[str, float] = {
    "eco_redline": 0.45,
    "protected_area": 0.4,
    "water_source": 0.55,
    "subsidence": 0.45,
    "control_unit": 0.35,
    "basic_farmland": 0.45,
    "urban_boundary": 0.3,
    "spring_area": 0.3,
    "industrial_park": 0.4,
    "sensitive_receptor": 0.6,
    "no_farming_zone": 0.25,
    "contaminated_land": 0.6,
    "groundwater_recharge": 0.25,
}

_OUTLINE_ONLY = frozenset({"admin_unit"})


@dataclass(frozen=True)
class LayerStyle:
    """Leaflet path style of one zone (the keys folium's ``style_function`` returns)."""

    color: str
    fill_color: str
    weight: float = 1.0
    fill_opacity: float = 0.4
    opacity: float = 0.9
    fill: bool = True
    dash_array: str | None = None

    def to_leaflet(self) -> dict[str, object]:
        """Return the style as a Leaflet path-options dictionary."""
        out: dict[str, object] = {
            "color": self.color,
            "fillColor": self.fill_color,
            "weight": self.weight,
            "fillOpacity": self.fill_opacity if self.fill else 0.0,
            "opacity": self.opacity,
            "fill": self.fill,
        }
        if self.dash_array:
            out["dashArray"] = self.dash_array
        return out


def _kind(kind_id: str) -> Kind:
    from zoning.kinds import get_kind

    return get_kind(kind_id)


def style_for(kind_id: str | None, zone: str | None = None) -> LayerStyle:
    """Return the style of ``zone`` of layer kind ``kind_id``.

    Unknown kinds or zones fall back to the kind's colour, then to a neutral grey.

    Examples
    --------
    >>> style_for("eco_redline", "general").fill_color
    '#d7191c'
    >>> style_for("water_source", "level1").fill_color
    '#08306b'
    >>> style_for("admin_unit", "county").fill
    False
    """
    if kind_id is None:
        return LayerStyle(color="#3388ff", fill_color="#3388ff")
    try:
        base = _kind(kind_id).color
    except KeyError:
        base = "#3388ff"
    fill = ZONE_COLORS.get(kind_id, {}).get(zone or "", base)
    weight = _LINE_WEIGHTS.get(kind_id, {}).get(zone or "", 1.0)
    style = LayerStyle(
        color=fill,
        fill_color=fill,
        weight=weight,
        fill_opacity=_FILL_OPACITY.get(kind_id, 0.4),
    )
    if kind_id in _OUTLINE_ONLY:
        style = replace(style, fill=False)
    if kind_id == "urban_boundary":
        style = replace(style, dash_array="6 4", weight=2.0)
    return style


def kind_label(kind_id: str) -> str:
    """Return the bilingual label of a layer kind, e.g. ``"生态保护红线 / Ecological …"``.

    Examples
    --------
    >>> kind_label("eco_redline")
    '生态保护红线 / Ecological protection red line'
    """
    try:
        kind = _kind(kind_id)
    except KeyError:
        return kind_id
    return f"{kind.name_zh} / {kind.name_en}"


def zone_label(kind_id: str | None, zone: str | None) -> str:
    """Return the bilingual label of a zone, e.g. ``"一级保护区 / Level-1 protection zone"``.

    Examples
    --------
    >>> zone_label("water_source", "level1")
    '一级保护区 / Level-1 protection zone'
    """
    if kind_id is None or zone is None:
        return "" if zone is None else str(zone)
    try:
        z = _kind(kind_id).zones.get(zone)
    except KeyError:
        z = None
    return f"{z.name_zh} / {z.name_en}" if z is not None else str(zone)


def zone_order(kind_id: str) -> tuple[str, ...]:
    """Return the zone ids of a kind in drawing order: outer / weaker zones first.

    Nested zones (level-1 inside level-2 inside the quasi zone) are drawn last so they stay
    visible and clickable on top.

    Examples
    --------
    >>> zone_order("water_source")
    ('quasi', 'level2', 'level1')
    """
    try:
        kind = _kind(kind_id)
    except KeyError:
        return ()
    if kind.nesting:
        return tuple(reversed(kind.nesting))
    return tuple(reversed(kind.zone_ids))
