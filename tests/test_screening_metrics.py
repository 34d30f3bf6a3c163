"""Exact pair metrics (zoning.screening.metrics): numpy line metrics against GEOS, clipping."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point, Polygon


# --------------------------------------------------------------------------- line metrics vs GEOS
@settings(max_examples=60, deadline=None)
@given(
    # whole metres: no 1e-186 offsets that would make GEOS's own snapping the thing under test
    pts=st.lists(
        st.tuples(st.integers(-1200, 1200), st.integers(-1200, 1200)), min_size=2, max_size=6
    ),
    wobble=st.floats(0.0, 0.4),
    n=st.integers(5, 120),
)
def test_numpy_line_metrics_match_geos(pts, wobble, n):
    from zoning.screening.segments import line_zone_metrics

    line = LineString(pts)
    if line.length == 0 or not line.is_simple:
        return  # a route doubling back: path length (ours) differs from GEOS's point set
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 800 * (1 + wobble * np.sin(3 * ang))
    zone = Polygon(np.column_stack([r * np.cos(ang), r * np.sin(ang)]))
    length, crossings, intervals = line_zone_metrics(np.array([line]), np.array([zone]))
    expected = line.intersection(zone).length
    assert length[0] == pytest.approx(expected, abs=1e-6)
    assert float(np.sum(intervals[0][:, 1] - intervals[0][:, 0])) == pytest.approx(
        expected, abs=1e-6
    )
    # crossings: boundary points where the line passes from one side to the other
    if not line.touches(zone):
        inside = [
            zone.contains(Point(p))
            for p in line.interpolate(np.linspace(0, 1, 2001), normalized=True)
        ]
        assert crossings[0] >= sum(a != b for a, b in itertools.pairwise(inside))


def test_clip_falls_back_to_the_exact_intersection_where_geos_cannot_clip(monkeypatch):
    """GEOS's rectangle clip raises on some degenerate inputs; screening must not: the failing
    geometry is cut by an exact intersection with the rectangle instead.
    """
    import shapely
    from shapely import lib
    from shapely.geometry import box

    from zoning.screening import segments

    geoms = np.array([box(0, 0, 10, 10), box(5, 5, 20, 20)], dtype=object)
    bounds = [np.array([2.0, 8.0]), np.array([2.0, 8.0]), np.array([6.0, 12.0]),
              np.array([6.0, 12.0])]  # fmt: skip
    expect = [g.intersection(box(*r)) for g, r in zip(geoms, np.c_[tuple(bounds)], strict=True)]
    real_clip = shapely.clip_by_rect

    def vector_fails(*args):
        raise shapely.errors.GEOSException("IllegalArgumentException: Invalid number of points")

    def first_fails(geom, *rect):
        if geom.equals(geoms[0]):
            raise shapely.errors.GEOSException("IllegalArgumentException: Invalid number of points")
        return real_clip(geom, *rect)

    monkeypatch.setattr(lib, "clip_by_rect", vector_fails)
    monkeypatch.setattr(shapely, "clip_by_rect", first_fails)
    out = segments.clip_rects(geoms, *bounds)
    assert [g.area for g in out] == [16.0, 16.0]  # 4 x 4 squares, by hand
    assert all(a.equals(b) for a, b in zip(out, expect, strict=True))


@pytest.mark.parametrize("seed", range(6))
def test_hit_groups_are_those_of_a_sorted_groupby(seed: int) -> None:
    """The numpy grouping of the totals equals ``groupby(sort=True)`` with first/any/size.

    Keys sort as Python strings (upper case before lower, Chinese after Latin); a missing
    zone (dropped by ``groupby``) takes the pandas path and gives the same.
    """
    import pandas as pd

    from zoning.screening.groups import group_hits

    rng = np.random.default_rng(seed)
    n = 60
    zones = np.array(["", "core", "Core", "二级", "一级", "b"], dtype=object)[rng.integers(0, 6, n)]
    if seed == 5:
        zones[[3, 17]] = None
    hits = pd.DataFrame(
        {
            "site_idx": rng.integers(0, 4, n).astype(np.int64),
            "layer_kind": np.array(["red_line", "water_source", "nature_reserve"], dtype=object)[
                rng.integers(0, 3, n)
            ],
            "zone": zones,
            "overlap_area_m2": rng.random(n),
            "overlap_length_m": rng.random(n),
            "inside": rng.random(n) < 0.3,
        }
    )
    inter = rng.random(n) < 0.7
    g, site, kind, zone, area, length, inside, n_feat = group_hits(hits, inter)
    sub = hits[inter]
    grouped = sub.groupby(["site_idx", "layer_kind", "zone"], sort=True)
    want = grouped.agg(
        a=("overlap_area_m2", "first"),
        b=("overlap_length_m", "first"),
        i=("inside", "any"),
        n=("inside", "size"),
    ).reset_index()
    assert list(site) == list(want["site_idx"])
    assert list(kind) == list(want["layer_kind"])
    assert list(zone) == list(want["zone"])
    assert np.array_equal(area, want["a"].to_numpy())
    assert np.array_equal(length, want["b"].to_numpy())
    assert list(inside) == list(want["i"]) and list(n_feat) == list(want["n"])
    # rows of a missing key belong to no group (NaN, as ngroup says)
    np.testing.assert_array_equal(np.asarray(g, float), grouped.ngroup().to_numpy(float))
    # sorted: sites ascending, then kinds and zones as Python strings
    keys = list(zip(site, kind, zone, strict=True))
    assert keys == sorted(keys)


# ------------------------------------------------------------------ batch independence of lines
def _wiggly_lines(seed: int, n: int) -> list[LineString]:
    """Lines at Gauss–Krüger scale (x ≈ 500 km, y ≈ 4,200 km) with awkward segment lengths."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        m = int(rng.integers(3, 9))
        x = 500_000.0 + rng.uniform(-300, 300) + np.cumsum(rng.uniform(37.1, 333.3, m))
        y = 4_200_000.0 + rng.uniform(-300, 300, m)
        out.append(LineString(np.column_stack([x, y])))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_line_intervals_do_not_depend_on_the_other_lines_of_the_batch(seed: int) -> None:
    """A line's inside intervals are distances along that line alone: measured after other
    lines in one call, they are the same floats as measured alone (a running sum over the batch
    minus the line's offset rounds differently, which made a site's totals depend on the other
    sites and on the thread count). The interval lengths add up to GEOS's intersection length.
    """
    from shapely.geometry import box

    from zoning.screening.segments import line_zone_metrics

    lines = _wiggly_lines(seed, 12)
    zone = box(500_200.0, 4_199_000.0, 501_000.0, 4_201_000.0)
    zones = np.array([zone] * len(lines), dtype=object)
    _, _, batch = line_zone_metrics(np.array(lines, dtype=object), zones)
    for k, line in enumerate(lines):
        _, _, alone = line_zone_metrics(np.array([line], dtype=object), zones[:1])
        assert np.array_equal(alone[0], batch[k])
        total = float(np.sum(batch[k][:, 1] - batch[k][:, 0]))
        assert total == pytest.approx(line.intersection(zone).length, abs=1e-6)


