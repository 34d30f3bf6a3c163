"""The GCJ-02 check of a screening: prepared once per index, the same answer as before.

``zoning.screening.site.gcj02_warning`` used to run :func:`zoning.gcj02.detect_gcj02` on every
call against the counties whose envelope comes within 0.05° of the sites. It now prepares the
county boundaries once per index and Gauss–Krüger zone and searches only as far as the answer
needs. The reference below is the former code, written out here; every site must get the
same warning (text included) from both.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import box

from zoning import gcj02 as zg
from zoning.screening.index import build_index
from zoning.screening.site import gcj02_warning


@pytest.fixture(scope="module")
def counties() -> gpd.GeoDataFrame:
    """Irregular county polygons around Taiyuan: a seeded Voronoi tessellation (CGCS2000)."""
    rng = np.random.default_rng(11)
    frame = box(111.8, 37.3, 113.2, 38.4)
    pts = shapely.multipoints(
        np.column_stack([rng.uniform(111.8, 113.2, 30), rng.uniform(37.3, 38.4, 30)])
    )
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=frame)), frame
    )
    return gpd.GeoDataFrame(
        {"zone": ["county"] * len(cells), "code": [f"1401{i:02d}" for i in range(len(cells))]},
        geometry=cells,
        crs="EPSG:4490",
    )


def _reference_warning(sites: gpd.GeoDataFrame, admin: gpd.GeoDataFrame) -> list[str]:
    """The former ``gcj02_warning``: detect_gcj02 against the counties near the sites."""
    minx, miny, maxx, maxy = sites.total_bounds
    near = box(minx - 0.05, miny - 0.05, maxx + 0.05, maxy + 0.05)
    ref = admin[shapely.intersects(near, shapely.envelope(admin.geometry.values))]
    if not len(ref):
        return []
    check = zg.detect_gcj02(sites, ref, sample=400)
    if check.likely_gcj02:
        return [
            f"sites look GCJ-02 shifted (median misfit {check.offset_m:.0f} m against admin "
            f"boundaries, {check.offset_after_correction_m:.0f} m after correction): "
            f"{check.message}"
        ]
    return []


def _sites(counties: gpd.GeoDataFrame) -> list[gpd.GeoDataFrame]:
    """Sites on county boundaries (as given and GCJ-02 shifted), inside counties, far away."""
    rng = np.random.default_rng(5)
    out = []
    vertices = shapely.get_coordinates(counties.boundary.values)
    inner = vertices[
        (vertices[:, 0] > 111.9) & (vertices[:, 0] < 113.1)
        & (vertices[:, 1] > 37.4) & (vertices[:, 1] < 38.3)
    ]  # fmt: skip
    for k, (x, y) in enumerate(inner[rng.choice(len(inner), 12, replace=False)]):
        d = 0.004 + 0.002 * (k % 3)
        cell = box(x - d, y - d, x + d, y + d)
        piece = shapely.intersection(counties.geometry.values, cell)
        piece = piece[~shapely.is_empty(piece) & (shapely.area(piece) > 0)]
        # a polygon sharing county boundaries, and the boundary line itself
        poly = gpd.GeoDataFrame(geometry=[piece[0]], crs="EPSG:4490")
        line = gpd.GeoDataFrame(
            geometry=[shapely.intersection(counties.boundary.union_all(), cell)], crs="EPSG:4490"
        )
        for site in (poly, line):
            out.append(site)
            out.append(zg.to_gcj02(site).set_crs("EPSG:4490", allow_override=True))
    for x, y in rng.uniform((111.9, 37.4), (113.1, 38.3), size=(8, 2)):  # anywhere
        out.append(gpd.GeoDataFrame(geometry=[box(x, y, x + 0.003, y + 0.003)], crs="EPSG:4490"))
        out.append(gpd.GeoDataFrame(geometry=[shapely.Point(x, y)], crs="EPSG:4490"))
    out.append(gpd.GeoDataFrame(geometry=[box(100, 30, 100.01, 30.01)], crs="EPSG:4490"))
    return out


def test_prepared_check_gives_the_former_warning(counties: gpd.GeoDataFrame) -> None:
    index = build_index({"admin_unit": counties})
    got, want = [], []
    for site in _sites(counties):
        want.append(_reference_warning(site, counties))
        got.append(gcj02_warning(site, index))
    assert got == want
    flagged = sum(bool(w) for w in want)
    # the comparison means something: shifted boundary sites are flagged, the others are not
    assert 12 <= flagged < len(want) - 10, flagged
    assert index._gcj02_refs  # the boundaries were prepared, and reused


def test_bounded_check_declines_beyond_its_reach(counties: gpd.GeoDataFrame) -> None:
    import pyproj

    site = zg.to_gcj02(
        gpd.GeoDataFrame(geometry=[counties.geometry.iloc[3]], crs="EPSG:4490")
    ).set_crs("EPSG:4490", allow_override=True)
    ref = zg.Gcj02Reference(counties, pyproj.CRS.from_epsg(4547))
    # the answer needs boundaries up to near_m + 2 × shift (~3 km) away: 2 km is not enough
    assert ref.check(site, sample=400, reach_m=2000.0) is None
    bounded = ref.check(site, sample=400, reach_m=10_000.0)
    full = zg.detect_gcj02(site, counties, sample=400)
    assert bounded is not None and bounded.likely_gcj02
    assert (bounded.offset_m, bounded.offset_after_correction_m, bounded.message) == (
        full.offset_m,
        full.offset_after_correction_m,
        full.message,
    )
