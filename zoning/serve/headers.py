"""Security headers on every answer: a Content-Security-Policy allowing only this server.

Scripts, styles, images, fonts and connections may come from the server itself (``'self'``)
and images also from ``data:`` URIs (Leaflet's icons); nothing may be framed except by the page
itself, and no other site may frame the page.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "HostCheck", "SecurityHeaders"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'"
)

_HEADERS = (
    (b"content-security-policy", CSP.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"SAMEORIGIN"),
)


class SecurityHeaders:
    """ASGI middleware adding :data:`CSP` and friends to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, adding the headers its answer lacks."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


class HostCheck:
    """ASGI middleware answering 400 to a ``Host`` header not in ``allowed`` (DNS rebinding).

    A server on loopback without a token trusts the machine; a web page elsewhere whose name is
    made to resolve to 127.0.0.1 would otherwise be "same origin" with it. Browsers always send
    the name they resolved, so only requests addressed to the loopback names pass.
    """

    def __init__(self, app: ASGIApp, allowed: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = {h.lower() for h in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass on a request addressed to an allowed host; answer 400 to any other."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = ""
        for key, value in scope["headers"]:
            if key.lower() == b"host":
                host = value.decode("latin-1").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name not in self.allowed:
            from zoning.serve.responses import error_response

            response = error_response(
                400,
                "bad_host",
                f"this server answers requests addressed to {', '.join(sorted(self.allowed))}; "
                f"the request was addressed to {host!r}; fix: open the URL `zoning serve` printed",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
