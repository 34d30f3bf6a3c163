"""Rule packs: versioned siting rules as data (project type × layer kind × zone → outcome).

A rule pack is a TOML file with a ``[pack]`` table (id, version, names, jurisdiction), a
``[citations]`` register (each official text once: title, 文号, article, quoted sentence, seed
file and line, whether it was verified) and a list of ``[[rules]]``. Each rule names a layer
kind and its zones (``"*"`` = every zone; no kind: the rule applies to every site of its
jurisdiction; ``outside = true``: it applies where the site is in no such zone), the project
types and/or categories it covers (``"*"`` = every type) minus exclusions, an outcome
(``prohibited`` / ``needs_info`` / ``conditional`` / ``allowed``), an optional buffer distance
measured from the zone boundary, attribute conditions, stated exceptions that turn the outcome
into another with their evidence, the evidence a planner must supply, the administrative area
it binds (``jurisdiction``: ``"14"`` Shanxi, ``"1409"`` Xinzhou …) and its citation. Packs are
validated on load against :mod:`zoning.kinds` and :mod:`zoning.projects` (types, NaN and
infinity included); every problem is collected into one :class:`~zoning.errors.RulePackError`.
The format is described in ``docs/rulepacks.md``.

The bundled packs are ``national`` (national law and notices) and ``shanxi`` (the Shanxi
province plan, and the Xinzhou, Shuozhou and Yunzhou plans binding their own area).

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
import math
import operator
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from zoning.errors import Problem, RulePackError
from zoning.specs import spec_path

__all__ = [
    "BUILTIN_PACKS",
    "OUTCOMES",
    "SEVERITY",
    "Assessment",
    "Citation",
    "Condition",
    "Rule",
    "RuleException",
    "RulePack",
    "load_rulepack",
    "load_rulepacks",
    "normalise_jurisdiction",
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
    """Where a rule comes from: the official document (title and 文号), the article or clause,
    the quoted Chinese sentence it rests on, and the seed file and line as a secondary reference.

    ``verified`` is True only when the quoted sentence and clause were checked against a text
    available offline (``verified_against`` says which: a seed file and line, or a law digest).
    """

    document: str
    article: str = ""
    seed_file: str = ""
    line: str = ""
    verified: bool = False
    url: str = ""
    doc_no: str = ""
    quote_zh: str = ""
    id: str = ""
    verified_against: str = ""
    note: str = ""

    def title(self) -> str:
        """Return the document as a reviewer would look it up: 《title》（文号）."""
        doc = self.document if self.document.startswith("《") else f"《{self.document}》"
        return f"{doc}（{self.doc_no}）" if self.doc_no else doc

    def text(self) -> str:
        """Return the citation as one line of text; unverified clause numbers say so."""
        cached = self.__dict__.get("_text")  # frozen: memoised outside the fields
        if cached is not None:
            return cached
        parts = [self.document]
        if self.doc_no:
            parts.append(self.doc_no)
        if self.article:
            parts.append(self.article)
        if self.seed_file:
            parts.append(f"{self.seed_file}:L{self.line}" if self.line else self.seed_file)
        out = ", ".join(p for p in parts if p)
        if not self.verified:
            out += " (clause number not verified / 条款号未核实)"
        self.__dict__["_text"] = out
        return out

    def text_zh(self) -> str:
        """Return the Chinese citation: 依据《…》第…条：“…”, flagged when not verified."""
        cached = self.__dict__.get("_text_zh")
        if cached is not None:
            return cached
        out = f"依据{self.title()}{self.article}"
        if self.quote_zh:
            out += f"：“{self.quote_zh.rstrip('。；;')}”"
        if not self.verified:
            out += "（条款号未经离线核实，请对照原文）"
        self.__dict__["_text_zh"] = out
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary (with the formatted ``text``)."""
        cached = self.__dict__.get("_dict")
        if cached is None:
            cached = self._as_dict()
            self.__dict__["_dict"] = cached
        return dict(cached)

    def _as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "document": self.document,
            "doc_no": self.doc_no,
            "article": self.article,
            "quote_zh": self.quote_zh,
            "seed_file": self.seed_file,
            "line": self.line,
            "verified": self.verified,
            "verified_against": self.verified_against,
            "note": self.note,
            "text": self.text(),
            "text_zh": self.text_zh(),
        }


