"""Budgeted restoration portfolio, solved exactly with HiGHS, and the ranking curve.

The portfolio is the 0/1 programme (prioritizr's "maximum utility" objective)

    maximise   Σ_i b_i x_i
    subject to Σ_i c_i x_i ≤ B                              (budget)
               Σ_{i ∈ g} a_i x_i ≥ T_g   for each group g     (optional area targets)
               x_i = 1 for locked-in units, x_i = 0 for locked-out units, x_i ∈ {0, 1}

solved with HiGHS through :func:`scipy.optimize.milp` (exact branch and bound; the relative gap
reached and the time are reported). When it has no solution the shortfall is computed — the
extra budget needed (a minimum-cost problem under the same targets and locks) or the area a
group cannot reach — and raised as :class:`~zoning.errors.InfeasibleError`.

The ranking curve is Zonation's performance curve for one benefit layer: units sorted by
descending score, the share of total benefit captured against the share of area.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from zoning.errors import CriteriaError, InfeasibleError

__all__ = ["PortfolioResult", "plot_ranking_curve", "ranking_curve", "select_portfolio"]


@dataclass(frozen=True)
class PortfolioResult:
    """The chosen units and the solver report.

    Attributes
    ----------
    selected : pandas.Series of bool
        Same index as the units; True when chosen.
    objective : float
        Total benefit of the chosen units.
    bound : float
        Best upper bound proven by the solver (= objective when optimal).
    gap : float
        Relative gap ``(bound − objective) / |objective|`` (0 when proven optimal).
    cost : float
        Total cost of the chosen units (≤ budget).
    budget : float
    status : str
        ``"optimal"`` (proven within ``requested_gap`` of the bound, HiGHS' meaning) or
        ``"time_limit"`` (feasible, not proven).
    time_s : float
        Wall-clock solve time.
    n_variables, n_constraints : int
        Problem size.
    n_fixed : int
        Variables fixed exactly by reduced-cost fixing before branch and bound.
    targets : dict
        Group → (target area, reached area), ha.
    """

    selected: pd.Series
    objective: float
    bound: float
    gap: float
    cost: float
    budget: float
    status: str
    time_s: float
    n_variables: int
    n_constraints: int
    targets: dict[str, tuple[float, float]] = field(default_factory=dict)
    n_fixed: int = 0
    requested_gap: float = 0.0

    def report(self) -> dict[str, object]:
        """JSON-able summary (no per-unit data)."""
        return {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "requested_gap": self.requested_gap,
            "cost": self.cost,
            "budget": self.budget,
            "n_selected": int(self.selected.sum()),
            "time_s": round(self.time_s, 3),
            "n_variables": self.n_variables,
            "n_constraints": self.n_constraints,
            "n_fixed_by_reduced_cost": self.n_fixed,
            "solver": "HiGHS (scipy.optimize.milp)",
            "targets": {k: {"target_ha": t, "reached_ha": r} for k, (t, r) in self.targets.items()},
        }


def _mask(index: pd.Index, spec, what: str) -> np.ndarray:
    if spec is None:
        return np.zeros(len(index), dtype=bool)
    series = pd.Series(spec)
    if series.dtype == bool and len(series) == len(index):
        return series.reindex(index).fillna(False).to_numpy(dtype=bool)
    wanted = pd.Index(list(spec))
    unknown = wanted.difference(index)
    if len(unknown):
        raise CriteriaError(
            f"{len(unknown)} {what} unit id(s) are not planning units (e.g. "
            f"{list(unknown[:3])}); expected ids from the units' index."
        )
    return index.isin(wanted)


def _build(benefit, cost, area, group_of, targets, budget, lock_in, lock_out):
    from scipy.optimize import Bounds, LinearConstraint

    n = benefit.size
    rows = [cost]
    lo = [-np.inf]
    hi = [budget if budget is not None else np.inf]
    names = []
    for g, t in targets.items():
        rows.append(np.where(group_of == g, area, 0.0))
        lo.append(t)
        hi.append(np.inf)
        names.append(g)
    lb = lock_in.astype(float)
    ub = np.where(lock_out, 0.0, 1.0)
    return (
        LinearConstraint(np.vstack(rows), lo, hi),
        Bounds(lb, ub),
        n,
        len(rows),
        names,
    )


def select_portfolio(
    benefit: pd.Series,
    cost: pd.Series,
    *,
    budget: float,
    area: pd.Series | None = None,
    groups: pd.Series | None = None,
    area_targets: Mapping[str, float] | None = None,
    locked_in=None,
    locked_out=None,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
) -> PortfolioResult:
    """Choose the units that maximise total benefit within a budget.

    Parameters
    ----------
    benefit, cost : pandas.Series
        Per unit (same index): benefit (e.g. score × area) and cost (e.g. yuan), cost ≥ 0.
    budget : float
        Maximum total cost.
    area : pandas.Series, optional
        Area per unit (ha), needed with ``area_targets``.
    groups : pandas.Series, optional
        Group label per unit (a county, an intervention type) for ``area_targets``.
    area_targets : mapping, optional
        Group → minimum area (ha) to select in that group.
    locked_in, locked_out : sequence of unit ids or boolean Series, optional
        Units that must / must not be chosen.
    time_limit : float
        Seconds; on reaching it the best solution found is returned with its gap.
    mip_rel_gap : float
        Relative optimality gap at which HiGHS stops (1e-4 by default; 0 = prove optimality).

    Returns
    -------
    PortfolioResult

    Raises
    ------
    InfeasibleError
        When no selection satisfies budget, targets and locks; ``.shortfall`` says what is
        missing (``budget`` in cost units, ``area_ha:<group>`` in ha).
    CriteriaError
        On inconsistent inputs (negative cost, a unit both locked in and out, unknown ids).

    Examples
    --------
    >>> import pandas as pd
    >>> r = select_portfolio(pd.Series([6.0, 5.0, 5.0]), pd.Series([5.0, 4.0, 4.0]), budget=8)
    >>> r.selected.tolist(), r.objective
    ([False, True, True], 10.0)
    """
    index = benefit.index
    b = benefit.astype(float).to_numpy()
    c = cost.reindex(index).astype(float).to_numpy()
    if np.isnan(b).any() or np.isnan(c).any():
        raise CriteriaError("Benefit or cost has missing values; expected a number per unit.")
    if (c < 0).any():
        raise CriteriaError(
            f"{int((c < 0).sum())} unit(s) have a negative cost; expected cost ≥ 0."
        )
    lock_in = _mask(index, locked_in, "locked-in")
    lock_out = _mask(index, locked_out, "locked-out")
    both = index[lock_in & lock_out]
    if len(both):
        raise CriteriaError(
            f"{len(both)} unit(s) are both locked in and locked out (e.g. {list(both[:3])}); "
            "expected each unit in at most one list."
        )
    targets = dict(area_targets or {})
    if targets and (area is None or groups is None):
        raise CriteriaError("Area targets need `area` and `groups` per unit.")
    a = area.reindex(index).astype(float).to_numpy() if area is not None else np.zeros(b.size)
    g = groups.reindex(index).astype(str).to_numpy() if groups is not None else np.array([])
    # Cheap infeasibility checks first: the shortfall is then exact and easy to explain.
    short: dict[str, float] = {}
    for name, t in targets.items():
        reachable = float(a[(g == str(name)) & ~lock_out].sum())
        if reachable + 1e-9 < t:
            short[f"area_ha:{name}"] = t - reachable
    if short:
        raise InfeasibleError(
            "Infeasible area targets: "
            + "; ".join(
                f"{k[8:]} can reach at most {targets[k[8:]] - v:.6g} ha of the "
                f"{targets[k[8:]]:.6g} ha asked (short by {v:.6g} ha)"
                for k, v in short.items()
            )
            + ". Lower the targets or unlock units in those groups.",
            short,
        )
    locked_cost = float(c[lock_in].sum())
    if locked_cost > budget + 1e-9:
        raise InfeasibleError(
            f"Infeasible budget: the {int(lock_in.sum())} locked-in units alone cost "
            f"{locked_cost:.6g} but the budget is {budget:.6g} (short by "
            f"{locked_cost - budget:.6g}). Raise the budget or lock in fewer units.",
            {"budget": locked_cost - budget},
        )
    tg = {str(k): float(v) for k, v in targets.items()}
    t0 = time.perf_counter()
    x, bound, status, n_fixed = _solve(
        b, c, a, g, tg, budget, lock_in, lock_out, time_limit, mip_rel_gap
    )
    elapsed = time.perf_counter() - t0
    if x is None:
        needed = _min_cost(c, a, g, targets, lock_in, lock_out, time_limit)
        raise InfeasibleError(
            f"Infeasible: meeting the area targets {targets} with the locked units costs at "
            f"least {needed:.6g} but the budget is {budget:.6g} (short by "
            f"{needed - budget:.6g}). Raise the budget or lower the targets.",
            {"budget": needed - budget},
        )
    n_var, n_con = b.size, 1 + len(tg)
    objective = float(b[x].sum())
    bound = max(bound, objective)
    gap = (bound - objective) / abs(objective) if objective else 0.0
    reached = {str(k): (float(t), float(a[(g == str(k)) & x].sum())) for k, t in targets.items()}
    return PortfolioResult(
        selected=pd.Series(x, index=index, name="selected"),
        objective=objective,
        bound=bound,
        gap=gap,
        cost=float(c[x].sum()),
        budget=float(budget),
        status=status,
        time_s=elapsed,
        n_variables=n_var,
        n_constraints=n_con,
        targets=reached,
        n_fixed=n_fixed,
        requested_gap=float(mip_rel_gap),
    )


def _repair(x, b, c, a, g, targets, budget, lock_in, lock_out) -> np.ndarray | None:
    """Make a rounded-down LP solution meet the area targets, or return None.

    Missing target area is added with the cheapest units per hectare of the group; budget for
    them is freed by dropping the selected units of lowest benefit per cost that are neither
    locked in nor in a group with a target.
    """
    x = x.copy()
    spent = float(c[x].sum())
    in_target = np.isin(g, list(targets)) if targets else np.zeros(b.size, dtype=bool)
    free = np.flatnonzero(x & ~lock_in & ~in_target)
    removable = list(free[np.argsort(b[free] / np.maximum(c[free], 1e-300), kind="stable")][::-1])
    for name, t in targets.items():
        short = t - float(a[(g == name) & x].sum())
        cand = np.flatnonzero((g == name) & ~x & ~lock_out)
        cand = cand[np.argsort(c[cand] / np.maximum(a[cand], 1e-12), kind="stable")]
        for j in cand:
            if short <= 1e-9:
                break
            while spent + c[j] > budget + 1e-9 and removable:
                k = removable.pop()
                x[k] = False
                spent -= c[k]
            if spent + c[j] > budget + 1e-9:
                return None
            x[j] = True
            spent += c[j]
            short -= a[j]
        if short > 1e-9:
            return None
    if spent > budget + 1e-9:
        return None
    # fill the budget left with the best benefit per cost that still fits
    rest = np.flatnonzero(~x & ~lock_out & (b > 0))
    rest = rest[np.argsort(-b[rest] / np.maximum(c[rest], 1e-300), kind="stable")]
    for j in rest:
        if spent + c[j] <= budget + 1e-9:
            x[j] = True
            spent += c[j]
    return x


def _solve(b, c, a, g, targets, budget, lock_in, lock_out, time_limit, mip_rel_gap):
    """Exact 0/1 solve: LP relaxation, reduced-cost fixing against a rounded incumbent, MILP.

    Reduced-cost fixing is exact: a variable whose reduced cost exceeds the gap between the LP
    bound and a known feasible solution cannot change in any better solution, so it is fixed at
    its LP value. With one budget row and a few target rows nearly all variables are fixed and
    HiGHS proves optimality on the few hundred left. Returns ``(x, bound, status, n_fixed)``
    with ``x = None`` when infeasible.
    """
    from scipy.optimize import Bounds, linprog, milp

    n = b.size
    rows = [c] + [-np.where(g == k, a, 0.0) for k in targets]
    rhs = [budget] + [-t for t in targets.values()]
    a_ub = np.vstack(rows)
    lb = lock_in.astype(float)
    ub = np.where(lock_out, 0.0, 1.0)
    lp = linprog(-b, A_ub=a_ub, b_ub=rhs, bounds=np.column_stack([lb, ub]), method="highs")
    if lp.status == 2:
        return None, float("nan"), "infeasible", 0
    if lp.status != 0:
        raise InfeasibleError(f"The LP relaxation failed ({lp.message}).")
    x_lp = lp.x
    lp_bound = float(-lp.fun)
    incumbent = _repair(x_lp > 1 - 1e-9, b, c, a, g, targets, budget, lock_in, lock_out)
    free = np.ones(n, dtype=bool)
    if incumbent is not None:
        inc_val = float(b[incumbent].sum())
        if lp_bound - inc_val <= mip_rel_gap * abs(inc_val) + 1e-12:
            return incumbent, lp_bound, "optimal", 0  # within the gap of the LP bound already
        rc = -b - a_ub.T @ lp.ineqlin.marginals
        gap_abs = lp_bound - float(b[incumbent].sum())
        tol = 1e-9 * max(1.0, abs(lp_bound))
        at0 = (x_lp < 1e-9) & (rc > gap_abs + tol)
        at1 = (x_lp > 1 - 1e-9) & (-rc > gap_abs + tol)
        free = ~(at0 | at1)
        lb = np.where(at1, 1.0, lb)
        ub = np.where(at0, 0.0, ub)
    idx = np.flatnonzero(free)
    fixed_val = float(b[~free & (lb > 0.5)].sum())
    x = (lb > 0.5) & ~free
    if idx.size:
        from scipy.optimize import LinearConstraint

        fixed_use = a_ub[:, ~free] @ lb[~free]
        cons = LinearConstraint(a_ub[:, idx], -np.inf, np.asarray(rhs) - fixed_use)
        # HiGHS presolve stalls on a long dense knapsack row (minutes for 20,000 columns):
        # keep it for the small problems left after fixing only.
        options = {
            "time_limit": float(time_limit),
            "mip_rel_gap": float(mip_rel_gap),
            "disp": False,
            "presolve": bool(idx.size <= 5000),
        }
        with _solver_stdout_to_stderr():
            res = milp(
                -b[idx],
                constraints=cons,
                bounds=Bounds(lb[idx], ub[idx]),
                integrality=np.ones(idx.size),
                options=options,
            )
        if res.x is None:
            if res.status == 2 and incumbent is None:
                return None, float("nan"), "infeasible", int(n - idx.size)
            if incumbent is None:
                raise InfeasibleError(
                    f"HiGHS found no feasible selection within {time_limit:g} s (status "
                    f"{res.status}: {res.message}); raise time_limit or relax the targets."
                )
            return incumbent, lp_bound, "time_limit", int(n - idx.size)
        x[idx] = np.rint(res.x) > 0.5
        bound = (
            fixed_val - float(res.mip_dual_bound) if res.mip_dual_bound is not None else lp_bound
        )
        status = "optimal" if res.status == 0 else "time_limit"
    else:
        bound, status = lp_bound, "optimal"
    if incumbent is not None and b[incumbent].sum() > b[x].sum():
        x = incumbent
    return x, min(bound, lp_bound), status, int(n - idx.size)


@contextlib.contextmanager
def _solver_stdout_to_stderr() -> Iterator[None]:
    """Send what HiGHS prints on the C-level stdout to stderr while it runs.

    scipy's bundled HiGHS prints a debug line ("HighsMipSolverData::transformNewInteger…")
    straight to file descriptor 1 even with ``disp=False``; on stdout it would corrupt the
    output of ``zoning … --json``. Only the file descriptors are swapped (nothing is lost).
    """
    try:
        out_fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else 1
        err_fd = sys.__stderr__.fileno() if sys.__stderr__ is not None else 2
    except (AttributeError, OSError, ValueError):  # no real file descriptors (embedded)
        yield
        return
    sys.stdout.flush()
    saved = os.dup(out_fd)
    try:
        os.dup2(err_fd, out_fd)
        yield
    finally:
        os.dup2(saved, out_fd)
        os.close(saved)


def _min_cost(c, a, g, targets, lock_in, lock_out, time_limit) -> float:
    """Least cost meeting the targets and locks (to report the budget shortfall)."""
    from scipy.optimize import milp

    cons, bounds, *_ = _build(
        np.zeros(c.size),
        c,
        a,
        g,
        {str(k): v for k, v in targets.items()},
        None,
        lock_in,
        lock_out,
    )
    with _solver_stdout_to_stderr():
        res = milp(
            c,
            constraints=cons,
            bounds=bounds,
            integrality=np.ones(c.size),
            options={"time_limit": float(time_limit), "presolve": False},
        )
    return float(res.fun) if res.x is not None else float("nan")


def ranking_curve(score: pd.Series, area: pd.Series, benefit: pd.Series | None = None):
    """Zonation-style performance curve: benefit share captured by the top x % of area.

    Parameters
    ----------
    score : pandas.Series
        Ranking key (highest first).
    area : pandas.Series
        Area per unit.
    benefit : pandas.Series, optional
        Benefit per unit (defaults to ``score × area``).

    Returns
    -------
    pandas.DataFrame
        ``unit`` (index labels in ranking order), ``area_share`` and ``benefit_share``
        (cumulative, ending at 1).

    Examples
    --------
    >>> import pandas as pd
    >>> ranking_curve(pd.Series([1.0, 3.0]), pd.Series([1.0, 1.0]))["benefit_share"].tolist()
    [0.75, 1.0]
    """
    benefit = score * area if benefit is None else benefit
    order = np.lexsort((np.arange(len(score)), -score.to_numpy(dtype=float)))
    a = area.to_numpy(dtype=float)[order]
    v = benefit.reindex(score.index).to_numpy(dtype=float)[order]
    total_a = a.sum() or 1.0
    total_v = v.sum() or 1.0
    return pd.DataFrame(
        {
            "unit": score.index[order],
            "area_share": np.cumsum(a) / total_a,
            "benefit_share": np.cumsum(v) / total_v,
        }
    )


def plot_ranking_curve(
    curve: pd.DataFrame,
    path: str | Path,
    *,
    selected_area_share: float | None = None,
    title: str = "Restoration ranking curve",
) -> Path:
    """Write the ranking curve as a PNG (matplotlib, Agg backend); return the path."""
    # A bare Figure renders with the Agg canvas and leaves pyplot's backend alone.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4.2), dpi=120)
    ax = fig.add_subplot()
    ax.plot(
        np.r_[0, curve["area_share"]] * 100,
        np.r_[0, curve["benefit_share"]] * 100,
        color="#1a9641",
        lw=2,
        label="units ranked by priority score",
    )
    ax.plot([0, 100], [0, 100], color="grey", ls=":", lw=1, label="random order")
    if selected_area_share is not None:
        ax.axvline(
            selected_area_share * 100,
            color="#d7191c",
            ls="--",
            lw=1,
            label=f"portfolio area ({selected_area_share:.1%})",
        )
    ax.set_xlabel("Share of study area restored, top-ranked first (%)")
    ax.set_ylabel("Share of total benefit captured (%)")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.text(0.01, 0.005, "For planning analysis, not an official map.", fontsize=6, color="grey")
    fig.tight_layout()
    from zoning.io.figures import save_figure

    return save_figure(fig, path)
