"""The request-body cap, enforced while the body streams in.

A declared ``Content-Length`` above the cap is refused before any byte is read; a chunked body
is counted as it arrives and refused the moment it passes the cap, so a 60 MB upload never sits
in memory or on disk.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zoning.serve.responses import error_response

__all__ = ["BodyLimit", "BodyTooLargeError"]


class BodyTooLargeError(Exception):
    """Raised inside ``receive`` when the body passes the cap."""


def _too_large(limit: int) -> JSONResponse:
    mb = limit / (1024 * 1024)
    return error_response(
        413,
        "too_large",
        f"the request body is larger than this server's limit of {mb:g} MB; expected a smaller "
        "upload; fix: split the sites into several files, zip the file, or start the server "
        "with a larger --max-upload-mb",
    )


class BodyLimit:
    """ASGI middleware capping request bodies at ``limit`` bytes (413 above it)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, answering 413 once its body is over the limit.

        A declared ``Content-Length`` over the limit is refused before anything is read.
        """
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope["headers"]:
            if key.lower() == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.limit:
                    await _too_large(self.limit)(scope, receive, send)
                    return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLargeError
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLargeError:
            if not started:
                await _too_large(self.limit)(scope, receive, send)
