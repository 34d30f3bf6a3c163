"""Which layer kinds statistics measure: every polygon kind of the catalogue, or those asked for.

``zoning stats --layers`` and a scenario's ``layers`` (``zoning run``) ask for kinds the same
way and are checked by the same function, :func:`choose_kinds`; only the wording of the error
differs, so that it names what the user wrote (the option, or the scenario's key).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

from zoning.errors import CatalogError, Problem, ScenarioError, ZoningUsageError
from zoning.kinds import get_kind

if TYPE_CHECKING:  # pragma: no cover
    from zoning.catalog import Catalog

__all__ = ["choose_kinds", "polygon_kinds"]


def polygon_kinds(catalog: Catalog) -> list[str]:
    """Return the kinds of ``catalog`` declared as polygons, except the administrative units.

    Parameters
    ----------
    catalog : Catalog
        A loaded catalogue.

    Returns
    -------
    list of str
        Its polygon kinds, in catalogue order: what statistics measure by default.
    """
    return [k for k in catalog.kinds if k != "admin_unit" and get_kind(k).geometry == "polygon"]


def choose_kinds(
    catalog: Catalog,
    requested: str | Sequence[str] | None = None,
    *,
    scenario: str | Path | None = None,
) -> list[str]:
    """Return the layer kinds to measure: those asked for, checked, else every polygon kind.

    Parameters
    ----------
    catalog : Catalog
        The catalogue the layers come from.
    requested : str or sequence of str, optional
        The kinds asked for: the comma-separated text of ``zoning stats --layers``, or a
        scenario's ``layers`` list. None or empty asks for every polygon kind
        (:func:`polygon_kinds`); option text naming no kind (``" , "``) is an error.
    scenario : str or Path, optional
        The scenario file that asked: errors then name it and its ``layers`` key, as
        ``zoning run`` reports them; without it they name ``--layers``.

    Returns
    -------
    list of str
        Kinds, in the order asked (catalogue order by default).

    Raises
    ------
    ScenarioError
        (with ``scenario``) a kind the catalogue does not have.
    CatalogError
        (without ``scenario``) a kind the catalogue does not have.
    ZoningUsageError
        (without ``scenario``) option text naming no kind, or a kind holding only lines or
        points (statistics measure areas: it would report 0 km² everywhere).
    """
    available = polygon_kinds(catalog)
    if scenario is not None:
        if not requested:
            return available
        kinds = list(requested)
        missing = [k for k in kinds if k not in catalog.kinds]
        if missing:
            raise ScenarioError(
                f"scenario {scenario}",
                _not_in_catalog(
                    missing,
                    lambda k: (
                        f"layer kind {k!r} is not in catalogue {catalog.path} (it has "
                        f"{', '.join(catalog.kinds)}); remove it from layers or add it to the "
                        "catalogue"
                    ),
                ),
            )
        return kinds
    if not requested:
        return available
    given = requested if isinstance(requested, str) else ",".join(requested)
    kinds = [k.strip() for k in given.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in catalog.kinds]
    if unknown:
        raise CatalogError(
            f"catalogue {catalog.path}",
            _not_in_catalog(
                unknown,
                lambda k: (
                    f"--layers names {k!r}, which the catalogue does not have; expected "
                    f"some of {', '.join(available)}"
                ),
            ),
        )
    _require_polygons(catalog, kinds, given, available)
    return kinds


def _not_in_catalog(kinds: list[str], message: Callable[[str], str]) -> list[Problem]:
    """Make one ``layer_not_in_catalog`` problem per kind, worded by ``message``."""
    return [Problem("layer_not_in_catalog", message(k)) for k in kinds]


def _require_polygons(catalog: Catalog, kinds: list[str], given: str, available: list[str]) -> None:
    """Refuse ``--layers`` naming no kind, or kinds holding no polygons.

    Statistics measure areas: a line kind would report 0 km² everywhere.
    """
    if not kinds:
        raise ZoningUsageError(
            f"--layers {given!r} names no layer kind; expected comma-separated kinds such as "
            f"{','.join(available[:2]) or 'eco_redline,water_source'}; fix: name the kinds, or "
            "leave --layers out for all polygon kinds"
        )
    lines = []
    for k in kinds:
        if get_kind(k).geometry == "polygon":
            continue
        types = shapely.get_type_id(catalog.frame(k).geometry.to_numpy())
        if not np.isin(types, (3, 6)).any():  # no Polygon / MultiPolygon
            lines.append(k)
    if lines:
        raise ZoningUsageError(
            f"--layers names {', '.join(lines)}, which holds lines or points, no polygons: "
            "statistics measure areas and would report 0 km²; expected kinds holding polygons "
            f"({', '.join(available)}); fix: leave {', '.join(lines)} out"
        )
