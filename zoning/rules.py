"""Rule packs: versioned siting rules as data (project type × layer kind × zone → outcome).

A rule pack is a TOML file with a ``[pack]`` table (id, version, names, jurisdiction) and a list
of ``[[rules]]``. Each rule names a layer kind and its zones (``"*"`` = every zone), the project
types and/or categories it covers (``"*"`` = every type) minus exclusions, an outcome
(``prohibited`` / ``needs_info`` / ``conditional`` / ``allowed``), an optional buffer distance
measured from the zone boundary, attribute conditions, the evidence a planner must supply, and
the citation of the clause (document, article or seed file and line, and whether the clause
number was verified). Packs are validated on load against :mod:`zoning.kinds` and
:mod:`zoning.projects`; every problem is collected into one :class:`~zoning.errors.RulePackError`.

The bundled packs are ``national`` (national law and notices) and ``shanxi`` (rules from the
Shanxi seed plans, cited by file name and line).

Examples
--------
>>> from zoning.rules import load_rulepacks
>>> packs = load_rulepacks()
>>> [p.id for p in packs]
['national', 'shanxi']
>>> rule = packs[0].get("CN-WS-02")
>>> rule.kind, rule.zones, rule.outcome
('water_source', ('level1',), 'prohibited')
"""

from __future__ import annotations

import datetime as dt
import operator
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from zoning.errors import Problem, RulePackError

__all__ = [
    "BUILTIN_PACKS",
    "OUTCOMES",
    "SEVERITY",
    "Citation",
    "Condition",
    "Rule",
    "RulePack",
    "load_rulepack",
    "load_rulepacks",
    "validate_rulepack",
]

#: outcomes from the strictest to the most permissive. ``needs_info`` ranks below
#: ``prohibited`` (a prohibition holds whatever the missing facts are) and above
#: ``conditional`` (missing facts may turn a conditional site into a prohibited one).
OUTCOMES: tuple[str, ...] = ("prohibited", "needs_info", "conditional", "allowed")
#: severity rank of each outcome: higher is stricter.
SEVERITY: dict[str, int] = {o: len(OUTCOMES) - i for i, o in enumerate(OUTCOMES)}
#: bundled pack names, loaded by default in this order.
BUILTIN_PACKS: tuple[str, ...] = ("national", "shanxi")

_OPS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
    "in": lambda a, b: a in b,
}
_ON_MISSING = ("needs_info", "skip", "apply")


@dataclass(frozen=True)
class Condition:
    """A predicate on a project attribute, e.g. ``livestock_scale eq "large"``."""

    attr: str
    op: str
    value: Any

    def evaluate(self, attrs: Mapping[str, Any]) -> bool | None:
        """Return True/False, or None when the attribute has no value."""
        if attrs.get(self.attr) is None:
            return None
        return bool(_OPS[self.op](attrs[self.attr], self.value))

    def describe(self) -> str:
        """Return a short text such as ``discharges_wastewater = True``."""
        sym = {"eq": "=", "ne": "≠", "gt": ">", "ge": "≥", "lt": "<", "le": "≤", "in": "in"}
        return f"{self.attr} {sym[self.op]} {self.value!r}"