@dataclass(frozen=True)
class RuleException:
    """A stated exception that turns a rule's outcome into another (a ban into a condition).

    When ``condition`` holds for the project, the rule's outcome becomes ``outcome`` and the
    exception's evidence is required; when its attribute has no value, a prohibiting rule asks
    (``needs_info``) instead of prohibiting outright.
    """

    condition: Condition
    outcome: str = "conditional"
    text_zh: str = ""
    text_en: str = ""
    evidence_required: tuple[str, ...] = ()
    ask: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary."""
        return {
            "condition": self.condition.describe(),
            "on_missing": "needs_info" if self.ask else "skip",
            "outcome": self.outcome,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "evidence_required": list(self.evidence_required),
        }


@dataclass(frozen=True)
class Assessment:
    """A rule evaluated on a project's attributes (see :meth:`Rule.assess`)."""

    outcome: str | None
    missing: tuple[str, ...] = ()
    exception: RuleException | None = None
    exception_missing: tuple[str, ...] = ()


def normalise_jurisdiction(code: object) -> str:
    """Return an administrative-code prefix: ``""`` national, ``"14"`` province, ``"1409"``
    city, ``"140215"`` county.

    Six-digit codes lose trailing ``00`` pairs (``"140900"`` → ``"1409"``); ``"CN"`` and
    ``"CN-14"`` style ids are accepted.

    Raises
    ------
    ValueError
        When the value is not such a code.

    Examples
    --------
    >>> normalise_jurisdiction("140900"), normalise_jurisdiction("CN-14"), normalise_jurisdiction("CN")
    ('1409', '14', '')
    """
    if not isinstance(code, str | int) or isinstance(code, bool):
        raise ValueError(f"jurisdiction {code!r} is not a text code")
    text = str(code).strip().upper()
    if text in ("", "CN", "NATIONAL", "*"):
        return ""
    if text.startswith("CN-"):
        text = text[3:]
    if not text.isdigit() or len(text) not in (2, 4, 6):
        raise ValueError(
            f"jurisdiction {code!r} is not an administrative code; expected 'CN' (national) or "
            "2, 4 or 6 digits (e.g. '14' Shanxi, '1409' or '140900' Xinzhou, '140215' Yunzhou)"
        )
    while len(text) > 2 and text.endswith("00"):
        text = text[:-2]
    return text


