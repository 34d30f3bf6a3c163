"""``zoning layers``: list the layer kinds, check a catalogue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from zoning.cli.options import catalog_option, json_option

__all__ = ["layers"]


@click.group()
def layers() -> None:
    """Layer kinds and catalogues."""


@layers.command("list")
@json_option(help="Print JSON on stdout.")
def list_kinds(as_json: bool) -> None:
    """List the layer kinds with their Chinese names and canonical zones."""
    from zoning.kinds import kinds

    rows: list[dict[str, Any]] = [
        {
            "kind": k.id,
            "name_zh": k.name_zh,
            "name_en": k.name_en,
            "geometry": k.geometry,
            "zones": [
                {"id": z.id, "name_zh": z.name_zh, "name_en": z.name_en} for z in k.zones.values()
            ],
        }
        for k in kinds().values()
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    width = max(16, *(len(r["kind"]) for r in rows))
    for r in rows:
        zones = ", ".join(f"{z['id']} ({z['name_zh']})" for z in r["zones"]) or "—"
        click.echo(
            f"{r['kind']:<{width}} {r['name_zh']} / {r['name_en']}\n{'':<{width}} zones: {zones}"
        )


@layers.command("check")
@catalog_option()
@json_option(help="Print the report as JSON on stdout.")
@click.option("--no-cache", is_flag=True, help="Read every layer again (ignore the cache).")
def check(catalog_path: Path | None, as_json: bool, no_cache: bool) -> None:
    """Check every layer of a catalogue: CRS, geometry validity, repairs, zones, problems.

    Exit code 1 when any layer has an error-level problem.
    """
    from zoning.catalog import catalog_report, load_catalog
    from zoning.cli.options import catalog_or_demo
    from zoning.errors import ZoningError

    cat = load_catalog(catalog_or_demo(catalog_path), use_cache=not no_cache)
    report = catalog_report(cat)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(report))
    failed = [r["name"] for r in report["layers"] if not r["ok"]]
    if failed:
        raise ZoningError(
            f"{len(failed)} layer(s) failed: {', '.join(failed)}; see the problems listed above"
        )


def format_report(report: dict[str, Any]) -> str:
    """Human-readable text of :func:`zoning.catalog.catalog_report`."""
    lines = [f"catalogue: {report['name']} ({report['path']})"]
    for r in report["layers"]:
        size = (
            f"{r['area_km2']:,.1f} km²"
            if r["area_km2"] is not None
            else f"{r['length_km']:,.1f} km"
            if r["length_km"] is not None
            else "—"
        )
        status = "ok" if r["ok"] else "FAILED"
        tag = " [illustrative]" if r["illustrative"] else ""
        lines.append(
            f"- {r['name']} ({r['kind']}){tag}: {status}; {r['features']} features; "
            f"CRS {r['crs']}; {size}; invalid repaired {r['repaired']}; "
            f"zones {', '.join(f'{k}={v}' for k, v in r['zones'].items()) or '—'}"
        )
        lines += [f"    {p['severity']}: {p['message']}" for p in r["problems"]]
    lines += [f"- {p['severity']}: {p['message']}" for p in report.get("near_duplicates", [])]
    return "\n".join(lines)
