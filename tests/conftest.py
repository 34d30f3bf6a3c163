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
    network either, but there a stray download would only show as a timeout).
    """
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


@pytest.fixture(scope="session")
def postgis_url():
    """URL of the local PostGIS server (``make postgis``), started here when it is installed
    but not running (and stopped after the session). Skips, saying why, when PostgreSQL or
    PostGIS is not installed: the tests never install packages (that needs the network). On CI
    (``CI`` set) it fails instead: there ``make test`` has installed and started the server.
    ``ZONING_TEST_POSTGIS_URL`` points the tests at another server instead.
    """
    import subprocess

    url = os.environ.get("ZONING_TEST_POSTGIS_URL")
    if url:
        yield url
        return
    root = Path(__file__).resolve().parent.parent
    base = root / ".postgis"
    script = root / "scripts" / "postgis.sh"
    started = False
    if not (base / "url").is_file():
        env = dict(os.environ, ZONING_POSTGIS_NO_INSTALL="1")
        proc = subprocess.run(
            ["sh", str(script), "start"], capture_output=True, text=True, timeout=300, env=env
        )
        if proc.returncode != 0:
            reason = f"no PostGIS server: {proc.stderr.strip()[-400:]}"
            if os.environ.get("CI"):
                # CI runs make test as root, which installs and starts the server: a skip there
                # would hide a missing install step (as the package "postgis" without
                # "postgresql-postgis" once did)
                pytest.fail(reason)
            pytest.skip(reason)
        started = True
    os.environ["PGPASSFILE"] = str(base / "pgpass")
    yield (base / "url").read_text(encoding="utf-8").strip()
    if started:
        subprocess.run(["sh", str(script), "stop"], capture_output=True, timeout=120)


@pytest.fixture
def pg_schema(postgis_url):
    """A fresh schema in the test database for one test, dropped after it."""
    import uuid

    import sqlalchemy as sa
    from sqlalchemy.schema import CreateSchema, DropSchema

    name = f"t_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(postgis_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(CreateSchema(name))
    yield name
    with engine.begin() as conn:
        conn.execute(DropSchema(name, cascade=True))
    engine.dispose()
