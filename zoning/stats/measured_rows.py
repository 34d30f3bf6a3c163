"""Measured rows: the (unit, kind, label, group, area) rows of the measure, as plain arrays.

:func:`zoning.stats.measure.measure_rows` returns them (:class:`MeasuredRows`);
:func:`label_rows` turns measured (piece, unit) pairs into rows, one per label of the piece
(:class:`LabelIndex`); :meth:`MeasuredRows.concat` joins the rows of pieces measured apart
(layer by layer, :mod:`zoning.stats.layer_stages`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zoning.ranges import concat_ranges
from zoning.stats.pieces import Pieces

__all__ = ["LabelIndex", "MeasuredRows", "factorize_runs", "label_rows"]


@dataclass(frozen=True)
class MeasuredRows:
    """Rows of :func:`measure_pieces` as plain arrays, before any DataFrame is built.

    :func:`zoning.stats.summary.area_by_unit` sums these directly: a DataFrame turned the
    ``kind`` and ``label`` columns into Arrow strings and back (~40 ms per 200,000 rows on
    the main thread). Kinds and labels are kept as codes into their distinct values, found
    per piece while the kernel measures the pieces near unit boundaries.

    Attributes
    ----------
    unit, group, area_m2 : ndarray
        The columns of :func:`measure_pieces` of these names.
    kind_code, label_code : ndarray of int64
        Position of each row's kind in ``kinds`` and of its label in ``labels``.
    kinds, labels : ndarray of str (dtype object)
        Distinct kinds and labels.
    """

    unit: np.ndarray
    group: np.ndarray
    area_m2: np.ndarray
    kind_code: np.ndarray
    kinds: np.ndarray
    label_code: np.ndarray
    labels: np.ndarray

    @property
    def kind(self) -> np.ndarray:
        """Kind of each row (dtype object)."""
        return self.kinds[self.kind_code]

    @property
    def label(self) -> np.ndarray:
        """Label of each row (dtype object)."""
        return self.labels[self.label_code]

    def __len__(self) -> int:
        """Return the number of rows."""
        return len(self.unit)

    def __getitem__(self, column: str) -> np.ndarray:
        """Return a column by name, as a DataFrame would."""
        return np.asarray(getattr(self, column))

    @staticmethod
    def empty() -> MeasuredRows:
        """Return no rows (no kinds, no labels)."""
        i64 = np.array([], dtype=np.int64)
        obj = np.array([], dtype=object)
        return MeasuredRows(i64, i64, np.array([], dtype=float), i64, obj, i64, obj)

    @staticmethod
    def concat(parts: Sequence[MeasuredRows]) -> MeasuredRows:
        """Join the rows of ``parts``, in order; kinds and labels coded anew, first seen first."""
        if not parts:
            return MeasuredRows.empty()
        if len(parts) == 1:  # its kinds and labels are distinct already
            return parts[0]
        kinds, kind_code = _recode([p.kinds for p in parts], [p.kind_code for p in parts])
        labels, label_code = _recode([p.labels for p in parts], [p.label_code for p in parts])
        return MeasuredRows(
            unit=np.concatenate([p.unit for p in parts]),
            group=np.concatenate([p.group for p in parts]),
            area_m2=np.concatenate([p.area_m2 for p in parts]),
            kind_code=kind_code,
            kinds=kinds,
            label_code=label_code,
            labels=labels,
        )

    def frame(self) -> pd.DataFrame:
        """Return the rows as the DataFrame of :func:`measure_pieces`."""
        if len(self) == 0:
            return _empty_measure()
        return pd.DataFrame({c: self[c] for c in _COLUMNS})


_COLUMNS = ("unit", "kind", "label", "group", "area_m2")


def _recode(
    values: Sequence[np.ndarray], codes: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Codes into each part's distinct ``values`` as codes into the distinct values of all."""
    index: dict[object, int] = {}
    out = []
    for v, c in zip(values, codes, strict=True):
        to_all = np.array([index.setdefault(x, len(index)) for x in v.tolist()], dtype=np.int64)
        out.append(to_all[c] if len(c) else np.asarray(c, dtype=np.int64))
    distinct = np.empty(len(index), dtype=object)
    distinct[:] = list(index)
    return distinct, np.concatenate(out)


def label_rows(
    pieces: Pieces, labels: LabelIndex, piece: np.ndarray, unit: np.ndarray, area: np.ndarray
) -> MeasuredRows:
    """Return the rows of the pairs with a positive area, one per label of the piece.

    ``labels`` is the label table of ``pieces`` (:attr:`zoning.stats.measure.KernelPairs.labels`).
    """
    pos = area > 0
    piece, unit, area = piece[pos], unit[pos], area[pos]
    # expand to labels: a piece may count for "all" and for its zone
    lstart = np.searchsorted(labels.by_piece, piece, side="left")
    lend = np.searchsorted(labels.by_piece, piece, side="right")
    reps = lend - lstart
    rows = np.repeat(np.arange(len(piece)), reps)
    lab_idx = labels.order[concat_ranges(lstart, reps)]
    return MeasuredRows(
        unit=unit[rows].astype(np.int64),
        group=pieces.group[piece[rows]],
        area_m2=area[rows],
        kind_code=labels.kind_code[piece[rows]],
        kinds=labels.kinds,
        label_code=labels.label_code[lab_idx],
        labels=labels.labels,
    )


@dataclass(frozen=True)
class LabelIndex:
    """The label table of some pieces sorted by piece, and their kinds and labels as codes."""

    order: np.ndarray  # label entries by piece (stable)
    by_piece: np.ndarray  # the piece of each entry, in that order
    kind_code: np.ndarray  # per piece
    kinds: np.ndarray
    label_code: np.ndarray  # per label entry
    labels: np.ndarray

    @staticmethod
    def of(pieces: Pieces) -> LabelIndex:
        """Return the label table of ``pieces``, by piece, kinds and labels coded."""
        order = np.argsort(pieces.label_piece, kind="stable")
        kind_code, kinds = factorize_runs(pieces.kind)
        label_code, labels = factorize_runs(pieces.label)
        return LabelIndex(
            order=order,
            by_piece=pieces.label_piece[order],
            kind_code=kind_code,
            kinds=kinds,
            label_code=label_code,
            labels=labels,
        )


def factorize_runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pandas.factorize` of an object array made of long runs of one value.

    The codes (int64, first seen first) and the distinct values, as :func:`pandas.factorize`
    gives them, hashing one value per run: the kinds of pieces come in one run per layer
    (:func:`numpy.full` in the dissolve: comparing a value with itself is a pointer test),
    their labels in a few. No value may be missing (pieces have a kind and labels).

    >>> codes, uniq = factorize_runs(np.array(["b", "b", "a", "b"], dtype=object))
    >>> codes.tolist(), uniq.tolist()
    ([0, 0, 1, 0], ['b', 'a'])
    """
    n = len(values)
    if n == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=object)
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    run_code, uniq = pd.factorize(values[starts])
    codes = np.repeat(run_code.astype(np.int64), np.diff(np.r_[starts, n]))
    return codes, np.asarray(uniq, dtype=object)


def _empty_measure() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit": pd.Series(dtype=np.int64),
            "kind": pd.Series(dtype=object),
            "label": pd.Series(dtype=object),
            "group": pd.Series(dtype=np.int64),
            "area_m2": pd.Series(dtype=float),
        }
    )
