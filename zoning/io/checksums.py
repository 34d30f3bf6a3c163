"""Checksums of input and output files and folders (provenance, manifests, cache keys)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from zoning.errors import InputFileError

__all__ = ["sha256_file"]


def _sha256_of_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    r"""Compute the SHA-256 hex digest of a file, or of a directory (such as a ``.gdb``).

    For a directory the digest is over the sorted lines ``"<relative path>\0<sha256>\n"`` of
    every file inside, so it changes when any file's content or name changes.
    """
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"file not found: {p}; expected a file or folder; fix: check the path")
    if p.is_file():
        return _sha256_of_file(p)
    h = hashlib.sha256()
    files = sorted((q.relative_to(p).as_posix(), q) for q in p.rglob("*") if q.is_file())
    for rel, q in files:
        h.update(f"{rel}\0{_sha256_of_file(q)}\n".encode())
    return h.hexdigest()
