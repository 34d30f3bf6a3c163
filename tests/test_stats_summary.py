"""Summary (zoning.stats.summary): the statistics table, roll-ups, the demo shares.

Zone rows and shares, roll-ups to parent units, and the demo shares against the published
plans.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import stats_shapes as shapes
from stats_shapes import frame, random_layer, row, sq

from zoning.errors import CRSError
from zoning.stats import STATS_COLUMNS, area_by_unit, parent_adcode, rollup


@pytest.fixture
def two_counties() -> gpd.GeoDataFrame:
    return shapes.two_counties()


@pytest.fixture
def grid_units() -> gpd.GeoDataFrame:
    return shapes.grid_units()


def test_zone_shares_and_remainder_sum_to_100(two_counties):
    # water-source rings in county A: level1 1x1 km, level2 3x3 km minus level1, quasi outside
    level1 = sq(1_000, 1_000, 1_000)
    level2 = sq(0, 0, 3_000).difference(level1)
    quasi = sq(0, 0, 5_000).difference(sq(0, 0, 3_000))
    ws = frame([level2, quasi, level1], zone=["level2", "quasi", "level1"])
    out = area_by_unit(two_counties, {"water_source": ws})
    a = out[(out.unit_id == "140101") & (out.layer_kind == "water_source")].set_index("zone")
    assert list(a.index) == ["all", "level1", "level2", "quasi"]  # canonical order
    assert a.loc["level1", "area_km2"] == pytest.approx(1.0)
    assert a.loc["level2", "area_km2"] == pytest.approx(8.0)
    assert a.loc["quasi", "area_km2"] == pytest.approx(16.0)
    zones = a.loc[["level1", "level2", "quasi"], "share_pct"].sum()
    remainder = 100.0 * (a.loc["all", "unit_area_km2"] - a.loc["all", "area_km2"]) / 100.0
    assert zones == pytest.approx(a.loc["all", "share_pct"], rel=1e-12)
    assert zones + remainder == pytest.approx(100.0, rel=1e-12)


def test_layers_in_other_crs_give_the_same_numbers(grid_units):
    from zoning.crs import gk_crs_for

    red = random_layer(13, 80)
    ref = area_by_unit(grid_units, {"eco_redline": red})
    gk = gk_crs_for(red.to_crs("EPSG:4490"))
    for crs in ("EPSG:4490", "EPSG:4326", gk):
        moved = red.to_crs(crs)
        out = area_by_unit(grid_units.to_crs(crs), {"eco_redline": moved})
        np.testing.assert_allclose(out.area_km2, ref.area_km2, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(out.unit_area_km2, ref.unit_area_km2, rtol=1e-9)


def test_rollup_equals_direct_computation(grid_units):
    red = random_layer(17, 150)
    counties = area_by_unit(grid_units, {"eco_redline": red})
    up = rollup(counties, lambda u: parent_adcode(u, "province"))
    province = frame([sq(0, 0, 30_000, 20_000)], adcode=["140000"])
    direct = area_by_unit(province, {"eco_redline": red})
    assert list(up.columns) == STATS_COLUMNS
    np.testing.assert_allclose(up.area_km2, direct.area_km2, rtol=1e-4)  # within 0.01 %
    np.testing.assert_allclose(up.area_km2, direct.area_km2, rtol=1e-9)  # in fact to rounding
    np.testing.assert_allclose(up.unit_area_km2, direct.unit_area_km2, rtol=1e-12)
    np.testing.assert_allclose(up.share_pct, direct.share_pct, rtol=1e-9)


def test_rollup_with_a_mapping_reports_missing_parents(grid_units):
    red = random_layer(19, 20)
    counties = area_by_unit(grid_units, {"eco_redline": red})
    with pytest.raises(ValueError, match="no parent"):
        rollup(counties, {"140101": "140100"})


def test_parent_adcode():
    assert parent_adcode("140215", "city") == "140200"
    assert parent_adcode(140215, "province") == "140000"
    with pytest.raises(ValueError):
        parent_adcode("1402", "city")


def test_empty_layer_gives_zero_rows(two_counties):
    out = area_by_unit(two_counties, {"eco_redline": frame([])})
    assert out.area_km2.tolist() == [0.0, 0.0]


def test_degrees_are_refused_as_measuring_crs(two_counties):
    with pytest.raises(CRSError):
        area_by_unit(two_counties, {}, crs="EPSG:4490")


@pytest.fixture(scope="module")
def demo_redline_stats(demo_catalog):
    admin = demo_catalog.frame("admin_unit")
    red = {"eco_redline": demo_catalog.frame("eco_redline")}
    counties = admin[admin.level == "county"]
    out = {
        level: area_by_unit(admin[admin.level == level], red)
        for level in ("county", "city", "province")
    }
    return counties, out


@pytest.mark.parametrize(
    ("level", "adcode", "published"),
    [("province", "140000", 21.95), ("city", "140900", 24.88), ("county", "140215", 34.2)],
)
def test_demo_red_line_shares_match_the_plans(demo_redline_stats, level, adcode, published):
    _, out = demo_redline_stats
    share = row(out[level], adcode, "eco_redline").share_pct
    assert abs(share - published) <= 0.5


def test_demo_counties_add_up_to_cities_and_province(demo_redline_stats):
    _, out = demo_redline_stats
    for level in ("city", "province"):
        up = rollup(out["county"], lambda u, lv=level: parent_adcode(u, lv))
        key = ["unit_id", "layer_kind", "zone"]
        direct = out[level].set_index(key)
        up = up.set_index(key).loc[direct.index]
        np.testing.assert_allclose(up.area_km2, direct.area_km2, rtol=1e-4)
        np.testing.assert_allclose(up.unit_area_km2, direct.unit_area_km2, rtol=1e-4)


def test_group_sums_add_each_group_exactly_in_first_seen_order():
    # 1e16 + 1 - 1e16 is 0 summed left to right and 1 with fsum; rows whose key is missing
    # count nowhere (as pandas' groupby leaves them out)
    import pandas as pd

    from zoning.stats.summary import _group_sums

    measured = pd.DataFrame(
        {
            "unit": [1, 0, 1, 1, 0, 1],
            "kind": ["b", "a", "b", "b", "a", "b"],
            "label": ["x", "all", "x", "x", None, "y"],
            "area_m2": [1e16, 2.0, 1.0, -1e16, 5.0, 7.0],
        }
    )
    sums = _group_sums(measured)
    assert list(sums) == [(1, "b", "x"), (0, "a", "all"), (1, "b", "y")]
    assert sums == {(1, "b", "x"): 1.0, (0, "a", "all"): 2.0, (1, "b", "y"): 7.0}
    assert _group_sums(measured.iloc[:0]) == {}


def test_group_sums_of_interleaved_groups_are_exact_whatever_the_row_order():
    # 12 groups (3 units x 2 kinds x 2 labels), each holding 1e16, 2^k and -1e16 (their exact
    # sum is 2^k: left to right gives 0 or a multiple of 2), rows shuffled; a missing unit
    # leaves its row out
    import pandas as pd

    from zoning.stats.summary import _group_sums

    rng = np.random.default_rng(5)
    rows = []
    expected = {}
    k = 0
    for u in (7, 3, 5):
        for kind in ("b", "a"):
            for label in ("all", "z"):
                expected[(u, kind, label)] = float(2**k)
                rows += [(u, kind, label, v) for v in (1e16, float(2**k), -1e16)]
                k += 1
    rows = [rows[i] for i in rng.permutation(len(rows))]
    rows.insert(5, (None, "a", "all", 1.0))
    measured = pd.DataFrame(rows, columns=["unit", "kind", "label", "area_m2"])
    sums = _group_sums(measured)
    assert sums == expected
    first_seen = list(dict.fromkeys((int(r[0]), r[1], r[2]) for r in rows if r[0] is not None))
    assert list(sums) == first_seen
