"""The per-layer totals run the caller's work beside the polygon unions, exactly once.

The engine applies the rules and builds the verdicts while the unions of overlapping features
run (``dissolved_totals(..., beside=...)``); the totals must not depend on it. Areas worked by
hand: a 10 x 10 site in two overlapping features, ``box(0, 0, 6, 10)`` (60 m²) and
``box(4, 0, 10, 5)`` (30 m²), overlapping on ``[4, 6] x [0, 5]`` (10 m²): 80 m² inside, once.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
import shapely

from zoning.screening.groups import dissolved_totals


def _hits(n_sites: int, pieces_per_site: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    site = np.repeat(np.arange(n_sites), pieces_per_site)
    parts = [shapely.box(0, 0, 6, 10), shapely.box(4, 0, 10, 5)][:pieces_per_site]
    clip = np.array(parts * n_sites, dtype=object)
    hits = pd.DataFrame(
        {
            "site_idx": site,
            "layer_kind": "eco_redline",
            "zone": "core",
            "intersects": True,
            "inside": False,
            "overlap_area_m2": shapely.area(clip),
            "overlap_length_m": 0.0,
        }
    )
    return hits, clip, np.full(len(site), None, dtype=object)


def _totals(n_sites: int, pieces_per_site: int, n_jobs: int, beside=None) -> pd.DataFrame:
    hits, clip, intervals = _hits(n_sites, pieces_per_site)
    sites = np.array([shapely.box(0, 0, 10, 10)] * n_sites, dtype=object)
    dims = np.full(n_sites, 2)
    return dissolved_totals(
        hits, clip, intervals, sites, dims, np.full(n_sites, 100.0), np.zeros(n_sites),
        n_jobs, beside=beside,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("n_sites", "pieces", "n_jobs", "area"),
    [
        (0, 2, 2, None),  # no hits at all
        (3, 1, 2, 60.0),  # one feature per site: no union
        (3, 2, 2, 80.0),  # a few unions, on the calling thread
        (70, 2, 2, 80.0),  # more than 64 unions: a helper thread takes some
    ],
)
def test_beside_runs_once_on_the_calling_thread(n_sites, pieces, n_jobs, area) -> None:
    calls: list[int] = []
    out = _totals(n_sites, pieces, n_jobs, beside=lambda: calls.append(threading.get_ident()))
    assert calls == [threading.get_ident()]
    assert len(out) == n_sites
    if n_sites:
        assert out["overlap_area_m2"].tolist() == pytest.approx([area] * n_sites, rel=1e-12)
        assert out["share_of_site"].tolist() == pytest.approx([area / 100.0] * n_sites)
        assert out["n_features"].tolist() == [pieces] * n_sites


def test_totals_do_not_depend_on_the_work_beside() -> None:
    plain = _totals(70, 2, 2)
    busy = _totals(70, 2, 2, beside=lambda: sum(range(200_000)))
    pd.testing.assert_frame_equal(plain, busy, check_exact=True)