def test_line_totals_do_not_depend_on_threads_or_buckets(monkeypatch) -> None:
    """Road sites over two overlapping red lines: the dissolved totals (overlap counted once)
    are the same floats with one thread and one batch as with two threads and buckets of 8
    pairs, and the same as each site screened alone. Every site zigzags from x 300 to 1250 m
    through features A (x 0–1000) and B (x 500–1500) inside y 0–1000: wholly inside their
    union, so its dissolved overlap is its own length.
    """
    import geopandas as gpd
    from shapely.geometry import box

    from zoning.screening import metrics, screen_sites

    x0, y0, gk = 500_000.0, 4_200_000.0, "EPSG:4547"
    zones = gpd.GeoDataFrame(
        {"feature_id": ["a", "b"], "kind": "eco_redline", "zone": "general", "name": None},
        geometry=[box(x0, y0, x0 + 1000, y0 + 1000), box(x0 + 500, y0, x0 + 1500, y0 + 1000)],
        crs=gk,
    )
    rng = np.random.default_rng(7)
    geoms = []
    for i in range(60):  # zigzags with awkward vertices, kept inside y 0–1000
        x = x0 + np.r_[300.0, np.sort(rng.uniform(300.1, 1249.9, 5)), 1250.0]
        y = y0 + 100 + 13.7 * i + rng.uniform(0, 9.9, 7)
        geoms.append(LineString(np.column_stack([x, y])))
    sites = gpd.GeoDataFrame({"site_id": [f"s{i}" for i in range(60)]}, geometry=geoms, crs=gk)

    def totals(frame, n_jobs):
        res = screen_sites(frame, {"eco_redline": zones}, "road", n_jobs=n_jobs)
        return res.by_layer.sort_values("site_idx", kind="stable").reset_index(drop=True)

    one = totals(sites, 1)
    monkeypatch.setattr(metrics, "_CHUNK", 8)
    two = totals(sites, 2)
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    # each route lies wholly inside A ∪ B: counted once, its whole length (not 1.5x or so)
    assert one["overlap_length_m"].to_numpy() == pytest.approx([g.length for g in geoms])
    assert (one["n_features"] == 2).all()
    for i in (0, 17, 59):
        alone = totals(sites.iloc[[i]], 1).drop(columns="site_idx")
        expect = one.iloc[[i]].drop(columns="site_idx").reset_index(drop=True)
        pd.testing.assert_frame_equal(alone, expect, check_exact=True)


