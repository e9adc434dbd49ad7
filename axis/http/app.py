"""The node's HTTP application: every face on one FastAPI app.

- `/v1/...`: the API of document management systems, the registry and operators;
- `<compat_prefix>/...`: the national SDK's 13 operations (`axis.http.compat`);
- `/dashboard/...`: the clerks' pages (`axis.http.dashboard`);
- `/healthz`, `/readyz`, `/metrics`.
"""

from __future__ import annotations

from fastapi import FastAPI

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
from axis.http.request_ids import RequestIds


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
    app.add_middleware(RequestIds)  # the outermost: the gate's refusals carry an id too
    return app
