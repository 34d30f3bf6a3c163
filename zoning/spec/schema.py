"""Declare what a TOML file may hold, check a parsed file against it, and emit a JSON Schema.

A declaration is a tree of fields: :class:`Table` (named fields, optionally extra keys),
:class:`TableList` (``[[layers]]``), :class:`ListOf`, :class:`Text`, :class:`Flag`,
:class:`Integer`, :class:`Number`, :class:`TextMap`, :class:`Either`, :class:`Const` and
:class:`Anything`. :func:`check` walks a parsed file along its declaration and returns every
value of the wrong type with its key path (``layers[2].crs is a string …; expected …``; list
items counted from 1, as people count ``[[layers]]`` tables), so one error lists every problem
at once; :func:`json_schema` turns the same declaration into a JSON Schema for editors.

A field marked ``loader=True`` is declared (for editors and for the loader's list of known
keys) but its type is reported by the file's loader, with a message of its own; the walk still
descends into it when its type fits. A ``rule`` is a further check run once the type fits: it
returns ``None`` or ``(code, message)``.

Examples
--------
>>> decl = Table({"name": Text("A name."), "layers": TableList(Table({"crs": Text()}))})
>>> [p.message.split(";")[0] for p in check(decl, {"layers": [{"crs": 4490}]})]
['layers[1].crs is an integer (4490)']
>>> json_schema(decl, "x")["properties"]["layers"]["items"]["properties"]["crs"]
{'type': 'string'}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from zoning.errors import InputFileError, Problem
from zoning.spec.reading import nonfinite_problems

__all__ = [
    "Anything",
    "Const",
    "Either",
    "Field",
    "Flag",
    "Integer",
    "ListOf",
    "Number",
    "Table",
    "TableList",
    "Text",
    "TextMap",
    "check",
    "json_schema",
    "located_problems",
    "resolve_path",
    "type_name",
]

#: A further check of a value whose type fits: ``None``, or ``(problem code, message)``.
Rule = Callable[[Any], "tuple[str, str] | None"]

_FOUND_NAMES = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    dict: "a table",
    list: "a list",
}


def type_name(value: object) -> str:
    """Name the TOML type of ``value`` as a message says it ("a string", "an integer" …).

    Parameters
    ----------
    value : object
        A parsed TOML value.

    Returns
    -------
    str
        The name, or the Python type name for anything else.

    Examples
    --------
    >>> type_name(5), type_name("x"), type_name(True)
    ('an integer', 'a string', 'a boolean')
    """
    return _FOUND_NAMES.get(type(value), type(value).__name__)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


class _Found:
    """The problems found so far, each with the key path it is about."""

    def __init__(self) -> None:
        self.items: list[tuple[str, Problem]] = []

    def bad(self, where: str, value: object, expected: str, fix: str = "") -> bool:
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        msg = f"{where} is {type_name(value)} ({shown}); expected {expected}"
        if fix:
            msg += f"; fix: {fix}"
        self.items.append((where, Problem("wrong_type", msg)))
        return False


class Field:
    """A declared value: its description, how to check it, its JSON Schema.

    Parameters
    ----------
    description : str
        What the value means (shown by editors).
    loader : bool
        The file's loader reports a wrong type itself; :func:`check` only descends.
    rule : callable, optional
        A further check once the type fits.
    """

    expected = "a value"

    def __init__(self, description: str = "", *, loader: bool = False, rule: Rule | None = None):
        self.description = description
        self.loader = loader
        self.rule = rule

    def fits(self, value: Any) -> bool:
        """Return whether ``value`` has this field's type."""
        return True

    def walk(self, value: Any, where: str, found: _Found) -> bool:
        """Record the problems of ``value`` at key path ``where``; return whether it is usable."""
        if not self.fits(value):
            return self.loader or found.bad(where, value, self.expected, self.fix(where, value))
        ok = self.descend(value, where, found)
        if ok and self.rule is not None:
            broken = self.rule(value)
            if broken is not None:
                found.items.append((where, Problem(broken[0], f"{where}: {broken[1]}")))
                ok = False
        return ok

    def descend(self, value: Any, where: str, found: _Found) -> bool:
        """Check the parts of a value of the right type."""
        return True

    def fix(self, where: str, value: Any) -> str:
        """Return the fix suggested for a wrong value ('' for none)."""
        return ""

    def schema(self) -> dict[str, Any]:
        """Return the JSON Schema of the value, without its description."""
        return {}

    def json(self) -> dict[str, Any]:
        """Return the JSON Schema of the value, with its description."""
        out = self.schema()
        if self.description:
            out["description"] = self.description
        return out


