"""The dissolve (zoning.stats.dissolve): overlapping features count once.

Touching features stay apart; the validity pass, row order and bad features.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import stats_shapes as shapes
from stats_shapes import X0, Y0, frame, random_layer, row, sq

from zoning.crs import ALBERS_CHINA
from zoning.errors import CRSError
from zoning.stats import STATS_COLUMNS, area_by_unit, dissolve_layer


@pytest.fixture
def two_counties() -> gpd.GeoDataFrame:
    return shapes.two_counties()


@pytest.fixture
def grid_units() -> gpd.GeoDataFrame:
    return shapes.grid_units()


def test_overlapping_squares_in_one_county_count_once(two_counties):
    # 2 km x 5 km and 2 km x 5 km overlapping by 1 km x 5 km: union 3 km x 5 km = 15 km²
    red = frame([sq(0, 0, 2_000, 5_000), sq(1_000, 0, 2_000, 5_000)], zone=["general"] * 2)
    out = area_by_unit(two_counties, {"eco_redline": red})
    assert list(out.columns) == STATS_COLUMNS
    a = row(out, "140101", "eco_redline")
    assert a.area_km2 == pytest.approx(15.0, rel=1e-12)
    assert a.unit_area_km2 == pytest.approx(100.0, rel=1e-12)
    assert a.share_pct == pytest.approx(15.0, rel=1e-12)
    assert row(out, "140101", "eco_redline", "general").area_km2 == pytest.approx(15.0)
    assert row(out, "140102", "eco_redline").area_km2 == 0.0


def test_overlapping_zones_counted_once_in_all(two_counties):
    # red-line core 2x2 km inside general 4x4 km (both drawn whole): all = 16 km²
    red = frame([sq(0, 0, 4_000), sq(1_000, 1_000, 2_000)], zone=["general", "core"])
    out = area_by_unit(two_counties, {"eco_redline": red})
    assert row(out, "140101", "eco_redline").area_km2 == pytest.approx(16.0)
    assert row(out, "140101", "eco_redline", "core").area_km2 == pytest.approx(4.0)
    assert row(out, "140101", "eco_redline", "general").area_km2 == pytest.approx(16.0)


def test_touching_features_are_not_merged_but_counted_once(two_counties):
    red = frame([sq(0, 0, 1_000), sq(1_000, 0, 1_000), sq(2_000, 0, 1_000)])
    out = area_by_unit(two_counties, {"eco_redline": red})
    assert row(out, "140101", "eco_redline").area_km2 == pytest.approx(3.0, rel=1e-12)


def test_dissolve_knows_the_areas_it_measured():
    # corner overlap (crossing edges): 4 + 4 - 1 km²; squares sharing the line y = 0 (collinear
    # edges, overlapping 1 x 2 km): 4 + 4 - 2 km²; a lone square: 1 km²
    geoms = np.array(
        [sq(0, 0, 2_000), sq(1_000, 1_000, 2_000), sq(10_000, 0, 2_000), sq(11_000, 0, 2_000),
         sq(20_000, 0, 1_000)],
        dtype=object,
    )  # fmt: skip
    pieces = dissolve_layer("eco_redline", geoms, np.array(["all"] * 5, dtype=object))
    by_first = {int(pieces.members[pieces.indptr[i]]): pieces.area[i] for i in range(len(pieces))}
    assert pieces.sizes().tolist() == [2, 2, 1]
    assert by_first[0] == pytest.approx(7e6, rel=1e-12)
    assert by_first[2] == pytest.approx(6e6, rel=1e-12)
    assert by_first[4] == pytest.approx(1e6, rel=1e-12)


def test_catalogue_frames_skip_the_validity_pass(two_counties, monkeypatch):
    import zoning.stats.layer_reads
    from zoning.crs import CGCS2000, VALID_IN, project

    red = frame([sq(1_000, 1_000, 2_000)]).to_crs(CGCS2000)
    marked = project(red, ALBERS_CHINA)
    assert VALID_IN in marked.attrs
    checked = []
    real = zoning.stats.layer_reads.invalid_features

    def spy(geoms, n_jobs):
        checked.append(len(geoms))
        return real(geoms, n_jobs)

    monkeypatch.setattr(zoning.stats.layer_reads, "invalid_features", spy)
    a = area_by_unit(two_counties, {"eco_redline": marked})
    assert checked == []  # checked once by project(), not again
    b = area_by_unit(two_counties, {"eco_redline": red})  # unmarked: checked here
    assert checked == [1]
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


def test_permuting_rows_changes_nothing(grid_units):
    red = random_layer(11, 120)
    a = area_by_unit(grid_units, {"eco_redline": red})
    rng = np.random.default_rng(3)
    b = area_by_unit(
        grid_units.iloc[rng.permutation(len(grid_units))],
        {"eco_redline": red.iloc[rng.permutation(len(red))]},
    )
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_invalid_and_non_polygon_features(two_counties):
    bowtie = shapely.Polygon(
        [(X0, Y0), (X0 + 2_000, Y0 + 2_000), (X0 + 2_000, Y0), (X0, Y0 + 2_000)]
    )  # two triangles of 1 km² each once repaired
    line = shapely.LineString([(X0, Y0), (X0 + 5_000, Y0 + 5_000)])
    out = area_by_unit(two_counties, {"eco_redline": frame([bowtie, line])})
    assert row(out, "140101", "eco_redline").area_km2 == pytest.approx(2.0, rel=1e-12)


def test_layer_without_crs_is_refused(two_counties):
    layer = gpd.GeoDataFrame(geometry=[sq(0, 0, 10)])
    with pytest.raises(CRSError, match="has no CRS"):
        area_by_unit(two_counties, {"eco_redline": layer})


def test_validity_pass_sends_only_uncertified_geometries_to_geos(monkeypatch):
    import zoning.stats.dissolve

    seen = []
    real = zoning.stats.layer_reads.map_chunks

    def spy(func, items, n_jobs):
        if func is shapely.is_valid:
            seen.append(len(items))
        return real(func, items, n_jobs)

    monkeypatch.setattr(zoning.stats.layer_reads, "map_chunks", spy)
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 2, Y0 + 2), (X0 + 2, Y0), (X0, Y0 + 2)])
    holed = shapely.Polygon(
        sq(0, 0, 10).exterior.coords, [sq(2, 2, 2).exterior.coords]
    )  # a hole: not certified, GEOS checks it (valid)
    geoms = np.array([sq(0, 0, 1_000), bowtie, holed, sq(5_000, 0, 10)], dtype=object)
    assert zoning.stats.layer_reads.invalid_features(geoms, 1).tolist() == [
        False,
        True,
        False,
        False,
    ]
    assert seen == [2]  # the bow-tie and the holed square; the squares are certified


def test_lexsort_is_numpy_lexsort_with_ties_nans_and_signed_zeros():
    from zoning.stats.dissolve import lexsort

    rng = np.random.default_rng(3)
    for n in (0, 1, 2, 50, 2_000):
        # few distinct values: many ties on every key, the primary key included
        keys = [rng.integers(0, 4, n).astype(float) for _ in range(4)]
        keys[1][rng.random(n) < 0.2] = np.nan
        keys[3][rng.random(n) < 0.1] = np.nan
        keys[2][keys[2] == 0] = -0.0
        for k in range(1, 5):
            assert lexsort(keys[:k]).tolist() == np.lexsort(keys[:k]).tolist()
        groups = rng.integers(0, max(n // 3, 1), n)  # integer primary key, as group ids are
        assert lexsort((*keys, groups)).tolist() == np.lexsort((*keys, groups)).tolist()


def test_connected_components_numbered_by_lowest_node():
    from zoning.stats.dissolve import connected_components

    # worked by hand: {0, 3, 7} through 7-3 and 0-7; {1}; {2, 5, 6} through the chain 6-5, 5-2
    # (given high end first); {4} with a loop; 8 alone. Numbered by lowest node: 0, 1, 2, 4, 8.
    left = np.array([7, 6, 5, 0, 4, 3])
    right = np.array([3, 5, 2, 7, 4, 7])
    assert connected_components(9, left, right).tolist() == [0, 1, 2, 0, 3, 2, 2, 0, 4]
    assert connected_components(3, np.array([], dtype=int), np.array([], dtype=int)).tolist() == [
        0,
        1,
        2,
    ]
    assert connected_components(0, np.array([], dtype=int), np.array([], dtype=int)).size == 0
    # a path visited in shuffled order needs many hooking rounds; one component
    rng = np.random.default_rng(5)
    perm = rng.permutation(5_000)
    path = connected_components(5_000, perm[:-1], perm[1:])
    assert not path.any()


def test_connected_components_label_as_scipy_does():
    """The dissolve's piece order follows the labels: they must be scipy's, exactly."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as scipy_components

    from zoning.stats.dissolve import connected_components

    rng = np.random.default_rng(11)
    for _ in range(400):
        n = int(rng.integers(1, 80))
        m = int(rng.integers(0, 2 * n))
        left, right = rng.integers(0, n, m), rng.integers(0, n, m)
        graph = coo_matrix((np.ones(m, dtype=np.int8), (left, right)), shape=(n, n))
        _, want = scipy_components(graph, directed=False)
        assert connected_components(n, left, right).tolist() == want.tolist()


