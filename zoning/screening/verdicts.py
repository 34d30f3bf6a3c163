"""The verdict of each site: the strictest outcome of its zone hits, area rules and gaps.

:func:`site_verdicts` reads the rows the screening engine (:mod:`zoning.screening.engine`)
built: the hits with their outcomes, the per-site rules and the layers a site lacks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from zoning.rules import SEVERITY

__all__ = ["site_verdicts"]


def site_verdicts(
    hits: pd.DataFrame,
    area_hits: pd.DataFrame,
    missing_layers: list[list[str]],
    covered: np.ndarray,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return each site's verdict, its number of zone hits and whether it lies near a boundary.

    A site outside the covered area, or lacking a layer a restrictive rule needs, is at least
    ``needs_info``; a site that nothing concerns is ``allowed``. Numpy on the columns: a
    one-site screening should not pay for pandas masks.

    Parameters
    ----------
    hits : DataFrame
        The candidate rows with ``site_idx``, ``outcome``, ``triggered``, ``intersects`` and
        ``near_boundary``.
    area_hits : DataFrame
        The per-site rules: ``site_idx``, ``outcome``, ``status`` (``applies`` or ``check``).
    missing_layers : list of list of str
        Per site, the layer kinds it lacks.
    covered : numpy.ndarray
        Per site, whether it lies where the data is complete.

    Returns
    -------
    verdict : list of str
        Per site, the strictest outcome.
    n_hits : numpy.ndarray
        Per site, the zone hits that triggered a rule.
    near_boundary : numpy.ndarray
        Per site, whether a hit or near zone lies within the positional tolerance.
    """
    n_sites = len(covered)
    sev = np.zeros(n_sites, dtype=np.int64)
    near_any = np.zeros(n_sites, dtype=bool)
    n_hits = np.zeros(n_sites, dtype=np.int64)
    if len(hits):
        h_site = hits["site_idx"].to_numpy(np.int64)
        trig = hits["triggered"].to_numpy(bool)
        if trig.any():
            outcomes = hits["outcome"].to_numpy(dtype=object)[trig]
            row_sev = np.array([SEVERITY[o] for o in outcomes], dtype=np.int64)
            np.maximum.at(sev, h_site[trig], row_sev)
            hit_rows = trig & hits["intersects"].astype(bool).to_numpy()
            n_hits = np.bincount(h_site[hit_rows], minlength=n_sites)
        near_any[h_site[hits["near_boundary"].astype(bool).to_numpy()]] = True
    sev[~covered] = np.maximum(sev[~covered], SEVERITY["needs_info"])
    if len(area_hits):
        applies = (area_hits["status"] == "applies").to_numpy()
        if applies.any():
            np.maximum.at(
                sev,
                area_hits["site_idx"].to_numpy(np.int64)[applies],
                np.array(
                    [SEVERITY[o] for o in area_hits["outcome"].to_numpy(dtype=object)[applies]],
                    dtype=np.int64,
                ),
            )
    lacking = np.array([bool(m) for m in missing_layers], dtype=bool)
    sev[lacking] = np.maximum(sev[lacking], SEVERITY["needs_info"])
    sev[sev == 0] = SEVERITY["allowed"]
    by_sev = {v: k for k, v in SEVERITY.items()}
    return [by_sev[int(v)] for v in sev], n_hits, near_any
