"""Raster input for zonal statistics: one band, row chunk by row chunk, into a reused buffer.

Two ways to read a file, with the same cells:

* **direct** — an uncompressed GeoTIFF in the machine's byte order (single band or band
  interleaved, every block at the same offset modulo the cell size) is memory-mapped and its blocks are reduced
  in place, one block row at a time: no GDAL block cache, no copy. The block offsets come
  from the file's first IFD and are checked against GDAL's;
* **windowed** — anything else goes through ``rasterio`` windows of whole block rows.

A chunk is ``(first_row, n_rows, data, tile_start, block_width)``: block ``j`` of the chunk holds
columns ``j * block_width …`` of its rows, row-major, from ``data[tile_start[j]]``. Arrays
already in memory are cut into row-major chunks (one block) without a copy.
"""

from __future__ import annotations

import mmap
import os
import struct
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from zoning.errors import InputFileError

if TYPE_CHECKING:
    from affine import Affine

__all__ = ["array_chunks", "file_chunks", "open_raster", "read_grid_band", "tiff_block_offsets"]

Chunk = tuple[int, int, np.ndarray, np.ndarray, int]
_TIFF_TYPES = {3: "H", 4: "I", 16: "Q"}  # SHORT, LONG, LONG8


def open_raster(path: str) -> Any:
    """Open a raster file with rasterio, with a clear error when it cannot be read.

    Parameters
    ----------
    path : str
        Path of a GeoTIFF or another GDAL raster.

    Returns
    -------
    rasterio.io.DatasetReader
        The open dataset (use it as a context manager).

    Raises
    ------
    InputFileError
        If the file cannot be opened as a raster.
    """
    import rasterio

    try:
        return rasterio.open(str(path))
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(
            f"Cannot read raster {path!s}: {exc}. Expected a GeoTIFF or another GDAL raster; "
            "check the path."
        ) from exc


def read_grid_band(path: str, *, band: int = 1) -> tuple[np.ndarray, Affine, Any, float | None]:
    """Read one band of a raster file: ``(array, transform, crs, nodata)``.

    Raises
    ------
    InputFileError
        If the file cannot be opened as a raster.
    """
    with open_raster(path) as src:
        return src.read(band), src.transform, src.crs, src.nodata


def array_chunks(array: np.ndarray, rows: int) -> Iterator[Chunk]:
    """Yield the row chunks of an in-memory 2-D array, ``rows`` rows at a time.

    Parameters
    ----------
    array : numpy.ndarray
        The band.
    rows : int
        Rows per chunk.

    Yields
    ------
    tuple
        ``(first_row, n_rows, data, tile_start, block_width)``: the chunk row-major in
        ``data`` (a view when the array is C-contiguous), one block ``[0]`` as wide as the
        array.
    """
    one = np.zeros(1, dtype=np.int64)
    for r0 in range(0, array.shape[0], rows):
        part = np.ascontiguousarray(array[r0 : r0 + rows])
        yield r0, part.shape[0], part.reshape(-1), one, array.shape[1]


