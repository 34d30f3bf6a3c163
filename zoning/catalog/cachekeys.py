"""The layer cache's files: their names, writing a validated layer, reading them ahead.

A layer's cache entry is named by a checksum of the cache format, the zoning version, the
source file's content and the catalogue entry (:func:`cache_key`, :func:`cache_paths`); its
projected frames add the target CRS (:func:`crs_key`). :func:`write_cache` writes a validated
layer (frame, problems, repairs). :class:`ReadAhead` reads such files on a thread of its own
(:func:`zoning.io.geoparquet.read_parts`) for :meth:`zoning.catalog.Catalog.read_ahead`.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Hashable
from concurrent.futures import Future
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoning.io.cachefiles import cache_unwritable

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from zoning.errors import Problem
    from zoning.io.geoparquet import ParquetParts

__all__ = [
    "ReadAhead",
    "cache_folder",
    "cache_key",
    "cache_paths",
    "crs_key",
    "source_checksum",
    "write_cache",
]

#: bump when the cached frame format changes
_CACHE_FORMAT = "2"

_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _source_files(path: Path) -> list[Path]:
    if path.suffix.lower() == ".shp":
        return [p for p in (path.with_suffix(s) for s in _SIDECARS) if p.exists()]
    return [path]


def source_checksum(path: Path) -> str:
    """Return the sha256 of a layer's source (all shapefile parts together)."""
    files = _source_files(path)
    if len(files) == 1:
        return _file_checksum(files[0])
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.suffix.encode() + _file_checksum(f).encode())
    return digest.hexdigest()


def _file_checksum(path: Path) -> str:
    # one GeoPackage often holds many layers: hash it once per version of the file
    stat = path.stat()
    return _checksum_of(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _checksum_of(path: str, mtime_ns: int, size: int) -> str:
    from zoning.io import sha256_file

    return sha256_file(path)


def cache_key(spec_digest: str, checksum: str) -> str:
    """Name a layer's cache entry (format, zoning version, source checksum, entry digest)."""
    from zoning import __version__

    return hashlib.sha256(
        f"{_CACHE_FORMAT}|{__version__}|{checksum}|{spec_digest}".encode()
    ).hexdigest()[:32]


def crs_key(crs: Any) -> str:
    """Name a CRS (a :class:`pyproj.CRS`) in cache file names: its WKT's checksum, shortened."""
    return hashlib.sha256(crs.to_wkt().encode()).hexdigest()[:12]


def cache_folder() -> Path:
    """Return the folder of the layer cache (:func:`zoning.datasets.cache.cache_dir`'s
    ``layers``), without creating it.
    """  # noqa: D205 (one sentence)
    env = os.environ.get("ZONING_CACHE_DIR")
    return (Path(env) if env else Path.home() / ".cache" / "zoning") / "layers"


def cache_paths(spec_digest: str, checksum: str) -> tuple[Path, Path]:
    """Return a layer's cache files (frame, problems), creating the folder if need be.

    A cache folder that cannot be created is warned about (once) and the paths are returned
    all the same: writing them fails, and the work goes on without the cache.
    """
    from zoning.datasets.cache import cache_dir

    key = cache_key(spec_digest, checksum)
    try:
        folder = cache_dir() / "layers"
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # the cache cannot be created: work without it
        folder = cache_folder()
        cache_unwritable(folder / key, exc)
    return folder / f"{key}.parquet", folder / f"{key}.json"


def write_cache(
    frame: gpd.GeoDataFrame,
    problems: list[Problem],
    repairs: pd.DataFrame,
    crs_found: str,
    parquet: Path,
    meta: Path,
) -> None:
    """Write a validated layer's frame and its problems, repairs and CRS into the cache."""
    from zoning.io import atomic_write_text, write_vector

    frame = frame.copy()
    for col in frame.columns:
        if col != "geometry" and frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: v if v is None else str(v))
    write_vector(frame, parquet, overwrite=True)
    info = {
        "problems": [p.to_dict() for p in problems],
        "repairs": json.loads(repairs.to_json(orient="records", force_ascii=False))
        if len(repairs)
        else [],
        "crs_found": crs_found,
    }
    atomic_write_text(meta, json.dumps(info, ensure_ascii=False), overwrite=True)


class ReadAhead:
    """Cache files read on a thread of their own, each under the key of what will ask for it.

    Examples
    --------
    >>> ahead = ReadAhead()
    >>> ahead.frame(("layer", None, None), Path("nowhere.parquet")) is None  # not read ahead
    True
    """

    def __init__(self) -> None:
        self._futures: dict[Hashable, Future[tuple[Path, ParquetParts | None] | None]] = {}

    def start(
        self, jobs: list[tuple[Hashable, Path, str, str | None, list[str] | None]]
    ) -> threading.Thread:
        """Start reading, in order, on a new thread.

        Parameters
        ----------
        jobs : list of tuple
            ``(key, source path, entry digest, CRS key or None, columns or None)``: the
            validated frame (CRS key None) or the projected frame of a layer, the columns
            besides the geometry (None: all).

        Returns
        -------
        threading.Thread
            The thread reading them (it only reads: join it before the process ends at once).
        """
        for key, *_ in jobs:
            self._futures[key] = Future()
        thread = threading.Thread(
            target=self._read,
            args=([(self._futures[key], *job) for key, *job in jobs],),
            name="zoning-read-ahead",
        )
        thread.start()
        return thread

    @staticmethod
    def _read(jobs: list[tuple[Future[Any], Path, str, str | None, list[str] | None]]) -> None:
        """Read each file into its future: ``(cache file, parts or None)``, or None.

        Parts are None when the file is absent or not one
        :func:`zoning.io.geoparquet.read_parts` reads; the future's result is None when
        anything goes wrong. Nothing is created, removed or logged here.
        """
        from zoning.io.geoparquet import read_parts

        folder = cache_folder()
        for future, source, digest, crs, columns in jobs:
            try:
                key = cache_key(digest, source_checksum(source))
                path = folder / (f"{key}.parquet" if crs is None else f"{key}-{crs}.parquet")
                read = None if columns is None else [*columns, "geometry"]
                future.set_result((path, read_parts(path, read) if path.is_file() else None))
            except Exception:  # read again the usual way, which reports the problem
                future.set_result(None)

    def frame(self, key: Hashable, path: Path) -> gpd.GeoDataFrame | None:
        """Return the frame of cache file ``path`` read ahead under ``key`` (once), or None.

        None when nothing was read under ``key``, or not from ``path``, or the file could not
        be read that way: the caller reads it the usual way (which reports any problem).
        """
        from zoning.io.geoparquet import to_frame

        future = self._futures.pop(key, None)
        got = None if future is None else future.result()
        if got is None or got[0] != path or got[1] is None:
            return None
        try:
            return to_frame(got[1])
        except Exception:  # read again the usual way, which reports the problem
            return None
