"""``zoning types``: the project types screening knows, and the attributes that change outcomes."""

from __future__ import annotations

import json

import click

from zoning.cli.options import json_option

__all__ = ["types_command"]


@click.command("types")
@json_option(help="Print JSON on stdout.")
def types_command(as_json: bool) -> None:
    """List the project types (id, Chinese and English names, categories) and the attributes
    that change their outcomes (--attr KEY=VALUE on `zoning screen`), with defaults.
    """  # noqa: D205 (the docstring is click's --help text: a blank line would split its first paragraph)
    from zoning.type_guide import type_rows

    rows = type_rows()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        click.echo(f"{r['id']:<{width}}  {r['name_zh']} / {r['name_en']}")
        click.echo(f"{'':<{width}}  categories: {', '.join(c['id'] for c in r['categories'])}")
        for a in r["attributes"]:
            default = "—" if a["default"] is None else a["default"]
            kinds = "|".join(a["choices"]) if a["choices"] else a["type"]
            click.echo(
                f"{'':<{width}}  --attr {a['id']}=<{kinds}> (default {default}; "
                f"rules {', '.join(a['rules'])})"
            )
