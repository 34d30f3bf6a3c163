"""The screening result as data: the JSON document, the per-site CSV summary.

:func:`to_dict` builds the JSON document of ``zoning screen --json`` once per
result; :func:`screening_document` adds the ranking and makes it strict JSON
(:func:`zoning.io.jsondoc.finite_json`), and :func:`screening_json` is its text — the one function the command
line, ``result.json`` and the web API (:mod:`zoning.serve.screen_job`) all go through.
:func:`to_csv` writes ``summary.csv`` with the control units' access lists. The HTML and Word
reports (:mod:`zoning.screening.html`, :mod:`zoning.screening.docx`) read the same document.
"""

from __future__ import annotations

import json
import math
import os
from typing import TYPE_CHECKING, Any

import pandas as pd

from zoning.io.jsondoc import finite_json, json_text
from zoning.labels import DISCLAIMER_EN_FIRST as DISCLAIMER
from zoning.screening.index import unit_access_list
from zoning.screening.reasons import OUTCOME_ZH
from zoning.screening.records import frame_records

if TYPE_CHECKING:
    from zoning.screening.result import ScreeningResult

__all__ = [
    "DISCLAIMER",
    "screening_document",
    "screening_json",
    "to_csv",
    "to_dict",
    "to_json",
]


def _num(x: Any, nd: int = 2) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), nd)


def to_dict(result: ScreeningResult) -> dict[str, Any]:
    """Return the JSON document of ``zoning screen --json`` as a dictionary (plus extra fields).

    Built once: ``result.json``, the report and the command line all ask for it. The
    top-level fields that callers change afterwards (warnings, attrs, parameters) are
    taken fresh on every call; the per-site part is shared, do not modify it.
    """
    doc = result.__dict__.get("_doc_cache")
    if doc is None:
        doc = result.__dict__["_doc_cache"] = _to_dict_fresh(result)
    return {
        **doc,
        "attrs": result.attrs,
        "parameters": result.parameters,
        "warnings": result.warnings,
    }


def _to_dict_fresh(result: ScreeningResult) -> dict[str, Any]:
    out_sites = []
    # the sites' rows as plain dicts (frame_records: to_dict("records") without pandas' row access)
    for i, row in enumerate(frame_records(result.sites)):
        trig, nearby, bl, nn = result.site_rows(i)
        full = result.explanation(i)
        hits = []
        for h in trig:
            # pandas 3 stores the rule ids as strings: a hit no rule covers has NaN, not None
            h["rule_id"] = h["rule_id"] if isinstance(h["rule_id"], str) else None
            cit = result.rule(h["rule_id"]).citation.to_dict() if h["rule_id"] else None
            reason_zh, reason_en = result.hit_reason(h)
            hits.append(
                {
                    "layer_kind": h["layer_kind"],
                    "zone": h["zone"],
                    "feature_id": str(h["feature_id"]),
                    "name": None if pd.isna(h["name"]) else str(h["name"]),
                    "overlap_area_m2": _num(h["overlap_area_m2"]),
                    "overlap_length_m": _num(h["overlap_length_m"]),
                    "inside": bool(h["inside"]),
                    "distance_m": _num(h["distance_m"]),
                    "outcome": h["outcome"],
                    "rule_id": h["rule_id"],
                    "citation": cit,
                    "rule_ids": list(h["rule_ids"]),
                    "intersects": bool(h["intersects"]),
                    "crossings": int(h["crossings"]),
                    "boundary_distance_m": _num(result.boundary_distance(h)),
                    "share_of_site": _num(h["share_of_site"], 4),
                    "share_of_zone": _num(h["share_of_zone"], 6),
                    "near_boundary": bool(h["near_boundary"]),
                    "reason_zh": reason_zh,
                    "reason_en": reason_en,
                    "jurisdiction_checks": list(h.get("checks") or []),
                }
            )
            if h["layer_kind"] == "control_unit":
                hits[-1]["access_list"] = unit_access_list(result.index, h["feature_idx"])
        out_sites.append(
            {
                "site_id": row["site_id"],
                "geometry_type": row["geometry_type"],
                "verdict": row["verdict"],
                "verdict_zh": OUTCOME_ZH[row["verdict"]],
                "hits": hits,
                "by_layer": [
                    {
                        "layer_kind": b["layer_kind"],
                        "zone": b["zone"],
                        "overlap_area_m2": _num(b["overlap_area_m2"]),
                        "overlap_length_m": _num(b["overlap_length_m"]),
                        "share_of_site": _num(b["share_of_site"], 4),
                        "inside": bool(b["inside"]),
                        "n_features": int(b["n_features"]),
                    }
                    for b in bl
                ],
                "reasons": full["reasons"],
                "reasons_zh": full["reasons_zh"],
                "reasons_en": full["reasons_en"],
                # the deciding (strictest) reason, in each language
                "reason_zh": full["reasons_zh"][0] if full["reasons_zh"] else None,
                "reason_en": full["reasons_en"][0] if full["reasons_en"] else None,
                "evidence_required": full["evidence_required"],
                "questions": full["questions"],
                "jurisdiction": {
                    "codes": list(result.jurisdictions.codes[i] or [])
                    if result.jurisdictions
                    else [],
                    "source": result.jurisdictions.source if result.jurisdictions else "unknown",
                    "text": result.jurisdiction_text(i),
                },
                "area_rules": _area_rule_records(result, i),
                "missing_layers": list(result.missing_layers[i]) if result.missing_layers else [],
                "nearby": [
                    {
                        "layer_kind": h["layer_kind"],
                        "zone": h["zone"],
                        "feature_id": str(h["feature_id"]),
                        "name": None if pd.isna(h["name"]) else str(h["name"]),
                        "distance_m": _num(h["distance_m"]),
                        "jurisdiction_checks": list(h.get("checks") or []),
                    }
                    for h in nearby
                ],
                "nearest": [
                    {
                        "layer_kind": n["layer_kind"],
                        "zone": n["zone"],
                        "feature_id": str(n["feature_id"]),
                        "name": None if pd.isna(n["name"]) else str(n["name"]),
                        "distance_m": _num(n["distance_m"]),
                    }
                    for n in nn
                ],
                "covered": bool(row["covered"]),
                "near_boundary": bool(row["near_boundary"]),
                "site_area_m2": _num(row["site_area_m2"]),
                "site_length_m": _num(row["site_length_m"]),
                "gk_epsg": int(row["gk_epsg"]),
                "repaired": bool(row["repair"]),
                "repair": row["repair"] or None,
            }
        )
    return {
        "project_type": result.project_type.id,
        "project_type_info": result.project_type.to_dict(),
        "attrs": result.attrs,
        "catalog": result.provenance,
        "rulepacks": [p.provenance() for p in result.packs],
        "parameters": result.parameters,
        "warnings": result.warnings,
        "disclaimer": DISCLAIMER,
        "sites": out_sites,
    }


