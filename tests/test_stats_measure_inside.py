"""Pieces near unit boundaries measured inside their likely unit first (zoning.stats.measure).

A one-feature piece whose envelope meets several units is measured inside the unit holding
its envelope's centre; when that area and the piece's own agree to within rounding, its
pairs with the other units (those not overlapping that one) are not measured. Shapes worked
by hand in metres (:mod:`stats_shapes`); ``kernel_tasks`` counts the tasks the area kernel
really runs.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import stats_shapes as shapes
from stats_shapes import X0, Y0, frame, sq

import zoning.polyarea
import zoning.stats.measure
from zoning.stats.dissolve import dissolve_layers
from zoning.stats.measure import measure_pieces
from zoning.stats.units import prepare_units


@pytest.fixture
def kernel_tasks(monkeypatch):
    """Count the tasks every call of the area kernel measures from now on."""
    seen = {"tasks": 0}

    def start() -> dict:
        real = zoning.polyarea.union_clip_areas  # as it is now (a test may have wrapped it)

        def counting(packed, indptr, members, clip, **kwargs):
            seen["tasks"] += len(clip)
            return real(packed, indptr, members, clip, **kwargs)

        monkeypatch.setattr(zoning.polyarea, "union_clip_areas", counting)
        return seen

    return start


def _measure(units, geoms, kernel_tasks=None, *, validate=True):
    """measure_pieces of one layer of ``geoms`` in ``units``: {unit id: area m²}, kernel tasks."""
    pieces, _ = dissolve_layers({"eco_redline": frame(geoms)}, n_jobs=1, make_valid=False)
    prepared = prepare_units(units, validate=validate)
    seen = kernel_tasks() if kernel_tasks is not None else {"tasks": 0}
    rows = measure_pieces(pieces, prepared)
    rows = rows[rows.label == "all"]
    by_unit = {str(prepared.ids[u]): float(a) for u, a in zip(rows.unit, rows.area_m2, strict=True)}
    assert len(by_unit) == len(rows)  # one piece: one row per unit
    return by_unit, seen


def _poking(d: float) -> shapely.Polygon:
    """[7, 10] x [2, 5] km in A, its edge on the line x = 10 km bent out to x = 10 km + d at
    y = 3.5 km: a triangle of base 3 km and height d (area 1500·d m²) lies in B."""
    return shapely.Polygon(
        [(X0 + 7_000, Y0 + 2_000), (X0 + 10_000, Y0 + 2_000), (X0 + 10_000 + d, Y0 + 3_500),
         (X0 + 10_000, Y0 + 5_000), (X0 + 7_000, Y0 + 5_000)]
    )  # fmt: skip


def test_piece_inside_a_unit_next_to_its_neighbour_needs_no_task_there(kernel_tasks):
    # [7, 10] x [2, 5] km lies in A and shares the line x = 10 km with B: both envelopes meet
    # it. Measured in A, 9 km², its own area: the pair with B is not measured
    units = shapes.two_counties()
    got, seen = _measure(units, [sq(7_000, 2_000, 3_000)], kernel_tasks)
    assert got == {"140101": 9_000_000.0}
    assert seen["tasks"] == 1  # A; B skipped (every pair measured: 2 tasks, A and B)


def test_the_same_piece_measured_at_every_pair_gives_the_same_rows(kernel_tasks, monkeypatch):
    # the old way (no piece measured whole first): the pair with B measures 0
    monkeypatch.setattr(zoning.stats.measure, "_LIKELY_MIN_UNITS", 10**9)
    got, seen = _measure(shapes.two_counties(), [sq(7_000, 2_000, 3_000)], kernel_tasks)
    assert got == {"140101": 9_000_000.0}
    assert seen["tasks"] == 2  # A and B


def test_piece_across_two_units_is_measured_in_both(kernel_tasks):
    # [8, 13] x [2, 4] km: 2 km x 2 km in A, 3 km x 2 km in B. Its centre (10.5, 3) km is in
    # B; B holds 6 of its 10 km², so A is measured too: B, then A
    got, seen = _measure(shapes.two_counties(), [sq(8_000, 2_000, 5_000, 2_000)], kernel_tasks)
    assert got["140101"] == pytest.approx(4e6, rel=1e-12)
    assert got["140102"] == pytest.approx(6e6, rel=1e-12)
    assert seen["tasks"] == 2


def test_units_that_overlap_are_never_skipped(kernel_tasks):
    # A = [0, 10] x [0, 10] km and C = [9, 19] x [0, 10] km overlap on [9, 10] x [0, 10] km
    # (validation refuses them; prepare_units without validation finds the overlap itself).
    # The piece [9, 9.8] x [2, 3] km (on C's edge x = 9 km) lies in both, 0.8 km² each: it is
    # inside the likely unit, yet the pair with the other is measured, not skipped
    units = frame([sq(0, 0, 10_000), sq(9_000, 0, 10_000)], adcode=["140101", "140103"])
    prepared = prepare_units(units, validate=False)
    pairs = prepared.overlap(np.array([0, 1, 0]), np.array([1, 0, 0]))
    assert pairs.tolist() == [True, True, False]
    got, seen = _measure(units, [sq(9_000, 2_000, 800, 1_000)], kernel_tasks, validate=False)
    assert got == {"140101": 8e5, "140103": 8e5}
    assert seen["tasks"] == 2  # the likely unit, the other (it overlaps: measured)


def test_a_sliver_overlap_validation_allows_is_kept_and_measured(kernel_tasks):
    # B' = [10 km - 5 mm, 20 km] x [0, 10 km] overlaps A by 5 mm x 10 km = 50 m², under the
    # 1e-6 of 100 km² (100 m²) validation allows. The piece [9.9, 10] x [2, 3] km in A meets
    # B' on 5 mm x 1 km = 5 m²: B' overlaps A, so that pair is measured, not skipped
    units = frame([sq(0, 0, 10_000), sq(9_999.995, 0, 10_000.005, 10_000)], adcode=["A", "B"])
    validated = prepare_units(units, unit_id="adcode")
    unvalidated = prepare_units(units, unit_id="adcode", validate=False)
    np.testing.assert_array_equal(validated.overlap_keys, [1, 2])  # 0 * 2 + 1, 1 * 2 + 0
    np.testing.assert_array_equal(unvalidated.overlap_keys, validated.overlap_keys)
    got, seen = _measure(units, [sq(9_900, 2_000, 100, 1_000)], kernel_tasks)
    assert got["A"] == pytest.approx(1e5, rel=1e-12)
    assert got["B"] == pytest.approx(5.0, rel=1e-6)
    assert seen["tasks"] == 2


def test_neighbours_sharing_edges_do_not_overlap():
    prepared = prepare_units(shapes.grid_units())  # six squares of a 3 x 2 grid
    assert len(prepared.overlap_keys) == 0
    unvalidated = prepare_units(shapes.grid_units(), validate=False)
    assert len(unvalidated.overlap_keys) == 0


def _kernel_and_shoelace(piece):
    """The piece's area in A and in B by the kernel, and its own by the shoelace sum."""
    from zoning.polyarea import pack
    from zoning.stats.batches import batched_clip_areas
    from zoning.stats.ring_area import polygon_areas

    geoms = np.array([piece, *shapes.two_counties().geometry], dtype=object)
    tasks = (np.arange(3), np.zeros(2, dtype=int), np.array([1, 2]))  # A, B
    (in_a, in_b), (a, b) = batched_clip_areas(geoms, *tasks)
    (whole,), (w,) = polygon_areas(pack(geoms[:1]), np.array([0]))
    return in_a, a, in_b, b, whole, w


