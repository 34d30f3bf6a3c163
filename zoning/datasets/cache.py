"""The zoning cache folder, where the demo catalogue and the layer caches are kept."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir() -> Path:
    """Return the zoning cache folder (``$ZONING_CACHE_DIR`` or ``~/.cache/zoning``)."""
    env = os.environ.get("ZONING_CACHE_DIR")
    base = Path(env) if env else Path.home() / ".cache" / "zoning"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from zoning.errors import InputFileError

        raise InputFileError(
            f"cannot create the zoning cache folder {base} ({exc.strerror or exc}); expected a "
            "writable folder; fix: set ZONING_CACHE_DIR to a writable folder"
        ) from exc
    return base
