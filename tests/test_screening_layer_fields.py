"""A layer index reads the zone, id and name of the features asked for, by rows or whole."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from zoning.screening import index as ix


def _frame(n: int, **cols) -> gpd.GeoDataFrame:
    geoms = [box(500_000 + 10 * i, 4_200_000, 500_005 + 10 * i, 4_200_005) for i in range(n)]
    return gpd.GeoDataFrame(cols, geometry=geoms, crs="EPSG:4547")


def test_fields_by_rows_and_whole_by_hand() -> None:
    n = 5000
    zone = np.where(np.arange(n) % 3 == 0, "core", "general").astype(object)
    names = np.array([f"名{i}" if i % 7 else None for i in range(n)], dtype=object)
    frame = _frame(n, feature_id=[f"f{i}" for i in range(n)], zone=zone, name=names)
    layer = ix._LayerIndex("eco_redline", frame)
    idx = np.array([3, 7, 7, 4999, 0])
    z, f, nm = layer.fields(idx)
    assert layer._fields is None  # 5 rows of 5,000: read by rows
    assert z.tolist() == ["core", "general", "general", "general", "core"]  # 4999 = 3 * 1666 + 1
    assert f.tolist() == ["f3", "f7", "f7", "f4999", "f0"]
    assert nm[[0, 3]].tolist() == ["名3", "名4999"]
    assert pd.isna(nm[[1, 2, 4]]).all()  # (missing: the frame's string column holds NaN)
    whole = layer.fields(np.arange(n))  # a quarter of the layer asked: kept whole
    assert layer._fields is not None
    again = layer.fields(idx)
    for a, b in zip(again, (z, f, nm), strict=True):
        assert a.dtype == object and pd.Series(a).equals(pd.Series(b))
    assert whole[1][[3, 7]].tolist() == ["f3", "f7"]


def test_a_missing_id_gives_every_feature_its_row_id() -> None:
    ids = pd.array(["a", None, "c", "d"] * 1000, dtype="string")
    layer = ix._LayerIndex("water_source", _frame(4000, feature_id=ids))
    z, f, nm = layer.fields(np.array([0, 2, 3999]))
    assert f.tolist() == ["water_source:0", "water_source:2", "water_source:3999"]
    assert z.tolist() == ["", "", ""]  # no zone column
    assert nm.tolist() == [None, None, None]  # no name column


def test_fields_equal_the_whole_columns_taken_at_the_rows() -> None:
    rng = np.random.default_rng(2)
    n = 20_000
    zone = pd.array(rng.choice(["a", "b", None], n).tolist(), dtype="string")
    name = pd.array(rng.choice(["x", "y", None], n).tolist(), dtype="string")
    frame = _frame(n, feature_id=[f"id{i}" for i in range(n)], zone=zone, name=name)
    idx = rng.integers(0, n, 300)
    by_rows = ix._LayerIndex("eco_redline", frame).fields(idx)
    want = [frame[c].to_numpy(dtype=object)[idx] for c in ("zone", "feature_id", "name")]
    for got, exp in zip(by_rows, want, strict=True):
        assert got.dtype == object
        assert pd.Series(got).equals(pd.Series(exp))  # (NaN where missing, in both)
