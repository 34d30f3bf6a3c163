"""One ``zoning screen`` request: read the site file as the CLI does, then screen it.

``zoning screen`` (``zoning.cli.screen``) and the web server (``zoning.serve``) both call these
functions, then :func:`zoning.screening.report.screening_document`, so a site screened on the
page or through ``POST /api/screen`` gives exactly the JSON of ``zoning screen --json`` for the
same file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoning.screening import engine

if TYPE_CHECKING:
    import geopandas as gpd

    from zoning.screening.result import ScreeningResult

__all__ = ["is_gcj02", "read_sites", "screen_read_sites"]


def is_gcj02(crs: str | None) -> bool:
    """Return True when ``crs`` names the GCJ-02 web-map datum (``gcj02``, ``GCJ-02``, ``gcj``).

    Examples
    --------
    >>> is_gcj02("GCJ-02"), is_gcj02("EPSG:4490"), is_gcj02(None)
    (True, False, False)
    """
    return crs is not None and crs.strip().lower().replace("-", "") in {"gcj02", "gcj"}


def read_sites(
    site: str | os.PathLike[str], crs: str | None = None, *, layer: str | None = None
) -> tuple[gpd.GeoDataFrame, bool]:
    """Read a site file as ``zoning screen`` does.

    Parameters
    ----------
    site : path-like
        Any format :func:`zoning.io.read_vector` reads.
    crs : str, optional
        CRS of the file when it has none; ``"gcj02"`` converts web-map (GCJ-02) coordinates.
    layer : str, optional
        The layer of a multi-layer file (GeoPackage …); without it such a file is refused with
        the list of its layers.

    Returns
    -------
    (GeoDataFrame, bool)
        The sites, and whether they were converted from GCJ-02.

    Raises
    ------
    CRSError
        When the file has no CRS and none was declared (the message names the fix).
    """
    from zoning.errors import CRSError, InputFileError
    from zoning.io import read_vector

    gcj = is_gcj02(crs)
    declared = "EPSG:4326" if gcj else crs
    try:
        sites = read_vector(Path(site), crs=declared, layer=layer)
    except CRSError as exc:
        # the reader's message already names the fix (--crs): say which file, not the fix again
        raise CRSError(f"{exc} (site file {site})") from None
    except InputFileError as exc:
        if layer is None and "no layer was given" in str(exc):
            raise InputFileError(f"{exc}; on the command line: --layer NAME") from None
        raise
    if gcj:
        from zoning.gcj02 import from_gcj02

        sites = from_gcj02(sites)
    return sites, gcj


def screen_read_sites(
    sites: gpd.GeoDataFrame,
    catalog: Any,
    project_type: str,
    *,
    gcj: bool = False,
    attrs: Sequence[str] | dict[str, Any] = (),
    rulepacks: Sequence[Any] = (),
    search_radius_m: float = 1000.0,
    tolerance_m: float = 10.0,
    as_of: str | None = None,
    site_id_field: str | None = None,
) -> ScreeningResult:
    """Screen sites read by :func:`read_sites` with the bundled rule packs plus ``rulepacks``.

    GCJ-02 detection runs unless the sites were converted from GCJ-02 (``gcj``), which the
    result's warnings then say. Without extra packs the bundled packs are the ones parsed once
    per process (``load_rulepacks(None)``), which a server screening many sites relies on.

    Parameters
    ----------
    sites : GeoDataFrame
        As read by :func:`read_sites`.
    catalog : Catalog, mapping of kind to GeoDataFrame, or ScreeningIndex
        The control layers.
    project_type : str
        A project type id, alias or Chinese name.
    gcj : bool, default False
        The sites were converted from GCJ-02.
    attrs : sequence of "key=value" or mapping, optional
        Project attributes.
    rulepacks : sequence, optional
        Extra rule packs (added to the bundled ones).
    search_radius_m, tolerance_m : float
        As :func:`zoning.screening.screen_sites`.
    as_of : str, optional
        Date the rules must be in force (ISO).
    site_id_field : str, optional
        Column holding site ids.

    Returns
    -------
    ScreeningResult
        The screening.
    """
    from zoning.rules import BUILTIN_PACKS

    result = engine.screen_sites(
        sites,
        catalog,
        project_type,
        attrs=attrs,
        rulepacks=[*BUILTIN_PACKS, *rulepacks] if rulepacks else None,
        search_radius_m=search_radius_m,
        tolerance_m=tolerance_m,
        as_of=as_of,
        site_id_field=site_id_field,
        check_gcj02=not gcj,
    )
    if gcj:
        result.warnings.append("site coordinates converted from GCJ-02 (--crs gcj02)")
    return result
