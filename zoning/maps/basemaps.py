"""Optional basemaps: OpenStreetMap, Tianditu (天地图) and AutoNavi/Gaode (高德).

No basemap is the default: the map then needs no network at all. Tianditu uses CGCS2000
(≈ WGS84, no offset) and needs a free key (``tk``) from the argument or ``$TIANDITU_KEY``;
it is never hard-coded. AutoNavi tiles are in GCJ-02, so layers drawn on them are shifted to
GCJ-02 *for display only* (see :func:`zoning.maps.builder.add_layer`); statistics never are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import folium

from zoning.errors import ZoningUsageError

__all__ = ["BASEMAPS", "Basemap", "add_basemap", "resolve_basemap"]


@dataclass(frozen=True)
class Basemap:
    """A tile basemap.

    Attributes
    ----------
    id : str
        ``"osm"``, ``"tianditu"`` or ``"gaode"``.
    label : str
        Bilingual layer name.
    display_crs : str
        ``"wgs84"`` (data drawn as stored) or ``"gcj02"`` (data shifted for display).
    """

    id: str
    label: str
    display_crs: str


BASEMAPS: dict[str, Basemap] = {
    "osm": Basemap("osm", "OpenStreetMap 底图 / basemap", "wgs84"),
    "tianditu": Basemap("tianditu", "天地图 矢量 / Tianditu vector", "wgs84"),
    "gaode": Basemap("gaode", "高德地图 / AutoNavi (GCJ-02)", "gcj02"),
}

_ALIASES = {"none": None, "": None, "amap": "gaode", "autonavi": "gaode", "openstreetmap": "osm"}


def resolve_basemap(basemap: str | None) -> Basemap | None:
    """Return the :class:`Basemap` named ``basemap`` (``None``/``"none"`` → no basemap).

    Raises
    ------
    ZoningUsageError
        For an unknown name.
    """
    if basemap is None:
        return None
    key = basemap.strip().lower()
    key = _ALIASES.get(key, key)  # type: ignore[assignment]
    if key is None:
        return None
    try:
        return BASEMAPS[key]
    except KeyError:
        raise ZoningUsageError(
            f"unknown basemap {basemap!r}; expected one of none, {', '.join(BASEMAPS)}"
        ) from None


def _tianditu_key(key: str | None) -> str:
    key = key or os.environ.get("TIANDITU_KEY", "")
    if not key.strip():
        raise ZoningUsageError(
            "the Tianditu basemap needs a key (tk) and none was given; pass "
            "--tianditu-key KEY (tianditu_key=...) or set the environment variable "
            "TIANDITU_KEY (free keys from https://console.tianditu.gov.cn/)"
        )
    return key.strip()


def add_basemap(m: folium.Map, basemap: Basemap, *, tianditu_key: str | None = None) -> None:
    """Add the tile layer(s) of ``basemap`` to ``m`` (base layers in the layer control)."""
    if basemap.id == "osm":
        folium.TileLayer(
            tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            attr="&copy; OpenStreetMap contributors",
            name=basemap.label,
            max_zoom=19,
        ).add_to(m)
    elif basemap.id == "tianditu":
        tk = _tianditu_key(tianditu_key)
        for layer, label, overlay in (
            ("vec", basemap.label, False),
            ("cva", "天地图 注记 / labels", True),
        ):
            folium.TileLayer(
                tiles=(
                    "https://t{s}.tianditu.gov.cn/" + layer + "_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                    "&VERSION=1.0.0&LAYER=" + layer + "&STYLE=default&TILEMATRIXSET=w"
                    "&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + tk
                ),
                attr="&copy; 天地图 Tianditu",
                name=label,
                subdomains="01234567",
                max_zoom=18,
                overlay=overlay,
            ).add_to(m)
    elif basemap.id == "gaode":
        folium.TileLayer(
            tiles=(
                "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                "&style=8&x={x}&y={y}&z={z}"
            ),
            attr="&copy; 高德地图 AutoNavi (GCJ-02; zoning data shifted for display)",
            name=basemap.label,
            subdomains="1234",
            max_zoom=18,
        ).add_to(m)
    else:  # pragma: no cover - BASEMAPS is closed
        raise ZoningUsageError(f"unknown basemap {basemap.id!r}")
