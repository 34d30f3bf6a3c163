"""The nearest search reports the distances it found its answers by, and the screening uses them.

``query_nearest(..., return_distance=True)`` gives, for each answer, the distance the search
computed (the bound's, a candidate's, or GEOS's own search for ties): ``shapely.distance`` of the
two, bit for bit. ``nearest_features`` takes them for sites whose Gauss–Krüger zone is the
layer's CRS instead of measuring the pairs again.
"""

from __future__ import annotations

import numpy as np
import pyproj
import shapely
from shapely.geometry import Point, box

from zoning.screening import index, nearest


def test_search_distances_are_those_of_the_answers_bit_for_bit() -> None:
    rng = np.random.default_rng(17)
    # unit squares 3 apart: points on the mid-lines are equally near two squares (ties, which
    # GEOS's own search settles), the others have one nearest square; lines and boxes too
    xs, ys = np.meshgrid(np.arange(0, 60, 3.0), np.arange(0, 60, 3.0))
    squares = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + 1, ys.ravel() + 1)
    tree = shapely.STRtree(squares)
    xy = rng.uniform(-5, 65, (900, 2))
    pts = shapely.points(xy[:300])
    lines = shapely.linestrings(np.stack([xy[300:600], xy[300:600] + 0.4], axis=1))
    boxes = shapely.box(xy[600:, 0], xy[600:, 1], xy[600:, 0] + 0.3, xy[600:, 1] + 0.2)
    ties = shapely.points(np.column_stack([np.arange(1, 58, 3.0) + 1.0, np.full(19, 0.5)]))
    geoms = np.concatenate([pts, lines, boxes, ties])
    want_s, want_f = tree.query_nearest(geoms, all_matches=False)
    want_d = shapely.distance(geoms[want_s], squares[want_f])
    for n_jobs in (1, 2):
        s, f, d = nearest.query_nearest(tree, geoms, n_jobs, return_distance=True)
        assert np.array_equal(s, want_s) and np.array_equal(f, want_f)
        assert np.array_equal(d, want_d), n_jobs
    # a tie at the first point: (2, 0.5) lies 1 from the squares at x = 0 and x = 3
    tie = np.flatnonzero(s == 900)[0]
    assert d[tie] == 1.0
    # without distances: the positions alone, as before
    s2, f2 = nearest.query_nearest(tree, geoms, 2)
    assert np.array_equal(s2, want_s) and np.array_equal(f2, want_f)
    # no inputs: three empty arrays
    s3, f3, d3 = nearest.query_nearest(tree, geoms[:0], return_distance=True)
    assert len(s3) == len(f3) == len(d3) == 0


def test_nearest_features_of_a_layer_in_the_sites_zone_by_hand() -> None:
    import geopandas as gpd

    gk = pyproj.CRS.from_epsg(4547)  # CGCS2000 3-degree Gauss–Krüger, CM 114E (metres)
    src = pyproj.CRS.from_epsg(4490)
    zones = gpd.GeoDataFrame(
        {"feature_id": ["a", "b"], "zone": "general"},
        # a 100 m square 300 m east of the point, and one 500 m south of it
        geometry=[
            box(500_300, 4_100_000, 500_400, 4_100_100),
            box(499_950, 4_099_450, 500_050, 4_099_550),
        ],
        crs="EPSG:4547",
    )
    idx = index.build_index({"eco_redline": zones}, coverage=box(100, 30, 120, 40))
    site_gk = np.array([Point(500_000, 4_100_050), Point(500_000, 4_099_300)], dtype=object)
    ll = index.transform_geoms(site_gk, gk, src)
    epsg = np.full(2, 4547)
    out = index.nearest_features(idx, np.array([0, 1]), ll, site_gk, epsg, {4547: gk}, src, 1)
    assert out["feature_id"].tolist() == ["a", "b"]
    # 300 m east to the square's west side (b is 500 m south); 150 m north to b's south side
    assert out["distance_m"].tolist() == [300.0, 150.0]
    # the search ran on the GK sites: the same answers as measuring them again
    again = shapely.distance(site_gk, zones.geometry.values[[0, 1]])
    assert np.array_equal(out["distance_m"].to_numpy(), again)


