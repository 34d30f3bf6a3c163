"""QGIS layer styles stored inside GeoPackages, so a layer opens in the HTML maps' colours.

QGIS reads a table ``layer_styles`` in a GeoPackage and applies the row marked
``useAsDefault`` when the layer is added (the same table QGIS writes with "Save style … in
database"). Each row holds a QML document: here a *categorized* renderer (one class per value,
e.g. the strictest designation ``eco_redline:core``) or a *graduated* one (value ranges, e.g.
the red-line share of a county). Colours and bilingual labels come from
:mod:`zoning.maps.style` and the choropleth ramp, so the GeoPackage, the HTML map and the
report show the same legend.

Examples
--------
>>> qml = categorized_qml("zone", [("core", "核心区 / Core", "#d7191c", 0.6)])
>>> "categorizedSymbol" in qml and 'value="core"' in qml
True
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

__all__ = [
    "STYLE_TIME",
    "LayerStyleRow",
    "categorized_qml",
    "designation_style",
    "graduated_qml",
    "read_layer_styles",
    "share_style",
    "write_layer_styles",
]

#: ``update_time`` of every style row: fixed, so reruns give byte-identical GeoPackages.
STYLE_TIME = "2000-01-01T00:00:00.000Z"

_CREATE = """
CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  f_table_catalog TEXT(256),
  f_table_schema TEXT(256),
  f_table_name TEXT(256),
  f_geometry_column TEXT(256),
  styleName TEXT(30),
  styleQML TEXT,
  styleSLD TEXT,
  useAsDefault BOOLEAN,
  description TEXT,
  owner TEXT(30),
  ui TEXT(30),
  update_time DATETIME
)
"""


@dataclass(frozen=True)
class LayerStyleRow:
    """One style of one GeoPackage layer (a row of ``layer_styles``)."""

    table: str
    name: str
    qml: str
    description: str = ""


def _rgba(hex_color: str, opacity: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(255 * opacity)}"


def _fill_symbol(index: int, fill: str, opacity: float, outline: str = "#525252") -> str:
    return (
        f'<symbol type="fill" name="{index}" alpha="1" clip_to_extent="1" force_rhr="0">'
        '<layer class="SimpleFill" enabled="1" pass="0" locked="0"><Option type="Map">'
        f'<Option name="color" type="QString" value="{_rgba(fill, opacity)}"/>'
        f'<Option name="outline_color" type="QString" value="{_rgba(outline, 1.0)}"/>'
        '<Option name="outline_width" type="QString" value="0.26"/>'
        '<Option name="outline_width_unit" type="QString" value="MM"/>'
        '<Option name="style" type="QString" value="solid"/>'
        '<Option name="outline_style" type="QString" value="solid"/>'
        "</Option></layer></symbol>"
    )


def _document(renderer: str) -> str:
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.28.0" styleCategories="Symbology">'
        f"{renderer}<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode>"
        "<layerGeometryType>2</layerGeometryType></qgis>\n"
    )


def categorized_qml(
    attribute: str,
    categories: Sequence[tuple[object, str, str, float]],
    *,
    outline: str = "#525252",
) -> str:
    """QML of a categorized fill renderer.

    Parameters
    ----------
    attribute : str
        The field whose values pick the class.
    categories : sequence of (value, label, fill colour ``#rrggbb``, fill opacity)
        One class per value, drawn in this order.
    outline : str
        Outline colour of every class.
    """
    cats = "".join(
        f'<category value={quoteattr(str(v))} symbol="{i}" label={quoteattr(label)} render="true"/>'
        for i, (v, label, _, _) in enumerate(categories)
    )
    symbols = "".join(
        _fill_symbol(i, fill, opacity, outline)
        for i, (_, _, fill, opacity) in enumerate(categories)
    )
    renderer = (
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attribute)} forceraster="0" '
        'symbollevels="0" enableorderby="0">'
        f"<categories>{cats}</categories><symbols>{symbols}</symbols></renderer-v2>"
    )
    return _document(renderer)


def graduated_qml(
    attribute: str,
    edges: Sequence[float] | np.ndarray,
    colors: Sequence[str],
    *,
    title: str,
    fmt: str = "{:.1f}",
    opacity: float = 0.8,
) -> str:
    """QML of a graduated fill renderer: ``len(edges) - 1`` ranges coloured ``colors``.

    Each range's label is ``"<title>: a – b"`` so the legend says what the numbers are.
    """
    edges = [float(e) for e in edges]
    if len(colors) != len(edges) - 1:
        raise ValueError(f"{len(edges) - 1} ranges need as many colours, got {len(colors)}")
    ranges = "".join(
        f'<range lower="{lo!r}" upper="{hi!r}" symbol="{i}" '
        f'label={quoteattr(f"{title}: {fmt.format(lo)} – {fmt.format(hi)}")} render="true"/>'
        for i, (lo, hi) in enumerate(itertools.pairwise(edges))
    )
    symbols = "".join(_fill_symbol(i, c, opacity) for i, c in enumerate(colors))
    renderer = (
        f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(attribute)} '
        'graduatedMethod="GraduatedColor" forceraster="0" symbollevels="0" enableorderby="0">'
        f"<ranges>{ranges}</ranges><symbols>{symbols}</symbols></renderer-v2>"
    )
    return _document(renderer)


def designation_style(table: str, designations: Sequence[str]) -> LayerStyleRow:
    """Style of a strictest-designation layer: one class per ``kind:zone``, map colours."""
    from zoning.maps.style import kind_label, style_for, zone_label

    cats = []
    for d in designations:
        kind, _, zone = str(d).partition(":")
        style = style_for(kind, zone or None)
        label = kind_label(kind) if zone in ("", "all") else f"{kind_label(kind)} — "
        if zone not in ("", "all"):
            label += zone_label(kind, zone)
        cats.append((d, label, style.fill_color, max(style.fill_opacity, 0.5)))
    return LayerStyleRow(
        table,
        "zoning designation",
        categorized_qml("designation", cats),
        "最严格管控分区 / strictest designation (zoning)",
    )


def share_style(
    table: str, attribute: str, values: np.ndarray, *, title: str, classes: int = 5
) -> LayerStyleRow:
    """Style of a unit layer classed by a share: the HTML choropleth's classes and colours."""
    from zoning.maps.choropleth import class_breaks, palette

    edges = class_breaks(np.asarray(values, dtype=float), classes)
    if edges[0] == edges[-1]:
        edges = np.array([edges[0], edges[0] + 1.0])
    colors = palette("YlOrRd", len(edges) - 1)
    return LayerStyleRow(
        table, f"zoning {attribute}", graduated_qml(attribute, edges, colors, title=title), title
    )


def write_layer_styles(path: str | Path, rows: Sequence[LayerStyleRow]) -> None:
    """Store ``rows`` in the GeoPackage's ``layer_styles`` table, each as its layer's default.

    Existing styles of the same layers are replaced. The table is registered in
    ``gpkg_contents`` as an attributes table, as QGIS does.
    """
    con = sqlite3.connect(str(path))
    try:
        with con:
            geom_cols: Mapping[str, str] = dict(
                con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")
            )
            con.execute(_CREATE)
            con.execute(
                "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', ?)",
                (STYLE_TIME,),
            )
            for row in rows:
                if row.table not in geom_cols:
                    raise ValueError(f"no layer {row.table!r} in {path}")
                con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (row.table,))
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
                    "description, owner, ui, update_time) "
                    "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '', ?)",
                    (
                        row.table,
                        geom_cols[row.table],
                        row.name,
                        row.qml,
                        row.description,
                        STYLE_TIME,
                    ),
                )
    finally:
        con.close()


def read_layer_styles(path: str | Path) -> dict[str, str]:
    """Return ``{layer: QML}`` of the default styles stored in a GeoPackage."""
    con = sqlite3.connect(str(path))
    try:
        return dict(
            con.execute(
                "SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault = 1 ORDER BY id"
            )
        )
    finally:
        con.close()
