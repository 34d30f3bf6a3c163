"""``zoning serve``: the planner's page and its JSON API, offline, on a laptop or an intranet.

:func:`create_app` builds the Starlette application (served by uvicorn from
``zoning.cli.serve``). Modules: :mod:`~zoning.serve.app` (assembly),
:mod:`~zoning.serve.state` (what every request shares), :mod:`~zoning.serve.api` (the JSON
API), :mod:`~zoning.serve.pages` (the page, assets, runs), :mod:`~zoning.serve.screen_job`
(one screening), :mod:`~zoning.serve.uploads`, :mod:`~zoning.serve.site_body` and
:mod:`~zoning.serve.archives` (what a client sends), :mod:`~zoning.serve.pool` (bounded
workers) and :mod:`~zoning.serve.processes` (screening in forked worker processes), :mod:`~zoning.serve.auth`,
:mod:`~zoning.serve.limits`, :mod:`~zoning.serve.headers` (access, body cap, CSP),
:mod:`~zoning.serve.results` (downloads), :mod:`~zoning.serve.catalog_layers` (the map),
:mod:`~zoning.serve.project_types` (the type list). The API is described in ``docs/api.md``.
"""

from __future__ import annotations

from zoning.serve.app import create_app
from zoning.serve.config import ServeConfig

__all__ = ["ServeConfig", "create_app"]
