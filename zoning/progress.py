"""Progress bars of named steps on stderr, which log lines do not break.

A long command (``zoning demo``, ``run``, ``restore``, ``stats``, ``map``, the first
``screen``) shows one bar whose steps have names::

    zoning stats [statistics] 2/4 |██████▌      | 00:03

The bar is drawn only on a terminal (stderr a TTY) and not with ``zoning --quiet``; piped or
redirected output gets no control characters. While the bar is shown, log records are
written above it (:func:`tqdm.contrib.logging.logging_redirect_tqdm`) instead of through it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import IO, Any

__all__ = ["Steps", "bars_off", "redirect_logging", "stderr_is_tty", "step_bar"]

_off: list[bool] = [False]


def stderr_is_tty() -> bool:
    """Return True when stderr is a terminal (progress bars are shown only there)."""
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # closed or detached
        return False


class Steps:
    """A progress bar over named steps.

    Parameters
    ----------
    title : str
        What runs (``"zoning stats"``), shown before the bar.
    names : sequence of str
        The steps in order; their number is the bar's length.
    enabled : bool, optional
        Draw the bar; default: when stderr is a terminal (and not inside :func:`bars_off`).
    file : file-like, optional
        Where to draw it (default ``sys.stderr``).
    redirect : bool, default True
        Write log records above the bar while it is shown (:func:`redirect_logging`).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with Steps("job", ["read", "write"], enabled=True, file=out) as steps:
    ...     steps.start("read")
    ...     steps.start("write")
    >>> "job [write] 1/2" in out.getvalue() and "job [done] 2/2" in out.getvalue()
    True
    """

    def __init__(
        self,
        title: str,
        names: Sequence[str],
        *,
        enabled: bool | None = None,
        file: IO[str] | None = None,
        redirect: bool = True,
    ) -> None:
        self.title = title
        self.names = list(names)
        self.enabled = (stderr_is_tty() and not _off[-1]) if enabled is None else enabled
        self._file = file
        self._bar: Any = None
        self._running: str | None = None
        self._index = -1
        self._redirect = redirect
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Steps:
        """Open the bar (when enabled) and return the steps."""
        if not self.enabled:
            return self
        from tqdm.auto import tqdm
        from tqdm.contrib.logging import logging_redirect_tqdm

        self._bar = self._stack.enter_context(
            tqdm(
                total=len(self.names),
                desc=self.title,
                file=self._file if self._file is not None else sys.stderr,
                unit="step",
                bar_format="{desc} {n_fmt}/{total_fmt} |{bar}| {elapsed}",
                leave=True,
                dynamic_ncols=True,
            )
        )
        if self._redirect:
            self._stack.enter_context(logging_redirect_tqdm(tqdm_class=tqdm))
        return self

    def start(self, name: str) -> None:
        """Finish the running step (if any) and start ``name``."""
        if name in self.names[self._index + 1 :]:
            self._index = self.names.index(name, self._index + 1)
        if self._bar is None:
            self._running = name
            return
        if self._running is not None:  # the new name and the count in one redraw
            self._bar.set_description_str(f"{self.title} [{name}]", refresh=False)
            self._bar.update(1)
        self._running = name
        self._bar.set_description_str(f"{self.title} [{name}]", refresh=True)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """``with steps.step("statistics"):`` — start ``name`` for the block."""
        self.start(name)
        yield

    def echo(self, text: str) -> None:
        """Print ``text`` on stdout above the bar (a plain print would run into it)."""
        if self._bar is None:
            import click

            click.echo(text)
            return
        from tqdm.auto import tqdm

        tqdm.write(text, file=sys.stdout)

    def update(self, n: int = 1) -> None:
        """Finish the running step and start the next one of ``names`` (``tqdm``'s call)."""
        for _ in range(n):
            if self._index + 1 < len(self.names):
                self.start(self.names[self._index + 1])
            else:
                self.finish()

    def close(self) -> None:
        """Do the same as :meth:`finish` (``tqdm``'s call)."""
        self.finish()

    def finish(self) -> None:
        """Complete the running step and close the bar (idempotent)."""
        self.__exit__(None, None, None)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Complete the running step unless an exception is raised, and close the bar."""
        if self._bar is not None and exc_type is None and self._running is not None:
            self._bar.set_description_str(f"{self.title} [done]", refresh=False)
            self._bar.update(1)
            self._bar.refresh()
        self._stack.close()
        self._bar = None


def step_bar(title: str, names: Sequence[str], *, enabled: bool | None = None) -> Steps:
    """Return a started bar for code that calls ``update(1)`` after each step and ``close()``.

    For the runner: the first of ``names`` is running; log records are not redirected (the
    command line does that around the whole command, :func:`redirect_logging`).
    """
    steps = Steps(title, names, enabled=enabled, redirect=False).__enter__()
    steps.start(names[0])
    return steps


@contextlib.contextmanager
def redirect_logging(enabled: bool | None = None) -> Iterator[None]:
    """Send log records to the console above any progress bar inside the block.

    Above it instead of through it, and only when bars are drawn: ``enabled``, default
    stderr a terminal.
    """
    if not (stderr_is_tty() if enabled is None else enabled):
        yield
        return
    from tqdm.auto import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm(tqdm_class=tqdm):
        yield


@contextlib.contextmanager
def bars_off() -> Iterator[None]:
    """No progress bar by default inside the block (``zoning --quiet``), nested ones too."""
    _off.append(True)
    try:
        yield
    finally:
        _off.pop()
