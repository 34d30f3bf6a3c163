"""Every CSV zoning writes, in one encoding that Excel on Chinese Windows opens correctly.

Output tables (statistics, rankings, ledgers) are written by :func:`write_table`: no index and
floats with ten significant digits (:data:`TABLE_FLOAT_FORMAT`), so reruns are byte-identical.

Excel guesses the encoding of a CSV it opens by double-click: without a byte-order mark it
assumes the system code page (GBK on Chinese Windows) and shows UTF-8 Chinese names as
mojibake. zoning therefore writes UTF-8 *with* a BOM (``utf-8-sig``) by default. The one
setting, :func:`csv_encoding`, changes it for every writer at once: ``utf-8`` (no BOM, for
tools that trip over one) or ``gb18030`` (the Chinese national superset of GBK). The CLI sets
it with ``--csv-encoding`` (:mod:`zoning.cli.options`); library users call
:func:`use_csv_encoding` or pass ``encoding=``.

pandas and Python's ``csv`` module read all three back: ``pd.read_csv`` drops the BOM, and
:func:`read_csv_table` tries UTF-8 (with or without BOM) before GB18030.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "CSV_ENCODINGS",
    "DEFAULT_CSV_ENCODING",
    "TABLE_FLOAT_FORMAT",
    "csv_bytes",
    "csv_encoding",
    "read_csv_table",
    "use_csv_encoding",
    "write_csv",
    "write_table",
]

#: the encodings zoning writes CSV in; the first is the default
CSV_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "utf-8", "gb18030")
#: UTF-8 with a byte-order mark: Excel on Chinese Windows opens it without mojibake
DEFAULT_CSV_ENCODING = "utf-8-sig"
#: the float format of output tables: ten significant digits, the same text on every platform
TABLE_FLOAT_FORMAT = "%.10g"

_current: list[str] = [DEFAULT_CSV_ENCODING]


def csv_encoding() -> str:
    """Return the encoding CSV outputs are written in now (default ``utf-8-sig``)."""
    return _current[-1]


def _checked(encoding: str) -> str:
    from zoning.errors import ZoningUsageError

    enc = encoding.strip().lower().replace("_", "-")
    enc = {"utf8": "utf-8", "utf8-sig": "utf-8-sig", "gb-18030": "gb18030"}.get(enc, enc)
    if enc not in CSV_ENCODINGS:
        raise ZoningUsageError(
            f"CSV encoding {encoding!r} is not supported; expected one of "
            f"{', '.join(CSV_ENCODINGS)} (utf-8-sig, the default, opens in Excel on Chinese "
            "Windows; utf-8 writes no byte-order mark)"
        )
    return enc


@contextlib.contextmanager
def use_csv_encoding(encoding: str) -> Iterator[str]:
    """Write every CSV in ``encoding`` inside the ``with`` block (the previous one after).

    Parameters
    ----------
    encoding : {"utf-8-sig", "utf-8", "gb18030"}
        The encoding.

    Yields
    ------
    str
        The normalised encoding name.

    Raises
    ------
    ZoningUsageError
        ``encoding`` is not one of :data:`CSV_ENCODINGS`.
    """
    enc = _checked(encoding)
    _current.append(enc)
    try:
        yield enc
    finally:
        _current.pop()


def csv_bytes(df: pd.DataFrame, *, encoding: str | None = None, **to_csv: Any) -> bytes:
    r"""Render ``df`` as CSV bytes in ``encoding`` (default :func:`csv_encoding`), ``\n`` line ends.

    Keyword arguments go to :meth:`pandas.DataFrame.to_csv` (``index``, ``float_format`` …).

    >>> import pandas as pd
    >>> csv_bytes(pd.DataFrame({"名称": ["太原"]}), index=False)
    b'\xef\xbb\xbf\xe5\x90\x8d\xe7\xa7\xb0\n\xe5\xa4\xaa\xe5\x8e\x9f\n'
    """
    enc = _checked(encoding) if encoding is not None else csv_encoding()
    to_csv.setdefault("lineterminator", "\n")
    text = _plain_csv(df, **to_csv)
    if text is None:
        text = df.to_csv(**to_csv)
    return text.encode(enc)


def _plain_csv(
    df: pd.DataFrame,
    *,
    index: bool = True,
    float_format: str | None = None,
    lineterminator: str = "\n",
    **other: Any,
) -> str | None:
    """Write a plain table as ``df.to_csv`` does, without pandas' formatter; None if not plain.

    Only for what an output table is: no index, floats in a ``%`` format, and columns of
    float64, int64, bool or text without missing values, under text names; anything else
    returns None (pandas writes it). The rows go through the same :func:`csv.writer` pandas
    uses (its default dialect: ``,``, ``"``, minimal quoting), floats as ``float_format % x``
    (``""`` for NaN) as pandas formats them, the rest as ``str``: the same bytes, in half the
    time of pandas' formatter (0.01 s of the 0.02 s a ``zoning stats`` table took).
    """
    import csv
    import io

    import numpy as np
    import pandas as pd

    if index or other or not isinstance(float_format, str) or df.columns.has_duplicates:
        return None
    if not all(isinstance(name, str) for name in df.columns):
        return None
    columns: list[list[Any]] = []
    for name in df.columns:
        series = df[name]
        kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else None
        if kind == "f" and series.dtype == np.float64:
            values = series.to_numpy().tolist()
            columns.append(["" if x != x else float_format % x for x in values])
        elif series.dtype == np.int64 or kind == "b":
            columns.append(series.tolist())
        elif pd.api.types.is_string_dtype(series.dtype) and not series.hasnans:
            values = series.tolist()
            if not all(type(x) is str for x in values):
                return None
            columns.append(values)
        else:
            return None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow(df.columns)
    writer.writerows(zip(*columns, strict=True))
    return out.getvalue()


def write_csv(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    **to_csv: Any,
) -> Path:
    """Write ``df`` to ``path`` as CSV in ``encoding`` (default :func:`csv_encoding`).

    The file is written in one piece; callers that need atomic replacement write into a
    staging folder (:func:`zoning.io.atomic.atomic_directory`) or a temporary sibling. Returns
    ``path``.
    """
    p = Path(path)
    p.write_bytes(csv_bytes(df, encoding=encoding, **to_csv))
    return p


def write_table(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write an output table as CSV: no index, floats in :data:`TABLE_FLOAT_FORMAT`.

    The deterministic CSV of every folder zoning writes (runs, rankings, ledgers), in the
    current :func:`csv_encoding`.

    Parameters
    ----------
    df : DataFrame
        The table.
    path : path-like
        The file (written in one piece: inside a staging folder).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    return write_csv(df, path, index=False, float_format=TABLE_FLOAT_FORMAT)


def read_csv_table(path: str | os.PathLike[str], **read_csv: Any) -> pd.DataFrame:
    """Read a CSV zoning wrote, whichever of :data:`CSV_ENCODINGS` it is in.

    UTF-8 (a BOM is dropped) is tried first, GB18030 second.
    """
    import pandas as pd

    try:
        table: pd.DataFrame = pd.read_csv(path, encoding="utf-8-sig", **read_csv)
    except UnicodeDecodeError:
        table = pd.read_csv(path, encoding="gb18030", **read_csv)
    return table
