"""Read and validate rule packs (TOML) into :class:`~zoning.rules.model.RulePack` values.

Packs are validated on load against :mod:`zoning.kinds` and :mod:`zoning.projects` (types, NaN
and infinity included); every problem is collected into one
:class:`~zoning.errors.RulePackError`. The format is described in ``docs/rulepacks.md``; the
bundled packs are read from :mod:`zoning.specs`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from os import PathLike
from pathlib import Path
from typing import Any

from zoning.errors import InputFileError, Problem, RulePackError
from zoning.rules.model import (
    BUILTIN_PACKS,
    ON_MISSING,
    OPERATORS,
    OUTCOMES,
    Citation,
    Condition,
    Rule,
    RuleException,
    RulePack,
    normalise_jurisdiction,
)
from zoning.spec.files import RULEPACK
from zoning.spec.reading import is_nonfinite, leaf_paths, parse_toml
from zoning.spec.schema import Table
from zoning.specs import spec_path

__all__ = ["load_rulepack", "load_rulepacks", "validate_rulepack"]


def _as_tuple(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)  # type: ignore[attr-defined]


def _as_date(value: object, where: str, problems: list[Problem]) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(
            Problem("bad_date", f"{where}: date {value!r} is not ISO (expected YYYY-MM-DD)")
        )
        return None


class _Fields:
    """Typed access to one table of a rule pack, collecting a problem per wrong value."""

    def __init__(self, table: Mapping[str, Any], where: str, rid: str, problems: list[Problem]):
        self.table, self.where, self.rid, self.problems = table, where, rid, problems

    def bad(self, code: str, msg: str) -> None:
        self.problems.append(Problem(code, f"{self.where}: {msg}", rows=(self.rid,)))

    def text(self, key: str, default: str = "") -> str:
        value = self.table.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str):
            self.bad("bad_type", f"{key} = {value!r} is a {type(value).__name__}; expected text")
            return default
        return value

    def texts(self, key: str, default: Any = None) -> tuple[str, ...]:
        value = self.table.get(key, default)
        if value is None or value == "":
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        self.bad(
            "bad_type", f"{key} = {value!r}; expected text or a list of texts, e.g. {key} = ['a']"
        )
        return ()

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            self.bad("bad_type", f"{key} = {value!r}; expected true or false (no quotes)")
            return default
        return value


def _keys(field: object) -> tuple[str, ...]:
    """Return the keys a table of :data:`~zoning.spec.files.RULEPACK` declares, sorted."""
    assert isinstance(field, Table)
    return tuple(sorted(field.keys()))


_RULEPACK: Any = RULEPACK  # the declaration's nested fields (lists hold ``item``)
#: the keys each table of a rule pack may have (the one declaration: zoning.spec.files)
_TOP_KEYS = _keys(RULEPACK)
_PACK_KEYS = _keys(_RULEPACK.fields["pack"])
_CITATION_KEYS = _keys(_RULEPACK.fields["citations"].extra)
_RULE_KEYS = _keys(_RULEPACK.fields["rules"].item)
_CONDITION_KEYS = _keys(_RULEPACK.fields["rules"].item.fields["conditions"].item)
_EXCEPTION_KEYS = _keys(_RULEPACK.fields["rules"].item.fields["exceptions"].item)


def _unknown_keys(
    table: Mapping[str, Any], known: tuple[str, ...], where: str, rid: str, problems: list[Problem]
) -> None:
    """Report every key of ``table`` that the format does not have.

    A misspelt key must not be ignored: ``jurisdicton`` would make a city's rule bind the whole
    province, ``exceptons`` would drop its exceptions, ``conditons`` would make it unconditional.
    """
    for key in table:
        if key in known:
            continue
        near = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f"did you mean {near[0]!r}? " if near else ""
        problems.append(
            Problem(
                "unknown_key",
                f"{where}: unknown key {key!r}; {hint}expected one of {list(known)} "
                "(a misspelt key is refused, not ignored: it would change what the rule does)",
                rows=(rid,),
            )
        )


def validate_rulepack(data: Mapping[str, Any], *, source: str = "<memory>") -> list[Problem]:
    """Return every problem of a parsed rule-pack document (empty list when valid).

    Checks: the ``[pack]`` table; per rule, a unique id, a known layer kind (or none, for a
    jurisdiction-wide rule), zones of that kind, known project types, categories and
    attributes, a known outcome, a finite non-negative buffer, a citation (inline or from the
    ``[citations]`` register) with a document, a jurisdiction code, ISO dates, value types,
    and no NaN or infinity anywhere.
    """
    problems: list[Problem] = []
    _parse(data, source=source, problems=problems)
    return problems


def _parse_condition(
    c: object, f: _Fields, attrs: Mapping[str, Any], what: str = "condition"
) -> Condition | None:
    if not isinstance(c, Mapping):
        f.bad("bad_type", f"{what} {c!r} is not a table; expected {{ attr = ..., value = ... }}")
        return None
    a, op = c.get("attr", ""), c.get("op", "eq")
    if not isinstance(a, str) or a not in attrs:
        f.bad("unknown_attribute", f"{what} on unknown attribute {a!r}")
        return None
    if not isinstance(op, str) or op not in OPERATORS:
        f.bad("bad_operator", f"operator {op!r}; expected one of {list(OPERATORS)}")
        return None
    value = c.get("value", True if attrs[a].type == "bool" else None)
    if op == "in" and not isinstance(value, list):
        f.bad("bad_condition_value", f"{what} {a} in {value!r}: expected a list")
        return None
    try:
        values = value if op == "in" else [value]
        coerced = []
        for v in values:
            if isinstance(v, Mapping | list) or v is None:
                raise ValueError(f"{what} {a}: value {v!r} is not a single value")
            if attrs[a].type != "bool" and isinstance(v, bool):
                raise ValueError(f"{what} {a}: value {v!r} is a boolean; expected {attrs[a].type}")
            cv = attrs[a].coerce(v)
            if isinstance(cv, float) and not math.isfinite(cv):
                raise ValueError(f"{what} {a}: value {v!r} is not a finite number")
            coerced.append(cv)
    except Exception as exc:
        f.bad("bad_condition_value", str(exc))
        return None
    return Condition(a, op, coerced if op == "in" else coerced[0])


def _parse_citation(
    raw: object, f: _Fields, register: Mapping[str, Citation], cid: str = ""
) -> Citation | None:
    if isinstance(raw, str):
        if raw not in register:
            f.bad(
                "unknown_citation",
                f"citation {raw!r} is not in the [citations] register; expected one of "
                f"{sorted(register)[:8]}{' …' if len(register) > 8 else ''}",
            )
            return None
        return register[raw]
    if not isinstance(raw, Mapping) or not raw.get("document"):
        f.bad("no_citation", "has no citation.document (or a citation id of the register)")
        return None
    c = _Fields(raw, f.where + " citation", f.rid, f.problems)
    line = raw.get("line", "")
    if not isinstance(line, str | int) or isinstance(line, bool):
        c.bad("bad_type", f"line = {line!r}; expected a line number or range such as '391-393'")
        line = ""
    return Citation(
        document=c.text("document"),
        article=c.text("article"),
        seed_file=c.text("seed_file"),
        line=str(line),
        verified=c.boolean("verified"),
        url=c.text("url"),
        doc_no=c.text("doc_no"),
        quote_zh=c.text("quote_zh"),
        id=cid,
        verified_against=c.text("verified_against"),
        note=c.text("note"),
    )


def _parse(data: Mapping[str, Any], *, source: str, problems: list[Problem]) -> RulePack | None:
    from zoning.kinds import KIND_IDS, get_kind
    from zoning.projects import attribute_specs, categories, project_types

    types, cats, attrs = project_types(), categories(), attribute_specs()
    for path, _ in leaf_paths(data, is_nonfinite, first=0):
        problems.append(
            Problem("non_finite", f"{source}: {path} is NaN or infinite; expected a finite number")
        )
    _unknown_keys(data, _TOP_KEYS, source, "pack", problems)
    head = data.get("pack")
    if isinstance(head, Mapping):
        _unknown_keys(head, _PACK_KEYS, f"{source}: [pack]", "pack", problems)
    else:
        problems.append(
            Problem("no_pack_table", f"{source}: no [pack] table; expected id and version")
        )
        head = {}
    hf = _Fields(head, f"{source}: [pack]", "pack", problems)
    for key in ("id", "version"):
        if not head.get(key):
            problems.append(Problem("pack_field", f"{source}: [pack] has no {key!r}"))
    pack_id = hf.text("id", "?") or "?"
    version = head.get("version", "")
    if not isinstance(version, str | int | float) or isinstance(version, bool):
        hf.bad("bad_type", f"version = {version!r}; expected text such as '2026.11.1'")
    try:
        pack_jur = normalise_jurisdiction(head.get("jurisdiction", ""))
    except ValueError as exc:
        hf.bad("bad_jurisdiction", str(exc))
        pack_jur = ""
    pack_jur_name = hf.text("jurisdiction_name")
    # the citation register: each official text quoted once, rules refer to it by id
    register: dict[str, Citation] = {}
    raw_cits = data.get("citations", {})
    if not isinstance(raw_cits, Mapping):
        problems.append(
            Problem("bad_type", f"{source}: citations = {raw_cits!r}; expected [citations.ID]")
        )
        raw_cits = {}
    for cid, raw in raw_cits.items():
        cf = _Fields({}, f"{source}: citation {cid}", str(cid), problems)
        if isinstance(raw, Mapping):
            _unknown_keys(raw, _CITATION_KEYS, cf.where, str(cid), problems)
        cit = _parse_citation(raw, cf, {}, str(cid))
        if cit is not None:
            register[str(cid)] = cit
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(Problem("no_rules", f"{source}: no [[rules]]; expected at least one"))
        raw_rules = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for n, r in enumerate(raw_rules, start=1):
        if not isinstance(r, Mapping):
            problems.append(
                Problem(
                    "bad_type",
                    f"{source}: rules[{n - 1}] = {r!r} is not a table; expected [[rules]] "
                    "tables with id, kind, zones, project_types, outcome, citation",
                )
            )
            continue
        raw_id = r.get("id", f"#{n}")
        rid = raw_id if isinstance(raw_id, str) else f"#{n}"
        where = f"{source}: rule {rid}"
        f = _Fields(r, where, rid, problems)
        bad = f.bad
        _unknown_keys(r, _RULE_KEYS, where, rid, problems)
        if isinstance(r.get("citation"), Mapping):
            _unknown_keys(r["citation"], _CITATION_KEYS, where + " citation", rid, problems)
        for key, known in (("conditions", _CONDITION_KEYS), ("exceptions", _EXCEPTION_KEYS)):
            items = r.get(key)
            for i, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, Mapping):
                    _unknown_keys(item, known, f"{where} {key}[{i}]", rid, problems)
        if "id" not in r:
            bad("rule_id", "has no id")
        elif not isinstance(raw_id, str):
            bad("bad_type", f"id = {raw_id!r}; expected text such as 'SX-RE-01'")
        elif rid in seen:
            bad("duplicate_id", "id used twice in this pack")
        seen.add(rid)
        kind = f.text("kind")
        zones = f.texts("zones", "*")
        if kind and kind not in KIND_IDS:
            bad("unknown_kind", f"unknown layer kind {kind!r}; expected one of {list(KIND_IDS)}")
        elif kind:
            known = get_kind(kind).zone_ids
            for z in zones:
                if z != "*" and z not in known:
                    bad("unknown_zone", f"unknown zone {z!r} of {kind}; expected one of {known}")
        elif "zones" in r or "buffer_m" in r or "names" in r or "outside" in r:
            bad("zones_without_kind", "has zones, names, outside or buffer_m but no kind")
        ptypes = f.texts("project_types")
        pcats = f.texts("categories")
        xtypes = f.texts("exclude_types")
        xcats = f.texts("exclude_categories")
        if not ptypes and not pcats:
            bad("no_types", "names no project_types or categories (use ['*'] for all)")
        for t in (*ptypes, *xtypes):
            if t != "*" and t not in types:
                bad("unknown_project_type", f"unknown project type {t!r}")
        for c in (*pcats, *xcats):
            if c not in cats:
                bad("unknown_category", f"unknown category {c!r}; expected one of {list(cats)}")
        outcome = f.text("outcome")
        if outcome not in OUTCOMES:
            bad("unknown_outcome", f"outcome {outcome!r}; expected one of {list(OUTCOMES)}")
        raw_buffer = r.get("buffer_m", 0.0)
        if isinstance(raw_buffer, bool) or not isinstance(raw_buffer, int | float):
            bad("bad_buffer", f"buffer_m {raw_buffer!r} is not a number; expected metres ≥ 0")
            buffer_m = 0.0
        else:
            buffer_m = float(raw_buffer)
            if not math.isfinite(buffer_m):
                buffer_m = 0.0  # reported once by the NaN scan
            elif buffer_m < 0:
                bad("bad_buffer", f"buffer_m {buffer_m} is negative; expected ≥ 0 metres")
        raw_conds = r.get("conditions", [])
        if not isinstance(raw_conds, list):
            bad("bad_type", f"conditions = {raw_conds!r}; expected a list of tables")
            raw_conds = []
        conds = [c for c in (_parse_condition(x, f, attrs) for x in raw_conds) if c]
        raw_exc = r.get("exceptions", [])
        if not isinstance(raw_exc, list):
            bad("bad_type", f"exceptions = {raw_exc!r}; expected a list of tables")
            raw_exc = []
        excs: list[RuleException] = []
        for x in raw_exc:
            cond = _parse_condition(x, f, attrs, "exception")
            if cond is None:
                continue
            xf = _Fields(x, where + " exception", rid, problems)
            x_out = xf.text("outcome", "conditional")
            x_ask = xf.text("on_missing", "skip")
            if x_ask not in ("skip", "needs_info"):
                xf.bad("bad_on_missing", f"on_missing {x_ask!r}; expected 'skip' or 'needs_info'")
            if x_out not in OUTCOMES:
                xf.bad("unknown_outcome", f"outcome {x_out!r}; expected one of {list(OUTCOMES)}")
            excs.append(
                RuleException(
                    cond,
                    x_out,
                    xf.text("text_zh"),
                    xf.text("text_en"),
                    xf.texts("evidence_required"),
                    x_ask == "needs_info",
                )
            )
        on_missing = f.text("on_missing", "needs_info")
        if on_missing not in ON_MISSING:
            bad("bad_on_missing", f"on_missing {on_missing!r}; expected one of {ON_MISSING}")
        citation = _parse_citation(r.get("citation"), f, register) or Citation("?")
        try:
            jur = normalise_jurisdiction(r["jurisdiction"]) if "jurisdiction" in r else pack_jur
        except ValueError as exc:
            bad("bad_jurisdiction", str(exc))
            jur = pack_jur
        jur_name = f.text("jurisdiction_name") or (pack_jur_name if jur == pack_jur else "")
        if jur and not jur_name:
            bad("jurisdiction_name", f"binds {jur} but has no jurisdiction_name (e.g. 忻州市)")
        rules.append(
            Rule(
                id=rid,
                pack=pack_id,
                kind=kind,
                zones=zones or ("*",),
                outcome=outcome,
                citation=citation,
                text_zh=f.text("text_zh"),
                text_en=f.text("text_en"),
                project_types=ptypes,
                categories=pcats,
                exclude_types=xtypes,
                exclude_categories=xcats,
                buffer_m=buffer_m,
                conditions=tuple(conds),
                on_missing=on_missing,
                evidence_required=f.texts("evidence_required"),
                question=f.text("question"),
                names=f.texts("names"),
                effective_from=_as_date(r.get("effective_from"), where, problems),
                effective_to=_as_date(r.get("effective_to"), where, problems),
                note=f.text("note"),
                jurisdiction=jur,
                jurisdiction_name=jur_name,
                exceptions=tuple(excs),
                outside=f.boolean("outside"),
            )
        )
    if any(p.severity == "error" for p in problems):
        return None
    return RulePack(
        id=pack_id,
        version=str(version),
        name_zh=hf.text("name_zh"),
        name_en=hf.text("name_en"),
        jurisdiction=pack_jur or "CN",
        description=hf.text("description"),
        rules=tuple(rules),
        source=source,
        citations=register,
        _by_id={r.id: r for r in rules},
    )


def load_rulepack(pack: str | PathLike[str] | Mapping[str, Any]) -> RulePack:
    """Load and validate one rule pack.

    Parameters
    ----------
    pack : str, path or mapping
        A bundled pack name (``"national"``, ``"shanxi"``), a path to a TOML file, or an
        already parsed document.

    Raises
    ------
    RulePackError
        Listing every problem found (unknown kinds, zones, project types, …).
    """
    if isinstance(pack, Mapping):
        data, source = pack, "<mapping>"
    elif isinstance(pack, str) and pack in BUILTIN_PACKS:
        text = spec_path("rulepacks", f"{pack}.toml").read_text("utf-8")
        # the provenance label of a bundled pack, as written in every result since v1 (the
        # file itself is zoning/specs/rulepacks/NAME.toml)
        data, source = tomllib.loads(text), f"zoning/rulepacks/{pack}.toml"
    else:
        path = Path(pack)
        if not path.is_file():
            raise RulePackError(
                f"rule pack {pack}",
                [
                    Problem(
                        "missing_file",
                        f"{path} not found; expected a TOML file or one of {BUILTIN_PACKS}",
                    )
                ],
            )
        try:  # as catalogues and scenarios: a BOM is accepted, GBK is named with the fix
            data = parse_toml(path.read_bytes(), path, "rule pack")
        except InputFileError as exc:
            raise RulePackError(f"rule pack {path}", [Problem("bad_toml", str(exc))]) from None
        source = str(path)
    problems: list[Problem] = []
    result = _parse(data, source=source, problems=problems)
    if result is None:
        raise RulePackError(f"rule pack {source}", problems)
    return result


@cache
def _builtin_packs() -> tuple[RulePack, ...]:
    return tuple(load_rulepacks(BUILTIN_PACKS))


def load_rulepacks(
    packs: Sequence[str | PathLike[str] | Mapping[str, Any] | RulePack] | None = None,
) -> list[RulePack]:
    """Load several packs (default: the bundled national and Shanxi packs).

    Rule ids must be unique across the packs; all problems of all packs are collected
    into one :class:`~zoning.errors.RulePackError`.
    """
    if packs is None:
        return list(_builtin_packs())
    items: Iterable[Any] = packs
    loaded: list[RulePack] = []
    problems: list[Problem] = []
    for item in items:
        if isinstance(item, RulePack):
            loaded.append(item)
            continue
        try:
            loaded.append(load_rulepack(item))
        except RulePackError as exc:
            problems.extend(exc.problems)
    seen: dict[str, str] = {}
    for pack in loaded:
        for rule in pack.rules:
            if rule.id in seen:
                problems.append(
                    Problem(
                        "duplicate_id",
                        f"rule id {rule.id!r} is in packs {seen[rule.id]!r} and {pack.id!r}; "
                        "rule ids must be unique across packs",
                        rows=(rule.id,),
                    )
                )
            seen[rule.id] = pack.id
    if problems:
        raise RulePackError("rule packs", problems)
    return loaded
