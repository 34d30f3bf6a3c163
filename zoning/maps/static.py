"""Static map images for print and Word: the same colours and labels as the web maps.

A live Leaflet map does not survive printing (tiles and canvases are not laid out for paper,
and its scale bar shows whatever zoom the iframe had) and cannot go into a Word document. These
functions draw the same content with matplotlib into a PNG: zones coloured as in
:mod:`zoning.maps.style`, a legend with bilingual labels, a scale bar measured in a projected
CRS (the sites' local CGCS2000 Gauss–Krüger zone, or Albers equal-area for a province), a north
arrow and the disclaimer. Chinese labels need a CJK font (``fonts-wqy-microhei`` or Noto CJK,
installed by ``make browser``); without one matplotlib draws boxes and says so.

Output is deterministic (no timestamp in the PNG), so reports that embed it rerun
byte-identical.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np

from zoning.labels import DISCLAIMER_ZH_FIRST, VERDICT_LABELS
from zoning.maps.style import VERDICT_COLORS

__all__ = ["choropleth_png", "nice_scale_length", "site_map_png"]

_CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei"]


def nice_scale_length(width_m: float) -> float:
    """Return the largest round length (1, 2 or 5 × 10ⁿ m) not above a quarter of ``width_m``.

    Examples
    --------
    >>> nice_scale_length(10_000)
    2000.0
    >>> nice_scale_length(380_000)
    50000.0
    """
    target = max(width_m, 1.0) / 4
    power = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * power <= target:
            return float(step * power)
    return float(power)


@functools.cache
def _fonts_installed_since_cached() -> int:
    """Add the system fonts matplotlib's cached font list lacks, when it knows no CJK font.

    matplotlib lists the system fonts once, into its cache (``~/.cache/matplotlib``), and never
    looks again: a CJK font installed after the first map of a machine (``make browser``
    installs ``fonts-wqy-microhei``) stayed unseen, and Chinese labels came out as boxes. When
    none of the CJK fonts is known, the font files are listed again (a few ms) and those
    missing from the list added. Once per process.

    Returns
    -------
    int
        The font files added (0 when a CJK font was already known).
    """
    from matplotlib import font_manager

    fonts = font_manager.fontManager
    if {f.name for f in fonts.ttflist}.intersection(_CJK_FONTS):
        return 0
    known = {f.fname for f in fonts.ttflist}
    added = 0
    for path in font_manager.findSystemFonts():
        if path not in known:
            try:
                fonts.addfont(path)
            except (OSError, RuntimeError, ValueError):  # a file FreeType cannot read
                continue
            added += 1
    return added


def _figure(title: str, size: tuple[float, float] = (7.0, 5.6)) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    _fonts_installed_since_cached()
    plt.rcParams["font.sans-serif"] = [*_CJK_FONTS, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    fig, ax = plt.subplots(figsize=size, dpi=150)
    ax.set_title(title, fontsize=10)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    return fig, ax


def _decorate(fig: Any, ax: Any, handles: Sequence[Any]) -> None:
    """Scale bar (metres of the axes' projected CRS), north arrow, legend, disclaimer."""
    ax.set_xlabel("")
    ax.set_ylabel("")
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_scale_length(x1 - x0)
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.05
    ax.plot([bx, bx + length], [by, by], color="black", linewidth=3, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx + length / 2, by + (y1 - y0) * 0.015, label, ha="center", va="bottom", fontsize=8)
    ax.annotate(
        "N",
        xy=(0.95, 0.93),
        xytext=(0.95, 0.83),
        xycoords="axes fraction",
        ha="center",
        fontsize=9,
        arrowprops={"arrowstyle": "-|>", "color": "black"},
    )
    if handles:
        ax.legend(
            handles=list(handles),
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=7,
            frameon=False,
        )
    fig.text(0.01, 0.01, DISCLAIMER_ZH_FIRST, fontsize=7, color="#b2182b")


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def site_map_png(
    sites: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None = None,
    *,
    context: gpd.GeoDataFrame | None = None,
    title: str = "选址筛查 / Site screening",
) -> bytes:
    """PNG of screened sites (coloured by verdict), the zones they hit and county outlines.

    Parameters
    ----------
    sites : GeoDataFrame
        ``site_id`` and ``verdict`` per site; any declared CRS.
    zones : GeoDataFrame, optional
        Zone features hit, with ``layer_kind`` and ``zone``.
    context : GeoDataFrame, optional
        Admin outlines drawn underneath (with ``name`` for labels).
    title : str
        Title over the map.

    Returns
    -------
    bytes
        The PNG, drawn in the sites' local CGCS2000 Gauss–Krüger zone.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from zoning.crs import gk_crs_for
    from zoning.maps.style import kind_label, style_for, zone_label

    ll = sites.to_crs("EPSG:4490")
    crs = gk_crs_for(ll.geometry.union_all())
    local = ll.to_crs(crs)
    fig, ax = _figure(title)
    minx, miny, maxx, maxy = local.total_bounds
    frames = [local]
    if zones is not None and len(zones):
        frames.append(zones.to_crs(crs))
    bounds = np.array([f.total_bounds for f in frames])
    minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
    maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
    pad = max(maxx - minx, maxy - miny, 500.0) * 0.15
    view = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    handles: list[Any] = []
    if context is not None and len(context):
        ctx = context.to_crs(crs).cx[view[0] : view[2], view[1] : view[3]]
        ctx.boundary.plot(ax=ax, color="#555555", linewidth=0.8, linestyle="--")
        if "name" in ctx.columns:
            for name, geom in zip(ctx["name"], ctx.geometry, strict=True):
                p = geom.intersection(_box(view)).representative_point()
                if not p.is_empty:
                    ax.text(p.x, p.y, str(name), fontsize=7, color="#555555", ha="center")
        handles.append(Line2D([], [], color="#555555", linestyle="--", label="县界 / County"))
    if zones is not None and len(zones):
        z = zones.to_crs(crs)
        for (kind, zone), group in z.groupby(["layer_kind", "zone"], sort=True):
            st = style_for(str(kind), str(zone))
            group.plot(
                ax=ax,
                facecolor=st.fill_color if st.fill else "none",
                edgecolor=st.color,
                alpha=0.55,
                linewidth=1.0,
            )
            handles.append(
                Patch(
                    facecolor=st.fill_color,
                    edgecolor=st.color,
                    alpha=0.55,
                    label=f"{kind_label(str(kind)).split(' / ')[0]} {zone_label(str(kind), str(zone))}",
                )
            )
    verdicts = local["verdict"].astype(str) if "verdict" in local.columns else None
    for v in VERDICT_COLORS:
        part = local[verdicts == v] if verdicts is not None else local.iloc[0:0]
        if len(part):
            part.plot(ax=ax, facecolor="none", edgecolor=VERDICT_COLORS[v], linewidth=2.2)
            part.representative_point().plot(ax=ax, color=VERDICT_COLORS[v], markersize=12)
            handles.append(
                Patch(facecolor="none", edgecolor=VERDICT_COLORS[v], label=VERDICT_LABELS[v])
            )
    if "site_id" in local.columns:
        for sid, geom in zip(local["site_id"], local.geometry, strict=True):
            p = geom.representative_point()
            ax.text(p.x, p.y, f" {sid}", fontsize=8, va="bottom")
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    _decorate(fig, ax, handles)
    return _png(fig)


def _box(view: tuple[float, float, float, float]) -> Any:
    from shapely.geometry import box

    return box(*view)


def choropleth_png(
    units: gpd.GeoDataFrame,
    column: str,
    *,
    legend_title: str,
    title: str,
    classes: int = 5,
) -> bytes:
    """PNG of a unit statistic in the classes and colours of the HTML choropleth.

    Drawn in Albers equal-area (the projection the statistics were measured in).
    """
    from matplotlib.patches import Patch

    from zoning.crs import ALBERS_CHINA
    from zoning.maps.choropleth import class_breaks, palette

    frame = units.to_crs(ALBERS_CHINA)
    values = frame[column].to_numpy(dtype=float)
    edges = class_breaks(values, classes)
    n = max(1, edges.size - 1)
    colors = palette("YlOrRd", n)
    cls = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, n - 1)
    fill = [colors[c] if np.isfinite(v) else "#d9d9d9" for c, v in zip(cls, values, strict=True)]
    fig, ax = _figure(title)
    frame.plot(ax=ax, color=fill, edgecolor="#525252", linewidth=0.3)
    handles = [
        Patch(
            facecolor=colors[i], edgecolor="#525252", label=f"{edges[i]:.1f} – {edges[i + 1]:.1f}"
        )
        for i in range(n)
    ]
    handles.insert(0, Patch(facecolor="none", edgecolor="none", label=legend_title))
    _decorate(fig, ax, handles)
    return _png(fig)
