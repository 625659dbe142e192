"""FastAPI glue shared by the mesh and every HTTP function: errors in the contract format.

Kept apart from `errors` so that event functions, which never serve FastAPI, don't import it.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from eventing.errors import EventingError
from functions.kit import openapi
from functions.kit.errors import DEFAULT, Eco2Error, error_body, http_status_and_code, row_for

log = logging.getLogger(__name__)


def install(app: FastAPI) -> None:
    """Answer every error in the contract's `{"detail", "code"}` format."""

    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        row = row_for(exc)
        status, code = http_status_and_code(exc)
        if status >= 500:
            log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        detail = getattr(exc, "detail", None) or getattr(exc, "reason", None) or str(exc)
        if row is DEFAULT:
            detail = "internal error"  # never leak internals
        return JSONResponse(error_body(str(detail), code), status_code=status)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        parts = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(error_body("; ".join(parts), "VALIDATION_ERROR"), status_code=422)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        return JSONResponse(
            error_body(str(exc.detail), code), status_code=exc.status_code, headers=exc.headers
        )

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    for kind in (Eco2Error, EventingError, TimeoutError):  # answered, not re-raised
        app.add_exception_handler(kind, on_error)
    app.add_exception_handler(Exception, on_error)  # a 500, still logged by the server
    openapi.install(app)  # the document says what these handlers answer
