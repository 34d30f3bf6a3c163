"""Reason sentences of a screening verdict, Chinese first and English second.

Each reason names the outcome, where the site is (the zone and how much of the site lies in it,
or the jurisdiction for rules that need no layer), the rule, its text and the citation with the
quoted sentence. A clause that was not verified offline says so in both languages, so an
unverified clause never decides ``prohibited`` silently.

Examples
--------
>>> from zoning.screening.reasons import area_text_zh
>>> area_text_zh(250_000.0), area_text_zh(800.0)
('25 公顷', '800 平方米')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from zoning.labels import VERDICT_ZH as OUTCOME_ZH
from zoning.rules import Assessment, Rule

__all__ = [
    "OUTCOME_ZH",
    "area_rule_reason",
    "area_text_zh",
    "check_text",
    "metric_texts",
    "outside_rule_reason",
    "rule_reason",
]


def area_text_zh(m2: float) -> str:
    """Return an area in hectares from 1 ha, else in square metres (Chinese units)."""
    if m2 >= 10_000:
        ha = m2 / 10_000
        return f"{ha:,.0f} 公顷" if ha >= 10 else f"{ha:,.2f} 公顷"
    return f"{m2:,.0f} 平方米"


def _is_number(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def metric_texts(h: Mapping[str, Any]) -> tuple[str, str]:
    """Where the site lies relative to the zone of a hit row: (Chinese, English)."""
    if bool(h["intersects"]):
        if h["overlap_area_m2"] > 0:
            share = 100 * h["share_of_site"]
            return (
                f"位于区内，重叠 {area_text_zh(h['overlap_area_m2'])}，占场址 {share:.1f}%",
                f"{h['overlap_area_m2']:,.0f} m² overlap, {share:.1f} % of the site",
            )
        if h["overlap_length_m"] > 0:
            return (
                f"区内长度 {h['overlap_length_m']:,.0f} 米，穿越边界 {h['crossings']} 次",
                f"{h['overlap_length_m']:,.0f} m inside, {h['crossings']} crossing(s)",
            )
        if bool(h["inside"]):
            d = h["boundary_distance_m"]
            if _is_number(d):
                return f"位于区内，距边界 {d:,.0f} 米", f"inside, {d:,.0f} m from the boundary"
            return "位于区内", "inside"
        return "与区界相接", "touching"
    return (
        f"位于区外，距区界 {h['distance_m']:,.0f} 米",
        f"{h['distance_m']:,.0f} m outside the zone boundary",
    )


def _tail(rule: Rule, a: Assessment, attrs: Mapping[str, Any]) -> tuple[str, str]:
    """Exceptions applied, asked or available, in both languages."""
    zh, en = "", ""
    if a.exception is not None:
        zh += f"；适用例外：{a.exception.text_zh}"
        en += f"; exception applies: {a.exception.text_en}"
    elif a.exception_missing:
        zh += "；须说明是否属于例外：" + "；".join(
            e.text_zh for e in rule.exceptions if e.condition.attr in a.exception_missing
        )
        en += "; say whether an exception applies: " + "; ".join(
            e.text_en for e in rule.exceptions if e.condition.attr in a.exception_missing
        )
    elif a.outcome == "prohibited" and rule.exceptions:
        open_ = [e for e in rule.exceptions if attrs.get(e.condition.attr) is None]
        if open_:
            zh += "；例外：" + "；".join(
                f"{e.text_zh}（--attr {e.condition.attr}=…）" for e in open_
            )
            en += "; exceptions: " + "; ".join(
                f"{e.text_en} (--attr {e.condition.attr}=…)" for e in open_
            )
    return zh, en


def _texts(rule: Rule) -> tuple[str, str]:
    """Return the rule's own sentences without their final stop (the reason adds its own)."""
    return rule.text_zh.rstrip("。；; "), (rule.text_en or rule.text_zh).rstrip(". ")


def _unverified(rule: Rule, outcome: str) -> tuple[str, str]:
    if rule.citation.verified or outcome != "prohibited":
        return "", ""
    return (
        "【注意：本禁止结论所依据的条款号未经离线核实】",
        " [NOTE: this prohibition rests on a clause not verified offline]",
    )


def rule_reason(
    rule: Rule,
    a: Assessment,
    attrs: Mapping[str, Any],
    *,
    label_zh: str,
    label_en: str,
    metric_zh: str,
    metric_en: str,
) -> tuple[str, str]:
    """Return the reason for one rule that fired on a zone hit: (Chinese, English)."""
    return _reason(rule, a, attrs, f"{label_zh}（{metric_zh}）", f"{label_en} ({metric_en})")


def area_rule_reason(
    rule: Rule, a: Assessment, attrs: Mapping[str, Any], where: str
) -> tuple[str, str]:
    """Return the reason for a rule that needs no layer (a jurisdiction-wide ban)."""
    area = rule.jurisdiction_name or "全国"
    return _reason(
        rule,
        a,
        attrs,
        f"场址位于{where}，属{area}，该规定全域适用",
        f"the site lies in {where}, part of {area}, where the rule applies everywhere",
    )


def outside_rule_reason(
    rule: Rule, a: Assessment, attrs: Mapping[str, Any], zone_zh: str, zone_en: str
) -> tuple[str, str]:
    """Return the reason for a rule that fires when the site is not inside a zone."""
    return _reason(
        rule, a, attrs, f"场址不在任何{zone_zh}内", f"the site is not inside any {zone_en}"
    )


def _reason(
    rule: Rule, a: Assessment, attrs: Mapping[str, Any], where_zh: str, where_en: str
) -> tuple[str, str]:
    """Return (Chinese, English): the outcome, where the site is, the rule, its citation."""
    outcome = a.outcome or rule.outcome
    tail_zh, tail_en = _tail(rule, a, attrs)
    warn_zh, warn_en = _unverified(rule, outcome)
    text_zh, text_en = _texts(rule)
    zh = (
        f"{OUTCOME_ZH[outcome]}：{where_zh}——〔{rule.id}〕{text_zh}{tail_zh}。"
        f"{rule.citation.text_zh()}{warn_zh}"
    )
    en = f"{outcome}: {where_en} — {rule.id}: {text_en}{tail_en} [{rule.citation.text()}]{warn_en}"
    return zh, en


def check_text(rule: Rule, outcome: str) -> str:
    """Evidence line for a rule whose jurisdiction cannot be told for the site."""
    area = rule.jurisdiction_name or rule.jurisdiction
    return (
        f"若场址位于{area}（{rule.jurisdiction}）则适用〔{rule.id}〕（{OUTCOME_ZH[outcome]}）："
        f"{rule.text_zh} / If the site lies in {area} ({rule.jurisdiction}), {rule.id} applies "
        f"({outcome}): {rule.text_en or rule.text_zh} [{rule.citation.text()}]"
    )
