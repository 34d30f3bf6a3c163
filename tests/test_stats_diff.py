"""What changed (zoning.stats.diff): two tiny hand-made runs and two vintages of a layer.

Every difference is built in on purpose, so the expected rows are known: a changed area, an
unchanged row, a removed and an added unit; a reshaped, a renamed, an added and a removed
feature, squares in metres in the measuring CRS.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box

from zoning.crs import ALBERS_CHINA
from zoning.errors import InputFileError
from zoning.io.tables import write_csv
from zoning.stats.diff import DIFF_COLUMNS, diff_runs, diff_stats, diff_vintages, read_stats

COLS = ["unit_id", "layer_kind", "zone", "area_km2", "unit_area_km2", "share_pct"]


def run(folder, rows) -> str:
    """A run folder holding ``stats.csv`` of ``rows`` (as zoning run writes it)."""
    folder.mkdir()
    df = pd.DataFrame(rows, columns=COLS)
    write_csv(df, folder / "stats.csv", index=False, float_format="%.10g")
    return str(folder)


@pytest.fixture
def runs(tmp_path) -> tuple[str, str]:
    a = run(
        tmp_path / "a",
        [
            ("140101", "eco_redline", "all", 10.0, 100.0, 10.0),
            ("140101", "eco_redline", "core", 4.0, 100.0, 4.0),
            ("140102", "eco_redline", "all", 5.0, 50.0, 10.0),
        ],
    )
    b = run(
        tmp_path / "b",
        [
            ("140101", "eco_redline", "all", 12.5, 100.0, 12.5),  # +2.5 km², +2.5 points
            ("140101", "eco_redline", "core", 4.0, 100.0, 4.0),  # unchanged
            ("140103", "eco_redline", "all", 1.0, 20.0, 5.0),  # added; 140102 removed
        ],
    )
    return a, b


def test_diff_runs_lists_the_changes_largest_first(runs):
    out = diff_runs(*runs)
    assert list(out.columns) == DIFF_COLUMNS
    assert out.unit_id.tolist() == ["140102", "140101", "140103"]  # |-5| > |2.5| > |1|
    assert out.status.tolist() == ["removed", "changed", "added"]
    assert out.delta_km2.tolist() == [-5.0, 2.5, 1.0]
    assert out.delta_share_pct.tolist() == [-10.0, 2.5, 5.0]
    removed, changed, added = out.itertuples(index=False)
    assert (removed.area_km2_a, pd.isna(removed.area_km2_b)) == (5.0, True)
    assert (changed.area_km2_a, changed.area_km2_b) == (10.0, 12.5)
    assert (pd.isna(added.area_km2_a), added.area_km2_b) == (True, 1.0)


def test_unchanged_rows_kept_on_request_and_tolerance(runs):
    out = diff_runs(*runs, keep_unchanged=True)
    same = out[out.status == "unchanged"]
    assert same[["unit_id", "zone", "delta_km2"]].values.tolist() == [["140101", "core", 0.0]]
    # a change at or below the tolerance is no change
    a = read_stats(runs[0])
    b = a.assign(area_km2=a.area_km2 + 1e-7)
    assert diff_stats(a, b).empty
    assert diff_stats(a, b, tolerance_km2=1e-8).status.tolist() == ["changed"] * 3


def test_levels_are_part_of_the_key():
    a = pd.DataFrame(
        [("140100", "eco_redline", "all", 3.0, 0.0, 1.0, "city")], columns=[*COLS, "level"]
    )
    b = a.assign(level="county")  # same unit id at another level: not the same row
    out = diff_stats(a, b)
    assert out.columns[0] == "level"
    assert sorted(zip(out.level, out.status, strict=True)) == [
        ("city", "removed"),
        ("county", "added"),
    ]


def test_read_stats_refuses_a_missing_file_or_columns(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        read_stats(tmp_path / "nowhere")
    write_csv(pd.DataFrame({"unit_id": ["1"], "area_km2": [1.0]}), tmp_path / "x.csv", index=False)
    with pytest.raises(InputFileError, match="layer_kind, share_pct, zone"):
        read_stats(tmp_path / "x.csv")


def km(x: float, y: float, w: float, h: float) -> box:
    """Rectangle in Albers metres, corner (x, y) km from a spot in Shanxi, sides in km."""
    x0, y0 = 650_000.0, 4_250_000.0
    return box(x0 + x * 1e3, y0 + y * 1e3, x0 + (x + w) * 1e3, y0 + (y + h) * 1e3)


def test_diff_vintages_by_hand():
    old = gpd.GeoDataFrame(
        {"feature_id": ["a", "b", "c", "e"]},
        geometry=[km(0, 0, 1, 1), km(5, 0, 1, 1), km(10, 0, 1, 1), km(20, 0, 2, 1)],
        crs=ALBERS_CHINA,
    )
    new = gpd.GeoDataFrame(
        {"feature_id": ["a", "b", "c2", "d"]},
        # a: grown to 2 x 1 km (+1 km²); b: as before; c renamed c2; d new (0.25 km²); e gone
        geometry=[km(0, 0, 2, 1), km(5, 0, 1, 1), km(10, 0, 1, 1), km(30, 0, 0.5, 0.5)],
        crs=ALBERS_CHINA,
    )
    out = diff_vintages(old, new).set_index("status")
    assert sorted(out.index) == ["added", "id_changed", "removed", "reshaped"]  # b unchanged
    a = out.loc["reshaped"]
    assert (a.feature_id, a.feature_id_old) == ("a", "a")
    assert a.gained_m2 == pytest.approx(1e6, rel=1e-9) and a.lost_m2 == 0.0
    assert (a.area_old_m2, a.area_new_m2) == (pytest.approx(1e6), pytest.approx(2e6))
    c = out.loc["id_changed"]
    assert (c.feature_id, c.feature_id_old, c.gained_m2, c.lost_m2) == ("c2", "c", 0.0, 0.0)
    d = out.loc["added"]
    assert (d.feature_id, d.area_new_m2) == ("d", pytest.approx(250_000.0))
    e = out.loc["removed"]
    assert (e.feature_id_old, e.lost_m2) == ("e", pytest.approx(2e6))
    assert out.crs.equals(ALBERS_CHINA)


def test_diff_vintages_needs_the_id_field():
    layer = gpd.GeoDataFrame({"fid": ["a"]}, geometry=[km(0, 0, 1, 1)], crs=ALBERS_CHINA)
    with pytest.raises(InputFileError, match="no column 'feature_id'"):
        diff_vintages(layer, layer)
