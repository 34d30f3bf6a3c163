"""Each layer measured as soon as it is dissolved (zoning.stats.layer_stages) gives the rows
of measuring every layer at once, and reports errors in the order of the stages one after
the other."""

from __future__ import annotations

from concurrent.futures import Future

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import stats_shapes as shapes
from stats_shapes import frame, random_layers, sq

from zoning.errors import CRSError, LayerValidationError
from zoning.stats import area_by_unit, dissolve_layers, prepare_units
from zoning.stats.layer_stages import dissolve_and_measure
from zoning.stats.measure import measure_rows
from zoning.stats.measured_rows import MeasuredRows


@pytest.fixture
def grid_units() -> gpd.GeoDataFrame:
    return shapes.grid_units()


def _ready(value: object) -> Future:
    job: Future = Future()
    job.set_result(value)
    return job


def _sorted_rows(rows: MeasuredRows) -> pd.DataFrame:
    cols = ["unit", "kind", "label", "group", "area_m2"]
    return rows.frame().sort_values(cols, kind="stable").reset_index(drop=True)


def _by_layer(units: gpd.GeoDataFrame, layers: dict, n_jobs: int = 2) -> MeasuredRows:
    prepared = prepare_units(units)
    rows, got_units, zones = dissolve_and_measure(
        layers, _ready(prepared), n_jobs=n_jobs, make_valid=False
    )
    assert got_units is prepared
    assert zones == dissolve_layers(layers, n_jobs=1)[1]
    return rows


def _at_once(units: gpd.GeoDataFrame, layers: dict) -> MeasuredRows:
    pieces, _ = dissolve_layers(layers, n_jobs=1, make_valid=False)
    return measure_rows(pieces, prepare_units(units), n_jobs=1)


def _measure_layers(monkeypatch, batches: list[list[int]]) -> None:
    """Layers (positions in sorted order) measured in these batches, in this order."""
    import zoning.stats.layer_stages as stages

    left = list(batches)

    def dissolved(jobs, pending):
        for job in jobs:
            job.exception()  # wait for every dissolve
        return left.pop(0)

    monkeypatch.setattr(stages, "_dissolved", dissolved)


# three layers: basic_farmland, eco_redline, urban_boundary
ORDERS = {"one by one": [[0], [1], [2]], "together": [[0, 1, 2]], "middle first": [[1], [0, 2]]}


@pytest.mark.parametrize("n_jobs", [2, 3])
@pytest.mark.parametrize("how", ["as they come", *ORDERS])
def test_layers_measured_apart_give_the_rows_of_all_at_once(grid_units, monkeypatch, n_jobs, how):
    if how in ORDERS:
        _measure_layers(monkeypatch, ORDERS[how])
    layers = random_layers()
    want = _at_once(grid_units, layers)
    got = _by_layer(grid_units, layers, n_jobs)
    assert len(want) > 200
    # the same rows (group ids after the earlier kinds' features included), in another order
    pd.testing.assert_frame_equal(_sorted_rows(got), _sorted_rows(want), check_exact=True)


@pytest.mark.parametrize("how", list(ORDERS))
def test_pieces_the_kernel_declines_are_measured_together(grid_units, monkeypatch, how):
    import zoning.stats.measure as measure

    _measure_layers(monkeypatch, ORDERS[how])
    kernel = measure._kernel_areas

    def decline_some(pieces, idx, units, unit_of, n_jobs, skip=None):
        # decline every task of the pieces whose first feature has an odd whole-metre area:
        # a property of the piece, so the same pieces are declined layer by layer
        area = kernel(pieces, idx, units, unit_of, n_jobs, skip)
        first = pieces.feats[pieces.members[pieces.indptr[idx]]]
        area[np.floor(np.asarray([g.area for g in first])) % 2 == 1] = np.nan
        return area

    monkeypatch.setattr(measure, "_kernel_areas", decline_some)
    layers = random_layers()
    calls: list[int] = []
    declined = measure.declined_pairs

    def count(pieces, idx, units, **kw):
        calls.append(len(idx))
        return declined(pieces, idx, units, **kw)

    monkeypatch.setattr("zoning.stats.layer_stages.declined_pairs", count)
    # the subtraction shortcut is taken from this many pairs on: the declined one-feature
    # pieces of every layer cross units in 16 pairs, those of each layer in 8 at most
    monkeypatch.setattr(measure, "_REMAINDER_MIN_PAIRS", 12)
    want = _at_once(grid_units, layers)
    got = _by_layer(grid_units, layers)
    assert len(calls) == 1 and calls[0] > 20  # once, for the pieces of every layer
    pd.testing.assert_frame_equal(_sorted_rows(got), _sorted_rows(want), check_exact=True)


def test_area_by_unit_with_layer_stages_equals_one_thread(grid_units):
    layers = random_layers()
    one = area_by_unit(grid_units, layers, n_jobs=1)
    pd.testing.assert_frame_equal(area_by_unit(grid_units, layers, n_jobs=2), one, check_exact=True)


