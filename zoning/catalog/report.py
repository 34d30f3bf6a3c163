"""Reports on a catalogue's layers (what ``zoning layers check`` prints)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from zoning.catalog.model import Catalog

__all__ = ["catalog_report"]


def catalog_report(catalog: Catalog) -> dict[str, Any]:
    """Check every layer and summarise it.

    Per layer: kind, features, CRS, area or length, validity, repairs, zones found and
    problems.

    Areas are measured in the Albers equal-area projection on the dissolved layer, so
    overlapping features count once; line layers report their length in km.

    Parameters
    ----------
    catalog : Catalog

    Returns
    -------
    dict
        ``{"name", "path", "illustrative", "layers": [...]}`` (JSON-able).
    """
    import shapely

    from zoning.crs import ALBERS_CHINA, project

    rows = []
    for loaded in catalog.check():
        frame = loaded.frame
        area = length = None
        if len(frame) and frame.crs is not None:
            proj = project(frame, ALBERS_CHINA).geometry
            kinds = set(proj.geom_type)
            if kinds & {"Polygon", "MultiPolygon"}:
                if loaded.entry.kind == "admin_unit" and "level" in frame.columns:
                    proj = proj[(frame["level"] == frame["level"].iloc[0]).to_numpy()]
                area = float(shapely.area(shapely.union_all(proj.to_numpy())) / 1e6)
            elif kinds & {"LineString", "MultiLineString"}:
                length = float(np.sum(shapely.length(proj.to_numpy())) / 1e3)
        zones = (
            frame["zone"].value_counts().sort_index().to_dict() if "zone" in frame.columns else {}
        )
        rows.append(
            {
                "name": loaded.entry.name,
                "kind": loaded.entry.kind,
                "path": str(loaded.entry.path),
                "layer": loaded.entry.layer,
                "features": len(frame),
                "crs": loaded.crs_found,
                "area_km2": area,
                "length_km": length,
                "repaired": int((loaded.repairs["action"] == "make_valid").sum())
                if len(loaded.repairs)
                else 0,
                "repairs": json.loads(loaded.repairs.to_json(orient="records", force_ascii=False))
                if len(loaded.repairs)
                else [],
                "zones": {str(k): int(v) for k, v in zones.items()},
                "illustrative": loaded.entry.illustrative,
                "source": loaded.entry.source,
                "licence": loaded.entry.licence,
                "ok": all(p.severity != "error" for p in loaded.problems),
                "problems": [p.to_dict() for p in loaded.problems],
            }
        )
    return {
        "name": catalog.name,
        "path": str(catalog.path),
        "illustrative": catalog.is_illustrative,
        "layers": rows,
        "near_duplicates": _near_duplicates(catalog, rows),
    }


def _near_duplicates(catalog: Catalog, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Near-coincident features across the layers of each polygon kind (warnings)."""
    from zoning.crs import ALBERS_CHINA
    from zoning.validation import near_duplicate_problems

    # admin units overlap by design (a province holds its cities and counties)
    usable = {
        r["kind"]
        for r in rows
        if r["ok"] and r["area_km2"] is not None and r["kind"] != "admin_unit"
    }
    problems = []
    for kind in sorted(usable):
        problems += near_duplicate_problems(kind, catalog.frame(kind, crs=ALBERS_CHINA))
    return [p.to_dict() for p in problems]
