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
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely

__all__ = ["BATCH_TASKS", "BATCH_VERTICES", "batched_clip_areas", "task_batches"]

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


def batched_clip_areas(
    geoms: np.ndarray,
    indptr: np.ndarray,
    members: np.ndarray,
    clip: np.ndarray,
    *,
    n_jobs: int = 1,
    max_work: int = BATCH_VERTICES,
    max_tasks: int = BATCH_TASKS,
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
        Bounds of a batch (:func:`task_batches`): vertices its tasks read, and tasks.

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

    indptr = np.asarray(indptr, dtype=np.int64)
    members = np.asarray(members, dtype=np.int64)
    clip = np.asarray(clip, dtype=np.int64)
    n = len(clip)
    area = np.empty(n, dtype=np.float64)
    noise = np.empty(n, dtype=np.float64)
    if n == 0:
        return area, noise
    read = np.r_[0, np.cumsum(shapely.get_num_coordinates(geoms[members]))]
    work = read[indptr[1:]] - read[indptr[:-1]]
    has_clip = clip >= 0
    work[has_clip] += shapely.get_num_coordinates(geoms[clip[has_clip]])
    if n <= max_tasks and _distinct_vertices(geoms, members, clip) <= max_work:
        # everything fits one batch: geometries read by many tasks (a county, a big group)
        # would otherwise count once per task and cut the tasks into batches that each pack
        # them again (the demo's counties: 3,447 tasks read 25 M vertices, 0.29 M distinct)
        bounds = np.array([0, n], dtype=np.int64)
    else:
        bounds = task_batches(work, max_work=max_work, max_tasks=max_tasks)
    single = len(bounds) <= 2  # one batch: the kernel's own threads share it

    def run(k: int) -> None:
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        m = members[indptr[lo] : indptr[hi]]
        c = clip[lo:hi]
        has = c >= 0
        used, inv = np.unique(np.concatenate([m, c[has]]), return_inverse=True)
        local_clip = np.full(hi - lo, -1, dtype=np.int64)
        local_clip[has] = inv[len(m) :]
        a, e = union_clip_areas(
            pack(geoms[used]),
            indptr[lo : hi + 1] - indptr[lo],
            inv[: len(m)],
            local_clip,
            n_jobs=n_jobs if single else 1,
            with_noise=True,
        )
        area[lo:hi] = a
        noise[lo:hi] = e

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
