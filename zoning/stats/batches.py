"""The area kernel over many tasks, packed and measured batch by batch on worker threads.

:func:`zoning.polyarea.union_clip_areas` measures tasks on packed geometries
(:func:`zoning.polyarea.pack`). Packing every geometry of a stage at once ran on one thread
while the other core waited, and copied millions of vertices into fresh memory before the
kernel began. :func:`batched_clip_areas` cuts the tasks into consecutive batches of bounded
work, and each worker thread packs only the geometries of its batch and measures it, so the
packing runs on both cores and a batch's coordinates stay small. Batches are cut from the
tasks alone (never from ``n_jobs``), and the geometries of a batch are renumbered in their
original order, so every task sees the same inputs as in one big call: the areas do not
depend on ``n_jobs`` or on the batches.

Tasks may also be left out when another shows that their subject lies inside its clip
(:class:`SkipWhenInside`): a piece cut along unit lines lies in one unit, and its tasks
against the neighbouring units measure nothing. A batch keeps such tasks with the one they
depend on, measures that first, and then only the tasks still needed, on the geometries it
packed once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely

from zoning.ranges import concat_ranges

__all__ = [
    "BATCH_TASKS",
    "BATCH_VERTICES",
    "SkipWhenInside",
    "batched_clip_areas",
    "task_batches",
]

BATCH_VERTICES = 1 << 22  # vertices a batch's tasks may read (members and clips, repeats too)
BATCH_TASKS = 8192  # tasks in a batch at most


def task_batches(
    work: np.ndarray, *, max_work: int = BATCH_VERTICES, max_tasks: int = BATCH_TASKS
) -> np.ndarray:
    """Cut consecutive tasks into batches of at most ``max_work`` work and ``max_tasks`` tasks.

    A task whose work alone exceeds ``max_work`` is a batch of its own.

    Parameters
    ----------
    work : ndarray of int
        Work of each task (e.g. the vertices it reads).
    max_work, max_tasks : int
        Bounds of a batch.

    Returns
    -------
    ndarray of int64
        Batch boundaries: batch ``k`` is tasks ``bounds[k]:bounds[k + 1]``; ``[0]`` for no task.

    Examples
    --------
    >>> task_batches(np.array([3, 3, 3, 9, 1, 1]), max_work=6, max_tasks=10).tolist()
    [0, 2, 3, 4, 6]
    >>> task_batches(np.ones(5, dtype=int), max_work=100, max_tasks=2).tolist()
    [0, 2, 4, 5]
    """
    n = len(work)
    bounds = [0]
    cum = np.cumsum(np.asarray(work, dtype=np.int64))
    lo = 0
    while lo < n:
        base = cum[lo - 1] if lo else 0
        hi = int(np.searchsorted(cum, base + max_work, side="right"))
        hi = min(max(hi, lo + 1), lo + max_tasks, n)
        bounds.append(hi)
        lo = hi
    return np.asarray(bounds, dtype=np.int64)


@dataclass(frozen=True)
class SkipWhenInside:
    """Tasks that need not be measured once an earlier task places their subject in its clip.

    Task ``i`` with ``part[i] >= 0`` is skipped when task ``part[i]``, which clips the same
    single geometry, shows it lies inside that clip to within rounding: its area there
    (``A``, rounding bound ``a``) and the geometry's whole area (``W``, bound ``w``: the
    shoelace sum of :func:`zoning.stats.ring_area.polygon_areas` on the rings the batch
    packed) agree, ``|W - A| <= w + a``. The geometry then has at most ``s = W - A + w + a``
    (``<= 2 (w + a)``) outside that clip, so a clip whose interior is disjoint from it (the
    caller's promise) holds at most ``s`` of it: the skipped task gives area 0 and noise
    ``s``, and ``abs(area) <= noise`` tells it measured nothing, as a measured task of a
    geometry touching its clip from outside would.

    Attributes
    ----------
    part : ndarray of int64
        For each task, the earlier task (``part[i] < i``; one member, a clip, and measured
        itself: ``part[part[i]] == -1``) whose area may make it unneeded, or ``-1`` for a task
        always measured.
    """

    part: np.ndarray

    def inside(
        self, area: np.ndarray, noise: np.ndarray, whole: np.ndarray, whole_bound: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Tell whether parts of area ``area`` (bound ``noise``) are their wholes, and the slack.

        ``whole`` and ``whole_bound``: the areas of the geometries the parts clip. NaN (a
        declined task) never skips.
        """
        slack = whole - area + whole_bound + noise
        # the part equals the whole to within their rounding: 0 <= slack <= 2 (w + a)
        # (compared so that NaN gives False)
        skip = (slack >= 0.0) & (slack <= 2.0 * (whole_bound + noise))
        return skip, np.where(skip, slack, 0.0)

    def cuts(self, n: int) -> np.ndarray:
        """Whether a batch may start at each task position ``0..n`` (no dependency crosses)."""
        first = np.arange(n, dtype=np.int64)
        dep = self.part >= 0
        first[dep] = np.minimum(first[dep], self.part[dep])
        # a batch may start at c when no task from c on depends on a task before c
        later_min = np.minimum.accumulate(first[::-1])[::-1]
        return np.r_[later_min == np.arange(n), True]


def _cut_at_allowed(bounds: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Move every batch boundary back to the nearest position where a batch may start."""
    ok = np.flatnonzero(allowed)
    moved = ok[np.searchsorted(ok, bounds, side="right") - 1]
    return np.unique(moved)


def batched_clip_areas(
    geoms: np.ndarray,
    indptr: np.ndarray,
    members: np.ndarray,
    clip: np.ndarray,
    *,
    n_jobs: int = 1,
    max_work: int = BATCH_VERTICES,
    max_tasks: int = BATCH_TASKS,
    skip: SkipWhenInside | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Area of ``union(geoms[members of task i]) ∩ geoms[clip[i]]``, and its rounding bound.

    The same areas as :func:`zoning.polyarea.union_clip_areas` on ``pack(geoms)`` (NaN where
    the kernel declines), computed batch by batch: each batch packs the geometries its tasks
    read, renumbered in their order in ``geoms``, and measures them on one thread.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Every geometry a task may read.
    indptr, members : ndarray of int
        Task ``i`` unions ``geoms[members[indptr[i]:indptr[i + 1]]]``.
    clip : ndarray of int
        Position in ``geoms`` of the geometry clipping task ``i``, or ``-1`` for none.
    n_jobs : int
        Worker threads (the kernel and GEOS release the GIL); results do not depend on it.
    max_work, max_tasks : int
        Bounds of a batch (:func:`task_batches`): vertices its tasks read, and tasks (a
        batch may exceed them by the tasks that depend on one under ``skip``).
    skip : SkipWhenInside, optional
        Tasks left out once an earlier task places their subject inside its clip: area 0,
        noise the bound on what they would measure.

    Returns
    -------
    area, noise : ndarray of float
        Areas and the bound on their rounding error (see ``with_noise`` of
        :func:`zoning.polyarea.union_clip_areas`).

    Examples
    --------
    >>> sq = np.array([shapely.box(0, 0, 2, 2), shapely.box(1, 0, 3, 2), shapely.box(0, 0, 1, 1)])
    >>> area, _ = batched_clip_areas(sq, np.array([0, 2, 3]), np.array([0, 1, 0]),
    ...                              np.array([-1, 2]))
    >>> area.tolist()
    [6.0, 1.0]
    """
    from zoning.polyarea import pack, union_clip_areas
    from zoning.stats.ring_area import polygon_areas

    indptr = np.asarray(indptr, dtype=np.int64)
    members = np.asarray(members, dtype=np.int64)
    clip = np.asarray(clip, dtype=np.int64)
    n = len(clip)
    area = np.empty(n, dtype=np.float64)
    noise = np.empty(n, dtype=np.float64)
    if n == 0:
        return area, noise
    has_clip = clip >= 0
    size = None  # coordinates of every geometry, when the tasks read most of them
    if len(members) + int(has_clip.sum()) >= len(geoms):
        # each geometry read by GEOS once, here, and not again by pack in its batch
        size = shapely.get_num_coordinates(geoms)
        read = np.r_[0, np.cumsum(size[members])]
    else:
        read = np.r_[0, np.cumsum(shapely.get_num_coordinates(geoms[members]))]
    work = read[indptr[1:]] - read[indptr[:-1]]
    if size is None:
        work[has_clip] += shapely.get_num_coordinates(geoms[clip[has_clip]])
    else:
        work[has_clip] += size[clip[has_clip]]
    if n <= max_tasks and _distinct_vertices(geoms, members, clip) <= max_work:
        # everything fits one batch: geometries read by many tasks (a county, a big group)
        # would otherwise count once per task and cut the tasks into batches that each pack
        # them again (the demo's counties: 3,447 tasks read 25 M vertices, 0.29 M distinct)
        bounds = np.array([0, n], dtype=np.int64)
    else:
        bounds = task_batches(work, max_work=max_work, max_tasks=max_tasks)
        if skip is not None:
            bounds = _cut_at_allowed(bounds, skip.cuts(n))
    single = len(bounds) <= 2  # one batch: the kernel's own threads share it

    def run(k: int) -> None:
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        m = members[indptr[lo] : indptr[hi]]
        c = clip[lo:hi]
        has = c >= 0
        used, inv = np.unique(np.concatenate([m, c[has]]), return_inverse=True)
        local_clip = np.full(hi - lo, -1, dtype=np.int64)
        local_clip[has] = inv[len(m) :]
        packed = pack(geoms[used], None if size is None else size[used])
        local_ptr = indptr[lo : hi + 1] - indptr[lo]
        local_members = inv[: len(m)]
        jobs = n_jobs if single else 1

        def measure(tasks: np.ndarray) -> None:
            """Measure the batch's tasks ``tasks`` (local positions, increasing)."""
            if len(tasks) == len(c):
                sub_ptr, sub_members, sub_clip = local_ptr, local_members, local_clip
            else:
                sizes = local_ptr[tasks + 1] - local_ptr[tasks]
                sub_ptr = np.r_[0, np.cumsum(sizes)]
                sub_members = local_members[concat_ranges(local_ptr[tasks], sizes)]
                sub_clip = local_clip[tasks]
            a, e = union_clip_areas(
                packed, sub_ptr, sub_members, sub_clip, n_jobs=jobs, with_noise=True
            )
            area[lo + tasks] = a
            noise[lo + tasks] = e

        if skip is None:
            measure(np.arange(hi - lo))
            return
        later = skip.part[lo:hi] >= 0  # measured only when their subject may leave the clip
        measure(np.flatnonzero(~later))
        cand = np.flatnonzero(later)
        if len(cand) == 0:
            return
        part = skip.part[lo + cand]
        # the single member of each part task, whole, from the rings packed for this batch
        sole, at = np.unique(local_members[local_ptr[part - lo]], return_inverse=True)
        whole, whole_bound = polygon_areas(packed, sole)
        out, slack = skip.inside(area[part], noise[part], whole[at], whole_bound[at])
        area[lo + cand[out]] = 0.0
        noise[lo + cand[out]] = slack[out]
        if not out.all():
            measure(cand[~out])

    batches = range(len(bounds) - 1)
    if n_jobs <= 1 or single:
        for k in batches:
            run(k)
    else:
        with ThreadPoolExecutor(min(n_jobs, len(batches))) as pool:
            list(pool.map(run, batches))
    return area, noise


def _distinct_vertices(geoms: np.ndarray, members: np.ndarray, clip: np.ndarray) -> int:
    """Vertices of the distinct geometries the tasks read (members and clips)."""
    used = np.unique(np.concatenate([members, clip[clip >= 0]]))
    return int(shapely.get_num_coordinates(geoms[used]).sum())
