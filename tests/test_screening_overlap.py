"""Independent stages of a screening overlap on threads and still give the one-thread answer.

The nearest-feature search starts on a helper thread while the calling thread applies the
rules and totals the hits (``first`` of :func:`zoning.screening.buckets.run_buckets`); the
line totals run beside the polygon unions; a few hundred pairs are measured on every thread.
Polygon unions are measured by the area kernel once numba is loaded (a nearby search on a
large batch): equal to GEOS's unions to 1e-9 relative on holes, multipolygons, shared edges
and slivers, and declined to GEOS where the kernel cannot take the pieces.
"""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

from zoning.screening import groups, index, metrics, nearby
from zoning.screening.buckets import run_buckets


# ------------------------------------------------------------------------------- run_buckets
def test_first_runs_once_on_the_calling_thread_while_helpers_take_buckets() -> None:
    caller = threading.get_ident()
    ran_first: list[int] = []
    seen: list[int] = []
    helper_started = threading.Event()

    def first() -> None:
        ran_first.append(threading.get_ident())
        # the helper takes buckets while the caller is busy here
        assert helper_started.wait(5.0)

    def job(k: int) -> int:
        seen.append(threading.get_ident())
        if threading.get_ident() != caller:
            helper_started.set()
        time.sleep(0.001)
        return 3 * k

    assert run_buckets(job, 30, 2, first=first) == [3 * k for k in range(30)]
    assert ran_first == [caller]
    assert len(set(seen)) <= 2
    # one thread, no buckets at all: first still runs, once, before the jobs
    order: list[str] = []
    assert run_buckets(lambda k: order.append(f"j{k}"), 2, 1, first=lambda: order.append("f"))
    assert order == ["f", "j0", "j1"]
    order.clear()
    assert run_buckets(lambda k: k, 0, 2, first=lambda: order.append("f")) == []
    assert order == ["f"]


def test_a_failing_first_raises_and_stops_the_helpers() -> None:
    ran: list[int] = []

    def job(k: int) -> int:
        ran.append(k)
        time.sleep(0.001)
        return k

    def first() -> None:
        time.sleep(0.01)
        raise KeyError("caller's stage")

    with pytest.raises(KeyError, match="caller's stage"):
        run_buckets(job, 10_000, 2, first=first)
    assert len(ran) < 1000  # the helper stopped taking buckets


# ----------------------------------------------------------------------------- nearest search
def test_nearest_search_with_first_is_the_single_call_and_runs_first_once() -> None:
    rng = np.random.default_rng(5)
    zones = shapely.buffer(shapely.points(rng.uniform(0, 2000, (400, 2))), rng.uniform(1, 30, 400))
    tree = shapely.STRtree(zones)
    geoms = shapely.points(rng.uniform(-100, 2100, (1500, 2)))
    want_s, want_f = tree.query_nearest(geoms, all_matches=False)
    for n_jobs, n in ((1, 1500), (2, 1500), (3, 1500), (2, 100), (2, 0)):
        calls: list[int] = []
        s, f = index.query_nearest(tree, geoms[:n], n_jobs, first=lambda c=calls: c.append(1))
        keep = want_s < n
        assert np.array_equal(s, want_s[keep]) and np.array_equal(f, want_f[keep]), n_jobs
        assert calls == [1], (n_jobs, n)


def test_nearest_features_runs_first_once_also_without_sites_or_layers() -> None:
    import geopandas as gpd
    import pyproj

    zones = gpd.GeoDataFrame(
        {"feature_id": ["a", "b"], "zone": "general"},
        geometry=[box(110.0, 35.0, 110.1, 35.1), box(110.5, 35.0, 110.6, 35.1)],
        crs="EPSG:4490",
    )
    idx = index.build_index({"eco_redline": zones}, coverage=box(100, 30, 120, 40))
    ll = np.array([Point(110.3, 35.05), Point(110.05, 35.5)], dtype=object)
    gk = pyproj.CRS.from_epsg(4545)
    site_gk = index.transform_geoms(ll, pyproj.CRS.from_epsg(4490), gk)
    epsg = np.full(2, 4545)
    src = pyproj.CRS.from_epsg(4490)
    for sites_idx in (np.array([0, 1]), np.array([], dtype=np.int64)):
        calls: list[int] = []
        out = index.nearest_features(
            idx, sites_idx, ll, site_gk, epsg, {4545: gk}, src, 2, first=lambda c=calls: c.append(1)
        )
        assert calls == [1]
        assert len(out) == len(sites_idx)
    empty = index.build_index({"eco_redline": zones.iloc[:0]}, coverage=box(100, 30, 120, 40))
    calls = []
    index.nearest_features(
        empty, np.array([0]), ll, site_gk, epsg, {4545: gk}, src, 2, first=lambda: calls.append(1)
    )
    assert calls == [1]