# ------------------------------------------------------------------------------ bucket runner
def test_buckets_run_on_the_calling_thread_and_n_jobs_minus_one_helpers() -> None:
    """Results come back in bucket order; the calling thread takes buckets too, so no more
    than ``n_jobs`` threads ever run them (each new thread costs a malloc arena).
    """
    import threading
    import time

    from zoning.screening.buckets import run_buckets

    seen: list[int] = []

    def job(k: int) -> int:
        seen.append(threading.get_ident())
        time.sleep(0.002)  # let the helper take buckets as well
        return k * k

    assert run_buckets(job, 40, 3) == [k * k for k in range(40)]
    threads = set(seen)
    assert threading.get_ident() in threads
    assert len(threads) <= 3
    seen.clear()
    assert run_buckets(job, 5, 1) == [0, 1, 4, 9, 16]
    assert set(seen) == {threading.get_ident()}


def test_a_failing_bucket_raises_and_stops_the_others() -> None:
    import time

    from zoning.screening.buckets import run_buckets

    ran: list[int] = []

    def job(k: int) -> int:
        ran.append(k)
        if k == 3:
            raise ValueError("bucket 3")
        time.sleep(0.001)
        return k

    with pytest.raises(ValueError, match="bucket 3"):
        run_buckets(job, 1000, 2)
    assert len(ran) < 100  # each thread finishes at most the bucket it holds


def test_a_line_ending_a_hair_short_of_a_second_feature_is_totalled() -> None:
    """A road that enters red line A and stops 0.2 mm short of red line B (closer than the
    1 mm that counts as touching) hits both features of the zone. Its dissolved overlap is
    its length inside A, 500 m up x = 700 and 300 m along y = 500; on main the touching
    pair's missing intervals raised TypeError.
    """
    import geopandas as gpd
    from shapely.geometry import box

    from zoning.screening import screen_sites

    x0, y0, gk = 500_000.0, 4_200_000.0, "EPSG:4547"
    zones = gpd.GeoDataFrame(
        {"feature_id": ["a", "b"], "kind": "eco_redline", "zone": "general", "name": None},
        geometry=[box(x0, y0, x0 + 1000, y0 + 1000), box(x0 + 1000.0004, y0, x0 + 2000, y0 + 1000)],
        crs=gk,
    )
    road = LineString([(x0 + 700, y0 - 500), (x0 + 700, y0 + 500), (x0 + 1000.0002, y0 + 500)])
    sites = gpd.GeoDataFrame({"site_id": ["r"]}, geometry=[road], crs=gk)
    res = screen_sites(sites, {"eco_redline": zones}, "road", n_jobs=1)
    (row,) = res.by_layer.to_dict("records")
    assert row["n_features"] == 2
    assert row["overlap_length_m"] == pytest.approx(500 + 300, abs=1e-6)


# ------------------------------------------------------------------ dissolved lengths of lines
def _one_group_union_length(intervals: list[np.ndarray]) -> float:
    """The per-group union length the engine used before it did every group at once."""
    if not any(len(x) for x in intervals):
        return 0.0  # (it raised here: concatenate of nothing)
    iv = np.concatenate([x for x in intervals if len(x)])
    iv = iv[np.argsort(iv[:, 0])]
    ends = np.maximum.accumulate(iv[:, 1])
    gap = np.r_[True, iv[1:, 0] > ends[:-1]]
    hi = np.maximum.reduceat(iv[:, 1], np.flatnonzero(gap))
    return float(np.sum(hi - iv[gap, 0]))


