"""The report side of a screening (zoning.screening.report, .html, .outputs).

One JSON for every caller: ``zoning screen --json``, ``result.json`` and the web API all go
through :func:`zoning.screening.report.screening_document` / ``screening_json``; and the report
side imports the result, never the reverse.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from zoning.io.jsondoc import finite_json
from zoning.screening import screen_sites
from zoning.screening.html import render_html
from zoning.screening.report import screening_document, screening_json, to_dict
from zoning.screening.request import read_sites, screen_read_sites

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITES = ROOT / "scenarios" / "demo_sites.geojson"
PACKAGE = ROOT / "zoning" / "screening"
#: modules that decide; none may import the modules that render
DECIDE = ["index", "site", "metrics", "engine", "result", "reasons", "jurisdiction"]
RENDER = {"report", "html", "docx", "outputs", "request"}


@pytest.fixture(scope="module")
def result(demo_catalog):
    sites, gcj = read_sites(DEMO_SITES)
    return screen_read_sites(sites, demo_catalog, "solar_pv", gcj=gcj, as_of="2026-01-01")


def test_the_text_is_the_document(result) -> None:
    for compare in (False, True):
        doc = screening_document(result, compare=compare)
        assert json.loads(screening_json(result, compare=compare)) == doc
        assert ("ranking" in doc) is compare
    assert sorted(r["site_id"] for r in doc["ranking"]) == sorted(
        s["site_id"] for s in doc["sites"]
    )


def test_cli_json_is_screening_json(result, demo_catalog_path) -> None:
    from zoning.cli.main import cli

    args = ["screen", str(DEMO_SITES), "-t", "solar_pv", "--json", "--as-of", "2026-01-01"]
    out = CliRunner().invoke(cli, [*args, "--catalog", str(demo_catalog_path)])
    assert out.exit_code == 0, out.output
    cli_doc = json.loads(out.stdout)
    lib_doc = json.loads(screening_json(result))
    cli_doc.pop("catalog"), lib_doc.pop("catalog")  # the same layers, loaded twice
    assert cli_doc == lib_doc


def test_document_is_strict_json(result) -> None:
    doc = to_dict(result)
    doc = {**doc, "parameters": {**doc["parameters"], "x": float("nan")}}
    assert finite_json(doc)["parameters"]["x"] is None
    text = screening_json(result)
    assert "NaN" not in text and "Infinity" not in text


def test_html_report_is_built_from_the_document(result) -> None:
    page = render_html(result, include_map=False)
    for site in screening_document(result)["sites"]:
        assert f"站点 / Site {site['site_id']}" in page
    assert "仅供规划分析，非正式地图" in page


def test_workers_is_a_deprecated_alias_of_n_jobs(demo_catalog) -> None:
    sites, _ = read_sites(DEMO_SITES)
    with pytest.warns(DeprecationWarning, match="n_jobs"):
        old = screen_sites(sites, demo_catalog, "solar_pv", workers=1, as_of="2026-01-01")
    new = screen_sites(sites, demo_catalog, "solar_pv", n_jobs=1, as_of="2026-01-01")
    assert screening_json(old) == screening_json(new)


@pytest.mark.parametrize("module", DECIDE)
def test_the_deciding_side_never_imports_the_report_side(module: str) -> None:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("zoning.screening"):
            imported.add((node.module or "").rsplit(".", 1)[-1])
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            imported.update(a.name.rsplit(".", 1)[-1] for a in node.names)
    assert not imported & RENDER, f"zoning.screening.{module} imports {imported & RENDER}"
