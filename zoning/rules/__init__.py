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

Modules: :mod:`zoning.rules.model` (the values: rules, conditions, citations, packs) and
:mod:`zoning.rules.load` (reading and validating TOML packs).
"""

from zoning.rules.load import load_rulepack, load_rulepacks, validate_rulepack
from zoning.rules.model import (
    BUILTIN_PACKS,
    OUTCOMES,
    SEVERITY,
    Assessment,
    Citation,
    Condition,
    Outcome,
    Rule,
    RuleException,
    RulePack,
    normalise_jurisdiction,
)

__all__ = [
    "BUILTIN_PACKS",
    "OUTCOMES",
    "SEVERITY",
    "Assessment",
    "Citation",
    "Condition",
    "Outcome",
    "Rule",
    "RuleException",
    "RulePack",
    "load_rulepack",
    "load_rulepacks",
    "normalise_jurisdiction",
    "validate_rulepack",
]
