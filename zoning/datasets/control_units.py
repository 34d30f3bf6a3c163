"""Illustrative 三线一单 environmental control units of the demo, with their access lists.

Units are derived the way real ones are (priority: ecological space; key: towns and mining
areas; general: the rest of the county) and carry an illustrative 生态环境准入清单, one field per
dimension, each sentence drawn from what the seeds require of such areas.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from zoning.crs import CGCS2000
from zoning.datasets.shapes import polygonal, to_frame

__all__ = ["ACCESS_LIST", "make_control_units"]

#: illustrative 生态环境准入清单 per unit class, one field per dimension (the way real unit layers
#: carry them), each sentence drawn from what the seeds require of such areas
ACCESS_LIST: dict[str, dict[str, str]] = {
    "优先保护单元": {
        "空间布局约束": "执行生态保护红线和自然保护地管理要求，禁止开发性、生产性建设活动；"
        "饮用水水源保护区内禁止新建、扩建与供水设施和保护水源无关的建设项目。",
        "污染物排放管控": "不新增污染物排放，现有污染源限期整治或有序退出。",
        # 000 L1620
        "环境风险防控": "防范地下水型水源地补给径流区内垃圾填埋场、危险废物处置场、煤炭开采、"
        "煤化工等典型污染源的环境风险。",
        # 004 L410
        "资源利用效率": "保障生态用水；在引水工程或者当地地表水源能满足用水的区域，禁止或者限制"
        "岩溶水的开采。",
    },
    "重点管控单元": {
        # 000 L1657, L1719
        "空间布局约束": "新建企业原则上均应建在工业集聚区；新增省级工业集聚区同步规划、建设污水"
        "集中处理和中水回用设施。",
        # 002 L313
        "污染物排放管控": "实施污染物排放总量控制和减量替代；新增化工园区实现废水不外排。",
        # 004 L572
        "环境风险防控": "重点加强煤层气开采、分输、液化、加气站建设、煤化工产业的重大危险源的环境"
        "风险防控工作。",
        # 004 L418
        "资源利用效率": "严格实行区域用水总量控制和取水许可限批政策，落实能耗双控。",
    },
    "一般管控单元": {
        # 000 L2905
        "空间布局约束": "落实普适性生态环境保护要求；优化畜禽养殖空间布局，规范养殖行为，严禁"
        "河道放牧。",
        # 000 L2907-2911
        "污染物排放管控": "执行国家和省污染物排放标准；推进养殖场粪污处理设施建设和畜禽粪污资源化"
        "利用。",
        # 003 L203
        "环境风险防控": "在永久基本农田集中区域，不得新建可能造成土壤污染的建设项目。",
        # 004 L420
        "资源利用效率": "严格审批打井许可，减少地下水开采，节约集约利用土地和水资源。",
    },
}


def make_control_units(
    counties: gpd.GeoDataFrame, layers: Mapping[str, gpd.GeoDataFrame]
) -> gpd.GeoDataFrame:
    """三线一单 environmental control units derived the way real ones are.

    Priority units: ecological space (red line, protected areas, level-1/2 water zones);
    key units: towns and mining areas (urban boundary, subsidence) outside ecological
    space; general units: the rest of the county. The units of a county tile it exactly
    (the overlay runs in EPSG:4490, so no reprojection breaks the tiling).
    """

    def union(frames: list[gpd.GeoDataFrame]) -> BaseGeometry:
        geoms = [g for f in frames for g in f.to_crs(CGCS2000).geometry]
        return shapely.union_all(geoms) if geoms else shapely.Polygon()

    ws = layers["water_source"]
    eco = union(
        [
            layers["eco_redline"],
            layers["protected_area"],
            ws[ws["级别"].isin(["一级保护区", "二级保护区"])],
        ]
    )
    dev = union([layers["urban_boundary"], layers["subsidence"]])
    cty = counties.to_crs(CGCS2000).reset_index(drop=True)
    records = []
    for _, row in cty.iterrows():
        county = row.geometry
        pri = polygonal(shapely.intersection(county, eco))
        key = polygonal(shapely.difference(shapely.intersection(county, dev), pri))
        gen = polygonal(shapely.difference(shapely.difference(county, pri), key))
        for digit, cls, geom in (
            (1, "优先保护单元", pri),
            (2, "重点管控单元", key),
            (3, "一般管控单元", gen),
        ):
            if geom.is_empty or geom.area < 1e-6:  # ≈ 0.01 km²
                continue
            records.append(
                {
                    "编码": f"ZH{row['adcode']}{digit}0001",
                    "名称": f"{row['name']}{cls}",
                    "管控类别": cls,
                    **ACCESS_LIST[cls],
                    "county_adcode": row["adcode"],
                    "illustrative": 1,
                    "geometry": geom,
                }
            )
    return to_frame(records, crs=CGCS2000)
