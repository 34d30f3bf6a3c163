"""Project types as data: names, categories and the attributes that change a screening outcome.

The types are declared in ``zoning/specs/rulepacks/project_types.toml``. Rule packs refer to a project
type by id (``chemical``) or by category (``heavily_polluting``, 两高). Attributes given by the
user (``--attr discharges_wastewater=false``) override a type's defaults; a rule that needs an
attribute with no value yields ``needs_info`` and asks the attribute's question.

Examples
--------
>>> from zoning.projects import get_project_type, parse_attrs
>>> pt = get_project_type("chemical")
>>> pt.name_zh, "heavily_polluting" in pt.categories
('化工', True)
>>> get_project_type("化工").id
'chemical'
>>> parse_attrs(["capacity_mw=50", "discharges_wastewater=no"])
{'capacity_mw': 50.0, 'discharges_wastewater': False}
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

from zoning.errors import UnknownProjectTypeError, ZoningUsageError
from zoning.specs import spec_path

__all__ = [
    "AttributeSpec",
    "Category",
    "ProjectType",
    "attribute_specs",
    "categories",
    "get_project_type",
    "parse_attrs",
    "project_types",
    "resolve_attrs",
]

_TRUE = {"true", "yes", "y", "1", "t", "是", "有"}
_FALSE = {"false", "no", "n", "0", "f", "否", "无"}


@dataclass(frozen=True)
class Category:
    """A category of project types that rules can refer to (e.g. ``linear_infrastructure``)."""

    id: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class AttributeSpec:
    """A project attribute that can change an outcome, with the question to ask when missing."""

    id: str
    type: str
    question_zh: str
    question_en: str
    choices: tuple[str, ...] = ()
    unit: str = ""

    def coerce(self, value: object) -> bool | float | str:
        """Convert a raw value (``"yes"``, ``"50"``) to this attribute's type.

        Raises
        ------
        ZoningUsageError
            If the value does not fit the type.
        """
        text = str(value).strip().lower() if not isinstance(value, bool) else value
        if self.type == "bool":
            if isinstance(text, bool):
                return text
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        elif self.type == "number":
            try:
                number = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                pass
            else:  # NaN fails every comparison: a rule "capacity_mw gt 50" would never apply
                if math.isfinite(number) and not isinstance(value, bool):
                    return number
        elif self.type == "choice":
            if str(text) in self.choices:
                return str(text)
        expected = {
            "bool": "true/false (yes/no, 是/否)",
            "number": f"a number{f' in {self.unit}' if self.unit else ''}",
            "choice": "one of " + ", ".join(self.choices),
        }[self.type]
        raise ZoningUsageError(
            f"attribute {self.id}={value!r} is not valid; expected {expected}; "
            f"fix: pass --attr {self.id}=<value>"
        )


@dataclass(frozen=True)
class ProjectType:
    """A project type: id, names, categories, aliases and attribute defaults."""

    id: str
    name_zh: str
    name_en: str
    categories: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def matches(self, project_types: Iterable[str], categories: Iterable[str]) -> bool:
        """Return True if this type is listed by id (``"*"`` = all) or by one of its categories."""
        ids = set(project_types)
        return "*" in ids or self.id in ids or bool(set(categories) & set(self.categories))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary."""
        return {
            "id": self.id,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "categories": list(self.categories),
        }


def _read_spec() -> dict[str, Any]:
    text = spec_path("rulepacks", "project_types.toml").read_text("utf-8")
    return tomllib.loads(text)


@cache
def categories() -> Mapping[str, Category]:
    """Return the project-type categories keyed by id."""
    raw = _read_spec()["categories"]
    return MappingProxyType(
        {cid: Category(cid, c["name_zh"], c["name_en"]) for cid, c in raw.items()}
    )


@cache
def attribute_specs() -> Mapping[str, AttributeSpec]:
    """Return the project attributes keyed by id."""
    raw = _read_spec()["attributes"]
    return MappingProxyType(
        {
            aid: AttributeSpec(
                id=aid,
                type=a["type"],
                question_zh=a["question_zh"],
                question_en=a["question_en"],
                choices=tuple(a.get("choices", ())),
                unit=a.get("unit", ""),
            )
            for aid, a in raw.items()
        }
    )


