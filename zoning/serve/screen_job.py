"""One screening request, from the request's fields to the JSON of ``zoning screen --json``.

The request names no path: the site arrives as an upload or as GeoJSON in the body and is
written into the request's private folder (:mod:`zoning.serve.uploads`). The job then calls
exactly what ``zoning screen`` calls (:mod:`zoning.screening.request`,
:func:`zoning.screening.report.screening_document`) on that file. It runs on a
worker thread of :class:`zoning.serve.pool.WorkerPool`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoning.errors import ZoningError
from zoning.serve.archives import ArchiveLimits, check_archive
from zoning.serve.responses import ApiError, error_for_exception
from zoning.serve.uploads import scrub

if TYPE_CHECKING:
    from zoning.screening.result import ScreeningResult

__all__ = ["ScreenJob", "attrs_from_request", "run_job"]


@dataclass
class ScreenJob:
    """What to screen: the file in the private folder and the CLI's options."""

    path: Path
    shown: str
    project_type: str
    attrs: list[str] = field(default_factory=list)
    crs: str | None = None
    compare: bool = False
    site_id_field: str | None = None


def attrs_from_request(raw: Any) -> list[str]:
    """Turn the request's ``attrs`` (an object, or its JSON text) into ``key=value`` strings.

    The strings are what ``--attr`` passes, so the attributes take the CLI's path exactly;
    ``null`` values are left out (unknown).

    Raises
    ------
    ApiError
        400 when ``attrs`` is not an object of scalars.

    Examples
    --------
    >>> attrs_from_request('{"discharges_wastewater": false, "capacity_mw": 50}')
    ['discharges_wastewater=false', 'capacity_mw=50']
    """
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ApiError(
                400,
                "bad_request",
                f"'attrs' is not valid JSON ({exc.msg} at position {exc.pos}); expected an "
                'object such as {"discharges_wastewater": false}; fix: send a JSON object',
            ) from None
    if not isinstance(raw, Mapping):
        raise ApiError(
            400,
            "bad_request",
            f"'attrs' is a {type(raw).__name__}; expected an object of attribute values such as "
            '{"discharges_wastewater": false}',
        )
    out = []
    for key, value in raw.items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float, str)):
            text = str(value)
        else:
            raise ApiError(
                400,
                "bad_request",
                f"attribute {key!r} has a {type(value).__name__} value; expected true/false, a "
                "number or a text",
            )
        out.append(f"{key}={text}")
    return out


def run_job(
    job: ScreenJob, catalog: Any, limits: ArchiveLimits
) -> tuple[ScreeningResult, dict[str, Any]]:
    """Screen ``job`` against ``catalog``; return the result and its ``--json`` document.

    Raises
    ------
    ApiError
        For every failure, with the CLI's message (paths replaced by the client's file name).
    """
    from zoning.screening.report import screening_document
    from zoning.screening.request import read_sites, screen_read_sites

    try:
        if job.path.suffix in (".zip", ".kmz"):
            check_archive(job.path, job.shown, limits)
        sites, gcj = read_sites(job.path, job.crs)
        result = screen_read_sites(
            sites,
            catalog,
            job.project_type,
            gcj=gcj,
            attrs=job.attrs,
            site_id_field=job.site_id_field,
        )
        return result, screening_document(result, compare=job.compare)
    except ApiError:
        raise
    except ZoningError as exc:
        err = error_for_exception(exc)
        err.message = scrub(err.message, job.path, job.shown)
        raise err from None
    except Exception as exc:  # a reader failing outside the error hierarchy: no traceback out
        raise error_for_exception(exc) from None
