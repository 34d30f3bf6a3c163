"""Illustrative layers the seeds' siting rules need: parks, receptors, 禁养区, 污染地块, recharge.

Like the other generated demo layers (:mod:`zoning.datasets.generate`), these are plausible
stand-ins drawn reproducibly from a seed, every feature labelled ``illustrative = 1`` and every
name suffixed （示意）. They are placed where real ones are:

* **industrial parks** (工业园区 / 开发区 / 化工园区): a development zone near every city seat, the
  Xinzhou provincial development zones the seed names (岢岚, 静乐, 神池, 五寨, 偏关; seed
  ``000_4195c4ce1761a0fb.txt`` D0 L1657–1661, ``seeds-xinzhou.md``) and chemical parks in the
  coal-chemical cities, clear of water-source zones, reserve cores and the red line;
* **sensitive receptors** (居住区 / 学校 / 医院 / 养老机构, seed ``004_f2f9b8e90689b124.txt``
  L546): a residential quarter (polygon), a school and a hospital (points) in every county town,
  a care home in every third, and villages next to each industrial park;
* **livestock no-farming zones** (禁养区, 000 L2905; 限养区, 000 L2917 / 控养区, 004 L434): per
  county, 禁养区 where the delineation guideline puts them (level-1/2 water-source zones, reserve
  cores and buffers, scenic areas, towns) and 限养区 on the quasi-protection zones outside them;
* **contaminated land** (污染地块 register, 000 L2315–2375, 001 L2282; 疑似污染地块, 004 L516):
  relocated coking, chemical and steel works in county towns, with a register status;
* **groundwater recharge areas** (地下水型水源地补给径流区, 000 L1620; 泉域岩溶地下水, 004 L410):
  karst recharge areas overlapping and extending the demo spring areas, and recharge areas of
  groundwater-type drinking sources upstream of five city seats.

All functions are pure: frames in (EPSG:4490), frames out (EPSG:4490).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from zoning.crs import ALBERS_CHINA, CGCS2000
from zoning.datasets.generate import CITY_SEATS, SPRINGS
from zoning.datasets.shapes import blob, polygonal, to_frame

__all__ = [
    "make_contaminated_land",
    "make_groundwater_recharge",
    "make_industrial_parks",
    "make_no_farming_zones",
    "make_sensitive_receptors",
]

#: coal-chemical cities that get a chemical park (adcode -> park name)
CHEMICAL_PARKS: dict[str, str] = {
    "140900": "忻州煤化工循环经济工业园",  # named in seed 000 (seeds-xinzhou.md, D0 L1708–1723)
    "140100": "清徐精细化工园区",
    "140400": "潞城化工园区",
    "140500": "晋城煤化工园区",
    "140600": "朔州化工园区",
    "141100": "孝义化工园区",
}
#: the Xinzhou counties with provincial development zones (seed 000, seeds-xinzhou.md)
XINZHOU_PROVINCIAL_ZONES: tuple[str, ...] = ("岢岚县", "静乐县", "神池县", "五寨县", "偏关县")
#: contaminated plots the seeds speak of (000 L2371–2375; 004 L516), by county and industry
SEED_PLOTS: tuple[tuple[str, str, str], ...] = (
    ("忻府区", "焦化", "污染地块"),
    ("原平市", "化工", "污染地块"),
    ("原平市", "钢铁", "污染地块"),
    ("朔城区", "焦化", "疑似污染地块"),
)
_INDUSTRIES = ("焦化", "化工", "钢铁", "有色金属冶炼", "农药", "电镀")
_STATUSES = ("疑似污染地块", "污染地块", "已移出名录")
#: city seats upstream of which a groundwater-type source's recharge area is drawn
RECHARGE_CITIES: tuple[str, ...] = ("140100", "140200", "140600", "140800", "140900")


def _albers_point(lon: float, lat: float) -> Point:
    point: Point = gpd.GeoSeries([Point(lon, lat)], crs=CGCS2000).to_crs(ALBERS_CHINA).iloc[0]
    return point


def _tree_albers(frames: list[gpd.GeoDataFrame]) -> shapely.STRtree:
    """Return an STRtree of the features of ``frames`` in Albers (cheaper than their union)."""
    geoms = [g for f in frames if len(f) for g in f.to_crs(ALBERS_CHINA).geometry]
    return shapely.STRtree(geoms)


def _place(
    rng: np.random.Generator,
    centre: Point,
    within: BaseGeometry,
    avoid: shapely.STRtree | None,
    dist: tuple[float, float],
    radius: float,
    tries: int = 60,
) -> BaseGeometry:
    """Place a blob of ``radius`` m at ``dist`` m from ``centre``.

    The blob lies inside ``within`` and clear of the features in ``avoid`` when possible (else
    the last try, with them cut out).
    """
    patch = shapely.Polygon()
    hits: np.ndarray = np.empty(0, dtype=int)
    for _ in range(tries):
        ang, d = rng.uniform(0, 2 * np.pi), rng.uniform(*dist)
        p = Point(centre.x + d * np.cos(ang), centre.y + d * np.sin(ang))
        patch = blob(p, radius, rng)
        hits = avoid.query(patch, predicate="intersects") if avoid is not None else hits
        if within.contains(patch) and not len(hits):
            return patch
    cut = (
        shapely.union_all(avoid.geometries[hits])
        if avoid is not None and len(hits)
        else shapely.Polygon()
    )
    return polygonal(patch.intersection(within).difference(cut))


# --------------------------------------------------------------------------- industrial parks


def make_industrial_parks(
    cities: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    avoid: list[gpd.GeoDataFrame],
    seed: int,
) -> gpd.GeoDataFrame:
    """Place development zones and chemical parks clear of the ``avoid`` layers.

    Development zones near every city seat and five Xinzhou county seats, chemical parks in
    the coal-chemical cities; all clear of the ``avoid`` layers (red line, reserves, water).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4490; columns ``编码``, ``名称``, ``园区类型`` (zone, Chinese), ``级别``,
        ``city_adcode``, ``illustrative``.
    """
    rng = np.random.default_rng(seed)
    keep_out = _tree_albers(avoid)
    placed: list[BaseGeometry] = []
    cty = cities.to_crs(ALBERS_CHINA).set_index("adcode")
    records: list[dict[str, Any]] = []
    for adcode, (lon, lat) in CITY_SEATS.items():
        if adcode not in cty.index:
            continue
        seat = _albers_point(lon, lat)
        inner = cty.loc[adcode, "geometry"].buffer(-3000)
        city_name = cty.loc[adcode, "name"]
        short = city_name.removesuffix("市")
        park = _place(rng, seat, inner, keep_out, (6000, 12000), rng.uniform(2500, 3800))
        placed.append(park.buffer(2000))
        records.append(
            {
                "编码": f"YQ{adcode}01",
                "名称": f"{short}经济技术开发区（示意）",
                "园区类型": "经济技术开发区",
                "级别": "国家级" if adcode in ("140100", "140200") else "省级",
                "city_adcode": adcode,
                "illustrative": 1,
                "geometry": park,
            }
        )
        if adcode in CHEMICAL_PARKS:
            taken = shapely.STRtree([*keep_out.geometries, *placed])
            chem = _place(rng, seat, inner, taken, (14000, 24000), rng.uniform(1500, 2400))
            records.append(
                {
                    "编码": f"YQ{adcode}02",
                    "名称": f"{CHEMICAL_PARKS[adcode]}（示意）",
                    "园区类型": "化工园区",
                    "级别": "省级",
                    "city_adcode": adcode,
                    "illustrative": 1,
                    "geometry": chem,
                }
            )
    cnt = counties.to_crs(ALBERS_CHINA)
    for k, name in enumerate(XINZHOU_PROVINCIAL_ZONES, start=1):
        row = cnt[cnt["name"] == name]
        if row.empty:
            continue
        county = row.geometry.iloc[0]
        zone = _place(
            rng,
            county.representative_point(),
            county.buffer(-1500),
            keep_out,
            (2500, 5000),
            rng.uniform(1200, 1900),
        )
        records.append(
            {
                "编码": f"YQ{row['adcode'].iloc[0]}{k:02d}",
                "名称": f"{name.removesuffix('县')}经济开发区（示意）",
                "园区类型": "省级开发区",
                "级别": "省级",
                "city_adcode": "140900",
                "illustrative": 1,
                "geometry": zone,
            }
        )
    return to_frame(records)


# --------------------------------------------------------------------------- receptors


def make_sensitive_receptors(
    counties: gpd.GeoDataFrame, parks: gpd.GeoDataFrame, seed: int
) -> gpd.GeoDataFrame:
    """居住区 (polygons), 学校 / 医院 / 养老机构 (points) in county towns; villages by the parks.

    The county town is the county's representative point, the centre of the town the demo's
    urban boundary is drawn around (:func:`zoning.datasets.generate.make_urban_boundaries`).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4490, points and polygons; columns ``编码``, ``名称``, ``类型`` (zone, Chinese),
        ``county_adcode``, ``illustrative``.
    """
    rng = np.random.default_rng(seed)
    cnt = counties.to_crs(ALBERS_CHINA).reset_index(drop=True)
    records: list[dict[str, Any]] = []

    def offset(p: Point, lo: float, hi: float) -> Point:
        ang, d = rng.uniform(0, 2 * np.pi), rng.uniform(lo, hi)
        return Point(p.x + d * np.cos(ang), p.y + d * np.sin(ang))

    for i, row in cnt.iterrows():
        town = row.geometry.representative_point()
        name, code = row["name"], row["adcode"]
        items = [
            ("居住区", f"{name}城区集中居住区（示意）", blob(offset(town, 0, 400), 700, rng)),
            ("学校", f"{name}第一中学（示意）", offset(town, 300, 1200)),
            ("医院", f"{name}人民医院（示意）", offset(town, 300, 1200)),
        ]
        if i % 3 == 0:
            items.append(("养老机构", f"{name}社会福利院（示意）", offset(town, 500, 1500)))
        for j, (kind, label, geom) in enumerate(items, start=1):
            records.append(
                {
                    "编码": f"MG{code}{j:02d}",
                    "名称": label,
                    "类型": kind,
                    "county_adcode": code,
                    "illustrative": 1,
                    "geometry": geom,
                }
            )
    for _, park in parks.to_crs(ALBERS_CHINA).iterrows():
        outline = park.geometry
        c, r0 = outline.centroid, np.sqrt(outline.area / np.pi)
        for k in range(2):
            # a village 0.8–2.5 km beyond the park's edge (its mean radius r0)
            for _ in range(20):
                ang, out = rng.uniform(0, 2 * np.pi), rng.uniform(800, 2500)
                v = Point(c.x + (r0 + out) * np.cos(ang), c.y + (r0 + out) * np.sin(ang))
                if outline.distance(v) >= 600:
                    break
            in_county = cnt.index[cnt.geometry.contains(v)]
            if not len(in_county):  # beyond the province: no village of this demo
                continue
            county = cnt.loc[in_county[0], "adcode"]
            records.append(
                {
                    "编码": f"MG{park['编码']}V{k + 1}",
                    "名称": f"{park['名称'].removesuffix('（示意）')}周边村庄{k + 1}（示意）",
                    "类型": "村庄",
                    "county_adcode": county,
                    "illustrative": 1,
                    "geometry": blob(v, rng.uniform(200, 400), rng),
                }
            )
    gdf = gpd.GeoDataFrame(records, geometry="geometry", crs=ALBERS_CHINA).to_crs(CGCS2000)
    gdf["geometry"] = shapely.make_valid(gdf.geometry.to_numpy())
    return gdf.reset_index(drop=True)


# --------------------------------------------------------------------------- 禁养区


def make_no_farming_zones(
    counties: gpd.GeoDataFrame,
    water_source: gpd.GeoDataFrame,
    protected_area: gpd.GeoDataFrame,
    urban_boundary: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Livestock 禁养区 and 限养区 per county, delineated as the 2016 guideline does.

    禁养区: level-1 and level-2 water-source zones, the cores and buffers of reserves, scenic
    areas, and the towns (the urban development boundary standing in for 城镇居民区和文化教育科学
    研究区). 限养区: the quasi-protection zones outside them. The overlay runs in EPSG:4490, so
    the two classes stay disjoint without a reprojection.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4490; columns ``编码``, ``名称``, ``分区`` (zone, Chinese), ``county_adcode``,
        ``illustrative``.
    """

    def union(frames: list[gpd.GeoDataFrame]) -> BaseGeometry:
        geoms = [g for f in frames if len(f) for g in f.to_crs(CGCS2000).geometry]
        return shapely.union_all(geoms) if geoms else shapely.Polygon()

    ws, pa = water_source, protected_area
    closed = union(
        [
            ws[ws["级别"].isin(["一级保护区", "二级保护区"])],
            pa[pa["功能分区"].isin(["核心区", "缓冲区", "核心保护区"])],
            pa[pa["保护地类型"] == "风景名胜区"],
            urban_boundary,
        ]
    )
    limited = shapely.difference(union([ws[ws["级别"] == "准保护区"]]), closed)
    cty = counties.to_crs(CGCS2000).reset_index(drop=True)
    records = []
    for _, row in cty.iterrows():
        for digit, zone, geom in (
            (1, "禁养区", closed),
            (2, "限养区", limited),
        ):
            part = polygonal(shapely.intersection(row.geometry, geom))
            if part.is_empty or part.area < 1e-6:  # ≈ 0.01 km²
                continue
            records.append(
                {
                    "编码": f"JYQ{row['adcode']}{digit}",
                    "名称": f"{row['name']}畜禽养殖{zone}（示意）",
                    "分区": zone,
                    "county_adcode": row["adcode"],
                    "illustrative": 1,
                    "geometry": part,
                }
            )
    return to_frame(records, crs=CGCS2000)


