"""Checksums of files and folders (``zoning.io.checksums``)."""

from __future__ import annotations

import geopandas as gpd
import io_samples
import pytest

from zoning import io as zio
from zoning.errors import (
    InputFileError,
)


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    """Three unit squares (0.1° side) with Chinese names, in CGCS2000."""
    return io_samples.units_frame()


def test_sha256_file_and_directory(tmp_path):
    f = tmp_path / "abc.txt"
    f.write_bytes(b"abc")
    # FIPS 180-2 test vector for "abc"
    assert zio.sha256_file(f) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    d1, d2 = tmp_path / "a.gdb", tmp_path / "b.gdb"
    for d, order in ((d1, ["x", "y"]), (d2, ["y", "x"])):  # created in different orders
        d.mkdir()
        for n in order:
            (d / n).write_text(n)
    assert zio.sha256_file(d1) == zio.sha256_file(d2)
    (d2 / "y").write_text("changed")
    assert zio.sha256_file(d1) != zio.sha256_file(d2)
    with pytest.raises(InputFileError):
        zio.sha256_file(tmp_path / "missing")
