"""HTML reports that print cleanly to PDF from the browser (screening, statistics).

:func:`report_css` is the shared stylesheet (screen and ``@media print``: A4 pages, tables
that repeat their header and never split a row, map controls hidden, colours kept);
:func:`report_page` wraps a body in a complete page with the disclaimer; :func:`embed_map`
puts an offline map inside a report.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from zoning.labels import DISCLAIMER_ZH_FIRST
from zoning.maps.builder import map_html

if TYPE_CHECKING:  # pragma: no cover
    import folium

__all__ = ["embed_html", "embed_map", "html_table", "print_figure", "report_css", "report_page"]

_CSS = """
:root{--ink:#1f1f1f;--muted:#666;--rule:#d0d0d0;--accent:#b2182b}
html{font:14px/1.5 "Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",
 "Microsoft YaHei","PingFang SC","Helvetica Neue",Arial,sans-serif;color:var(--ink)}
body{max-width:1080px;margin:24px auto;padding:0 18px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid
 var(--rule);padding-bottom:3px}h3{font-size:15px;margin:16px 0 6px}
.meta,.note{color:var(--muted);font-size:12px}
.disclaimer{border:1px solid var(--accent);color:var(--accent);padding:4px 8px;font-size:12px;
 margin:8px 0;display:inline-block}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:12.5px}
th,td{border:1px solid var(--rule);padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.verdict-prohibited{color:#b2182b;font-weight:600}.verdict-conditional{color:#d6604d;
 font-weight:600}.verdict-allowed{color:#1a9850;font-weight:600}.verdict-needs_info{color:#555;
 font-weight:600}
figure{margin:10px 0}figure img{max-width:100%}figcaption{font-size:12px;color:var(--muted)}
.map-frame{width:100%;height:480px;border:1px solid var(--rule)}
.print-only{display:none}
td{min-width:3.2em}td:nth-child(-n+3){min-width:5.5em}td:first-child{min-width:7em}
@page{size:A4;margin:14mm 12mm 16mm}
@media print{
 html{font-size:11pt}body{max-width:none;margin:0;padding:0}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 a{color:inherit;text-decoration:none}
 h1,h2,h3{break-after:avoid;page-break-after:avoid}
 table{page-break-inside:auto}thead{display:table-header-group}
 tr,figure,.map-frame,.keep-together{break-inside:avoid;page-break-inside:avoid}
 .no-print,.leaflet-control-container,.map-frame{display:none!important}
 .print-only{display:block}
 figure.print-only img{width:100%;max-height:200mm;object-fit:contain}
 table{font-size:8pt}th,td{padding:2px 3px}
 .page-break{break-before:page;page-break-before:always}
}
"""


def report_css() -> str:
    """Return the shared report stylesheet (screen + ``@media print`` rules).

    Examples
    --------
    >>> "@media print" in report_css()
    True
    """
    return _CSS.strip()


def report_page(title: str, body_html: str, *, lang: str = "zh-CN", subtitle: str = "") -> str:
    """Return a complete HTML report page around ``body_html`` (already escaped HTML).

    Parameters
    ----------
    title : str
        Page heading and ``<title>`` (escaped here).
    body_html : str
        The report body.
    lang : str
        Language tag of the page.
    subtitle : str
        Line under the heading (escaped here), e.g. catalogue and rule-pack versions.

    Returns
    -------
    str
    """
    t = html_lib.escape(title)
    sub = f'<p class="meta">{html_lib.escape(subtitle)}</p>' if subtitle else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lib.escape(lang)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{t}</title>'
        f"<style>{report_css()}</style></head><body><header><h1>{t}</h1>{sub}"
        f'<p class="disclaimer">{html_lib.escape(DISCLAIMER_ZH_FIRST)}</p></header>\n{body_html}\n'
        f'<footer class="note"><p>{html_lib.escape(DISCLAIMER_ZH_FIRST)}</p></footer></body></html>\n'
    )


def embed_html(page: str, *, title: str = "map") -> str:
    """Return an ``<iframe srcdoc=…>`` holding a saved offline map page (for a report body)."""
    doc = html_lib.escape(page, quote=True)
    return (
        f'<iframe class="map-frame" title="{html_lib.escape(title)}" srcdoc="{doc}" '
        'sandbox="allow-scripts allow-popups"></iframe>'
    )


def print_figure(png: bytes, caption: str) -> str:
    """Return a ``<figure>`` with ``png`` inlined, shown only when the page is printed.

    The live map (an iframe) is hidden in print: Leaflet does not lay out for paper. The
    static image (:mod:`zoning.maps.static`) takes its place, with its legend and scale bar.
    """
    import base64

    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure class="print-only"><img alt="{html_lib.escape(caption)}" '
        f'src="data:image/png;base64,{data}"><figcaption>{html_lib.escape(caption)}</figcaption>'
        "</figure>"
    )


def embed_map(m: folium.Map, *, title: str = "map") -> str:
    """Return an ``<iframe srcdoc=…>`` holding the offline map ``m`` (for a report body)."""
    return embed_html(map_html(m), title=title)


def html_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: Collection[int] = ()
) -> str:
    """Return a report table; headers are escaped here, cells must be escaped HTML already.

    Columns whose position is in ``numeric`` are right-aligned with tabular figures.

    Examples
    --------
    >>> html_table(["名称 / Name", "km²"], [["甲县", "1.50"]], numeric={1})
    '<table><thead><tr><th>名称 / Name</th><th class="num">km²</th></tr></thead><tbody><tr><td>甲县</td><td class="num">1.50</td></tr></tbody></table>'
    """

    def cell(tag: str, i: int, text: str) -> str:
        cls = ' class="num"' if i in numeric else ""
        return f"<{tag}{cls}>{text}</{tag}>"

    head = "".join(cell("th", i, html_lib.escape(h)) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
