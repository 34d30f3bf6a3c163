"""Restoration prioritisation: planning units, criteria, explained scores and a budgeted portfolio.

Which degraded land do we restore first? The package answers it the way a planner can defend:

* :mod:`~zoning.restoration.units` — planning units (a regular grid clipped to a study area, or
  any polygon layer), in the equal-area Albers CRS;
* :mod:`~zoning.restoration.criteria` — criteria per unit from layers and rasters (coverage by
  and distance to mines, subsidence and rivers; a RUSLE-style erosion index; vegetation
  condition from land cover; inside red lines, key ecological function areas, the Yellow River
  basin; cost per hectare by intervention) and their normalisation with a direction;
* :mod:`~zoning.restoration.zonal` — exact partial-cell zonal statistics;
* :mod:`~zoning.restoration.scoring` — weighted sum or AHP weights (consistency ratio checked),
  priority classes and the per-unit decomposition;
* :mod:`~zoning.restoration.portfolio` — budgeted selection solved exactly with HiGHS, and the
  Zonation-style ranking curve;
* :mod:`~zoning.restoration.scenario`, :mod:`~zoning.restoration.run` and
  :mod:`~zoning.restoration.outputs` — the scenario TOML (a file, or a batch scenario's
  ``[restoration]`` section), the run, and the files written by ``zoning restore``.
"""

from __future__ import annotations

from zoning.restoration.outputs import write_outputs
from zoning.restoration.portfolio import (
    PortfolioResult,
    plot_ranking_curve,
    ranking_curve,
    select_portfolio,
)
from zoning.restoration.run import RestorationResult, run_restoration
from zoning.restoration.scenario import RestorationScenario, load_restoration_scenario
from zoning.restoration.scoring import (
    ahp_weights,
    check_weights,
    classify,
    normalize,
    score_units,
)
from zoning.restoration.units import grid_units, polygon_units
from zoning.restoration.zonal import ZoneIndex, build_zone_index, zonal_stats

__all__ = [
    "PortfolioResult",
    "RestorationResult",
    "RestorationScenario",
    "ZoneIndex",
    "ahp_weights",
    "build_zone_index",
    "check_weights",
    "classify",
    "grid_units",
    "load_restoration_scenario",
    "normalize",
    "plot_ranking_curve",
    "polygon_units",
    "ranking_curve",
    "run_restoration",
    "score_units",
    "select_portfolio",
    "write_outputs",
    "zonal_stats",
]
