"""Errors as every `/v1` route answers them: JSON with a machine code and a sentence.

    {"error": {"code": "INBOX_ITEM_NOT_FOUND", "message": "...", "problems": [...]}}

Routes raise `ApiError`; FastAPI's own refusals (validation, unknown route, wrong method) and
any unexpected exception are answered in the same shape, so a client never parses two formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from axis.logs import new_error_id

log = structlog.get_logger(__name__)

ERROR_ID = "X-Axis-Error-Id"


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        problems: Sequence[dict[str, Any]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.problems = list(problems)
        self.headers = headers
        self.error_id: str | None = None


class ErrorBody(BaseModel):
    code: str
    message: str
    problems: list[dict[str, Any]] = []
    error_id: str | None = None
    """Only on 500: the id its log line carries too."""


class ErrorReply(BaseModel):
    """Every error the API answers."""

    error: ErrorBody


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route may answer (a route that authenticates,
    401, may also answer 429 `AUTH_THROTTLED`: `axis.http.throttle`)."""
    extra = (429,) if 401 in statuses else ()
    return {status: {"model": ErrorReply} for status in (*statuses, *extra)}


def error_response(error: ApiError) -> JSONResponse:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.problems:
        body["problems"] = error.problems
    if error.error_id:
        body["error_id"] = error.error_id
    return JSONResponse({"error": body}, status_code=error.status, headers=error.headers)


_HTTP_CODES = {
    400: "REQUEST_INVALID",
    401: "AUTH_REQUIRED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "REQUEST_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def internal_error(method: str, path: str) -> ApiError:
    """Log the exception being handled (plainly: see `axis.logs`) under a new error id, and
    the 500 that answers it with the same id."""
    error_id = new_error_id()
    log.exception("request failed", path=path, method=method, error_id=error_id)
    error = ApiError(
        500, "INTERNAL_ERROR",
        f"The node failed to answer; the error is logged under id {error_id}.",
        headers={ERROR_ID: error_id},
    )  # fmt: skip
    error.error_id = error_id
    return error


def install(app: FastAPI) -> None:
    """Answer every error of `app` as an `ErrorReply`."""

    async def api_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiError)
        return error_response(error)

    async def validation(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        problems = [
            {
                "where": ".".join(str(part) for part in problem.get("loc", ())),
                "problem": str(problem.get("msg", "")),
            }
            for problem in error.errors()
        ]
        described = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
        return error_response(
            ApiError(422, "REQUEST_INVALID", f"The request is not valid: {described}.",
                     problems=problems)
        )  # fmt: skip

    async def http(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        code = _HTTP_CODES.get(error.status_code, f"HTTP_{error.status_code}")
        message = str(error.detail) if error.detail else "The request failed."
        if error.status_code == 404:
            message = "There is no such resource."
        headers = dict(error.headers) if error.headers else None
        return error_response(ApiError(error.status_code, code, message, headers=headers))

    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        return error_response(internal_error(request.method, request.url.path))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(Exception, unexpected)
