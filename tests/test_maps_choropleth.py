"""Tests of zoning.maps.choropleth: quantile classes, classed legends, popups."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box
from test_maps import features_of, js, needs_assets, render

from zoning import maps
from zoning.errors import ZoningError
from zoning.maps.choropleth import class_breaks


def test_class_breaks_quantiles_by_hand():
    values = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    assert class_breaks(values, 4).tolist() == [0.0, 10.0, 20.0, 30.0, 40.0]
    # ties collapse: all equal values make one class
    assert class_breaks(np.array([5.0, 5.0, np.nan]), 5).tolist() == [5.0, 5.0]


@needs_assets
def test_choropleth_classes_legend_and_popups():
    units = gpd.GeoDataFrame(
        {
            "name": ["甲县", "乙县", "丙县", "丁县", "戊县", "己县"],
            "share": [0.0, 10.0, 20.0, 30.0, 40.0, np.nan],
        },
        geometry=[box(112 + i * 0.1, 37, 112.1 + i * 0.1, 37.1) for i in range(6)],
        crs=4490,
    )
    m = maps.new_map()
    group = maps.add_choropleth(
        m, units, "share", name="占比 / Share", legend_title="红线占比 (%) / Share (%)", classes=4
    )
    feats = features_of(group)
    assert [f["properties"]["_class"] for f in feats] == [0, 1, 2, 3, 3, -1]
    assert [f["properties"]["value"] for f in feats] == ["0.0", "10.0", "20.0", "30.0", "40.0", "—"]
    html = render(m)
    legend = html.split('id="zoning-legend"', 1)[1].split('id="zoning-disclaimer"', 1)[0]
    assert "<h4>红线占比 (%) / Share (%)</h4>" in legend
    labels = re.findall(r"<span>([^<]+)</span>", legend)
    assert labels == [
        "0.0 – 10.0",
        "10.0 – 20.0",
        "20.0 – 30.0",
        "30.0 – 40.0",
        "无数据 / No data",
    ]
    assert js("红线占比 (%) / Share (%)") in html  # popup alias of the value


def test_choropleth_missing_column():
    units = gpd.GeoDataFrame({"x": [1.0]}, geometry=[box(0, 0, 1, 1)], crs=4490)
    with pytest.raises(ZoningError, match="'share' not found"):
        maps.add_choropleth(maps.new_map(), units, "share", name="s", legend_title="s")
