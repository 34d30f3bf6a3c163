"""Benchmark the red-line ledger and the supervision, file path against PostGIS path.

1. Ledger of the demo (339 red-line features, MODIS land cover): the red line read from the
   demo GeoPackage vs from PostGIS (no cache either way), and written to a folder vs to the
   database.
2. Supervision of the demo's illustrative patches, and of N synthetic patches (default 100,000)
   in the red line: patches from a GeoPackage vs from PostGIS.
3. Reading N polygons: zoning.io.postgis.read_layer vs geopandas.read_postgis (the peer) vs
   pyogrio from a GeoPackage.

Needs the local server (``make postgis``; started here when installed and not running, and
stopped again). Usage: ``python benchmarks/bench_ledger.py [--quick] [--n 100000]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import measure, report

from zoning.catalog import load_catalog
from zoning.crs import ALBERS_CHINA
from zoning.io import postgis

ROOT = Path(__file__).resolve().parent.parent


def _server() -> tuple[str, bool]:
    base = ROOT / ".postgis"
    started = False
    if not (base / "url").is_file():
        subprocess.run(["sh", str(ROOT / "scripts" / "postgis.sh"), "start"], check=True)
        started = True
    os.environ["PGPASSFILE"] = str(base / "pgpass")
    return (base / "url").read_text().strip(), started


def _with_postgis(catalog: Path, url: str, kinds: dict[str, str], out: Path) -> Path:
    """A copy of ``catalog`` whose layers of ``kinds`` ({kind: table}) are read from PostGIS
    (the other paths made absolute).
    """
    import re

    def absolute(match: re.Match) -> str:
        value = match.group(2)
        if value.startswith("postgresql://") or Path(value).is_absolute():
            return match.group(0)
        return f'{match.group(1)}"{catalog.parent / value}"'

    text = re.sub(r'(path = )"([^"]*)"', absolute, catalog.read_text(encoding="utf-8"))
    blocks = text.split("[[layers]]")
    for i, block in enumerate(blocks[1:], start=1):
        for kind, table in kinds.items():
            if f'kind = "{kind}"' in block:
                lines = [
                    f'path = "{url}"'
                    if line.startswith("path =")
                    else (f'layer = "{table}"' if line.startswith("layer =") else line)
                    for line in block.splitlines()
                ]
                blocks[i] = "\n".join(lines) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "catalog-postgis.toml"
    path.write_text("[[layers]]".join(blocks), encoding="utf-8")
    return path


def _synthetic_patches(red: gpd.GeoDataFrame, n: int, seed: int = 7) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    albers = red.to_crs(ALBERS_CHINA)
    pick = rng.integers(len(albers), size=n)
    points = albers.geometry.representative_point().to_numpy()[pick]
    x = shapely.get_x(points) + rng.uniform(-300, 300, n)
    y = shapely.get_y(points) + rng.uniform(-300, 300, n)
    half = rng.uniform(10, 60, n)
    geoms = shapely.box(x - half, y - half, x + half, y + half)
    types = np.array(["采矿", "道路", "工业", "旅游设施", "房屋", "光伏", "开垦"])[
        rng.integers(7, size=n)
    ]
    frame = gpd.GeoDataFrame(
        {"图斑编号": [f"S{i:07d}" for i in range(n)], "名称": types, "活动类型": types},
        geometry=geoms,
        crs=ALBERS_CHINA,
    )
    return frame.to_crs("EPSG:4490")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10,000 synthetic patches, 1 run")
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    n = 10_000 if args.quick else args.n
    repeat = 1 if args.quick else 3

    from zoning.ledger import build_ledger, supervise
    from zoning.ledger.demo import demo_supervision_catalog_path
    from zoning.ledger.landcover import default_landcover_path
    from zoning.ledger.outputs import write_ledger

    url, started = _server()
    schema = "bench_ledger"
    engine = postgis.connect(url)
    import sqlalchemy as sa

    with engine.begin() as conn:
        conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))
        conn.execute(sa.schema.CreateSchema(schema))
    try:
        demo = demo_supervision_catalog_path()
        gpkg = demo.parent / "demo.gpkg"
        for layer in ("eco_redline",):
            gpd.read_file(gpkg, layer=layer).to_postgis(layer, engine, schema=schema)
        gpd.read_file(demo.parent / "human_activity.gpkg").to_postgis(
            "human_activity", engine, schema=schema
        )
        tmp = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
        pg_cat = _with_postgis(
            demo,
            url,
            {"eco_redline": f"{schema}.eco_redline", "human_activity": f"{schema}.human_activity"},
            tmp,
        )
        lc = default_landcover_path()

        def ledger(path: Path):
            return build_ledger(load_catalog(path, use_cache=False), landcover=lc)

        rows = [
            measure("GeoPackage red line", lambda: ledger(demo), repeat=repeat),
            measure("PostGIS red line", lambda: ledger(pg_cat), repeat=repeat),
        ]
        report(
            "ledger of the demo (339 features, MODIS land cover, no cache)",
            rows,
            baseline="GeoPackage red line",
        )
        table = rows[0].value
        k = iter(range(100))
        rows = [
            measure(
                "folder (gpkg+xlsx+csv)",
                lambda: write_ledger(table, out=tmp / f"out{next(k)}"),
                repeat=repeat,
            ),
            measure(
                "PostGIS table", lambda: write_ledger(table, db=url, schema=schema), repeat=repeat
            ),
        ]
        report("writing the ledger", rows, baseline="folder (gpkg+xlsx+csv)")

        rows = [
            measure(
                "GeoPackage patches",
                lambda: supervise(load_catalog(demo, use_cache=False)),
                repeat=repeat,
            ),
            measure(
                "PostGIS patches",
                lambda: supervise(load_catalog(pg_cat, use_cache=False)),
                repeat=repeat,
            ),
        ]
        report(
            f"supervision of the demo ({rows[0].value.n_patches} illustrative patches)",
            rows,
            baseline="GeoPackage patches",
        )

        red = load_catalog(demo).frame("eco_redline")
        patches = _synthetic_patches(red, n)
        patches.to_file(tmp / "patches.gpkg", layer="human_activity", driver="GPKG")
        patches.to_postgis("patches", engine, schema=schema, index=False)

        rows = [
            measure(
                "pyogrio GeoPackage",
                lambda: gpd.read_file(tmp / "patches.gpkg", engine="pyogrio"),
                repeat=repeat,
            ),
            measure(
                "zoning.io.postgis.read_layer",
                lambda: postgis.read_layer(url, layer=f"{schema}.patches")[0],
                repeat=repeat,
            ),
            measure(
                "geopandas.read_postgis",
                lambda: gpd.read_postgis(
                    f"SELECT * FROM {schema}.patches", engine, geom_col="geometry"
                ),
                repeat=repeat,
            ),
        ]
        assert len(rows[1].value) == n
        report(f"reading {n:,} polygons", rows, baseline="geopandas.read_postgis")

        syn = tmp / "synthetic.toml"
        syn.write_text(
            demo.read_text(encoding="utf-8")
            .replace('path = "demo.gpkg"', f'path = "{gpkg}"')
            .replace('path = "human_activity.gpkg"', f'path = "{tmp / "patches.gpkg"}"'),
            encoding="utf-8",
        )
        syn_pg = _with_postgis(syn, url, {"human_activity": f"{schema}.patches"}, tmp / "pg")
        rows = [
            measure("GeoPackage patches", lambda: supervise(load_catalog(syn)), repeat=1),
            measure("PostGIS patches", lambda: supervise(load_catalog(syn_pg)), repeat=1),
        ]
        print(rows[0].value.summary())
        report(f"supervision of {n:,} synthetic patches", rows, baseline="GeoPackage patches")
    finally:
        with engine.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))
        engine.dispose()
        if started:
            subprocess.run(["sh", str(ROOT / "scripts" / "postgis.sh"), "stop"], check=False)


if __name__ == "__main__":
    main()
