"""zoning.ledger.outputs: what each writer sends to a database, without a PostGIS server.

``zoning.io.postgis.write_tables`` is replaced by a recorder; the real database round trip is in
tests/test_io_postgis.py (skipped where no PostGIS server can start).
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from zoning.ledger import outputs

URL = "postgresql://planner:s3cret@127.0.0.1:5432/gis"
SHOWN = "postgresql://planner:***@127.0.0.1:5432/gis"


@pytest.fixture
def calls(monkeypatch):
    recorded: list[dict] = []

    def write_tables(url, frames, *, key_column, key):
        recorded.append({"url": url, "frames": frames, "key_column": key_column, "key": key})

    monkeypatch.setattr("zoning.io.postgis.write_tables", write_tables)
    return recorded


def test_a_ledger_goes_to_its_table_keyed_by_its_vintage(calls):
    ledger = pd.DataFrame({"feature_id": ["a", "b"], "vintage": ["2024", "2024"]})
    written = outputs.write_ledger(ledger, db=URL, schema="planning")
    assert written == [f"{SHOWN} zoning_redline_ledger (vintage 2024)"]
    assert len(calls) == 1
    call = calls[0]
    assert call["url"] == URL and call["key_column"] == "vintage" and call["key"] == "2024"
    assert list(call["frames"]) == ["planning.zoning_redline_ledger"]
    assert call["frames"]["planning.zoning_redline_ledger"] is ledger


def test_an_empty_ledger_has_the_empty_vintage(calls):
    ledger = pd.DataFrame({"feature_id": [], "vintage": []})
    written = outputs.write_ledger(ledger, db=URL)
    assert written == [f"{SHOWN} zoning_redline_ledger (vintage )"]
    assert calls[0]["key"] == "" and list(calls[0]["frames"]) == ["zoning_redline_ledger"]


def test_a_check_writes_verdicts_and_changes_keyed_old_to_new(calls):
    verdicts = pd.DataFrame({"principle": ["area"], "verdict": ["held"]})
    changes = pd.DataFrame({"feature_id": ["a"], "change": ["added"]})
    check = SimpleNamespace(
        verdicts=verdicts, changes=changes, old_vintage="2023", new_vintage="2024"
    )
    written = outputs.write_check(check, db=URL)
    assert written == [f"{SHOWN} zoning_ledger_check (run 2023→2024)"]
    call = calls[0]
    assert call["key_column"] == "run_id" and call["key"] == "2023→2024"
    assert list(call["frames"]) == ["zoning_ledger_check", "zoning_ledger_changes"]
    assert call["frames"]["zoning_ledger_check"] is verdicts
    assert call["frames"]["zoning_ledger_changes"] is changes


def test_a_supervision_writes_suspects_and_allowed_but_not_the_unscreened(calls):
    suspects = pd.DataFrame({"patch_id": ["p1"]})
    allowed = pd.DataFrame({"patch_id": ["p2"]})
    result = SimpleNamespace(suspects=suspects, allowed=allowed, unscreened=pd.DataFrame())
    written = outputs.write_supervision(result, run_id="2024-05", db=URL, schema="s")
    assert written == [f"{SHOWN} zoning_suspect_patches (run 2024-05)"]
    call = calls[0]
    assert call["key_column"] == "run_id" and call["key"] == "2024-05"
    assert list(call["frames"]) == ["s.zoning_suspect_patches", "s.zoning_allowed_patches"]
    assert call["frames"]["s.zoning_suspect_patches"] is suspects


def test_no_folder_and_no_database_writes_nothing(calls):
    ledger = pd.DataFrame({"feature_id": ["a"], "vintage": ["2024"]})
    assert outputs.write_ledger(ledger) == []
    assert calls == []


def test_a_check_written_to_a_folder_and_a_database_names_both(calls, tmp_path):
    verdicts = pd.DataFrame({"principle": ["area"], "verdict": ["held"]})
    changes = pd.DataFrame({"feature_id": ["a"], "change": ["added"]})
    check = SimpleNamespace(
        verdicts=verdicts,
        changes=changes,
        old_vintage="2023",
        new_vintage="2024",
        summary=lambda: "red-line ledger check 2023 → 2024",
    )
    out = tmp_path / "check"
    written = outputs.write_check(check, out=out, db=URL)
    assert written == [str(out / "check.csv"), f"{SHOWN} zoning_ledger_check (run 2023→2024)"]
    assert sorted(p.name for p in out.iterdir()) == [
        "changes.csv",
        "check.csv",
        "check.xlsx",
        "summary.txt",
    ]
    assert (out / "summary.txt").read_text(encoding="utf-8") == (
        "red-line ledger check 2023 → 2024\n"
    )
    assert len(calls) == 1