class Anything(Field):
    """Any value (read by the loader as it sees fit)."""


class Text(Field):
    """A string; ``blank`` names what is expected when a blank one is refused."""

    expected = "a string"

    def __init__(self, description: str = "", *, blank: str = "", **kw: Any):
        super().__init__(description, **kw)
        self.blank = blank

    def fits(self, value: Any) -> bool:
        """Return whether ``value`` is a string."""
        return isinstance(value, str)

    def descend(self, value: Any, where: str, found: _Found) -> bool:
        """Refuse a blank string when ``blank`` says what is expected instead."""
        if self.blank and not value.strip():
            return found.bad(where, value, self.blank)
        return True

    def schema(self) -> dict[str, Any]:
        """Return ``{"type": "string"}`` (non-blank when refused blank)."""
        return {"type": "string", "pattern": r"\S"} if self.blank else {"type": "string"}


class Flag(Field):
    """``true`` or ``false``."""

    expected = "true or false"

    def fits(self, value: Any) -> bool:
        """Return whether ``value`` is a boolean."""
        return isinstance(value, bool)

    def fix(self, where: str, value: Any) -> str:
        """Suggest writing the flag without quotes when it was quoted."""
        if isinstance(value, str):
            key = where.rsplit(".", 1)[-1]
            return f"write {key} = true or {key} = false, without quotes"
        return ""

    def schema(self) -> dict[str, Any]:
        """Return ``{"type": "boolean"}``."""
        return {"type": "boolean"}


class Integer(Field):
    """An integer (a boolean is not one)."""

    expected = "an integer"

    def fits(self, value: Any) -> bool:
        """Return whether ``value`` is an integer and not a boolean."""
        return isinstance(value, int) and not isinstance(value, bool)

    def schema(self) -> dict[str, Any]:
        """Return ``{"type": "integer"}``."""
        return {"type": "integer"}


class Number(Field):
    """A number (integer or float); ``positive`` refuses zero and below."""

    expected = "an integer or a number"

    def __init__(self, description: str = "", *, positive: bool = False, **kw: Any):
        super().__init__(description, **kw)
        self.positive = positive

    def fits(self, value: Any) -> bool:
        """Return whether ``value`` is a number and not a boolean."""
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    def descend(self, value: Any, where: str, found: _Found) -> bool:
        """Refuse zero and below when ``positive``."""
        if self.positive and not value > 0:
            return found.bad(where, value, "a number > 0")
        return True

    def schema(self) -> dict[str, Any]:
        """Return ``{"type": "number"}`` (with ``exclusiveMinimum`` 0 when positive)."""
        return {"type": "number", "exclusiveMinimum": 0} if self.positive else {"type": "number"}


class Const(Field):
    """One exact value, such as ``false``."""

    def __init__(self, value: Any, description: str = "", **kw: Any):
        super().__init__(description, **kw)
        self.value = value
        self.expected = repr(value)

    def fits(self, value: Any) -> bool:
        """Return whether ``value`` is the constant (of the same type)."""
        return type(value) is type(self.value) and value == self.value

    def schema(self) -> dict[str, Any]:
        """Return ``{"const": value}``."""
        return {"const": self.value}


