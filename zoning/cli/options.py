"""Options every ``zoning`` command shares, defined once so each command has the same shape.

* ``--csv-encoding`` — the encoding of every CSV the command writes (:mod:`zoning.io.tables`).
* ``--json`` — print the result as one JSON document on stdout (:func:`echo_json`).
* ``--scheduler local|tcp://…`` — where Dask runs (:func:`check_scheduler`; ``--dask`` is an
  alias of ``--scheduler local``).
* ``--out`` — every command that writes files takes ``--out``; when it is left out the output
  goes to a new folder (or file) in the current folder named for the product and what it was
  made from (:func:`default_out`): ``stats-<catalogue>``, ``map-<catalogue>.html``,
  ``restoration-<scenario>``, ``runs/<scenario id>``, ``demo-out``. Commands whose result is
  printed (``screen``, ``diff``) write files only when given ``--out``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:  # pragma: no cover
    from zoning.progress import Steps

__all__ = [
    "catalog_label",
    "check_scheduler",
    "csv_encoding_option",
    "default_out",
    "echo_json",
    "json_option",
    "progress_steps",
    "quiet",
]

F = TypeVar("F", bound=Callable[..., Any])


def _set_csv_encoding(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    from zoning.io.tables import use_csv_encoding

    if value is not None:  # in force while the command runs, restored after it
        ctx.with_resource(use_csv_encoding(value))


def csv_encoding_option(f: F) -> F:
    """``--csv-encoding utf-8-sig|utf-8|gb18030`` (default ``utf-8-sig``: UTF-8 with BOM)."""
    from zoning.io.tables import CSV_ENCODINGS, DEFAULT_CSV_ENCODING

    return click.option(
        "--csv-encoding",
        type=click.Choice(CSV_ENCODINGS, case_sensitive=False),
        default=DEFAULT_CSV_ENCODING,
        show_default=True,
        expose_value=False,
        callback=_set_csv_encoding,
        help="Encoding of the CSV files: utf-8-sig (UTF-8 with BOM, opens in Excel on Chinese "
        "Windows), utf-8 (no BOM) or gb18030.",
    )(f)


def json_option(f: F) -> F:
    """``--json``: print the result as one JSON document on stdout (parameter ``as_json``)."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the result as one JSON document."
    )(f)


def echo_json(doc: Any) -> None:
    """Print ``doc`` as one JSON document (UTF-8, indented) on stdout."""
    from zoning.screening.report import finite_json

    click.echo(
        json.dumps(finite_json(doc), ensure_ascii=False, indent=2, default=str, allow_nan=False)
    )


_SCHEDULER = re.compile(r"^(local|(tcp|tls|inproc|ucx|ws|wss)://\S+)$")


def check_scheduler(
    _ctx: click.Context | None, _param: click.Parameter | None, value: str | None
) -> str | None:
    """Click callback: ``--scheduler`` is ``local`` or a Dask address (``tcp://host:8786``)."""
    if value is None or _SCHEDULER.match(value.strip()):
        return value.strip() if value is not None else None
    raise click.BadParameter(
        f"{value!r} is not a Dask scheduler; expected 'local' (a cluster on this machine) or "
        "an address such as tcp://127.0.0.1:8786"
    )


def default_out(product: str, name: str, suffix: str = "") -> Path:
    """The default ``--out``: ``<product>-<name><suffix>`` in the current folder.

    >>> default_out("stats", "Shanxi demo").as_posix()
    'stats-Shanxi_demo'
    >>> default_out("map", "shanxi", ".html").as_posix()
    'map-shanxi.html'
    """
    safe = re.sub(r"[^\w.-]+", "_", name.strip()).strip("._") or "out"
    return Path(f"{product}-{safe}{suffix}")


def quiet() -> bool:
    """True when ``zoning -q`` (or ``--quiet``) was given: no progress bars."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, dict) and "verbosity" in ctx.obj:
            return ctx.obj["verbosity"] < 0
        ctx = ctx.parent
    return False


def catalog_label(catalog_path: Path | None) -> str:
    """A short name of a catalogue for default output names (``shanxi-demo`` for the demo).

    >>> catalog_label(None), catalog_label(Path("data/henan.toml"))
    ('shanxi-demo', 'henan')
    >>> catalog_label(Path("demo-out/catalog.toml"))
    'demo-out'
    """
    if catalog_path is None:
        return "shanxi-demo"
    p = Path(catalog_path)
    if p.stem.lower() == "catalog" and p.parent.name:
        return p.parent.name
    return p.stem


def progress_steps(title: str, names: list[str]) -> Steps:
    """A started :class:`zoning.progress.Steps` bar (off with ``zoning --quiet`` or off a
    terminal), closed with the command; call ``finish()`` once the last step is done.
    """
    from zoning.progress import Steps, bars_off

    ctx = click.get_current_context(silent=True)
    if quiet() and ctx is not None:
        ctx.with_resource(bars_off())  # the bars of the library calls too (zoning run's)
    steps = Steps(title, names, enabled=False if quiet() else None)
    if ctx is None:
        return steps.__enter__()
    return ctx.with_resource(steps)  # closed when the command ends, even on an error
