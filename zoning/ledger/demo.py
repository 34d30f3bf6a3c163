"""The ledger products of ``zoning demo`` and the demo's supervision catalogue.

The red-line ledger of the demo (with the MODIS 2019 land cover) and the supervision list of
its illustrative human-activity patches.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

__all__ = ["demo_supervision_catalog_path", "run_demo_ledger"]


def demo_supervision_catalog_path() -> Path:
    """Return the demo catalogue with the illustrative human-activity patches.

    The patches are generated beside the demo catalogue on first use
    (:func:`zoning.datasets.activity.write_supervision_catalog`).

    Returns
    -------
    Path
        ``catalog-supervision.toml`` in the demo's cache folder.
    """
    from zoning.datasets import demo_catalog_path
    from zoning.datasets.activity import SUPERVISION_CATALOG, write_supervision_catalog
    from zoning.datasets.demo_version import DEMO_SEED

    catalog = demo_catalog_path()
    path = catalog.parent / SUPERVISION_CATALOG
    if not path.is_file():
        write_supervision_catalog(catalog.parent, DEMO_SEED + 6)
    return path


def run_demo_ledger(out: Path) -> Iterator[str]:
    """Write the demo's ledger and supervision; yield one summary line per product.

    ``out/redline/`` holds the ledger, ``out/supervision/`` the suspected problem patches and
    the allowed limited activities.
    """
    from zoning.catalog import load_catalog
    from zoning.ledger import build_ledger, supervise
    from zoning.ledger.landcover import default_landcover_path
    from zoning.ledger.outputs import write_ledger, write_supervision

    catalog = load_catalog(demo_supervision_catalog_path())
    ledger = build_ledger(catalog, landcover=default_landcover_path())
    out.mkdir(parents=True, exist_ok=True)
    write_ledger(ledger, out=out / "redline")
    yield (
        f"ledger: {len(ledger)} red-line features, {ledger['area_km2'].sum():,.0f} km², "
        f"natural land cover {100 * ledger['natural_km2'].sum() / ledger['area_km2'].sum():.1f} % "
        f"({out.name}/redline/ledger.gpkg, .xlsx)"
    )
    result = supervise(catalog)
    write_supervision(result, run_id="demo-2024", out=out / "supervision")
    yield (
        f"supervision (illustrative patches): {len(result.suspects)} suspected problem patches, "
        f"{len(result.allowed)} allowed limited activities ({out.name}/supervision/suspects.csv)"
    )
