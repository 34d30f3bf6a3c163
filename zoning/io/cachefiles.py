"""What happens when the layer cache cannot be read or written: rebuild, warn, carry on.

The cache (``$ZONING_CACHE_DIR``, default ``~/.cache/zoning``) only saves time, so a broken
entry (a truncated GeoParquet file from a full disk or a killed process: ``ArrowInvalid``; an
empty or truncated JSON file: ``JSONDecodeError``) is removed and rebuilt from the source with a
warning, and a cache folder that is read-only or full is named as the cache — with
``ZONING_CACHE_DIR`` as the fix — while the work goes on without it. Neither is ever reported as
a problem of the user's output path.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

__all__ = ["CACHE_ERRORS", "cache_unwritable", "discard_unreadable"]

logger = logging.getLogger("zoning.cache")

#: what reading a damaged cache entry raises: ArrowInvalid and JSONDecodeError are ValueErrors;
#: a wrong structure gives KeyError / TypeError; an unreadable file OSError
CACHE_ERRORS = (ValueError, KeyError, TypeError, OSError, EOFError)

_warned: set[str] = set()


def _where() -> str:
    env = os.environ.get("ZONING_CACHE_DIR")
    return f"ZONING_CACHE_DIR={env}" if env else "the default ~/.cache/zoning; ZONING_CACHE_DIR"


def discard_unreadable(paths: list[Path], exc: BaseException) -> None:
    """Warn that a cache entry cannot be read and remove its files so it is rebuilt."""
    logger.warning(
        "cache entry %s cannot be read (%s: %s); expected a complete cached layer; rebuilding "
        "it from the source (the cache is %s)",
        paths[0],
        type(exc).__name__,
        str(exc)[:200],
        _where(),
    )
    for p in paths:
        with contextlib.suppress(OSError):
            p.unlink()


def cache_unwritable(path: Path, exc: OSError) -> None:
    """Warn (once per folder) that the cache cannot be written; the caller carries on."""
    folder = str(path.parent)
    if folder in _warned:
        return
    _warned.add(folder)
    logger.warning(
        "cannot write the zoning cache in %s (%s); expected a writable cache folder with free "
        "space; continuing without caching (slower); fix: free space there, or set "
        "ZONING_CACHE_DIR to a writable folder (now %s)",
        folder,
        exc.strerror or exc,
        _where(),
    )
