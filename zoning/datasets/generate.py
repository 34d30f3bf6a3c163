"""Illustrative control layers for the Shanxi demo, generated reproducibly from a seed.

Real ecological red lines, water-source zones, basic farmland and 三线一单 units are not public
data in China, so the demo generates plausible stand-ins. Every generated feature carries
``illustrative = 1`` and its layer's metadata says so. Generation happens on a 1 km grid in the
Albers equal-area projection (:data:`zoning.crs.ALBERS_CHINA`), and the red line is
**calibrated** to the published shares of territory:

* Shanxi 21.95 % (seed ``003_918aa0ec1b5fd022.txt``),
* Xinzhou 24.88 % (seed ``000_4195c4ce1761a0fb.txt``; 6,206.07 km² in ``002_…``),
* Yunzhou 34.2 % (≈ 505.22 km², seed ``001_b8bcca775cace3ff.txt``).

All functions are pure: frames in (EPSG:4490), frames out (EPSG:4490).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from affine import Affine
from scipy import ndimage
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from zoning.crs import ALBERS_CHINA, CGCS2000
from zoning.datasets.shapes import Grid, blob, polygonal, smooth_noise, to_albers, to_frame

__all__ = [
    "REDLINE_TARGETS",
    "county_redline_targets",
    "make_basic_farmland",
    "make_protected_areas",
    "make_redline",
    "make_spring_areas",
    "make_subsidence",
    "make_urban_boundaries",
    "make_water_sources",
]

#: published red-line shares of territory (fraction) by adcode
REDLINE_TARGETS: dict[str, float] = {"140000": 0.2195, "140900": 0.2488, "140215": 0.342}

#: approximate seats of the 11 prefecture-level cities (lon, lat), for siting generated zones
CITY_SEATS: dict[str, tuple[float, float]] = {
    "140100": (112.55, 37.87),  # 太原
    "140200": (113.30, 40.08),  # 大同
    "140300": (113.58, 37.86),  # 阳泉
    "140400": (113.12, 36.20),  # 长治
    "140500": (112.85, 35.49),  # 晋城
    "140600": (112.43, 39.33),  # 朔州
    "140700": (112.75, 37.69),  # 晋中
    "140800": (111.00, 35.03),  # 运城
    "140900": (112.73, 38.42),  # 忻州
    "141000": (111.52, 36.09),  # 临汾
    "141100": (111.14, 37.52),  # 吕梁
}


# --------------------------------------------------------------------------- red line


def county_redline_targets(
    counties: gpd.GeoDataFrame, province_area_km2: float, rng: np.random.Generator
) -> pd.Series:
    """Target red-line share (fraction) for each county, calibrated to :data:`REDLINE_TARGETS`.

    Yunzhou gets its published share; the other Xinzhou counties share the remainder of
    Xinzhou's total; the rest of the province shares the remainder of Shanxi's, each county
    varying log-normally around its group's mean.

    Parameters
    ----------
    counties : geopandas.GeoDataFrame
        Columns ``adcode``, ``parent_adcode``, ``area_km2``.
    province_area_km2 : float
    rng : numpy.random.Generator

    Returns
    -------
    pandas.Series
        Fractions indexed like ``counties``.
    """
    area = counties["area_km2"]
    is_yz = counties["adcode"] == "140215"
    is_xz = counties["parent_adcode"] == "140900"
    rest = ~is_yz & ~is_xz
    target_area_rest = (
        REDLINE_TARGETS["140000"] * province_area_km2
        - REDLINE_TARGETS["140215"] * area[is_yz].sum()
        - REDLINE_TARGETS["140900"] * area[is_xz].sum()
    )
    share = pd.Series(0.0, index=counties.index)
    share[is_yz] = REDLINE_TARGETS["140215"]
    for mask, group_area in (
        (is_xz, REDLINE_TARGETS["140900"] * area[is_xz].sum()),
        (rest, target_area_rest),
    ):
        weights = np.exp(rng.normal(0.0, 0.45, mask.sum()))
        raw = weights / (weights * area[mask]).sum() * group_area
        share[mask] = np.clip(raw, 0.03, 0.62)
        # re-balance after clipping so the group total is exact
        for _ in range(5):
            scale = group_area / (share[mask] * area[mask]).sum()
            share[mask] = np.clip(share[mask] * scale, 0.03, 0.62)
    return share


def make_redline(
    counties: gpd.GeoDataFrame,
    *,
    dem: tuple[np.ndarray, Affine] | None,
    reserves: gpd.GeoDataFrame,
    seed: int,
    cell_m: float = 1000.0,
    iterations: int = 4,
) -> gpd.GeoDataFrame:
    """Generate red-line polygons per county, calibrated to the county targets.

    The suitability field favours high ground (DEM), nature reserves and a smooth random
    field; in each county the best cells up to its target area are selected, polygonised,
    simplified and clipped to the county, and the cell count is re-tuned until the clipped
    area hits the target.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4490; columns ``编码`` (id), ``名称``, ``类型`` (zone, Chinese), ``county_adcode``,
        ``illustrative``.
    """
    rng = np.random.default_rng(seed)
    cty = to_albers(counties).reset_index(drop=True)
    cty["area_km2"] = cty.area / 1e6
    targets = county_redline_targets(cty, float(cty["area_km2"].sum()), rng)
    grid = Grid.covering(tuple(cty.total_bounds), cell_m)
    labels = grid.rasterize([(g, i + 1) for i, g in enumerate(cty.geometry)])
    field = smooth_noise(rng, labels.shape, sigma=12.0) * 0.9
    field += smooth_noise(rng, labels.shape, sigma=3.0) * 0.35
    if dem is not None:
        field += _dem_field(grid, *dem) * 1.1
    if len(reserves):
        burn = grid.rasterize([(g, 1) for g in to_albers(reserves).geometry], dtype="uint8")
        field += burn * 4.0
    order = {}
    counts = np.bincount(labels.ravel(), minlength=len(cty) + 1)
    for i in range(len(cty)):
        vals = field[labels == i + 1]
        order[i] = np.sort(vals)[::-1]
    k = {i: max(1, round(targets[i] * counts[i + 1])) for i in range(len(cty))}
    target_m2 = targets * cty["area_km2"] * 1e6
    pieces: dict[int, list[BaseGeometry]] = {}
    for _ in range(iterations):
        thresholds = np.full(len(cty) + 1, np.inf)
        for i in range(len(cty)):
            vals = order[i]
            if len(vals):
                thresholds[i + 1] = vals[min(k[i], len(vals)) - 1]
        selected = np.where(field >= thresholds[labels], labels, 0).astype("int32")
        pieces = {i: [] for i in range(len(cty))}
        for geom, value in rasterio.features.shapes(
            selected, mask=selected > 0, transform=grid.transform, connectivity=4
        ):
            pieces[int(value) - 1].append(shape(geom))
        achieved = np.zeros(len(cty))
        for i, geoms in pieces.items():
            if not geoms:
                continue
            merged = shapely.simplify(shapely.union_all(geoms), cell_m * 0.6)
            clipped = shapely.intersection(merged, cty.geometry[i])
            pieces[i] = [clipped]
            achieved[i] = clipped.area
        ratio = np.divide(target_m2.to_numpy(), achieved, out=np.ones(len(cty)), where=achieved > 0)
        if np.all(np.abs(ratio - 1) < 0.002):
            break
        k = {i: max(1, round(k[i] * ratio[i])) for i in range(len(cty))}
    records = []
    for i, geoms in pieces.items():
        if not geoms:
            continue
        parts = [
            p
            for p in shapely.get_parts(shapely.make_valid(geoms[0]))
            if p.geom_type == "Polygon" and p.area > 1.0
        ]
        for j, part in enumerate(sorted(parts, key=lambda p: -p.area)):
            adcode = cty.loc[i, "adcode"]
            records.append(
                {
                    "编码": f"HX{adcode}{j + 1:04d}",
                    "名称": f"{cty.loc[i, 'name']}生态保护红线（示意）{j + 1}",
                    "类型": "生态保护红线",
                    "county_adcode": adcode,
                    "illustrative": 1,
                    "geometry": part,
                }
            )
    return to_frame(records)


def _dem_field(grid: Grid, dem: np.ndarray, dem_transform: Affine) -> np.ndarray:
    """DEM (lon/lat grid) sampled at the grid's cell centres, standardised."""
    from pyproj import Transformer

    x, y = grid.centres()
    lon, lat = Transformer.from_crs(ALBERS_CHINA, CGCS2000, always_xy=True).transform(x, y)
    col, row = ~dem_transform @ (lon, lat)
    z: np.ndarray = ndimage.map_coordinates(dem, [row - 0.5, col - 0.5], order=1, mode="nearest")
    standard: np.ndarray = (z - z.mean()) / z.std()
    return standard