def test_rows_joined_are_coded_anew():
    i64 = np.array
    a = MeasuredRows(
        unit=i64([0, 1]),
        group=i64([5, 6]),
        area_m2=np.array([1.0, 2.0]),
        kind_code=i64([0, 0]),
        kinds=np.array(["eco_redline"], dtype=object),
        label_code=i64([1, 0]),
        labels=np.array(["all", "core"], dtype=object),
    )
    b = MeasuredRows(
        unit=i64([2]),
        group=i64([9]),
        area_m2=np.array([3.0]),
        kind_code=i64([0]),
        kinds=np.array(["urban_boundary"], dtype=object),
        label_code=i64([1]),
        labels=np.array(["general", "all"], dtype=object),
    )
    both = MeasuredRows.concat([a, MeasuredRows.empty(), b])
    assert both.kinds.tolist() == ["eco_redline", "urban_boundary"]
    assert both.labels.tolist() == ["all", "core", "general"]
    assert both.kind.tolist() == ["eco_redline", "eco_redline", "urban_boundary"]
    assert both.label.tolist() == ["core", "all", "all"]
    assert both.unit.tolist() == [0, 1, 2] and both.group.tolist() == [5, 6, 9]
    assert both.area_m2.tolist() == [1.0, 2.0, 3.0]
    assert len(MeasuredRows.concat([])) == 0


def test_the_largest_layer_is_read_first(monkeypatch):
    import zoning.stats.dissolve as dissolve

    read: list[str] = []
    read_layer = dissolve.read_layer

    def record(kind, *args, **kwargs):
        read.append(kind)
        return read_layer(kind, *args, **kwargs)

    monkeypatch.setattr(dissolve, "read_layer", record)
    layers = random_layers()  # eco_redline 150 features, basic_farmland 90, urban_boundary 40
    dissolve_layers(layers, n_jobs=2)
    assert read == ["eco_redline", "basic_farmland", "urban_boundary"]
    read.clear()
    dissolve_layers(layers, n_jobs=1)  # one thread: sorted order, one after the other
    assert read == ["basic_farmland", "eco_redline", "urban_boundary"]


def _fail_dissolving(monkeypatch, *kinds: str) -> None:
    import zoning.stats.dissolve as dissolve

    dissolve_layer = dissolve.dissolve_layer

    def fail(k, *args, **kwargs):
        if k in kinds:
            raise RuntimeError(f"dissolving {k} failed")
        return dissolve_layer(k, *args, **kwargs)

    monkeypatch.setattr(dissolve, "dissolve_layer", fail)


# (dissolve fails, no CRS, error, message): whichever comes first one layer after the other
# in sorted order. basic_farmland is dissolved before eco_redline (sorted after it, but read
# first as the largest) is found to have no CRS; and its missing CRS is found before
# eco_redline (sorted after it) is dissolved
FIRST_ERRORS = {
    "dissolve before a later read": (
        "basic_farmland",
        "eco_redline",
        RuntimeError,
        "dissolving basic_farmland failed",
    ),
    "read before a later dissolve": ("eco_redline", "basic_farmland", CRSError, "'basic_farmland'"),
}


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("case", list(FIRST_ERRORS))
def test_the_first_error_in_sorted_order_is_reported(monkeypatch, n_jobs, case):
    fails, no_crs, error, match = FIRST_ERRORS[case]
    _fail_dissolving(monkeypatch, fails)
    layers = random_layers()
    layers[no_crs] = layers[no_crs].set_crs(None, allow_override=True)
    with pytest.raises(error, match=match):
        dissolve_layers(layers, n_jobs=n_jobs)
    with pytest.raises(error, match=match):
        area_by_unit(shapes.grid_units(), layers, n_jobs=n_jobs)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_layer_error_comes_before_a_measure_error(monkeypatch, n_jobs):
    # urban_boundary (sorted last, the smallest) fails; the others are dissolved and measured
    # (the measure fails too) before or while it dissolves
    import zoning.stats.measure as measure

    _fail_dissolving(monkeypatch, "urban_boundary")

    def boom(*args, **kwargs):
        raise ValueError("measure failed")

    monkeypatch.setattr(measure, "_measure_far", boom)
    with pytest.raises(RuntimeError, match="dissolving urban_boundary failed"):
        area_by_unit(shapes.grid_units(), random_layers(), n_jobs=n_jobs)


def test_a_measure_error_reaches_the_caller(grid_units, monkeypatch):
    import zoning.stats.measure as measure

    def boom(*args, **kwargs):
        raise ValueError("measure failed")

    monkeypatch.setattr(measure, "_measure_far", boom)
    with pytest.raises(ValueError, match="measure failed"):
        area_by_unit(grid_units, random_layers(), n_jobs=2)


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("unreadable", [False, True])
def test_the_units_error_comes_first(monkeypatch, n_jobs, unreadable):
    # every layer fails to dissolve (and one, sorted last, to be read): whichever ends first,
    # the units' error is the one reported
    layers = random_layers()
    _fail_dissolving(monkeypatch, *layers)
    units = shapes.grid_units()
    units.loc[1, "adcode"] = units.loc[0, "adcode"]  # duplicate id
    if unreadable:
        layers["water_source"] = frame([sq(0, 0, 1_000)], crs=None)
    with pytest.raises(LayerValidationError, match="unit ids must be unique"):
        area_by_unit(units, layers, n_jobs=n_jobs)
