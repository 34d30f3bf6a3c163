"""Tests of zoning.labels: each wording emitted today, byte for byte."""

from __future__ import annotations

from zoning import labels


def test_the_three_disclaimer_wordings():
    assert labels.DISCLAIMER_ZH_FIRST == (
        "仅供规划分析，非正式地图 / For planning analysis, not an official map"
    )
    assert labels.DISCLAIMER_EN_FIRST == (
        "For planning analysis, not an official map / 仅供规划分析，非正式地图"
    )
    assert labels.DISCLAIMER_SENTENCE == (
        "For planning analysis, not an official map (仅供规划分析，非正式地图)."
    )


def test_verdict_labels_cover_every_verdict_in_order():
    verdicts = {"prohibited", "needs_info", "conditional", "allowed"}
    for table in (
        labels.VERDICT_ZH,
        labels.VERDICT_LABELS,
        labels.VERDICT_LABELS_REPORT,
        labels.VERDICT_LABELS_OFFICE,
    ):
        assert set(table) == verdicts
    # the maps' legends list the verdicts strictest first, conditional before needs_info
    assert list(labels.VERDICT_LABELS) == ["prohibited", "conditional", "needs_info", "allowed"]
    assert labels.VERDICT_LABELS_OFFICE["needs_info"] == "需补充材料 / Needs more information"
    assert labels.VERDICT_LABELS_REPORT["conditional"] == "有条件允许 / Conditional"
