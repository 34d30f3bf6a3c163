"""The area kernel run batch by batch (:mod:`zoning.stats.batches`) against one big call."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely
from stats_shapes import random_stars

from zoning.polyarea import pack, union_clip_areas
from zoning.stats.batches import batched_clip_areas, task_batches


def _tasks(seed: int, n_geoms: int, n_tasks: int) -> tuple[np.ndarray, ...]:
    """Random tasks of 1–4 members, a third without a clip."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, n_tasks)
    indptr = np.r_[0, np.cumsum(sizes)]
    members = rng.integers(0, n_geoms, indptr[-1])
    clip = rng.integers(0, n_geoms, n_tasks)
    clip[rng.random(n_tasks) < 1 / 3] = -1
    return indptr, members, clip


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize(("max_work", "max_tasks"), [(1 << 20, 8192), (300, 7), (1, 1)])
def test_batches_give_the_bits_of_one_call(n_jobs, max_work, max_tasks):
    geoms = random_stars(3, 120)
    indptr, members, clip = _tasks(4, len(geoms), 400)
    ref, ref_noise = union_clip_areas(pack(geoms), indptr, members, clip, with_noise=True)
    area, noise = batched_clip_areas(
        geoms, indptr, members, clip, n_jobs=n_jobs, max_work=max_work, max_tasks=max_tasks
    )
    np.testing.assert_array_equal(area, ref)  # NaN where declined, in both
    np.testing.assert_array_equal(noise, ref_noise)
    assert np.isfinite(area).sum() > 300  # the kernel measured most of them


def test_batched_areas_by_hand():
    # squares 2 × 2 at x = 0 and x = 1 (union 6), a unit square inside both (clip: 1);
    # the same union clipped by a far box: 0; a square alone: 4
    geoms = np.array(
        [shapely.box(0, 0, 2, 2), shapely.box(1, 0, 3, 2), shapely.box(0, 0, 1, 1),
         shapely.box(50, 50, 51, 51)]
    )  # fmt: skip
    indptr = np.array([0, 2, 4, 6, 7])
    members = np.array([0, 1, 0, 1, 1, 0, 1])
    clip = np.array([-1, 2, 3, -1])
    for max_tasks in (1, 2, 8192):
        area, _ = batched_clip_areas(geoms, indptr, members, clip, max_tasks=max_tasks, n_jobs=2)
        assert area.tolist() == [6.0, 1.0, 0.0, 4.0]


def test_no_tasks():
    area, noise = batched_clip_areas(
        np.array([shapely.box(0, 0, 1, 1)]), np.array([0]), np.array([], dtype=int), np.array([])
    )
    assert area.shape == noise.shape == (0,)


def test_task_batches_cover_every_task_within_the_bounds():
    rng = np.random.default_rng(8)
    work = rng.integers(0, 50, 1_000)
    work[::97] = 400  # tasks larger than a batch: alone
    bounds = task_batches(work, max_work=120, max_tasks=9)
    assert bounds[0] == 0 and bounds[-1] == len(work)
    assert (np.diff(bounds) >= 1).all() and (np.diff(bounds) <= 9).all()
    for lo, hi in itertools.pairwise(bounds):
        total = work[lo:hi].sum()
        assert total <= 120 or hi - lo == 1
        # greedy: the next task would not have fitted (or the batch is full)
        if hi < len(work) and hi - lo < 9:
            assert total + work[hi] > 120
    assert task_batches(np.array([], dtype=int)).tolist() == [0]


def test_tasks_that_reread_one_big_clip_stay_one_batch(monkeypatch):
    """A big square clipping 200 small boxes: 200 tasks read its 961 vertices 200 times.

    Counted per task that is over 190,000 vertices, over a bound of 10,000; counted once, the
    distinct geometries hold 961 + 200 × 5 = 1,961, so the tasks stay one batch (they would
    otherwise be cut into batches that each pack the square again).
    """
    big = shapely.segmentize(shapely.box(-10, -10, 110, 110), 0.5)  # covers every box
    boxes = [
        shapely.box(i % 20 * 5, i // 20 * 5, i % 20 * 5 + 2, i // 20 * 5 + 3) for i in range(200)
    ]
    geoms = np.array([*boxes, big], dtype=object)
    assert shapely.get_num_coordinates(big) == 961

    def refuse(*args, **kwargs):
        raise AssertionError("the tasks should not be cut into batches")

    monkeypatch.setattr("zoning.stats.batches.task_batches", refuse)
    area, _ = batched_clip_areas(
        geoms, np.arange(201), np.arange(200), np.full(200, 200), n_jobs=2, max_work=10_000
    )
    np.testing.assert_allclose(area, 6.0, rtol=1e-12)  # each 2 × 3 box lies inside the square
    monkeypatch.undo()
    split, _ = batched_clip_areas(
        geoms, np.arange(201), np.arange(200), np.full(200, 200), n_jobs=2, max_work=1_500
    )
    assert split.tobytes() == area.tobytes()  # 1,961 distinct > 1,500: batched, same bits