def test_sites_in_layer_crs_takes_gk_sites_only_for_the_layers_own_zone() -> None:
    import geopandas as gpd

    src = pyproj.CRS.from_epsg(4490)
    gk = {4547: pyproj.CRS.from_epsg(4547), 4546: pyproj.CRS.from_epsg(4546)}
    frame = gpd.GeoDataFrame(
        {"feature_id": ["a"]}, geometry=[box(500_000, 4_100_000, 500_100, 4_100_100)], crs=gk[4547]
    )
    layer = index.build_index({"eco_redline": frame}).layers["eco_redline"]
    ll = np.array([Point(114.0, 37.0), Point(111.2, 37.0)], dtype=object)
    epsg = np.array([4547, 4546])
    site_gk = np.array(
        [index.transform_geoms(ll[i : i + 1], src, gk[int(c)])[0] for i, c in enumerate(epsg)],
        dtype=object,
    )
    native, own = index.sites_in_layer_crs(layer, np.array([0, 1]), ll, site_gk, epsg, gk, src)
    assert own.tolist() == [True, False]
    assert native[0] is site_gk[0]  # not projected again
    # the other site, in the CM 111E zone, is projected into the layer's CM 114E zone
    want = index.transform_geoms(ll[1:], src, gk[4547])[0]
    assert shapely.equals_identical(native[1], want)
    assert not shapely.equals_identical(native[1], site_gk[1])
    # on the central meridian, x is the false easting: 500 000 m
    assert abs(native[0].x - 500_000.0) < 1e-6


def test_an_answer_nearer_than_the_nearest_envelope_reports_its_own_distance() -> None:
    # a square frame (a 200 m square less its inner 180 m) around the point: its envelope holds
    # the point (envelope distance 0, the search's first bound: 89.5 m to the frame's inner
    # side), but a 1 m square 3 m east of the point is nearer
    frame = shapely.difference(box(0, 0, 200, 200), box(10, 10, 190, 190))
    zones = np.array([frame, box(103, 100, 104, 101), box(300, 300, 301, 301)], dtype=object)
    tree = shapely.STRtree(zones)
    geoms = np.array([Point(100, 100.5), Point(100, 185), Point(302, 300.5)], dtype=object)
    s, f, d = nearest.query_nearest(tree, geoms, return_distance=True)
    assert s.tolist() == [0, 1, 2] and f.tolist() == [1, 0, 2]
    # 3 m to the small square; 5 m to the frame's inner side at y = 190; 1 m to the far square
    assert d.tolist() == [3.0, 5.0, 1.0]


def test_reach_is_the_mean_spacing_of_the_features(monkeypatch) -> None:
    monkeypatch.setattr(nearest, "_REACH", 1.0)  # the spacing itself
    # four unit squares at the corners of a 100 m square: 10,000 m² for 4 features, 50 m each
    squares = shapely.box([0, 99, 0, 99], [0, 0, 99, 99], [1, 100, 1, 100], [1, 1, 100, 100])
    assert nearest._reach(shapely.bounds(squares)) == 50.0
    # features along a line (no area): its length per feature
    assert nearest._reach(shapely.bounds(shapely.points([0, 10, 30], [5, 5, 5]))) == 10.0
    # one point: no reach (every input takes the nearest envelope of all)
    assert nearest._reach(shapely.bounds(shapely.points([3.0], [4.0]))) == 0.0
    monkeypatch.setattr(nearest, "_REACH", 1 / 256)  # a fraction of it
    assert nearest._reach(shapely.bounds(squares)) == 50.0 / 256