def tiff_block_offsets(path: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Return the block (tile or strip) offsets and byte counts of a TIFF's first image.

    Parameters
    ----------
    path : str
        A TIFF or BigTIFF file.

    Returns
    -------
    tuple of numpy.ndarray or None
        ``(offsets, byte_counts)`` in file order (row-major blocks, band after band), or None
        when the file is not a TIFF in the machine's byte order or lacks the tags.
    """
    order = "<" if sys.byteorder == "little" else ">"
    with open(path, "rb") as f:
        head = f.read(16)
        if head[:2] != (b"II" if order == "<" else b"MM"):
            return None
        (magic,) = struct.unpack(order + "H", head[2:4])
        if magic == 42:
            (ifd,) = struct.unpack(order + "I", head[4:8])
            count_fmt, entry_fmt, entry_size, inline = "H", "HHI4s", 12, 4
        elif magic == 43:
            (ifd,) = struct.unpack(order + "Q", head[8:16])
            count_fmt, entry_fmt, entry_size, inline = "Q", "HHQ8s", 20, 8
        else:
            return None
        f.seek(ifd)
        (n,) = struct.unpack(order + count_fmt, f.read(struct.calcsize(count_fmt)))
        raw = f.read(n * entry_size)
        tags: dict[int, np.ndarray] = {}
        for k in range(n):
            tag, typ, count, value = struct.unpack(
                order + entry_fmt, raw[k * entry_size : (k + 1) * entry_size]
            )
            if tag not in (273, 279, 324, 325) or typ not in _TIFF_TYPES:
                continue
            dtype = np.dtype(order + _TIFF_TYPES[typ])
            if count * dtype.itemsize <= inline:
                tags[tag] = np.frombuffer(value, dtype=dtype, count=count).astype(np.int64)
            else:
                (at,) = struct.unpack(order + ("I" if inline == 4 else "Q"), value)
                f.seek(at)
                data = f.read(count * dtype.itemsize)
                tags[tag] = np.frombuffer(data, dtype=dtype).astype(np.int64)
    for off, size in ((324, 325), (273, 279)):
        if off in tags and size in tags and tags[off].size == tags[size].size:
            return tags[off], tags[size]
    return None


def _direct_blocks(src: Any) -> tuple[np.ndarray, int, int] | None:
    """Offsets ``(block_rows, block_cols)`` of band 1 when its blocks can be read raw."""
    dtype = np.dtype(src.dtypes[0])
    if (
        src.driver != "GTiff"
        or src.compression is not None
        or dtype.kind not in "fiu"
        or (src.count > 1 and getattr(src.interleaving, "name", "") != "band")
        or src.tags(1, ns="IMAGE_STRUCTURE").get("NBITS") not in (None, str(8 * dtype.itemsize))
        or not os.path.isfile(str(src.name))
    ):
        return None
    bh, bw = src.block_shapes[0]
    n_r, n_c = -(-src.height // bh), -(-src.width // bw)
    found = tiff_block_offsets(str(src.name))
    if found is None or found[0].size < n_r * n_c:
        return None
    offsets, sizes = found[0][: n_r * n_c], found[1][: n_r * n_c]
    rows_in = np.minimum(bh, src.height - np.arange(n_r) * bh)
    need = np.repeat(rows_in * bw * dtype.itemsize, n_c)
    shift = offsets % dtype.itemsize
    if np.any(offsets <= 0) or np.any(sizes < need) or np.any(shift != shift[0]):
        return None  # sparse, short or unevenly aligned blocks: let GDAL read
    for i, j in ((0, 0), (n_r - 1, n_c - 1)):  # GDAL must see the same blocks
        gdal = src.get_tag_item(f"BLOCK_OFFSET_{j}_{i}", "TIFF", 1)
        if gdal is None or int(gdal) != int(offsets[i * n_c + j]):
            return None
    return offsets.reshape(n_r, n_c), bh, bw


def file_chunks(src: Any, rows: int, *, direct: bool = True) -> Iterator[Chunk]:
    """Yield the row chunks of band 1 of an open raster.

    Parameters
    ----------
    src : rasterio.io.DatasetReader
        The open raster.
    rows : int
        Rows per chunk (rounded down to whole block rows, at least one block row).
    direct : bool
        Read an uncompressed GeoTIFF's blocks in place through a memory map (see the module
        docstring); False always reads row-major windows through rasterio.

    Yields
    ------
    tuple
        ``(first_row, n_rows, data, tile_start, block_width)`` as :func:`array_chunks`. Windowed
        chunks are row-major (one block) in a buffer overwritten by the next chunk; direct
        chunks are one block row of the file, block ``j`` at ``data[tile_start[j]]``.
    """
    from rasterio.windows import Window

    blocks = _direct_blocks(src) if direct else None
    if blocks is not None:
        yield from _mapped_chunks(src, *blocks)
        return
    block_rows = src.block_shapes[0][0]
    rows = max(block_rows, (rows // block_rows) * block_rows)
    buf = np.empty((min(rows, src.height), src.width), dtype=src.dtypes[0])
    one = np.zeros(1, dtype=np.int64)
    for r0 in range(0, src.height, rows):
        n = min(rows, src.height - r0)
        src.read(1, window=Window(0, r0, src.width, n), out=buf[:n])
        yield r0, n, buf[:n].reshape(-1), one, src.width


def _mapped_chunks(src: Any, offsets: np.ndarray, bh: int, bw: int) -> Iterator[Chunk]:
    """Yield the block rows of an uncompressed GeoTIFF from a read-only memory map."""
    item = np.dtype(src.dtypes[0]).itemsize
    with open(str(src.name), "rb") as f:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        shift = int(offsets[0, 0]) % item  # GDAL does not align blocks to the cell size
        count = (len(mapped) - shift) // item
        data = np.frombuffer(mapped, dtype=src.dtypes[0], count=count, offset=shift)
        for i in range(offsets.shape[0]):
            yield i * bh, min(bh, src.height - i * bh), data, (offsets[i] - shift) // item, bw
        del data
    finally:
        try:
            mapped.close()
        except BufferError:  # the caller still holds the last chunk: unmapped when it goes
            pass
