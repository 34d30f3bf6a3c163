"""Normalisation, weights, AHP and priority classes (zoning.restoration.scoring)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zoning.errors import CriteriaError
from zoning.restoration.scoring import (
    ahp_weights,
    check_weights,
    classify,
    natural_breaks,
    normalize,
    score_units,
)


def test_minmax_and_cost_direction():
    s = pd.Series([10.0, 20.0, 40.0], index=["a", "b", "c"])
    assert normalize(s).tolist() == pytest.approx([0.0, 1 / 3, 1.0])
    assert normalize(s, direction="cost").tolist() == pytest.approx([1.0, 2 / 3, 0.0])
    assert list(normalize(s).index) == ["a", "b", "c"]


def test_rank_normalisation_shares_ties():
    # ranks 1, 2.5, 2.5, 4 -> (r - 1) / 3
    out = normalize(pd.Series([5.0, 7.0, 7.0, 9.0]), method="rank")
    assert out.tolist() == [0.0, 0.5, 0.5, 1.0]


def test_user_value_function_and_its_range():
    s = pd.Series([0.0, 5.0, 20.0])
    out = normalize(s, method=lambda v: (v >= 10).astype(float))
    assert out.tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(CriteriaError, match="outside"):
        normalize(s, method=lambda v: v)


def test_nan_is_filled():
    s = pd.Series([1.0, np.nan, 3.0])
    assert normalize(s, fill=0.0).tolist() == [0.0, 0.0, 1.0]
    assert np.isnan(normalize(s, fill=None).iloc[1])


def test_criterion_without_variance_is_a_clear_error():
    with pytest.raises(CriteriaError, match=r"'slope' has no variance .*every value = 3"):
        normalize(pd.Series([3.0, 3.0, 3.0], name="slope"))
    assert normalize(pd.Series([3.0, 3.0]), on_constant="zero").tolist() == [0.0, 0.0]


def test_weights_must_sum_to_one():
    with pytest.raises(CriteriaError, match=r"sum to 1\.2; expected 1"):
        check_weights({"a": 0.5, "b": 0.7})
    with pytest.raises(CriteriaError, match="negative"):
        check_weights({"a": 1.5, "b": -0.5})


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=3, max_size=3),
    st.lists(st.lists(st.floats(0, 1), min_size=3, max_size=3), min_size=1, max_size=30),
)
def test_weights_summing_to_one_keep_scores_in_unit_interval(raw_w, rows):
    total = sum(raw_w)
    if total == 0:
        return
    w = dict(zip(["a", "b", "c"], [x / total for x in raw_w], strict=True))
    w["c"] = 1.0 - w["a"] - w["b"]  # exact sum
    if w["c"] < 0:
        return
    crit = pd.DataFrame(rows, columns=["a", "b", "c"])
    out = score_units(crit, w)
    assert ((out["score"] >= 0) & (out["score"] <= 1)).all()
    # the decomposition explains the score exactly
    contrib = out[["contrib_a", "contrib_b", "contrib_c"]].sum(axis=1)
    np.testing.assert_allclose(contrib.clip(0, 1), out["score"])


def test_decomposition_by_hand():
    crit = pd.DataFrame({"mines": [1.0, 0.0], "erosion": [0.5, 1.0]}, index=["u1", "u2"])
    out = score_units(crit, {"mines": 0.6, "erosion": 0.4})
    assert out.loc["u1", "contrib_mines"] == pytest.approx(0.6)
    assert out.loc["u1", "contrib_erosion"] == pytest.approx(0.2)
    assert out["score"].tolist() == pytest.approx([0.8, 0.4])
    assert out["rank"].tolist() == [1, 2]


def test_score_refuses_unnormalised_or_missing_values():
    with pytest.raises(CriteriaError, match="outside"):
        score_units(pd.DataFrame({"a": [2.0]}), {"a": 1.0})
    with pytest.raises(CriteriaError, match="missing"):
        score_units(pd.DataFrame({"a": [np.nan]}), {"a": 1.0})
    with pytest.raises(CriteriaError, match="not computed"):
        score_units(pd.DataFrame({"a": [0.5]}), {"b": 1.0})


def test_ahp_consistent_matrix_has_zero_cr():
    # a = 2b = 4c is perfectly consistent: weights 4/7, 2/7, 1/7, CR 0
    w, cr = ahp_weights([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]], ["a", "b", "c"])
    assert w == pytest.approx({"a": 4 / 7, "b": 2 / 7, "c": 1 / 7})
    assert cr == pytest.approx(0.0, abs=1e-12)


def test_ahp_known_consistency_ratio():
    # For a 3x3 reciprocal matrix with a12 = 3, a23 = 3, a13 = 5, the principal eigenvalue is
    # lambda = 1 + r^(1/3) + r^(-1/3) with r = a12 * a23 / a13 = 9 / 5 = 1.8:
    # r^(1/3) = 1.216440, r^(-1/3) = 0.822071, lambda = 3.038511.
    # CI = (lambda - 3) / 2 = 0.019256; CR = CI / RI(3) = 0.019256 / 0.58 = 0.033199.
    w, cr = ahp_weights([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]], ["a", "b", "c"])
    assert cr == pytest.approx(0.033199, abs=2e-6)
    assert sum(w.values()) == pytest.approx(1.0)
    assert w["a"] > w["b"] > w["c"]


def test_ahp_inconsistent_matrix_is_rejected():
    # a = 9b, b = 9c but c = 9a: r = 9 * 9 / (1/9) = 729, r^(1/3) = 9,
    # lambda = 1 + 9 + 1/9 = 10.111; CI = 3.556; CR = 6.13 > 0.1
    with pytest.raises(CriteriaError, match=r"consistency ratio 6\.13"):
        ahp_weights([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]], ["a", "b", "c"])


def test_ahp_not_reciprocal():
    with pytest.raises(CriteriaError, match="not reciprocal"):
        ahp_weights([[1, 3], [3, 1]], ["a", "b"])


def test_quantile_classes_one_is_highest():
    s = pd.Series(np.arange(10, dtype=float))
    classes = classify(s, k=5)
    assert classes.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_natural_breaks_find_the_gaps():
    values = np.array([1, 2, 3, 10, 11, 12, 50, 51], dtype=float)
    assert natural_breaks(values, 3).tolist() == [3.0, 12.0, 51.0]
    classes = classify(pd.Series(values), method="natural_breaks", k=3)
    assert classes.tolist() == [3, 3, 3, 2, 2, 2, 1, 1]
