"""One writer per output folder: an advisory lock beside the folder.

Two ``zoning run`` processes aimed at the same ``--out`` would otherwise share (and delete)
one staging folder. The lock is a hidden file ``.<name>.lock`` beside the output folder, held
with an OS file lock for the whole run: the OS drops it when the process ends, however it
ends (a SIGKILLed run leaves no stale lock behind), and the file is removed on release.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from zoning.errors import OutputBusyError
from zoning.io.siblings import hidden_sibling

__all__ = ["lock_path", "output_lock"]


#: lock files this process holds, with their nesting depth (a command that claimed its output
#: early calls writers that take the same lock again)
_HELD: dict[str, int] = {}


def lock_path(out: Path) -> Path:
    """Return the lock file of output folder ``out``: ``.<name>.lock``, shortened when long."""
    return hidden_sibling(out, "lock")


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # no fcntl
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def output_lock(out: str | os.PathLike[str], *, reentrant: bool = False) -> Iterator[Path]:
    """Hold the lock of output folder ``out`` for the duration of the ``with`` block.

    With ``reentrant``, a lock this process holds already is entered again (a writer called by
    a command that claimed its output before the work); otherwise it is refused like any other
    holder's.

    Raises
    ------
    OutputBusyError
        When another process holds it: the message names the folder and that process.
    """
    out = Path(out)
    path = lock_path(out)
    key = os.path.abspath(path)
    if reentrant and key in _HELD:  # held by this process already: nest
        _HELD[key] += 1
        try:
            yield path
        finally:
            _HELD[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise OutputBusyError(
                f"another run (process {holder}) is writing {out} right now; expected one run "
                f"per output folder — wait for it to finish or choose another --out "
                f"(the lock is {path})"
            )
        # the holder before us may have removed the file between our open and our lock:
        # then we hold a lock on a file nobody else will see, so start again
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    _HELD[key] = 1
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        yield path
    finally:
        del _HELD[key]
        with contextlib.suppress(OSError):  # Windows cannot remove an open file: it stays
            path.unlink()
        os.close(fd)
