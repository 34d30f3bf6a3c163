"""Raster input of the zonal statistics (zoning.restoration.zonal_read)."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from zoning.errors import InputFileError
from zoning.restoration.zonal_read import (
    array_chunks,
    file_chunks,
    open_raster,
    read_grid_band,
    tiff_block_offsets,
)


def _write(path, values, **options):
    count = 1 if values.ndim == 2 else values.shape[0]
    height, width = values.shape[-2:]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=count,
        dtype=values.dtype,
        transform=Affine(1, 0, 0, 0, -1, height),
        **options,
    ) as dst:
        dst.write(values if values.ndim == 3 else values[None])
    return path


def _assemble(chunks, height, width):
    out = np.empty((height, width))
    for r0, n, data, tile_start, bw in chunks:
        for j, at in enumerate(tile_start):
            cols = min(bw, width - j * bw)
            block = data[at : at + n * bw].reshape(n, bw)
            out[r0 : r0 + n, j * bw : j * bw + cols] = block[:, :cols]
    return out


LAYOUTS = {
    "tiled": {"tiled": True, "blockxsize": 16, "blockysize": 32},
    "striped": {"blockysize": 7},
    "bigtiff": {"tiled": True, "blockxsize": 32, "blockysize": 16, "BIGTIFF": "YES"},
    "deflate": {"tiled": True, "blockxsize": 16, "blockysize": 16, "compress": "deflate"},
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("dtype", ["float32", "int16", "float64"])
@pytest.mark.parametrize("direct", [True, False])
def test_chunks_hold_the_band(tmp_path, layout, dtype, direct):
    rng = np.random.default_rng(1)
    values = (rng.random((75, 83)) * 1000).astype(dtype)  # partial last blocks both ways
    path = _write(tmp_path / "v.tif", values, **LAYOUTS[layout])
    with rasterio.open(path) as src:
        got = _assemble(file_chunks(src, 40, direct=direct), 75, 83)
    np.testing.assert_array_equal(got, values)


def test_direct_chunks_are_block_rows_in_place(tmp_path):
    values = np.arange(75 * 83, dtype=np.float32).reshape(75, 83)
    path = _write(tmp_path / "v.tif", values, **LAYOUTS["tiled"])
    with rasterio.open(path) as src:
        chunks = list(file_chunks(src, 512))
    assert [(r0, n, bw, ts.size) for r0, n, _d, ts, bw in chunks] == [
        (0, 32, 16, 6),
        (32, 32, 16, 6),
        (64, 11, 16, 6),
    ]
    assert not chunks[0][2].flags.writeable  # the memory map itself, not a copy


def test_compressed_files_go_through_gdal_windows(tmp_path):
    values = np.ones((40, 40), dtype=np.float32)
    path = _write(tmp_path / "v.tif", values, **LAYOUTS["deflate"])
    with rasterio.open(path) as src:
        chunks = list(file_chunks(src, 16))
    assert [(r0, n, bw, ts.tolist()) for r0, n, _d, ts, bw in chunks] == [
        (0, 16, 40, [0]),
        (16, 16, 40, [0]),
        (32, 8, 40, [0]),
    ]


@pytest.mark.parametrize("layout", ["tiled", "striped", "bigtiff"])
def test_block_offsets_are_gdals(tmp_path, layout):
    values = np.zeros((2, 75, 83), dtype=np.float32)
    path = _write(tmp_path / "v.tif", values, interleave="band", **LAYOUTS[layout])
    offsets, sizes = tiff_block_offsets(str(path))
    with rasterio.open(path) as src:
        bh, bw = src.block_shapes[0]
        n_r, n_c = -(-75 // bh), -(-83 // bw)
        assert offsets.size == 2 * n_r * n_c
        for band in (1, 2):
            for i in range(n_r):
                for j in range(n_c):
                    k = (band - 1) * n_r * n_c + i * n_c + j
                    tag = src.get_tag_item(f"BLOCK_OFFSET_{j}_{i}", "TIFF", band)
                    assert int(tag) == offsets[k]
                    tag = src.get_tag_item(f"BLOCK_SIZE_{j}_{i}", "TIFF", band)
                    assert int(tag) == sizes[k]


def test_not_a_tiff_has_no_block_offsets(tmp_path):
    path = tmp_path / "x.tif"
    path.write_bytes(b"PK\x03\x04 not a tiff at all")
    assert tiff_block_offsets(str(path)) is None


def test_array_chunks_are_views():
    values = np.arange(12.0).reshape(4, 3)
    chunks = list(array_chunks(values, 3))
    assert [(r0, n, bw) for r0, n, _d, _t, bw in chunks] == [(0, 3, 3), (3, 1, 3)]
    assert np.shares_memory(chunks[0][2], values)


def test_read_grid_band_and_errors(tmp_path):
    values = np.arange(6, dtype=np.int16).reshape(2, 3)
    path = _write(tmp_path / "v.tif", values, nodata=-1)
    band, transform, _crs, nodata = read_grid_band(str(path))
    np.testing.assert_array_equal(band, values)
    assert transform == Affine(1, 0, 0, 0, -1, 2) and nodata == -1
    with pytest.raises(InputFileError, match="Cannot read raster"):
        open_raster(str(tmp_path / "missing.tif"))
