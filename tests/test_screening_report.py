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


def _same(a: object, b: object) -> bool:
    """Equal values of the same type (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


def _same_records(got: list[dict], want: list[dict]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert list(g) == list(w)
        bad = {k: (g[k], w[k]) for k in w if not _same(g[k], w[k])}
        assert not bad, bad


def test_frame_records_are_to_dict_records_of_every_screening_frame(demo_catalog) -> None:
    from zoning.screening.records import frame_records

    sites, _ = read_sites(DEMO_SITES)
    checked = 0
    for project_type in ("solar_pv", "road", "coal_mine", "sewage_outfall"):
        res = screen_read_sites(sites, demo_catalog, project_type)
        for name in ("hits", "by_layer", "nearest", "area_hits"):
            frame = getattr(res, name)
            if frame is None or not len(frame):
                continue
            _same_records(frame_records(frame), frame.to_dict("records"))
            checked += len(frame)
    assert checked > 50


def test_frame_records_box_values_as_to_dict_does() -> None:
    import numpy as np
    import pandas as pd

    from zoning.screening.records import frame_records

    frame = pd.DataFrame(
        {
            "i": np.array([1, 2], dtype="int64"),
            "f": [0.5, np.nan],
            "b": [True, False],
            "s": pd.array(["红线", None], dtype="str"),
            "o": pd.Series([np.float64(2.5), np.int32(3)], dtype=object),
            "l": [["a"], []],
            "n": [None, "x"],
            "t": pd.to_datetime(["2026-01-01", "2026-06-01"]),
        }
    )
    got = frame_records(frame)
    _same_records(got, frame.to_dict("records"))
    assert type(got[0]["i"]) is int and type(got[0]["o"]) is float and type(got[1]["o"]) is int
    assert frame_records(frame.iloc[:0]) == []
