"""The statistics report (zoning.stats.report): its tables show the run's CSV figures.

A hand-made run — a province, two cities, two counties — is written as ``stats.csv`` and read
back as the run does; every figure in the report's tables is worked out here by hand.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from zoning.io.tables import read_csv_table, write_csv
from zoning.stats.report import render_stats_report

COLS = ["unit_id", "layer_kind", "zone", "area_km2", "unit_area_km2", "share_pct", "level"]
NAMES = {
    "140000": "山西省",
    "140100": "太原市",
    "140200": "大同市",
    "140101": "甲县",
    "140102": "乙县",
}
ROWS = [
    ("140000", "eco_redline", "all", 219.5, 1000.0, 21.95, "province"),
    ("140000", "eco_redline", "core", 100.0, 1000.0, 10.0, "province"),
    ("140000", "water_source", "all", 12.5, 1000.0, 1.25, "province"),
    ("140100", "eco_redline", "all", 80.0, 400.0, 20.0, "city"),
    ("140100", "water_source", "all", 4.0, 400.0, 1.0, "city"),
    ("140200", "eco_redline", "all", 139.5, 600.0, 23.25, "city"),
    ("140200", "water_source", "all", 8.5, 600.0, 100 * 8.5 / 600, "city"),
    ("140101", "eco_redline", "all", 10.0, 50.0, 20.0, "county"),
    ("140101", "water_source", "all", 0.0, 50.0, 0.0, "county"),
    ("140102", "eco_redline", "all", 7.0, 50.0, 14.0, "county"),
    ("140102", "water_source", "all", 1.0, 50.0, 2.0, "county"),
]


@pytest.fixture
def stats(tmp_path) -> pd.DataFrame:
    """The run's stats.csv, written and read back as ``zoning run`` writes and reads it."""
    df = pd.DataFrame(ROWS, columns=COLS)
    df["unit_name"] = df.unit_id.map(NAMES)
    write_csv(df, tmp_path / "stats.csv", index=False, float_format="%.10g")
    return read_csv_table(tmp_path / "stats.csv", dtype={"unit_id": str, "level": str})


def tables(page: str) -> dict[str, list[list[str]]]:
    """Each table of the page, keyed by its first header, as rows of cell texts."""
    out = {}
    for table in re.findall(r"<table>.*?</table>", page, flags=re.S):
        rows = [
            [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr)]
            for tr in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
        ]
        out.setdefault(rows[0][0], []).append(rows[1:])
    return out


def render(stats: pd.DataFrame, **tables_: pd.DataFrame) -> str:
    inputs = {
        "layers": [
            {
                "name": "redline",
                "kind": "eco_redline",
                "vintage": "2023",
                "illustrative": True,
                "licence": "CC-BY-4.0",
                "sha256": "abcdef0123456789ffff",
            }
        ],
        "catalog": {"path": "catalog.toml", "sha256": "0123456789abcdef0000"},
    }
    return render_stats_report(
        title="test <run>",
        stats=stats,
        inputs=inputs,
        parameters={"b": 2, "a": "x<y"},
        **tables_,
    )


def test_summary_and_share_matrices_show_the_csv_figures(stats):
    t = tables(render(stats))
    summary = t["图层 / Layer"][0]
    # the province (top level): areas summed, shares of the province's area
    assert [r[1:] for r in summary] == [
        ["合计 / all", "219.50", "21.95"],
        ["core", "100.00", "10.00"],
        ["合计 / all", "12.50", "1.25"],
    ]
    city, county = t["代码 / Code"]
    # cities: code, name, area (1 decimal), red-line share, water-source share
    assert city == [
        ["140100", "太原市", "400.0", "20.00", "1.00"],
        ["140200", "大同市", "600.0", "23.25", "1.42"],  # 8.5 / 600 = 1.4167 %
    ]
    assert county == [
        ["140101", "甲县", "50.0", "20.00", "0.00"],
        ["140102", "乙县", "50.0", "14.00", "2.00"],
    ]


def test_empty_tables_say_so(stats):
    page = render(stats)
    assert "No indicator table in this run." in page
    assert "Overlaps were not computed in this run." in page
    assert "No roll-up in this run." in page


def test_conflicts_flattened_and_reconciliation_by_hand(stats):
    overlaps = pd.DataFrame(
        [
            ("140101", "basic_farmland", "all", "eco_redline", "all", 2.0),
            ("140102", "eco_redline", "all", "basic_farmland", "all", 3.0),  # other orientation
            ("140101", "basic_farmland", "all", "eco_redline", "core", 1.0),  # a zone: left out
        ],
        columns=["unit_id", "kind_a", "zone_a", "kind_b", "zone_b", "overlap_km2"],
    )
    flattened = pd.DataFrame(
        [
            ("140101", 1, "eco_redline:core", 1.0, 50.0),
            ("140101", 2, "basic_farmland:all", 4.0, 50.0),
            ("140101", 3, "water_source:level1", 0.0, 50.0),  # no area: not listed
            ("140101", 99, "none", 45.0, 50.0),
            ("140102", 1, "eco_redline:core", 0.5, 50.0),
            ("140102", 2, "basic_farmland:all", 1.5, 50.0),
            ("140102", 99, "none", 48.0, 50.0),
        ],
        columns=["unit_id", "rank", "designation", "area_km2", "unit_area_km2"],
    )
    recon = pd.DataFrame(
        {
            "level": ["city"] * 3 + ["province"],
            "difference_km2": [1e-12, -3e-12, 0.0, 2.5e-10],
            "difference_pct": [1e-10, -2e-10, 0.0, float("nan")],
        }
    )
    t = tables(render(stats, overlaps=overlaps, flattened=flattened, reconciliation=recon))
    [conflicts] = t["冲突 / Conflict"]
    # 2 + 3 km² in the two counties (100 km² together): 5 % of their territory; largest 140102
    assert len(conflicts) == 1
    assert conflicts[0][1:] == ["5.00", "5.000", "140102 (3.00 km²)"]
    [flat] = t["优先级 / Rank"]
    # summed over the counties, shares of their 100 km²
    assert flat == [
        ["1", "eco_redline:core", "1.50", "1.50"],
        ["2", "basic_farmland:all", "5.50", "5.50"],
        ["99", "none", "93.00", "93.00"],
    ]
    [rec] = t["层级 / Level"]
    assert rec == [
        ["city", "3", "0.000000000", "2.0e-10"],
        ["province", "1", "0.000000000", ""],
    ]


def test_provenance_lists_layers_inputs_and_parameters(stats):
    page = render(stats)
    [layers] = tables(page)["图层 / Layer"][1:]
    assert layers == [
        ["redline", "eco_redline", "2023", "示意 / illustrative", "CC-BY-4.0", "abcdef0123456789"]
    ]
    [files] = tables(page)["输入 / Input"]
    assert files == [["catalog", "catalog.toml", "0123456789abcdef"]]
    assert "<li><b>a</b>: x&lt;y</li><li><b>b</b>: 2</li>" in page
    assert "test &lt;run&gt;" in page and "test <run>" not in page
