"""The project types the page offers: names, categories and the attributes that matter.

An attribute is listed for a type when a rule of the bundled packs that covers the type has a
condition on it, i.e. when its value can change the outcome for that type; the page asks for
those only.
"""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["outcome_attributes", "project_types_document"]


def outcome_attributes(type_id: str) -> list[str]:
    """Ids of the attributes that rules of the bundled packs test for project type ``type_id``.

    Examples
    --------
    >>> "necessary_and_unavoidable" in outcome_attributes("road")
    True
    """
    from zoning.projects import get_project_type
    from zoning.rules import load_rulepacks

    pt = get_project_type(type_id)
    seen: dict[str, None] = {}
    for pack in load_rulepacks():
        for rule in pack.rules:
            if rule.covers_type(pt):
                for cond in rule.conditions:
                    seen.setdefault(cond.attr)
    return list(seen)


@cache
def project_types_document() -> dict[str, Any]:
    """The document of ``GET /api/types``: every type with its categories and attributes."""
    from zoning.projects import attribute_specs, categories, project_types

    cats, specs = categories(), attribute_specs()
    types = []
    for pt in project_types().values():
        attrs = []
        for aid in outcome_attributes(pt.id):
            spec = specs[aid]
            attrs.append(
                {
                    "id": aid,
                    "type": spec.type,
                    "choices": list(spec.choices),
                    "unit": spec.unit,
                    "question_zh": spec.question_zh,
                    "question_en": spec.question_en,
                    "default": pt.defaults.get(aid),
                }
            )
        types.append(
            {
                "id": pt.id,
                "name_zh": pt.name_zh,
                "name_en": pt.name_en,
                "aliases": list(pt.aliases),
                "categories": [
                    {"id": c, "name_zh": cats[c].name_zh, "name_en": cats[c].name_en}
                    for c in pt.categories
                ],
                "attributes": attrs,
            }
        )
    return {"types": types}