class TextMap(Field):
    """A table of strings, such as ``{"一级" = "level1"}``."""

    expected = 'a table such as {"一级" = "level1"}'

    def fits(self, value: Any) -> bool:
        """Return whether ``value`` is a table."""
        return isinstance(value, dict)

    def descend(self, value: Any, where: str, found: _Found) -> bool:
        """Refuse each value that is not a string."""
        ok = True
        for k, v in value.items():
            if not isinstance(v, str):
                ok = found.bad(f"{where}.{k}", v, "a string")
        return ok

    def schema(self) -> dict[str, Any]:
        """Return an object whose values are strings."""
        return {"type": "object", "additionalProperties": {"type": "string"}}


class ListOf(Field):
    """A list of ``item``; ``whole`` reports a wrong item as the whole list being wrong."""

    def __init__(
        self,
        item: Field,
        description: str = "",
        *,
        expected: str = "",
        whole: bool = False,
        **kw: Any,
    ):
        super().__init__(description, **kw)
        self.item = item
        self.whole = whole
        self.expected = expected or f"a list of {item.expected.removeprefix('a ')}s"

    def fits(self, value: Any) -> bool:
        """Return whether ``value`` is a list (and, when ``whole``, every item fits)."""
        if not isinstance(value, list):
            return False
        return not self.whole or all(self.item.fits(v) for v in value)

    def descend(self, value: Any, where: str, found: _Found) -> bool:
        """Check each item, counted from 1."""
        ok = True
        for i, v in enumerate(value, start=1):
            ok = self.item.walk(v, f"{where}[{i}]", found) and ok
        return ok

    def schema(self) -> dict[str, Any]:
        """Return an array of the item's schema."""
        return {"type": "array", "items": self.item.json()}


class Table(Field):
    """A table of declared ``fields``; ``extra`` declares the keys that are not named.

    Parameters
    ----------
    fields : dict of str to Field
        The named keys, in the order they are checked.
    description : str
        What the table is.
    extra : Field, optional
        The declaration of every other key (``[rasters.NAME]``); without it other keys are left
        to the loader (``closed`` tells editors they are refused).
    required : tuple of str
        Keys that must be there (reported as the table being wrong: ``expected``).
    closed : bool
        Tell editors that no other key is allowed.
    expected : str
        What a wrong value is expected to be ("a table" by default).
    """

    def __init__(
        self,
        fields: Mapping[str, Field],
        description: str = "",
        *,
        extra: Field | None = None,
        required: tuple[str, ...] = (),
        closed: bool = False,
        expected: str = "a table",
        **kw: Any,
    ):
        super().__init__(description, **kw)
        self.fields = dict(fields)
        self.extra = extra
        self.required = required
        self.closed = closed
        self.expected = expected

    def keys(self) -> set[str]:
        """Return the declared key names."""
        return set(self.fields)

    def fits(self, value: Any) -> bool:
        """Return whether ``value`` is a table."""
        return isinstance(value, dict)

    def descend(self, value: Any, where: str, found: _Found) -> bool:
        """Check the declared keys, then the other keys against ``extra``, then ``required``."""
        ok = True
        for key, field in self.fields.items():
            if key in value:
                ok = field.walk(value[key], _join(where, key), found) and ok
        if self.extra is not None:
            for key, v in value.items():
                if key not in self.fields:
                    ok = self.extra.walk(v, _join(where, key), found) and ok
        if any(k not in value for k in self.required):
            ok = found.bad(where, value, self.expected)
        return ok

    def schema(self) -> dict[str, Any]:
        """Return an object with the declared properties."""
        out: dict[str, Any] = {
            "type": "object",
            "properties": {k: f.json() for k, f in self.fields.items()},
        }
        if self.required:
            out["required"] = list(self.required)
        if self.extra is not None:
            out["additionalProperties"] = self.extra.json()
        elif self.closed:
            out["additionalProperties"] = False
        return out


