"""``zoning serve``: the planner's page and its API, on this machine or the office intranet."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from zoning.cli.options import catalog_option
from zoning.cli.params import FiniteFloat

__all__ = ["serve"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@catalog_option()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--token",
    envvar="ZONING_SERVE_TOKEN",
    default=None,
    help="Access token (also $ZONING_SERVE_TOKEN); required beyond loopback unless --no-auth.",
)
@click.option(
    "--no-auth", is_flag=True, help="Serve beyond loopback without a token (a trusted network)."
)
@click.option(
    "--max-upload-mb",
    default=50.0,
    show_default=True,
    type=FiniteFloat(0.001, unit="MB"),
    help="Largest request body; larger ones get 413.",
)
@click.option(
    "--runs",
    "runs_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Folder of `zoning run` outputs to list read-only at /runs.",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Screenings at once.",
)
@click.option(
    "--worker-processes/--worker-threads",
    default=True,
    show_default=True,
    help="Screen in worker processes forked after the warm-up (every core works), or on "
    "threads of the server's process.",
)
@click.option(
    "--queue",
    default=16,
    show_default=True,
    type=click.IntRange(0, 10_000),
    help="Screenings allowed to wait; beyond that 503.",
)
def serve(
    catalog_path: Path | None,
    host: str,
    port: int,
    token: str | None,
    no_auth: bool,
    max_upload_mb: float,
    runs_dir: Path | None,
    workers: int,
    worker_processes: bool,
    queue: int,
) -> None:
    """Start the local web page: draw or upload a site, pick the project, get the cited verdict.

    Binds to 127.0.0.1 by default. Any other address needs --token (or an explicit --no-auth);
    open the printed URL (it carries ?token= once, which sets a cookie).

    \b
    Examples:
      zoning serve
      zoning serve --host 0.0.0.0 --token "$(openssl rand -hex 16)" --runs runs/
    """  # noqa: D301 (click's \b (no-rewrap) marker must be a real backspace, not r-string text)
    from zoning.errors import ZoningUsageError

    loopback = _is_loopback(host)
    if not loopback and not token and not no_auth:
        raise ZoningUsageError(
            f"--host {host} serves beyond this machine and no --token was given; expected a "
            "token so that only people who have it can screen; fix: add --token <secret> (or "
            "$ZONING_SERVE_TOKEN), or --no-auth on a network you trust"
        )
    if token and no_auth:
        raise ZoningUsageError("--token and --no-auth contradict each other; give one of them")
    if token is not None and len(token) < 8:
        raise ZoningUsageError(
            f"--token has {len(token)} characters; expected at least 8; fix: use a longer "
            "random token, e.g. `openssl rand -hex 16`"
        )

    import uvicorn

    from zoning.serve import ServeConfig, create_app

    config = ServeConfig(
        catalog_path=catalog_path,
        token=token,
        max_upload_mb=max_upload_mb,
        runs_dir=runs_dir,
        workers=workers,
        worker_processes=worker_processes,
        queue=queue,
        allowed_hosts=("127.0.0.1", "localhost", "[::1]") if loopback else None,
    )
    click.echo("loading the catalogue and warming up …", err=True)
    app = create_app(config)
    shown = host
    if host in ("0.0.0.0", "::"):  # every interface: name this machine for the others
        import socket

        shown = socket.gethostname()
    shown = f"[{shown}]" if ":" in shown else shown
    url = f"http://{shown}:{port}/"
    click.echo(f"zoning serve: {url}" + (f"?token={token}" if token else ""))
    if not loopback and no_auth:
        click.echo("Warning: serving beyond loopback without a token (--no-auth)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
