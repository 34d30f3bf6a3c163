"""Options every ``zoning`` command shares, defined once so each command has the same shape.

* ``--catalog`` — the catalogue TOML; left out, the Shanxi demo (:func:`catalog_option`,
  :func:`catalog_or_demo`).
* ``--out`` / ``--overwrite`` — where the command writes (:func:`out_option`,
  :func:`overwrite_option`); checked and locked before any work by :func:`claim_out`, the one
  place that refuses an existing output without ``--overwrite``.
* ``--csv-encoding`` — the encoding of every CSV the command writes (:mod:`zoning.io.tables`).
* ``--json`` — print the result as one JSON document on stdout (:func:`echo_json`).
* ``--scheduler local|tcp://…`` — where Dask runs (:func:`scheduler_options`,
  :func:`check_scheduler`; ``--dask`` is an alias of ``--scheduler local``).
* ``--out`` — every command that writes files takes ``--out``; when it is left out the output
  goes to a new folder (or file) in the current folder named for the product and what it was
  made from (:func:`default_out`): ``stats-<catalogue>``, ``map-<catalogue>.html``,
  ``restoration-<scenario>``, ``runs/<scenario id>``, ``demo-out``. Commands whose result is
  printed (``screen``, ``diff``) write files only when given ``--out``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

import click

if TYPE_CHECKING:  # pragma: no cover
    from zoning.progress import Steps

__all__ = [
    "DEMO_CATALOG_HELP",
    "QUICK_EXIT",
    "allow_quick_exit",
    "catalog_label",
    "catalog_option",
    "catalog_or_demo",
    "check_scheduler",
    "claim_out",
    "csv_encoding_option",
    "db_option",
    "default_out",
    "echo_json",
    "json_option",
    "out_option",
    "overwrite_option",
    "progress_steps",
    "quiet",
    "rulepack_option",
    "running_as_program",
    "scheduler_options",
    "tolerance_km2_option",
]

F = TypeVar("F", bound=Callable[..., Any])
#: an input of a command: (description, path), as :func:`zoning.io.workspace.claim_output` takes
Input = tuple[str, "str | os.PathLike[str] | None"]


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


@overload
def json_option(f: F, *, help: str = ...) -> F: ...
@overload
def json_option(f: None = None, *, help: str = ...) -> Callable[[F], F]: ...
def json_option(f: F | None = None, *, help: str = "Print the result as one JSON document.") -> Any:
    """Add ``--json`` (parameter ``as_json``): print the result as JSON on stdout.

    Use it bare (``@json_option``) or with the command's own help text
    (``@json_option(help="Print JSON on stdout.")``).

    Parameters
    ----------
    f : callable, optional
        The command function, when used bare.
    help : str
        Help text of the option.

    Returns
    -------
    callable
        The decorated command, or a decorator when ``f`` is not given.
    """
    decorator = click.option("--json", "as_json", is_flag=True, help=help)
    return decorator if f is None else decorator(f)


DEMO_CATALOG_HELP = "Catalogue TOML (default: the Shanxi demo)."


def catalog_option(help: str = DEMO_CATALOG_HELP) -> Callable[[F], F]:
    """Return the ``--catalog`` option (parameter ``catalog_path``, a :class:`~pathlib.Path`).

    Left out it is ``None``, which each command reads as its demo catalogue
    (:func:`catalog_or_demo`).

    Parameters
    ----------
    help : str
        Help text, when the command's default is not the Shanxi demo.

    Returns
    -------
    callable
        A click decorator.
    """
    return click.option(
        "--catalog",
        "catalog_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=help,
    )


def catalog_or_demo(catalog_path: Path | None) -> Path:
    """Return ``catalog_path``, or the Shanxi demo catalogue when it is ``None``.

    Parameters
    ----------
    catalog_path : Path or None
        The ``--catalog`` value.

    Returns
    -------
    Path
        The catalogue TOML to load (the demo is built on first use).
    """
    if catalog_path is not None:
        return catalog_path
    from zoning.datasets import demo_catalog_path

    return demo_catalog_path()


def out_option(
    help: str,
    *,
    file: bool = False,
    name: str = "out",
    default: str | None = None,
    path_type: type = Path,
) -> Callable[[F], F]:
    """Return the ``--out`` option: a new file (``file=True``) or folder the command writes.

    Parameters
    ----------
    help : str
        Help text (what is written there, and the default).
    file : bool
        The output is a file, not a folder.
    name : str
        Name of the command's parameter.
    default : str, optional
        Default shown in the help (``demo-out``); ``None``: the command picks one.
    path_type : type
        Type of the value (:class:`~pathlib.Path`, or ``str``).

    Returns
    -------
    callable
        A click decorator.
    """
    kind = {"dir_okay": False} if file else {"file_okay": False}
    return click.option(
        "--out",
        name,
        type=click.Path(**kind, path_type=path_type),
        default=default,
        show_default=default is not None,
        help=help,
    )


def overwrite_option(help: str = "Replace an existing output folder.") -> Callable[[F], F]:
    """Return the ``--overwrite`` flag: replace an existing ``--out`` (see :func:`claim_out`).

    Parameters
    ----------
    help : str
        Help text (what is replaced).

    Returns
    -------
    callable
        A click decorator.
    """
    return click.option("--overwrite", is_flag=True, help=help)


def claim_out(
    out: str | os.PathLike[str],
    overwrite: bool,
    *,
    before: Iterable[Input] = (),
    catalog: str | os.PathLike[str] | None = None,
    after: Iterable[Input] = (),
) -> None:
    """Check ``--out`` and lock it for the command, before any work.

    The one place a command refuses an existing output without ``--overwrite`` ("output …
    exists … pass --overwrite"), an output that holds one of its inputs, or one another run
    is writing (:func:`zoning.io.workspace.claim_output`). The inputs are checked in order
    ``before``, the catalogue's, ``after``: the first one inside ``out`` is named.

    Parameters
    ----------
    out : path
        The ``--out`` value.
    overwrite : bool
        The ``--overwrite`` flag.
    before : iterable of (description, path)
        Inputs named before the catalogue (the site file, the scenario).
    catalog : path, optional
        The ``--catalog`` value: its TOML, layers and coverage file count as inputs.
    after : iterable of (description, path)
        Inputs named after the catalogue (rule packs, the units file, rasters).
    """
    from zoning.io.workspace import claim_output
    from zoning.run.inputs import catalog_inputs

    claim_output(out, overwrite=overwrite, inputs=[*before, *catalog_inputs(catalog), *after])


rulepack_option = click.option(
    "--rulepack",
    "rulepacks",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Extra rule pack TOML, repeatable (added to the bundled national and Shanxi packs).",
)
"""``--rulepack FILE`` (repeatable; parameter ``rulepacks``): rule packs added to the bundled ones."""


def tolerance_km2_option(help: str) -> Callable[[F], F]:
    """Return ``--tolerance-km2``: area changes at or below it count as none (default 1e-6).

    Parameters
    ----------
    help : str
        Help text (what the tolerance applies to).

    Returns
    -------
    callable
        A click decorator (parameter ``tolerance_km2``).
    """
    from zoning.cli.params import FiniteFloat

    return click.option(
        "--tolerance-km2",
        type=FiniteFloat(0, unit="km²"),
        default=1e-6,
        show_default=True,
        help=help,
    )


def db_option(help: str) -> Callable[[F], F]:
    """Return the ``--db URL`` option (a PostGIS database; parameter ``db``).

    Parameters
    ----------
    help : str
        Help text (what is written to the database).

    Returns
    -------
    callable
        A click decorator.
    """
    return click.option("--db", "db", default=None, metavar="URL", help=help)


def echo_json(doc: Any) -> None:
    """Print ``doc`` as one JSON document (UTF-8, indented) on stdout."""
    from zoning.io.jsondoc import json_text

    click.echo(json_text(doc))


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


def scheduler_options(help: str) -> Callable[[F], F]:
    """Return ``--scheduler ADDR`` and its alias ``--dask`` (``--scheduler local``).

    Parameters
    ----------
    help : str
        Help text of ``--scheduler`` (what runs on Dask).

    Returns
    -------
    callable
        A click decorator adding both options (parameters ``scheduler`` and ``dask``).
    """
    scheduler = click.option(
        "--scheduler",
        default=None,
        metavar="ADDR",
        callback=check_scheduler,
        help=help,
    )
    dask = click.option("--dask", is_flag=True, help="The same as --scheduler local.")

    def decorate(f: F) -> F:
        return scheduler(dask(f))

    return decorate


def default_out(product: str, name: str, suffix: str = "") -> Path:
    """Return the default ``--out``: ``<product>-<name><suffix>`` in the current folder.

    >>> default_out("stats", "Shanxi demo").as_posix()
    'stats-Shanxi_demo'
    >>> default_out("map", "shanxi", ".html").as_posix()
    'map-shanxi.html'
    """
    safe = re.sub(r"[^\w.-]+", "_", name.strip()).strip("._") or "out"
    return Path(f"{product}-{safe}{suffix}")


#: ``ctx.meta`` key set by :func:`allow_quick_exit`
QUICK_EXIT = "zoning.quick_exit"


def allow_quick_exit() -> None:
    """Let the ``zoning`` process end at once when this command has succeeded.

    Python's teardown of a process that loaded pandas, geopandas and numba (freeing every module
    and object) costs about 0.4 s of CPU after the last output is written. A command that leaves
    nothing open when it returns (files closed, threads joined, no child process, no database
    connection) calls this; :func:`zoning.cli.main.cli`, run as a program, then flushes the
    output, runs the ``atexit`` handlers and ends the process without the teardown. Run any
    other way (``CliRunner``, ``cli.main(args)``) or failed, the command returns as usual.
    """
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[QUICK_EXIT] = True


def running_as_program() -> bool:
    """Tell whether the command runs as the ``zoning`` program (the console script, ``cli()``).

    False when called in-process with arguments (``CliRunner``, ``cli.main(args)``): settings
    that last for the whole process are then left alone.
    """
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root().command if ctx is not None else None
    return bool(getattr(root, "as_program", False))


def quiet() -> bool:
    """Tell whether ``zoning -q`` (or ``--quiet``) was given: no progress bars."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, dict) and "verbosity" in ctx.obj:
            return bool(ctx.obj["verbosity"] < 0)
        ctx = ctx.parent
    return False


def catalog_label(catalog_path: Path | None) -> str:
    """Return a short name of a catalogue for default output names (``shanxi-demo``: demo).

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
    """Start a :class:`zoning.progress.Steps` bar, closed with the command.

    The bar is off with ``zoning --quiet`` or off a terminal; call ``finish()`` once the last
    step is done.
    """
    from zoning.progress import Steps, bars_off

    ctx = click.get_current_context(silent=True)
    if quiet() and ctx is not None:
        ctx.with_resource(bars_off())  # the bars of the library calls too (zoning run's)
    steps = Steps(title, names, enabled=False if quiet() else None)
    if ctx is None:
        return steps.__enter__()
    return ctx.with_resource(steps)  # closed when the command ends, even on an error
