"""Independent stages of a screening overlap on threads and still give the one-thread answer.

The nearest-feature search starts on a helper thread while the calling thread applies the
rules and totals the hits (``first`` of :func:`zoning.screening.buckets.run_buckets`); the
line totals run beside the polygon unions; a few hundred pairs are measured on every thread.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box

from zoning.screening import index, metrics
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
    n = 600  # between _SPLIT_MIN and _CHUNK: one bucket per thread
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
    assert len(calls) == 2 and sum(calls) == n
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