@pytest.mark.parametrize(("d", "skipped"), [(5e-9, True), (1e-8, False)])
def test_a_piece_within_rounding_of_one_unit(kernel_tasks, d, skipped):
    # the edge bent out by d nm (as GEOS's cut vertices poke across a county line): a sliver
    # of 1500·d m² in B. At 5 nm (7.5e-6 m²) it is within the rounding of the piece's own
    # area minus its area in A (bounds ~8.2e-6 m²): the piece lies in A to within rounding
    # and the pair with B is skipped. At 10 nm (1.5e-5 m²) it is not: B is measured, and the
    # sliver counts there (above that task's rounding bound, ~1.1e-5 m²)
    in_a, a, in_b, b, whole, w = _kernel_and_shoelace(_poking(d))
    d = (X0 + 10_000 + d) - (X0 + 10_000)  # d as the coordinates hold it (exact)
    assert abs(in_b - 1500 * d) <= b
    assert abs(whole - (9e6 + 1500 * d)) <= w
    assert (whole - in_a <= w + a) == skipped
    # a skipped pair's bound covers what it would have measured
    assert not skipped or in_b <= whole - in_a + w + a
    got, seen = _measure(shapes.two_counties(), [_poking(d)], kernel_tasks)
    if skipped:
        assert got == {"140101": in_a}
        assert in_b <= b  # (so the pair measured 0 before too)
        assert seen["tasks"] == 1
    else:
        assert got == {"140101": in_a, "140102": in_b}
        assert in_b > b
        assert seen["tasks"] == 2


