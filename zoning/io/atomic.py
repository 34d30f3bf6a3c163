"""Atomic writes: a temporary sibling first, renamed into place only when complete.

A failure never leaves a half-written output, and an existing output is refused unless
``overwrite=True``; a target that appeared while zoning was writing is never replaced
(:func:`zoning.io.workspace.publish`). Every writer of :mod:`zoning.io` ends here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from zoning.errors import OutputExistsError
from zoning.io import workspace  # workspace.publish looked up at call time (fault tests slow it)
from zoning.io.outlock import output_lock
from zoning.io.siblings import remove_stale_temporaries, temp_sibling

__all__ = [
    "atomic_directory",
    "atomic_file",
    "atomic_write_bytes",
    "atomic_write_text",
    "fsync_file",
]


def _refuse_existing(path: Path, overwrite: bool) -> None:
    if not overwrite and (path.exists() or path.is_symlink()):
        raise OutputExistsError(
            f"output {path} already exists; expected a new path, or an explicit overwrite; fix: "
            "pass overwrite=True (--overwrite on the command line) or choose another path"
        )


def _remove_quietly(path: Path) -> None:
    for p in (path, *(Path(f"{path}{s}") for s in ("-journal", "-wal", "-shm"))):
        with contextlib.suppress(FileNotFoundError):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()


@contextlib.contextmanager
def atomic_file(path: Path, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary sibling path; on success move it to ``path``; on error remove it.

    Parameters
    ----------
    path : Path
        The file to write.
    overwrite : bool
        Replace an existing ``path``; otherwise :class:`~zoning.errors.OutputExistsError`
        (before the work, and for a file that appeared meanwhile).

    Yields
    ------
    Path
        The temporary sibling to write (removed on an exception, with GDAL's side files).
    """
    _refuse_existing(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(path, suffix=path.suffix)  # shortened to fit NAME_MAX
    try:
        yield tmp
        if not tmp.exists():
            raise OSError(f"the writer produced no file at {tmp}")
        if overwrite:
            os.replace(tmp, path)
        else:  # a file that appeared meanwhile is never replaced
            workspace.publish(tmp, path, overwrite=False)
    except BaseException:
        _remove_quietly(tmp)
        raise
    finally:
        for s in ("-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{tmp}{s}").unlink()


def fsync_file(path: Path) -> None:
    """Flush ``path``'s content to the disk (before it is renamed into place).

    Parameters
    ----------
    path : Path
        A file written and closed.
    """
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False
) -> Path:
    """Write bytes to ``path`` atomically (temp sibling + rename).

    Parameters
    ----------
    path : path-like
        The file.
    data : bytes
        Its content.
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputExistsError
        ``path`` exists and not ``overwrite``.
    """
    p = Path(path)
    with atomic_file(p, overwrite) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return p


def atomic_write_text(path: str | os.PathLike[str], text: str, *, overwrite: bool = False) -> Path:
    """Write UTF-8 text (newlines as given, no translation) to ``path`` atomically.

    The one writer of text outputs (HTML pages, JSON, logs written whole).

    Parameters
    ----------
    path : path-like
        The file.
    text : str
        Its content.
    overwrite : bool, default False
        Replace an existing file; otherwise :class:`~zoning.errors.OutputExistsError`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    return atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Build a directory atomically: yield a temporary sibling, rename it into place on success.

    Parameters
    ----------
    path : path-like
        The directory to create.
    overwrite : bool, default False
        Replace an existing ``path`` on success; otherwise an existing ``path`` raises
        :class:`~zoning.errors.OutputExistsError` before any work is done.

    Yields
    ------
    pathlib.Path
        An empty temporary directory beside ``path``. On an exception it is removed and any
        existing ``path`` is left untouched. The output lock of ``path`` is held throughout
        (:mod:`zoning.io.workspace`), and a ``path`` that appeared meanwhile is not replaced
        without ``overwrite``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp()) / "run"
    >>> with atomic_directory(out) as tmp:
    ...     _ = (tmp / "result.txt").write_text("ok")
    >>> (out / "result.txt").read_text()
    'ok'
    """
    p = Path(path)
    _refuse_existing(p, overwrite)
    p.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(p, reentrant=True):  # one writer; held already if the command claimed it
        _refuse_existing(p, overwrite)
        remove_stale_temporaries(p)
        tmp = temp_sibling(p)
        tmp.mkdir()
        try:
            yield tmp
            # a folder that appeared meanwhile is never replaced (unless overwrite)
            workspace.publish(tmp, p, overwrite=overwrite)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
