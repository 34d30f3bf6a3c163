"""``zoning screen``: can this project go here? Screen sites against every control layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from zoning.cli.options import (
    catalog_option,
    csv_encoding_option,
    json_option,
    out_option,
    overwrite_option,
    rulepack_option,
)
from zoning.cli.params import FiniteFloat

__all__ = ["screen"]


@click.command("screen")
@click.argument("site", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--project-type",
    "-t",
    "project_type",
    required=True,
    help="Project type id (e.g. chemical, road, solar_pv); unknown ids get suggestions.",
)
@catalog_option()
@click.option(
    "--attr",
    "attrs",
    multiple=True,
    metavar="KEY=VALUE",
    help="Project attribute, repeatable (e.g. discharges_wastewater=false, livestock_scale=large).",
)
@json_option
@out_option("Write result.json, report.html and summary.csv into this new folder (atomically).")
@overwrite_option("Replace an existing --out folder.")
@click.option(
    "--compare",
    is_flag=True,
    help="Rank the sites as alternatives (severity, then hits, then constrained area/length).",
)
@click.option(
    "--crs",
    "crs",
    default=None,
    help="CRS of the site file when it has none (e.g. EPSG:4490); 'gcj02' converts web-map "
    "(GCJ-02) coordinates.",
)
@rulepack_option
@click.option(
    "--search-radius",
    type=FiniteFloat(0, 100_000, unit="m"),
    default=1000.0,
    show_default=True,
    help="Nearby radius, m.",
)
@click.option(
    "--tolerance",
    type=FiniteFloat(0, 1000, unit="m"),
    default=10.0,
    show_default=True,
    help="Positional tolerance, m.",
)
@click.option("--as-of", default=None, help="Date the rules must be in force (YYYY-MM-DD).")
@click.option("--site-id-field", default=None, help="Column holding site ids.")
@click.option("--no-map", is_flag=True, help="Leave the map out of report.html.")
@click.option(
    "--layer", "site_layer", default=None, help="Layer of a multi-layer site file (GeoPackage …)."
)
@click.option("--docx", is_flag=True, help="Also write report.docx (Word) into --out.")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en", "both"]),
    default="both",
    show_default=True,
    help="Language of the reasons printed on the terminal (JSON, CSV and report carry both).",
)
@csv_encoding_option
def screen(
    site: Path,
    project_type: str,
    catalog_path: Path | None,
    attrs: tuple[str, ...],
    as_json: bool,
    out: Path | None,
    overwrite: bool,
    compare: bool,
    crs: str | None,
    rulepacks: tuple[Path, ...],
    search_radius: float,
    tolerance: float,
    as_of: str | None,
    site_id_field: str | None,
    no_map: bool,
    site_layer: str | None = None,
    docx: bool = False,
    lang: str = "both",
) -> None:
    """Screen SITE (GeoJSON, GPKG, SHP, KML, CSV …; one site per feature) for a project type.

    The verdict of each site is prohibited, needs_info, conditional or allowed (the strictest
    rule wins), explained down to the rule and the clause. Exit code 0 whatever the verdict.

    \b
    Examples:
      zoning screen plant.geojson --project-type chemical --json
      zoning screen routes.gpkg -t road --compare --out screening/
      zoning screen farm.csv -t livestock_farm --attr livestock_scale=large
    """  # noqa: D301 (click's \b (no-rewrap) marker must be a real backspace, not r-string text)
    from zoning.errors import ZoningUsageError
    from zoning.projects import get_project_type, parse_attrs

    # usage checks first: nothing is read or written before they pass
    get_project_type(project_type)
    parse_attrs(list(attrs))
    if as_of is not None:
        import datetime as dt

        try:
            dt.date.fromisoformat(as_of)
        except ValueError:
            raise ZoningUsageError(
                f"--as-of {as_of!r} is not a date; expected YYYY-MM-DD"
            ) from None
    if docx and out is None:
        raise ZoningUsageError("--docx writes report.docx into the --out folder; add --out DIR")
    if out is not None:  # checked and locked before any work (zoning.io.workspace)
        from zoning.io.workspace import claim_output
        from zoning.run.inputs import catalog_inputs

        claim_output(
            out,
            overwrite=overwrite,
            inputs=[
                ("site file", site),
                *catalog_inputs(catalog_path),
                *(("rule pack", p) for p in rulepacks),
            ],
        )

    from zoning.catalog import load_catalog
    from zoning.screening.report import screening_document, screening_json
    from zoning.screening.request import read_sites, screen_read_sites

    sites, gcj = read_sites(site, crs, layer=site_layer)
    if catalog_path is None:
        from zoning.datasets import demo_catalog_path

        catalog_path = demo_catalog_path()
    catalog = load_catalog(catalog_path)
    result = screen_read_sites(
        sites,
        catalog,
        project_type,
        gcj=gcj,
        attrs=list(attrs),
        rulepacks=rulepacks,
        search_radius_m=search_radius,
        tolerance_m=tolerance,
        as_of=as_of,
        site_id_field=site_id_field,
    )
    doc = screening_document(result, compare=compare)
    ranking = result.compare() if compare else None
    text = screening_json(result, compare=compare) if as_json else ""

    if out is not None:
        from zoning.io import atomic_directory
        from zoning.screening.outputs import write_screening

        with atomic_directory(out, overwrite=overwrite) as tmp:
            write_screening(result, tmp, compare=compare, include_map=not no_map, docx=docx)

    for w in result.warnings:
        click.echo(f"Warning: {w}", err=True)
    for s in doc["sites"]:
        if s["repaired"]:
            click.echo(f"Warning: site {s['site_id']}: {s['repair']}", err=True)
    if as_json:
        click.echo(text)
        return
    _print_human(doc, ranking, lang)
    if out is not None:
        click.echo(f"wrote {out}/result.json, report.html, summary.csv")


def _print_human(doc: dict[str, Any], ranking: object, lang: str = "both") -> None:
    pt = doc["project_type_info"]
    click.echo(f"Project type: {pt['name_en']} / {pt['name_zh']} ({pt['id']})")
    click.echo("Rule packs: " + ", ".join(f"{p['id']} {p['version']}" for p in doc["rulepacks"]))
    for s in doc["sites"]:
        click.echo("")
        click.echo(
            f"Site {s['site_id']} ({s['geometry_type']}): {s['verdict'].upper()} / {s['verdict_zh']}"
        )
        for zh, en in zip(s["reasons_zh"], s["reasons_en"], strict=True):
            if lang in ("zh", "both"):
                click.echo(f"  - {zh}")
            if lang in ("en", "both"):
                click.echo(f"    {en}" if lang == "both" else f"  - {en}")
        for q in s["questions"]:
            click.echo(f"  ? {q}")
        for e in s["evidence_required"]:
            click.echo(f"  [ ] {e}")
        _print_access_lists(s)
    if ranking is not None:
        click.echo("")
        click.echo("Ranking (best first):")
        for r in ranking.itertuples(index=False):  # type: ignore[attr-defined]
            click.echo(
                f"  {r.rank}. {r.site_id}: {r.verdict}, {r.n_hits} hit(s)"
                + _constrained_text(r.geometry_type, r.constrained_area_m2, r.constrained_length_m)
            )
    click.echo("")
    click.echo(doc["disclaimer"])


def _constrained_text(geometry_type: str, area_m2: float, length_m: float) -> str:
    """Say what of the site lies in constrained zones: area for polygons, length for lines.

    >>> _constrained_text("Polygon", 12000.4, 0.0), _constrained_text("LineString", 0.0, 500)
    (', 12,000 m² constrained', ', 500 m constrained')
    >>> _constrained_text("Point", 0.0, 0.0)
    ''
    """
    if "Polygon" in geometry_type:
        return f", {area_m2:,.0f} m² constrained"
    if "LineString" in geometry_type:
        return f", {length_m:,.0f} m constrained"
    return ""  # a point has neither: its hits say where it is


def _print_access_lists(site: dict[str, Any]) -> None:
    """Print the access list of each control unit the site lies in, one line per dimension."""
    from zoning.access_list import DIMENSIONS

    for h in site["hits"]:
        if h["layer_kind"] != "control_unit" or not h["intersects"] or not h.get("access_list"):
            continue
        unit = " ".join(x for x in (h["feature_id"], h["name"]) if x)
        click.echo(f"  准入清单 / Access list of unit {unit}:")
        for dim, text in h["access_list"].items():
            click.echo(f"    {DIMENSIONS[dim].name_zh} / {DIMENSIONS[dim].name_en}: {text}")
