"""Token access: every request carries the token when the server has one.

The token is accepted as ``Authorization: Bearer <token>``, as the ``zoning_token`` cookie, or
once as ``?token=<token>`` in a page URL, which answers with a redirect to the same URL without
the token and sets the cookie (HttpOnly, SameSite=Strict) so the page's own requests carry it.
Tokens are compared in constant time. Without a token (loopback, or ``--no-auth``) every
request passes.
"""

from __future__ import annotations

import hmac
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

from zoning.serve.responses import error_response

__all__ = ["COOKIE", "TokenAuth"]

COOKIE = "zoning_token"


class TokenAuth:
    """ASGI middleware refusing requests without the right token (401)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode("utf-8") if token else None

    def _ok(self, candidate: str | None) -> bool:
        if candidate is None or self.token is None:
            return False
        return hmac.compare_digest(candidate.encode("utf-8"), self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass on an HTTP request that carries the token; answer 401 to any other.

        The token counts in an ``Authorization: Bearer`` header or the cookie; given as
        ``?token=`` in the URL, it is moved into the cookie by a 303 redirect.
        """
        if scope["type"] != "http" or self.token is None:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        auth = headers.get("authorization", "")
        bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is simply no cookie
            cookie = SimpleCookie()
        from_cookie = cookie[COOKIE].value if COOKIE in cookie else None
        if self._ok(bearer) or self._ok(from_cookie):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        given = next((v for k, v in query if k == "token"), None)
        if self._ok(given):
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            location = scope.get("path", "/") + (f"?{rest}" if rest else "")
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [
                        (b"location", location.encode("latin-1")),
                        (
                            b"set-cookie",
                            f"{COOKIE}={given}; Path=/; HttpOnly; SameSite=Strict".encode(
                                "latin-1"
                            ),
                        ),
                        (b"content-length", b"0"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        found = "a wrong token" if (bearer or from_cookie or given) else "no token"
        response = error_response(
            401,
            "unauthorized",
            f"this server needs its access token and the request carried {found}; expected "
            "'Authorization: Bearer <token>' or, in a browser, the URL printed by `zoning "
            "serve` with ?token=<token>; fix: ask whoever started the server for the token",
            headers={"WWW-Authenticate": 'Bearer realm="zoning"'},
        )
        await response(scope, receive, send)
