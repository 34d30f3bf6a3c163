"""The ``zoning serve`` application: routes, middleware, shared state.

Middleware, outermost first: security headers (CSP), token auth (when a token is set), the
body cap. The catalogue is loaded once; its spatial index is built (and one site screened) at
start so the first user does not wait for it. With ``ServeConfig.worker_processes`` the
screening workers are then forked (:mod:`zoning.serve.processes`); they stop with the app.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from zoning.serve.api import api_routes
from zoning.serve.archives import ArchiveLimits
from zoning.serve.auth import TokenAuth
from zoning.serve.catalog_layers import CatalogLayers
from zoning.serve.config import ServeConfig
from zoning.serve.headers import HostCheck, SecurityHeaders
from zoning.serve.limits import BodyLimit
from zoning.serve.pages import page_routes
from zoning.serve.pool import WorkerPool
from zoning.serve.processes import can_fork, process_executor_factory
from zoning.serve.responses import error_for_exception, error_response
from zoning.serve.results import ResultStore
from zoning.serve.state import ServerState

__all__ = ["create_app"]

log = logging.getLogger("zoning.serve")


def _illustrative(catalog: Any) -> bool:
    prov = catalog.provenance()
    layers = prov.get("layers", []) if isinstance(prov, dict) else []
    return any(bool(layer.get("illustrative")) for layer in layers if isinstance(layer, dict))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    messages = {
        404: f"nothing at {request.url.path}; expected / or an /api/ address (docs/api.md)",
        405: f"{request.method} is not allowed on {request.url.path}; see docs/api.md",
    }
    code = codes.get(exc.status_code, "bad_request")
    return error_response(exc.status_code, code, messages.get(exc.status_code, str(exc.detail)))


async def _any_error(request: Request, exc: Exception) -> Response:
    err = error_for_exception(exc)
    return error_response(err.status, err.code, err.message, err.headers)


def create_app(config: ServeConfig | None = None, *, catalog: Any = None) -> Starlette:
    """Build the ASGI application.

    Parameters
    ----------
    config : ServeConfig, optional
        Settings (default: the demo catalogue, loopback, no token).
    catalog : zoning.catalog.Catalog, optional
        An already loaded catalogue (default: load ``config.catalog_path`` or the demo).

    Returns
    -------
    starlette.applications.Starlette
    """
    config = config or ServeConfig()
    if catalog is None:
        from zoning.catalog import load_catalog

        path = config.catalog_path
        if path is None:
            from zoning.datasets import demo_catalog_path

            path = demo_catalog_path()
        catalog = load_catalog(path)
    if config.warm_up:
        from zoning.serve.warmup import warm_up

        log.info("warm-up (index and one screening): %.1f s", warm_up(catalog))
    limits = ArchiveLimits(
        max_member_bytes=config.max_unpacked_bytes, max_total_bytes=config.max_unpacked_bytes
    )
    screeners = None
    if config.worker_processes and can_fork():
        # forked now, with the catalogue loaded and warmed and before any server thread runs
        factory = process_executor_factory(catalog, limits)
        screeners = WorkerPool(config.workers, config.queue, executor_factory=factory)
    state = ServerState(
        config=config,
        catalog=catalog,
        pool=WorkerPool(config.workers, config.queue),
        results=ResultStore(config.result_ttl_s, config.max_results),
        layers=CatalogLayers(catalog),
        archive_limits=limits,
        illustrative=_illustrative(catalog),
        screeners=screeners,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        if state.screeners is not None:
            state.screeners.shutdown()

    middleware = [Middleware(SecurityHeaders)]
    if config.allowed_hosts:
        middleware.append(Middleware(HostCheck, allowed=config.allowed_hosts))
    if config.token:
        middleware.append(Middleware(TokenAuth, token=config.token))
    middleware.append(Middleware(BodyLimit, limit=config.max_body_bytes))
    app = Starlette(
        routes=[*api_routes(), *page_routes()],
        middleware=middleware,
        exception_handlers={HTTPException: _http_error, Exception: _any_error},
        lifespan=lifespan,
    )
    app.state.zoning = state
    return app
