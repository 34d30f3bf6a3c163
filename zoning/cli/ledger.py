"""``zoning ledger``: the red-line ledger, the three "not"s, the supervision of activities.

The red-line ledger, the three "not"s between vintages, and the supervision of human
activities in the red line (build | check | supervise).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from zoning.cli.options import (
    catalog_option,
    db_option,
    out_option,
    overwrite_option,
    tolerance_km2_option,
)

if TYPE_CHECKING:
    import geopandas as gpd

    from zoning.catalog import Catalog

__all__ = ["ledger"]

_OUT = out_option("Output folder (GeoPackage, Excel, CSV).")
_DB = db_option(
    "PostGIS database postgresql://USER@HOST:PORT/DB (password from PGPASSWORD or .pgpass)."
)
_OVERWRITE = overwrite_option()
_CATALOG = catalog_option(
    "Catalogue TOML (default: the Shanxi demo with its illustrative activity patches)."
)


def _targets(
    out: Path | None,
    db: str | None,
    overwrite: bool,
    *,
    required: bool = True,
    catalog_path: Path | None = None,
) -> None:
    """Check the outputs before any work.

    One is given; ``--out`` is new (or ``--overwrite``), holds no input and is locked for
    this command (:func:`zoning.io.workspace.claim_output`).
    """
    from zoning.errors import ZoningUsageError

    if required and out is None and db is None:
        raise ZoningUsageError(
            "no output given; expected --out DIR and/or --db URL; fix: add one of them"
        )
    if out is not None:
        from zoning.cli.options import claim_out

        claim_out(out, overwrite, catalog=catalog_path)


def _catalog(path: Path | None) -> Catalog:
    from zoning.catalog import load_catalog

    if path is None:
        from zoning.ledger.demo import demo_supervision_catalog_path

        path = demo_supervision_catalog_path()
    return load_catalog(path)


def _landcover(catalog_path: Path | None, landcover: Path | None, none: bool) -> Path | None:
    """Return the land-cover raster: given, else the demo's MODIS layer for the demo catalogue."""
    if none:
        return None
    if landcover is not None:
        return landcover
    if catalog_path is None:
        from zoning.ledger.landcover import default_landcover_path

        return default_landcover_path()
    return None


@click.group("ledger")
def ledger() -> None:
    """The red-line ledger (生态保护红线信息台账): build it, check the three "not"s between
    vintages (面积不减少, 性质不改变, 功能不降低), supervise human activities in it.
    """  # noqa: D205, D401 (click's --help text: a blank line would split its first paragraph; its wording is what users read)


@ledger.command("build")
@_CATALOG
@click.option("--vintage", default=None, help="Vintage label (default: the layers' vintage).")
@click.option(
    "--landcover",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Classified land-cover raster, IGBP codes (default for the demo: MODIS 2019).",
)
@click.option("--no-landcover", is_flag=True, help="Leave the land-cover columns empty.")
@_OUT
@_DB
@_OVERWRITE
def build(
    catalog_path: Path | None,
    vintage: str | None,
    landcover: Path | None,
    no_landcover: bool,
    out: Path | None,
    db: str | None,
    overwrite: bool,
) -> None:
    """One row per red-line feature: counties, area (km², equal-area), land cover, overlaps,
    human activities, vintage and source checksum. Writes OUT/ledger.gpkg, ledger.xlsx,
    ledger.csv and/or table zoning_redline_ledger in the database (a rerun of a vintage
    replaces it).
    """  # noqa: D205 (the docstring is click's --help text: a blank line would split its first paragraph)
    from zoning.ledger import build_ledger
    from zoning.ledger.outputs import write_ledger

    _targets(out, db, overwrite, catalog_path=catalog_path)
    catalog = _catalog(catalog_path)
    table = build_ledger(
        catalog, vintage=vintage, landcover=_landcover(catalog_path, landcover, no_landcover)
    )
    for line in write_ledger(table, out=out, db=db, overwrite=overwrite):
        click.echo(line)


def _load(source: str, db: str | None, landcover: Path | None) -> gpd.GeoDataFrame:
    from zoning.ledger import build_ledger
    from zoning.ledger.outputs import read_ledger

    path = Path(source)
    if db is None and path.suffix.lower() == ".toml":
        from zoning.catalog import load_catalog

        return build_ledger(load_catalog(path), landcover=landcover)
    return read_ledger(source, db=db)


@ledger.command("check")
@click.argument("old")
@click.argument("new")
@click.option(
    "--old-landcover",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Land-cover raster of OLD when it is a catalogue.",
)
@click.option(
    "--new-landcover",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Land-cover raster of NEW when it is a catalogue.",
)
@tolerance_km2_option("Net area changes within ± this count as none.")
@_OUT
@_DB
@_OVERWRITE
def check(
    old: str,
    new: str,
    old_landcover: Path | None,
    new_landcover: Path | None,
    tolerance_km2: float,
    out: Path | None,
    db: str | None,
    overwrite: bool,
) -> None:
    """The three "not"s between OLD and NEW: two catalogues (TOML), two ledgers (folders or
    ledger.gpkg), or with --db two vintages in the database. Prints the verdicts; writes
    OUT/check.csv, changes.csv, check.xlsx, summary.txt and/or tables zoning_ledger_check and
    zoning_ledger_changes.
    """  # noqa: D205, D401 (click's --help text: a blank line would split its first paragraph; its wording is what users read)
    from zoning.ledger import check_ledgers
    from zoning.ledger.outputs import write_check

    _targets(out, db, overwrite, required=False)
    result = check_ledgers(
        _load(old, db, old_landcover), _load(new, db, new_landcover), tolerance_km2=tolerance_km2
    )
    click.echo(result.summary())
    for line in write_check(result, out=out, db=db, overwrite=overwrite):
        click.echo(line)


@ledger.command("supervise")
@_CATALOG
@click.option("--run-id", default=None, help="Run id of the database rows (default: vintage).")
@_OUT
@_DB
@_OVERWRITE
def supervise_command(
    catalog_path: Path | None,
    run_id: str | None,
    out: Path | None,
    db: str | None,
    overwrite: bool,
) -> None:
    """Screen every human-activity patch in the red line and protected areas: suspected
    problem patches (疑似问题图斑) ranked by severity and area with the rule and clause broken,
    allowed limited activities with their evidence. Writes OUT/suspects.gpkg, suspects.xlsx,
    suspects.csv, allowed.csv and/or tables zoning_suspect_patches, zoning_allowed_patches.
    """  # noqa: D205 (the docstring is click's --help text: a blank line would split its first paragraph)
    from zoning.ledger import supervise
    from zoning.ledger.outputs import write_supervision

    _targets(out, db, overwrite, catalog_path=catalog_path)
    catalog = _catalog(catalog_path)
    result = supervise(catalog)
    if run_id is None:
        vintages = sorted({e.vintage for e in catalog.entries if e.kind == "human_activity"})
        run_id = ", ".join(v for v in vintages if v) or catalog.name
    click.echo(result.summary())
    for line in write_supervision(result, run_id=run_id, out=out, db=db, overwrite=overwrite):
        click.echo(line)
