"""Scores a planner can defend: normalisation, weights (direct or AHP), classes, decomposition.

The score of a unit is the weighted sum of its normalised criteria,
``score = Σ_k w_k · n_k`` with ``n_k ∈ [0, 1]`` and ``Σ_k w_k = 1``, so the score is in [0, 1]
and its *decomposition* ``contrib_k = w_k · n_k`` sums exactly to the score: every priority
is explained by what each criterion contributed (the explainability goal of
``domain/anchors.md`` §2.2).

AHP weights (Saaty 1980) come from the principal eigenvector of a reciprocal pairwise
comparison matrix; the consistency ratio ``CR = CI / RI`` with ``CI = (λ_max − n) / (n − 1)``
and Saaty's random index RI is reported, and matrices with ``CR > 0.1`` are rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal, cast

import numpy as np
import pandas as pd

from zoning.errors import CriteriaError

__all__ = [
    "RANDOM_INDEX",
    "ahp_weights",
    "check_weights",
    "classify",
    "natural_breaks",
    "normalize",
    "score_units",
]

#: Saaty's random consistency index by matrix size (Saaty 1980, table 1.7).
RANDOM_INDEX = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
}


def normalize(
    values: pd.Series,
    *,
    method: Literal["minmax", "rank"] | Callable[[pd.Series], pd.Series] = "minmax",
    direction: Literal["benefit", "cost"] = "benefit",
    on_constant: Literal["error", "zero"] = "error",
    fill: float | None = 0.0,
    name: str | None = None,
) -> pd.Series:
    """Rescale a criterion to [0, 1], 1 meaning "restore first".

    Parameters
    ----------
    values : pandas.Series
        Raw criterion values per unit (NaN where unknown).
    method : {"minmax", "rank"} or callable
        ``minmax``: ``(v − min) / (max − min)``; ``rank``: average rank scaled to [0, 1]
        (ties share a rank); a callable maps the raw series to values in [0, 1] (a user
        value function, e.g. a threshold rule).
    direction : {"benefit", "cost"}
        ``cost`` reverses the scale (``1 − n``): more of it means *lower* priority.
    on_constant : {"error", "zero"}
        A criterion with no variance carries no information: raise, or give 0 everywhere.
    fill : float or None
        Value given to units whose raw value is NaN (e.g. wholly in raster nodata); None
        keeps NaN (and :func:`score_units` will refuse them).
    name : str, optional
        Criterion name used in messages (defaults to ``values.name``).

    Returns
    -------
    pandas.Series
        Same index, values in [0, 1] (or NaN when ``fill`` is None).

    Raises
    ------
    CriteriaError
        On a criterion with no variance (``on_constant="error"``), an unknown method or
        direction, or a user function returning values outside [0, 1].

    Examples
    --------
    >>> import pandas as pd
    >>> normalize(pd.Series([2.0, 4.0, 6.0])).tolist()
    [0.0, 0.5, 1.0]
    >>> normalize(pd.Series([2.0, 4.0, 6.0]), direction="cost").tolist()
    [1.0, 0.5, 0.0]
    """
    label = name or values.name or "criterion"
    if direction not in ("benefit", "cost"):
        raise CriteriaError(
            f"Criterion {label!r} has direction {direction!r}; expected 'benefit' or 'cost'."
        )
    raw = pd.to_numeric(values, errors="coerce").astype(float)
    finite = raw[np.isfinite(raw)]
    if callable(method):
        out = pd.Series(np.asarray(method(raw), dtype=float), index=values.index)
        bad = out[(out < 0) | (out > 1)]
        if len(bad):
            raise CriteriaError(
                f"The value function of criterion {label!r} returned {len(bad)} value(s) "
                f"outside [0, 1] (e.g. {bad.iloc[0]!r}); expected values in [0, 1]. Clip or "
                "rescale inside the function."
            )
    elif method in ("minmax", "rank"):
        if finite.empty or finite.max() == finite.min():
            if on_constant == "zero":
                out = pd.Series(np.where(np.isfinite(raw), 0.0, np.nan), index=values.index)
            else:
                shown = (
                    "no finite values"
                    if finite.empty
                    else f"every value = {float(finite.iloc[0]):g}"
                )
                raise CriteriaError(
                    f"Criterion {label!r} has no variance ({shown} over {len(raw)} units); "
                    "expected values that differ between units. It cannot rank anything: drop "
                    "it, give it weight 0 and on_constant = 'zero', or widen the study area."
                )
        elif method == "minmax":
            out = (raw - finite.min()) / (finite.max() - finite.min())
        else:
            ranks = raw.rank(method="average")
            out = (ranks - 1.0) / (finite.size - 1.0)
    else:
        raise CriteriaError(
            f"Criterion {label!r} asks for normalisation {method!r}; expected 'minmax', "
            "'rank' or a function."
        )
    if direction == "cost":
        out = 1.0 - out
    if fill is not None:
        out = out.fillna(float(fill))
    out.name = values.name  # `out` is always a new series here
    return out


def check_weights(weights: Mapping[str, float], *, tolerance: float = 1e-6) -> dict[str, float]:
    """Validate user weights: non-negative, finite, summing to 1.

    Raises
    ------
    CriteriaError
        If a weight is negative or not finite, or the weights do not sum to 1.

    Examples
    --------
    >>> check_weights({"erosion": 0.25, "mines": 0.75})
    {'erosion': 0.25, 'mines': 0.75}
    """
    if not weights:
        raise CriteriaError("No weights were given; expected one weight per criterion.")
    bad = {k: v for k, v in weights.items() if not np.isfinite(v) or v < 0}
    if bad:
        raise CriteriaError(
            f"Weights {bad} are negative or not finite; expected weights ≥ 0. Express a "
            "criterion that lowers priority with direction = 'cost', not a negative weight."
        )
    total = float(sum(weights.values()))
    if abs(total - 1.0) > tolerance:
        fixed = {k: round(v / total, 4) for k, v in weights.items()} if total > 0 else {}
        raise CriteriaError(
            f"The weights sum to {total:.6g}; expected 1 (within {tolerance:g}). Divide each "
            f"weight by their sum (that gives {fixed}) or derive them with AHP."
        )
    return {k: float(v) for k, v in weights.items()}


def ahp_weights(
    matrix: Sequence[Sequence[float]] | np.ndarray,
    names: Sequence[str],
    *,
    max_cr: float = 0.1,
) -> tuple[dict[str, float], float]:
    """Weights from an AHP pairwise comparison matrix, with its consistency ratio.

    Parameters
    ----------
    matrix : (n, n) array-like
        ``matrix[i][j]`` = how much more important criterion i is than j (Saaty's 1–9 scale);
        must be positive and reciprocal (``a_ji = 1 / a_ij``, ones on the diagonal).
    names : sequence of str
        Criterion names, in matrix order.
    max_cr : float
        Largest accepted consistency ratio (0.1, Saaty's rule).

    Returns
    -------
    weights : dict
        Name → weight (principal eigenvector, summing to 1).
    cr : float
        Consistency ratio ``CI / RI``; 0 for n ≤ 2.

    Raises
    ------
    CriteriaError
        If the matrix is not square, not positive, not reciprocal, or ``cr > max_cr``.

    Examples
    --------
    >>> w, cr = ahp_weights([[1, 3], [1 / 3, 1]], ["mines", "erosion"])
    >>> {k: round(v, 3) for k, v in w.items()}, cr
    ({'mines': 0.75, 'erosion': 0.25}, 0.0)
    """
    a = np.asarray(matrix, dtype=float)
    n = len(names)
    if a.shape != (n, n):
        raise CriteriaError(
            f"The AHP matrix has shape {a.shape} for {n} criteria {list(names)}; expected "
            f"({n}, {n})."
        )
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise CriteriaError("The AHP matrix has zero, negative or missing entries; expected > 0.")
    off = np.abs(a * a.T - 1.0)
    if off.max() > 1e-3:
        i, j = (int(ix) for ix in np.unravel_index(int(off.argmax()), off.shape))
        raise CriteriaError(
            f"The AHP matrix is not reciprocal: a[{names[i]}][{names[j]}] = {a[i, j]:g} but "
            f"a[{names[j]}][{names[i]}] = {a[j, i]:g}; expected 1/{a[i, j]:g}. Give the upper "
            "triangle and fill the lower with reciprocals."
        )
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    lam = float(values[k].real)
    w = np.abs(vectors[:, k].real)
    w = w / w.sum()
    if n <= 2:
        cr = 0.0
    else:
        ri = RANDOM_INDEX.get(n)
        if ri is None:
            raise CriteriaError(
                f"AHP with {n} criteria: Saaty's random index is tabulated for n ≤ 10; "
                "expected at most 10 criteria. Group criteria hierarchically."
            )
        cr = max(((lam - n) / (n - 1)) / ri, 0.0)
    if cr > max_cr:
        raise CriteriaError(
            f"The AHP matrix has consistency ratio {cr:.3f} (λmax = {lam:.4f}, n = {n}); "
            f"expected ≤ {max_cr}. Revise the pairwise judgements so they agree (if A is 3× B "
            "and B is 2× C, A should be about 6× C)."
        )
    return {name: float(x) for name, x in zip(names, w, strict=True)}, float(cr)


def score_units(
    criteria: pd.DataFrame,
    weights: Mapping[str, float],
) -> pd.DataFrame:
    """Weighted-sum score of normalised criteria, with its per-criterion decomposition.

    Parameters
    ----------
    criteria : pandas.DataFrame
        One column per criterion, normalised to [0, 1] (see :func:`normalize`).
    weights : mapping
        Criterion → weight, summing to 1 (see :func:`check_weights`, :func:`ahp_weights`).

    Returns
    -------
    pandas.DataFrame
        Same index; ``contrib_<criterion>`` = weight × value for each criterion, ``score`` =
        their sum (in [0, 1]) and ``rank`` (1 = highest score; ties share the lower rank).

    Raises
    ------
    CriteriaError
        If weights and columns do not match, the weights do not sum to 1, or values are NaN or
        outside [0, 1].

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"a": [1.0, 0.0], "b": [0.5, 1.0]})
    >>> score_units(c, {"a": 0.6, "b": 0.4})["score"].tolist()
    [0.8, 0.4]
    """
    w = check_weights(weights)
    missing = sorted(set(w) - set(criteria.columns))
    if missing:
        raise CriteriaError(
            f"Weights name criteria {missing} that are not computed (have "
            f"{sorted(criteria.columns)}); expected one weight per criterion column."
        )
    frame = criteria[list(w)].astype(float)
    nan_cols = [c for c in frame.columns if frame[c].isna().any()]
    if nan_cols:
        raise CriteriaError(
            f"Criteria {nan_cols} have missing values for "
            f"{int(frame[nan_cols].isna().any(axis=1).sum())} unit(s); expected a value for "
            "every unit. Set `fill` when normalising (e.g. 0 for units wholly in nodata)."
        )
    out_of_range = [c for c in frame.columns if ((frame[c] < 0) | (frame[c] > 1)).any()]
    if out_of_range:
        raise CriteriaError(
            f"Criteria {out_of_range} have values outside [0, 1]; expected normalised values. "
            "Normalise them first with `normalize`."
        )
    out = pd.DataFrame(index=criteria.index)
    for name, weight in w.items():
        out[f"contrib_{name}"] = weight * frame[name]
    out["score"] = out.sum(axis=1).clip(0.0, 1.0)
    out["rank"] = out["score"].rank(method="min", ascending=False).astype(int)
    return out


def natural_breaks(values: np.ndarray, k: int, *, max_points: int = 2000) -> np.ndarray:
    """Fisher–Jenks natural-break upper bounds (k of them, the last = max).

    Exact dynamic programme on the sorted values when there are at most ``max_points`` of them,
    else on ``max_points`` evenly spaced quantiles (the sampled variant of mapclassify).
    """
    x = np.sort(np.asarray(values, dtype=float)[np.isfinite(values)])
    if x.size > max_points:
        x = np.quantile(x, np.linspace(0, 1, max_points))
    n = x.size
    k = min(k, max(int(np.unique(x).size), 1))
    s1 = np.r_[0.0, np.cumsum(x)]
    s2 = np.r_[0.0, np.cumsum(x * x)]

    def ssd(i: np.ndarray, j: int) -> np.ndarray:  # sum of squared deviations of x[i:j]
        cnt = j - i
        tot = s1[j] - s1[i]
        out: np.ndarray = s2[j] - s2[i] - tot * tot / np.maximum(cnt, 1)
        return out

    cost = np.full((k + 1, n + 1), np.inf)
    arg = np.zeros((k + 1, n + 1), dtype=np.int64)
    cost[0, 0] = 0.0
    for m in range(1, k + 1):
        for j in range(m, n + 1):
            i = np.arange(m - 1, j)
            c = cost[m - 1, i] + ssd(i, j)
            b = int(np.argmin(c))
            cost[m, j] = c[b]
            arg[m, j] = i[b]
    bounds = []
    j = n
    for m in range(k, 0, -1):
        bounds.append(x[j - 1])
        j = arg[m, j]
    return np.array(bounds[::-1])


def classify(
    scores: pd.Series,
    *,
    method: Literal["quantile", "natural_breaks"] = "quantile",
    k: int = 5,
) -> pd.Series:
    """Priority classes 1 … k, **1 = highest priority** (top scores).

    ``quantile`` gives classes of (near) equal size; ``natural_breaks`` uses Fisher–Jenks.

    Examples
    --------
    >>> import pandas as pd
    >>> classify(pd.Series([0.1, 0.2, 0.3, 0.4]), k=2).tolist()
    [2, 2, 1, 1]
    """
    v = scores.astype(float)
    if k < 1:
        raise CriteriaError(f"Asked for {k} priority classes; expected k ≥ 1.")
    if method == "quantile":
        pct = v.rank(method="average", pct=True)
        # a ufunc on a Series gives a Series (numpy's stubs say ndarray)
        low_to_high = cast("pd.Series", np.ceil(pct * k)).clip(1, k).astype(int)
    elif method == "natural_breaks":
        bounds = natural_breaks(v.to_numpy(), k)
        low_to_high = pd.Series(
            np.searchsorted(bounds, v.to_numpy(), side="left") + 1, index=v.index
        ).clip(1, len(bounds))
        k = len(bounds)
    else:
        raise CriteriaError(
            f"Unknown classification {method!r}; expected 'quantile' or 'natural_breaks'."
        )
    return (k + 1 - low_to_high).astype(int).rename("priority_class")