# --------------------------------------------------------------------------- 污染地块


def make_contaminated_land(
    counties: gpd.GeoDataFrame, urban_boundary: gpd.GeoDataFrame, seed: int, n_extra: int = 14
) -> gpd.GeoDataFrame:
    """Make a register of contaminated plots.

    The relocated works the seeds name, and ``n_extra`` more in county towns drawn from the
    seed, each with a register status and former industry.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4490; columns ``编码``, ``名称``, ``地块状态`` (zone, Chinese), ``原行业``,
        ``county_adcode``, ``illustrative``.
    """
    rng = np.random.default_rng(seed)
    cnt = counties.to_crs(ALBERS_CHINA).reset_index(drop=True)
    towns = urban_boundary.to_crs(ALBERS_CHINA).set_index("county_adcode").geometry
    picks = [(name, ind, status) for name, ind, status in SEED_PLOTS]
    others = cnt[~cnt["name"].isin([p[0] for p in SEED_PLOTS])]
    for i in rng.choice(len(others), size=min(n_extra, len(others)), replace=False):
        status = _STATUSES[int(rng.choice(3, p=[0.35, 0.45, 0.2]))]
        picks.append((others["name"].iloc[int(i)], _INDUSTRIES[rng.integers(0, 6)], status))
    records: list[dict[str, Any]] = []
    taken: list[BaseGeometry] = []
    for k, (name, industry, status) in enumerate(picks, start=1):
        row = cnt[cnt["name"] == name].iloc[0]
        within = towns.get(row["adcode"], row.geometry)
        within = within.intersection(row.geometry)
        avoid = shapely.STRtree([g.buffer(300) for g in taken])
        plot = _place(
            rng,
            row.geometry.representative_point(),
            within,
            avoid,
            (800, 4000),
            rng.uniform(150, 380),
        )
        if plot.is_empty:
            continue
        taken.append(plot)
        records.append(
            {
                "编码": f"WRDK{row['adcode']}{k:02d}",
                "名称": f"{name}{industry}厂搬迁{status.removesuffix('名录')}（示意）"
                if status != "已移出名录"
                else f"{name}{industry}厂原址地块（已修复，示意）",
                "地块状态": status,
                "原行业": industry,
                "county_adcode": row["adcode"],
                "illustrative": 1,
                "geometry": plot,
            }
        )
    return to_frame(records)