# --------------------------------------------------------------------------- reserves


def _inner(poly: BaseGeometry, share: float) -> BaseGeometry:
    """Inward buffer of ``poly`` keeping ``share`` of its area (bisection on the distance)."""
    lo, hi = 0.0, np.sqrt(poly.area)
    target = share * poly.area
    best = poly
    for _ in range(40):
        mid = (lo + hi) / 2
        inner = poly.buffer(-mid)
        if inner.area > target:
            lo, best = mid, inner
        else:
            hi = mid
    return best


def make_protected_areas(osm_reserves: gpd.GeoDataFrame, seed: int) -> gpd.GeoDataFrame:
    """Split real reserve outlines into illustrative core / buffer / experimental zones.

    The OSM outlines are real (ODbL); the internal zoning is generated (about 35 % core,
    30 % buffer, 35 % experimental by area) and marked ``illustrative``. Two illustrative
    areas are added where the demo cities have none: a geopark with the reformed two-zone
    scheme (核心保护区 / 一般控制区) near Yunzhou and a scenic area at Wutai Shan.
    """
    rng = np.random.default_rng(seed)
    records = []
    res = to_albers(osm_reserves).reset_index(drop=True)
    for i, row in res.iterrows():
        outline = row.geometry
        core = _inner(outline, 0.35)
        buf_outer = _inner(outline, 0.65)
        zones = [
            ("核心区", core),
            ("缓冲区", buf_outer.difference(core)),
            ("实验区", outline.difference(buf_outer)),
        ]
        for j, (zone, geom) in enumerate(zones):
            if geom.is_empty:
                continue
            records.append(
                {
                    "编码": f"ZRBHD{i + 1:02d}{j + 1}",
                    "名称": row.get("name", f"自然保护区{i + 1}"),
                    "功能分区": zone,
                    "保护地类型": "自然保护区",
                    "source": "OpenStreetMap outline (ODbL); internal zones illustrative",
                    "illustrative": 1,
                    "geometry": geom,
                }
            )
    extra = [
        (
            "大同火山群国家地质公园（示意）",
            (113.62, 40.10),
            9000.0,
            "地质公园",
            [("核心保护区", 0.4), ("一般控制区", 1.0)],
        ),
        ("五台山风景名胜区（示意）", (113.59, 39.03), 14000.0, "风景名胜区", [("一般控制区", 1.0)]),
    ]
    for k, (name, (lon, lat), radius, ptype, zones) in enumerate(extra):
        centre = gpd.GeoSeries([Point(lon, lat)], crs=CGCS2000).to_crs(ALBERS_CHINA)[0]
        outline = blob(centre, radius, rng)
        previous = None
        for j, (zone, share) in enumerate(zones):
            geom = _inner(outline, share) if share < 1 else outline
            part = geom if previous is None else geom.difference(previous)
            previous = geom
            records.append(
                {
                    "编码": f"ZRBHDX{k + 1}{j + 1}",
                    "名称": name,
                    "功能分区": zone,
                    "保护地类型": ptype,
                    "source": "illustrative",
                    "illustrative": 1,
                    "geometry": part,
                }
            )
    return to_frame(records)


