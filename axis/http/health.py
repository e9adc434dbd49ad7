"""Health for orchestrators (`/healthz`: the process answers; `/readyz`: it can do its work) and
metrics for Prometheus (`/metrics`, operator role)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from axis.broker.probe import ProbeError, probe
from axis.http.auth import Operator
from axis.http.context import AppContext, app_context
from axis.http.errors import error_responses
from axis.settings import split_host_port

router = APIRouter(tags=["health"])
Context = Annotated[AppContext, Depends(app_context)]
PROBE_SECONDS = 3.0


@router.get("/healthz", summary="The process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz", summary="The node can work",
    responses={503: {"description": "Not ready: see `checks`."}},
)  # fmt: skip
async def readyz(context: Context) -> JSONResponse:
    """Broker reachable, database answering, registry loaded and not older than allowed, and
    this process's workers moving (none stuck: see `routing.worker_loop`)."""
    checks: dict[str, dict[str, Any]] = {}
    problem = await context.node.database_problem(PROBE_SECONDS)
    checks["database"] = {"ok": True} if problem is None else {"ok": False, "problem": problem}
    checks["broker"] = await _broker(context.settings.kafka_bootstrap)
    if checks["database"]["ok"]:
        settings = context.settings
        status = await context.node.registry.status(
            settings.registry_max_age_value, settings.heartbeat_limits
        )
        checks["registry"] = {"ok": status.version > 0 and not status.degraded, **status.as_json()}
    else:
        checks["registry"] = {"ok": False, "problem": "the database does not answer"}
    health = context.node.health
    checks["workers"] = {"ok": health.ok, "workers": health.report()}
    ready = all(check["ok"] for check in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get(
    "/metrics", summary="Prometheus metrics", response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
               **error_responses(401, 403)},
)  # fmt: skip
async def metrics(_: Operator, context: Context) -> Response:
    body = await context.scraper.scrape()
    return Response(body, media_type=CONTENT_TYPE_LATEST)


async def _broker(bootstrap: str) -> dict[str, Any]:
    """Reachable when any bootstrap server answers as Kafka."""
    problems = []
    for server in bootstrap.split(","):
        host, port = split_host_port(server.strip(), what="AXIS_KAFKA_BOOTSTRAP")
        try:
            await probe(host, port, timeout=PROBE_SECONDS)
        except ProbeError as error:
            problems.append(str(error))
            continue
        return {"ok": True}
    return {"ok": False, "problem": "; ".join(problems)}
