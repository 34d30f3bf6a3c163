"""The bundled specs: layer kinds, rule packs and project types, indicator targets, demo scenarios.

Every spec file zoning ships lives in this one folder and is found by :func:`spec_path`, with
:mod:`importlib.resources`, so a checkout and an installed wheel resolve them the same way. The
repository's top-level ``layers/kinds.toml`` and ``scenarios/`` are symbolic links into it, for
the commands the documentation cites (``zoning run scenarios/demo_province_stats.toml``).

Layout::

    kinds.toml                  layer kinds and their canonical zones
    rulepacks/NAME.toml         the bundled rule packs (national, shanxi)
    rulepacks/project_types.toml  project types, categories and site attributes
    indicator_targets.csv       plan targets of the binding indicators
    scenarios/NAME.toml         demo scenarios (and their site file)

Examples
--------
>>> spec_path("kinds.toml").name
'kinds.toml'
>>> spec_path("scenarios", "demo_restoration.toml").is_file()
True
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["spec_path"]


def spec_path(*parts: str) -> Path:
    """Return the path of a bundled spec file or folder (it may not exist).

    Parameters
    ----------
    *parts : str
        Path components below the specs folder, e.g. ``"rulepacks", "national.toml"``.

    Returns
    -------
    pathlib.Path
        A file-system path (zoning is installed unzipped: a wheel or a checkout).
    """
    return Path(str(resources.files(__name__).joinpath(*parts)))
