"""Binding plan indicators that the layers can compute, checked against their targets.

The planning indicator tables (规划指标体系) of the Shanxi, Xinzhou and Yunzhou plans set
targets such as "red-line share of territory (生态保护红线占国土面积比例): 21.95 % in 2020,
not to decrease (不减少) by 2025, binding (约束性)". The targets live in a small CSV users can
edit (:func:`default_targets_path`, columns below); each seed row cites its source file and
line. :func:`evaluate_indicators` reads the computed value from a statistics table.

Target rules: ``no_decrease`` (value ≥ baseline, at the precision the baseline is published
with: 24.88 % covers [24.875, 24.885)), ``at_least`` / ``at_most`` (value ≥ / ≤
``target_value``), ``equal`` (within ``tolerance``), ``external`` (set by a higher level: not
checked, reported).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zoning.errors import InputFileError, Problem, ScenarioError
from zoning.specs import spec_path

__all__ = [
    "INDICATOR_COLUMNS",
    "RULES",
    "TARGET_COLUMNS",
    "default_targets_path",
    "evaluate_indicators",
    "load_targets",
    "published_precision",
]

TARGET_COLUMNS = [
    "unit_id",
    "unit_name",
    "indicator",
    "layer_kind",
    "zone",
    "measure",
    "unit",
    "baseline_year",
    "baseline",
    "target_year",
    "target_rule",
    "target_value",
    "attribute",
    "source",
    "source_lines",
    "quote",
]
RULES = ("no_decrease", "at_least", "at_most", "equal", "external")
INDICATOR_COLUMNS = [
    "unit_id",
    "unit_name",
    "indicator",
    "measure",
    "value",
    "unit",
    "baseline_year",
    "baseline",
    "target_year",
    "target_rule",
    "target_value",
    "threshold",
    "met",
    "gap",
    "attribute",
    "source",
    "source_lines",
]


def default_targets_path() -> Path:
    """Return the bundled targets table (Shanxi, Xinzhou, Yunzhou seed values)."""
    return spec_path("indicator_targets.csv")


def load_targets(path: str | Path | None = None) -> pd.DataFrame:
    """Read and check a targets table; raise one error listing every problem.

    Parameters
    ----------
    path : path-like, optional
        CSV with :data:`TARGET_COLUMNS` (``source``/``quote`` may be blank); default the
        bundled table.

    Raises
    ------
    InputFileError
        The file does not exist.
    ScenarioError
        Missing columns, unknown rules or measures, non-numeric targets (all listed).

    Examples
    --------
    >>> t = load_targets()
    >>> t.loc[t.unit_id == "140000", "baseline"].iloc[0]
    np.float64(21.95)
    """
    p = Path(path) if path is not None else default_targets_path()
    if not p.is_file():
        raise InputFileError(
            f"targets table {p} does not exist; expected a CSV with columns "
            f"{', '.join(TARGET_COLUMNS)}; copy {default_targets_path()} and edit it"
        )
    df = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")
    problems: list[Problem] = []
    missing = [c for c in TARGET_COLUMNS[:11] if c not in df.columns]
    if missing:
        problems.append(
            Problem("columns_missing", f"{p.name}: columns {', '.join(missing)} missing")
        )
        raise ScenarioError(f"targets table {p}", problems)
    for c in TARGET_COLUMNS:
        if c not in df.columns:
            df[c] = ""
    for line, (_, r) in enumerate(df.iterrows(), start=2):  # read_csv: a RangeIndex
        if r.target_rule not in RULES:
            problems.append(
                Problem(
                    "rule_unknown",
                    f"{p.name} line {line}: target_rule {r.target_rule!r}; expected one of "
                    f"{', '.join(RULES)}",
                )
            )
        if r.measure not in ("share_pct", "area_km2"):
            problems.append(
                Problem(
                    "measure_unknown",
                    f"{p.name} line {line}: measure {r.measure!r}; expected share_pct or area_km2",
                )
            )
        for col in ("baseline", "target_value"):
            if r[col] != "" and _number(r[col]) is None:
                problems.append(
                    Problem(
                        "not_a_number", f"{p.name} line {line}: {col} {r[col]!r} is not a number"
                    )
                )
        if r.target_rule == "no_decrease" and r.baseline == "":
            problems.append(
                Problem("baseline_missing", f"{p.name} line {line}: no_decrease needs a baseline")
            )
        if r.target_rule in ("at_least", "at_most", "equal") and r.target_value == "":
            problems.append(
                Problem(
                    "target_missing",
                    f"{p.name} line {line}: {r.target_rule} needs a target_value",
                )
            )
    if problems:
        raise ScenarioError(f"targets table {p}", problems)
    for col in ("baseline", "target_value"):
        df[col] = [_number(v) for v in df[col]]
        df[col] = df[col].astype(float)
    df["unit_id"] = df["unit_id"].astype(str)
    return df


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def published_precision(figure: float) -> float:
    """Half a unit of the last digit ``figure`` is written with (its rounding interval).

    Examples
    --------
    >>> published_precision(24.88), published_precision(6206.07), published_precision(11.0)
    (0.005, 0.005, 0.5)
    """
    text = repr(float(figure))
    if "e" in text or "E" in text:
        return 0.0
    decimals = len(text.split(".")[1].rstrip("0")) if "." in text else 0
    return 0.5 * 10.0**-decimals


def evaluate_indicators(
    stats: pd.DataFrame,
    targets: pd.DataFrame | None = None,
    *,
    tolerance: float = 1e-9,
) -> pd.DataFrame:
    """Compute each indicator of ``targets`` from ``stats`` and check it against its target.

    Parameters
    ----------
    stats : DataFrame
        Statistics (:func:`zoning.stats.area_by_unit` / :func:`zoning.stats.rollup`) of the
        units the targets name (any levels together).
    targets : DataFrame, optional
        :func:`load_targets` output (default: the bundled table).
    tolerance : float
        Slack for ``no_decrease``/``at_least``/``at_most``/``equal`` (same unit as the value).

    Returns
    -------
    DataFrame
        :data:`INDICATOR_COLUMNS`; ``met`` is True/False, or None when the unit is not in
        ``stats`` or the rule is ``external``; ``gap`` = value − threshold.

    Examples
    --------
    >>> import pandas as pd
    >>> stats = pd.DataFrame({"unit_id": ["140000"], "layer_kind": ["eco_redline"],
    ...     "zone": ["all"], "area_km2": [34_400.0], "unit_area_km2": [156_700.0],
    ...     "share_pct": [21.953]})
    >>> ev = evaluate_indicators(stats)
    >>> ev.loc[ev.unit_id == "140000", ["indicator", "value", "met"]].values.tolist()
    [['eco_redline_share', 21.953, True], ['protected_area_share', nan, None]]
    """
    t = load_targets() if targets is None else targets
    key = stats.set_index(["unit_id", "layer_kind", "zone"])
    rows = []
    records: Iterable[Any] = t.itertuples(index=False)  # fields: the table's columns
    for r in records:
        k = (str(r.unit_id), r.layer_kind, r.zone or "all")
        value = float(key.loc[k, r.measure]) if k in key.index else None
        threshold = {
            "no_decrease": r.baseline,
            "at_least": r.target_value,
            "at_most": r.target_value,
            "equal": r.target_value,
        }.get(r.target_rule)
        met: bool | None = None
        gap = None
        if value is not None and threshold is not None and not np.isnan(threshold):
            gap = value - threshold
            if r.target_rule == "no_decrease":
                # the baseline is a measured figure published rounded (21.95 %): a value that
                # rounds to it has not decreased, so compare at the baseline's own precision
                met = bool(gap >= -max(tolerance, published_precision(threshold)))
            elif r.target_rule == "at_least":
                met = bool(gap >= -tolerance)
            elif r.target_rule == "at_most":
                met = bool(gap <= tolerance)
            else:
                met = bool(abs(gap) <= tolerance)
        rows.append(
            {
                "unit_id": str(r.unit_id),
                "unit_name": r.unit_name,
                "indicator": r.indicator,
                "measure": r.measure,
                "value": value,
                "unit": r.unit,
                "baseline_year": r.baseline_year,
                "baseline": r.baseline,
                "target_year": r.target_year,
                "target_rule": r.target_rule,
                "target_value": r.target_value,
                "threshold": threshold,
                "met": met,
                "gap": gap,
                "attribute": r.attribute,
                "source": r.source,
                "source_lines": r.source_lines,
            }
        )
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)