def test_near_copies_found_among_the_pairs_only_are_those_of_all_features():
    from zoning.duplicates import near_duplicate_rows
    from zoning.stats.dissolve import _near_copies

    base = [sq(k * 3_000, 0, 2_000, 2_000) for k in range(6)]
    shifted = [shapely.affinity.translate(base[k], 1e-9, 0) for k in (1, 4, 4)]
    geoms = np.array([*base, *shifted, sq(1_000, 1_000, 5_000, 500)], dtype=object)
    zones = np.array(["a"] * 6 + ["a", "a", "b", "a"], dtype=object)
    left, right = shapely.STRtree(geoms).query(geoms)
    keep = left < right
    got = _near_copies(geoms, zones, left[keep], right[keep], shapely.bounds(geoms))
    assert got.tolist() == near_duplicate_rows(geoms, zones).tolist()
    assert got.sum() == 2  # one copy of 1 and one of 4 in zone a; 4's zone-b copy stays


def test_near_copies_prefilter_keeps_envelopes_exactly_one_tolerance_apart():
    # moved by exactly 1 mm (NEAR_DUPLICATE_M) in x: envelopes 0.001 apart, still a copy;
    # moved by 2 mm in y: not one. The envelope prefilter must pass the first pair on
    from zoning.duplicates import NEAR_DUPLICATE_M, near_duplicate_rows
    from zoning.stats.dissolve import _near_copies

    a = shapely.box(0, 0, 2_000, 2_000)
    geoms = np.array(
        [
            a,
            shapely.affinity.translate(a, NEAR_DUPLICATE_M, 0),
            shapely.affinity.translate(a, 0, 2e-3),
        ],
        dtype=object,
    )
    bounds = shapely.bounds(geoms)
    assert bounds[1, 0] - bounds[0, 0] == NEAR_DUPLICATE_M  # exactly one tolerance apart
    zones = np.full(3, "a", dtype=object)
    got = _near_copies(geoms, zones, np.array([0, 0, 1]), np.array([1, 2, 2]), bounds)
    assert got.tolist() == near_duplicate_rows(geoms, zones).tolist() == [False, True, False]