# ------------------------------------------------------------------------------ pair metrics
def test_a_few_hundred_pairs_on_two_threads_are_the_one_call_bit_for_bit(monkeypatch) -> None:
    rng = np.random.default_rng(9)
    n = 600  # between 4 x _SPLIT_MIN and _CHUNK: two buckets per thread
    assert metrics._SPLIT_MIN < n <= metrics._CHUNK
    owner = rng.integers(0, 40, n)
    centre = rng.uniform(0, 3000, (40, 2))
    c = centre[owner] + rng.normal(0, 150, (n, 2))  # most sites near their pair's zone
    kind = np.arange(n) % 3
    sites = np.empty(n, dtype=object)
    sites[kind == 0] = shapely.points(c[kind == 0])
    sites[kind == 1] = shapely.linestrings(
        np.stack([c[kind == 1], c[kind == 1] + rng.normal(0, 80, ((kind == 1).sum(), 2))], 1)
    )
    w = rng.uniform(5, 60, n)
    sites[kind == 2] = shapely.box(*(c - w[:, None]).T, *(c + w[:, None]).T)[kind == 2]
    zone_of = shapely.buffer(shapely.points(centre), 120.0, quad_segs=24)
    z = zone_of[owner]
    dims = shapely.get_dimensions(sites)
    radius = np.full(n, 300.0)
    calls: list[int] = []
    real = metrics._pair_metrics

    def spy(s, *args):
        calls.append(len(s))
        return real(s, *args)

    monkeypatch.setattr(metrics, "_pair_metrics", spy)
    one = metrics.run_pair_metrics(sites, z, dims, radius, 10.0, 1, owner)
    assert calls == [n]
    calls.clear()
    two = metrics.run_pair_metrics(sites, z, dims, radius, 10.0, 2, owner)
    assert len(calls) == 4 and sum(calls) == n
    assert one.keys() == two.keys()
    for key in one:
        if one[key].dtype == object:  # pieces and intervals: the same geometry, the same arrays
            for a, b in zip(one[key], two[key], strict=True):
                if isinstance(a, np.ndarray):
                    assert np.array_equal(a, b)
                else:
                    assert (a is None and b is None) or shapely.equals_exact(a, b, 0.0)
        else:
            assert np.array_equal(one[key], two[key], equal_nan=True), key
    assert one["intersects"].sum() > 200  # the case measures overlaps, not only distances
    assert (one["overlap_area_m2"] > 0).sum() > 50 and (one["overlap_length_m"] > 0).sum() > 50


# ----------------------------------------------------------------------- polygon unions (kernel)
def _geos_union_areas(pieces: np.ndarray, members: list[np.ndarray]) -> np.ndarray:
    return np.array([shapely.area(shapely.union_all(pieces[m])) for m in members])


def _cases() -> tuple[np.ndarray, list[np.ndarray]]:
    """Pieces of polygon sites inside several features, and the groups to union."""
    ring = box(0, 0, 100, 100).difference(box(30, 30, 70, 70))  # a hole
    pieces = [
        # 0-1: overlapping squares (union 100·100 + 100·100 − 50·100 = 15,000)
        box(0, 0, 100, 100), box(50, 0, 150, 100),
        # 2-3: sharing an edge exactly (union 2 × 10,000)
        box(200, 0, 300, 100), box(300, 0, 400, 100),
        # 4-5: a sliver: a square and a thin wedge along its edge
        box(500, 0, 600, 100), Polygon([(600, 0), (600, 100), (600.000001, 50)]),
        # 6-7: a piece with a hole and a square in the hole touching it: the kernel declines
        ring, box(30, 30, 70, 70),
        # 8-9: a multipolygon piece: its parts (union 10 + 20 + 10 wide, 10 high)
        MultiPolygon([box(800, 0, 810, 10), box(820, 0, 830, 10)]), box(805, 0, 825, 10),
        # 10-12: a polygon, a line and an empty (a site touching a feature): lines add nothing
        box(900, 0, 950, 50), LineString([(950, 0), (950, 50)]), Polygon(),
        # 13-15: three squares sharing a corner and edges, nested one in another
        box(1000, 0, 1010, 10), box(1010, 0, 1020, 10), box(1002, 2, 1008, 8),
        # 16-17: collinear overlapping edges (same direction), irregular coordinates
        Polygon([(0.1, 200.3), (77.7, 200.3), (77.7, 281.9), (0.1, 281.9)]),
        Polygon([(33.3, 200.3), (99.9, 200.3), (66.6, 250.05)]),
        # 18: a multipolygon whose part has a hole: declined
        MultiPolygon([ring, box(1005, 0, 1030, 10)]),
        # 19: a collection holding a multipolygon (nested): declined
        GeometryCollection([MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 1)]), Point(5, 5)]),
    ]  # fmt: skip
    groups_ = [
        np.array(m) for m in ([0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11, 12], [13, 14, 15],
                              [16, 17], [11, 12], [18, 13], [19, 0])
    ]  # fmt: skip
    return np.array(pieces, dtype=object), groups_