def test_interval_union_lengths_worked_example() -> None:
    """Overlaps count once, touching runs merge, nested runs vanish, empty groups are 0."""
    from zoning.screening import groups

    spans = [
        np.array([[0.0, 2.0], [5.0, 6.0]]),  # group 0, row 1
        np.array([[1.0, 3.0]]),  # group 0, row 2: [0, 3] ∪ [5, 6] = 4
        np.empty((0, 2)),  # group 1: nothing inside
        np.array([[2.0, 9.0], [3.0, 4.0]]),  # group 2: nested, 7
        np.array([[9.0, 10.0]]),  # group 2: touches at 9, 8 in all
    ]
    out = groups._interval_union_lengths(spans, np.array([2, 1, 2]))
    assert out.tolist() == [4.0, 0.0, 8.0]


@pytest.mark.parametrize("seed", range(4))
def test_interval_union_lengths_equal_each_group_alone_bit_for_bit(seed: int) -> None:
    """All groups at once give each group's own bits (ties, nesting, ≥ 8 runs, empties)."""
    from zoning.screening import groups

    rng = np.random.default_rng(seed)
    spans, sizes = [], []
    for _ in range(300):
        rows = int(rng.integers(1, 5))
        sizes.append(rows)
        for _ in range(rows):
            k = int(rng.integers(0, 12))
            a = np.round(rng.uniform(0, 5000, k), int(rng.integers(0, 3)))  # ties at times
            b = a + rng.exponential(rng.choice([3.0, 300.0]), k) * rng.uniform(0.1, 1.3)
            spans.append(np.column_stack([a, b]))
    out = groups._interval_union_lengths(spans, np.array(sizes))
    edges = np.r_[0, np.cumsum(sizes)]
    want = [_one_group_union_length(spans[a:b]) for a, b in itertools.pairwise(edges)]
    assert out.tolist() == want  # exact equality: the frames keep their bytes
    assert any(len(np.concatenate(spans[a:b])) >= 16 for a, b in itertools.pairwise(edges))


def test_road_touching_two_features_of_a_zone_from_outside() -> None:
    """A road that runs 0.2 mm outside two red-line features of one zone (closer than the
    1 mm that counts as touching) hits both, with nothing inside: dissolved length 0. On main
    the group's empty intervals raised ValueError (concatenate of nothing).
    """
    import geopandas as gpd
    from shapely.geometry import box

    from zoning.screening import screen_sites

    x0, y0, gk = 500_000.0, 4_200_000.0, "EPSG:4547"
    zones = gpd.GeoDataFrame(
        {"feature_id": ["a", "b"], "kind": "eco_redline", "zone": "general", "name": None},
        geometry=[box(x0, y0, x0 + 1000, y0 + 1000), box(x0 + 1000, y0, x0 + 2000, y0 + 1000)],
        crs=gk,
    )
    road = LineString([(x0 + 200, y0 - 0.0002), (x0 + 1800, y0 - 0.0002)])
    sites = gpd.GeoDataFrame({"site_id": ["r"]}, geometry=[road], crs=gk)
    res = screen_sites(sites, {"eco_redline": zones}, "road", n_jobs=1)
    (row,) = res.by_layer.to_dict("records")
    assert row["n_features"] == 2
    assert row["overlap_length_m"] == 0.0
    assert res.hits["intersects"].tolist() == [True, True]


