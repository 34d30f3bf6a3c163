"""``zoning map``: write a self-contained (offline) HTML map of a catalogue's layers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from zoning.cli.options import catalog_option, json_option, out_option, overwrite_option
from zoning.cli.params import FiniteFloat

if TYPE_CHECKING:  # pragma: no cover
    import folium

__all__ = ["map_command"]


@click.command("map")
@catalog_option()
@click.option("--layers", default=None, help="Layer kinds to draw, comma-separated (default: all).")
@click.option(
    "--basemap",
    type=click.Choice(["none", "osm", "tianditu", "gaode"], case_sensitive=False),
    default="none",
    show_default=True,
    help="Tile basemap (needs network when opened; none keeps the map fully offline).",
)
@click.option(
    "--tianditu-key",
    envvar="TIANDITU_KEY",
    default=None,
    help="Tianditu key (tk); default $TIANDITU_KEY.",
)
@click.option("--title", default=None, help="Map title (default: the catalogue name).")
@click.option(
    "--detail-zoom",
    type=click.IntRange(6, 20),
    default=12,
    show_default=True,
    help="Zoom level up to which display geometry is exact to half a pixel.",
)
@click.option(
    "--max-mb",
    type=FiniteFloat(0.5, 4096, unit="MB"),
    default=15.0,
    show_default=True,
    help="Size budget of the HTML: display detail is coarsened zoom by zoom until it fits.",
)
@out_option("Output HTML file (default: map-<catalogue name>.html).", file=True)
@overwrite_option("Replace an existing output file.")
@json_option
def map_command(
    catalog_path: Path | None,
    layers: str | None,
    basemap: str,
    tianditu_key: str | None,
    title: str | None,
    detail_zoom: int,
    max_mb: float,
    out: Path | None,
    overwrite: bool,
    as_json: bool = False,
) -> None:
    """Write an offline HTML map of the catalogue layers (Leaflet inlined, no CDN).

    Geometry is simplified for display only; the map says so. With --basemap gaode the layers
    are shifted to GCJ-02 for display on the AutoNavi tiles.
    """
    from zoning.cli.options import (
        catalog_label,
        catalog_or_demo,
        claim_out,
        default_out,
        progress_steps,
    )

    if out is None:
        out = default_out("map", catalog_label(catalog_path), ".html")
    # checked and locked before any work; a file that appears meanwhile is not replaced
    claim_out(out, overwrite, catalog=catalog_path)
    from zoning.catalog import load_catalog
    from zoning.maps import (
        catalog_map,
        fit_to_budget,
        html_size_mb,
        layer_summary,
        map_info,
        save_html,
    )

    steps = progress_steps("zoning map", ["load catalogue", "draw the layers", "write HTML"])
    steps.start("load catalogue")
    catalog = load_catalog(catalog_or_demo(catalog_path))
    kinds = [k.strip() for k in layers.split(",") if k.strip()] if layers else None

    def build(zoom: int) -> folium.Map:
        return catalog_map(
            catalog,
            kinds=kinds,
            basemap=None if basemap.lower() == "none" else basemap,
            tianditu_key=tianditu_key,
            title=title,
            detail_zoom=zoom,
        )

    steps.start("draw the layers")
    m, html = fit_to_budget(build, max_mb=max_mb, start_zoom=detail_zoom)
    steps.start("write HTML")
    path = save_html(html, out, overwrite=overwrite)
    steps.finish()
    summary = layer_summary(m)
    n = sum(s["features"] for s in summary)
    zoom = map_info(m).detail_zoom
    if as_json:
        from zoning.cli.options import echo_json

        echo_json(
            {
                "out": str(path),
                "size_mb": round(html_size_mb(html), 3),
                "layers": summary,
                "features": n,
                "detail_zoom": zoom,
            }
        )
        return
    click.echo(
        f"wrote {path} ({html_size_mb(html):.1f} MB, {len(summary)} layers, {n} features, "
        f"display detail to zoom {zoom})"
    )