def _random_clipped_groups(
    *, seed: int, n_sites: int, max_zones: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Irregular zones (a fifth with a hole) clipped to box sites, 2–``max_zones`` a site.

    Returns the clipped pieces and each site's group of piece positions, as the screening
    cuts them (GK-like magnitudes).
    """
    rng = np.random.default_rng(seed)
    members, pieces = [], []
    for _ in range(n_sites):
        x, y = rng.uniform(0, 1e5, 2) + 4e6
        site = box(x, y, x + rng.uniform(100, 800), y + rng.uniform(100, 800))
        zs = []
        for _ in range(int(rng.integers(2, max_zones + 1))):
            c = Point(x + rng.uniform(-200, 900), y + rng.uniform(-200, 900))
            z = c.buffer(rng.uniform(100, 600), quad_segs=int(rng.integers(3, 30)))
            if rng.random() < 0.2:
                z = z.difference(c.buffer(rng.uniform(10, 90)))
            zs.append(z)
        cut = shapely.clip_by_rect(np.array(zs, dtype=object), *site.bounds)
        members.append(np.arange(len(pieces), len(pieces) + len(cut)))
        pieces.extend(cut)
    return np.array(pieces, dtype=object), members


def test_binary_union_areas_equal_union_all_on_every_case() -> None:
    """The GEOS path (binary unions, rank by rank): holes, multipolygons, shared edges,
    slivers, nested pieces, lines and empties, collections; equal to ``union_all`` to 1e-12."""
    pieces, members = _cases()
    got = groups._union_areas(pieces, members)
    want = _geos_union_areas(pieces, members)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-9)
    # worked by hand
    assert got[0] == pytest.approx(15_000.0, rel=1e-12)  # overlapping: not 20,000
    assert got[1] == pytest.approx(20_000.0, rel=1e-12)  # sharing an edge
    assert got[2] == pytest.approx(10_000.0 + 0.5 * 100 * 1e-6, rel=1e-12)  # a sliver
    assert got[3] == pytest.approx(10_000.0, rel=1e-12)  # the hole filled by its square
    assert got[4] == pytest.approx(300.0, rel=1e-12)
    assert got[5] == pytest.approx(2_500.0, rel=1e-12)  # a line and an empty add nothing
    assert got[6] == pytest.approx(200.0, rel=1e-12)  # nested and corner-sharing squares
    assert got[8] == 0.0
    assert got[9] == pytest.approx(10_000.0 - 1_600.0 + 250.0 + 50.0, rel=1e-12)  # ring + 2 boxes
    # a group's answer does not depend on the other groups of the call
    for k, m in enumerate(members):
        assert np.array_equal(groups._union_areas(pieces, [m]), got[[k]])
    assert groups._union_areas(pieces, []).shape == (0,)


def test_binary_union_areas_on_random_clipped_zones_and_a_failing_union(monkeypatch) -> None:
    """Irregular zones (some with holes) clipped to box sites, 2–9 a group, equal to
    ``union_all`` to 1e-12; a union GEOS cannot do sends only its group to the fallback."""
    pieces_a, members = _random_clipped_groups(seed=29, n_sites=120, max_zones=9)
    want = _geos_union_areas(pieces_a, members)
    got = groups._union_areas(pieces_a, members)
    assert (want > 0).sum() > 100
    assert got == pytest.approx(want, rel=1e-12, abs=1e-6)
    # GEOS fails on one group's union: that group is dissolved whole, the others unchanged
    bad = pieces_a[members[7][1]]
    real = shapely.union

    def union(a, b, **kw):
        if np.any(np.asarray(b, dtype=object) == bad):
            raise shapely.errors.GEOSException("TopologyException: side location conflict")
        return real(a, b, **kw)

    dissolved: list[int] = []
    real_dissolve = groups._dissolve_pieces

    def dissolve(p):
        dissolved.append(len(p))
        return real_dissolve(p)

    monkeypatch.setattr(shapely, "union", union)
    monkeypatch.setattr(groups, "_dissolve_pieces", dissolve)
    again = groups._union_areas(pieces_a, members)
    assert dissolved == [len(members[7])]
    assert again == pytest.approx(want, rel=1e-12, abs=1e-6)
    assert np.array_equal(np.delete(again, 7), np.delete(got, 7))


@pytest.fixture
def kernel_loaded():
    """Load the area kernel as a screening would (compiles it once if not cached)."""
    pytest.importorskip("numba")
    groups._load_area_kernel()


def test_kernel_union_areas_match_geos_and_decline_what_they_cannot_take(kernel_loaded) -> None:
    pieces, members = _cases()
    got = groups._kernel_areas(pieces, members)
    want = _geos_union_areas(pieces, members)
    declined = np.isnan(got)
    assert declined.tolist() == [False, False, False, True, False] + [False] * 4 + [True, True]
    assert got[~declined] == pytest.approx(want[~declined], rel=1e-9, abs=1e-9)
    # worked by hand
    assert got[0] == pytest.approx(15_000.0, rel=1e-12)
    assert got[1] == pytest.approx(20_000.0, rel=1e-12)
    assert got[2] == pytest.approx(10_000.0 + 0.5 * 100 * 1e-6, rel=1e-12)
    assert got[4] == pytest.approx(300.0, rel=1e-12)
    assert got[5] == pytest.approx(2_500.0, rel=1e-12)
    assert got[6] == pytest.approx(200.0, rel=1e-12)
    assert got[8] == 0.0  # only a line and an empty
    # a group's answer does not depend on the others in the run
    for k, m in enumerate(members):
        alone = groups._kernel_areas(pieces, [m])
        assert np.array_equal(alone, got[[k]], equal_nan=True)


def test_kernel_union_areas_match_geos_on_random_clipped_zones(kernel_loaded) -> None:
    """Irregular zones (some with holes) clipped to box sites, as the screening cuts them."""
    pieces_a, members = _random_clipped_groups(seed=17, n_sites=150, max_zones=5)
    got = groups._kernel_areas(pieces_a, members)
    want = _geos_union_areas(pieces_a, members)
    ok = ~np.isnan(got)
    assert ok.sum() > 100  # most groups are the kernel's
    assert got[ok] == pytest.approx(want[ok], rel=1e-9, abs=1e-6)


def _spy_kernel_areas(monkeypatch) -> list[int]:
    """Record the groups of every kernel run of the screening's unions (and still run it)."""
    calls: list[int] = []
    real = groups._kernel_areas

    def spy(pieces, members):
        calls.append(len(members))
        return real(pieces, members)

    monkeypatch.setattr(groups, "_kernel_areas", spy)
    return calls


def test_screening_totals_with_the_kernel_equal_geos(monkeypatch, kernel_loaded) -> None:
    """Polygon sites over overlapping red lines: the same frames on either path, the dissolved
    overlap areas to 1e-9 relative; the kernel is used only once numba is loaded."""
    import geopandas as gpd

    from zoning.screening import screen_sites

    rng = np.random.default_rng(23)
    x0, y0, gk = 500_000.0, 4_200_000.0, "EPSG:4547"
    c = rng.uniform(0, 3000, (60, 2)) + np.array([x0, y0])
    zones = gpd.GeoDataFrame(
        {"feature_id": [f"z{i}" for i in range(60)], "kind": "eco_redline", "zone": "general"},
        geometry=shapely.buffer(shapely.points(c), rng.uniform(100, 400, 60), quad_segs=12),
        crs=gk,
    )
    s = rng.uniform(0, 3000, (200, 2)) + np.array([x0, y0])
    w = rng.uniform(50, 300, (200, 2))
    sites = gpd.GeoDataFrame(
        {"site_id": [f"s{i}" for i in range(200)]},
        geometry=shapely.box(s[:, 0], s[:, 1], s[:, 0] + w[:, 0], s[:, 1] + w[:, 1]),
        crs=gk,
    )
    calls = _spy_kernel_areas(monkeypatch)
    monkeypatch.setattr(nearby, "KERNEL_MIN", 10**9)  # the nearby search on GEOS
    a = screen_sites(sites, {"eco_redline": zones}, "road", n_jobs=2)
    assert calls == []
    monkeypatch.setattr(nearby, "KERNEL_MIN", 1)  # on numba's kernel: the unions follow
    b = screen_sites(sites, {"eco_redline": zones}, "road", n_jobs=2)
    assert sum(calls) > 20  # multi-feature groups went to the kernel
    x, y = a.by_layer, b.by_layer
    cols = ["overlap_area_m2", "share_of_site"]
    pd.testing.assert_frame_equal(x.drop(columns=cols), y.drop(columns=cols), check_exact=True)
    assert y["overlap_area_m2"].to_numpy() == pytest.approx(x["overlap_area_m2"], rel=1e-9)
    pd.testing.assert_frame_equal(a.hits, b.hits, check_exact=True)


def test_area_kernel_follows_the_batch_not_what_the_process_ran_before(
    monkeypatch, kernel_loaded
) -> None:
    """A batch whose nearby search stays on GEOS measures its unions by GEOS, even in a
    process where numba's nearby kernel is loaded already (a server after a large batch)."""
    import geopandas as gpd

    from zoning.screening import screen_sites

    calls = _spy_kernel_areas(monkeypatch)
    rng = np.random.default_rng(5)
    c = rng.uniform(0, 2000, (40, 2)) + np.array([500_000.0, 4_200_000.0])
    zones = gpd.GeoDataFrame(
        {"feature_id": [f"z{i}" for i in range(40)], "kind": "eco_redline", "zone": "general"},
        geometry=shapely.buffer(shapely.points(c), 300.0, quad_segs=8),
        crs="EPSG:4547",
    )
    s = rng.uniform(0, 2000, (30, 2)) + np.array([500_000.0, 4_200_000.0])
    sites = gpd.GeoDataFrame(
        {"site_id": [f"s{i}" for i in range(30)]},
        geometry=shapely.box(s[:, 0], s[:, 1], s[:, 0] + 200, s[:, 1] + 200),
        crs="EPSG:4547",
    )
    nearby._kernel()  # numba's nearby kernel is in the process
    assert "zoning.screening.nearkernel" in sys.modules
    a = screen_sites(sites, {"eco_redline": zones}, "road", n_jobs=2)
    assert calls == []  # this batch's nearby search ran on GEOS: so do its unions
    monkeypatch.setattr(nearby, "KERNEL_MIN", 1)
    b = screen_sites(sites, {"eco_redline": zones}, "road", n_jobs=2)
    assert sum(calls) > 5  # the same batch with its nearby search on the kernel
    assert b.by_layer["overlap_area_m2"].to_numpy() == pytest.approx(
        a.by_layer["overlap_area_m2"], rel=1e-9
    )


def test_nearest_distances_on_threads_are_the_single_call_bit_for_bit() -> None:
    rng = np.random.default_rng(29)
    a = shapely.points(rng.uniform(0, 1e5, (1000, 2)) + 4e6)
    b = shapely.buffer(shapely.points(rng.uniform(0, 1e5, (1000, 2)) + 4e6), 50.0)
    want = shapely.distance(a, b)
    for n_jobs, n in ((1, 1000), (2, 1000), (3, 1000), (2, 200), (2, 0)):
        got = index._distances(a[:n], b[:n], n_jobs)
        assert got.dtype == np.float64 and np.array_equal(got, want[:n]), (n_jobs, n)


def test_work_beside_the_pair_metrics_runs_only_when_threads_share_the_pairs() -> None:
    rng = np.random.default_rng(31)
    n = 400
    sites = shapely.points(rng.uniform(0, 1000, (n, 2)))
    z = np.full(n, box(0, 0, 500, 500), dtype=object)
    dims = np.zeros(n, dtype=np.int64)
    radius = np.full(n, 50.0)
    owner = np.arange(n) % 7
    for n_jobs, count, expect in ((2, n, [1]), (1, n, []), (2, 50, []), (1, 2000, [])):
        calls: list[int] = []
        s = np.resize(sites, count)
        out = metrics.run_pair_metrics(
            s, np.resize(z, count), np.resize(dims, count), np.resize(radius, count), 10.0,
            n_jobs, np.resize(owner, count), beside=lambda c=calls: c.append(1),
        )  # fmt: skip
        assert calls == expect, (n_jobs, count)
        inside = shapely.contains_properly(box(0, 0, 500, 500), s)
        assert np.array_equal(out["inside"], inside)
