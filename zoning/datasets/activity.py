"""The demo's illustrative human-activity patches (人类活动遥感监测图斑, ILLUSTRATIVE).

Real monitoring patches are not public. These are generated from a seed around the demo's
(also illustrative) red line and protected areas, so that ``zoning ledger supervise`` has
something to screen: mining, industry, housing, tourism, roads (some shown necessary and
unavoidable, some not, some unknown), solar farms and farming, a few outside the red line.
Every feature is labelled ``illustrative = 1`` and named “（示意）”.

They live in their own file next to the demo (``human_activity.gpkg``) with a catalogue that
adds them to the demo layers (``catalog-supervision.toml``), so the demo catalogue itself and
every product built on it stay as they were.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from zoning.crs import ALBERS_CHINA

__all__ = ["SUPERVISION_CATALOG", "make_activity_patches", "write_supervision_catalog"]

#: file name of the demo catalogue with the patches
SUPERVISION_CATALOG = "catalog-supervision.toml"

# (activity type as found in monitoring data, side or length in m, necessary_and_unavoidable)
_PATCH_TYPES = [
    ("采矿", 600.0, ""),
    ("采石场", 350.0, ""),
    ("工业", 400.0, ""),
    ("道路", 3000.0, "是"),
    ("道路", 2000.0, "否"),
    ("道路", 1500.0, ""),
    ("光伏", 800.0, ""),
    ("旅游设施", 250.0, ""),
    ("房屋", 200.0, ""),
    ("开垦", 500.0, ""),
]


def _patch(x: float, y: float, size: float, road: bool, angle: float) -> shapely.Geometry:
    if road:
        shape = shapely.box(-size / 2, -10.0, size / 2, 10.0)  # a 20 m wide strip
    else:
        shape = shapely.box(-size / 2, -size / 2, size / 2, size / 2)
    c, s = np.cos(angle), np.sin(angle)
    return shapely.affinity.affine_transform(shape, [c, -s, s, c, x, y])


def make_activity_patches(
    redline: gpd.GeoDataFrame, protected: gpd.GeoDataFrame, seed: int, *, n: int = 60
) -> gpd.GeoDataFrame:
    """Illustrative change patches around the red line and protected areas (EPSG:4490).

    Parameters
    ----------
    redline, protected : geopandas.GeoDataFrame
        The demo's red line and protected areas (any CRS).
    seed : int
        The same seed gives the same patches.
    n : int
        Patches placed in red-line features; a sixth as many go in protected areas and a
        sixth outside both.
    """
    rng = np.random.default_rng(seed)
    red = redline.to_crs(ALBERS_CHINA)
    red = red.iloc[np.argsort(red.geometry.area.to_numpy())[::-1][: max(n * 2, 1)]]
    pa = protected.to_crs(ALBERS_CHINA)
    anchors = []
    for frame, count, offset in ((red, n, 0.0), (pa, n // 6, 0.0), (red, n // 6, 15_000.0)):
        if not len(frame):
            continue
        picks = rng.choice(len(frame), size=count, replace=len(frame) < count)
        for k in picks:
            p = frame.geometry.iloc[int(k)].representative_point()
            anchors.append((p.x + offset, p.y + offset / 2))
    rows, geoms = [], []
    for i, (x, y) in enumerate(anchors):
        kind, size, necessary = _PATCH_TYPES[int(rng.integers(len(_PATCH_TYPES)))]
        size *= float(rng.uniform(0.6, 1.4))
        road = kind == "道路"
        geoms.append(_patch(x, y, size, road, float(rng.uniform(0, np.pi))))
        rows.append(
            {
                "图斑编号": f"RS2024{i + 1:04d}",
                "名称": f"{kind}变化图斑（示意）{i + 1}",
                "活动类型": kind,
                "necessary_and_unavoidable": necessary,
                "监测年份": 2024,
                "illustrative": 1,
            }
        )
    out = gpd.GeoDataFrame(rows, geometry=geoms, crs=ALBERS_CHINA)
    return out.to_crs("EPSG:4490")


_ENTRY = """
[[layers]]
kind = "human_activity"
path = "human_activity.gpkg"
layer = "human_activity"
zone_field = "活动类型"
name_field = "名称"
id_field = "图斑编号"
illustrative = true
source = "illustrative (generated from seed {seed} around the demo red line, not real data)"
licence = "generated"
vintage = "demo-2024"
"""


def write_supervision_catalog(demo_dir: Path, seed: int) -> Path:
    """Write ``human_activity.gpkg`` and ``catalog-supervision.toml`` into the demo folder."""
    from zoning.io import atomic_write_text, read_vector, write_vector

    gpkg = demo_dir / "demo.gpkg"
    patches = make_activity_patches(
        read_vector(gpkg, layer="eco_redline"), read_vector(gpkg, layer="protected_area"), seed
    )
    write_vector(patches, demo_dir / "human_activity.gpkg", layer="human_activity", overwrite=True)
    text = (demo_dir / "catalog.toml").read_text(encoding="utf-8")
    text = text.replace(
        "# Shanxi demo catalogue", "# Shanxi demo catalogue with human-activity patches", 1
    )
    path = demo_dir / SUPERVISION_CATALOG
    atomic_write_text(path, text + _ENTRY.format(seed=seed), overwrite=True)
    return path
