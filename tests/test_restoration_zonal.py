"""Exact partial-cell zonal statistics (zoning.restoration.zonal), checked by hand and
against exactextract.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, Polygon, box

from zoning.errors import CRSError, LayerValidationError
from zoning.restoration.zonal import build_zone_index, coverage_fractions, zonal_stats

UNIT = Affine(1, 0, 0, 0, -1, 4)  # 4 x 4 grid of unit cells, x 0..4, y 0..4


def test_half_covered_cell_gets_half():
    # the polygon covers the left half of the top-left cell exactly: area 0.5 of a unit cell
    idx = build_zone_index([box(0, 3, 0.5, 4)], shape=(4, 4), transform=UNIT)
    cov = coverage_fractions(idx, 0)
    assert cov[0, 0] == 0.5
    assert cov.sum() == 0.5


def test_square_offset_by_half_cells():
    # box 0.5..2.5 x 0.5..2.5: corners 0.25, edges 0.5, the centre cell (1, 2) fully inside
    idx = build_zone_index([box(0.5, 0.5, 2.5, 2.5)], shape=(4, 4), transform=UNIT)
    cov = coverage_fractions(idx, 0)
    expected = np.array(
        [
            [0, 0, 0, 0],
            [0.25, 0.5, 0.25, 0],
            [0.5, 1.0, 0.5, 0],
            [0.25, 0.5, 0.25, 0],
        ]
    )
    np.testing.assert_allclose(cov, expected, atol=1e-15)


def test_triangle_matches_shapely_cell_by_cell():
    tri = Polygon([(0.3, 0.2), (3.9, 1.1), (1.7, 3.8)])
    idx = build_zone_index([tri], shape=(4, 4), transform=UNIT)
    cov = coverage_fractions(idx, 0)
    brute = np.array(
        [[tri.intersection(box(c, 3 - r, c + 1, 4 - r)).area for c in range(4)] for r in range(4)]
    )
    np.testing.assert_allclose(cov, brute, atol=1e-12)


def test_hole_is_subtracted():
    donut = box(0, 0, 4, 4).difference(box(1, 1, 3, 3))
    idx = build_zone_index([donut], shape=(4, 4), transform=UNIT)
    assert idx.coverage_count[0] == pytest.approx(12.0)
    assert coverage_fractions(idx, 0)[1:3, 1:3].sum() == 0


def test_polygon_beyond_the_raster_is_clipped():
    # 2 x 6 box overhanging both sides: inside the grid 4 cells wide, 2 tall -> 8 cells
    idx = build_zone_index([box(-1, 1, 5, 3)], shape=(4, 4), transform=UNIT)
    assert idx.coverage_count[0] == pytest.approx(8.0)


def test_mean_sum_count_by_hand():
    # left zone covers columns 0-1 fully and half of column 2; values = column number
    values = np.tile(np.arange(4, dtype=np.float32), (4, 1))
    idx = build_zone_index([box(0, 0, 2.5, 4)], shape=(4, 4), transform=UNIT)
    out = zonal_stats(idx, {"v": values}, stats=("count", "sum", "mean", "min", "max"))
    # count = 4 rows x 2.5 cells = 10; sum = 4 x (0 + 1 + 0.5 x 2) = 8; mean 0.8
    assert out.loc[0, "v_count"] == pytest.approx(10.0)
    assert out.loc[0, "v_sum"] == pytest.approx(8.0)
    assert out.loc[0, "v_mean"] == pytest.approx(0.8)
    assert out.loc[0, "v_min"] == 0.0
    assert out.loc[0, "v_max"] == 2.0


def test_nodata_and_nan_are_left_out():
    values = np.ones((4, 4), dtype=np.float32)
    values[0, 0] = -9999
    values[3, 3] = np.nan
    idx = build_zone_index([box(0, 0, 4, 4)], shape=(4, 4), transform=UNIT)
    out = zonal_stats(idx, {"v": values}, nodata=-9999)
    assert out.loc[0, "v_count"] == pytest.approx(14.0)
    assert out.loc[0, "v_sum"] == pytest.approx(14.0)
    # a zone wholly in nodata has a count of 0 and no mean
    idx2 = build_zone_index([box(0, 3, 1, 4)], shape=(4, 4), transform=UNIT)
    out2 = zonal_stats(idx2, {"v": values}, nodata=-9999)
    assert out2.loc[0, "v_count"] == 0
    assert np.isnan(out2.loc[0, "v_mean"])


def test_overlapping_zones_each_get_their_share():
    values = np.arange(16, dtype=np.float64).reshape(4, 4)
    zones = [box(0, 0, 4, 4), box(0, 0, 2, 4), box(1, 0, 3, 4)]
    idx = build_zone_index(zones, shape=(4, 4), transform=UNIT)
    assert not idx.disjoint
    out = zonal_stats(idx, {"v": values}, stats=("sum", "count"))
    # whole grid: 0+...+15 = 120; columns 0-1: (0+1)+(4+5)+(8+9)+(12+13) = 52;
    # columns 1-2: (1+2)+(5+6)+(9+10)+(13+14) = 60
    assert out["v_sum"].tolist() == pytest.approx([120.0, 52.0, 60.0])
    assert out["v_count"].tolist() == pytest.approx([16.0, 8.0, 8.0])


def test_rasters_on_other_grids_are_refused(tmp_path):
    import rasterio

    idx = build_zone_index([box(0, 0, 2, 2)], shape=(4, 4), transform=UNIT, crs="EPSG:4547")
    with pytest.raises(CRSError, match="shape"):
        zonal_stats(idx, {"v": np.ones((5, 4))})
    path = tmp_path / "r.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="float32",
        transform=Affine(2, 0, 0, 0, -2, 8),
        crs="EPSG:4547",
    ) as dst:
        dst.write(np.ones((4, 4), dtype=np.float32), 1)
    with pytest.raises(CRSError, match="resolution"):
        zonal_stats(idx, {"v": path})
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="float32",
        transform=UNIT,
        crs="EPSG:4326",
    ) as dst:
        dst.write(np.ones((4, 4), dtype=np.float32), 1)
    with pytest.raises(CRSError, match="align_raster"):
        zonal_stats(idx, {"v": path})


def test_non_polygons_are_refused():
    with pytest.raises(LayerValidationError, match="not polygons"):
        build_zone_index([Point(1, 1)], shape=(4, 4), transform=UNIT)


def test_vertices_far_off_or_not_finite_are_refused():
    # an edge from a billion cells away, or from NaN, cannot be walked cell by cell
    far = Polygon([(0, 0), (2e9, 0), (0, 2)])
    with np.errstate(invalid="ignore"):  # shapely warns about the NaN, rightly
        nan = Polygon([(0, 0), (float("nan"), 1), (0, 2)])
    for bad in (far, nan):
        with (
            np.errstate(invalid="ignore"),
            pytest.raises(LayerValidationError, match="zone 1 has vertices that are not finite"),
        ):
            build_zone_index([box(0, 0, 1, 1), bad], shape=(4, 4), transform=UNIT)
    # far off but within reach: an ordinary zone outside the grid, nothing covered
    idx = build_zone_index([box(5e5, 5e5, 5e5 + 1, 5e5 + 1)], shape=(4, 4), transform=UNIT)
    assert idx.coverage_count.tolist() == [0.0]


def _random_zones(rng, n=40):
    zones = []
    for i in range(n):
        c = Point(rng.uniform(5, 150), rng.uniform(20, 100))
        p = c.buffer(rng.uniform(0.3, 30), quad_segs=int(rng.integers(2, 12)))
        if i % 4 == 0:
            p = p.difference(c.buffer(p.length / rng.uniform(20, 60)))
        zones.append(p)
    zones.append(shapely.MultiPolygon([box(-5, 50, 3, 60), box(150, 10, 170, 15)]))
    zones.append(box(20.01, 40.03, 20.05, 40.07))  # smaller than one cell
    return zones


def test_matches_exactextract(tmp_path):
    import geopandas as gpd
    import rasterio
    from exactextract import exact_extract

    rng = np.random.default_rng(5)
    height, width = 300, 400
    transform = Affine(0.37, 0, 10.0, 0, -0.29, 100.0)
    values = rng.random((height, width)).astype(np.float32)
    values[5:60, 5:80] = np.nan
    path = tmp_path / "v.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        transform=transform,
        crs="EPSG:4547",
        nodata=np.nan,
    ) as dst:
        dst.write(values, 1)
    zones = gpd.GeoDataFrame(geometry=_random_zones(rng), crs="EPSG:4547")
    idx = build_zone_index(zones, shape=(height, width), transform=transform, crs="EPSG:4547")
    ours = zonal_stats(idx, {"v": path}, stats=("count", "sum", "mean", "min", "max"))
    theirs = exact_extract(
        str(path), zones, ["count", "sum", "mean", "min", "max"], output="pandas"
    )
    for stat in ("count", "sum", "mean", "min", "max"):
        np.testing.assert_allclose(
            ours[f"v_{stat}"].to_numpy(),
            theirs[stat].to_numpy(),
            rtol=1e-6,
            atol=1e-6,
            err_msg=stat,
        )
    # areas of the zone parts inside the grid, independently from shapely
    extent = box(10.0, 100.0 - height * 0.29, 10.0 + width * 0.37, 100.0)
    clipped_area = zones.geometry.intersection(extent).area.to_numpy()
    np.testing.assert_allclose(idx.coverage_count * 0.37 * 0.29, clipped_area, rtol=1e-9)


def test_nan_in_a_boundary_cell_only():
    # the offset square of test_square_offset_by_half_cells covers 4 cells in total;
    # its top-left corner cell (coverage 0.25) is NaN: count 3.75, mean of ones = 1
    values = np.ones((4, 4), dtype=np.float32)
    values[1, 0] = np.nan
    idx = build_zone_index([box(0.5, 0.5, 2.5, 2.5)], shape=(4, 4), transform=UNIT)
    out = zonal_stats(idx, {"v": values})
    assert out.loc[0, "v_count"] == pytest.approx(3.75)
    assert out.loc[0, "v_mean"] == pytest.approx(1.0)


@pytest.mark.parametrize("rows", [1, 7, 64])
def test_row_chunks_do_not_change_results(tmp_path, rows):
    import rasterio

    rng = np.random.default_rng(11)
    height, width = 90, 70
    transform = Affine(1, 0, 0, 0, -1, height)
    values = rng.random((height, width)).astype(np.float32)
    values[10:20, 5:30] = np.nan
    values[50:52, :] = -1  # nodata rows
    zones = [Point(20, 40).buffer(15), box(3.3, 3.3, 60.6, 30.1), Point(50, 70).buffer(12)]
    idx = build_zone_index(zones, shape=(height, width), transform=transform)
    stats = ("count", "sum", "mean", "min", "max")
    whole = zonal_stats(idx, {"v": values}, stats=stats, nodata=-1, rows=height)
    chunked = zonal_stats(idx, {"v": values}, stats=stats, nodata=-1, rows=rows)
    np.testing.assert_allclose(chunked.to_numpy(), whole.to_numpy(), rtol=1e-12)
    path = tmp_path / "v.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        transform=transform,
        nodata=-1,
        tiled=True,
        blockxsize=16,
        blockysize=16,
    ) as dst:
        dst.write(values, 1)
    from_file = zonal_stats(idx, {"v": path}, stats=stats, rows=rows)
    np.testing.assert_allclose(from_file.to_numpy(), whole.to_numpy(), rtol=1e-12)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0, 0.5, 1, 1.25, 2, 3, 3.5, 4, 5, 6, -1, 7]),
            st.floats(-1, 7, allow_nan=False),
        ),
        min_size=3,
        max_size=9,
    ),
    st.booleans(),
)
def test_coverage_equals_cell_by_cell_intersection(points, swap):
    # hulls of points on and off the grid lines (vertices at corners, edges along lines,
    # parts outside the grid): every cell's fraction equals shapely's intersection area
    from shapely import MultiPoint

    pts = [(y, x) if swap else (x, y) for x, y in points]
    hull = MultiPoint(pts).convex_hull
    if hull.geom_type != "Polygon" or hull.area < 1e-9:
        return
    transform = Affine(1, 0, 0, 0, -1, 6)
    idx = build_zone_index([hull], shape=(6, 6), transform=transform)
    cov = coverage_fractions(idx, 0)
    brute = np.array(
        [[hull.intersection(box(c, 5 - r, c + 1, 6 - r)).area for c in range(6)] for r in range(6)]
    )
    np.testing.assert_allclose(cov, brute, atol=1e-9)


def _write_tiled(path, values, transform, **options):
    import rasterio

    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype=values.dtype,
        transform=transform,
        crs="EPSG:4547",
        tiled=True,
        blockxsize=16,
        blockysize=16,
        **options,
    ) as dst:
        dst.write(values, 1)
    return path


def test_matches_exactextract_to_1e8_by_hand_and_at_random(tmp_path):
    # count, sum, mean through the in-place path (uncompressed tiled GeoTIFF, blocks 16 x 16,
    # runs crossing block edges): agreement to 1e-8 relative with exactextract
    import geopandas as gpd
    from exactextract import exact_extract

    rng = np.random.default_rng(8)
    height, width = 100, 90
    transform = Affine(1, 0, 0, 0, -1, height)
    values = np.arange(height * width, dtype=np.float32).reshape(height, width) % 7
    values[40:45, 10:80] = np.nan
    path = _write_tiled(tmp_path / "v.tif", values, transform, nodata=np.nan)
    # by hand: box 10.5..20.5 x 50.5..60.5 (rows 39.5..49.5 from the top): 10 x 10 cells of
    # area, half cells on the edges; NaN rows 40..44 take 5 full rows out of the middle
    hand = box(10.5, 50.5, 20.5, 60.5)
    zones = gpd.GeoDataFrame(geometry=[hand, *_random_zones(rng)], crs="EPSG:4547")
    idx = build_zone_index(zones, shape=(height, width), transform=transform, crs="EPSG:4547")
    ours = zonal_stats(idx, {"v": path}, stats=("count", "sum", "mean"))
    assert ours.loc[0, "v_count"] == pytest.approx(100 - 5 * 10, rel=1e-15)
    cov = coverage_fractions(idx, 0)
    ok = ~np.isnan(values)
    expected_sum = float((cov * np.where(ok, values, 0)).sum())
    assert ours.loc[0, "v_sum"] == pytest.approx(expected_sum, rel=1e-12)
    theirs = exact_extract(str(path), zones, ["count", "sum", "mean"], output="pandas")
    # exactextract keeps each cell's coverage fraction in float32 (relative error up to
    # 6e-8 per cell; 2.5e-8 seen on counts of tiny zones): means agree to 1e-8, counts and
    # sums to float32 rounding; the hand-checkable zone agrees to 1e-12 throughout
    for stat, rtol in (("mean", 1e-8), ("count", 1e-7), ("sum", 1e-7)):
        np.testing.assert_allclose(
            ours[f"v_{stat}"].to_numpy(), theirs[stat].to_numpy(), rtol=rtol, err_msg=stat
        )
        assert ours.loc[0, f"v_{stat}"] == pytest.approx(theirs.loc[0, stat], rel=1e-12)


def test_every_input_path_gives_the_same_bits(tmp_path):
    # an array, an uncompressed tiled file (memory map, blocks in place), a compressed one
    # (GDAL windows), one thread or two: the same float64 sums, bit for bit
    rng = np.random.default_rng(9)
    height, width = 120, 130
    transform = Affine(1, 0, 0, 0, -1, height)
    values = rng.random((height, width)).astype(np.float32)
    values[rng.random(values.shape) < 0.02] = -1
    values[rng.random(values.shape) < 0.02] = np.nan
    zones = [Point(40, 60).buffer(35), box(80.2, 3.3, 129.9, 110.4), Point(20, 15).buffer(9)]
    zones[0] = zones[0].difference(zones[2])
    idx = build_zone_index(zones, shape=(height, width), transform=transform)
    assert idx.disjoint
    plain = _write_tiled(tmp_path / "a.tif", values, transform, nodata=-1)
    packed = _write_tiled(tmp_path / "b.tif", values, transform, nodata=-1, compress="deflate")
    stats = ("count", "sum", "mean")
    ref = zonal_stats(idx, {"v": values}, stats=stats, nodata=-1, n_jobs=1)
    for src in (plain, packed):
        for n_jobs in (1, 2):
            got = zonal_stats(idx, {"v": src}, stats=stats, n_jobs=n_jobs)
            np.testing.assert_array_equal(got.to_numpy(), ref.to_numpy())
    both = zonal_stats(idx, {"a": plain, "b": values}, stats=stats, nodata=-1, n_jobs=2)
    assert list(both.columns) == [f"{n}_{s}" for n in "ab" for s in stats]
    np.testing.assert_array_equal(both.iloc[:, 3:].to_numpy(), ref.to_numpy())