@dataclass(frozen=True)
class Rule:
    """One siting rule of a pack.

    Parameters
    ----------
    id : str
        Unique across the loaded packs (e.g. ``"CN-WS-02"``).
    kind : str
        Layer kind (``zoning.kinds``); ``""`` for a rule that needs no layer and applies to
        every site in its jurisdiction (a province-wide ban by project type).
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
    exceptions : tuple of RuleException
        Stated exceptions (capacity replacement, key national project …) that turn the
        outcome into a condition with evidence.
    jurisdiction : str
        Administrative-code prefix of the area the rule binds (``""`` national, ``"14"``
        Shanxi, ``"1409"`` Xinzhou, ``"140215"`` Yunzhou).
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
    jurisdiction: str = ""
    jurisdiction_name: str = ""
    exceptions: tuple[RuleException, ...] = ()
    outside: bool = False

    @property
    def layerless(self) -> bool:
        """True for a rule that needs no layer (it binds every site of its jurisdiction)."""
        return not self.kind

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

    def binds(self, codes: Iterable[str] | None) -> bool | None:
        """Does the rule bind a site whose administrative codes are ``codes``?

        Returns True (a code lies in the rule's area), False (every code lies outside it) or
        None (cannot tell: no code, or the codes are coarser than the rule's area, e.g. the
        site is known to be in Shanxi and the rule binds Xinzhou only).
        """
        if not self.jurisdiction:
            return True
        if codes is None:
            return None
        unknown = False
        for c in codes:
            if c.startswith(self.jurisdiction):
                return True
            if self.jurisdiction.startswith(c):
                unknown = True
        return None if unknown or not codes else False

    def in_effect(self, on: dt.date) -> bool:
        """Return True if the rule is in force on date ``on``."""
        if self.effective_from and on < self.effective_from:
            return False
        return not (self.effective_to and on > self.effective_to)

    def assess(self, attrs: Mapping[str, Any]) -> Assessment:
        """Evaluate conditions and exceptions on ``attrs``.

        The outcome is None when the rule does not apply, ``needs_info`` when a condition's
        attribute is missing (``on_missing="needs_info"``) or when a prohibition has an
        exception whose attribute is missing, the exception's outcome when one holds, else
        the rule's outcome.
        """
        missing: list[str] = []
        for cond in self.conditions:
            result = cond.evaluate(attrs)
            if result is None:
                if self.on_missing == "skip":
                    return Assessment(None)
                if self.on_missing == "needs_info":
                    missing.append(cond.attr)
                continue
            if not result:
                return Assessment(None)
        if missing:
            return Assessment("needs_info", tuple(missing))
        exc_missing: list[str] = []
        for exc in self.exceptions:
            held = exc.condition.evaluate(attrs)
            if held:
                return Assessment(exc.outcome, (), exc)
            if held is None and exc.ask:
                exc_missing.append(exc.condition.attr)
        if exc_missing and SEVERITY[self.outcome] > SEVERITY["needs_info"]:
            return Assessment("needs_info", tuple(exc_missing), None, tuple(exc_missing))
        return Assessment(self.outcome)

    def evaluate(self, attrs: Mapping[str, Any]) -> tuple[str | None, list[str]]:
        """Evaluate the conditions (and exceptions) on ``attrs``.

        Returns
        -------
        outcome : str or None
            The rule's outcome, ``"needs_info"`` when an attribute is missing and
            ``on_missing="needs_info"``, or None when the rule does not apply.
        missing : list of str
            Attributes whose values were missing and are needed.
        """
        a = self.assess(attrs)
        return a.outcome, list(a.missing)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary."""
        return {
            "id": self.id,
            "pack": self.pack,
            "kind": self.kind or None,
            "zones": list(self.zones) if self.kind else [],
            "project_types": list(self.project_types),
            "categories": list(self.categories),
            "exclude_types": list(self.exclude_types),
            "exclude_categories": list(self.exclude_categories),
            "jurisdiction": self.jurisdiction or "CN",
            "jurisdiction_name": self.jurisdiction_name,
            "outcome": self.outcome,
            "buffer_m": self.buffer_m,
            "outside": self.outside,
            "names": list(self.names),
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "conditions": [c.describe() for c in self.conditions],
            "on_missing": self.on_missing,
            "exceptions": [e.to_dict() for e in self.exceptions],
            "evidence_required": list(self.evidence_required),
            "question": self.question,
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
    citations: Mapping[str, Citation] = field(default_factory=dict, repr=False, compare=False)
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


def _non_finite(value: Any, path: str) -> Iterable[str]:
    """Yield the paths of NaN and infinite numbers anywhere in a parsed document."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _non_finite(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _non_finite(v, f"{path}[{i}]")


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
    if not isinstance(op, str) or op not in _OPS:
        f.bad("bad_operator", f"operator {op!r}; expected one of {list(_OPS)}")
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
    for path in _non_finite(data, ""):
        problems.append(
            Problem("non_finite", f"{source}: {path} is NaN or infinite; expected a finite number")
        )
    head = data.get("pack")
    if not isinstance(head, Mapping):
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
        if on_missing not in _ON_MISSING:
            bad("bad_on_missing", f"on_missing {on_missing!r}; expected one of {_ON_MISSING}")
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
        from zoning.errors import InputFileError
        from zoning.spec.reading import parse_toml

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


Outcome = Literal["prohibited", "needs_info", "conditional", "allowed"]
