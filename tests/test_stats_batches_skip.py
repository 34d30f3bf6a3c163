"""Tasks left out once another places their subject inside its clip (SkipWhenInside)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from zoning.polyarea import pack
from zoning.stats.batches import SkipWhenInside, batched_clip_areas
from zoning.stats.ring_area import polygon_areas

# P = [1, 2] x [1, 2] inside A = [0, 2] x [0, 3], on the edge x = 2 of B = [2, 4] x [0, 3];
# Q = [1, 3] x [1, 2] across the line x = 2 (1 in A, 1 in B)
P, Q = shapely.box(1, 1, 2, 2), shapely.box(1, 1, 3, 2)
A, B = shapely.box(0, 0, 2, 3), shapely.box(2, 0, 4, 3)
GEOMS = np.array([P, Q, A, B], dtype=object)


def _run(subjects, clips, part, **kwargs):
    n = len(subjects)
    skip = SkipWhenInside(np.array(part))
    return batched_clip_areas(
        GEOMS, np.arange(n + 1), np.array(subjects), np.array(clips), skip=skip, **kwargs
    )


def test_a_piece_inside_skips_its_pair_with_the_neighbour():
    # P in A (1): P's own area is 1 too, so P in B is skipped: 0, with the bound W - A + w + a
    area, noise = _run([0, 0], [2, 3], [-1, 0])
    assert area.tolist() == [1.0, 0.0]
    whole, whole_bound = polygon_areas(pack(GEOMS), np.array([0]))
    assert whole.tolist() == [1.0]
    assert noise[1] == whole[0] - area[0] + whole_bound[0] + noise[0]
    assert 0 <= noise[1] <= 2 * (whole_bound[0] + noise[0])


def test_a_piece_across_the_line_is_measured():
    # Q in A (1) of Q's 2: not inside A, so Q in B is measured (1)
    area, _ = _run([1, 1], [2, 3], [-1, 0])
    assert area.tolist() == [1.0, 1.0]


def test_tasks_without_a_rule_are_always_measured():
    # P in B measured (0 within rounding); Q in B depends on P in A, and P is inside A
    area, noise = _run([0, 0, 1], [2, 3, 3], [-1, -1, 0])
    assert area[0] == 1.0
    assert abs(area[1]) <= noise[1]
    assert area[2] == 0.0


def test_declined_tasks_never_skip():
    skip = SkipWhenInside(np.array([-1, 0]))
    for whole, part in [(np.nan, 1.0), (1.0, np.nan), (np.nan, np.nan)]:
        out, bound = skip.inside(np.array([part]), np.zeros(1), np.array([whole]), np.zeros(1))
        assert out.tolist() == [False] and bound.tolist() == [0.0]


@pytest.mark.parametrize(
    ("whole_area", "part_area", "skipped"),
    [(10.0, 10.0, True), (10.0, 9.5, True), (10.0, 9.3, False), (10.0, 10.5, True),
     (10.0, 10.7, False)],
)  # fmt: skip
def test_inside_means_equal_to_within_both_bounds(whole_area, part_area, skipped):
    # bounds 0.25 + 0.35 = 0.6: the part may differ from the whole by 0.6 at most
    skip = SkipWhenInside(np.array([-1, 0]))
    out, bound = skip.inside(
        np.array([part_area]), np.array([0.35]), np.array([whole_area]), np.array([0.25])
    )
    assert out.tolist() == [skipped]
    if skipped:
        assert bound[0] == pytest.approx(whole_area - part_area + 0.6, abs=1e-12)


def test_batches_start_only_where_no_dependency_crosses():
    skip = SkipWhenInside(np.array([-1, -1, 0, -1, -1, 3, 3]))
    assert skip.cuts(7).tolist() == [True, False, False, True, False, False, False, True]


def _random_groups(seed: int, n: int) -> tuple[np.ndarray, ...]:
    """Squares of side 1 near the line x = 0 between two units; per square: left, right.

    The right task depends on the left one: skipped when the square lies left of the line.
    """
    rng = np.random.default_rng(seed)
    left, right = shapely.box(-100, -100, 0, 100), shapely.box(0, -100, 100, 100)
    x = rng.choice([-5.0, -3.0, -1.0, -0.5, 0.5], n)  # inside, on, across, right of the line
    y = rng.uniform(-50, 50, n)
    geoms = np.r_[shapely.box(x, y, x + 1, y + 1), [left, right]].astype(object)
    subj = np.repeat(np.arange(n), 2)
    clip = np.tile([n, n + 1], n)
    part = np.full(2 * n, -1)
    part[1::2] = np.arange(0, 2 * n, 2)
    return geoms, subj, clip, part


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize(("max_work", "max_tasks"), [(1 << 20, 8192), (10, 3), (1, 1)])
def test_skipping_does_not_depend_on_batches(n_jobs, max_work, max_tasks):
    geoms, subj, clip, part = _random_groups(5, 300)
    indptr = np.arange(len(subj) + 1)
    skip = SkipWhenInside(part)
    ref, ref_noise = batched_clip_areas(geoms, indptr, subj, clip, skip=skip)
    area, noise = batched_clip_areas(
        geoms, indptr, subj, clip, skip=skip, n_jobs=n_jobs, max_work=max_work, max_tasks=max_tasks
    )
    np.testing.assert_array_equal(area, ref)
    np.testing.assert_array_equal(noise, ref_noise)
    # every task measured gives the bits of a call without skipping; the skipped ones are the
    # right parts of the squares left of the line (x + 1 <= 0), which measure 0
    plain, plain_noise = batched_clip_areas(geoms, indptr, subj, clip)
    skipped = np.repeat(shapely.bounds(geoms[:300])[:, 2] <= 0, 2) & (part >= 0)
    np.testing.assert_array_equal(area[~skipped], plain[~skipped])
    np.testing.assert_array_equal(noise[~skipped], plain_noise[~skipped])
    assert (area[skipped] == 0).all()
    assert (np.abs(plain[skipped]) <= plain_noise[skipped]).all()
    assert 100 < skipped.sum() < 300
