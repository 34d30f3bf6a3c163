"""Project types as users choose them: names, categories, and the attributes that change outcomes.

One description serves ``zoning types --json`` and the web page's ``GET /api/types``. An
attribute is listed for a type when a rule of the loaded packs that covers the type tests it
(a condition or an exception), i.e. when its value can change the outcome; the page asks for
those only.

Examples
--------
>>> rows = {r["id"]: r for r in type_rows()}
>>> "necessary_and_unavoidable" in [a["id"] for a in rows["road"]["attributes"]]
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["type_rows"]


def type_rows(packs: Sequence[Any] | None = None) -> list[dict[str, Any]]:
    """Return one row per project type.

    Each row has the id, names, aliases, categories (with their names) and the attributes
    some rule for the type tests, with the type's default and the rules testing it.

    Parameters
    ----------
    packs : sequence of RulePack, optional
        Default: the bundled packs.
    """
    from zoning.projects import attribute_specs, categories, project_types
    from zoning.rules import load_rulepacks

    specs, cats = attribute_specs(), categories()
    loaded = list(packs) if packs is not None else load_rulepacks()
    rows = []
    for pt in project_types().values():
        used: dict[str, list[str]] = {}
        for pack in loaded:
            for rule in pack.rules:
                if not rule.covers_type(pt):
                    continue
                attrs = [c.attr for c in rule.conditions]
                attrs += [e.condition.attr for e in rule.exceptions]
                for a in attrs:
                    used.setdefault(a, []).append(rule.id)
        rows.append(
            {
                "id": pt.id,
                "name_zh": pt.name_zh,
                "name_en": pt.name_en,
                "aliases": list(pt.aliases),
                "categories": [
                    {"id": c, "name_zh": cats[c].name_zh, "name_en": cats[c].name_en}
                    for c in pt.categories
                ],
                "attributes": [
                    {
                        "id": a,
                        "type": specs[a].type,
                        "choices": list(specs[a].choices),
                        "unit": specs[a].unit,
                        "default": pt.defaults.get(a),
                        "question_zh": specs[a].question_zh,
                        "question_en": specs[a].question_en,
                        "rules": list(dict.fromkeys(rids)),
                    }
                    for a, rids in used.items()
                ],
            }
        )
    return rows
