"""Stages that overlap on threads (units beside the dissolve, layers beside each other, far
pieces beside the near kernel) give what they give one after the other, and report errors in
the same order."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import stats_shapes as shapes
from stats_shapes import frame, random_layers, sq

from zoning.errors import CRSError, LayerValidationError
from zoning.stats import area_by_unit, dissolve_layers, measure_pieces, prepare_units


@pytest.fixture
def grid_units() -> gpd.GeoDataFrame:
    return shapes.grid_units()


def _same_pieces(a, b) -> None:
    for name in ("indptr", "members", "kind", "group", "label_piece", "label", "feat_bounds"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.known_area(), b.known_area())
    assert all(x.equals_exact(y, 0) for x, y in zip(a.feats, b.feats, strict=True))


def test_layers_dissolved_side_by_side_equal_one_by_one():
    layers = random_layers()
    one, zones_one = dissolve_layers(layers, n_jobs=1)
    for jobs in (2, 3):
        other, zones = dissolve_layers(layers, n_jobs=jobs)
        _same_pieces(one, other)
        assert zones == zones_one
    # group ids follow the layers in sorted order: each layer's ids start at the number of
    # features of the layers sorted before it (150 + 90 + 40 features, none dropped)
    first = {k: int(one.group[one.kind == k].min()) for k in layers}
    assert first == {"basic_farmland": 0, "eco_redline": 90, "urban_boundary": 240}


def test_measure_with_threads_equals_one_thread(grid_units):
    pieces, _ = dissolve_layers(random_layers(), n_jobs=1)
    units = prepare_units(grid_units)
    one = measure_pieces(pieces, units, n_jobs=1)
    assert len(one) > 200
    for jobs in (2, 3):
        pd.testing.assert_frame_equal(
            measure_pieces(pieces, units, n_jobs=jobs), one, check_exact=True
        )


def test_area_by_unit_with_threads_equals_one_thread(grid_units):
    layers = random_layers()
    one = area_by_unit(grid_units, layers, n_jobs=1)
    pd.testing.assert_frame_equal(area_by_unit(grid_units, layers, n_jobs=2), one, check_exact=True)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_problem_with_the_units_is_reported_before_one_with_the_layers(grid_units, n_jobs):
    units = grid_units.copy()
    units.loc[1, "adcode"] = units.loc[0, "adcode"]  # duplicate id
    no_crs = frame([sq(0, 0, 1_000)], crs=None)
    with pytest.raises(LayerValidationError, match="unit ids must be unique"):
        area_by_unit(units, {"eco_redline": no_crs}, n_jobs=n_jobs)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_the_first_layer_without_a_crs_is_named(n_jobs):
    layers = random_layers()
    layers["water_source"] = frame([sq(0, 0, 1_000)], crs=None)
    layers["spring_area"] = frame([sq(0, 0, 1_000)], crs=None)
    with pytest.raises(CRSError, match="'spring_area'"):
        dissolve_layers(layers, n_jobs=n_jobs)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_an_error_near_the_boundaries_reaches_the_caller(grid_units, monkeypatch, n_jobs):
    # the far pieces wait for the near stage's clear pieces: its error must end that wait
    import zoning.stats.units

    pieces, _ = dissolve_layers(random_layers(), n_jobs=1)
    units = prepare_units(grid_units)

    def boom(self, boxes):
        raise RuntimeError("chunk test failed")

    monkeypatch.setattr(zoning.stats.units.BoundaryChunks, "hits", boom)
    with pytest.raises(RuntimeError, match="chunk test failed"):
        measure_pieces(pieces, units, n_jobs=n_jobs)
