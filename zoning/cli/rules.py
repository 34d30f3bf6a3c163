"""``zoning rules``: list and show the siting rules, with their citations and quoted texts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from zoning.cli.options import json_option, rulepack_option

__all__ = ["rules"]


def _packs(extra: tuple[Path, ...]) -> list[Any]:
    from zoning.rules import BUILTIN_PACKS, load_rulepacks

    return load_rulepacks([*BUILTIN_PACKS, *extra]) if extra else load_rulepacks()


@click.group()
def rules() -> None:
    """Siting rules of the rule packs (national, Shanxi, and any --rulepack)."""


@rules.command("list")
@click.option("--type", "-t", "type_id", default=None, help="Only rules about this project type.")
@click.option(
    "--kind", "-k", default=None, help="Only rules on this layer kind ('none': no layer)."
)
@click.option(
    "--jurisdiction",
    "-j",
    default=None,
    help="Only rules binding this administrative code (e.g. 140902: national, Shanxi, Xinzhou).",
)
@json_option(help="Print JSON on stdout.")
@rulepack_option
def list_rules(
    type_id: str | None,
    kind: str | None,
    jurisdiction: str | None,
    as_json: bool,
    rulepacks: tuple[Path, ...],
) -> None:
    """List the rules: id, area bound, layer and zones, project types, outcome, citation."""
    from zoning.errors import ZoningUsageError
    from zoning.kinds import KIND_IDS
    from zoning.projects import get_project_type
    from zoning.rules import normalise_jurisdiction

    pt = get_project_type(type_id) if type_id else None
    if kind is not None and kind not in (*KIND_IDS, "none"):
        raise ZoningUsageError(f"--kind {kind!r}: unknown; expected one of {[*KIND_IDS, 'none']}")
    code = None
    if jurisdiction is not None:
        try:
            code = normalise_jurisdiction(jurisdiction)
        except ValueError as exc:
            raise ZoningUsageError(f"--jurisdiction: {exc}") from None
    picked = []
    for pack in _packs(rulepacks):
        for rule in pack.rules:
            if pt is not None and not rule.covers_type(pt):
                continue
            if kind is not None and (rule.kind or "none") != kind:
                continue
            if code is not None and rule.binds([code] if code else None) is not True:
                continue
            picked.append(rule)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in picked], ensure_ascii=False, indent=2))
        return
    for r in picked:
        where = r.jurisdiction_name or "全国 / national"
        layer = f"{r.kind}/{','.join(r.zones)}" if r.kind else "no layer (applies everywhere)"
        if r.outside:
            layer = f"outside {layer}"
        if r.buffer_m:
            layer += f" +{r.buffer_m:g} m"
        types = ", ".join([*r.project_types, *r.categories])
        if r.exclude_types or r.exclude_categories:
            types += " − " + ", ".join([*r.exclude_types, *r.exclude_categories])
        click.echo(f"{r.id} [{r.outcome}] {where} · {layer} · {types}")
        click.echo(f"    {r.text_zh}")
        click.echo(f"    {r.citation.text_zh()}")
    click.echo(f"{len(picked)} rule(s)")


@rules.command("show")
@click.argument("rule_id")
@json_option(help="Print JSON on stdout.")
@rulepack_option
def show_rule(rule_id: str, as_json: bool, rulepacks: tuple[Path, ...]) -> None:
    """Show one rule in full: scope, conditions, exceptions, evidence, citation and quote."""
    import difflib

    from zoning.errors import ZoningUsageError

    by_id = {r.id: r for p in _packs(rulepacks) for r in p.rules}
    rule = by_id.get(rule_id) or by_id.get(rule_id.upper())
    if rule is None:
        close = difflib.get_close_matches(rule_id.upper(), list(by_id), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise ZoningUsageError(
            f"unknown rule {rule_id!r}; {hint}fix: see `zoning rules list` for the ids"
        )
    d = rule.to_dict()
    if as_json:
        click.echo(json.dumps(d, ensure_ascii=False, indent=2))
        return
    c = rule.citation
    lines = [
        f"{rule.id} ({rule.pack} pack): {rule.outcome}",
        f"  binds: {rule.jurisdiction_name or '全国 / national'} ({d['jurisdiction']})",
        "  layer: "
        + (
            f"{'outside ' if rule.outside else ''}{rule.kind} zones {', '.join(rule.zones)}"
            + (f", buffer {rule.buffer_m:g} m" if rule.buffer_m else "")
            if rule.kind
            else "none (applies to every site of its area)"
        ),
        f"  project types: {', '.join(rule.project_types) or '—'}; "
        f"categories: {', '.join(rule.categories) or '—'}",
    ]
    if rule.exclude_types or rule.exclude_categories:
        lines.append(f"  except: {', '.join([*rule.exclude_types, *rule.exclude_categories])}")
    if rule.names:
        lines.append(f"  features named: {', '.join(rule.names)}")
    lines += [f"  {rule.text_zh}", f"  {rule.text_en}"]
    for cond in d["conditions"]:
        lines.append(f"  condition: {cond} (missing: {rule.on_missing})")
    for e in rule.exceptions:
        lines.append(
            f"  exception: {e.condition.describe()} → {e.outcome}: {e.text_zh} / {e.text_en}"
        )
    for e in rule.evidence_required:
        lines.append(f"  [ ] {e}")
    lines += [
        f"  document: {c.title()}",
        f"  article: {c.article or '—'}",
        f"  quote: “{c.quote_zh}”" if c.quote_zh else "  quote: —",
        f"  seed: {c.seed_file}:L{c.line}" if c.seed_file else "  seed: —",
        "  verified: "
        + (f"yes ({c.verified_against})" if c.verified else "NO — clause not verified offline"),
    ]
    if c.note:
        lines.append(f"  citation note: {c.note}")
    if rule.note:
        lines.append(f"  note: {rule.note}")
    click.echo("\n".join(lines))
