"""Which administrative area each site lies in, so that each rule binds only where it was issued.

A rule of a pack binds an area given by an administrative-code prefix (``""`` national, ``"14"``
Shanxi, ``"1409"`` Xinzhou, ``"140215"`` Yunzhou; :func:`zoning.rules.normalise_jurisdiction`).
A site's codes come, in this order, from

1. an explicit ``jurisdiction`` given to :func:`zoning.screening.screen_sites`;
2. the catalogue's ``admin_unit`` layer: the units of the finest level present (county, else
   city, else province) that the site intersects, by their ``adcode`` column (else the
   feature id);
3. the catalogue-level ``jurisdiction = "140902"`` key (for catalogues without an admin layer).

A site for which none of these says anything has no codes (``None``): rules of a city or
province then cannot be applied as a verdict, only listed as evidence to check.

Examples
--------
>>> from zoning.screening.jurisdiction import describe
>>> describe(("140902",), {"140902": "忻府区"})
'忻府区（140902）'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from zoning.errors import ZoningUsageError
from zoning.rules import normalise_jurisdiction

__all__ = ["SiteJurisdictions", "describe", "site_jurisdictions"]

_LEVELS = ("county", "city", "province")


@dataclass(frozen=True)
class SiteJurisdictions:
    """Administrative codes of each site and where they came from.

    Attributes
    ----------
    codes : list of tuple of str or None
        Per site, the code prefixes of the units it lies in (None when unknown).
    source : str
        ``"parameter"``, ``"admin_unit"``, ``"catalogue"`` or ``"unknown"``.
    names : mapping of str to str
        Display names of the codes known from the admin layer (``"1409"`` → ``"忻州市"``).
    """

    codes: list[tuple[str, ...] | None]
    source: str
    names: Mapping[str, str]


def describe(codes: Sequence[str] | None, names: Mapping[str, str]) -> str:
    """Return the codes as text for a reason: ``忻府区（140902）``; ``未知`` when unknown."""
    if not codes:
        return "未知 / unknown"
    return "、".join(f"{names[c]}（{c}）" if c in names else c for c in codes)


def _admin_table(admin: Any) -> tuple[np.ndarray, np.ndarray, dict[str, str]] | None:
    """Return the admin units of the finest level, their code prefixes and every unit's name.

    The geometries are in EPSG:4490 and prepared; the names are by code.
    """
    import shapely

    if admin is None or not len(admin):
        return None
    frame = admin if admin.crs is None or admin.crs.to_epsg() == 4490 else admin.to_crs(4490)
    level_col = "level" if "level" in frame.columns else "zone"
    code_col = "adcode" if "adcode" in frame.columns else "feature_id"
    if code_col not in frame.columns:
        return None
    levels = frame[level_col].astype(str).to_numpy() if level_col in frame.columns else None
    codes: list[str | None] = []
    for raw in frame[code_col].to_numpy():
        try:
            codes.append(normalise_jurisdiction(str(raw).strip()))
        except ValueError:
            codes.append(None)
    codes_arr = np.array(codes, dtype=object)
    name_col = "name" if "name" in frame.columns else None
    names = {}
    if name_col:
        for c, n in zip(codes_arr, frame[name_col].to_numpy(), strict=True):
            if c and isinstance(n, str):
                names[c] = n
    finest = np.ones(len(frame), dtype=bool)
    if levels is not None:
        for level in _LEVELS:
            if (levels == level).any():
                finest = levels == level
                break
    keep = finest & np.array([c is not None for c in codes], dtype=bool)
    if not keep.any():
        return None
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)[keep]
    shapely.prepare(geoms)
    return geoms, codes_arr[keep], names


def site_jurisdictions(
    index: Any,
    geoms_ll: np.ndarray,
    *,
    explicit: str | None = None,
) -> SiteJurisdictions:
    """Find the administrative codes of each site (EPSG:4490 geometries).

    Parameters
    ----------
    index : zoning.screening.index.ScreeningIndex
        Holds the admin layer and the catalogue-level jurisdiction.
    geoms_ll : ndarray of geometries
        The sites in EPSG:4490.
    explicit : str, optional
        A code that overrides everything (``"140902"``).

    Raises
    ------
    ZoningUsageError
        When ``explicit`` is not an administrative code.
    """
    import shapely

    n = len(geoms_ll)
    if explicit is not None:
        try:
            code = normalise_jurisdiction(explicit)
        except ValueError as exc:
            raise ZoningUsageError(f"{exc}; fix: pass jurisdiction='140902' or similar") from None
        return SiteJurisdictions([(code,) if code else None] * n, "parameter", {})
    table = index.__dict__.get("_admin_table", False)
    if table is False:
        table = _admin_table(index.admin)
        index.__dict__["_admin_table"] = table
    if table is not None:
        units, codes, names = table
        tree = index.__dict__.get("_admin_tree")
        if tree is None:
            tree = shapely.STRtree(units)
            index.__dict__["_admin_tree"] = tree
        si, uj = tree.query(geoms_ll)
        hit = shapely.intersects(units[uj], geoms_ll[si]) if len(si) else np.zeros(0, bool)
        found: list[list[str]] = [[] for _ in range(n)]
        for s, u in zip(si[hit], uj[hit], strict=True):
            found[int(s)].append(codes[int(u)])
        return SiteJurisdictions(
            [tuple(sorted(set(f))) if f else None for f in found], "admin_unit", names
        )
    cat_code = getattr(index, "jurisdiction", None)
    if cat_code:
        code = normalise_jurisdiction(cat_code)
        return SiteJurisdictions([(code,) if code else None] * n, "catalogue", {})
    return SiteJurisdictions([None] * n, "unknown", {})