# --------------------------------------------------------------------------- water sources


def make_water_sources(
    cities: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame, seed: int
) -> gpd.GeoDataFrame:
    """Nested drinking-water source zones (level1 ⊂ level2 ⊂ quasi) for every city.

    Each city gets a reservoir-type source 12–25 km from its seat, a river-type source on the
    nearest river, and Yunzhou one more. Zones are delivered as real data usually is: the
    level-1 disc, the level-2 ring around it, the quasi ring around that (disjoint features).
    """
    rng = np.random.default_rng(seed)
    riv = to_albers(rivers)
    riv_union = shapely.union_all(riv.geometry.to_numpy()) if len(riv) else None
    cty = to_albers(cities).set_index("adcode")
    records: list[dict[str, Any]] = []
    sites: list[tuple[str, str, Point]] = []
    for adcode, (lon, lat) in CITY_SEATS.items():
        if adcode not in cty.index:
            continue
        seat = gpd.GeoSeries([Point(lon, lat)], crs=CGCS2000).to_crs(ALBERS_CHINA)[0]
        city_geom = cty.loc[adcode, "geometry"]
        for _ in range(50):
            ang, dist = rng.uniform(0, 2 * np.pi), rng.uniform(12_000, 25_000)
            p = Point(seat.x + dist * np.cos(ang), seat.y + dist * np.sin(ang))
            if city_geom.buffer(-8000).contains(p):
                break
        sites.append((adcode, f"{cty.loc[adcode, 'name']}水库水源地（示意）", p))
        if riv_union is not None:
            near = nearest_points(riv_union, seat)[0]
            if near.distance(seat) < 30_000 and city_geom.buffer(-3000).contains(near):
                sites.append((adcode, f"{cty.loc[adcode, 'name']}河道水源地（示意）", near))
    yz = gpd.GeoSeries([Point(113.58, 40.03)], crs=CGCS2000).to_crs(ALBERS_CHINA)[0]
    sites.append(("140200", "云州区册田水库水源地（示意）", yz))
    taken: list[Point] = []
    n = 0
    for adcode, name, p in sites:
        if any(p.distance(q) < 16_000 for q in taken):
            continue
        taken.append(p)
        n += 1
        r1, r2, r3 = rng.uniform(600, 1200), rng.uniform(2500, 4000), rng.uniform(6000, 8000)
        l1 = blob(p, r1, rng)
        l2: BaseGeometry = blob(p, r2, rng)  # grown below by the inner zone's buffer
        l3: BaseGeometry = blob(p, r3, rng)
        l2 = l2.union(l1.buffer(200))
        l3 = l3.union(l2.buffer(500))
        for j, (level, geom) in enumerate(
            (("一级保护区", l1), ("二级保护区", l2.difference(l1)), ("准保护区", l3.difference(l2)))
        ):
            records.append(
                {
                    "编码": f"SY{adcode}{n:02d}{j + 1}",
                    "名称": name,
                    "级别": level,
                    "city_adcode": adcode,
                    "illustrative": 1,
                    "geometry": geom,
                }
            )
    return to_frame(records)


