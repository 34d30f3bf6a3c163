"""Budgeted portfolio with HiGHS and the ranking curve (zoning.restoration.portfolio)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from zoning.errors import CriteriaError, InfeasibleError
from zoning.restoration.portfolio import plot_ranking_curve, ranking_curve, select_portfolio


def test_toy_knapsack_known_optimum():
    # Items (benefit, cost): A (10, 5), B (7, 4), C (6, 3), D (3, 2); budget 9.
    # Feasible sets within 9: A+B = 17 (cost 9), A+C = 16 (8), B+C+D = 16 (9), A+D = 13 (7) …
    # The optimum is A+B = 17; a greedy by ratio (C 2.0, A 2.0, B 1.75) would take C+A = 16.
    b = pd.Series([10.0, 7.0, 6.0, 3.0], index=list("ABCD"))
    c = pd.Series([5.0, 4.0, 3.0, 2.0], index=list("ABCD"))
    r = select_portfolio(b, c, budget=9, mip_rel_gap=0)
    assert sorted(r.selected[r.selected].index) == ["A", "B"]
    assert r.objective == 17.0
    assert r.cost == 9.0
    assert r.gap == pytest.approx(0.0, abs=1e-9)
    assert r.status == "optimal"
    rep = r.report()
    assert rep["n_variables"] == 4 and rep["n_constraints"] == 1
    assert rep["time_s"] >= 0


def test_locks_are_honoured():
    b = pd.Series([10.0, 7.0, 6.0, 3.0], index=list("ABCD"))
    c = pd.Series([5.0, 4.0, 3.0, 2.0], index=list("ABCD"))
    r = select_portfolio(b, c, budget=9, locked_in=["D"], locked_out=["A"], mip_rel_gap=0)
    # with D forced in (cost 2) and A out: best of B, C within 7 -> B + C = 13, total 16
    assert r.selected["D"] and not r.selected["A"]
    assert r.objective == 16.0


def test_random_problems_match_brute_force():
    for seed in range(25):
        rng = np.random.default_rng(seed)
        n = 10
        b = pd.Series(rng.integers(1, 20, n).astype(float))
        c = pd.Series(rng.integers(1, 10, n).astype(float))
        a = pd.Series(rng.integers(1, 5, n).astype(float))
        g = pd.Series(rng.choice(["x", "y"], n))
        budget = float(c.sum() * 0.45)
        best = -1.0
        for bits in itertools.product([False, True], repeat=n):
            x = np.array(bits)
            if x[0] or not x[1]:  # unit 0 locked out, unit 1 locked in
                continue
            if c[x].sum() <= budget and a[x & (g == "x").to_numpy()].sum() >= 3:
                best = max(best, float(b[x].sum()))
        kwargs = {
            "budget": budget,
            "area": a,
            "groups": g,
            "area_targets": {"x": 3.0},
            "locked_in": [1],
            "locked_out": [0],
            "mip_rel_gap": 0,
        }
        if best < 0:
            with pytest.raises(InfeasibleError):
                select_portfolio(b, c, **kwargs)
            continue
        r = select_portfolio(b, c, **kwargs)
        assert r.objective == pytest.approx(best), seed
        assert r.cost <= budget + 1e-9
        assert r.selected[1] and not r.selected[0]


def test_budget_never_exceeded_and_locks_at_scale():
    rng = np.random.default_rng(1)
    n = 3000
    b = pd.Series(rng.random(n))
    c = pd.Series(rng.uniform(1, 5, n))
    budget = float(c.sum() * 0.1)
    lock_in = list(range(0, 30))
    lock_out = list(range(30, 300))
    r = select_portfolio(b, c, budget=budget, locked_in=lock_in, locked_out=lock_out)
    assert r.cost <= budget
    assert r.selected.iloc[lock_in].all()
    assert not r.selected.iloc[lock_out].any()
    assert r.gap <= 1e-4
    assert r.bound >= r.objective


def test_infeasible_budget_reports_the_shortfall():
    b = pd.Series([1.0, 1.0, 1.0])
    c = pd.Series([4.0, 5.0, 6.0])
    with pytest.raises(InfeasibleError, match=r"short by 4") as info:
        select_portfolio(b, c, budget=5, locked_in=[0, 1])  # locked cost 9 > 5
    assert info.value.shortfall == {"budget": 4.0}


def test_infeasible_targets_report_the_shortfall():
    b = pd.Series([1.0, 1.0, 1.0, 1.0])
    c = pd.Series([2.0, 3.0, 4.0, 1.0])
    area = pd.Series([10.0, 10.0, 10.0, 10.0])
    groups = pd.Series(["x", "x", "x", "y"])
    # 25 ha in x needs three units (costs 2 + 3 + 4 = 9): with budget 6 the shortfall is 3
    with pytest.raises(InfeasibleError, match=r"at least 9 .*short by 3") as info:
        select_portfolio(b, c, budget=6, area=area, groups=groups, area_targets={"x": 25})
    assert info.value.shortfall["budget"] == pytest.approx(3.0)
    # 50 ha in x is unreachable whatever the budget: 30 ha exist
    with pytest.raises(InfeasibleError, match=r"short by 20 ha") as info:
        select_portfolio(b, c, budget=100, area=area, groups=groups, area_targets={"x": 50})
    assert info.value.shortfall == {"area_ha:x": 20.0}


def test_inconsistent_locks_and_costs():
    b = pd.Series([1.0, 2.0])
    with pytest.raises(CriteriaError, match="both locked in and locked out"):
        select_portfolio(b, pd.Series([1.0, 1.0]), budget=1, locked_in=[0], locked_out=[0])
    with pytest.raises(CriteriaError, match="negative cost"):
        select_portfolio(b, pd.Series([-1.0, 1.0]), budget=1)
    with pytest.raises(CriteriaError, match="not planning units"):
        select_portfolio(b, pd.Series([1.0, 1.0]), budget=1, locked_in=[7])


def test_ranking_curve_by_hand(tmp_path):
    score = pd.Series([0.2, 0.9, 0.5], index=["a", "b", "c"])
    area = pd.Series([1.0, 1.0, 2.0], index=["a", "b", "c"])
    curve = ranking_curve(score, area)
    # order b, c, a; benefits 0.9, 1.0, 0.2 of 2.1; areas 1, 2, 1 of 4
    assert curve["unit"].tolist() == ["b", "c", "a"]
    assert curve["area_share"].tolist() == pytest.approx([0.25, 0.75, 1.0])
    assert curve["benefit_share"].tolist() == pytest.approx([0.9 / 2.1, 1.9 / 2.1, 1.0])
    png = plot_ranking_curve(curve, tmp_path / "curve.png", selected_area_share=0.25)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_solver_chatter_on_fd1_goes_to_stderr():
    """HiGHS writes a debug line to file descriptor 1 on some problems: it must not land in
    stdout, where `--json` output goes.
    """
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "from zoning.restoration.portfolio import _solver_stdout_to_stderr\n"
        "print('before', flush=True)\n"
        "with _solver_stdout_to_stderr():\n"
        "    os.write(1, b'solver chatter\\n')\n"
        "print('after', flush=True)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout == "before\nafter\n"
    assert "solver chatter" in res.stderr
