"""Progress bars of named steps on stderr, which log lines do not break.

A long command (``zoning demo``, ``run``, ``restore``, ``stats``, ``map``, the first
``screen``) shows one bar whose steps have names::

    zoning stats: 2/4 [statistics] ██████▌      |  00:03

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

__all__ = ["Steps", "stderr_is_tty"]


def stderr_is_tty() -> bool:
    """True when stderr is a terminal (progress bars are shown only there)."""
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
        Draw the bar; default: when stderr is a terminal.
    file : file-like, optional
        Where to draw it (default ``sys.stderr``).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with Steps("job", ["read", "write"], enabled=True, file=out) as steps:
    ...     steps.start("read")
    ...     steps.start("write")
    >>> "[write]" in out.getvalue() and "2/2" in out.getvalue()
    True
    """

    def __init__(
        self,
        title: str,
        names: Sequence[str],
        *,
        enabled: bool | None = None,
        file: IO[str] | None = None,
    ) -> None:
        self.title = title
        self.names = list(names)
        self.enabled = stderr_is_tty() if enabled is None else enabled
        self._file = file
        self._bar: Any = None
        self._running: str | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Steps:
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
                bar_format="{desc}: {n_fmt}/{total_fmt} {postfix} |{bar}| {elapsed}",
                leave=True,
                dynamic_ncols=True,
            )
        )
        self._stack.enter_context(logging_redirect_tqdm(tqdm_class=tqdm))
        return self

    def start(self, name: str) -> None:
        """Finish the running step (if any) and start ``name``."""
        if self._bar is None:
            self._running = name
            return
        if self._running is not None:
            self._bar.update(1)
        self._running = name
        self._bar.set_postfix_str(f"[{name}]", refresh=True)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """``with steps.step("statistics"):`` — start ``name`` for the block."""
        self.start(name)
        yield

    def finish(self) -> None:
        """Complete the running step and close the bar (idempotent)."""
        self.__exit__(None, None, None)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None and exc_type is None and self._running is not None:
            self._bar.update(1)
            self._bar.set_postfix_str("[done]", refresh=True)
        self._stack.close()
        self._bar = None
