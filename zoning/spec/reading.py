"""Read the TOML files users write (catalogues, scenarios, rule packs) into plain dicts.

TOML files are written by hand in Notepad and by scripts, so they arrive with a UTF-8 byte order
mark (accepted), in GBK (refused with the fix), and with ``nan`` and ``inf`` (TOML allows them;
no field of zoning does). :func:`read_toml` reads a file; :func:`nonfinite_problems` finds every
NaN and infinity with its key path; the value types are checked against the declarations of
:mod:`zoning.spec.files` by :mod:`zoning.spec.schema`.
"""

from __future__ import annotations

import codecs
import math
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from zoning.errors import InputFileError, Problem

__all__ = [
    "MAX_TOML_BYTES",
    "check_encoding_name",
    "is_nonfinite",
    "leaf_paths",
    "nonfinite_problems",
    "parse_toml",
    "read_toml",
]

#: A TOML file of zoning is a few kilobytes; anything above this is not one.
MAX_TOML_BYTES = 16 * 1024 * 1024

_BOM = codecs.BOM_UTF8

#: Encoding names people type that Python does not know, and what they mean on Chinese Windows.
_ENCODING_HINTS = {
    "ansi": "gbk",
    "ansi_gbk": "gbk",
    "gb": "gbk",
    "chinese": "gbk",
    "simplified chinese": "gbk",
    "unicode": "utf-8",
    "utf8bom": "utf-8-sig",
    "utf-8 bom": "utf-8-sig",
}


def _decode(data: bytes, path: Path, what: str) -> str:
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            data.decode("gb18030")
            chinese = any(b >= 0x80 for b in data)
        except UnicodeDecodeError:
            chinese = False
        found = (
            "is encoded as GBK/GB18030 (Chinese Windows' ANSI code page)"
            if chinese
            else f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        )
        raise InputFileError(
            f"{what} {path} {found}; expected a UTF-8 TOML file; fix: save it as UTF-8 (Notepad: "
            "Save as → Encoding: UTF-8; or `iconv -f gbk -t utf-8 OLD > NEW`)"
        ) from None


def parse_toml(data: bytes, path: Path, what: str) -> dict[str, Any]:
    """Parse TOML ``data`` (bytes of ``path``) into a dict, or raise a readable error.

    A UTF-8 byte order mark is accepted; GBK text and syntax errors are refused with the fix.

    Raises
    ------
    InputFileError
        Not UTF-8, or not valid TOML.
    """
    text = _decode(data, path, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(
            f"{what} {path} is not valid TOML ({exc}); expected TOML syntax such as "
            '`key = "value"` and `[[layers]]` tables; fix the syntax at the line and column given'
        ) from None


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """Read the TOML file ``path`` (``what`` names it in messages: "catalogue", "scenario").

    Only regular files are read (a FIFO or a device would block or never end), at most
    :data:`MAX_TOML_BYTES`.

    Raises
    ------
    InputFileError
        Missing, not a regular file, too large, not UTF-8, or not valid TOML.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "c.toml"
    >>> _ = p.write_bytes(codecs.BOM_UTF8 + b'name = "x"')
    >>> read_toml(p, "catalogue")
    {'name': 'x'}
    """
    p = Path(path)
    if not p.is_file():
        found = "does not exist" if not p.exists() else "is not a regular file"
        raise InputFileError(f"{what} {p} {found}; expected a TOML file; fix: check the path")
    size = p.stat().st_size
    if size > MAX_TOML_BYTES:
        raise InputFileError(
            f"{what} {p} is {size:,} bytes; expected a TOML file of at most "
            f"{MAX_TOML_BYTES:,} bytes; fix: check that this is the right file"
        )
    with open(p, "rb") as fh:
        data = fh.read(MAX_TOML_BYTES + 1)
    doc = parse_toml(data, p, what)
    nul = _nul_paths(doc)
    if nul:
        raise InputFileError(
            f"{what} {p}: {', '.join(nul[:5])} contain(s) a NUL character (\\u0000); expected "
            "text (no file name or value holds one); fix: remove it"
        )
    return doc


def leaf_paths(
    value: Any, keep: Callable[[Any], bool], where: str = "", first: int = 1
) -> list[tuple[str, Any]]:
    """Return the key path and value of every leaf of a parsed document that ``keep`` picks.

    Parameters
    ----------
    value : Any
        A parsed TOML value (nested tables and lists).
    keep : callable
        Picks the leaves (not tables or lists) to report.
    where : str
        The key path of ``value`` itself.
    first : int
        The index of a list's first item in the paths: 1 as people count ``[[layers]]``
        tables; 0 where messages have always counted from 0 (rule packs).

    Returns
    -------
    list of (str, Any)
        In document order.

    Examples
    --------
    >>> leaf_paths({"a": [1, {"b": None}]}, lambda v: v is None)
    [('a[2].b', None)]
    """
    if isinstance(value, Mapping):
        return [
            found
            for k, v in value.items()
            for found in leaf_paths(v, keep, f"{where}.{k}" if where else str(k), first)
        ]
    if isinstance(value, list):
        return [
            found
            for i, v in enumerate(value, start=first)
            for found in leaf_paths(v, keep, f"{where}[{i}]", first)
        ]
    return [(where or "value", value)] if keep(value) else []


def _nul_paths(value: Any) -> list[str]:
    """Key paths of the strings holding a NUL character (no path or name may hold one)."""
    return [w for w, _ in leaf_paths(value, lambda v: isinstance(v, str) and "\x00" in v)]


def is_nonfinite(value: Any) -> bool:
    """Tell whether ``value`` is a NaN or infinite float."""
    return isinstance(value, float) and not math.isfinite(value)


def nonfinite_problems(value: Any, where: str = "") -> list[Problem]:
    """Return every NaN or infinite float in ``value`` (nested tables and lists).

    Each with its key path (list items counted from 1, like the ``[[layers]]`` tables of a
    file).

    Examples
    --------
    >>> [p.message.split(";")[0] for p in nonfinite_problems({"a": [1.0, {"b": float("nan")}]})]
    ['a[2].b = nan is not a finite number']
    """
    return [
        Problem(
            "not_finite",
            f"{path} = {v} is not a finite number; expected an ordinary number; fix: write the "
            "number (nan and inf are refused: they pass range checks silently)",
        )
        for path, v in leaf_paths(value, is_nonfinite, where)
    ]


def check_encoding_name(name: str) -> str | None:
    """``None`` when Python knows the encoding ``name``, else the problem, with a suggestion.

    Examples
    --------
    >>> check_encoding_name("gbk") is None
    True
    >>> "gbk" in check_encoding_name("ANSI")
    True
    """
    try:
        codecs.lookup(name)
        return None
    except LookupError:
        pass
    hint = _ENCODING_HINTS.get(name.strip().lower())
    fix = f"fix: write encoding = {hint!r}" if hint else "fix: use e.g. 'gbk' or 'utf-8'"
    return f"encoding {name!r} is not a known text encoding; expected e.g. 'gbk', 'gb18030' or 'utf-8'; {fix}"
