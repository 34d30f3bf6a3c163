"""Checks of an uploaded .zip / .kmz before anything reads inside it.

Refused with a message (:class:`zoning.errors.InputFileError`, answered 400): member names that
could leave the folder (``..``, absolute paths, drive letters, backslashes), links, too many
members, a member or a total larger than the limits, and a compression ratio only a zip bomb
has. The declared sizes can lie, so every member is then inflated to nowhere with the real
bytes counted against the same limits (and the CRC-32 checked): a bomb stops at the limit,
never at the end of the disk.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from zoning.errors import InputFileError

__all__ = ["ArchiveLimits", "check_archive"]


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits of an uploaded archive."""

    max_members: int = 1000
    max_member_bytes: int = 200 * 1024 * 1024
    max_total_bytes: int = 200 * 1024 * 1024
    #: geodata compresses less than this; above it only when the archive is big enough to matter
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 1024 * 1024


def _unsafe_name(name: str) -> str | None:
    """Why a member name is unsafe, or None."""
    if "\x00" in name:
        return "a NUL character"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if "\\" in name:
        return "a backslash"
    if ".." in PurePosixPath(name).parts:
        return "a '..' component"
    return None


def _refuse(shown: str, what: str) -> InputFileError:
    return InputFileError(
        f"archive {shown} {what}; nothing was unpacked; expected a plain .zip/.kmz of geodata "
        "files; fix: re-create the archive from the data files themselves"
    )


def check_archive(path: Path, shown: str, limits: ArchiveLimits) -> None:
    """Refuse an unsafe archive (see the module docstring); return quietly when it is fine.

    Parameters
    ----------
    path : Path
        The archive on disk (inside the request's private folder).
    shown : str
        The name the client gave, used in messages.
    limits : ArchiveLimits

    Raises
    ------
    InputFileError
        With what was found, what was expected and the fix.
    """
    try:
        zf = zipfile.ZipFile(path)
    except Exception as exc:
        raise _refuse(shown, f"cannot be opened ({type(exc).__name__})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise _refuse(shown, f"holds {len(infos):,} members, more than {limits.max_members:,}")
        total = packed = 0
        for info in infos:
            why = _unsafe_name(info.filename)
            if why is not None:
                raise _refuse(shown, f"has a member name with {why} ({info.filename!r})")
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise _refuse(shown, f"holds a symbolic link ({info.filename!r})")
            if info.file_size > limits.max_member_bytes:
                raise _refuse(
                    shown,
                    f"member {info.filename!r} declares {info.file_size:,} bytes uncompressed, "
                    f"more than the limit of {limits.max_member_bytes:,}",
                )
            total += info.file_size
            packed += info.compress_size
        if total > limits.max_total_bytes:
            raise _refuse(
                shown,
                f"declares {total:,} bytes uncompressed, more than the limit of "
                f"{limits.max_total_bytes:,}",
            )
        ratio = total / max(packed, 1)
        if total > limits.ratio_floor_bytes and ratio > limits.max_ratio:
            raise _refuse(
                shown,
                f"inflates {packed:,} bytes to {total:,} (ratio {ratio:,.0f}:1), the signature "
                f"of a zip bomb (geodata compresses less than {limits.max_ratio:g}:1)",
            )
        _inflate_counted(zf, infos, shown, limits)


def _inflate_counted(
    zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], shown: str, limits: ArchiveLimits
) -> None:
    """Inflate every member to nowhere, counting real bytes (declared sizes can lie)."""
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        size = 0
        try:
            with zf.open(info) as fh:
                while chunk := fh.read(1 << 20):
                    size += len(chunk)
                    total += len(chunk)
                    if size > limits.max_member_bytes or total > limits.max_total_bytes:
                        raise _refuse(
                            shown,
                            f"inflates past the limit of {limits.max_total_bytes:,} bytes "
                            f"(member {info.filename!r})",
                        )
        except InputFileError:
            raise
        except Exception as exc:  # CRC mismatch, unknown method, encryption, truncation
            raise _refuse(
                shown, f"is damaged or encrypted: {info.filename!r} cannot be unpacked"
            ) from exc
