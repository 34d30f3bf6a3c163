"""The products that run on the demo catalogue (``zoning demo`` / ``make demo``).

Each product joins the demo as it lands: the catalogue map, a sample screening, the
province statistics and the restoration priorities.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from zoning.catalog import Catalog

__all__ = ["run_demo_products"]


def run_demo_products(catalog: Catalog, out: Path) -> Iterator[str]:
    """Run every demo product into ``out``; yield one line of summary per product."""
    from zoning.maps import catalog_map, save_map

    m = catalog_map(catalog)
    path = save_map(m, out / "map.html")
    yield f"map: {path.name} ({path.stat().st_size / 1e6:.1f} MB, offline)"