@dataclass(frozen=True)
class Citation:
    """Where a rule comes from: a legal document and article, or a seed file and line."""

    document: str
    article: str = ""
    seed_file: str = ""
    line: str = ""
    verified: bool = False
    url: str = ""

    def text(self) -> str:
        """Return the citation as one line of text; unverified clause numbers say so."""
        parts = [self.document]
        if self.article:
            parts.append(self.article)
        if self.seed_file:
            parts.append(f"{self.seed_file}:L{self.line}" if self.line else self.seed_file)
        out = ", ".join(p for p in parts if p)
        if not self.verified:
            out += " (clause number not verified / 条款号未核实)"
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary (with the formatted ``text``)."""
        return {
            "document": self.document,
            "article": self.article,
            "seed_file": self.seed_file,
            "line": self.line,
            "verified": self.verified,
            "text": self.text(),
        }


@dataclass(frozen=True)
class Rule:
    """One siting rule of a pack.

    Parameters
    ----------
    id : str
        Unique across the loaded packs (e.g. ``"CN-WS-02"``).
    kind : str
        Layer kind (``zoning.kinds``).
    zones : tuple of str
        Canonical zones of ``kind``; ``("*",)`` for all.
    project_types, categories : tuple of str
        Project types covered by id or by category; ``project_types=("*",)`` covers all.
    exclude_types, exclude_categories : tuple of str
        Project types taken out again.
    outcome : {"prohibited", "needs_info", "conditional", "allowed"}
    buffer_m : float
        The rule also applies to sites outside the zone within this distance of its boundary.
    conditions : tuple of Condition
        All must hold (attribute predicates).
    on_missing : {"needs_info", "skip", "apply"}
        What a condition on an attribute with no value does: ask (``needs_info``, default),
        leave the rule out (``skip``) or assume it holds (``apply``).
    evidence_required : tuple of str
        Documents or demonstrations a planner must supply.
    """

    id: str
    pack: str
    kind: str
    zones: tuple[str, ...]
    outcome: str
    citation: Citation
    text_zh: str = ""
    text_en: str = ""
    project_types: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    exclude_types: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    buffer_m: float = 0.0
    conditions: tuple[Condition, ...] = ()
    on_missing: str = "needs_info"
    evidence_required: tuple[str, ...] = ()
    question: str = ""
    names: tuple[str, ...] = ()
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    note: str = ""

    def covers_zone(self, zone: str) -> bool:
        """Return True if the rule is about ``zone`` of its kind."""
        return "*" in self.zones or zone in self.zones

    def covers_type(self, project_type: Any) -> bool:
        """Return True if the rule is about ``project_type`` (a :class:`ProjectType`)."""
        if not project_type.matches(self.project_types, self.categories):
            return False
        return not (
            project_type.id in self.exclude_types
            or set(project_type.categories) & set(self.exclude_categories)
        )

    def covers_name(self, name: object) -> bool:
        """Return True if the rule has no name filter or ``name`` contains one of its names."""
        if not self.names:
            return True
        text = "" if name is None else str(name)
        return any(n in text for n in self.names)

    def in_effect(self, on: dt.date) -> bool:
        """Return True if the rule is in force on date ``on``."""
        if self.effective_from and on < self.effective_from:
            return False
        return not (self.effective_to and on > self.effective_to)

    def evaluate(self, attrs: Mapping[str, Any]) -> tuple[str | None, list[str]]:
        """Evaluate the conditions on ``attrs``.

        Returns
        -------
        outcome : str or None
            The rule's outcome, ``"needs_info"`` when an attribute is missing and
            ``on_missing="needs_info"``, or None when the rule does not apply.
        missing : list of str
            Attributes whose values were missing and are needed.
        """
        missing: list[str] = []
        for cond in self.conditions:
            result = cond.evaluate(attrs)
            if result is None:
                if self.on_missing == "skip":
                    return None, []
                if self.on_missing == "needs_info":
                    missing.append(cond.attr)
                continue
            if not result:
                return None, []
        if missing:
            return "needs_info", missing
        return self.outcome, []

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary."""
        return {
            "id": self.id,
            "pack": self.pack,
            "kind": self.kind,
            "zones": list(self.zones),
            "outcome": self.outcome,
            "buffer_m": self.buffer_m,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "conditions": [c.describe() for c in self.conditions],
            "evidence_required": list(self.evidence_required),
            "citation": self.citation.to_dict(),
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "note": self.note,
        }


@dataclass(frozen=True)
class RulePack:
    """A versioned, validated set of rules."""

    id: str
    version: str
    name_zh: str
    name_en: str
    jurisdiction: str
    rules: tuple[Rule, ...]
    source: str = ""
    description: str = ""
    _by_id: Mapping[str, Rule] = field(default_factory=dict, repr=False, compare=False)

    def get(self, rule_id: str) -> Rule:
        """Return the rule ``rule_id``; raise ``KeyError`` naming the pack."""
        by_id = self._by_id or {r.id: r for r in self.rules}
        try:
            return by_id[rule_id]
        except KeyError:
            raise KeyError(f"rule {rule_id!r} not in pack {self.id!r}") from None

    def provenance(self) -> dict[str, Any]:
        """Return the JSON-able identity of the pack (id, version, source, rule count)."""
        return {
            "id": self.id,
            "version": self.version,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "jurisdiction": self.jurisdiction,
            "source": self.source,
            "n_rules": len(self.rules),
        }


def _as_tuple(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)  # type: ignore[union-attr]


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


def validate_rulepack(data: Mapping[str, Any], *, source: str = "<memory>") -> list[Problem]:
    """Return every problem of a parsed rule-pack document (empty list when valid).

    Checks: the ``[pack]`` table; per rule, a unique id, a known layer kind, zones of that
    kind, known project types, categories and attributes, a known outcome, a non-negative
    buffer, a citation with a document, ISO dates.
    """
    problems: list[Problem] = []
    _parse(data, source=source, problems=problems)
    return problems