def test_piece_envelopes_from_the_dissolve_are_those_geos_gives():
    import dataclasses

    from zoning.stats import Pieces

    geoms = np.array(
        [sq(0, 0, 2_000, 2_000), sq(1_000, 500, 2_000, 3_000), sq(9_000, 0, 500, 500)], dtype=object
    )
    a = dissolve_layer("eco_redline", geoms, np.array(["x", "y", "x"], dtype=object))
    b = dissolve_layer("water_source", geoms[::-1], np.full(3, "all", dtype=object))
    for p in (a, b, Pieces.concat([a, b]), Pieces.concat([a, b]).take(np.array([3, 0]))):
        assert p.feat_bounds is not None
        plain = dataclasses.replace(p, feat_bounds=None)
        assert np.array_equal(p.bounds(), plain.bounds())
    # piece 0 of a: both squares, (0, 0) to (3000, 3500)
    assert a.bounds()[0].tolist() == [X0, Y0, X0 + 3_000, Y0 + 3_500]


def test_envelopes_meeting_on_a_line_are_apart_by_hand():
    from zoning.stats.dissolve import envelopes_apart

    b = np.array(
        [[0.0, 0, 1, 1],  # 0: unit square
         [1, 0, 2, 1],  # 1: shares the line x = 1 with 0
         [0, 1, 1, 2],  # 2: shares the line y = 1 with 0
         [1, 1, 2, 2],  # 3: meets 0 at the corner (1, 1)
         [0.5, 0.5, 3, 3],  # 4: overlaps 0 by a 0.5 x 0.5 square
         [1 - 2**-52, 0, 2, 1],  # 5: overlaps 0 by one ulp in x
         [np.nan, 0, 1, 1]],  # 6: unknown envelope
    )  # fmt: skip
    left = np.array([0, 0, 0, 0, 0, 0])
    right = np.array([1, 2, 3, 4, 5, 6])
    assert envelopes_apart(b, left, right).tolist() == [True, True, True, False, False, False]
    assert envelopes_apart(b, right, left).tolist() == [True, True, True, False, False, False]


