"""The JSON API the page uses (documented in ``docs/api.md``).

``GET /api/health``, ``GET /api/types``, ``POST /api/screen``, ``GET /api/screen/{id}/{file}``,
``GET /api/layers``, ``GET /api/layers/{kind}.geojson``, ``GET /api/search?q=``,
``GET /api/map.html?kinds=&bbox=``. Every failure answers ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zoning.serve.limits import BodyTooLargeError
from zoning.serve.processes import screen_in_worker
from zoning.serve.responses import ApiError, error_for_exception, error_response
from zoning.serve.results import DOWNLOADS, render_download
from zoning.serve.screen_job import (
    Screened,
    ScreenJob,
    attrs_from_request,
    rescreen,
    screen_job,
    with_id,
)
from zoning.serve.site_body import plan_body_sites
from zoning.serve.state import state_of
from zoning.serve.uploads import private_folder, site_document, upload_suffix

__all__ = ["DOCUMENT_CSP", "api_routes", "json_response"]

#: the CSP of self-contained documents (reports, maps): their inline scripts run in a sandbox
#: with an opaque origin (no access to this server's cookies or API) and nothing loads from
#: anywhere
DOCUMENT_CSP = (
    "sandbox allow-scripts allow-popups allow-modals allow-downloads; default-src 'none'; "
    "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; "
    "font-src data:"
)

Handler = Callable[[Request], Awaitable[Response]]


def json_response(doc: Any, status: int = 200) -> Response:
    """JSON encoded as ``zoning screen --json`` encodes it (UTF-8, ``default=str``)."""
    body = json.dumps(doc, ensure_ascii=False, default=str)
    return Response(body, status_code=status, media_type="application/json")


def guarded(handler: Handler) -> Handler:
    """Answer every exception of ``handler`` as the error JSON (never a traceback)."""

    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except BodyTooLargeError:
            raise  # answered 413 by zoning.serve.limits.BodyLimit
        except HTTPException as exc:  # e.g. a malformed multipart body
            return error_response(
                exc.status_code,
                "bad_request",
                f"the request could not be parsed ({exc.detail}); expected a well-formed JSON "
                "or multipart/form-data body",
            )
        except Exception as exc:
            err = error_for_exception(exc)
            return error_response(err.status, err.code, err.message, err.headers)

    return wrapper


def _text_field(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, "bad_request", f"'{name}' must be a text; found {type(value).__name__}")
    return value.strip() or None


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "true", "yes", "on"}


async def health(request: Request) -> Response:
    state = state_of(request)
    prov = state.catalog.provenance()
    layers = [{"kind": k, "features": len(state.catalog.frame(k))} for k in state.catalog.kinds]
    return JSONResponse(
        {
            "status": "ok",
            "catalog": {
                "name": prov.get("name"),
                "layers": layers,
                "illustrative": state.illustrative,
            },
            "runs": state.config.runs_dir is not None,
        }
    )


async def rules(request: Request) -> Response:
    from zoning.rules import load_rulepacks

    out = {}
    for pack in load_rulepacks():
        for rule in pack.rules:
            out[rule.id] = {
                "pack": pack.id,
                "kind": rule.kind,
                "zones": list(rule.zones),
                "outcome": rule.outcome,
                "text_zh": rule.text_zh,
                "text_en": rule.text_en,
                "citation": rule.citation.to_dict(),
                "evidence_required": list(rule.evidence_required),
            }
    return json_response({"rules": out})


@functools.cache
def _types_document() -> dict[str, Any]:
    """``{"types": …}``: the rows of ``zoning types --json`` (:mod:`zoning.type_guide`)."""
    from zoning.type_guide import type_rows

    return {"types": type_rows()}


async def types(request: Request) -> Response:
    return json_response(_types_document())


def _check_usage(project_type: str | None, attrs: list[str]) -> str:
    """Run the CLI's usage checks before anything is read (422 for an unknown project type)."""
    from zoning.projects import get_project_type, parse_attrs

    if not project_type:
        raise ApiError(
            400,
            "bad_request",
            "no 'project_type' in the request; expected a project type id such as solar_pv "
            "(GET /api/types lists them)",
        )
    get_project_type(project_type)
    parse_attrs(attrs)
    return project_type


async def screen(request: Request) -> Response:
    state = state_of(request)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    with private_folder(state.config.tmp_root) as folder:
        if ctype == "multipart/form-data":
            job = await _job_from_form(request, folder)
        elif ctype in ("application/json", "application/geo+json"):
            job = await _job_from_json(request, folder)
        else:
            raise ApiError(
                415 if ctype else 400,
                "unsupported_media_type",
                f"the request body is {ctype or 'missing'}; expected application/json "
                "(project_type, attrs, site) or multipart/form-data (file, project_type, attrs)",
            )
        if state.screeners is not None:  # a worker process: the result stays there
            screened = await state.screeners.run(screen_in_worker, job)
        else:
            screened = await state.pool.run(_screen_here, job, state.catalog, state.archive_limits)
    remake = None
    if screened.result is None:
        remake = functools.partial(rescreen, job, screened.sites, screened.gcj, state.catalog)
    key = state.results.put(screened.result, compare=job.compare, remake=remake)
    # the text of json_response(doc) with doc["id"] = key, without encoding the document here
    response = Response(with_id(screened.body, key), media_type="application/json")
    # the time the screening took on its worker (reading the site, screening, the JSON text)
    response.headers["Server-Timing"] = f"screen;dur={1000 * screened.seconds:.1f}"
    return response


