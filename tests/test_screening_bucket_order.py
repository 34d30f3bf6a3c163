"""The pair metrics' buckets run costliest first; the answers stay in the pairs' order."""

from __future__ import annotations

import numpy as np
import shapely

from zoning.screening import metrics


def _pairs(n: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 2000, (n, 2))
    # zones of 8 to 400 vertices; the detailed ones on the last features, so that the
    # costliest buckets are not the first ones
    owner = np.arange(n) % 37
    zones = shapely.buffer(shapely.points(xy + rng.normal(0, 40, (n, 2))), 60.0, quad_segs=2)
    zones = shapely.segmentize(zones, 60.0 / (1 + owner))
    kind = np.arange(n) % 3
    sites = np.empty(n, dtype=object)
    sites[kind == 0] = shapely.points(xy[kind == 0])
    a = xy[kind == 1]
    sites[kind == 1] = shapely.linestrings(
        np.stack([a, a + np.array([90.0, 35.0]), a + np.array([150.0, -20.0])], 1)
    )
    b = xy[kind == 2]
    sites[kind == 2] = shapely.box(b[:, 0], b[:, 1], b[:, 0] + 70, b[:, 1] + 45)
    return sites, zones, shapely.get_dimensions(sites), owner


def test_costliest_buckets_first_give_the_answers_of_one_run(monkeypatch) -> None:
    s, z, dim, owner = _pairs(400)
    radius = np.full(len(s), 30.0)
    whole = metrics._pair_metrics(s, z, dim, radius, 10.0)
    ran: list[int] = []
    real = metrics._pair_metrics

    def spy(*args):
        ran.append(int(shapely.get_num_coordinates(args[1]).sum()))
        return real(*args)

    monkeypatch.setattr(metrics, "_CHUNK", 16)  # 25 buckets
    monkeypatch.setattr(metrics, "_pair_metrics", spy)
    got = metrics.run_pair_metrics(s, z, dim, radius, 10.0, 1, owner)
    # one thread takes the buckets in the order handed out: costliest first
    assert len(ran) == 25
    assert ran[0] == max(ran) and ran[-1] == min(ran)
    for key, want in whole.items():
        if key == "clip":
            assert shapely.to_wkb(got[key]).tolist() == shapely.to_wkb(want).tolist()
        elif key == "intervals":
            for g, w in zip(got[key], want, strict=True):
                assert (g is None and w is None) or np.array_equal(g, w)
        else:
            assert np.array_equal(got[key], want, equal_nan=True), key
    # two threads: the same answers
    two = metrics.run_pair_metrics(s, z, dim, radius, 10.0, 2, owner)
    for key in ("intersects", "inside", "overlap_area_m2", "overlap_length_m", "distance_m"):
        assert np.array_equal(two[key], whole[key], equal_nan=True), key


def test_a_few_hundred_pairs_go_to_two_buckets_per_thread(monkeypatch) -> None:
    s, z, dim, owner = _pairs(600)  # over 4 x 128 pairs, under one chunk of 1,024
    radius = np.full(len(s), 30.0)
    whole = metrics._pair_metrics(s, z, dim, radius, 10.0)
    sizes: list[int] = []
    real = metrics._pair_metrics

    def spy(*args):
        sizes.append(len(args[0]))
        return real(*args)

    monkeypatch.setattr(metrics, "_pair_metrics", spy)
    got = metrics.run_pair_metrics(s, z, dim, radius, 10.0, 2, owner)
    assert len(sizes) == 4 and sum(sizes) == 600
    for key in ("intersects", "inside", "overlap_area_m2", "overlap_length_m", "distance_m"):
        assert np.array_equal(got[key], whole[key], equal_nan=True), key
    sizes.clear()
    metrics.run_pair_metrics(s[:300], z[:300], dim[:300], radius[:300], 10.0, 2, owner[:300])
    assert len(sizes) == 2  # fewer than 512 pairs: one bucket per thread


def test_many_pairs_go_in_bucket_order(monkeypatch) -> None:
    s, z, dim, owner = _pairs(400)
    radius = np.full(len(s), 30.0)
    ran: list[int] = []
    real = metrics._pair_metrics
    owner_of = {id(g): int(o) for g, o in zip(z, owner, strict=True)}

    def spy(*args):
        ran.append(owner_of[id(args[1][0])])  # the owner of the bucket's first pair
        return real(*args)

    monkeypatch.setattr(metrics, "_CHUNK", 16)  # 25 buckets
    monkeypatch.setattr(metrics, "_COST_ORDER_MAX", 100)  # 400 pairs: too many to count
    monkeypatch.setattr(metrics, "_pair_metrics", spy)
    got = metrics.run_pair_metrics(s, z, dim, radius, 10.0, 1, owner)
    assert [o % 25 for o in ran] == list(range(25))  # bucket k holds owners k, k + 25
    want = real(s, z, dim, radius, 10.0)
    assert np.array_equal(got["overlap_area_m2"], want["overlap_area_m2"])