# --------------------------------------------------------------------------- recharge areas


def make_groundwater_recharge(cities: gpd.GeoDataFrame, seed: int) -> gpd.GeoDataFrame:
    """Draw karst and groundwater-source recharge areas.

    Karst recharge areas around the demo spring areas and recharge areas of groundwater
    sources upstream of five city seats (recharge areas of different sources may overlap).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4490; columns ``编码``, ``名称``, ``补给区类型`` (zone, Chinese), ``illustrative``.
    """
    rng = np.random.default_rng(seed)
    records: list[dict[str, Any]] = []
    for i, (name, (lon, lat), _r_key, r_all) in enumerate(SPRINGS, start=1):
        vent = _albers_point(lon, lat)
        ang, d = rng.uniform(0, 2 * np.pi), rng.uniform(0.5, 0.8) * r_all
        centre = Point(vent.x + d * np.cos(ang), vent.y + d * np.sin(ang))
        records.append(
            {
                "编码": f"BJQ{i:02d}",
                "名称": f"{name.removesuffix('泉域')}泉岩溶地下水补给区（示意）",
                "补给区类型": "岩溶地下水补给区",
                "illustrative": 1,
                "geometry": blob(centre, rng.uniform(0.8, 1.0) * r_all, rng),
            }
        )
    cty = cities.to_crs(ALBERS_CHINA).set_index("adcode")
    for adcode in RECHARGE_CITIES:
        if adcode not in cty.index:
            continue
        seat = _albers_point(*CITY_SEATS[adcode])
        area = _place(
            rng,
            seat,
            cty.loc[adcode, "geometry"].buffer(-2000),
            None,
            (8000, 15000),
            rng.uniform(6000, 9000),
        )
        records.append(
            {
                "编码": f"BJS{adcode}",
                "名称": f"{cty.loc[adcode, 'name']}地下水型水源地补给径流区（示意）",
                "补给区类型": "地下水型水源地补给径流区",
                "illustrative": 1,
                "geometry": area,
            }
        )
    return to_frame(records)
