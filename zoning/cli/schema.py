"""``zoning schema NAME``: the JSON Schema of a TOML file type, for editors."""

from __future__ import annotations

import json

import click

from zoning.spec import DECLARATIONS, json_schema

__all__ = ["schema_command", "schema_text"]


def schema_text(name: str) -> str:
    """Return the JSON Schema of the file type ``name`` as text (as ``docs/schema/NAME.json``).

    Parameters
    ----------
    name : str
        One of :data:`zoning.spec.DECLARATIONS` (``catalog``, ``scenario``, ``restoration`` …).

    Returns
    -------
    str
        Indented JSON, UTF-8 characters kept, with a final newline.
    """
    doc = json_schema(DECLARATIONS[name], f"zoning {name} TOML")
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


@click.command("schema")
@click.argument("name", type=click.Choice(sorted(DECLARATIONS)))
def schema_command(name: str) -> None:
    """Print the JSON Schema of a TOML file type (catalog, scenario, restoration, rulepack …).

    Editors that validate TOML with JSON Schema (e.g. Taplo, "Even Better TOML" in VS Code)
    then flag wrong keys and types as you type. The same schemas are in docs/schema/.
    """
    click.echo(schema_text(name), nl=False)
