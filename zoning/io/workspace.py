"""How zoning writes an output: checked before the work, one writer, staged, never replacing.

Every command that writes a folder (``screen --out``, ``stats``, ``run``, ``restore``, ``demo``)
or a single file (``map``, ``diff --out``) follows one protocol:

1. **Before any work**, :func:`claim_output` refuses a target that is unsafe to replace
   (:func:`refuse_unsafe_output`: the file system root, the home or current folder, or a folder
   holding one of the inputs — ``--overwrite`` would delete it) and, without ``--overwrite``, a
   target that exists.
2. It takes the output lock (:func:`zoning.io.outlock.output_lock`) for the rest of the command, so a
   second run aimed at the same target is refused at once, and under the lock checks again and
   removes the temporary folders that dead processes left beside the target
   (:func:`~zoning.io.siblings.remove_stale_temporaries`: a SIGKILL cannot be caught, the next run cleans up).
3. The outputs are written in a hidden temporary sibling (:func:`~zoning.io.siblings.hidden_sibling`, shortened so a
   long target name still fits ``NAME_MAX``) and published with :func:`rename_no_replace`: a
   target that appeared meanwhile (another program wrote it) is never replaced; the command
   fails with a message and leaves that target alone.
4. SIGTERM and SIGHUP are handled like Ctrl-C (:func:`interrupt_on_termination`): they raise
   :class:`Terminated`, a :class:`KeyboardInterrupt`, so every writer removes its temporary files
   on the way out.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import signal
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from zoning.errors import OutputExistsError, UnsafeOutputError
from zoning.io.outlock import output_lock
from zoning.io.siblings import hidden_sibling, remove_stale_temporaries

__all__ = [
    "Terminated",
    "claim_output",
    "interrupt_on_termination",
    "refuse_unsafe_output",
    "rename_no_replace",
]

# ------------------------------------------------------------------------------- publishing

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1


def _renameat2(src: Path, dst: Path) -> bool:
    """``renameat2(RENAME_NOREPLACE)`` (Linux); False when the call or the file system lacks it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):  # glibc < 2.28, musl without it
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    if fn(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # the file system cannot do it: fall back
    raise OSError(err, os.strerror(err), str(dst))


def rename_no_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Rename ``src`` to ``dst`` atomically, failing if ``dst`` exists; never replace it.

    Linux: ``renameat2(RENAME_NOREPLACE)``; Windows: ``os.rename`` (it refuses an existing
    target); elsewhere a file is hard-linked (``link`` refuses an existing target) and a folder
    is renamed after a check (``rename`` refuses a non-empty folder in the way).

    Raises
    ------
    FileExistsError
        ``dst`` exists (nothing was moved).
    """
    src, dst = Path(src), Path(dst)
    if _renameat2(src, dst):
        return
    if os.name == "nt":
        os.rename(src, dst)
        return
    if src.is_dir() and not src.is_symlink():
        if dst.exists() or dst.is_symlink():
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
        os.rename(src, dst)
        return
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise
        if dst.exists() or dst.is_symlink():  # no hard links on this file system
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst)) from None
        os.rename(src, dst)
        return
    os.unlink(src)


def appeared_meanwhile(out: Path) -> OutputExistsError:
    """Build the error for a target that appeared while zoning was working.

    Parameters
    ----------
    out : Path
        The target.

    Returns
    -------
    OutputExistsError
        Its message says nothing was replaced and how to go on.
    """
    return OutputExistsError(
        f"{out} appeared while zoning was writing it (another program or run created it); "
        "expected it to stay absent until the new outputs were complete; nothing was replaced "
        "and the new outputs were discarded; fix: choose another --out, or remove it and run "
        "again (--overwrite replaces it on purpose)"
    )


def publish(tmp: Path, out: Path, *, overwrite: bool) -> None:
    """Move the finished temporary ``tmp`` to ``out``.

    Without ``overwrite`` a target that exists by now is left alone (OutputExistsError). With
    it, the old target is set aside, the new one moved in, and the old one removed; if the old
    one cannot be set back after a failure its location is named in the error.
    """
    if not overwrite:
        try:
            rename_no_replace(tmp, out)
        except FileExistsError:
            raise appeared_meanwhile(out) from None
        return
    backup = None
    if out.exists() or out.is_symlink():
        backup = hidden_sibling(out, f"old-{os.getpid()}-{os.urandom(4).hex()}")
        os.replace(out, backup)
    try:
        rename_no_replace(tmp, out)
    except BaseException as exc:
        if backup is not None:
            try:
                rename_no_replace(backup, out)
            except OSError:
                raise OutputExistsError(
                    f"{out} appeared while zoning was replacing it; expected only zoning to "
                    f"write there; the previous outputs are kept in {backup}; fix: move them "
                    "back by hand"
                ) from exc
        if isinstance(exc, FileExistsError):
            raise appeared_meanwhile(out) from None
        raise
    if backup is not None:
        if backup.is_dir() and not backup.is_symlink():
            shutil.rmtree(backup, ignore_errors=True)
        else:
            backup.unlink()


# ------------------------------------------------------------------------------- safety


def _absolute(path: str | os.PathLike[str]) -> Path:
    """Make ``path`` absolute, resolving the folders but not a final symlink.

    Replacing a link replaces the link, not what it points to.
    """
    p = Path(os.path.abspath(path))
    return p.parent.resolve() / p.name if p.name else p.resolve()


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def refuse_unsafe_output(
    out: str | os.PathLike[str],
    inputs: Iterable[tuple[str, str | os.PathLike[str] | None]] = (),
    *,
    option: str = "--out",
) -> None:
    """Refuse an output path that must never be replaced, before any work.

    Replacing ``out`` (``--overwrite``) deletes what is there, so ``out`` must not be the
    file system root, the home folder, the current folder (or a folder holding them), the
    zoning cache, or any input (a folder holding an input, or the input file itself).

    Parameters
    ----------
    out : path
        The output file or folder.
    inputs : iterable of (description, path)
        The inputs of the command (``("site file", path)``, …); None paths are skipped.
    option : str
        How the user named ``out`` (for the message).

    Raises
    ------
    UnsafeOutputError
        Exit code 1; the message names what ``out`` would delete.
    """
    target = _absolute(out)

    def refuse(what: str) -> None:
        raise UnsafeOutputError(
            f"{option} {out} is {what}; expected a new folder or file of its own for the "
            f"outputs (--overwrite would delete what is there); fix: choose another {option}, "
            "e.g. a new sub-folder"
        )

    if not target.name or target == target.parent:
        refuse("the root of the file system")
    places = []
    for what, where in (("the current folder", Path.cwd), ("the home folder", Path.home)):
        with contextlib.suppress(OSError, RuntimeError):
            places.append((what, where().resolve()))
    for what, folder in places:  # "is" before "holds": ~ is the home folder, wherever we are
        if folder == target:
            refuse(what)
    for what, folder in places:
        if _within(folder, target):
            refuse(f"a folder holding {what}")
    env = os.environ.get("ZONING_CACHE_DIR")
    with contextlib.suppress(OSError, RuntimeError):  # RuntimeError: no home folder
        cache = Path(env) if env else Path.home() / ".cache" / "zoning"
        if cache.exists() and _within(cache.resolve(), target):
            refuse(f"or holds the zoning cache {cache} (ZONING_CACHE_DIR)")
    for what, path in inputs:
        if path is None:
            continue
        with contextlib.suppress(OSError, RuntimeError):
            real = Path(path).resolve()
            if _within(real, target):
                refuse(_what_is(what, path, real == target))


def _what_is(what: str, path: str | os.PathLike[str], same: bool) -> str:
    """Say what ``path`` is: ``"the site file x"`` or ``"a folder holding the site file x"``."""
    return f"the {what} {path}" if same else f"a folder holding the {what} {path}"


# ------------------------------------------------------------------------------- signals


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: unwinds like Ctrl-C, so temporary outputs are removed."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    def __str__(self) -> str:
        """Name the signal (``SIGTERM``)."""
        return signal.Signals(self.signum).name


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def interrupt_on_termination() -> Iterator[None]:
    """Handle SIGTERM and SIGHUP like SIGINT for the duration of the block (main thread only).

    A handler already set by the embedding program (not the default) is left in place.
    """
    import threading

    saved = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)
            if sig is None:
                continue
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                saved[sig] = signal.signal(sig, _raise_terminated)
    try:
        yield
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)


# ------------------------------------------------------------------------------- the claim


def claim_output(
    out: str | os.PathLike[str],
    *,
    overwrite: bool,
    inputs: Iterable[tuple[str, str | os.PathLike[str] | None]] = (),
    option: str = "--out",
) -> Path:
    """Check ``out`` and hold its output lock until the current click command ends.

    Call it before any work. It refuses an unsafe target (:func:`refuse_unsafe_output`) and,
    without ``overwrite``, an existing one; takes the output lock (a second run on ``out`` is
    refused at once), checks again under the lock, and removes temporaries of dead processes.
    The writers (:func:`zoning.io.atomic_directory`, the file writers) then publish without
    replacing anything that appeared meanwhile. Outside a click command the lock is held until
    the process ends.

    Raises
    ------
    UnsafeOutputError, OutputExistsError, OutputBusyError
        Exit code 1.
    """
    import click

    path = Path(out)
    refuse_unsafe_output(path, inputs, option=option)
    _refuse_existing(path, overwrite)
    lock = output_lock(path)
    lock.__enter__()
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(lambda: lock.__exit__(None, None, None))
    try:
        _refuse_existing(path, overwrite)  # finished by another run while we waited
        remove_stale_temporaries(path)
    except BaseException:
        lock.__exit__(None, None, None)
        raise
    return path


def _refuse_existing(path: Path, overwrite: bool) -> None:
    if not overwrite and (path.exists() or path.is_symlink()):
        raise OutputExistsError(
            f"{path} already exists; expected a new {'folder' if path.is_dir() else 'file'}, "
            "or pass --overwrite to replace it once the new outputs are complete"
        )
