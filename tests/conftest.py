"""Shared fixtures. The demo catalogue is built once per cache and reused by every test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Keep test caches inside the repository (ignored by git) so tests never touch ~/.cache and a
# fresh clone starts clean; the cache is keyed by checksums, so reuse across runs is safe.
os.environ.setdefault(
    "ZONING_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".pytest_cache" / "zoning")
)


@pytest.fixture(scope="session")
def demo_catalog_path() -> Path:
    """Path of the demo ``catalog.toml`` (built on first use)."""
    from zoning.datasets import demo_catalog_path as _path

    return _path()


@pytest.fixture(scope="session")
def demo_catalog(demo_catalog_path: Path):
    """The loaded demo :class:`zoning.catalog.Catalog` (layers load lazily, cached)."""
    from zoning.catalog import load_catalog

    return load_catalog(demo_catalog_path)


@pytest.fixture(scope="session")
def demo_admin(demo_catalog):
    """Demo admin units (province, cities, counties) in EPSG:4490."""
    return demo_catalog.frame("admin_unit")
