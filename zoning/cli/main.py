"""The ``zoning`` click group.

Commands live in their own modules (``zoning/cli/<name>.py``) and are imported lazily, so
``zoning --help`` stays fast and one broken optional command cannot break the others.
Library errors (:class:`zoning.errors.ZoningError`) become exit code 1 with the error's message;
usage errors (:class:`zoning.errors.ZoningUsageError`) exit 2. A traceback is shown only with
``-vv``.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from zoning import __version__

__all__ = ["cli"]

#: command name -> "module:attribute"
COMMANDS: dict[str, str] = {
    "layers": "zoning.cli.layers:layers",
    "demo": "zoning.cli.demo:demo",
    "screen": "zoning.cli.screen:screen",
    "stats": "zoning.cli.stats:stats",
    "run": "zoning.cli.run:run",
    "diff": "zoning.cli.diff:diff",
    "map": "zoning.cli.map:map_command",
    "restore": "zoning.cli.restore:restore",
    "serve": "zoning.cli.serve:serve",
    "types": "zoning.cli.types:types_command",
    "rules": "zoning.cli.rules:rules",
    "ledger": "zoning.cli.ledger:ledger",
    "schema": "zoning.cli.schema:schema_command",
}


class _LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    #: the last command allowed a quick exit (:func:`zoning.cli.options.allow_quick_exit`)
    quick_exit = False
    #: the command line runs as the program (:func:`zoning.cli.options.running_as_program`)
    as_program = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # command not installed in this build
                return None
            raise
        command: click.Command = getattr(module, attr)
        return command

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command line; end the process at once after a command that allows it.

        See :func:`zoning.cli.options.allow_quick_exit`: only when run as a program (``cli()``:
        the console script, no ``args``), in standalone mode, and with exit status 0.
        """
        self.quick_exit = False
        self.as_program = not args and kwargs.get("args") is None
        try:
            return super().main(*args, **kwargs)
        except SystemExit as exc:
            if self.as_program and self.quick_exit and exc.code in (0, None):
                _end_process_now()  # returns only when something still runs
            raise

    def invoke(self, ctx: click.Context) -> object:
        from zoning.cli.options import QUICK_EXIT
        from zoning.errors import ZoningError, ZoningUsageError
        from zoning.io.workspace import Terminated

        try:
            result = super().invoke(ctx)
            self.quick_exit = bool(ctx.meta.get(QUICK_EXIT))
            return result
        except Terminated as exc:
            # SIGTERM / SIGHUP unwound like Ctrl-C: the writers removed their temporaries
            click.echo(
                f"Error: stopped by {exc}; nothing was published and temporary outputs were "
                "removed (zoning run keeps its checkpoints for --resume)",
                err=True,
            )
            ctx.exit(128 + exc.signum)
        except ZoningError as exc:  # a usage error exits 2, any other 1
            if ctx.obj and ctx.obj.get("verbosity", 0) >= 2:
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(2 if isinstance(exc, ZoningUsageError) else 1)
        except BrokenPipeError:
            # stdout closed by the reader (`zoning screen … | head`): not a disk problem;
            # end quietly as `cat` does, with the SIGPIPE status and nothing more on stderr
            _silence_stdout()
            ctx.exit(141)
        except OSError as exc:
            # the file system refused (full disk, no permission, a file where a folder should
            # be): say so plainly instead of a traceback; the writers have already removed
            # their temporary files, and existing outputs are only replaced on success
            if ctx.obj and ctx.obj.get("verbosity", 0) >= 2:
                raise
            click.echo(f"Error: {_describe_os_error(exc)}", err=True)
            ctx.exit(1)


def _end_process_now() -> None:
    """Flush the output, run the ``atexit`` handlers and end the process without the teardown.

    Returns without doing anything when another (non-daemon) thread or a child process still
    runs, or when the output cannot be flushed (a closed pipe): the interpreter then ends as
    usual and reports it.
    """
    import atexit
    import os
    import threading

    current = threading.current_thread()
    if any(t is not current and not t.daemon for t in threading.enumerate()):
        return
    mp = sys.modules.get("multiprocessing")
    if mp is not None and mp.active_children():
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    atexit._run_exitfuncs()  # logging's flush, weakref finalizers (temporary folders) …
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # pragma: no cover - a handler closed or broke the stream
        pass
    os._exit(0)


def _silence_stdout() -> None:
    """Point stdout at the null device so the interpreter's final flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        pass


def _describe_os_error(exc: OSError) -> str:
    """Say what the file system said, where, and the fix."""
    what = exc.strerror or str(exc) or type(exc).__name__
    where = f" ({exc.filename})" if exc.filename else ""
    cache = _in_cache(exc.filename)
    if cache is not None:  # not the user's output: the cache folder
        return (
            f"the zoning cache folder {cache} refused: {what}{where}; expected a writable cache "
            "folder with free space; fix: free space there, or set ZONING_CACHE_DIR to a "
            "writable folder (no output was written)"
        )
    return (
        f"the file system refused: {what}{where}; expected a folder zoning can write to, with "
        "free space; fix: free disk space, fix the folder's permissions or choose another "
        "output path (nothing was left half-written)"
    )


@click.group(cls=_LazyGroup)
@click.version_option(__version__, prog_name="zoning")
@click.option("-v", "--verbose", "verbose", count=True, help="More log output (-vv: tracebacks).")
@click.option("-q", "--quiet", "quiet", count=True, help="Less log output.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: int) -> None:
    """Spatial-zoning analysis for ecological planning (Shanxi): screening, statistics,
    restoration priorities and offline maps.
    """  # noqa: D205 (the docstring is click's --help text: a blank line would split its first paragraph)
    from zoning.io.workspace import interrupt_on_termination

    _survive_console_encoding()
    ctx.with_resource(interrupt_on_termination())  # SIGTERM / SIGHUP clean up like Ctrl-C
    ctx.with_resource(_command_line_spelling())  # fixes say --crs, not crs=
    if verbose - quiet < 0:  # --quiet: no progress bars, the library's included
        from zoning.progress import bars_off

        ctx.with_resource(bars_off())
    verbosity = verbose - quiet
    ctx.ensure_object(dict)
    ctx.obj["verbosity"] = verbosity
    level = max(10, 30 - 10 * verbosity)
    logging.basicConfig(
        stream=sys.stderr, level=level, format="%(levelname)s %(name)s: %(message)s"
    )


def _command_line_spelling() -> Any:
    from zoning.hints import command_line_spelling

    return command_line_spelling()


def _in_cache(filename: object) -> str | None:
    """Return the cache folder (``$ZONING_CACHE_DIR`` or ``~/.cache/zoning``) if it holds ``filename``."""
    import os
    from pathlib import Path

    if not filename or not isinstance(filename, str | bytes | os.PathLike):
        return None
    env = os.environ.get("ZONING_CACHE_DIR")
    try:
        cache = Path(env) if env else Path.home() / ".cache" / "zoning"
        path = Path(os.fsdecode(filename)).resolve()
        cache = cache.resolve()
    except (OSError, RuntimeError, TypeError):
        return None
    return str(cache) if path == cache or cache in path.parents else None


def _survive_console_encoding() -> None:
    """Replace what the console cannot encode instead of failing.

    Python on Chinese Windows writes redirected output as GBK, which has no "²": "km²" would
    raise UnicodeEncodeError half-way through a report. Characters the console encoding
    lacks become "?"; everything else is written unchanged.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):  # a closed or detached stream: nothing to protect
                pass
