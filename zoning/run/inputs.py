"""The inputs of a run: the paths an output must not hold, and their checksums.

:func:`catalog_inputs` and :func:`input_paths` list the files a command reads (description,
path) so that :func:`zoning.io.workspace.refuse_unsafe_output` can refuse an output folder
holding one of them before any work; :func:`input_checksums` records each input with its
SHA-256 for the manifest, the workbook's About sheet and the checkpoint keys.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoning.io.checksums import sha256_file

if TYPE_CHECKING:  # a type only: `zoning stats` lists a catalogue's files without it
    from zoning.scenario import Scenario

__all__ = ["catalog_inputs", "input_checksums", "input_paths"]


def catalog_inputs(
    catalog_path: str | os.PathLike[str] | None,
) -> list[tuple[str, str | os.PathLike[str] | None]]:
    """List the catalogue file, its layers and its coverage file as (description, path) pairs.

    Reads only the TOML (layers load lazily); an unreadable catalogue gives just its path (its
    own error comes later, from the command's loading).

    Parameters
    ----------
    catalog_path : path-like or None
        The catalogue TOML; None gives no inputs.

    Returns
    -------
    list of (str, path)
        What each input is (``"catalogue layer 'x'"``) and its path.
    """
    if catalog_path is None:
        return []
    found: list[tuple[str, str | os.PathLike[str] | None]] = [("catalogue", catalog_path)]
    try:
        from zoning.catalog import load_catalog

        cat = load_catalog(catalog_path)
    except Exception:  # reported by the command itself, with its own message
        return found
    found += [(f"catalogue layer {e.name!r}", e.path) for e in cat.entries]
    spec = getattr(cat, "_coverage_spec", None)
    if spec is not None:
        found.append(("catalogue coverage file", spec[0]))
    return found


def input_paths(sc: Scenario) -> list[tuple[str, Any]]:
    """List every input file of a scenario (description, path) that an output must not hold.

    Parameters
    ----------
    sc : Scenario
        The scenario.

    Returns
    -------
    list of (str, path)
        The scenario, its catalogue (unless the demo's), units, sites, restoration scenario and
        indicator targets.
    """
    found: list[tuple[str, Any]] = [("scenario", sc.path)]
    if not sc.catalog_is_demo:
        found += catalog_inputs(sc.catalog)
    found.append(("units file", sc.units.get("path")))
    if sc.screening:
        found.append(("site file", sc.screening.get("sites")))
    if sc.restoration:
        found.append(("restoration scenario", sc.restoration.get("scenario")))
    ind = sc.stats.get("indicators")
    if isinstance(ind, str | Path) and ind != "default":
        found.append(("indicator targets", ind))
    return found


def input_checksums(sc: Scenario, catalog: Any, targets: Path | None) -> dict[str, Any]:
    """Describe the input files with their checksums (scenario, catalogue, layers, units, targets).

    Parameters
    ----------
    sc : Scenario
        The scenario.
    catalog : Catalog
        Its loaded catalogue (the layers' provenance).
    targets : Path or None
        The indicator targets file, when the scenario evaluates indicators.

    Returns
    -------
    dict
        ``{"scenario": {"path", "sha256"}, "catalog": …, "layers": [...], …}`` as written into
        ``manifest.json``.
    """
    inputs: dict[str, Any] = {
        "scenario": {"path": sc.path.name, "sha256": sha256_file(sc.path)},
        "catalog": {
            "path": "demo" if sc.catalog_is_demo else str(sc.catalog),
            "sha256": sha256_file(Path(sc.catalog)),
        },
    }
    prov = catalog.provenance()
    inputs["layers"] = [
        {k: layer.get(k) for k in ("name", "kind", "sha256", "vintage", "illustrative", "licence")}
        for layer in prov.get("layers", [])
    ]
    if sc.units.get("path"):
        inputs["units"] = {"path": str(sc.units["path"]), "sha256": sha256_file(sc.units["path"])}
    if targets is not None:
        inputs["targets"] = {"path": targets.name, "sha256": sha256_file(targets)}
    if sc.screening and sc.screening.get("sites"):
        p = Path(sc.screening["sites"])
        inputs["sites"] = {"path": p.name, "sha256": sha256_file(p)}
    if sc.restoration:
        p = Path(sc.restoration["scenario"])
        inputs["restoration_scenario"] = {"path": p.name, "sha256": sha256_file(p)}
    return inputs