def test_a_piece_beyond_rounding_is_measured_in_both_units(kernel_tasks):
    # bent out by d = 1 µm: 1.5e-3 m² in B, far above the rounding bounds: measured
    got, seen = _measure(shapes.two_counties(), [_poking(1e-6)], kernel_tasks)
    assert got["140101"] == 9_000_000.0
    d = (X0 + 10_000 + 1e-6) - (X0 + 10_000)  # d as the coordinates hold it (exact)
    assert got["140102"] == pytest.approx(1500 * d, rel=1e-6)
    assert seen["tasks"] == 2


def test_pieces_of_several_features_are_measured_at_every_pair(kernel_tasks):
    # two overlapping features, one piece: [7, 10] x [2, 5] km in A, and [9, 11] x [3, 4] km
    # across the line x = 10 km, its part in A inside the first. The union holds 9 km² in A,
    # as much as the first feature alone, and 1 km² in B: both pairs are measured (a piece
    # of several features is never skipped on the strength of one feature's area)
    geoms = [sq(7_000, 2_000, 3_000), sq(9_000, 3_000, 2_000, 1_000)]
    got, seen = _measure(shapes.two_counties(), geoms, kernel_tasks)
    assert got == {"140101": pytest.approx(9e6, rel=1e-12), "140102": pytest.approx(1e6, rel=1e-12)}
    assert seen["tasks"] == 2


@pytest.mark.parametrize("declined", ["A", "B"])
def test_declined_tasks_keep_the_geos_path(kernel_tasks, monkeypatch, declined):
    # the kernel declines the piece in A (its likely unit): nothing is proved, the pair with
    # B is measured too, and the declined pair sends the piece to GEOS (9 km² in A). When it
    # would decline the piece in B, that pair is skipped: the kernel's area in A counts
    real = zoning.polyarea.union_clip_areas
    bad_box = tuple(shapely.bounds(sq(0, 0, 10_000) if declined == "A" else sq(10_000, 0, 10_000)))

    def declining(packed, indptr, members, clip, **kwargs):
        area, noise = real(packed, indptr, members, clip, **kwargs)
        boxes = packed.bbox[np.maximum(clip, 0)]
        area[(np.asarray(clip) >= 0) & np.all(boxes == bad_box, axis=1)] = np.nan
        return area, noise

    monkeypatch.setattr(zoning.polyarea, "union_clip_areas", declining)
    geos = {"n": 0}
    real_single = zoning.stats.measure._measure_single

    def single(*args, **kwargs):
        geos["n"] += 1
        return real_single(*args, **kwargs)

    monkeypatch.setattr(zoning.stats.measure, "_measure_single", single)
    got, seen = _measure(shapes.two_counties(), [sq(7_000, 2_000, 3_000)], kernel_tasks)
    assert got == {"140101": 9_000_000.0}
    assert seen["tasks"] == (2 if declined == "A" else 1)
    assert geos["n"] == (1 if declined == "A" else 0)
