"""The products that run on the demo catalogue (``zoning demo`` / ``make demo``).

Two products, both written inside the demo's output folder:

- ``map.html``: the offline map of every layer of the catalogue;
- ``run/``: the batch scenario ``scenarios/demo_province_stats.toml`` — the zoning statistics of
  every county, city and the province with overlaps, the strictest-designation layer and the
  plan indicators; the explained screening of four candidate solar-PV sites
  (``run/screening/report.html``); the restoration priorities of northern Shanxi with a
  budgeted portfolio (``run/restoration/``); and ``manifest.json`` with every input's checksum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from zoning.catalog import Catalog

__all__ = ["DEMO_SCENARIO", "run_demo_products"]

#: the batch scenario the demo runs (``zoning.datasets.demo_scenario_path``)
DEMO_SCENARIO = "demo_province_stats"


def run_demo_products(catalog: Catalog, out: Path) -> Iterator[str]:
    """Run every demo product into ``out``; yield one line of summary per result.

    Parameters
    ----------
    catalog : Catalog
        The demo catalogue (already checked).
    out : Path
        An existing, empty staging folder (``zoning demo`` renames it into place).
    """
    from zoning.datasets import demo_scenario_path
    from zoning.maps import catalog_map, save_map
    from zoning.run import run_scenario

    path = save_map(catalog_map(catalog), out / "map.html")
    yield f"map: {path.name} ({path.stat().st_size / 1e6:.1f} MB, offline)"

    run = run_scenario(demo_scenario_path(DEMO_SCENARIO), out=out / "run")
    yield from _summarise_run(run.folder)

    from zoning.ledger.demo import run_demo_ledger  # the red-line ledger and supervision list

    yield from run_demo_ledger(out / "ledger")


def _summarise_run(folder: Path) -> Iterator[str]:
    from zoning.io.tables import read_csv_table

    stats = read_csv_table(folder / "stats.csv", dtype={"unit_id": str})
    red = stats[(stats.layer_kind == "eco_redline") & (stats.zone == "all")]
    province = red[red.level == "province"]
    if len(province):
        row = province.iloc[0]
        yield (
            f"statistics: red line {row.area_km2:,.0f} km² = {row.share_pct:.2f} % of "
            f"{row.unit_name} ({(red.level == 'county').sum()} counties, rolled up and reconciled)"
        )
    if (folder / "indicators.csv").exists():
        ind = read_csv_table(folder / "indicators.csv").dropna(subset=["value"])
        yield f"indicators: {int(ind.met.fillna(False).astype(bool).sum())} of {len(ind)} met"
    if (folder / "screening" / "summary.csv").exists():
        s = read_csv_table(folder / "screening" / "summary.csv")
        counts = Counter(s["verdict"])
        yield "screening (solar_pv): " + ", ".join(f"{v} {n}" for v, n in sorted(counts.items()))
    report = folder / "restoration" / "report.json"
    if report.exists():
        import json

        r = json.loads(report.read_text(encoding="utf-8"))
        line = f"restoration: {r['n_units']} units scored"
        if r.get("portfolio"):
            p = r["portfolio"]
            from zoning.restoration.outputs import format_yuan

            line += (
                f"; portfolio {p['n_selected']} units, cost {format_yuan(p['cost'])} of "
                f"{format_yuan(p['budget'])}"
            )
        yield line
    yield f"batch run: {folder.name}/ (manifest.json lists every input with its checksum)"