# --------------------------------------------------------------------------- subsidence


def make_subsidence(mines: gpd.GeoDataFrame, seed: int) -> gpd.GeoDataFrame:
    """Subsidence zones around real coal-mine leases (GEM), plus two in Shuozhou (Pingshuo).

    Each lease gets a zone 300–800 m beyond its boundary, with a stability class and a
    treatment status drawn from the seed (both illustrative).
    """
    rng = np.random.default_rng(seed)
    stabilities = ["不稳定", "基本稳定", "稳定"]
    treatments = ["未治理", "治理中", "已治理"]
    m = to_albers(mines).reset_index(drop=True)
    records = []
    for i, row in m.iterrows():
        geom = shapely.simplify(row.geometry.buffer(rng.uniform(300, 800)), 50)
        records.append(
            {
                "编码": f"CMCX{i + 1:03d}",
                "名称": f"{row.get('Mine Name', '煤矿')} 采煤沉陷区（示意）",
                "稳定性": stabilities[rng.integers(0, 3)],
                "治理状态": treatments[rng.integers(0, 3)],
                "mine_id": row.get("GEM Mine ID", ""),
                "illustrative": 1,
                "geometry": geom,
            }
        )
    for k, (lon, lat) in enumerate(((112.36, 39.47), (112.45, 39.52))):
        c = gpd.GeoSeries([Point(lon, lat)], crs=CGCS2000).to_crs(ALBERS_CHINA)[0]
        records.append(
            {
                "编码": f"CMCXS{k + 1:02d}",
                "名称": f"平朔矿区采煤沉陷区（示意）{k + 1}",
                "稳定性": stabilities[k],
                "治理状态": "治理中",
                "mine_id": "",
                "illustrative": 1,
                "geometry": blob(c, 3500, rng),
            }
        )
    return to_frame(records)


# --------------------------------------------------------------------------- urban, farmland


