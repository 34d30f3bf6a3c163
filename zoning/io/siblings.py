"""Hidden siblings of an output: the names of its lock, staging folder and temporaries.

Every output zoning writes is prepared beside it under a hidden name ``.<name>.<tag>``
(:func:`hidden_sibling`; shortened with a digest so a long target name still fits
``NAME_MAX``): the output lock (:mod:`zoning.io.outlock`), a run's staging folder, the
temporary file of an atomic write (:func:`temp_sibling`). A killed process leaves its
temporaries behind; :func:`remove_stale_temporaries` removes those whose process is gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
from pathlib import Path

__all__ = ["NAME_MAX", "hidden_sibling", "remove_stale_temporaries", "temp_sibling"]

#: longest file name (bytes) on the file systems zoning writes to (ext4, NTFS, APFS: 255)
NAME_MAX = 255
#: bytes kept free for the tag of a hidden sibling (``.tmp-<pid>-<8 hex>`` plus a suffix)
_TAG_ROOM = 48


def _hidden_base(name: str) -> str:
    """``.<name>``, shortened with a digest when a tagged sibling would exceed NAME_MAX."""
    base = f".{name}"
    if len(os.fsencode(base)) + _TAG_ROOM <= NAME_MAX:
        return base
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:12]
    room = NAME_MAX - _TAG_ROOM - len(digest) - 2  # the dot in front and the "~"
    keep = name
    while len(os.fsencode(keep)) > room:
        keep = keep[:-1]
    return f".{keep}~{digest}"


def hidden_sibling(out: str | os.PathLike[str], tag: str) -> Path:
    """Return the hidden sibling ``.<name>.<tag>`` of ``out`` (lock, staging, temporary file).

    A long ``out`` name is shortened (kept prefix + a digest of the whole name) so the sibling
    still fits NAME_MAX: a valid 250-character output name must work.

    Examples
    --------
    >>> hidden_sibling("runs/a", "lock").as_posix()
    'runs/.a.lock'
    >>> len(hidden_sibling("x" * 250, "tmp-123-abcdef12").name) <= 255
    True
    """
    out = Path(out)
    return out.parent / f"{_hidden_base(out.name)}.{tag}"


def temp_sibling(out: str | os.PathLike[str], *, suffix: str = "") -> Path:
    """Return a fresh temporary sibling of ``out``: ``.<name>.tmp-<pid>-<random>[suffix]``."""
    return hidden_sibling(out, f"tmp-{os.getpid()}-{os.urandom(4).hex()}{suffix}")


_STALE = re.compile(r"\.tmp-(\d+)-[0-9a-f]{8}(\.[^.]*)?$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # no cheap check: keep them
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_temporaries(out: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary siblings of ``out`` left by processes that no longer run.

    A killed run (SIGKILL cannot be caught) leaves its ``.<name>.tmp-<pid>-<random>`` folder or
    file behind; the next run aimed at the same output removes those whose process is gone.
    Call it holding the output lock. Returns what was removed.
    """
    out = Path(out)
    prefix = _hidden_base(out.name)
    removed: list[Path] = []
    try:
        entries = list(out.parent.iterdir()) if out.parent.is_dir() else []
    except OSError:
        return removed
    for p in entries:
        if not p.name.startswith(prefix):
            continue
        m = _STALE.fullmatch(p.name[len(prefix) :])
        if m is None or _alive(int(m.group(1))):
            continue
        with contextlib.suppress(OSError):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
            removed.append(p)
    return removed