def _tiling_with_overlaps() -> np.ndarray:
    # a 4 x 4 tiling of 1 km cells (control units cut by a grid), one square straddling the
    # four middle cells, and an L (arms [4, 5] x [2.5, 3.5] and [3, 5] x [3.5, 4] km) beside
    # the tiling's corner: it touches cell (3, 2) along x = 4 and overlaps cell (3, 3)
    cells = [sq(i * 1_000, j * 1_000, 1_000) for i in range(4) for j in range(4)]
    straddle = sq(1_500, 1_500, 1_000)
    ell = shapely.Polygon(
        [(X0 + 3_000, Y0 + 4_000), (X0 + 5_000, Y0 + 4_000), (X0 + 5_000, Y0 + 2_500),
         (X0 + 4_000, Y0 + 2_500), (X0 + 4_000, Y0 + 3_500), (X0 + 3_000, Y0 + 3_500)]
    )  # fmt: skip
    return np.array([*cells, straddle, ell], dtype=object)


def test_squares_meeting_on_grid_lines_skip_the_kernel(monkeypatch):
    import zoning.stats.dissolve as dissolve_mod

    seen: list[tuple[int, int]] = []
    real = dissolve_mod.batched_clip_areas

    def spy(geoms, indptr, members, clip, **kw):
        seen.extend(zip(members.tolist(), clip.tolist(), strict=True))
        return real(geoms, indptr, members, clip, **kw)

    monkeypatch.setattr(dissolve_mod, "batched_clip_areas", spy)
    geoms = _tiling_with_overlaps()
    pieces = dissolve_layer("control_unit", geoms, np.array(["all"] * len(geoms), dtype=object))
    # only pairs whose envelopes overlap with positive area reach the kernel: the straddling
    # square (16) with the four middle cells 5, 6, 9, 10 (cell i, j is 4 i + j), and the L (17)
    # with cell (3, 3) = 15; the 16 cells' 42 grid-line pairs do not, nor the L with cell
    # (3, 2) = 14 (envelopes [3, 5] x [2.5, 4] and [3, 4] x [2, 3] overlap, but the L only
    # touches the cell: zoning.stats.interiors_apart proves them apart)
    assert sorted(tuple(sorted(p)) for p in seen) == [
        (5, 16), (6, 16), (9, 16), (10, 16), (15, 17)
    ]  # fmt: skip
    groups = sorted(
        tuple(sorted(pieces.members[pieces.indptr[i] : pieces.indptr[i + 1]].tolist()))
        for i in range(len(pieces))
    )
    assert (5, 6, 9, 10, 16) in groups
    assert (15, 17) in groups  # the L overlaps cell 15 and only touches cell 14
    assert len(groups) == 13  # and the 11 other cells alone


def test_skipping_line_contacts_changes_no_bit(monkeypatch):
    import zoning.stats.dissolve as dissolve_mod

    units = shapes.grid_units()
    cells = [sq(i * 700.0, j * 700.0, 700.0) for i in range(40) for j in range(28)]
    stars = random_layer(5, 60)
    layer = frame([*cells, *stars.geometry], zone=["general"] * len(cells) + list(stars.zone))
    layers = {"control_unit": layer, "eco_redline": random_layer(6, 80)}
    new = area_by_unit(units, layers, n_jobs=2)
    monkeypatch.setattr(
        dissolve_mod, "envelopes_apart", lambda b, left, right: np.zeros(len(left), dtype=bool)
    )
    old = area_by_unit(units, layers, n_jobs=2)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert (new[new.layer_kind == "control_unit"].area_km2 > 0).sum() > 6


def test_zone_labels_are_strings_with_all_where_missing():
    from zoning.stats.layer_reads import zone_labels

    cases = [
        (pd.Series(["core", None, "general"], dtype="str"), ["core", "all", "general"]),
        (pd.Series(["core", pd.NA], dtype="string"), ["core", "all"]),
        (pd.Series(["core", None, 3], dtype=object), ["core", "all", "3"]),
        (pd.Series([1.0, np.nan, 2.5]), ["1.0", "all", "2.5"]),
        (pd.Series(["x", None], dtype="category"), ["x", "all"]),
    ]
    for zone, want in cases:
        got = zone_labels(zone)
        assert got.dtype == object and got.tolist() == want
        assert all(type(z) is str for z in got)


def test_features_left_empty_by_the_layer_reading_are_dropped(two_counties):
    # a collection of a line (no polygon once opened), an empty polygon: dropped; the square
    # stays
    line = shapely.LineString([(X0, Y0), (X0 + 5, Y0 + 5)])
    layer = frame([sq(0, 0, 1_000), shapely.GeometryCollection([line]), shapely.Polygon()])
    from zoning.crs import ALBERS_CHINA as target
    from zoning.stats.layer_reads import read_layer

    geoms, zones = read_layer("eco_redline", layer, target, make_valid=False).as_read()
    assert len(geoms) == 1 and geoms[0].equals(sq(0, 0, 1_000)) and zones.tolist() == ["all"]
