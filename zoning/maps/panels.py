"""Title, legend and disclaimer panels of zoning maps (rendered at save time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from zoning.labels import DISCLAIMER_ZH_FIRST
from zoning.maps.info import map_info

__all__ = ["Panels"]

_PANEL = Template(
    """
<style>
.zoning-panel{position:fixed;z-index:1000;background:rgba(255,255,255,.92);padding:6px 9px;
 border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.35);color:#222;
 font:12px/1.35 "Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",sans-serif}
.zoning-title{top:10px;left:56px;max-width:calc(50vw - 76px);font-size:15px;font-weight:600}
.leaflet-control-layers-expanded{max-width:calc(50vw - 30px);max-height:70vh;overflow:auto}
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


class Panels(MacroElement):
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

    # branca's MacroElement.render (untyped) returns None; Element.render's `-> str` is for
    # plain elements
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Add the title, legends, disclaimer and notes panel to the page, then render."""
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
        html = _PANEL.render(
            title=title, legends=legends, disclaimer=DISCLAIMER_ZH_FIRST, notes=notes
        )
        figure = cast(Figure, self.get_root())  # a map's root is its Figure
        figure.html.add_child(Element(html), name="zoning_panels")
        super().render(**kwargs)
