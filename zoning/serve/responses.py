"""Error answers of the API: ``{"error": {"code", "message"}}`` with the right status.

Library errors (:mod:`zoning.errors`) carry the CLI's message: what was found, what was
expected, the fix. Anything else becomes a 500 with a generic message; the traceback goes to
the server log, never to the client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.responses import JSONResponse

from zoning.errors import (
    CRSError,
    EmptyInputError,
    InputFileError,
    LayerValidationError,
    UnknownProjectTypeError,
    ZoningError,
    ZoningUsageError,
)

__all__ = ["ApiError", "error_for_exception", "error_response"]

log = logging.getLogger("zoning.serve")


class ApiError(Exception):
    """An error answered to the client as-is (status, code, message, extra headers)."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def __reduce__(self) -> tuple[type[ApiError], tuple[int, str, str, dict[str, str]]]:
        """Pickle with every field (a worker process raises it, the server answers it)."""
        return (ApiError, (self.status, self.code, self.message, self.headers))


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Return the JSON error answer."""
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


#: library error class -> (status, code), most specific first
_MAPPING: tuple[tuple[type[BaseException], int, str], ...] = (
    (UnknownProjectTypeError, 422, "unknown_project_type"),
    (ZoningUsageError, 400, "bad_request"),
    (CRSError, 400, "bad_crs"),
    (EmptyInputError, 400, "empty_input"),
    (LayerValidationError, 400, "invalid_site"),
    (InputFileError, 400, "bad_input"),
    (ZoningError, 400, "bad_input"),
)


def error_for_exception(exc: BaseException) -> ApiError:
    """Turn any exception into the :class:`ApiError` the client sees."""
    if isinstance(exc, ApiError):
        return exc
    for cls, status, code in _MAPPING:
        if isinstance(exc, cls):
            message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
            return ApiError(status, code, message)
    log.error("internal error", exc_info=(type(exc), exc, exc.__traceback__))
    return ApiError(
        500,
        "internal",
        "the server failed on this request (the error is in the server's log); expected "
        "none; fix: try again, and if it persists report it with the input",
    )