class TableList(ListOf):
    """An array of tables (``[[criteria]]``), items counted from 1."""

    def __init__(self, item: Table, description: str = "", **kw: Any):
        super().__init__(item, description, **kw)

    def walk(self, value: Any, where: str, found: _Found) -> bool:
        """Record a value that is not a list of tables, and the problems of each table."""
        if not self.fits(value):
            return self.loader or found.bad(where, value, f"an array of tables ([[{where}]])")
        ok = True
        for i, item in enumerate(value, start=1):
            if isinstance(item, dict):
                ok = self.item.walk(item, f"{where}[{i}]", found) and ok
            elif not self.loader:
                ok = found.bad(f"{where}[{i}]", item, f"a table ([[{where}]])")
        return ok


class Either(Field):
    """One of several declarations (the first whose type fits is checked further).

    Parameters
    ----------
    *choices : Field
        The alternatives, in order.
    description : str
        What the value means.
    expected : str
        What a value fitting none is expected to be (default: the alternatives joined by "or").
    """

    def __init__(self, *choices: Field, description: str = "", expected: str = "", **kw: Any):
        super().__init__(description, **kw)
        self.choices = choices
        self.expected = expected or " or ".join(c.expected for c in choices)

    def fits(self, value: Any) -> bool:
        """Return whether any alternative's type fits ``value``."""
        return any(c.fits(value) for c in self.choices)

    def descend(self, value: Any, where: str, found: _Found) -> bool:
        """Check ``value`` against the first alternative whose type fits."""
        choice = next(c for c in self.choices if c.fits(value))
        return choice.walk(value, where, found)

    def schema(self) -> dict[str, Any]:
        """Return ``anyOf`` the alternatives."""
        return {"anyOf": [c.json() for c in self.choices]}


def located_problems(decl: Table, raw: Mapping[str, Any]) -> list[tuple[str, Problem]]:
    """Return every wrong value type in ``raw`` with the key path it is about.

    Parameters
    ----------
    decl : Table
        The declaration of the whole file.
    raw : mapping
        The parsed file.

    Returns
    -------
    list of (str, Problem)
        Key path (``"layers[2].crs"``) and problem, in declaration order.
    """
    found = _Found()
    decl.descend(raw, "", found)
    return found.items


def check(decl: Table, raw: Mapping[str, Any]) -> list[Problem]:
    """Return every wrong value type and every NaN or infinity in ``raw``, with key paths.

    Parameters
    ----------
    decl : Table
        The declaration of the whole file.
    raw : mapping
        The parsed file.

    Returns
    -------
    list of Problem
        Wrong types first (code ``wrong_type`` or a rule's code), then non-finite numbers.
    """
    return [p for _, p in located_problems(decl, raw)] + nonfinite_problems(raw)


def json_schema(decl: Field, title: str) -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a declaration, for editors.

    Parameters
    ----------
    decl : Field
        The declaration of a whole file.
    title : str
        The schema's title.

    Returns
    -------
    dict
        JSON-able.
    """
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title} | decl.json()


def resolve_path(value: str, base: Path) -> Path:
    """Resolve a path written in a spec file: relative to the file's folder ``base``.

    ``dataset:NAME/FILE`` names a file of zoning's bundled datasets, ``package:PKG/FILE`` a
    file inside an installed Python package; ``~`` is the home folder.

    Parameters
    ----------
    value : str
        The path as written.
    base : pathlib.Path
        The folder of the file that wrote it.

    Returns
    -------
    pathlib.Path
        Not resolved further (symbolic links kept); it may not exist.

    Raises
    ------
    InputFileError
        A ``package:`` path names a package that is not installed.

    Examples
    --------
    >>> resolve_path("sites.geojson", Path("/data/run")).as_posix()
    '/data/run/sites.geojson'
    """
    if value.startswith("dataset:"):  # zoning/datasets/data, beside this package
        return Path(__file__).parent.parent / "datasets" / "data" / value[8:]
    if value.startswith("package:"):
        import importlib.util

        pkg, _, rest = value[len("package:") :].partition("/")
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            raise InputFileError(
                f"Package {pkg!r} named in {value!r} is not installed; expected an installed "
                f"package. Install it (pip install {pkg.replace('_', '-')})."
            )
        return Path(next(iter(spec.submodule_search_locations))) / rest
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p