def to_json(result: ScreeningResult, *, indent: int | None = 2) -> str:
    """Return the JSON document of ``zoning screen --json`` as UTF-8 text."""
    return json.dumps(to_dict(result), ensure_ascii=False, indent=indent, default=str)


def _area_rule_records(result: ScreeningResult, i: int) -> list[dict[str, Any]]:
    out = []
    for row in result.area_rows(i):
        rule = result.rule(row["rule_id"])
        out.append(
            {
                "rule_id": rule.id,
                "kind": rule.kind or None,
                "outside": rule.outside,
                "outcome": row["outcome"],
                "status": row["status"],
                "jurisdiction": rule.jurisdiction or "CN",
                "jurisdiction_name": rule.jurisdiction_name,
                "citation": rule.citation.to_dict(),
            }
        )
    return out


def _with_access_columns(result: ScreeningResult, summary: pd.DataFrame) -> pd.DataFrame:
    """Add the site's control unit(s) and their access list to the per-site summary.

    One column per dimension (``access_spatial_layout`` …); texts of several units are
    prefixed by unit.
    """
    from zoning.access_list import DIMENSIONS

    units: list[str] = []
    columns: dict[str, list[str]] = {f"access_{d}": [] for d in DIMENSIONS}
    for i in range(len(result.sites)):
        trig, *_ = result.site_rows(i)
        hits = [h for h in trig if h["layer_kind"] == "control_unit" and bool(h["intersects"])]
        ids = list(dict.fromkeys(str(h["feature_id"]) for h in hits))
        lists = {
            str(h["feature_id"]): unit_access_list(result.index, h["feature_idx"]) or {}
            for h in hits
        }
        units.append(";".join(ids))
        for d in DIMENSIONS:
            texts = [(u, lists[u][d]) for u in ids if d in lists[u]]
            cell = texts[0][1] if len(texts) == 1 and len(ids) == 1 else ""
            if len(ids) > 1:
                cell = " | ".join(f"[{u}] {t}" for u, t in texts)
            columns[f"access_{d}"].append(cell)
    return summary.assign(control_unit=units, **columns)


def to_csv(result: ScreeningResult, path: str | os.PathLike[str] | None = None) -> str:
    """Return (and optionally write, atomically) the per-site CSV summary."""
    text = _with_access_columns(result, result.summary()).to_csv(index=False)
    if path is not None:  # in the CSV encoding of every output (zoning.io.tables)
        from zoning.io import atomic_write_bytes
        from zoning.io.tables import csv_encoding

        atomic_write_bytes(path, text.encode(csv_encoding()), overwrite=True)
    return text


def screening_document(result: ScreeningResult, *, compare: bool = False) -> dict[str, Any]:
    """Return the JSON document of ``zoning screen --json`` (with ``ranking`` when ``compare``).

    Non-finite numbers are ``None`` (JSON ``null``): the document is strict JSON wherever it is
    written (the CLI, ``result.json``, the web API).

    Parameters
    ----------
    result : ScreeningResult
        The screening.
    compare : bool, default False
        Add ``ranking``, the sites ranked as alternatives (:meth:`ScreeningResult.compare`).

    Returns
    -------
    dict
        The document.
    """
    doc = to_dict(result)
    if compare:
        ranking = result.compare()
        doc["ranking"] = json.loads(ranking.to_json(orient="records", force_ascii=False))
    out: dict[str, Any] = finite_json(doc)
    return out


def screening_json(result: ScreeningResult, *, compare: bool = False) -> str:
    """Return the text of :func:`screening_document` (UTF-8, indented, strict JSON).

    Parameters
    ----------
    result : ScreeningResult
        The screening.
    compare : bool, default False
        Add ``ranking``.

    Returns
    -------
    str
        The JSON text, as ``zoning screen --json`` prints it and ``result.json`` holds it.
    """
    return json_text(screening_document(result, compare=compare))
