"""The sweep that certifies long rings simple (``zoning.polyarea.certified_valid``).

Rings of more than 32 edges whose vertices all have their own ``x`` are decided by a
Shamos–Hoey sweep; the oracle is GEOS (``is_simple`` on the ring, ``is_valid`` on the
polygon). The rings are built so that contacts are exact: integer coordinates, a vertex moved
to the exact midpoint of a far edge (both coordinate sums even), a vertex pushed across the
ring, a spike, a duplicate vertex, and near misses one unit of rounding away from an edge.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Polygon

from zoning.polyarea import _certified, certified_valid, pack

X0, Y0 = 512_344.0, 4_012_344.0  # even: integer coordinates keep their parity


def _star(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    """A star-shaped ring of ``n`` vertices with zigzag radii, as integers (even offsets)."""
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = scale * (0.6 + 0.4 * rng.random(n))
    xy = np.c_[rad * np.cos(ang), rad * np.sin(ang)]
    return 2 * np.round(xy / 2) + np.array([X0, Y0])


def _mutate(rng: np.random.Generator, xy: np.ndarray, how: str) -> np.ndarray:
    """Return a copy of the ring ``xy`` (open: no closing vertex) changed as ``how`` says."""
    xy = xy.copy()
    n = len(xy)
    k = int(rng.integers(n))
    j = (k + int(rng.integers(3, n - 2))) % n  # edge j → j + 1, not next to vertex k
    if how == "touch":  # vertex k exactly on the far edge j → j + 1
        mid = (xy[j] + xy[(j + 1) % n]) / 2
        if np.all(mid == np.round(mid)):
            xy[k] = mid
    elif how == "near":  # vertex k one rounding unit off that point
        mid = (xy[j] + xy[(j + 1) % n]) / 2
        xy[k] = np.nextafter(mid, mid + rng.choice([-1.0, 1.0], 2))
    elif how == "cross":  # vertex k pushed through the ring
        xy[k] = xy[j] + 1.5 * (xy[j] - np.array([X0, Y0]))
    elif how == "spike":  # back along the edge k → k + 1 to its middle, then on
        mid = np.round((xy[k] + xy[(k + 1) % n]) / 4) * 2
        xy = np.insert(xy, k + 2 if k + 2 <= n else n, mid, axis=0)
    elif how == "duplicate":  # a far vertex visited twice
        xy[k] = xy[j]
    elif how == "reverse":
        xy = xy[::-1]
    return xy


_HOWS = ["none", "touch", "near", "cross", "spike", "duplicate", "reverse"]


def _certify(polys: np.ndarray, star: bool, n_jobs: int = 1) -> np.ndarray:
    """``certified_valid``, or (``star=False``) the same without the star certificate."""
    if star:
        return certified_valid(pack(polys), n_jobs=n_jobs)
    return _certified(pack(polys), n_jobs, star=False)


# both ways: with the star certificate first (what certified_valid does: the stars below are
# mostly certified by it) and without it (so that the sweep itself is tested on them)
BOTH = pytest.mark.parametrize("star", [True, False], ids=["star", "sweep"])


def _check(rng: np.random.Generator, n: int, scale: float, star: bool) -> tuple[int, int]:
    """Certified rings must be simple and valid; simple ones with distinct ``x`` certified."""
    rings = [_mutate(rng, _star(rng, n, scale), how) for how in _HOWS for _ in range(4)]
    polys = np.array([Polygon(xy) for xy in rings], dtype=object)
    sure = _certify(polys, star)
    valid = shapely.is_valid(polys)
    simple = shapely.is_simple(shapely.get_exterior_ring(polys))
    assert not (sure & ~valid).any()
    assert not (sure & ~simple).any()
    distinct = np.array([len(np.unique(xy[:, 0])) == len(xy) for xy in rings])
    # a simple ring whose vertices all have their own x is decided by the sweep: certified
    assert (sure | ~(valid & simple & distinct)).all()
    return int(sure.sum()), int((~valid).sum())


@BOTH
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(33, 600))
def test_swept_rings_certified_only_when_geos_finds_them_valid(star, seed, n):
    """Long integer rings (the sweep), each mutated into a contact, a near miss or a crossing."""
    _check(np.random.default_rng(seed), n, 1e6, star)


@BOTH
def test_the_mutations_make_invalid_rings(star):
    """The generator is not vacuous: many rings are invalid, many certified."""
    rng = np.random.default_rng(7)
    certified = invalid = 0
    for n in (40, 200, 1500):
        for _ in range(5):
            c, i = _check(rng, n, 1e6, star)
            certified += c
            invalid += i
    # per ring kind, about: unchanged and reversed all valid; touch, duplicate none; cross
    # and near ~5-10 % valid; spike (half of them only near the edge) ~45 %
    assert certified >= 0.3 * 3 * 5 * 28
    assert invalid >= 0.5 * 3 * 5 * 28


@BOTH
@pytest.mark.parametrize("n", [33, 64, 500, 3000])
def test_a_vertex_exactly_on_a_far_edge_is_found_by_the_sweep(n, star):
    """Worked by hand: a regular zigzag star whose vertex ``n/2`` is moved onto edge 0 → 1
    (an exact midpoint, all ``x`` still distinct): GEOS says invalid, never certified; the
    star itself is certified.
    """
    ang = 2 * np.pi * (np.arange(n) + 0.25) / n  # no vertex on the axes: distinct x
    rad = 1_000_000 * (1 + 0.25 * (np.arange(n) % 2))
    good = 2 * np.round(np.c_[rad * np.cos(ang), rad * np.sin(ang)] / 2) + [X0, Y0]
    good[:, 0] += np.arange(n) * 2.0**-20  # make every x distinct (exact: small dyadic)
    bad = good.copy()
    bad[n // 2] = (good[0] + good[1]) / 2
    assert np.all(bad[n // 2] == (good[0] + good[1]) / 2)
    polys = np.array([Polygon(good), Polygon(bad)], dtype=object)
    assert shapely.is_valid(polys).tolist() == [True, False]
    assert _certify(polys, star).tolist() == [True, False]


@BOTH
def test_many_rings_in_threads_agree_with_one_thread(star):
    """Chunks of rings in two threads give the same answers."""
    rng = np.random.default_rng(3)
    rings = [_mutate(rng, _star(rng, 60, 1e5), _HOWS[k % len(_HOWS)]) for k in range(700)]
    polys = np.array([Polygon(xy) for xy in rings], dtype=object)
    assert (_certify(polys, star, n_jobs=2) == _certify(polys, star)).all()


# --------------------------------------------------------------------------------------------
# The lexicographic sweep: shared x, vertical edges, collinear overlaps, and long rings
# --------------------------------------------------------------------------------------------


def _snapped(rng: np.random.Generator, n: int, step: float, how: str) -> np.ndarray:
    """A zigzag star snapped to a coarse integer grid, then mutated (open ring).

    Snapping makes many vertices share an ``x`` (vertical edges, columns of vertices) and
    creates exact contacts: collinear overlaps, vertices on edges, repeated vertices, spikes.
    """
    xy = _mutate(rng, _star(rng, n, 1e6), how)
    return np.round((xy - [X0, Y0]) / step) * step + [X0, Y0]


@BOTH
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(33, 400), k=st.integers(2, 40))
def test_every_simple_ring_is_certified_and_no_other(star, seed, n, k):
    """Snapped rings (``k`` grid steps across the radius): certified exactly when GEOS finds
    the polygon valid — the sweep needs no distinct ``x`` any more.
    """
    rng = np.random.default_rng(seed)
    step = 2 * np.floor(1e6 / k / 2)  # even: midpoints stay integers
    rings = [_snapped(rng, n, step, how) for how in _HOWS for _ in range(2)]
    polys = np.array([Polygon(xy) for xy in rings], dtype=object)
    sure = _certify(polys, star)
    valid = shapely.is_valid(polys)
    simple = shapely.is_simple(shapely.get_exterior_ring(polys))
    assert not (sure & ~valid).any()
    assert (sure == (valid & simple)).all()


def _comb(teeth: int, length: float = 100.0) -> list[tuple[float, float]]:
    """A comb: a spine along ``x = 0`` and ``teeth`` teeth to ``x = length``, 1 high, 1 apart.

    Tooth ``j`` is the rectangle ``[1, length] × [2j, 2j + 1]``; ``4·teeth + 2`` vertices,
    ``2·teeth`` of them on ``x = 1`` and on ``x = length`` (columns of vertices, vertical
    edges).
    """
    ring = [(0.0, 0.0)]
    for j in range(teeth):
        y = 2.0 * j
        ring += [(1.0, y), (length, y), (length, y + 1), (1.0, y + 1)]
    ring += [(0.0, 2.0 * teeth - 1)]
    return ring


def test_a_comb_with_columns_of_vertices_is_certified():
    """Worked by hand: 40 teeth (162 vertices, 80 on each of two vertical lines) — simple."""
    comb = Polygon(_comb(40))
    assert shapely.is_valid(comb)
    assert certified_valid(pack(np.array([comb], dtype=object))).tolist() == [True]


@BOTH
def test_comb_contacts_are_never_certified(star):
    """Worked by hand, each made from the 40-tooth comb (GEOS agrees each is invalid):

    * tooth 10's top edge moved up onto tooth 11's bottom edge (a collinear overlap from
      ``x = 1`` to ``x = 100``, two repeated vertices);
    * tooth 10's top edge moved up to ``y = 22`` only at its tip (a vertex on tooth 11's
      bottom edge);
    * tooth 10's tip corners swapped (its two long edges cross: a bow-tie);
    * tooth 10's tip edge made to run up and back down along itself (a spike on a vertical
      line);
    * tooth 10's tip pushed to ``x = -5``, through the spine.
    """
    base = _comb(40)
    i = 1 + 4 * 10  # tooth 10: vertices i (1, 20), i+1 (100, 20), i+2 (100, 21), i+3 (1, 21)
    overlap = base.copy()
    overlap[i + 2] = (100.0, 22.0)
    overlap[i + 3] = (1.0, 22.0)
    on_edge = base.copy()
    on_edge[i + 2] = (100.0, 22.0)
    bowtie = base.copy()
    bowtie[i + 1], bowtie[i + 2] = base[i + 2], base[i + 1]
    spike = [*base[: i + 2], (100.0, 21.0), (100.0, 20.5), *base[i + 3 :]]
    through = base.copy()
    through[i + 1] = (-5.0, 20.0)
    through[i + 2] = (-5.0, 21.0)
    polys = np.array([Polygon(r) for r in (overlap, on_edge, bowtie, spike, through)])
    assert not shapely.is_valid(polys).any()
    assert not _certify(polys, star).any()


def test_holes_and_parts_are_left_to_geos():
    """A hole touching the shell at one point is valid, a hole crossing it is not: neither is
    certified (holes and multipolygons always go to GEOS); the shell alone is.
    """
    shell = _comb(40)
    touching = [(50.0, 0.0), (60.0, 0.5), (70.0, 0.5)]  # (50, 0) lies on tooth 0's bottom edge
    crossing = [(50.0, -1.0), (60.0, 0.5), (70.0, 0.5)]
    polys = np.array(
        [
            Polygon(shell),
            Polygon(shell, [touching]),
            Polygon(shell, [crossing]),
            shapely.MultiPolygon([Polygon(shell), shapely.box(200, 0, 201, 1)]),
        ]
    )
    assert shapely.is_valid(polys).tolist() == [True, True, False, True]
    assert certified_valid(pack(polys)).tolist() == [True, False, False, False]


@pytest.mark.parametrize("teeth", [300, 3000])
def test_long_combs_are_decided_without_mistakes(teeth):
    """Long rings (1,202 and 12,002 vertices, crowded columns of vertices, thousands of edges
    across the sweep line): the simple comb is certified; with tooth ``teeth // 2``'s upper
    tip corner moved to ``(50, ·)`` on the next tooth's bottom edge (inside it, not at a
    vertex), it is not.
    """
    base = _comb(teeth)
    bad = base.copy()
    i = 1 + 4 * (teeth // 2)
    bad[i + 2] = (50.0, base[i][1] + 2)
    polys = np.array([Polygon(base), Polygon(bad)])
    assert shapely.is_valid(polys).tolist() == [True, False]
    assert certified_valid(pack(polys)).tolist() == [True, False]


@BOTH
@pytest.mark.parametrize("seed", [11, 12])
def test_long_spiky_rings_in_the_skip_list_agree_with_geos(seed, star):
    """Stars of 3,000-5,000 vertices (many edges across the sweep line: the skip list), each
    mutated as in the first test: never certified when GEOS finds them invalid, always when
    simple with distinct ``x``.
    """
    rng = np.random.default_rng(seed)
    sure, invalid = _check(rng, int(rng.integers(3000, 5000)), 1e6, star)
    assert sure >= 8 and invalid >= 8  # 28 rings: unchanged and reversed are valid


def test_warm_up_compiles_the_validity_check_too() -> None:
    """``make setup`` warms both kernels; two 2 × 2 squares overlapping in a unit square: 7."""
    from zoning.polyarea import warm_up

    assert warm_up(validation=True) == 7.0


# --------------------------------------------------------------------------------------------
# The star certificate: rings that wind once around a point, always turning the same way
# --------------------------------------------------------------------------------------------


def _star_only(xy: np.ndarray) -> bool:
    """What the star certificate alone says about the ring ``xy`` (open or closed)."""
    from zoning.polyarea import _star_ring

    packed = pack(np.array([Polygon(xy)], dtype=object))
    n = len(packed.coords)
    return _star_ring(packed.coords, 0, n, np.empty(n, dtype=np.int64)) == 1


def _spiral(n: int, turns: int, wobble: float) -> np.ndarray:
    """A ring of ``n`` vertices going ``turns`` times round the origin, angles always growing.

    Radii ``1e6·(1 + wobble·sin(…))``, rounded to even integers: seen from the origin (and
    from any point near it) every edge turns left, but for ``turns ≥ 2`` the ring must cross
    itself (its radius at angle θ and at θ + 2π cannot always differ in the same way).
    """
    t = np.arange(n) / n
    ang = 2 * np.pi * turns * t + 0.1
    rad = 1e6 * (1 + wobble * np.sin(2 * np.pi * t))
    return 2 * np.round(np.c_[rad * np.cos(ang), rad * np.sin(ang)] / 2) + [X0, Y0]


@pytest.mark.parametrize("turns", [2, 3])
@pytest.mark.parametrize("n", [40, 999])
def test_a_ring_winding_twice_round_its_centre_is_never_certified(turns, n):
    """Worked by hand: every edge of the spiral turns left around its centre, but it goes
    round ``turns`` times, so it crosses itself; GEOS agrees. Not certified by the star test,
    nor at all. Once round, the same ring is simple and certified by the star test.
    """
    bad = _spiral(n, turns, 0.3)
    good = _spiral(n, 1, 0.3)
    polys = np.array([Polygon(bad), Polygon(good)], dtype=object)
    assert shapely.is_valid(polys).tolist() == [False, True]
    assert [_star_only(bad), _star_only(good)] == [False, True]
    assert certified_valid(pack(polys)).tolist() == [False, True]


def test_the_star_test_leaves_rings_that_are_not_star_shaped_to_the_sweep():
    """Worked by hand: a comb (no point sees every tooth's inner edges) and a C (an annulus
    sector of 300°: no point sees all of its inner arc) are simple but not star-shaped: the
    star test says no, the sweep certifies them.
    """
    comb = np.array(_comb(40))
    outer = _spiral(300, 1, 0.0)[:250]  # 300° of a circle, then back along a smaller one
    arm = np.r_[outer, 0.5 * (outer[::-1] - [X0, Y0]) + [X0, Y0]]
    polys = np.array([Polygon(comb), Polygon(arm)], dtype=object)
    assert shapely.is_valid(polys).all()
    assert not _star_only(comb) and not _star_only(arm)
    assert certified_valid(pack(polys)).tolist() == [True, True]


def _subdivided(corners: list[tuple[float, float]], per_edge: int) -> np.ndarray:
    """The ring through ``corners`` with ``per_edge − 1`` collinear vertices on each edge."""
    c = np.array(corners, dtype=float)
    k = np.arange(per_edge) / per_edge
    return np.concatenate(
        [a + k[:, None] * (b - a) for a, b in zip(c, np.roll(c, -1, 0), strict=True)]
    )


def test_star_test_on_collinear_vertices_bow_ties_and_touching_corners():
    """Worked by hand, each with extra collinear vertices (dyadic steps: exact) so the star
    test runs (more than 8 vertices):

    * a square: convex, certified by the star test;
    * a bow-tie (its two long edges cross at the centre): invalid, never certified;
    * two squares meeting at one corner (the ring visits (2, 2) twice): invalid;
    * a square with a slit: an edge runs back along the previous one (a spike): invalid;
    * a triangle whose third vertex lies on the line of no edge but whose centroid-facing
      edges are collinear with the centre (a kite with a reflex corner): valid, certified.
    """
    square = _subdivided([(0, 0), (4, 0), (4, 4), (0, 4)], 4)
    bowtie = _subdivided([(0, 0), (4, 4), (4, 0), (0, 4)], 4)
    corners = _subdivided([(0, 0), (2, 0), (2, 2), (4, 2), (4, 4), (2, 4), (2, 2), (0, 2)], 2)
    slit = np.r_[_subdivided([(0, 0), (4, 0), (4, 4), (0, 4)], 4)[:6], [[2, 2]],
                 _subdivided([(0, 0), (4, 0), (4, 4), (0, 4)], 4)[6:]]  # fmt: skip
    slit[6] = slit[5] + [0, 2]  # (4, 1) → (4, 3) → back to (4, 2): along the edge
    kite = _subdivided([(0, 0), (4, 1), (8, 0), (4, 6)], 4)
    rings = [square, bowtie, corners, slit, kite]
    polys = np.array([Polygon(r) for r in rings], dtype=object)
    assert shapely.is_valid(polys).tolist() == [True, False, False, False, True]
    assert [_star_only(r) for r in rings] == [True, False, False, False, True]
    assert certified_valid(pack(polys)).tolist() == [True, False, False, False, True]


def _wound(rng: np.random.Generator, n: int, turns: int) -> tuple[np.ndarray, bool]:
    """A zigzag star (random angles and radii) going ``turns`` times round its centre.

    Also whether every step of angle is below half a turn (else an edge may go round the
    other way, and the ring need not wind ``turns`` times).
    """
    ang = np.sort(rng.uniform(0, 2 * np.pi * turns, n))
    rad = 1e6 * (0.6 + 0.4 * rng.random(n))
    xy = 2 * np.round(np.c_[rad * np.cos(ang), rad * np.sin(ang)] / 2) + [X0, Y0]
    steps = np.diff(np.r_[ang, ang[0] + 2 * np.pi * turns])
    return xy, bool(steps.max() < 0.99 * np.pi)


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(9, 300),
    turns=st.integers(1, 3),
    step=st.sampled_from([0.0, 2e4, 2e5]),
)
def test_star_certified_rings_are_simple_and_valid_for_geos(seed, n, turns, step):
    """Random stars going once or more round their centre, mutated (contacts, near misses,
    crossings, spikes, duplicate vertices, reversed) and snapped to a grid of ``step``
    (collinear overlaps, shared vertices) or not: whatever the star test certifies, GEOS
    finds valid and simple. A star going more than once round (each step of angle below
    half a turn) crosses itself: GEOS finds it invalid and nothing certifies it.
    """
    rng = np.random.default_rng(seed)
    for how in _HOWS:
        base, small_steps = _wound(rng, n, turns)
        xy = _mutate(rng, base, how)
        if step:
            xy = np.round((xy - [X0, Y0]) / step) * step + [X0, Y0]
        poly = Polygon(xy)
        sure = _star_only(xy)
        if sure:
            assert shapely.is_valid(poly)
            assert shapely.is_simple(poly.exterior)
        if turns > 1 and small_steps and how in ("none", "reverse"):
            assert not shapely.is_valid(poly)
            assert not sure
            assert not certified_valid(pack(np.array([poly], dtype=object)))[0]


def test_the_star_test_certifies_most_random_stars():
    """Not vacuous: of 200 seeded random stars (40-2,000 vertices, both orientations) nearly
    all are certified by the star test itself, and GEOS finds every one valid.
    """
    rng = np.random.default_rng(17)
    rings = [_wound(rng, int(rng.integers(40, 2000)), 1)[0] for _ in range(200)]
    rings = [r if k % 2 else r[::-1] for k, r in enumerate(rings)]
    assert shapely.is_valid(np.array([Polygon(r) for r in rings], dtype=object)).all()
    assert sum(_star_only(r) for r in rings) >= 190


def test_a_point_on_an_edge_line_proves_nothing():
    """Worked by hand: a circle of radius 2e6 around ``c`` (300 vertices, the first at angle
    0) with a spike from ``c + (1e6, 0)`` out to the circle and, after the circle, back. Seen
    from ``c`` every circle edge turns left and the circle goes round exactly once; the two
    spike edges lie on a line through ``c`` (orientation exactly 0). A pass around ``c``
    must not take that as a proof (both spike edges fail): the ring is invalid.
    """
    from zoning.polyarea import _star_check

    ang = 2 * np.pi * np.arange(300) / 300
    circle = 2 * np.round(np.c_[2e6 * np.cos(ang), 2e6 * np.sin(ang)] / 2) + [X0, Y0]
    ring = np.r_[[[X0 + 1e6, Y0]], circle, circle[:1], [[X0 + 1e6, Y0]]]
    assert circle[0].tolist() == [X0 + 2e6, Y0]
    assert not shapely.is_valid(Polygon(ring))
    # the two spike edges fail; the circle goes round once
    assert _star_check(np.ascontiguousarray(ring), 0, len(ring), 1, X0, Y0) == (2, 4)
    assert not _star_only(ring)
    assert not certified_valid(pack(np.array([Polygon(ring)], dtype=object)))[0]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_the_statistics_validation_step_finds_exactly_the_invalid_geometries(n_jobs):
    """``zoning.stats.layer_reads.invalid_features`` packs and certifies a layer in chunks of 1,024
    geometries (in threads): 2,600 geometries (three chunks), bow-ties placed on both sides
    of each chunk boundary, at the ends, and in a polygon with a hole and a multipolygon;
    the answer is GEOS's ``~is_valid``, position by position.
    """
    from zoning.stats.layer_reads import invalid_features

    rng = np.random.default_rng(23)
    geoms = np.array([Polygon(_star(rng, 40, 1e5)) for _ in range(2600)], dtype=object)
    bowtie = Polygon([(0, 0), (4, 4), (4, 0), (0, 4)])
    holed = Polygon(_star(rng, 40, 1e5), [[(X0 + 10, Y0), (X0 + 20, Y0), (X0, Y0 + 20)]])
    bad = [0, 1023, 1024, 2047, 2048, 2599]
    geoms[bad] = bowtie
    geoms[5] = holed
    geoms[6] = shapely.MultiPolygon([bowtie, shapely.box(10, 10, 11, 11)])
    expected = ~shapely.is_valid(geoms)
    assert np.flatnonzero(expected).tolist() == [0, 6, 1023, 1024, 2047, 2048, 2599]
    assert (invalid_features(geoms, n_jobs) == expected).all()
    assert invalid_features(geoms[:0], n_jobs).shape == (0,)


# --------------------------------------------------------------------------------------------
# certify_polygons (what the statistics' validation step runs) and the star check's edges
# --------------------------------------------------------------------------------------------


def test_certify_polygons_reads_chunks_and_agrees_with_the_packed_check_and_geos():
    """2,100 geometries (three chunks of 1,024): stars, some with repeated vertices, bow-ties,
    a polygon with a hole, multipolygons of one part (a star: certified; a bow-tie: not) and
    of two, an empty polygon, a point and a line. ``certify_polygons`` gives what
    ``certified_valid(pack(...))`` gives, in one thread or two, and certifies nothing GEOS
    finds invalid; every star and the one-part star multipolygon are certified.
    """
    from zoning.polyarea import certify_polygons

    rng = np.random.default_rng(31)
    geoms = np.array([Polygon(_star(rng, 60, 1e5)) for _ in range(2100)], dtype=object)
    bowtie = Polygon([(0, 0), (4, 4), (4, 0), (0, 4)])
    star = _star(rng, 60, 1e5)
    odd = {
        0: bowtie,
        1023: bowtie,
        1024: Polygon(star, [[(X0 + 10, Y0), (X0 + 20, Y0), (X0, Y0 + 20)]]),
        1500: shapely.MultiPolygon([Polygon(star)]),
        1501: shapely.MultiPolygon([bowtie]),
        1502: shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
        1503: Polygon(),
        1504: shapely.Point(0, 0),
        1505: shapely.LineString([(0, 0), (1, 1)]),
        1506: Polygon(np.repeat(star, 2, axis=0)),  # every vertex twice
        2099: bowtie,
    }
    for k, g in odd.items():
        geoms[k] = g
    sure = certify_polygons(geoms)
    assert (certify_polygons(geoms, n_jobs=2) == sure).all()
    assert (certified_valid(pack(geoms)) == sure).all()
    valid = shapely.is_valid(geoms)
    assert not (sure & ~valid).any()
    plain = np.setdiff1d(np.arange(len(geoms)), list(odd))
    assert sure[plain].all()
    assert [bool(sure[k]) for k in odd] == [
        False, False, False, True, False, False, False, False, False, True, False,
    ]  # fmt: skip
    assert certify_polygons(geoms[:0]).shape == (0,)


def test_repeated_vertices_and_vertices_on_the_axes_through_the_point():
    """Worked by hand: a diamond whose corners lie exactly on the lines through its centre
    (the centroid, where the check runs: every vertex on a sector boundary), with collinear
    vertices between the corners; the same with each vertex repeated (edges of zero length,
    which fail the filter and are counted apart); and a random star with runs of repeated
    vertices. All valid and simple: certified by the star test itself. Their bow-tie twin
    (two corners swapped) is not.
    """
    diamond = _subdivided([(2, 0), (4, 2), (2, 4), (0, 2)], 4) * 2 + [X0, Y0]
    doubled = np.repeat(diamond, 2, axis=0)
    rng = np.random.default_rng(5)
    star = _star(rng, 300, 1e6)
    runs = np.repeat(star, rng.integers(1, 4, len(star)), axis=0)
    bowtie = _subdivided([(2, 0), (4, 2), (0, 2), (2, 4)], 4) * 2 + [X0, Y0]
    rings = [diamond, doubled, runs, bowtie]
    assert shapely.is_valid([Polygon(r) for r in rings]).tolist() == [True, True, True, False]
    assert [_star_only(r) for r in rings] == [True, True, True, False]


@pytest.mark.parametrize("scale", [1e-310, 1e-300, 1e-160, 1e-150, 1.0, 1e50, 1e150, 1e300])
def test_tiny_and_huge_coordinates_are_never_certified_wrongly(scale):
    """A star and a star with a vertex pushed through the ring, around the origin, scaled so
    that products of differences underflow (to subnormals or 0) or overflow: whatever is
    certified, GEOS finds valid; the crossing one never is. At 1 and 1e50 the star is
    certified (the search's moves do not underflow there).
    """
    rng = np.random.default_rng(9)
    ang = np.sort(rng.uniform(0, 2 * np.pi, 200))
    base = np.c_[np.cos(ang), np.sin(ang)] * (0.6 + 0.4 * rng.random(200))[:, None]
    crossed = base.copy()
    crossed[50] = -1.5 * crossed[150]
    polys = np.array([Polygon(base * scale), Polygon(crossed * scale)], dtype=object)
    sure = certified_valid(pack(polys))
    assert not (sure & ~shapely.is_valid(polys)).any()
    assert not sure[1]
    if scale in (1.0, 1e50):
        assert sure[0]


def test_rings_with_nan_or_infinite_coordinates_are_never_certified():
    """A 60-vertex star with one coordinate NaN, +inf or −inf: never certified."""
    rng = np.random.default_rng(3)
    polys = []
    for bad in (np.nan, np.inf, -np.inf):
        xy = _star(rng, 60, 1e5)
        xy[17, 1] = bad
        with np.errstate(invalid="ignore"):  # GEOS is told about the NaN on purpose
            polys.append(shapely.polygons(shapely.linearrings(xy)))
    assert not certified_valid(pack(np.array(polys, dtype=object))).any()
