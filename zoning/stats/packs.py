"""Packs of features for the area kernel, made once per run and handed from stage to stage.

The dissolve packs the features of its overlap pairs (:func:`zoning.polyarea.pack`), the
measure those near unit boundaries. (The validation packs every feature too, but its chunks'
packs are not kept: holding them cost more in fresh pages than the repacks they spare.) A *source* is a
:class:`~zoning.polyarea.Packed` and the position of each of its geometries among the
features; a later stage copies the features it finds in a source
(:meth:`~zoning.polyarea.Packed.gather`, array for array what a fresh pack gives) instead of
packing them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from zoning.polyarea import Packed

__all__ = ["Source", "kept_sources", "packed_features"]

Source = tuple["Packed", np.ndarray]
"""Features already packed for the area kernel: the :class:`~zoning.polyarea.Packed` and the
position of each of its geometries among the features."""


def packed_features(
    feats: np.ndarray,
    sources: Sequence[Source],
    idx: np.ndarray,
    extra: np.ndarray | None = None,
) -> tuple[Packed, Source | None]:
    """Pack ``feats[idx]`` (then ``extra``) for the area kernel, copying what is packed already.

    The result equals ``pack(concatenate([feats[idx], extra]))`` array for array
    (:meth:`~zoning.polyarea.Packed.gather`), so the kernel's answers are bit for bit those of
    a fresh pack; features found in ``sources`` are copied rather than packed again.

    Parameters
    ----------
    feats : ndarray of shapely geometries
        All the features.
    sources : sequence of (Packed, ndarray of int)
        Features packed already, and the position of each among ``feats``.
    idx : ndarray of int
        Features to pack (distinct).
    extra : ndarray of shapely geometries, optional
        Geometries to append (e.g. the units).

    Returns
    -------
    Packed, and (Packed, ndarray) or None
        The packed geometries, and a new source when the features were all packed afresh
        (None otherwise).
    """
    from zoning.polyarea import Packed, pack

    idx = np.asarray(idx, dtype=np.int64)
    n_extra = 0 if extra is None else len(extra)
    part = np.full(len(feats), -1, dtype=np.int64)
    loc = np.zeros(len(feats), dtype=np.int64)
    for k, (_, f) in enumerate(sources):
        part[f] = k
        loc[f] = np.arange(len(f))
    part_of, local = part[idx], loc[idx]
    fresh = np.flatnonzero(part_of < 0)
    todo = feats[idx[fresh]] if extra is None else np.concatenate([feats[idx[fresh]], extra])
    if len(fresh) == len(idx):  # nothing packed yet: one pack, as before
        packed = pack(todo)
        return packed, ((packed, idx) if n_extra == 0 else None)
    parts = [p for p, _ in sources]
    if len(todo):
        part_of = np.r_[part_of, np.zeros(n_extra, dtype=np.int64)]
        part_of[np.r_[fresh, np.arange(len(idx), len(idx) + n_extra)]] = len(parts)
        local = np.r_[local, np.zeros(n_extra, dtype=np.int64)]
        local[np.r_[fresh, np.arange(len(idx), len(idx) + n_extra)]] = np.arange(len(todo))
        parts.append(pack(todo))
    return Packed.gather(parts, part_of, local), None


def kept_sources(sources: Sequence[Source], keep: np.ndarray) -> list[Source]:
    """Return the packs of the features ``keep`` marks, renumbered as ``features[keep]``."""
    new_pos = np.cumsum(keep) - 1
    out: list[Source] = []
    for packed, f in sources:
        ok = keep[f]
        if ok.all():
            out.append((packed, new_pos[f]))
        elif ok.any():
            out.append((packed.take(np.flatnonzero(ok)), new_pos[f[ok]]))
    return out
