"""Rule packs, as values: rules, their conditions, exceptions and citations, and the packs.

A :class:`Rule` maps project type × layer kind × zone to an outcome (``prohibited`` /
``needs_info`` / ``conditional`` / ``allowed``), with attribute conditions, stated exceptions,
the evidence a planner must supply, the area it binds and its :class:`Citation`; a
:class:`RulePack` is a versioned set of them. :mod:`zoning.rules.load` reads and validates
them from TOML.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "BUILTIN_PACKS",
    "ON_MISSING",
    "OPERATORS",
    "OUTCOMES",
    "SEVERITY",
    "Assessment",
    "Citation",
    "Condition",
    "Outcome",
    "Rule",
    "RuleException",
    "RulePack",
    "normalise_jurisdiction",
]

#: outcomes from the strictest to the most permissive. ``needs_info`` ranks below
#: ``prohibited`` (a prohibition holds whatever the missing facts are) and above
#: ``conditional`` (missing facts may turn a conditional site into a prohibited one).
OUTCOMES: tuple[str, ...] = ("prohibited", "needs_info", "conditional", "allowed")
#: severity rank of each outcome: higher is stricter.
SEVERITY: dict[str, int] = {o: len(OUTCOMES) - i for i, o in enumerate(OUTCOMES)}
#: bundled pack names, loaded by default in this order.
BUILTIN_PACKS: tuple[str, ...] = ("national", "shanxi")

#: the comparison operators of a rule condition, by name.
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
    "in": lambda a, b: a in b,
}
#: what a rule does when a condition's attribute is unknown.
ON_MISSING = ("needs_info", "skip", "apply")
#: rule outcomes, as a type.
Outcome = Literal["prohibited", "needs_info", "conditional", "allowed"]


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
        return bool(OPERATORS[self.op](attrs[self.attr], self.value))

    def describe(self) -> str:
        """Return a short text such as ``discharges_wastewater = True``."""
        sym = {"eq": "=", "ne": "≠", "gt": ">", "ge": "≥", "lt": "<", "le": "≤", "in": "in"}
        return f"{self.attr} {sym[self.op]} {self.value!r}"


@dataclass(frozen=True)
class Citation:
    """Where a rule comes from: an official document, its clause and the quoted sentence.

    The document (title and 文号), the article or clause, the quoted Chinese sentence it
    rests on, and the seed file and line as a secondary reference.

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
        cached: str | None = self.__dict__.get("_text")  # frozen: memoised outside the fields
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
        cached: str | None = self.__dict__.get("_text_zh")
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
    """Return an administrative-code prefix.

    ``""`` national, ``"14"`` province, ``"1409"`` city, ``"140215"`` county.

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
        """Tell whether the rule binds a site whose administrative codes are ``codes``.

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
