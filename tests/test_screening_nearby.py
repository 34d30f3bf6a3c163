"""Distances of far site/zone pairs (nearby zones) are GEOS's own, bit for bit.

:mod:`zoning.screening.nearby` measures pairs whose envelopes lie apart against runs of the
zone's rings instead of the whole zone; every answer is compared here with
``shapely.distance`` on the whole geometries, and the merged metrics with those of
``run_pair_metrics`` on every pair (the path before the split).
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.affinity

from zoning.screening import nearby
from zoning.screening.metrics import run_pair_metrics
from zoning.screening.nearby import add_far_pairs, far_distances, far_pairs, without_far


def _star(rng: np.random.Generator, cx: float, cy: float, r: float, n: int) -> shapely.Polygon:
    """An irregular star-shaped polygon of ``n`` vertices (valid by construction)."""
    theta = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = r * (1 + 0.3 * np.sin(3 * theta + rng.uniform(0, 6)) + rng.uniform(-0.05, 0.05, n))
    return shapely.Polygon(np.column_stack([cx + rad * np.cos(theta), cy + rad * np.sin(theta)]))


def _zones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Stars of 4 to 900 vertices, some with holes, some multipart, in GK-like coordinates."""
    out = []
    for _ in range(n):
        cx, cy = rng.uniform(500_000, 520_000), rng.uniform(4_000_000, 4_020_000)
        r = rng.uniform(50, 900)
        star = _star(rng, cx, cy, r, int(rng.integers(4, 900)))
        kind = rng.integers(0, 4)
        if kind == 1:  # a hole
            star = star.difference(shapely.Point(cx, cy).buffer(r * 0.3))
        elif kind == 2:  # two parts
            star = shapely.MultiPolygon(
                [star, _star(rng, cx + 3 * r, cy, r / 2, int(rng.integers(4, 200)))]
            )
        out.append(star)
    return np.array(out, dtype=object)


def _sites(rng: np.random.Generator, n: int) -> np.ndarray:
    """Points, lines (some multipart), boxes, rotated polygons and multipoints."""
    out = []
    for k in range(n):
        x, y = rng.uniform(499_000, 521_000), rng.uniform(3_999_000, 4_021_000)
        kind = k % 6
        if kind == 0:
            out.append(shapely.Point(x, y))
        elif kind == 1:
            m = int(rng.integers(2, 8))
            out.append(shapely.LineString(np.array([x, y]) + rng.normal(0, 800, (m, 2))))
        elif kind == 2:
            w, h = rng.uniform(10, 800, 2)
            out.append(shapely.box(x, y, x + w, y + h))
        elif kind == 3:
            out.append(
                shapely.affinity.rotate(shapely.box(x, y, x + 300, y + 80), rng.uniform(0, 90))
            )
        elif kind == 4:
            a = shapely.LineString([(x, y), (x + 400, y + 30)])
            out.append(shapely.MultiLineString([a, shapely.affinity.translate(a, 0, 500)]))
        else:
            out.append(shapely.MultiPoint(rng.normal([x, y], 300, (3, 2))))
    return np.array(out, dtype=object)


def _far_pairs(sites: np.ndarray, zones: np.ndarray, radius: float) -> tuple[np.ndarray, ...]:
    """Pairs whose envelopes lie apart (more than 11 m) and within the radius + 1 m."""
    tree = shapely.STRtree(zones)
    b = shapely.bounds(sites)
    pad = radius + 1.0
    si, zi = tree.query(shapely.box(b[:, 0] - pad, b[:, 1] - pad, b[:, 2] + pad, b[:, 3] + pad))
    far = far_pairs(sites[si], zones[zi], radius, 10.0)
    return sites[si[far]], zones[zi[far]]


@pytest.mark.parametrize("radius", [1000.0, 150.0])
def test_far_distances_are_geos_distances_bit_for_bit(monkeypatch, radius: float) -> None:
    monkeypatch.setattr(nearby, "KERNEL_MIN", 0)  # the run path on every pair
    monkeypatch.setattr(nearby, "_CHUNK", 7)  # many chunks, zones split across them
    rng = np.random.default_rng(20261206)
    s, z = _far_pairs(_sites(rng, 600), _zones(rng, 300), radius)
    assert len(s) > 300
    want = shapely.distance(s, z)
    for n_jobs in (1, 2):
        d, within = far_distances(s, z, radius, n_jobs)
        assert np.array_equal(within, want <= radius)
        assert np.array_equal(d[within], want[within])  # bitwise: equal floats
    # the case the runs can get wrong, if any: many pairs just beyond and within the radius
    assert ((want > radius) & (want < radius * 1.2)).sum() > 10
    assert (want <= radius).sum() > 100


