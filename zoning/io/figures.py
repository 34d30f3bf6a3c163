"""Matplotlib figures as PNG files or bytes, byte-identical on rerun.

matplotlib stamps its version into a PNG's ``Software`` text chunk; zoning writes none, so the
same figure gives the same bytes whichever matplotlib drew it.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from zoning.io.atomic import atomic_write_bytes

__all__ = ["FIXED_PNG_METADATA", "figure_png", "save_figure"]

#: PNG metadata of every figure: no ``Software`` chunk (matplotlib's version)
FIXED_PNG_METADATA: dict[str, Any] = {"Software": None}


def figure_png(fig: Any, **savefig: Any) -> bytes:
    """Render ``fig`` as PNG bytes with :data:`FIXED_PNG_METADATA`.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    **savefig : Any
        Further arguments of :meth:`~matplotlib.figure.Figure.savefig` (``bbox_inches`` …).

    Returns
    -------
    bytes
        The PNG file.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata=FIXED_PNG_METADATA, **savefig)
    return buf.getvalue()


def save_figure(
    fig: Any, path: str | os.PathLike[str], *, overwrite: bool = True, **savefig: Any
) -> Path:
    """Write ``fig`` as a PNG file atomically (:func:`figure_png`).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : path-like
        The file.
    overwrite : bool, default True
        Replace an existing file (figures are written into staging folders).
    **savefig : Any
        Further arguments of :meth:`~matplotlib.figure.Figure.savefig`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    return atomic_write_bytes(path, figure_png(fig, **savefig), overwrite=overwrite)
