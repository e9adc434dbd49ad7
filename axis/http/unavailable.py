"""Answering while the database is away: 503 `DATABASE_UNAVAILABLE` with `Retry-After`.

A request that needs the database while it is down or restarting fails at once with a coded
answer a client can act on (try again shortly), logged as one line without a traceback, instead
of a 500 with a traceback per request. What `axis.store.db.database_unavailable` does not recognize
(a constraint violated, a missing table: bugs) goes on to the 500 handler as before.
"""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc

from axis.http.errors import ApiError, error_response
from axis.store.db import DatabaseUnreachable, database_unavailable, unavailable_reason

log = structlog.get_logger(__name__)

DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
RETRY_AFTER_SECONDS = 5
MESSAGE = "The node's database does not answer (down or restarting); try again in a few seconds."


def unavailable() -> ApiError:
    """The answer to a request that needed the database while it was away."""
    return ApiError(
        503, DATABASE_UNAVAILABLE, MESSAGE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


def logged(error: BaseException, **where: str) -> None:
    """One line per request answered so (no traceback: an outage is not a bug)."""
    log.warning("database unavailable", reason=unavailable_reason(error), **where)


async def database_errors(request: Request, error: Exception) -> JSONResponse:
    if not database_unavailable(error):
        raise error  # a bug, not an outage: the 500 handler answers and logs it
    logged(error, path=request.url.path, method=request.method)
    return error_response(unavailable())


def install(app: FastAPI) -> None:
    """Answer the database's outage errors of `app` with 503 (beside `errors.install`)."""
    for kind in (DatabaseUnreachable, exc.DBAPIError, exc.TimeoutError):
        app.add_exception_handler(kind, database_errors)