def test_far_distances_of_other_geometries_are_geos(monkeypatch) -> None:
    monkeypatch.setattr(nearby, "KERNEL_MIN", 0)
    line_zone = shapely.LineString([(0, 0), (100, 0), (100, 100)])
    square = shapely.box(0, 0, 10, 10)
    s = np.array(
        [
            shapely.Point(200, 50),  # a point: measured whole
            shapely.LineString([(200, 0), (150, 60)]),
            shapely.LineString([(30, 40), (40, 41)]),  # against the square: 30 m
            shapely.GeometryCollection([shapely.Point(50, 50), shapely.LineString([(60, 50), (70, 60)])]),
        ],
        dtype=object,
    )  # fmt: skip
    z = np.array([line_zone, line_zone, square, square], dtype=object)
    d, within = far_distances(s, z, 60.0)
    want = shapely.distance(s, z)
    assert np.array_equal(within, want <= 60.0)
    assert np.array_equal(d[within], want[within])
    assert d[2] == pytest.approx(np.hypot(20, 30))  # to the square's corner (10, 10)


def test_far_distances_drop_pairs_beyond_the_radius() -> None:
    # a square and a site 50 m east of it: within 60 m, not within 40 m
    s = np.array([shapely.LineString([(60, 0), (60, 10)])] * 5000, dtype=object)
    z = np.array([shapely.box(0, 0, 10, 10)] * 5000, dtype=object)
    for radius, inside in ((60.0, True), (50.0, True), (40.0, False)):
        d, within = far_distances(s, z, radius)
        assert within.all() == inside and within.any() == inside
        if inside:
            assert (d == 50.0).all()


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Columns equal element for element (NaN equal to NaN, arrays compared by value)."""
    if a.dtype == object:
        return len(a) == len(b) and all(
            (x is None and y is None)
            or (isinstance(x, np.ndarray) and np.array_equal(x, y))
            or (not isinstance(x, np.ndarray) and x is not None and shapely.equals_exact(x, y, 0))
            for x, y in zip(a, b, strict=True)
        )
    return np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


@pytest.mark.parametrize("kernel_min", [0, 10**9])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_far_pairs_split_off_give_the_metrics_of_every_pair(
    monkeypatch, kernel_min: int, n_jobs: int
) -> None:
    monkeypatch.setattr(nearby, "KERNEL_MIN", kernel_min)
    rng = np.random.default_rng(7)
    sites, zones = _sites(rng, 600), _zones(rng, 300)
    radius, tol = 1000.0, 10.0
    tree = shapely.STRtree(zones)
    b = shapely.bounds(sites)
    si, zi = tree.query(shapely.box(b[:, 0] - radius, b[:, 1] - radius, b[:, 2] + radius,
                                    b[:, 3] + radius))  # fmt: skip
    s, z = sites[si], zones[zi]
    dims = shapely.get_dimensions(s)
    rad = np.full(len(s), radius)
    assert len(s) > 2048  # several batches of the metrics
    want = run_pair_metrics(s, z, dims, rad, tol, n_jobs, zi)
    far = far_pairs(s, z, radius, tol)
    assert 500 < len(far) < len(s) - 200
    m = run_pair_metrics(s, without_far(z, far), dims, rad, tol, n_jobs, zi)
    got = add_far_pairs(m, far, *far_distances(s[far], z[far], radius, n_jobs), tol)
    assert list(got) == list(want)
    assert want["keep"][far].sum() > 300 and (~want["keep"][far]).sum() > 50
    for key in want:  # every row, every column: the same values, bit for bit
        assert _same(got[key], want[key]), key


def test_far_pairs_need_a_radius_beyond_the_tolerance() -> None:
    s = np.array([shapely.Point(0, 0), shapely.Point(0, 0), shapely.Point(0, 0)], dtype=object)
    z = np.array([shapely.box(5, 5, 6, 6), shapely.box(100, 0, 101, 1), shapely.box(0, 300, 1, 301)], dtype=object)  # fmt: skip
    assert far_pairs(s, z, 10.0, 10.0).tolist() == []
    assert far_pairs(s, z, 200.0, 10.0).tolist() == [1]  # the first touches, the last is beyond


def test_far_distances_on_demo_zones(monkeypatch, demo_catalog) -> None:
    # real layer shapes (shared edges, many vertices), projected as a screening projects them
    monkeypatch.setattr(nearby, "KERNEL_MIN", 0)
    from zoning.screening.index import build_index

    index = build_index(demo_catalog)
    rng = np.random.default_rng(5)
    total = 0
    for kind in ("eco_redline", "control_unit", "basic_farmland"):
        layer = index.layers[kind]
        import pyproj

        crs = pyproj.CRS.from_epsg(4548)
        zones = layer.projected(np.arange(min(len(layer.geoms), 400)), crs)
        zones = zones[shapely.get_dimensions(zones) == 2]
        # sites just east of a zone's envelope: beyond it, most within 1 km of the zone
        b = shapely.bounds(zones)[rng.integers(0, len(zones), 400)]
        x = b[:, 2] + rng.uniform(15, 900, 400)
        y = rng.uniform(b[:, 1], b[:, 3])
        xy = np.column_stack([x, y])
        sites = np.concatenate(
            [
                shapely.linestrings(np.stack([xy[:200], xy[:200] + rng.normal(0, 300, (200, 2))], 1)),
                shapely.box(x[200:], y[200:], x[200:] + 200, y[200:] + 150),
            ]
        )  # fmt: skip
        s, z = _far_pairs(sites, zones, 1000.0)
        want = shapely.distance(s, z)
        d, within = far_distances(s, z, 1000.0)
        assert np.array_equal(within, want <= 1000.0), kind
        assert np.array_equal(d[within], want[within]), kind
        total += int(within.sum())
    assert total > 300


def test_runs_tile_every_ring_with_their_envelopes() -> None:
    from zoning.screening.nearby import _zone_runs
    from zoning.screening.nearkernel import ring_boxes, run_boxes

    rng = np.random.default_rng(2)
    zones = np.array(
        [
            _star(rng, 0, 0, 100, 70),  # 70 segments: runs of 32, 32 and 6
            shapely.box(0, 0, 1, 1).difference(shapely.box(0.2, 0.2, 0.4, 0.4)),  # 4 + 4
            shapely.MultiPolygon([_star(rng, 500, 0, 50, 33), shapely.box(9, 9, 10, 10)]),
        ],
        dtype=object,
    )
    runs = _zone_runs(zones)
    xy, start, end, first = runs["xy"], runs["start"], runs["end"], runs["first"]
    assert np.diff(first).tolist() == [3, 2, 3]  # 71 vertices; two rings; 33 + 1, then 4
    assert (end - start).tolist() == [32, 32, 6, 4, 4, 32, 1, 4]
    assert runs["ring"].tolist() == [0, 0, 0, 1, 2, 3, 3, 4]
    assert runs["poly"].tolist() == [0, 1, 1, 2, 3]  # the square's shell and hole: one polygon
    # every segment of every ring is in exactly one run: the runs' vertices are the rings'
    rings = shapely.get_rings(shapely.get_parts(zones))
    want = np.concatenate([shapely.get_coordinates(r) for r in rings])
    assert np.array_equal(xy, want)
    boxes = run_boxes(xy, start, end)
    for r, (a, b) in enumerate(zip(start, end, strict=True)):
        part = xy[a : b + 1]
        assert boxes[r].tolist() == [*part.min(axis=0), *part.max(axis=0)]
    env = ring_boxes(boxes, runs["ring"], int(runs["n_rings"]))
    assert np.array_equal(env, shapely.bounds(rings))  # GEOS's envelope of each ring


# --------------------------------------------------------------- GEOS's formulas, bit for bit
def _segments(rng: np.random.Generator, n: int, scale: float, offset: float) -> np.ndarray:
    """Pairs of segments (rows ``ax, ay, bx, by, cx, cy, dx, dy``) in awkward configurations.

    Random; crossing at a shared point; sharing an end; collinear and overlapping; parallel;
    of length 0; nearly touching (an end moved by a few units in the last place).
    """
    a = rng.uniform(-1, 1, (n, 8)) * scale + offset
    k = np.arange(n) % 7
    mid = (a[:, 0:2] + a[:, 2:4]) / 2
    a[k == 1, 4:6] = mid[k == 1] + (a[k == 1, 4:6] - mid[k == 1])  # through the midpoint
    a[k == 1, 6:8] = 2 * mid[k == 1] - a[k == 1, 4:6]
    a[k == 2, 4:6] = a[k == 2, 2:4]  # C = B
    t = rng.uniform(-0.5, 1.5, (n, 2))
    col = k == 3  # C, D on the line AB
    a[col, 4:6] = a[col, 0:2] + t[col, :1] * (a[col, 2:4] - a[col, 0:2])
    a[col, 6:8] = a[col, 0:2] + t[col, 1:] * (a[col, 2:4] - a[col, 0:2])
    par = k == 4  # CD = AB shifted
    a[par, 6:8] = a[par, 4:6] + (a[par, 2:4] - a[par, 0:2])
    a[k == 5, 2:4] = a[k == 5, 0:2]  # A = B
    near = k == 6  # C on AB, nudged
    c = a[near, 0:2] + 0.37 * (a[near, 2:4] - a[near, 0:2])
    a[near, 4:6] = c + np.spacing(c) * rng.integers(-3, 4, c.shape)
    return a


@pytest.mark.parametrize(
    ("scale", "offset"), [(1.0, 0.0), (1000.0, 4.2e6), (1e-6, 0.0), (3e7, -1e7), (50.0, 5e5)]
)
def test_segment_formulas_are_geos_bit_for_bit(scale: float, offset: float) -> None:
    from zoning.screening.nearkernel import point_segment, segment_segment

    rng = np.random.default_rng(int(scale * 7 + abs(offset)) % 2**32)
    a = _segments(rng, 3000, scale, offset)
    ab = shapely.linestrings(a[:, 0:4].reshape(-1, 2, 2))
    cd = shapely.linestrings(a[:, 4:8].reshape(-1, 2, 2))
    want = shapely.distance(ab, cd)
    got = np.array([segment_segment(*row) for row in a])
    assert np.array_equal(got, want)  # equal floats, every one
    assert (want == 0).sum() > 300 and (want > 0).sum() > 1000
    want_p = shapely.distance(shapely.points(a[:, 4:6]), ab)
    got_p = np.array([point_segment(*row[4:6], *row[0:4]) for row in a])
    assert np.array_equal(got_p, want_p)


@pytest.mark.parametrize("radius", [1000.0, 150.0])
def test_replayed_geos_loop_is_geos_bit_for_bit(monkeypatch, radius: float) -> None:
    # every pair through GEOS's own loop (otherwise only when the least might be skipped)
    monkeypatch.setattr(nearby, "KERNEL_MIN", 0)
    monkeypatch.setattr(nearby, "_REPLAY", True)
    rng = np.random.default_rng(99)
    s, z = _far_pairs(_sites(rng, 600), _zones(rng, 300), radius)
    want = shapely.distance(s, z)
    d, within = far_distances(s, z, radius, 2)
    assert np.array_equal(within, want <= radius)
    assert np.array_equal(d[within], want[within])
    assert within.sum() > 90


def test_both_kernel_paths_are_taken(monkeypatch) -> None:
    # the least certified against GEOS's envelope tests, and GEOS's loop replayed where not
    # (boxes beside axis-parallel edges: the envelope gap rounds to the distance)
    monkeypatch.setattr(nearby, "KERNEL_MIN", 0)
    seen = []
    chunk = nearby._chunk

    def spy(*args):  # type: ignore[no-untyped-def]
        out, status = chunk(*args)
        seen.append(status)
        return out, status

    monkeypatch.setattr(nearby, "_chunk", spy)
    rng = np.random.default_rng(3)
    x = rng.uniform(4e5, 6e5, 3000)
    y = rng.uniform(4e6, 4.1e6, 3000)
    w = rng.uniform(10, 300, 3000)
    s = shapely.box(x, y, x + w, y + w)
    z = shapely.box(x + w + rng.uniform(12, 900, 3000), y + rng.uniform(-50, 50, 3000),
                    x + 2 * w + 1000, y + w)  # fmt: skip
    want = shapely.distance(s, z)
    d, within = far_distances(s, z, 1000.0)
    assert np.array_equal(within, want <= 1000.0)
    assert np.array_equal(d[within], want[within])
    status = np.concatenate(seen)
    assert (status == 0).sum() > 100 and (status == 1).sum() > 100


# ------------------------------------------- close envelopes, disjoint and apart: settled too
def _nested(rng: np.random.Generator, zones: np.ndarray) -> np.ndarray:
    """Sites in and around the zones: centres (in holes), inner boxes, boxes holding a zone."""
    out = []
    for zone in zones[:120]:
        x0, y0, x1, y1 = zone.bounds
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        w = (x1 - x0) / 10
        out += [
            shapely.Point(cx, cy),
            shapely.box(cx - w, cy - w, cx + w, cy + w),
            shapely.box(x0 - 30, y0 - 30, x1 + 30, y1 + 30),  # the zone inside a site
            shapely.box(x0 - 30, y0 - 30, x1 + 30, y1 + 30).difference(  # … inside its hole
                shapely.box(x0 - 15, y0 - 15, x1 + 15, y1 + 15)
            ),
            shapely.LineString([(x0 - 20, cy + rng.uniform(-w, w)), (x0 + 3, y1 + 20)]),
        ]
    return np.array(out, dtype=object)


@pytest.mark.parametrize("kernel_min", [0, 10**9])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_settled_pairs_give_the_metrics_of_every_pair(
    monkeypatch, kernel_min: int, n_jobs: int
) -> None:
    from zoning.screening.nearby import settle_pairs

    monkeypatch.setattr(nearby, "KERNEL_MIN", kernel_min)
    monkeypatch.setattr(nearby, "_CHUNK", 50)
    rng = np.random.default_rng(11)
    zones = _zones(rng, 300)
    sites = np.concatenate([_sites(rng, 600), _nested(rng, zones)])
    radius, tol = 1000.0, 10.0
    tree = shapely.STRtree(zones)
    b = shapely.bounds(sites)
    si, zi = tree.query(shapely.box(b[:, 0] - radius, b[:, 1] - radius, b[:, 2] + radius,
                                    b[:, 3] + radius))  # fmt: skip
    s, z = sites[si], zones[zi]
    dims = shapely.get_dimensions(s)
    rad = np.full(len(s), radius)
    want = run_pair_metrics(s, z, dims, rad, tol, n_jobs, zi)
    far, dist, within = settle_pairs(s, z, radius, tol, n_jobs)
    env_far = far_pairs(s, z, radius, tol)
    assert set(env_far) <= set(far)
    close = np.setdiff1d(far, env_far)  # envelopes within 11 m, the geometries not
    if kernel_min:
        assert len(close) == 0
    else:
        assert len(close) > 200
        assert not want["intersects"][close].any()
        assert want["keep"][close].sum() > 100
        # left to the metrics: the contained ones, crossing ones, the ones within 11 m
        left = np.setdiff1d(np.arange(len(s)), far)
        assert want["inside"][left].sum() > 50 and (~want["intersects"][left]).sum() > 20
    m = run_pair_metrics(s, without_far(z, far), dims, rad, tol, n_jobs, zi)
    got = add_far_pairs(m, far, dist, within, tol)
    for key in want:  # every row, every column: the same values, bit for bit
        assert _same(got[key], want[key]), key


def test_settled_pairs_need_a_radius_well_beyond_the_tolerance(monkeypatch) -> None:
    from zoning.screening.nearby import settle_pairs

    monkeypatch.setattr(nearby, "KERNEL_MIN", 0)
    s = np.array([shapely.Point(0, 0)] * 3, dtype=object)
    # a ring around the point 15 m away (its envelope holds the point), two boxes 100 m east
    ring = shapely.Point(0, 0).buffer(40).difference(shapely.Point(0, 0).buffer(15))
    z = np.array([ring, shapely.box(100, 0, 101, 1), shapely.box(100, 0, 101, 1)], dtype=object)
    far, d, within = settle_pairs(s, z, 200.0, 10.0)
    assert far.tolist() == [0, 1, 2] and within.all()
    assert np.array_equal(d, shapely.distance(s, z))
    far, d, within = settle_pairs(s, z, 21.0, 10.0)  # a radius under twice 11 m: envelopes only
    assert far.tolist() == [] or far.tolist() == [1, 2]
    assert settle_pairs(s, z, 10.0, 10.0)[0].tolist() == []


def test_cached_kernel_loads_without_numba_array_module() -> None:
    """Loading the cached kernel spares numba's array module (no NumPy allocation in a kernel).

    Cached code that allocates (``np.empty`` inside a kernel) makes numba import
    ``numba.np.arrayobj`` as it loads the code: about 0.07 s of CPU on the first screening
    with nearby zones. Checked in a new interpreter, after this one made sure the cache is there.
    """
    import json
    import subprocess
    import sys

    assert nearby.warm_up() == 2.0  # compiles and caches the kernels if they are not yet
    code = (
        "import json, sys\n"
        "from zoning.screening import nearby\n"
        "assert nearby.warm_up() == 2.0\n"
        "print(json.dumps('numba.np.arrayobj' in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    arrayobj = json.loads(proc.stdout.strip().splitlines()[-1])
    if "JitCacheWarning" in proc.stderr:
        pytest.skip("numba's cache is not usable here: the kernel was compiled, not loaded")
    assert not arrayobj
