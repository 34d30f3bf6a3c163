"""Text encodings of shapefile attribute tables: ``.cpg``, the DBF language driver, the content.

Chinese planning data often arrives as shapefiles whose ``.dbf`` is GBK / GB18030 with no
``.cpg`` beside it. :func:`detect_dbf_encoding` decides in order: the ``.cpg`` file; the DBF
language driver id (header byte 29); the content (UTF-8 when every text value decodes strictly,
GB18030 otherwise). Simplified-Chinese code pages are reported as GB18030, their superset.
"""

from __future__ import annotations

import codecs
import logging
import os
from pathlib import Path
from typing import IO

from zoning.errors import InputFileError

__all__ = ["detect_dbf_encoding", "detect_encoding", "sibling_file"]

log = logging.getLogger("zoning.io")  # the name users filter on (one logger for all reading)

# dBASE language driver ids (DBF header byte 29) → encodings, after the table GDAL uses.
# Simplified-Chinese code pages are read as GB18030, the superset of GB2312 and GBK.
_LDID_ENCODINGS = {
    0x01: "CP437",
    0x02: "CP850",
    0x03: "CP1252",
    0x13: "CP932",
    0x26: "CP866",
    0x4D: "GB18030",  # 936 GBK (PRC)
    0x4E: "CP949",
    0x4F: "CP950",
    0x50: "CP874",
    0x58: "CP1252",
    0x59: "CP1252",
    0x64: "CP852",
    0x65: "CP866",
    0x78: "CP950",
    0x79: "CP949",
    0x7A: "GB18030",  # 936 GBK (PRC, Windows)
    0x7B: "CP932",
    0x7C: "CP874",
    0xC8: "CP1250",
    0xC9: "CP1251",
    0xCA: "CP1254",
    0xCB: "CP1253",
    0xCC: "CP1257",
}
# 0x00 (not set) and 0x57 ("ANSI": the writer's system code page — GBK on Chinese Windows)
# say nothing reliable: the content decides.
_CHINESE_CODEPAGES = {"GBK", "GB2312", "CP936", "936", "GB18030", "EUC-CN", "54936"}


# ---------------------------------------------------------------------------------------------
# Encodings of shapefile attribute tables
# ---------------------------------------------------------------------------------------------


def _normalise_cpg(text: str) -> str | None:
    """Normalise the encoding named by a .cpg file for GDAL; None when not understood."""
    name = text.strip().strip("\x00").strip().upper()
    if name.startswith("ANSI "):
        name = name[5:].strip()
    if not name:
        return None
    if name in _CHINESE_CODEPAGES:
        return "GB18030"
    if name in {"UTF-8", "UTF8", "65001"}:
        return "UTF-8"
    if name.isdigit():
        if name.startswith("8859"):
            return f"ISO-8859-{name[4:]}" if len(name) > 4 else None
        name = f"CP{name}"
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def _dbf_string_bytes(fh: IO[bytes], *, max_records: int = 20_000) -> tuple[int, list[bytes]]:
    """Return (language driver id, raw values of the character fields) of a DBF stream."""
    head = fh.read(32)
    if len(head) < 32:
        raise InputFileError(
            "the .dbf attribute table is shorter than its 32-byte header; expected a dBASE "
            "file; fix: re-export the shapefile"
        )
    nrec = int.from_bytes(head[4:8], "little")
    header_len = int.from_bytes(head[8:10], "little")
    rec_len = int.from_bytes(head[10:12], "little")
    ldid = head[29]
    fields: list[tuple[int, int]] = []  # (offset in record, length) of C fields
    offset = 1  # deletion flag
    desc_bytes = fh.read(max(header_len - 32, 0))
    for i in range(0, len(desc_bytes) - 31, 32):
        desc = desc_bytes[i : i + 32]
        if desc[0] == 0x0D:
            break
        ftype, flen = chr(desc[11]), desc[16]
        if ftype == "C":
            fields.append((offset, flen))
        offset += flen
    values: list[bytes] = []
    if not fields or rec_len <= 0:
        return ldid, values
    for _ in range(min(nrec, max_records)):
        rec = fh.read(rec_len)
        if len(rec) < rec_len:
            break
        values.extend(rec[o : o + n].rstrip(b" \x00") for o, n in fields)
    return ldid, values


def _encoding_from_content(values: list[bytes]) -> str:
    """UTF-8 when every non-ASCII value decodes strictly as UTF-8, else GB18030."""
    for raw in values:
        if raw.isascii():
            continue
        # an incremental decoder tolerates a multi-byte character cut by the field width
        try:
            codecs.getincrementaldecoder("utf-8")("strict").decode(raw, final=False)
        except UnicodeDecodeError:
            return "GB18030"
    return "UTF-8"


def detect_encoding(cpg: str | None, dbf: IO[bytes] | None, what: str) -> str:
    """Decide the encoding of a DBF from its ``.cpg`` text, its header and its content.

    Parameters
    ----------
    cpg : str or None
        The text of the ``.cpg`` file, or None when there is none.
    dbf : binary file or None
        The open ``.dbf`` file (read from its start), or None.
    what : str
        The shapefile as named in log messages.

    Returns
    -------
    str
        An encoding name GDAL and Python both understand (``"UTF-8"``, ``"GB18030"`` …).
    """
    if cpg is not None:
        enc = _normalise_cpg(cpg)
        if enc is not None:
            return enc
        log.warning("%s: .cpg says %r, which is not an encoding; guessing", what, cpg.strip())
    if dbf is None:
        return "UTF-8"
    ldid, values = _dbf_string_bytes(dbf)
    if ldid in _LDID_ENCODINGS:
        return _LDID_ENCODINGS[ldid]
    enc = _encoding_from_content(values)
    if enc != "UTF-8":
        log.info("%s: no .cpg; attribute text is not UTF-8, read as %s", what, enc)
    return enc


def sibling_file(path: Path, suffix: str) -> Path | None:
    """Find the file next to ``path`` with another suffix, matched case-insensitively.

    Parameters
    ----------
    path : Path
        A file (``x.shp``).
    suffix : str
        The other suffix (``".dbf"``).

    Returns
    -------
    Path or None
        The sibling, or None when there is none.
    """
    want = (path.stem + suffix).lower()
    exact = path.with_suffix(suffix)
    if exact.exists():
        return exact
    try:
        for p in path.parent.iterdir():
            if p.name.lower() == want:
                return p
    except OSError:
        return None
    return None


def detect_dbf_encoding(path: str | os.PathLike[str]) -> str:
    """Detect the text encoding of a shapefile's attribute table.

    In order: the ``.cpg`` file if present; else the DBF language driver id (byte 29: e.g.
    0x4D / 0x7A = code page 936, GBK); else the content: UTF-8 when every text value decodes
    strictly as UTF-8, GB18030 otherwise. Simplified-Chinese code pages (GB2312, GBK, 936) are
    reported as GB18030, their superset.

    Parameters
    ----------
    path : path-like
        The ``.shp`` or ``.dbf`` file.

    Returns
    -------
    str
        An encoding name GDAL and Python both understand, e.g. ``"UTF-8"``, ``"GB18030"``.
    """
    p = Path(path)
    dbf = p if p.suffix.lower() == ".dbf" else sibling_file(p, ".dbf")
    cpg = sibling_file(p, ".cpg")
    cpg_text = cpg.read_text(encoding="ascii", errors="replace") if cpg else None
    if dbf is None:
        return _normalise_cpg(cpg_text or "") or "UTF-8"
    with open(dbf, "rb") as fh:
        return detect_encoding(cpg_text, fh, str(p))
