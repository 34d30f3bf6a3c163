"""Atomic writes (``zoning.io.atomic``): files, text and folders appear whole or not at all."""

from __future__ import annotations

import os

import geopandas as gpd
import io_samples
import pytest

from zoning import io as zio
from zoning.errors import (
    OutputExistsError,
)


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    """Three unit squares (0.1° side) with Chinese names, in CGCS2000."""
    return io_samples.units_frame()


def test_atomic_write_text_and_bytes(tmp_path, monkeypatch):
    path = zio.atomic_write_text(tmp_path / "sub" / "r.txt", "山西\nline2\n")
    assert path.read_bytes() == "山西\nline2\n".encode()
    with pytest.raises(OutputExistsError, match=r"r\.txt"):
        zio.atomic_write_text(path, "other")
    zio.atomic_write_bytes(path, b"\x00\x01", overwrite=True)
    assert path.read_bytes() == b"\x00\x01"

    def fail_replace(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(OSError, match="rename failed"):
        zio.atomic_write_bytes(path, b"new", overwrite=True)
    assert path.read_bytes() == b"\x00\x01"
    assert [p.name for p in path.parent.iterdir()] == ["r.txt"]


def test_atomic_directory_success_and_overwrite(tmp_path):
    out = tmp_path / "run"
    with zio.atomic_directory(out) as tmp:
        assert tmp.parent == tmp_path and tmp != out and tmp.is_dir()
        assert not out.exists()
        (tmp / "a.txt").write_text("1")
    assert (out / "a.txt").read_text() == "1"
    with zio.atomic_directory(out, overwrite=True) as tmp:
        (tmp / "b.txt").write_text("2")
    assert sorted(p.name for p in out.iterdir()) == ["b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_atomic_directory_refuses_before_work(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    ran = []
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        with zio.atomic_directory(out):
            ran.append(True)
    assert ran == []


def test_atomic_directory_failure_keeps_old(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="analysis failed"):
        with zio.atomic_directory(out, overwrite=True) as tmp:
            (tmp / "partial.txt").write_text("x")
            raise RuntimeError("analysis failed")
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