def _screen_here(job: ScreenJob, catalog: Any, limits: Any) -> Screened:
    return screen_job(job, catalog, limits, keep_result=True)


async def _job_from_json(request: Request, folder: Any) -> ScreenJob:
    raw = await request.body()
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(
            400,
            "bad_json",
            f"the request body is not valid JSON ({type(exc).__name__}); expected an object "
            'such as {"project_type": "solar_pv", "site": {"type": "Point", …}}',
        ) from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "the request body must be a JSON object")
    attrs = attrs_from_request(data.get("attrs"))
    project_type = _check_usage(_text_field(data.get("project_type"), "project_type"), attrs)
    if "site" not in data:
        raise ApiError(
            400,
            "bad_site",
            "no 'site' in the request; expected a GeoJSON geometry, Feature or "
            "FeatureCollection (or upload a file as multipart/form-data)",
        )
    crs = _text_field(data.get("crs"), "crs")
    path = folder / "site.geojson"
    doc, epsg = site_document(data["site"], crs)
    # plain 2-D sites are built without the file (zoning.serve.site_body); the rest is read
    # from the file exactly as `zoning screen FILE` reads it
    plan = plan_body_sites(doc, epsg) if epsg is not None else None
    if plan is None:
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    from zoning.screening.request import is_gcj02

    return ScreenJob(
        plan=plan,
        path=path,
        shown="site (request body)",
        project_type=project_type,
        attrs=attrs,
        crs=crs if is_gcj02(crs) else None,
        compare=_flag(data.get("compare")),
        site_id_field=_text_field(data.get("site_id_field"), "site_id_field"),
    )


async def _job_from_form(request: Request, folder: Any) -> ScreenJob:
    from starlette.datastructures import UploadFile

    form = await request.form(max_files=1, max_fields=16, max_part_size=1024 * 1024)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(
                400,
                "bad_request",
                "no file in the form; expected a 'file' field holding the sites (GeoJSON, "
                "KML/KMZ, zipped shapefile, GeoPackage or CSV)",
            )
        suffix = upload_suffix(upload.filename)
        attrs = attrs_from_request(form.get("attrs"))
        project_type = _check_usage(_text_field(form.get("project_type"), "project_type"), attrs)
        path = folder / f"upload{suffix}"
        with open(path, "wb") as fh:
            while chunk := await upload.read(1 << 20):
                fh.write(chunk)
    finally:
        await form.close()
    return ScreenJob(
        path=path,
        shown=str(upload.filename),
        project_type=project_type,
        attrs=attrs,
        crs=_text_field(form.get("crs"), "crs"),
        compare=_flag(form.get("compare")),
        site_id_field=_text_field(form.get("site_id_field"), "site_id_field"),
    )


async def download(request: Request) -> Response:
    state = state_of(request)
    key = request.path_params["id"]
    name = request.path_params["name"]
    if name not in DOWNLOADS:
        raise ApiError(
            404, "not_found", f"no download {name!r}; expected one of {', '.join(DOWNLOADS)}"
        )
    item = state.results.get(key)
    text = await state.pool.run(render_download, item, name)
    headers = {"Content-Disposition": f'inline; filename="{name}"'}
    if name.endswith(".html"):
        headers["Content-Security-Policy"] = DOCUMENT_CSP
    return Response(text, media_type=DOWNLOADS[name], headers=headers)


async def layers(request: Request) -> Response:
    return json_response(state_of(request).layers.index())


async def layer_geojson(request: Request) -> Response:
    state = state_of(request)
    body = await state.pool.run(state.layers.geojson, request.path_params["kind"])
    return Response(body, media_type="application/geo+json")


async def search(request: Request) -> Response:
    q = request.query_params.get("q", "")[:100]
    return json_response({"query": q, "features": state_of(request).layers.search(q)})


def _bbox(text: str | None) -> tuple[float, ...] | None:
    if not text:
        return None
    try:
        box = tuple(float(v) for v in text.split(","))
    except ValueError:
        box = ()
    if len(box) != 4 or not (box[0] < box[2] and box[1] < box[3]):
        raise ApiError(
            400,
            "bad_request",
            f"bbox {text!r} is not minlon,minlat,maxlon,maxlat; expected four numbers with "
            "min < max, e.g. 112.4,37.7,112.8,38.0",
        )
    return box


async def view_map(request: Request) -> Response:
    state = state_of(request)
    kinds_text = request.query_params.get("kinds")
    kinds = [k for k in kinds_text.split(",") if k] if kinds_text else None
    bbox = _bbox(request.query_params.get("bbox"))
    html = await state.pool.run(state.layers.view_map, kinds, bbox)
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": DOCUMENT_CSP,
            "Content-Disposition": 'attachment; filename="zoning-view-map.html"',
        },
    )


def api_routes() -> list[Any]:
    """Return the API's routes."""
    from starlette.routing import Route

    return [
        Route("/api/health", guarded(health)),
        Route("/api/types", guarded(types)),
        Route("/api/rules", guarded(rules)),
        Route("/api/screen", guarded(screen), methods=["POST"]),
        Route("/api/screen/{id}/{name}", guarded(download)),
        Route("/api/layers", guarded(layers)),
        Route("/api/layers/{kind}.geojson", guarded(layer_geojson)),
        Route("/api/search", guarded(search)),
        Route("/api/map.html", guarded(view_map)),
    ]
