"""How a fix names an option: ``crs=`` to a Python caller, ``--crs`` on the command line.

Library messages end with the fix. The same reader serves the API (``read_vector(path,
crs=…)``) and the CLI (``zoning screen SITE --crs …``), so the option is spelt by
:func:`option`, and the ``zoning`` command switches the spelling for its run
(:func:`command_line_spelling`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["command_line_spelling", "option"]

_on_command_line: list[bool] = [False]


def option(name: str) -> str:
    """``name=`` for the API, ``--name`` (underscores as dashes) on the command line.

    >>> option("crs")
    'crs='
    >>> with command_line_spelling():
    ...     option("lon_col")
    '--lon-col'
    """
    if _on_command_line[-1]:
        return "--" + name.replace("_", "-")
    return f"{name}="


@contextlib.contextmanager
def command_line_spelling() -> Iterator[None]:
    """Spell options as command-line flags inside the block."""
    _on_command_line.append(True)
    try:
        yield
    finally:
        _on_command_line.pop()
