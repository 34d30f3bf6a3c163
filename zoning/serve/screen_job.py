"""One screening request, from the request's fields to the JSON of ``zoning screen --json``.

The request names no path: the site arrives as an upload or as GeoJSON in the body and is
written into the request's private folder (:mod:`zoning.serve.uploads`). The job then calls
exactly what ``zoning screen`` calls (:mod:`zoning.screening.request`,
:func:`zoning.screening.report.screening_document`) on that file. It runs on a worker of
:class:`zoning.serve.pool.WorkerPool` (a thread, or a process of :mod:`zoning.serve.processes`)
and answers a :class:`Screened`: the JSON text, made where the screening ran, and what the main
process needs to render the downloads later.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoning.errors import ZoningError
from zoning.serve.archives import ArchiveLimits, check_archive
from zoning.serve.responses import ApiError, error_for_exception
from zoning.serve.site_body import sites_from_plan
from zoning.serve.uploads import scrub

if TYPE_CHECKING:
    import geopandas as gpd

    from zoning.screening.result import ScreeningResult

__all__ = [
    "ScreenJob",
    "Screened",
    "attrs_from_request",
    "rescreen",
    "run_job",
    "screen_job",
    "with_id",
]


@dataclass
class ScreenJob:
    """What to screen: the file in the private folder (or the plain site of a JSON body), the CLI's options."""

    path: Path
    shown: str
    project_type: str
    attrs: list[str] = field(default_factory=list)
    crs: str | None = None
    compare: bool = False
    site_id_field: str | None = None
    #: a JSON body's plain site, built without the file (:mod:`zoning.serve.site_body`)
    plan: dict[str, Any] | None = None


@dataclass
class Screened:
    """One screening done: its JSON text and what re-makes its result for the downloads.

    Attributes
    ----------
    body : str
        The JSON document of ``zoning screen --json`` as the API encodes it (compact, UTF-8),
        without the ``"id"`` (:func:`with_id` adds it).
    sites : GeoDataFrame
        The sites as read from the request (after a GCJ-02 conversion).
    gcj : bool
        The sites were converted from GCJ-02.
    seconds : float
        Wall time of the screening on its worker (reading, screening, the JSON text).
    result : ScreeningResult, optional
        The result itself when screened in this process; None from a worker process (it
        holds the whole spatial index, so it stays there and :func:`rescreen` re-makes it).
    """

    body: str
    sites: gpd.GeoDataFrame
    gcj: bool
    seconds: float
    result: ScreeningResult | None = None


def with_id(body: str, key: str) -> str:
    """Return ``body`` (a JSON object's text) with ``"id": key`` added as its last member.

    The same text as encoding the document with ``doc["id"] = key`` set, without encoding
    the document again.

    Examples
    --------
    >>> with_id('{"a": 1}', "k")
    '{"a": 1, "id": "k"}'
    """
    if not body.endswith("}") or body == "{}":
        raise ValueError("expected the text of a non-empty JSON object")
    return f"{body[:-1]}, {json.dumps('id')}: {json.dumps(key, ensure_ascii=False)}}}"


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

    result, _, _ = _read_and_screen(job, catalog, limits)
    return result, screening_document(result, compare=job.compare)


def screen_job(
    job: ScreenJob, catalog: Any, limits: ArchiveLimits, *, keep_result: bool
) -> Screened:
    """Screen ``job`` as :func:`run_job` does; answer the JSON text, timed.

    Parameters
    ----------
    job : ScreenJob
        What to screen.
    catalog : Catalog
        The control layers.
    limits : ArchiveLimits
        The checks of an uploaded archive.
    keep_result : bool
        Keep the :class:`ScreeningResult` in the answer (False in a worker process: the
        result is not sent back, :func:`rescreen` re-makes it where it is needed).

    Returns
    -------
    Screened
        The JSON text and the sites read.

    Raises
    ------
    ApiError
        As :func:`run_job`.
    """
    from zoning.screening.report import screening_document

    t0 = time.perf_counter()
    result, sites, gcj = _read_and_screen(job, catalog, limits)
    body = json.dumps(
        screening_document(result, compare=job.compare), ensure_ascii=False, default=str
    )
    return Screened(
        body=body,
        sites=sites,
        gcj=gcj,
        seconds=time.perf_counter() - t0,
        result=result if keep_result else None,
    )


def rescreen(job: ScreenJob, sites: gpd.GeoDataFrame, gcj: bool, catalog: Any) -> ScreeningResult:
    """Screen ``sites`` (:attr:`Screened.sites`) again as :func:`screen_job` did: same result."""
    from zoning.screening.request import screen_read_sites

    return screen_read_sites(
        sites.copy(),
        catalog,
        job.project_type,
        gcj=gcj,
        attrs=job.attrs,
        site_id_field=job.site_id_field,
    )


def _read_and_screen(
    job: ScreenJob, catalog: Any, limits: ArchiveLimits
) -> tuple[ScreeningResult, gpd.GeoDataFrame, bool]:
    from zoning.screening.request import read_sites

    try:
        if job.path.suffix in (".zip", ".kmz"):
            check_archive(job.path, job.shown, limits)
        if job.plan is not None:
            sites, gcj = sites_from_plan(job.plan, job.path), False
        else:
            sites, gcj = read_sites(job.path, job.crs)
        # the same call the downloads' re-screening makes: the same result by construction
        return rescreen(job, sites, gcj, catalog), sites, gcj
    except ApiError:
        raise
    except ZoningError as exc:
        err = error_for_exception(exc)
        err.message = scrub(err.message, job.path, job.shown)
        raise err from None
    except Exception as exc:  # a reader failing outside the error hierarchy: no traceback out
        raise error_for_exception(exc) from None
