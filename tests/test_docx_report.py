"""Word reports read back as Word reads them (python-docx): headings, tables, the map image."""

from __future__ import annotations

import hashlib
from pathlib import Path

import docx
import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from zoning.cli.main import cli
from zoning.crs import ALBERS_CHINA


def _texts(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


@pytest.fixture
def screening_case(tmp_path: Path) -> tuple[Path, Path]:
    """A 1 km² red line and a 200 x 200 m site half inside it (2 ha overlap, worked by hand)."""
    red = gpd.GeoDataFrame(
        {"feature_id": ["HX1"], "zone": ["general"], "name": ["测试红线"]},
        geometry=[box(500_000, 4_200_000, 501_000, 4_201_000)],
        crs="EPSG:4547",
    ).to_crs("EPSG:4490")
    admin = gpd.GeoDataFrame(
        {"adcode": ["140000"], "level": ["province"], "name": ["山西省"]},
        geometry=[box(499_000, 4_199_000, 503_000, 4_203_000)],
        crs="EPSG:4547",
    ).to_crs("EPSG:4490")
    red.to_file(tmp_path / "red.geojson")
    admin.to_file(tmp_path / "admin.geojson")
    (tmp_path / "catalog.toml").write_text(
        """
name = "docx test"
[[layers]]
kind = "admin_unit"
path = "admin.geojson"
zone_field = "level"
id_field = "adcode"
name_field = "name"
[[layers]]
kind = "eco_redline"
path = "red.geojson"
zone_field = "zone"
id_field = "feature_id"
name_field = "name"
""",
        encoding="utf-8",
    )
    site = gpd.GeoDataFrame(
        {"site_id": ["A"]},
        geometry=[box(500_900, 4_200_400, 501_100, 4_200_600)],
        crs="EPSG:4547",
    ).to_crs("EPSG:4490")
    site.to_file(tmp_path / "site.geojson")
    return tmp_path / "site.geojson", tmp_path / "catalog.toml"


def test_screening_docx_has_the_verdict_hits_reasons_and_map(screening_case, tmp_path):
    site, catalog = screening_case
    out = tmp_path / "out"
    args = ["screen", str(site), "-t", "solar_pv", "--catalog", str(catalog), "--out", str(out)]
    res = CliRunner().invoke(cli, [*args, "--docx"])
    assert res.exit_code == 0, res.output
    d = docx.Document(str(out / "report.docx"))
    headings = [p.text for p in d.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "选址筛查报告 / Site screening report"
    assert headings[1] == "结论 / Verdicts"  # the verdict comes first
    assert "站点 / Site A (Polygon)" in headings
    text = _texts(d)
    assert "禁止 / Prohibited" in text
    assert "仅供规划分析，非正式地图" in text
    # the hits table: half of the 4 ha site lies in the red line: 20,000 m² (by hand, ±1 m²)
    hits = next(t for t in d.tables if t.rows[0].cells[0].text.startswith("图层分区"))
    row = [c.text for c in hits.rows[1].cells]
    assert row[0] == "eco_redline · general" and row[1] == "测试红线"
    assert abs(float(row[2].replace(",", "")) - 20_000) <= 1
    assert any(r.startswith("CN-") or r.startswith("SX-") for r in [row[6]])
    # the static map is in the document
    images = [r for r in d.part.rels.values() if "image" in r.reltype]
    assert len(images) == 1 and images[0].target_part.blob.startswith(b"\x89PNG")
    # Chinese runs are set in a CJK font
    normal = d.styles["Normal"].element.rPr.rFonts
    assert normal.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")


def test_screening_docx_is_byte_identical_on_rerun(screening_case, tmp_path):
    site, catalog = screening_case
    digests = []
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        res = CliRunner().invoke(
            cli,
            ["screen", str(site), "-t", "solar_pv", "--catalog", str(catalog), "--out", str(out),
             "--docx"],
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        digests.append(hashlib.sha256((out / "report.docx").read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_docx_needs_an_out_folder(screening_case):
    site, catalog = screening_case
    res = CliRunner().invoke(
        cli, ["screen", str(site), "-t", "solar_pv", "--catalog", str(catalog), "--docx"]
    )
    assert res.exit_code == 2 and "--out" in res.output


def test_stats_docx_reads_back(tmp_path):
    import pandas as pd

    from zoning.docx_report import stats_docx
    from zoning.maps.static import choropleth_png

    stats = pd.DataFrame(
        {
            "unit_id": ["14", "1401"],
            "layer_kind": "eco_redline",
            "zone": "all",
            "area_km2": [20.0, 10.0],
            "unit_area_km2": [200.0, 100.0],
            "share_pct": [10.0, 10.0],
            "level": ["province", "city"],
            "unit_name": ["省", "市"],
        }
    )
    units = gpd.GeoDataFrame(
        {"v": [1.0, 2.0]}, geometry=[box(0, 0, 1e4, 1e4), box(1e4, 0, 2e4, 1e4)], crs=ALBERS_CHINA
    )
    png = choropleth_png(units, "v", legend_title="占比", title="t")
    path = stats_docx(
        tmp_path / "s.docx", title="t", stats=stats, map_png=png, provenance=[("k", "v")]
    )
    d = docx.Document(str(path))
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == ["省 / Province", "市 / City"]
    province = d.tables[0]
    assert [c.text for c in province.rows[1].cells] == [
        "省",
        "生态保护红线 / Ecological protection red line",
        "20.00",
        "10.00",
    ]
    assert any("image" in r.reltype for r in d.part.rels.values())
