"""Layers checked for validity beside their dissolve (zoning.stats.layer_stages).

With several threads, ``area_by_unit`` dissolves each layer as read while its validity is
checked on a thread of its own, measures it once the check is done, and dissolves a layer
with invalid features again, repaired. When that cannot give what checking first gives (the
check fails, or a repair leaves a feature empty) it starts over with every layer checked
first. Either way the table is the one of checking first: one thread, one stage after the
other, is the reference.
"""

from __future__ import annotations

import pandas as pd
import pytest
import shapely
import stats_shapes as shapes
from stats_shapes import X0, Y0, frame, random_layers, row, sq

from zoning.stats import area_by_unit, dissolve_layers

# two triangles of 1 km² each once repaired (make_valid), in unit 140101 of grid_units
BOWTIE = shapely.Polygon(
    [(X0 + 1_000, Y0 + 1_000), (X0 + 3_000, Y0 + 3_000), (X0 + 3_000, Y0 + 1_000),
     (X0 + 1_000, Y0 + 3_000)]
)  # fmt: skip
# a ring along a line: invalid, and nothing polygonal once repaired (the feature goes)
FLAT = shapely.Polygon([(X0 + 500, Y0 + 500), (X0 + 900, Y0 + 900), (X0 + 700, Y0 + 700)])


@pytest.fixture
def attempts(monkeypatch) -> list[bool]:
    """Record each start of the layers: True when they are checked beside their dissolve."""
    import zoning.stats.layer_stages as stages

    seen: list[bool] = []
    real = stages.start_layers

    def record(*args, **kwargs):
        seen.append(kwargs.get("checker") is not None)
        return real(*args, **kwargs)

    monkeypatch.setattr(stages, "start_layers", record)
    return seen


def _with(*extra: shapely.Geometry, zones: list[str] | None = None) -> dict:
    """:func:`random_layers` with ``extra`` features added to the red line (zone core)."""
    layers = random_layers()
    red = layers["eco_redline"]
    more = frame(list(extra), zone=zones or ["core"] * len(extra))
    layers["eco_redline"] = pd.concat([red, more], ignore_index=True)
    return layers


def _first_checked(layers: dict) -> pd.DataFrame:
    return area_by_unit(shapes.grid_units(), layers, n_jobs=1)


def test_valid_layers_are_measured_as_read(attempts):
    layers = random_layers()
    want = _first_checked(layers)
    got = area_by_unit(shapes.grid_units(), layers, n_jobs=2)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert attempts == [True]  # one thread does not go through the layer stages
    unchecked = area_by_unit(shapes.grid_units(), layers, n_jobs=2, make_valid=False)
    pd.testing.assert_frame_equal(unchecked, want, check_exact=True)
    assert attempts == [True, False]


def test_a_layer_with_an_invalid_feature_is_dissolved_again_repaired(attempts, caplog):
    layers = _with(BOWTIE)
    want = _first_checked(layers)
    caplog.clear()
    with caplog.at_level("INFO", logger="zoning.stats.layer_reads"):
        got = area_by_unit(shapes.grid_units(), layers, n_jobs=2)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert attempts == [True]  # only that layer again, not everything
    repaired = [r.getMessage() for r in caplog.records if "repaired" in r.getMessage()]
    assert repaired == ["layer eco_redline: repaired 1 invalid geometries"]
    # the bowtie counts as its two triangles (2 km²), not as its signed area (0)
    alone = area_by_unit(shapes.grid_units(), {"eco_redline": frame([BOWTIE])}, n_jobs=2)
    assert row(alone, "140101", "eco_redline").area_km2 == pytest.approx(2.0, rel=1e-12)


def test_an_error_of_the_dissolve_as_read_is_dropped(attempts, monkeypatch):
    # a dissolve that fails on invalid input: the caller never sees that error, the
    # repaired layer is measured
    import zoning.stats.dissolve as dissolve

    real = dissolve.dissolve_layer

    def strict(kind, geoms, *args, **kwargs):
        if not shapely.is_valid(geoms).all():
            raise shapely.errors.GEOSException("TopologyException: invalid input")
        return real(kind, geoms, *args, **kwargs)

    monkeypatch.setattr(dissolve, "dissolve_layer", strict)
    layers = _with(BOWTIE)
    want = _first_checked(layers)
    got = area_by_unit(shapes.grid_units(), layers, n_jobs=2)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert attempts == [True]


def test_a_repair_that_drops_a_feature_starts_over_checked_first(attempts):
    # the layer has one feature fewer than when it was read (group ids and zones were
    # counted then): everything again, checked first. The flat ring's zone is its own: it
    # has no row, as checking first finds no feature of that zone
    layers = _with(BOWTIE, FLAT, zones=["core", "flat"])
    want = _first_checked(layers)
    assert "flat" not in set(want.zone)
    got = area_by_unit(shapes.grid_units(), layers, n_jobs=2)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert attempts == [True, False]


def test_a_ring_along_a_line_goes_with_its_repair():
    # make_valid gives lines for it: nothing polygonal is left to dissolve
    pieces, _ = dissolve_layers({"eco_redline": frame([FLAT, sq(0, 0, 1_000)])}, n_jobs=1)
    assert shapely.get_type_id(pieces.feats).tolist() == [3]
    assert shapely.area(pieces.feats).tolist() == [1e6]


def test_an_error_of_valid_layers_is_reported_without_starting_over(attempts, monkeypatch):
    import zoning.stats.dissolve as dissolve

    def fail(kind, *args, **kwargs):
        raise RuntimeError(f"dissolving {kind} failed")

    monkeypatch.setattr(dissolve, "dissolve_layer", fail)
    with pytest.raises(RuntimeError, match="dissolving basic_farmland failed"):
        area_by_unit(shapes.grid_units(), random_layers(), n_jobs=2)
    assert attempts == [True]


def test_a_failed_check_starts_over_and_fails_in_its_place(attempts, monkeypatch):
    # the check itself fails (e.g. GEOS is_valid raising): checked first, the error comes
    # where one thread meets it
    import zoning.stats.layer_reads as layer_reads

    def broken(geoms, n_jobs):
        raise ValueError("validity check failed")

    monkeypatch.setattr(layer_reads, "invalid_features", broken)
    for n_jobs in (1, 2):
        with pytest.raises(ValueError, match="validity check failed"):
            area_by_unit(shapes.grid_units(), random_layers(), n_jobs=n_jobs)
    assert attempts == [True, False]


def test_a_dissolve_ends_at_its_next_stage_once_stopped():
    import threading

    import numpy as np

    from zoning.stats.dissolve import DissolveStopped, dissolve_layer

    layer = random_layers()["eco_redline"]
    geoms = np.asarray(layer.geometry.values)
    zones = layer.zone.to_numpy(dtype=object)
    stop = threading.Event()
    going = dissolve_layer("eco_redline", geoms, zones, n_jobs=2, stop=stop)
    plain = dissolve_layer("eco_redline", geoms, zones, n_jobs=2)
    assert len(plain) > 50  # pieces of 150 stars, overlapping ones grouped
    for name in ("indptr", "members", "group", "label_piece", "label"):
        assert getattr(going, name).tolist() == getattr(plain, name).tolist()
    stop.set()
    with pytest.raises(DissolveStopped):
        dissolve_layer("eco_redline", geoms, zones, n_jobs=2, stop=stop)
