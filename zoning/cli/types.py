"""``zoning types``: the project types screening knows, and the attributes that change outcomes."""

from __future__ import annotations

import json

import click

__all__ = ["types_command"]


def type_rows() -> list[dict]:
    """One row per project type: names, categories, aliases, and the attributes some rule for
    the type tests (conditions and exceptions), with the type's default value."""
    from zoning.projects import attribute_specs, project_types
    from zoning.rules import load_rulepacks

    specs = attribute_specs()
    packs = load_rulepacks()
    rows = []
    for pt in project_types().values():
        used: dict[str, list[str]] = {}
        for pack in packs:
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
                "categories": list(pt.categories),
                "aliases": list(pt.aliases),
                "attributes": [
                    {
                        "id": a,
                        "type": specs[a].type,
                        "choices": list(specs[a].choices),
                        "default": pt.defaults.get(a),
                        "question_zh": specs[a].question_zh,
                        "question_en": specs[a].question_en,
                        "rules": list(dict.fromkeys(rids)),
                    }
                    for a, rids in sorted(used.items())
                ],
            }
        )
    return rows


@click.command("types")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def types_command(as_json: bool) -> None:
    """List the project types (id, Chinese and English names, categories) and the attributes
    that change their outcomes (--attr KEY=VALUE on `zoning screen`), with defaults."""
    rows = type_rows()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        click.echo(f"{r['id']:<{width}}  {r['name_zh']} / {r['name_en']}")
        click.echo(f"{'':<{width}}  categories: {', '.join(r['categories'])}")
        for a in r["attributes"]:
            default = "—" if a["default"] is None else a["default"]
            kinds = "|".join(a["choices"]) if a["choices"] else a["type"]
            click.echo(
                f"{'':<{width}}  --attr {a['id']}=<{kinds}> (default {default}; "
                f"rules {', '.join(a['rules'])})"
            )