@cache
def project_types() -> Mapping[str, ProjectType]:
    """Return every project type keyed by id (declaration order).

    Raises
    ------
    ValueError
        If the bundled spec refers to an unknown category or attribute (a packaging bug).
    """
    spec = _read_spec()
    raw = spec["types"]
    cats, attrs = categories(), attribute_specs()
    common = {k: attrs[k].coerce(v) for k, v in spec.get("defaults", {}).items()}
    out: dict[str, ProjectType] = {}
    for tid, t in raw.items():
        bad = [c for c in t.get("categories", []) if c not in cats]
        bad += [a for a in t.get("defaults", {}) if a not in attrs]
        if bad:  # pragma: no cover - guarded by tests on the bundled file
            raise ValueError(f"project type {tid!r} refers to unknown ids {bad}")
        defaults = dict(common)
        defaults.update({k: attrs[k].coerce(v) for k, v in t.get("defaults", {}).items()})
        out[tid] = ProjectType(
            id=tid,
            name_zh=t["name_zh"],
            name_en=t["name_en"],
            categories=tuple(t.get("categories", ())),
            aliases=tuple(t.get("aliases", ())),
            defaults=MappingProxyType(defaults),
        )
    return MappingProxyType(out)


def get_project_type(type_id: str | ProjectType) -> ProjectType:
    """Return the project type ``type_id`` (an id, an alias or a Chinese name).

    Raises
    ------
    UnknownProjectTypeError
        If nothing matches; the message suggests the closest ids (``difflib``).
    """
    if isinstance(type_id, ProjectType):
        return type_id
    types = project_types()
    key = str(type_id).strip()
    norm = key.lower().replace("-", "_").replace(" ", "_")
    if norm in types:
        return types[norm]
    for pt in types.values():
        if key in pt.aliases or norm in (a.lower() for a in pt.aliases) or key == pt.name_zh:
            return pt
    names = list(types) + [a for pt in types.values() for a in pt.aliases]
    close = difflib.get_close_matches(norm, names, n=5, cutoff=0.5)
    alias_of = {a: pt.id for pt in types.values() for a in pt.aliases}
    suggestions = list(dict.fromkeys(alias_of.get(c, c) for c in close))[:3]
    hint = f"did you mean {', '.join(suggestions)}? " if suggestions else ""
    raise UnknownProjectTypeError(
        f"unknown project type {type_id!r}; {hint}expected one of: {', '.join(types)}"
    )


def parse_attrs(items: Iterable[str] | Mapping[str, object] | None) -> dict[str, Any]:
    """Parse ``key=value`` strings (or a mapping) into typed project attributes.

    Raises
    ------
    ZoningUsageError
        For an unknown attribute (with the closest names) or a value of the wrong type.
    """
    if not items:
        return {}
    pairs: list[tuple[str, object]] = []
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        for item in items:
            if "=" not in item:
                raise ZoningUsageError(
                    f"--attr {item!r} has no '='; expected key=value, e.g. "
                    "--attr discharges_wastewater=false"
                )
            name, text = item.split("=", 1)
            pairs.append((name.strip(), text.strip()))
    specs = attribute_specs()
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key not in specs:
            close = difflib.get_close_matches(key, list(specs), n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise ZoningUsageError(
                f"unknown project attribute {key!r}; {hint}expected one of: {', '.join(specs)}"
            )
        out[key] = specs[key].coerce(value)
    return out


def resolve_attrs(
    project_type: str | ProjectType, attrs: Iterable[str] | Mapping[str, object] | None = None
) -> dict[str, Any]:
    """Return the type's default attributes updated with the user's ``attrs``."""
    pt = get_project_type(project_type)
    out = dict(pt.defaults)
    given = parse_attrs(attrs)
    out.update(given)
    # the older yes/no attribute still says "operation and maintenance of an existing facility"
    if given.get("new_construction") is False and "construction" not in given:
        out["construction"] = "maintenance"
    return out