def _parse(data: Mapping[str, Any], *, source: str, problems: list[Problem]) -> RulePack | None:
    from zoning.kinds import KIND_IDS, get_kind
    from zoning.projects import attribute_specs, categories, project_types

    types, cats, attrs = project_types(), categories(), attribute_specs()
    head = data.get("pack")
    if not isinstance(head, Mapping):
        problems.append(
            Problem("no_pack_table", f"{source}: no [pack] table; expected id and version")
        )
        head = {}
    for key in ("id", "version"):
        if not head.get(key):
            problems.append(Problem("pack_field", f"{source}: [pack] has no {key!r}"))
    pack_id = str(head.get("id", "?"))
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(Problem("no_rules", f"{source}: no [[rules]]; expected at least one"))
        raw_rules = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for n, r in enumerate(raw_rules, start=1):
        rid = str(r.get("id", f"#{n}"))
        where = f"{source}: rule {rid}"

        def bad(code: str, msg: str, rid: str = rid, where: str = where) -> None:
            problems.append(Problem(code, f"{where}: {msg}", rows=(rid,)))

        if "id" not in r:
            bad("rule_id", "has no id")
        elif rid in seen:
            bad("duplicate_id", "id used twice in this pack")
        seen.add(rid)
        kind = str(r.get("kind", ""))
        zones = _as_tuple(r.get("zones", "*"))
        if kind not in KIND_IDS:
            bad("unknown_kind", f"unknown layer kind {kind!r}; expected one of {list(KIND_IDS)}")
        else:
            known = get_kind(kind).zone_ids
            for z in zones:
                if z != "*" and z not in known:
                    bad("unknown_zone", f"unknown zone {z!r} of {kind}; expected one of {known}")
        ptypes = _as_tuple(r.get("project_types"))
        pcats = _as_tuple(r.get("categories"))
        xtypes = _as_tuple(r.get("exclude_types"))
        xcats = _as_tuple(r.get("exclude_categories"))
        if not ptypes and not pcats:
            bad("no_types", "names no project_types or categories (use ['*'] for all)")
        for t in (*ptypes, *xtypes):
            if t != "*" and t not in types:
                bad("unknown_project_type", f"unknown project type {t!r}")
        for c in (*pcats, *xcats):
            if c not in cats:
                bad("unknown_category", f"unknown category {c!r}; expected one of {list(cats)}")
        outcome = str(r.get("outcome", ""))
        if outcome not in OUTCOMES:
            bad("unknown_outcome", f"outcome {outcome!r}; expected one of {list(OUTCOMES)}")
        try:
            buffer_m = float(r.get("buffer_m", 0.0))
        except (TypeError, ValueError):
            buffer_m = 0.0
            bad("bad_buffer", f"buffer_m {r.get('buffer_m')!r} is not a number")
        if buffer_m < 0:
            bad("bad_buffer", f"buffer_m {buffer_m} is negative; expected ≥ 0 metres")
        conds: list[Condition] = []
        for c in r.get("conditions", []):
            a, op = str(c.get("attr", "")), str(c.get("op", "eq"))
            if a not in attrs:
                bad("unknown_attribute", f"condition on unknown attribute {a!r}")
                continue
            if op not in _OPS:
                bad("bad_operator", f"operator {op!r}; expected one of {list(_OPS)}")
                continue
            value = c.get("value")
            try:
                value = (
                    [attrs[a].coerce(v) for v in value] if op == "in" else attrs[a].coerce(value)
                )
            except Exception as exc:
                bad("bad_condition_value", str(exc))
                continue
            conds.append(Condition(a, op, value))
        on_missing = str(r.get("on_missing", "needs_info"))
        if on_missing not in _ON_MISSING:
            bad("bad_on_missing", f"on_missing {on_missing!r}; expected one of {_ON_MISSING}")
        cit = r.get("citation")
        if not isinstance(cit, Mapping) or not cit.get("document"):
            bad("no_citation", "has no citation.document")
            cit = {"document": "?"}
        citation = Citation(
            document=str(cit["document"]),
            article=str(cit.get("article", "")),
            seed_file=str(cit.get("seed_file", "")),
            line=str(cit.get("line", "")),
            verified=bool(cit.get("verified", False)),
            url=str(cit.get("url", "")),
        )
        rules.append(
            Rule(
                id=rid,
                pack=pack_id,
                kind=kind,
                zones=zones or ("*",),
                outcome=outcome,
                citation=citation,
                text_zh=str(r.get("text_zh", "")),
                text_en=str(r.get("text_en", "")),
                project_types=ptypes,
                categories=pcats,
                exclude_types=xtypes,
                exclude_categories=xcats,
                buffer_m=buffer_m,
                conditions=tuple(conds),
                on_missing=on_missing,
                evidence_required=_as_tuple(r.get("evidence_required")),
                question=str(r.get("question", "")),
                names=_as_tuple(r.get("names")),
                effective_from=_as_date(r.get("effective_from"), where, problems),
                effective_to=_as_date(r.get("effective_to"), where, problems),
                note=str(r.get("note", "")),
            )
        )
    if any(p.severity == "error" for p in problems):
        return None
    return RulePack(
        id=pack_id,
        version=str(head.get("version")),
        name_zh=str(head.get("name_zh", "")),
        name_en=str(head.get("name_en", "")),
        jurisdiction=str(head.get("jurisdiction", "")),
        description=str(head.get("description", "")),
        rules=tuple(rules),
        source=source,
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
        res = resources.files("zoning.rulepacks").joinpath(f"{pack}.toml")
        data, source = tomllib.loads(res.read_text("utf-8")), f"zoning/rulepacks/{pack}.toml"
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
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RulePackError(
                f"rule pack {path}",
                [Problem("bad_toml", f"{path} is not valid UTF-8 TOML: {exc}; fix the syntax")],
            ) from None
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


Outcome = Literal["prohibited", "needs_info", "conditional", "allowed"]
