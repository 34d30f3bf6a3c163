"""Benchmark the rule step of screening on the demo catalogue: one site, and the demo sites plus
a point in every county seat (the county's representative point).

Run before and after a change to the rule packs or the rule engine; the one-site figure is the
one that matters to an interactive user (the issue's budget: no more than 10 % slower).

Usage::

    python benchmarks/bench_rules.py            # 15 repeats, prints medians
    python benchmarks/bench_rules.py --repeat 5

Prints median wall and CPU times in milliseconds and the ratio of the many-site run to the one-site
run. To compare two versions, run each a few times in turn (the machine's load varies).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import geopandas as gpd


def _median_ms(fn, repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process in ms (one thread: the CPU time
    is what the work costs, and is steadier than wall time on a machine others load).
    """
    fn()  # warm: indexes, rule packs, projections
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return 1000 * statistics.median(wall), 1000 * statistics.median(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()

    from zoning.catalog import load_catalog
    from zoning.datasets import demo_catalog_path
    from zoning.screening import screen_sites
    from zoning.screening.report import to_dict

    cat = load_catalog(demo_catalog_path())
    demo_sites = gpd.read_file(Path(__file__).parent.parent / "scenarios" / "demo_sites.geojson")
    counties = cat.admin_units("county")
    seats = gpd.GeoDataFrame(
        {"site_id": counties["name"].astype(str).to_numpy()},
        geometry=counties.geometry.representative_point().to_numpy(),
        crs="EPSG:4490",
    )
    many = gpd.GeoDataFrame(
        {"site_id": [*demo_sites["site_id"].astype(str), *seats["site_id"]]},
        geometry=[*demo_sites.to_crs("EPSG:4490").geometry, *seats.geometry],
        crs="EPSG:4490",
    )
    one = demo_sites.iloc[[0]]

    def run_one() -> None:
        to_dict(screen_sites(one, cat, "solar_pv", site_id_field="site_id", n_jobs=1))

    def run_many() -> None:
        to_dict(screen_sites(many, cat, "solar_pv", site_id_field="site_id", n_jobs=1))

    t1, m1 = _median_ms(run_one, args.repeat)
    tn, mn = _median_ms(run_many, max(3, args.repeat // 3))
    print(f"one demo site (screen + JSON):      wall {t1:7.1f} ms, CPU {m1:7.1f} ms")
    print(
        f"{len(many)} sites (4 demo + county seats): wall {tn:7.1f} ms, CPU {mn:7.1f} ms "
        f"({tn / t1:.1f}x one site)"
    )


if __name__ == "__main__":
    main()
