"""The disclaimer and the bilingual verdict labels, each wording defined once.

Every output says it is for planning analysis, not an official map. Outputs written before
this module existed used three wordings, and each is kept byte for byte (the demo's outputs
are the guard), so each has its own name:

* :data:`DISCLAIMER_ZH_FIRST` — maps (HTML, PNG, report pages), workbooks, Word reports;
* :data:`DISCLAIMER_EN_FIRST` — the screening result (``result.json``, the terminal);
* :data:`DISCLAIMER_SENTENCE` — the restoration report (``report.json``).

The verdict labels likewise come in the wordings the outputs use today: :data:`VERDICT_ZH`
(reasons), :data:`VERDICT_LABELS` (maps), :data:`VERDICT_LABELS_REPORT` (the screening
report page) and :data:`VERDICT_LABELS_OFFICE` (workbooks and Word reports). Unifying them
would change outputs; it is a wording decision, not a refactoring.

Examples
--------
>>> DISCLAIMER_ZH_FIRST
'仅供规划分析，非正式地图 / For planning analysis, not an official map'
>>> VERDICT_LABELS["needs_info"]
'需补充信息 / Needs information'
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "DISCLAIMER_EN",
    "DISCLAIMER_EN_FIRST",
    "DISCLAIMER_SENTENCE",
    "DISCLAIMER_ZH",
    "DISCLAIMER_ZH_FIRST",
    "VERDICT_LABELS",
    "VERDICT_LABELS_OFFICE",
    "VERDICT_LABELS_REPORT",
    "VERDICT_ZH",
]

#: The disclaimer in Chinese.
DISCLAIMER_ZH = "仅供规划分析，非正式地图"
#: The disclaimer in English.
DISCLAIMER_EN = "For planning analysis, not an official map"
#: Chinese first: maps, static maps, report pages, workbooks' About sheet, Word reports.
DISCLAIMER_ZH_FIRST = f"{DISCLAIMER_ZH} / {DISCLAIMER_EN}"
#: English first: the screening result (``result.json``, ``zoning screen``'s last line).
DISCLAIMER_EN_FIRST = f"{DISCLAIMER_EN} / {DISCLAIMER_ZH}"
#: One sentence, Chinese in brackets: the restoration ``report.json``.
DISCLAIMER_SENTENCE = f"{DISCLAIMER_EN} ({DISCLAIMER_ZH})."

#: Verdicts in Chinese (the reasons' wording).
VERDICT_ZH: Mapping[str, str] = {
    "prohibited": "禁止",
    "needs_info": "需补充信息",
    "conditional": "有条件允许",
    "allowed": "允许",
}
#: Verdict labels of the maps (legends, popups), strictest first as the legends list them.
VERDICT_LABELS: Mapping[str, str] = {
    "prohibited": "禁止 / Prohibited",
    "conditional": "有条件 / Conditional",
    "needs_info": "需补充信息 / Needs information",
    "allowed": "允许 / Allowed",
}
#: Verdict labels of the screening report page (``report.html``).
VERDICT_LABELS_REPORT: Mapping[str, str] = {
    "prohibited": "禁止 / Prohibited",
    "needs_info": "需补充信息 / Needs information",
    "conditional": "有条件允许 / Conditional",
    "allowed": "允许 / Allowed",
}
#: Verdict labels of the workbooks and Word reports.
VERDICT_LABELS_OFFICE: Mapping[str, str] = {
    "prohibited": "禁止 / Prohibited",
    "needs_info": "需补充材料 / Needs more information",
    "conditional": "有条件 / Conditional",
    "allowed": "允许 / Allowed",
}