def make_urban_boundaries(
    counties: gpd.GeoDataFrame, landcover: tuple[np.ndarray, Affine], seed: int
) -> gpd.GeoDataFrame:
    """Draw the urban development boundaries, one feature per county.

    MODIS urban cells (class 13) grown by 1 km, plus a compact town around every county's
    representative point (≈1 % of the county area).
    """
    rng = np.random.default_rng(seed)
    lc, transform = landcover
    urban = [
        shape(g)
        for g, v in rasterio.features.shapes(
            (lc == 13).astype("uint8"), mask=lc == 13, transform=transform
        )
    ]
    urban_gs = gpd.GeoSeries(urban, crs=CGCS2000).to_crs(ALBERS_CHINA).buffer(1000)
    cty = to_albers(counties).reset_index(drop=True)
    towns = [
        blob(g.representative_point(), np.sqrt(g.area * 0.01 / np.pi), rng) for g in cty.geometry
    ]
    merged = shapely.union_all(np.concatenate([urban_gs.to_numpy(), np.array(towns)]))
    records = []
    for _i, row in cty.iterrows():
        part = shapely.intersection(merged, row.geometry)
        if part.is_empty or part.area < 1e4:
            continue
        records.append(
            {
                "编码": f"CZKF{row['adcode']}",
                "名称": f"{row['name']}城镇开发边界（示意）",
                "county_adcode": row["adcode"],
                "illustrative": 1,
                "geometry": part,
            }
        )
    return to_frame(records)


def make_basic_farmland(
    counties: gpd.GeoDataFrame,
    landcover: tuple[np.ndarray, Affine],
    exclude: list[gpd.GeoDataFrame],
) -> gpd.GeoDataFrame:
    """Draw the permanent basic farmland, one feature per county.

    MODIS cropland cells (IGBP 12 and 14) outside the urban boundary, the red line and
    level-1/2 water zones.

    The overlay runs in EPSG:4490 (topology only, nothing is measured here), so the result
    needs no reprojection that could break its validity.
    """
    lc, transform = landcover
    crop = np.isin(lc, (12, 14)).astype("uint8")
    cells = [
        shape(g) for g, _ in rasterio.features.shapes(crop, mask=crop == 1, transform=transform)
    ]
    farm = shapely.simplify(shapely.union_all(cells), 0.003)  # ≈ 300 m
    holes = [g for frame in exclude for g in frame.to_crs(CGCS2000).geometry]
    if holes:
        farm = farm.difference(shapely.union_all(holes))
    cty = counties.to_crs(CGCS2000).reset_index(drop=True)
    records = []
    for _, row in cty.iterrows():
        part = polygonal(shapely.intersection(farm, row.geometry))
        if part.is_empty or part.area < 1e-5:  # ≈ 0.1 km²
            continue
        records.append(
            {
                "编码": f"YJJBNT{row['adcode']}",
                "名称": f"{row['name']}永久基本农田（示意）",
                "county_adcode": row["adcode"],
                "illustrative": 1,
                "geometry": part,
            }
        )
    return to_frame(records, crs=CGCS2000)


# --------------------------------------------------------------------------- springs


#: karst springs of Shanxi (approximate vent locations), key-zone and catchment radii (m)
SPRINGS = [
    ("神头泉域", (112.43, 39.37), 5000.0, 22000.0),
    ("晋祠泉域", (112.43, 37.71), 3000.0, 18000.0),
    ("娘子关泉域", (113.87, 37.97), 4000.0, 20000.0),
    ("郭庄泉域", (111.85, 36.62), 3000.0, 15000.0),
]


def make_spring_areas(seed: int) -> gpd.GeoDataFrame:
    """Illustrative karst spring areas (泉域): a catchment and its key protection zone."""
    rng = np.random.default_rng(seed)
    records = []
    for i, (name, (lon, lat), r_key, r_all) in enumerate(SPRINGS):
        c = gpd.GeoSeries([Point(lon, lat)], crs=CGCS2000).to_crs(ALBERS_CHINA)[0]
        catchment = blob(c, r_all, rng)
        key = blob(c, r_key, rng).intersection(catchment)
        for j, (zone, geom) in enumerate((("泉域范围", catchment), ("重点保护区", key))):
            records.append(
                {
                    "编码": f"QY{i + 1:02d}{j + 1}",
                    "名称": f"{name}（示意）",
                    "分区": zone,
                    "illustrative": 1,
                    "geometry": geom,
                }
            )
    return to_frame(records)
