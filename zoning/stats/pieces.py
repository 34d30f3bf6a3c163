"""Pieces: a dissolved layer kept as groups of features, unioned only when needed.

:func:`zoning.stats.dissolve.dissolve_layer` makes them; :mod:`zoning.stats.measure` measures
them in the units, and :func:`zoning.stats.dissolve.piece_geometries` builds their unions
when a caller needs the geometries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from zoning.ranges import concat_ranges

__all__ = ["Pieces"]


@dataclass(frozen=True)
class Pieces:
    """A dissolved layer, kept as groups of features that are unioned only when needed.

    A *piece* is a set of features that must be unioned before measuring (a connected group
    of overlapping features, or its part in one zone). Its geometry is only built when the
    piece touches a unit boundary; elsewhere its area is enough.

    Attributes
    ----------
    feats : ndarray of shapely geometries
        Features of every layer, in the measuring CRS.
    indptr, members : ndarray of int
        Piece ``i`` is ``feats[members[indptr[i]:indptr[i + 1]]]`` (members in canonical order).
    kind : ndarray of str
        Layer kind of each piece.
    group : ndarray of int
        Connected group each piece belongs to (stable across row permutations).
    label_piece, label : ndarray
        Label table: piece ``label_piece[j]`` counts for zone ``label[j]`` (``"all"`` is the
        whole layer). A group whose features share one zone is one piece with two labels.
    area : ndarray of float, optional
        Area of each piece's union where the dissolve already knows it (one feature: its
        area; two overlapping features: both areas minus their intersection), NaN elsewhere.
    feat_bounds : ndarray, shape (len(feats), 4), optional
        Envelope of each feature when the dissolve already computed it (else
        :meth:`bounds` asks GEOS).
    """

    feats: np.ndarray
    indptr: np.ndarray
    members: np.ndarray
    kind: np.ndarray
    group: np.ndarray
    label_piece: np.ndarray
    label: np.ndarray
    area: np.ndarray | None = None
    feat_bounds: np.ndarray | None = None

    def known_area(self) -> np.ndarray:
        """:attr:`area`, or all NaN when the pieces carry none."""
        if self.area is None:
            return np.full(len(self.kind), np.nan)
        return self.area

    def __len__(self) -> int:
        """Return the number of pieces."""
        return len(self.kind)

    def sizes(self) -> np.ndarray:
        """Return the number of features in each piece."""
        return np.diff(self.indptr)

    def bounds(self) -> np.ndarray:
        """Envelope ``(xmin, ymin, xmax, ymax)`` of each piece."""
        if len(self) == 0:
            return np.empty((0, 4))
        if self.feat_bounds is not None:
            fb = self.feat_bounds[self.members]
        else:
            fb = shapely.bounds(self.feats[self.members])
        starts = self.indptr[:-1]
        return np.column_stack(
            [
                np.minimum.reduceat(fb[:, 0], starts),
                np.minimum.reduceat(fb[:, 1], starts),
                np.maximum.reduceat(fb[:, 2], starts),
                np.maximum.reduceat(fb[:, 3], starts),
            ]
        )

    def take(self, idx: np.ndarray) -> Pieces:
        """Return the pieces at positions ``idx`` with only the features they need."""
        idx = np.asarray(idx, dtype=np.int64)
        sizes = self.sizes()[idx]
        indptr = np.r_[0, np.cumsum(sizes)].astype(np.int64)
        old = self.members[concat_ranges(self.indptr[idx], sizes)]
        used, members = np.unique(old, return_inverse=True)
        new_pos = np.full(len(self.kind), -1, dtype=np.int64)
        new_pos[idx] = np.arange(len(idx))
        lab = new_pos[self.label_piece] >= 0
        return Pieces(
            feats=self.feats[used],
            indptr=indptr,
            members=members.astype(np.int64),
            kind=self.kind[idx],
            group=self.group[idx],
            label_piece=new_pos[self.label_piece[lab]],
            label=self.label[lab],
            area=None if self.area is None else self.area[idx],
            feat_bounds=None if self.feat_bounds is None else self.feat_bounds[used],
        )

    @staticmethod
    def concat(parts: Sequence[Pieces]) -> Pieces:
        """Concatenate piece sets (features renumbered)."""
        if not parts:
            i64 = np.array([], dtype=np.int64)
            obj = np.array([], dtype=object)
            return Pieces(
                obj, np.zeros(1, dtype=np.int64), i64, obj, i64, i64, obj, None, np.empty((0, 4))
            )
        feats, indptr, members, label_piece = [], [np.zeros(1, dtype=np.int64)], [], []
        f_off = m_off = p_off = 0
        for p in parts:
            feats.append(p.feats)
            members.append(p.members + f_off)
            indptr.append(p.indptr[1:] + m_off)
            label_piece.append(p.label_piece + p_off)
            f_off += len(p.feats)
            m_off += len(p.members)
            p_off += len(p.kind)
        return Pieces(
            feats=np.concatenate(feats),
            indptr=np.concatenate(indptr).astype(np.int64),
            members=np.concatenate(members).astype(np.int64),
            kind=np.concatenate([p.kind for p in parts]),
            group=np.concatenate([p.group for p in parts]).astype(np.int64),
            label_piece=np.concatenate(label_piece).astype(np.int64),
            label=np.concatenate([p.label for p in parts]),
            area=np.concatenate([p.known_area() for p in parts]),
            feat_bounds=(
                np.concatenate([p.feat_bounds for p in parts if p.feat_bounds is not None])
                if all(p.feat_bounds is not None for p in parts)
                else None
            ),
        )
