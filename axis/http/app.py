"""The node's HTTP application: every face on one FastAPI app.

- `/v1/...`: the API of document management systems, the registry and operators;
- `<compat_prefix>/...`: the national SDK's 13 operations (`axis.http.compat`);
- `/dashboard/...`: the clerks' pages (`axis.http.dashboard`);
- `/healthz`, `/readyz`, `/metrics`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request, Response

from axis.http import (
    compat,
    dashboard,
    dms,
    errors,
    health,
    operators_api,
    registry_api,
    unavailable,
)
from axis.http.context import AppContext
from axis.http.gate import SubmissionGate

REQUEST_ID = "X-Request-ID"


def create_app(context: AppContext) -> FastAPI:
    app = FastAPI(
        title="Axis node",
        version="0.1.0",
        summary="Signed edXML packets between agencies: send, receive, track; the registry of "
        "organization codes; operations.",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.axis = context
    errors.install(app)
    unavailable.install(app)

    @app.middleware("http")
    async def request_ids(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get(REQUEST_ID, "")
        request_id = given if 0 < len(given) <= 64 and given.isprintable() else uuid.uuid4().hex
        request.state.request_id = request_id
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            response = await call_next(request)
        response.headers[REQUEST_ID] = request_id
        return response

    app.include_router(dms.router)
    app.include_router(registry_api.router)
    app.include_router(operators_api.router)
    app.include_router(health.router)
    app.include_router(dashboard.router)
    app.include_router(compat.router(context.settings.compat_prefix))
    compat.install_misdirected(app, context.settings.compat_prefix)
    app.add_middleware(
        SubmissionGate,
        compat_prefix=context.settings.compat_prefix,
        limit=context.settings.submission_limit,
        saturated=context.node.submission.saturated,
    )
    return app