def test_each_way_the_search_finds_its_candidates_by_hand(monkeypatch) -> None:
    # a frame (a 1000 m square less its inner 980 m) and a 1 m square inside it; the reach
    # is fixed at 50 m, grown 4 times to 200, 800, 3200 and 12,800 m
    monkeypatch.setattr(nearest, "_reach", lambda bounds: 50.0)
    frame = shapely.difference(box(0, 0, 1000, 1000), box(10, 10, 990, 990))
    zones = np.array([frame, box(560, 500, 561, 501)], dtype=object)
    tree = shapely.STRtree(zones)
    geoms = np.array(
        [
            Point(500, 985),  # the frame's envelope holds it; 5 m to its inner side: in reach
            Point(500, 500.5),  # the frame bounds it at 489.5 m, beyond the reach: the square
            # at 60 m is found by a second query
            Point(-120, 500.5),  # nothing within 50 m; the grown reach (200 m) finds the frame
            Point(-20_000, 500.5),  # nothing within the grown reach: the nearest envelope
            Point(),  # empty: no answer
        ],
        dtype=object,
    )
    s, f, d = nearest.query_nearest(tree, geoms, return_distance=True)
    assert s.tolist() == [0, 1, 2, 3]
    assert f.tolist() == [0, 1, 0, 0]
    assert d.tolist() == [5.0, 60.0, 120.0, 20_000.0]
    want_s, want_f = tree.query_nearest(geoms, all_matches=False)
    assert np.array_equal(s, want_s) and np.array_equal(f, want_f)


def test_any_reach_gives_geos_answers(monkeypatch) -> None:
    rng = np.random.default_rng(23)
    centres = rng.uniform(0, 1000, (300, 2))
    zones = shapely.buffer(shapely.points(centres), rng.uniform(2, 40, 300), quad_segs=3)
    # rings whose envelopes hold sites far from them
    zones = np.append(zones, shapely.difference(box(200, 200, 800, 800), box(210, 210, 790, 790)))
    tree = shapely.STRtree(zones)
    xy = rng.uniform(-300, 1300, (600, 2))
    pts = shapely.points(xy[:300])
    lines = shapely.linestrings(np.stack([xy[300:], xy[300:] + rng.normal(0, 20, (300, 2))], 1))
    geoms = np.concatenate([pts, lines])
    want_s, want_f = tree.query_nearest(geoms, all_matches=False)
    want_d = shapely.distance(geoms[want_s], zones[want_f])
    for reach in (0.5, 5.0, 60.0, 5000.0):
        monkeypatch.setattr(nearest, "_reach", lambda bounds, r=reach: r)
        for n_jobs in (1, 2):
            s, f, d = nearest.query_nearest(tree, geoms, n_jobs, return_distance=True)
            assert np.array_equal(s, want_s) and np.array_equal(f, want_f), (reach, n_jobs)
            assert np.array_equal(d, want_d), (reach, n_jobs)


def test_the_envelope_tree_is_built_only_for_inputs_beyond_the_grown_reach(monkeypatch) -> None:
    import threading

    monkeypatch.setattr(nearest, "_reach", lambda bounds: 50.0)  # grown to 12,800 m at most
    monkeypatch.setattr(nearest, "_SCAN_MAX", 0)  # never scan the envelopes: the tree
    zones = np.array([box(0, 0, 10, 10), box(100, 0, 110, 10)], dtype=object)
    tree = shapely.STRtree(zones)
    envelopes = nearest.EnvelopeTree(tree)
    calls: list[int] = []

    def boxes() -> object:
        calls.append(1)
        return envelopes()

    near = np.array([Point(50, 5), Point(-30, 5)], dtype=object)
    _, f, d = nearest.query_nearest(tree, near, boxes=boxes, return_distance=True)
    assert f.tolist() == [0, 0] and d.tolist() == [40.0, 30.0]
    assert calls == []  # every input found a feature within the reach: no envelope tree
    far = np.array([Point(50, 5), Point(-20_000, 5), Point(30_110, 5)], dtype=object)
    _, f, d = nearest.query_nearest(tree, far, boxes=boxes, return_distance=True)
    assert f.tolist() == [0, 0, 1] and d.tolist() == [40.0, 20_000.0, 30_000.0]
    assert calls == [1]  # asked once, for the two inputs beyond 12,800 m
    # built once whatever the threads that ask: the same tree for all
    got: list[object] = []
    fresh = nearest.EnvelopeTree(tree)
    threads = [threading.Thread(target=lambda: got.append(fresh())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(g is got[0] for g in got)
    assert got[0].query(box(105, 5, 106, 6)).tolist() == [1]
