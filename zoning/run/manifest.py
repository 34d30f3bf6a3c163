"""The run's ``manifest.json`` and the publishing of its staging folder.

The manifest records when and how a run was made: the scenario as written and its parameters,
the CRS of the areas, every input with its checksum, the versions of zoning and its libraries,
the rule packs, and every output with its checksum and size. Only ``created`` differs between
reruns.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import shutil
from pathlib import Path
from typing import Any

from zoning.errors import OutputExistsError
from zoning.io import workspace
from zoning.io.atomic import atomic_write_text
from zoning.io.checksums import sha256_file
from zoning.scenario import Scenario

__all__ = ["library_versions", "publish_run", "rulepack_provenance", "write_manifest"]


def library_versions() -> dict[str, str]:
    """Return the versions of zoning, Python and the geospatial libraries a run used.

    Returns
    -------
    dict of str to str
        ``{"zoning": …, "python": …, "geopandas": …, …, "geos": …, "proj": …}``.
    """
    import importlib.metadata as md

    import shapely

    from zoning import __version__

    out = {"zoning": __version__, "python": platform.python_version()}
    for pkg in ("geopandas", "shapely", "pyproj", "pandas", "numpy", "pyogrio", "dask"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    out["geos"] = shapely.geos_version_string
    try:
        import pyproj

        out["proj"] = pyproj.proj_version_str
    except ImportError:  # pragma: no cover
        pass
    return out


def rulepack_provenance() -> list[dict[str, Any]]:
    """Return the provenance of the bundled rule packs (empty when they cannot be loaded).

    Returns
    -------
    list of dict
        One entry per rule pack, as :meth:`RulePack.provenance` gives it.
    """
    try:
        from zoning.rules import load_rulepacks

        return [p.provenance() for p in load_rulepacks()]
    except (ImportError, AttributeError, TypeError):
        return []


def write_manifest(
    stage: Path,
    files: dict[str, Path],
    sc: Scenario,
    *,
    inputs: dict[str, Any],
    scheduler: str | None,
) -> Path:
    """Write ``manifest.json`` into the staging folder; add it to ``files``.

    Parameters
    ----------
    stage : Path
        The staging folder holding the outputs.
    files : dict of str to Path
        Output name → path in ``stage`` (the manifest lists their checksums and sizes).
    sc : Scenario
        The scenario.
    inputs : dict
        The inputs with their checksums (:func:`zoning.run.inputs.input_checksums`).
    scheduler : str or None
        The Dask scheduler used, if any.

    Returns
    -------
    Path
        The manifest.
    """
    from zoning.crs import ALBERS_CHINA

    manifest = {
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "scenario": sc.raw,
        "parameters": sc.parameters(),
        "scheduler": scheduler,
        "crs": f"{ALBERS_CHINA.name} (+proj=aea +lat_1=25 +lat_2=47 +lon_0=105, CGCS2000)",
        "inputs": inputs,
        "versions": library_versions(),
        "rule_packs": rulepack_provenance(),
        "outputs": {
            name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
            for name, p in sorted(files.items())
        },
        "note": "for planning analysis, not an official map; illustrative layers are labelled "
        "in inputs.layers",
    }
    path = stage / "manifest.json"
    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
    atomic_write_text(path, text, overwrite=True)
    files["manifest.json"] = path
    return path


def publish_run(stage: Path, target: Path, *, overwrite: bool) -> None:
    """Move the finished staging folder to ``target``; never replace one that appeared meanwhile.

    Parameters
    ----------
    stage : Path
        The staging folder (its checkpoints are removed first).
    target : Path
        The output folder.
    overwrite : bool
        Replace an existing ``target``; otherwise a ``target`` that appeared meanwhile raises
        :class:`~zoning.errors.OutputExistsError` and the staging folder is removed.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:  # a folder that appeared at the target meanwhile is not replaced (unless overwrite)
        workspace.publish(stage, target, overwrite=overwrite)
    except OutputExistsError:
        shutil.rmtree(stage, ignore_errors=True)
        raise