# ----------------------------------------------------------- distance bounds of line segments
def test_segment_box_gaps_worked_values() -> None:
    """The least distance from a line's segments to a box, by hand."""
    from shapely import MultiLineString

    from zoning.screening import segments

    box = [0.0, 0.0, 10.0, 10.0]
    lines = np.array(
        [
            LineString([(20, -5), (20, 15)]),  # beside the box: 10
            LineString([(12, 30), (30, 12)]),  # diagonal past the corner (10, 10): 22 / √2
            LineString([(-5, 5), (15, 5)]),  # through the box, no end inside: 0
            LineString([(3, 3), (4, 4), (40, 4)]),  # starts inside: 0
            MultiLineString([[(30, 0), (30, 10)], [(10, 13), (0, 13)]]),  # nearer part: 3
        ],
        dtype=object,
    )
    out = segments.segment_box_gaps(lines, np.tile(box, (len(lines), 1)))
    assert out == pytest.approx([10.0, 22 / np.sqrt(2), 0.0, 0.0, 3.0], abs=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_segment_box_gaps_are_the_distance_to_a_rectangle(seed: int) -> None:
    """For a zone that is its own envelope the bound is GEOS's distance (so it is tight),
    within rounding; it is never above the distance to any zone inside that envelope."""
    import shapely

    from zoning.screening import segments

    rng = np.random.default_rng(seed)
    n = 400
    x0, y0 = rng.uniform(5e5, 5.1e5, n), rng.uniform(4.2e6, 4.21e6, n)
    boxes = np.column_stack([x0, y0, x0 + rng.uniform(1, 900, n), y0 + rng.uniform(1, 900, n)])
    lines = np.array(
        [
            LineString(np.column_stack([bx + rng.uniform(-3000, 3000, k), by + rng.uniform(-3000, 3000, k)]))
            for bx, by, k in zip(x0, y0, rng.integers(2, 6, n), strict=True)
        ],
        dtype=object,
    )  # fmt: skip
    zones = shapely.box(*boxes.T)
    out = segments.segment_box_gaps(lines, boxes)
    want = shapely.distance(lines, zones)
    assert np.abs(out - want).max() < 1e-6
    stars = shapely.buffer(shapely.centroid(zones), np.min(boxes[:, 2:] - boxes[:, :2], 1) / 2)
    assert (out <= shapely.distance(lines, stars) + 1e-6).all()
    assert (want > 0).sum() > n / 2  # most lines pass by: the bound is tested where it matters


def test_long_road_pairs_skipped_by_their_segments_give_the_same_rows() -> None:
    """An L-shaped road whose envelope holds a zone far from the road: that pair is not kept;
    the zone 5 m from the road is kept with its distance; the zone it crosses has its length.
    """
    from shapely.geometry import box

    from zoning.screening.metrics import run_pair_metrics

    road = LineString([(0, 0), (2000, 0), (2000, 2000)])
    zones = np.array(
        [
            box(100, 100, 900, 900),  # inside the road's envelope, 100 m from it
            box(500, 5, 600, 50),  # 5 m north of the first leg
            box(1900, 900, 2100, 1000),  # crossed by the second leg: 100 m inside
        ],
        dtype=object,
    )
    n = 3 * 30  # enough line pairs for the bound to be used (from 64)
    s = np.array([road] * n, dtype=object)
    z = np.tile(zones, 30)
    m = run_pair_metrics(s, z, np.ones(n, np.int64), np.full(n, 10.0), 10.0, 1, np.arange(n))
    assert m["keep"].tolist() == [False, True, True] * 30
    assert m["intersects"].tolist() == [False, False, True] * 30
    assert m["distance_m"][1::3] == pytest.approx([5.0] * 30, abs=1e-9)
    assert m["overlap_length_m"][2::3] == pytest.approx([100.0] * 30, abs=1e-9)
    assert m["near_boundary"][1::3].all()  # 5 m is within the 10 m tolerance


@pytest.mark.parametrize("seed", range(3))
def test_lines_intersect_as_geos_says_through_their_segments(seed: int) -> None:
    """Lines are tested segment by segment against the zone cut to each segment: the answers
    are GEOS's ``intersects`` and ``covers`` of the whole line and zone, also for lines that
    end exactly on a zone vertex, run along an edge, or pass a concave notch."""
    import shapely

    from zoning.screening.metrics import run_pair_metrics

    rng = np.random.default_rng(seed)
    k = np.arange(120)
    r = 500 * (1 + 0.3 * np.sin(5 * 2 * np.pi * k / 120))  # a star with deep notches
    star = Polygon(
        np.column_stack([r * np.cos(2 * np.pi * k / 120), r * np.sin(2 * np.pi * k / 120)])
    )
    ring = np.asarray(star.exterior.coords)
    lines = []
    for _ in range(150):
        m = int(rng.integers(2, 6))
        pts = rng.uniform(-900, 900, 2) + np.cumsum(rng.normal(0, 80, (m, 2)), axis=0)
        if rng.random() < 0.3:  # end exactly on a vertex (an edge's midpoint is not exact)
            pts[-1] = ring[int(rng.integers(0, 120))]
        if rng.random() < 0.1:  # run along an edge
            j = int(rng.integers(0, 120))
            pts = np.array([ring[j], ring[j + 1], [2000.0, 2000.0]])
        elif rng.random() < 0.15:  # wholly inside, maybe ending on or running along an edge
            j = int(rng.integers(0, 119))
            pts = np.array([[0.0, 0.0], ring[j], ring[j + 1]])[: int(rng.integers(2, 4))]
        elif rng.random() < 0.1:
            pts = rng.uniform(-250, 250, (m, 2))
        lines.append(LineString(pts))
    s = np.array(lines, dtype=object)
    z = np.array([star] * len(s), dtype=object)
    n = len(s)
    m = run_pair_metrics(s, z, np.ones(n, np.int64), np.full(n, 10.0), 10.0, 1, np.zeros(n))
    want = shapely.intersects(s, z)
    assert want.sum() > 20 and (~want).sum() > 20
    # touching within a millimetre also counts as hitting; nothing else may differ
    touch = ~want & (shapely.distance(s, z) <= 1e-3)
    assert (m["intersects"] == (want | touch)).all()
    # inside: in the zone (covers: ends on the boundary count), the rest crosses out of it
    assert (m["inside"] == shapely.covers(z, s)).all()
    assert m["inside"].sum() >= 10 and (m["inside"] & ~shapely.contains_properly(z, s)).any()


def test_paused_gc_restores_the_collector_state() -> None:
    """The collector is off inside, back on after (also after an error), and a collector the
    caller turned off stays off."""
    import gc

    from zoning.screening.buckets import paused_gc, pausing_gc

    assert gc.isenabled()
    try:
        with paused_gc():
            assert not gc.isenabled()
            raise KeyError("x")
    except KeyError:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()

    @pausing_gc
    def inside(x: int) -> tuple[int, bool]:
        """Doc."""
        return x + 1, gc.isenabled()

    assert inside(1) == (2, False) and gc.isenabled() and inside.__doc__ == "Doc."


def test_segment_cuts_apart_from_a_zone_are_what_geos_clips_them_to() -> None:
    """Segments whose grown envelope lies apart from the zone's skip GEOS's ``clip_by_rect``:
    every cut is still byte for byte what GEOS returns (an empty collection apart; the clip
    where the 1 m margin reaches the zone), for a star, a zone with a hole, a multipolygon and
    a small zone left whole."""
    import shapely

    from zoning.screening.segments import CLIP_MIN_VERTICES, clip_rects, segment_zones

    k = np.arange(96)
    r = 300 * (1 + 0.2 * np.sin(3 * 2 * np.pi * k / 96))
    star = Polygon(
        np.column_stack([r * np.cos(2 * np.pi * k / 96), r * np.sin(2 * np.pi * k / 96)])
    )
    holed = Polygon(star.exterior.coords, [shapely.buffer(Point(0, 0), 50).exterior.coords])
    multi = shapely.MultiPolygon([star, shapely.affinity.translate(star, 1000, 0)])
    small = shapely.box(-300, -300, 300, 300)
    zones = [star, holed, multi, small]
    rng = np.random.default_rng(7)
    a_list, b_list, z_list = [], [], []
    for zone in zones:
        x0, y0, x1, y1 = zone.bounds
        for _ in range(60):
            a = rng.uniform([x0 - 500, y0 - 500], [x1 + 500, y1 + 500])
            b = a + rng.normal(0, 150, 2)
            a_list.append(a), b_list.append(b), z_list.append(zone)
        # a segment 0.5 m east of the zone's easternmost vertex: its 1 m margin reaches it
        xy = shapely.get_coordinates(zone)
        ye = xy[np.argmax(xy[:, 0]), 1]
        a_list.append(np.array([x1 + 0.5, ye - 10])), b_list.append(np.array([x1 + 0.5, ye + 10]))
        z_list.append(zone)
        # and one exactly 1 m beyond: the grown envelope touches the zone's, not apart
        a_list.append(np.array([x1 + 1.0, ye - 10])), b_list.append(np.array([x1 + 1.0, ye + 10]))
        z_list.append(zone)
    a, b = np.array(a_list), np.array(b_list)
    z = np.array(z_list, dtype=object)
    got = segment_zones(a, b, z)
    lo, hi = np.minimum(a, b) - 1.0, np.maximum(a, b) + 1.0
    big = shapely.get_num_coordinates(z) >= CLIP_MIN_VERTICES
    want = z.copy()
    want[big] = clip_rects(z[big], lo[big, 0], lo[big, 1], hi[big, 0], hi[big, 1])
    assert (shapely.to_wkb(got) == shapely.to_wkb(want)).all()
    zb = shapely.bounds(z)
    apart = (
        (zb[:, 0] > hi[:, 0])
        | (zb[:, 2] < lo[:, 0])
        | (zb[:, 1] > hi[:, 1])
        | (zb[:, 3] < lo[:, 1])
    )
    assert (apart & big).sum() > 40 and (~apart & big & ~shapely.is_empty(want)).sum() > 40
    assert (got[~big] == z[~big]).all()  # the small zone is never cut
    near = np.flatnonzero(np.isclose(a[:, 0] - zb[:, 2], 0.5))
    assert len(near) == 4 and not shapely.is_empty(got[near]).any()
