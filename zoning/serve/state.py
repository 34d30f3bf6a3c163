"""What every request of ``zoning serve`` shares: the catalogue, the workers, the results.

:func:`zoning.serve.app.create_app` builds one :class:`ServerState` and hangs it on the
application; the route modules (:mod:`~zoning.serve.api`, :mod:`~zoning.serve.pages`) read it
with :func:`state_of`. Kept apart from the assembly so the routes never import the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from zoning.serve.archives import ArchiveLimits
from zoning.serve.catalog_layers import CatalogLayers
from zoning.serve.config import ServeConfig
from zoning.serve.pool import WorkerPool
from zoning.serve.results import ResultStore

__all__ = ["ServerState", "state_of"]


@dataclass
class ServerState:
    """What every request shares."""

    config: ServeConfig
    catalog: Any
    pool: WorkerPool
    results: ResultStore
    layers: CatalogLayers
    archive_limits: ArchiveLimits
    illustrative: bool
    #: screening worker processes (``zoning serve``); None screens on ``pool``'s threads
    screeners: WorkerPool | None = None


def state_of(request: Request) -> ServerState:
    """Return the :class:`ServerState` of the application serving ``request``.

    Parameters
    ----------
    request : starlette.requests.Request
        The request being handled.

    Returns
    -------
    ServerState
        Set by :func:`zoning.serve.app.create_app`.
    """
    state: ServerState = request.app.state.zoning
    return state
