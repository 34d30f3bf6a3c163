"""What an input path may be before any reader opens it: local, of a readable type, offline.

zoning is an offline tool, yet GDAL and PROJ will fetch URLs when the data asks them to: a
GeoJSON ``"crs": {"type": "link", "href": "http://…"}`` is downloaded (and a served proj string
can move a site out of its zone), an OGR ``.vrt`` whose source is ``/vsicurl/http://…`` is
opened over HTTP, and a path typed as ``/vsis3/…`` reaches a bucket (issue 12). A FIFO or a
device (``/dev/zero`` as a CSV) blocks or never ends, and a layer path of ``/`` would be hashed
in full before being refused. :func:`check_source` refuses all of these with a message before
anything is opened; :func:`stay_offline` switches PROJ's network access off and makes GDAL's
``/vsicurl/`` and HTTP fetches fail, as a second line behind the refusals.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from zoning.errors import InputFileError, Problem

__all__ = [
    "MAX_TEXT_INPUT_BYTES",
    "check_source",
    "check_zip_member",
    "is_database_url",
    "is_remote_crs_text",
    "is_utf8_name",
    "proj_offline",
    "refuse_remote",
    "source_problem",
    "stay_offline",
    "unusable_path_message",
    "utf8_alias",
]

#: URL schemes of a PostGIS source (zoning.io.postgis reads them)
_DATABASE_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")

#: Text formats (CSV, GeoJSON, KML) are read whole into memory: larger files are refused.
MAX_TEXT_INPUT_BYTES = 2 * 1024**3

_TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".geojson", ".json", ".kml", ".vrt", ".gml"}
_JSON_SUFFIXES = {".geojson", ".json"}
_URL = re.compile(rb"[a-z][a-z0-9+.-]{1,15}://", re.IGNORECASE)
_REMOTE_TEXT = re.compile(r"^\s*(/vsi[a-z0-9_]*/|[a-z][a-z0-9+.-]{1,15}://)", re.IGNORECASE)
_VSI = re.compile(rb"/vsi[a-z0-9_]*/", re.IGNORECASE)
# a CRS named by an OGC URL is resolved by PROJ from its own database, never fetched
_OGC_CRS_URL = re.compile(rb"https?://www\.opengis\.net/def/crs/", re.IGNORECASE)
_JSON_CRS = re.compile(rb'"crs"\s*:\s*\{(.{0,2000}?)\}', re.DOTALL)
_VRT_REMOTE = re.compile(
    rb"[^<>\"']{0,40}(?:/vsi[a-z0-9_]*/|[a-z]{2,15}://)[^<>\"']{0,80}", re.IGNORECASE
)
_SCAN_CHUNK = 8 * 1024 * 1024


def is_database_url(text: object) -> bool:
    """Tell whether ``text`` is a PostgreSQL URL (``postgresql://…``), the deliberate source kind.

    Here rather than in :mod:`zoning.io.postgis`, so that checking a catalogue's paths does not
    import the database module.

    Examples
    --------
    >>> is_database_url("postgresql://me@127.0.0.1:5432/gis")
    True
    >>> is_database_url("data/redline.gpkg")
    False
    """
    return isinstance(text, str) and text.strip().lower().startswith(_DATABASE_SCHEMES)


def _offline_fix() -> str:
    return (
        "zoning works offline and never opens URLs or GDAL virtual file systems; fix: download "
        "the data, check it, and give the local file's path"
    )


def refuse_remote(text: str, what: str = "input") -> None:
    """Refuse a path typed as a URL (``http://…``) or a GDAL virtual path (``/vsicurl/…``).

    Raises
    ------
    InputFileError
        When ``text`` is one.

    Examples
    --------
    >>> refuse_remote("data/red line.gpkg")
    >>> try:
    ...     refuse_remote("/vsicurl/http://example.org/x.gpkg")
    ... except InputFileError as exc:
    ...     print(str(exc).split(";")[0])
    input '/vsicurl/http://example.org/x.gpkg' is a URL or a GDAL virtual file system path
    """
    if _REMOTE_TEXT.match(text):
        raise InputFileError(
            f"{what} {text!r} is a URL or a GDAL virtual file system path; expected a local "
            f"file; {_offline_fix()}"
        )


def _kind_of(mode: int) -> str | None:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "not a regular file"
    return None


def _is_file_geodatabase(path: Path) -> bool:
    """Tell whether ``path`` is a folder named ``*.gdb`` holding ``*.gdbtable`` files (one directory listing, no walk)."""
    if path.suffix.lower() != ".gdb":
        return False
    try:
        with os.scandir(path) as it:
            return any(e.name.lower().endswith(".gdbtable") for e in it)
    except OSError:
        return False


def _scan(source: Path | IO[bytes], pattern: re.Pattern[bytes]) -> list[bytes]:
    """Every match of ``pattern`` in a file (path or open binary file), in overlapping chunks."""
    found: list[bytes] = []
    tail = b""
    with open(source, "rb") if isinstance(source, Path) else contextlib.nullcontext(source) as fh:
        while chunk := fh.read(_SCAN_CHUNK):
            data = tail + chunk
            found += [m.group(0) for m in pattern.finditer(data)]
            tail = data[-2100:]
    return list(dict.fromkeys(found))


def _remote_crs(source: Path | IO[bytes]) -> str | None:
    """Find a GeoJSON ``crs`` member that links to, or names, something to download."""
    for member in _scan(source, _JSON_CRS):
        body = member.lower()
        urls = [m for m in _URL.finditer(body) if not _OGC_CRS_URL.match(body, m.start())]
        if b'"link"' in body or b'"href"' in body or urls or _VSI.search(body):
            return member[:200].decode("utf-8", "replace")
    return None


def _remote_vrt_source(path: Path) -> str | None:
    for m in _scan(path, _VRT_REMOTE):
        return m.decode("utf-8", "replace").strip()
    return None


def is_utf8_name(path: str | os.PathLike[str]) -> bool:
    """Whether the path is valid text (not GBK bytes read on a UTF-8 system).

    Examples
    --------
    >>> is_utf8_name("厂址.geojson"), is_utf8_name(os.fsdecode("厂址".encode("gbk")))
    (True, False)
    """
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@contextlib.contextmanager
def utf8_alias(path: Path) -> Iterator[Path]:
    """Yield a temporary ASCII-named symlink to ``path`` (and to its shapefile sidecars).

    Files copied from Chinese Windows keep GBK-encoded names on a UTF-8 system; GDAL can only be
    given UTF-8 names, so it reads them through the alias. The alias folder is removed after.
    """
    with tempfile.TemporaryDirectory(prefix="zoning-alias-") as tmp:
        stem = path.name[: -len(path.suffix)] if path.suffix else path.name
        siblings = [path]
        if path.suffix.lower() == ".shp" and path.parent.is_dir():
            siblings = [q for q in path.parent.iterdir() if q.name[: len(stem) + 1] == stem + "."]
        for q in siblings:
            os.symlink(q.absolute(), Path(tmp) / f"input{q.suffix}")
        yield Path(tmp) / f"input{path.suffix}"


def check_zip_member(zf: zipfile.ZipFile, name: str, archive: Path) -> None:
    """Refuse a GeoJSON member of an archive whose ``crs`` links to or names a URL.

    Raises
    ------
    InputFileError
    """
    if Path(name).suffix.lower() not in _JSON_SUFFIXES:
        return
    with zf.open(name) as fh:
        member = _remote_crs(fh)
    if member is not None:
        raise InputFileError(
            f"{archive}!{name} declares its CRS by a link or URL ({member!r}); expected a CRS "
            f"named locally such as EPSG:4490; {_offline_fix()} (or replace the crs member)"
        )


def check_source(path: str | os.PathLike[str], what: str = "input") -> None:
    """Refuse what a reader must not open; return quietly otherwise (and for missing paths).

    Refused: URLs and ``/vsi…/`` paths; FIFOs, devices and sockets (checked with ``stat``
    before opening); folders other than File Geodatabases (``/``, a symlink to a big folder);
    text files over :data:`MAX_TEXT_INPUT_BYTES`; GeoJSON whose ``crs`` links to or names a
    URL; OGR ``.vrt`` files whose sources are URLs or ``/vsi…/`` paths; file names that are
    not valid text in the file system's encoding (GBK names on a UTF-8 system).

    Raises
    ------
    InputFileError
        Saying what was found, what was expected and the fix.
    """
    text = os.fspath(path)
    refuse_remote(text, what)
    p = Path(text)
    if not is_utf8_name(text):
        raise InputFileError(
            f"{what} {text.encode('utf-8', 'surrogateescape').decode('gb18030', 'replace')!r}: "
            "the file name is not UTF-8 (it looks GBK-encoded, as copied from Chinese Windows); "
            "expected a UTF-8 file name; fix: rename the file (e.g. `convmv -f gbk -t utf-8 "
            "--notest FILE`)"
        )
    try:
        mode = p.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return  # missing: the reader says so with its own message
    except OSError as exc:  # a name too long for the file system, a loop of symlinks …
        raise InputFileError(unusable_path_message(text, what, exc)) from None
    kind = _kind_of(mode)
    if kind is not None:
        raise InputFileError(
            f"{what} {p} is {kind}; expected a regular file (reading it could block or never "
            "end); fix: copy the data into a file and give its path"
        )
    if stat.S_ISDIR(mode):
        if _is_file_geodatabase(p):
            return
        raise InputFileError(
            f"{what} {p} is a folder; expected a data file (or a File Geodatabase: a .gdb "
            "folder holding .gdbtable files); fix: give the file inside it"
        )
    suffix = p.suffix.lower()
    if suffix not in _TEXT_SUFFIXES:
        return
    size = os.stat(p).st_size
    if size > MAX_TEXT_INPUT_BYTES:
        raise InputFileError(
            f"{what} {p} is {size:,} bytes of text; expected at most {MAX_TEXT_INPUT_BYTES:,} "
            "bytes; fix: convert it to a GeoPackage (ogr2ogr -f GPKG out.gpkg IN)"
        )
    if suffix in _JSON_SUFFIXES:
        member = _remote_crs(p)
        if member is not None:
            raise InputFileError(
                f"{what} {p} declares its CRS by a link or URL ({member!r}); expected a CRS "
                'named locally such as {"type": "name", "properties": {"name": '
                f'"EPSG:4490"}}}}; {_offline_fix()} (or replace the crs member)'
            )
    elif suffix == ".vrt":
        source = _remote_vrt_source(p)
        if source is not None:
            raise InputFileError(
                f"{what} {p} is a GDAL VRT whose source is remote ({source!r}); expected "
                f"sources that are local files; {_offline_fix()}"
            )


def source_problem(base: Path, value: str, what: str) -> Problem | None:
    """:func:`check_source` for a path written in a file (relative to ``base``), as a problem.

    Used by the catalogue, which collects every problem before raising; checks the type of
    the file before anything hashes or opens it.
    """
    try:
        refuse_remote(value, what)
        check_source((base / value).resolve(), what)
    except InputFileError as exc:
        return Problem("source_refused", str(exc))
    except OSError as exc:  # a name too long for the file system, a loop of symlinks …
        return Problem("bad_path", unusable_path_message(value, what, exc))
    return None


def unusable_path_message(value: str, what: str, exc: OSError) -> str:
    """Word the message for a path the file system refuses to even look up."""
    shown = value if len(value) <= 80 else value[:77] + "..."
    return (
        f"{what} {shown!r} cannot be used as a path ({exc.strerror or exc}); expected the path "
        "of an existing file; fix: correct the path"
    )


def is_remote_crs_text(text: str) -> bool:
    """Tell whether a CRS is given as a URL or ``/vsi`` path (OGC ``opengis.net/def/crs`` excepted).

    Examples
    --------
    >>> is_remote_crs_text("http://www.opengis.net/def/crs/EPSG/0/4490")
    False
    >>> is_remote_crs_text("https://example.org/shifted.prj")
    True
    """
    data = text.strip().encode("utf-8", "replace")
    urls = [m for m in _URL.finditer(data) if not _OGC_CRS_URL.match(data, m.start())]
    return bool(urls or _VSI.search(data))


@functools.cache
def proj_offline() -> None:
    """Switch PROJ's network access (grid downloads) off in this process (idempotent)."""
    os.environ["PROJ_NETWORK"] = "OFF"
    import pyproj.network

    pyproj.network.set_network_enabled(False)


@functools.cache
def stay_offline() -> None:
    """Switch off network access of PROJ and GDAL in this process (idempotent).

    PROJ's grid download (``PROJ_NETWORK``) is disabled; GDAL's ``/vsicurl/`` may open no file
    (``CPL_VSIL_CURL_ALLOWED_FILENAME``) and its HTTP client is pointed at a proxy that does
    not exist, so a fetch the refusals of :func:`check_source` did not foresee fails instead of
    reaching the network.
    """
    proj_offline()
    import pyogrio

    pyogrio.set_gdal_config_options(
        {
            "CPL_VSIL_CURL_ALLOWED_FILENAME": "/zoning-is-offline",
            "GDAL_HTTP_PROXY": "127.0.0.1:1",
            "GDAL_HTTPS_PROXY": "127.0.0.1:1",
            "GDAL_HTTP_CONNECTTIMEOUT": "1",
            "GDAL_HTTP_MAX_RETRY": "0",
        }
    )
