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


def _offline_connect(connect):
    """Wrap ``socket.connect``: loopback and local sockets only, anything else is refused."""
    import ipaddress
    import socket

    def guarded(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
            host = address[0]
            try:
                local = ipaddress.ip_address(host).is_loopback
            except ValueError:
                local = host == "localhost"
            if not local:
                raise OSError(
                    f"tests must run offline: a connection to {address!r} was refused by "
                    "tests/conftest.py; use local assets or a loopback server"
                )
        return connect(sock, address)

    return guarded


@pytest.fixture(autouse=True, scope="session")
def _no_network():
    """Every test runs offline: TCP connections beyond loopback fail loudly (CI has no
    network either, but there a stray download would only show as a timeout)."""
    import socket

    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", _offline_connect(socket.socket.connect))
    mp.setattr(socket.socket, "connect_ex", _offline_connect(socket.socket.connect_ex))
    yield
    mp.undo()


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
