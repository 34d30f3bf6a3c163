"""The page, its own static files and the offline map assets, and the read-only runs list.

Everything the page loads comes from this server: ``/static/`` (the page's script and style,
shipped in the package) and ``/assets/`` (Leaflet and Leaflet.draw, fetched from the npm
registry at set-up into ``zoning/_assets``; images inlined as ``data:`` URIs).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from zoning.serve.api import DOCUMENT_CSP, guarded, json_response
from zoning.serve.responses import ApiError
from zoning.serve.state import state_of

__all__ = ["STATIC_DIR", "page_routes"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

#: offline assets the page loads: URL name -> (asset key, media type)
PAGE_ASSETS: dict[str, tuple[str, str]] = {
    "leaflet.js": ("leaflet.js", "text/javascript"),
    "leaflet.css": ("leaflet.css", "text/css"),
    "leaflet.draw.js": ("leaflet.draw.js", "text/javascript"),
    "leaflet.draw.css": ("leaflet.draw.css", "text/css"),
}

#: files of a run that the runs view serves, by suffix
_RUN_FILES = {
    ".html": "text/html; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


async def index(request: Request) -> Response:
    return HTMLResponse((STATIC_DIR / "index.html").read_text(encoding="utf-8"))


async def asset(request: Request) -> Response:
    from zoning.maps.assets import load_asset

    name = request.path_params["name"]
    if name not in PAGE_ASSETS:
        raise ApiError(404, "not_found", f"no asset {name!r}")
    key, media = PAGE_ASSETS[name]
    return Response(load_asset(key), media_type=media, headers={"Cache-Control": "max-age=3600"})


def _runs_dir(request: Request) -> Path:
    runs = state_of(request).config.runs_dir
    if runs is None:
        raise ApiError(
            404,
            "not_found",
            "this server lists no runs; expected it started with --runs DIR; fix: restart it "
            "with `zoning serve --runs <folder of zoning run outputs>`",
        )
    return runs.resolve()


def _list_runs(root: Path) -> list[dict[str, Any]]:
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        manifest = folder / "manifest.json"
        created = scenario = None
        if manifest.is_file():
            try:
                doc = json.loads(manifest.read_text(encoding="utf-8"))
                created, scenario = doc.get("created"), doc.get("scenario")
            except (OSError, ValueError):
                pass
        files = [
            str(p.relative_to(folder))
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in _RUN_FILES and not p.is_symlink()
        ]
        out.append({"run": folder.name, "created": created, "scenario": scenario, "files": files})
    return out


async def runs_api(request: Request) -> Response:
    return json_response({"runs": _list_runs(_runs_dir(request))})


async def runs_page(request: Request) -> Response:
    runs = _list_runs(_runs_dir(request))
    rows = []
    for run in runs:
        links = " · ".join(
            f'<a href="/runs/{html.escape(run["run"])}/{html.escape(f)}">{html.escape(f)}</a>'
            for f in run["files"]
            if f.endswith(".html")
        )
        rows.append(
            f"<tr><td>{html.escape(run['run'])}</td><td>{html.escape(str(run['created'] or ''))}"
            f"</td><td>{links}</td></tr>"
        )
    body = (
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>批处理结果 / Runs"
        "</title><link rel='stylesheet' href='/static/app.css'></head><body class='runs'>"
        "<h1>批处理结果 / Runs</h1><p><a href='/'>← 返回 / Back</a></p><table><thead><tr>"
        "<th>运行 / Run</th><th>创建 / Created</th><th>报告与地图 / Reports and maps</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></body></html>"
    )
    return HTMLResponse(body)


async def run_file(request: Request) -> Response:
    root = _runs_dir(request)
    rel = request.path_params["path"]
    target = (root / request.path_params["run"] / rel).resolve()
    inside = target.is_relative_to(root) and ".." not in Path(rel).parts
    if not inside or not target.is_file() or target.suffix not in _RUN_FILES:
        raise ApiError(404, "not_found", f"no file {rel!r} in run {request.path_params['run']!r}")
    headers = {"Content-Security-Policy": DOCUMENT_CSP} if target.suffix == ".html" else {}
    return Response(target.read_bytes(), media_type=_RUN_FILES[target.suffix], headers=headers)


def page_routes() -> list[Any]:
    """Return the page's routes."""
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    return [
        Route("/", guarded(index)),
        Route("/assets/{name}", guarded(asset)),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        Route("/runs", guarded(runs_page)),
        Route("/api/runs", guarded(runs_api)),
        Route("/runs/{run}/{path:path}", guarded(run_file)),
    ]
