"""Site verdicts from hits, per-site rules, coverage and missing layers, worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zoning.screening.verdicts import site_verdicts


def test_site_verdicts_by_hand() -> None:
    hits = pd.DataFrame(
        {
            "site_idx": [0, 0, 1, 2, 4],
            "outcome": ["conditional", "prohibited", "", "conditional", "needs_info"],
            "triggered": [True, True, False, True, True],
            "intersects": [True, True, False, False, True],
            "near_boundary": [False, True, True, False, False],
        }
    )
    area = pd.DataFrame(
        {
            "site_idx": [2, 3, 5],
            "outcome": ["prohibited", "conditional", "prohibited"],
            "status": ["check", "applies", "applies"],
        }
    )
    missing = [[], [], [], [], [], ["water_source"], []]
    covered = np.array([True, True, True, True, True, True, False])
    verdict, n_hits, near = site_verdicts(hits, area, missing, covered)
    # 0: prohibited over conditional, two hits; 1: a near zone that triggers nothing, near
    # its boundary; 2: a buffer rule (conditional) and a rule to check (no outcome);
    # 3: an area rule; 4: needs_info from a hit; 5: prohibited over a missing layer;
    # 6: outside the covered area
    assert verdict == [
        "prohibited", "allowed", "conditional", "conditional", "needs_info", "prohibited",
        "needs_info",
    ]  # fmt: skip
    assert n_hits.tolist() == [2, 0, 0, 0, 1, 0, 0]
    assert near.tolist() == [True, True, False, False, False, False, False]


def test_no_hits_no_rules() -> None:
    empty = pd.DataFrame(columns=["site_idx", "outcome", "status"])
    verdict, n_hits, near = site_verdicts(
        pd.DataFrame(), empty, [[], ["x"]], np.array([True, True])
    )
    assert verdict == ["allowed", "needs_info"]
    assert n_hits.tolist() == [0, 0] and near.tolist() == [False, False]
