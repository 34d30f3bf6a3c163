"""Office Open XML packages (.xlsx, .docx) written byte-identically on rerun.

openpyxl and python-docx stamp the current time on every zip member, and openpyxl also on the
document's "modified" property; :func:`fixed_zip` rewrites a package with fixed times so that
the same tables give the same file (batch runs compare outputs by checksum).
"""

from __future__ import annotations

import io
import re
import zipfile

__all__ = ["FIXED_TIME", "fixed_zip"]

#: the time written into every member and into ``docProps/core.xml``.
FIXED_TIME = (2000, 1, 1, 0, 0, 0)


def fixed_zip(data: bytes) -> bytes:
    """Return the package ``data`` with fixed member timestamps and modification time.

    Examples
    --------
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as z:
    ...     z.writestr("a.xml", "<a/>")
    >>> zipfile.ZipFile(io.BytesIO(fixed_zip(buf.getvalue()))).infolist()[0].date_time
    (2000, 1, 1, 0, 0, 0)
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            member = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                member = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2000-01-01T00:00:00Z\g<2>",
                    member,
                )
            dst.writestr(fixed, member)
    return buf.getvalue()
