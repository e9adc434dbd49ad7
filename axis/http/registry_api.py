"""The registry's routes: search and read units (with the resolve answer), the change log, the
authority's change sets, and the signed snapshot followers load from."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, Response

from axis.http import directory
from axis.http.auth import Authority, Reader, needs
from axis.http.bodies import bounded_body
from axis.http.context import AppContext, app_context
from axis.http.errors import ApiError, error_responses
from axis.node.registry_authority import snapshot_path
from axis.services import registry_changes, registry_preview
from axis.store.credentials import Principal, Role
from axis.wire.registry import (
    Applied,
    Preview,
    Resolved,
    Unit,
    UnitDetail,
    UnitPage,
    VersionEntry,
)
from orgcodes.changes import parse_change_set
from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.model import UnitState, UnitStatus

router = APIRouter(prefix="/v1/registry", tags=["registry"])
Context = Annotated[AppContext, Depends(app_context)]
MAX_CHANGE_SET_BYTES = 64 * 1024 * 1024
Planner = Annotated[Principal, Depends(needs(Role.REGISTRY_AUTHORITY, Role.OPERATOR))]
"""Who may preview a change set: the registry authority, and any node's operators."""


def unit_model(state: UnitState) -> Unit:
    return Unit(
        code=state.code, name=state.name, parent=state.parent, level=state.level,
        status=state.status.value, since=state.since, until=state.until, version=state.version,
        alt_code=state.alt_code, successors=list(state.successors),
        old_codes=list(state.old_codes), delivery_mode=state.delivery_mode.value,
        endpoint=state.endpoint, email=state.contact.email, phone=state.contact.phone,
    )  # fmt: skip


def _at(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@router.get(
    "/units", response_model=UnitPage, summary="Search units", responses=error_responses(401, 422)
)
async def units(
    request: Request,
    _: Reader,
    context: Context,
    q: Annotated[str | None, Query(max_length=200, description="In the code or name.")] = None,
    parent: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[Literal["active", "closed"] | None, Query()] = None,
    level: Annotated[int | None, Query(ge=0, le=20)] = None,
    at: Annotated[datetime | None, Query(description="Units as they stood then.")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Response:
    """Units whose state at `at` (default: now) matches, ordered by code; with an `ETag`
    (`If-None-Match` answers 304 while the page is the same).

    The units of now are a view built once per registry version and kept until the registry's
    next transition (`axis.http.directory`, `orgcodes.views`), so a page costs the page."""
    view = await context.directory.view(
        context.node.registry.registry, None if at is None else _at(at)
    )
    total, found = view.page(
        offset, limit, q=q, parent=parent, level=level,
        status=None if status is None else UnitStatus(status),
    )  # fmt: skip
    page = UnitPage(total=total, offset=offset, units=[unit_model(s) for s in found])
    return directory.conditional(request, page.model_dump_json().encode())


@router.get(
    "/units/{code}",
    response_model=UnitDetail,
    summary="One unit, resolved",
    responses=error_responses(401, 404, 422),
)
async def unit(
    _: Reader,
    context: Context,
    code: Annotated[str, Path(max_length=64)],
    at: Annotated[datetime | None, Query()] = None,
) -> UnitDetail:
    """The unit's state at `at`, its whole history, and where a packet addressed to it goes
    (`resolve`: routed, redirected through successors, or why not). An old or alternate code
    answers with its resolution even when it is no unit's own code."""
    moment = _at(at)
    service = context.node.registry
    resolution = service.resolve(code, moment)
    history = service.registry.history(code)
    if history is None and resolution.outcome.value == "unknown":
        raise ApiError(404, "REGISTRY_UNKNOWN_CODE", f"{code} is not in the registry.")
    state = history.at(moment) if history else None
    return UnitDetail(
        unit=unit_model(state) if state else None,
        history=[unit_model(s) for s in history.states] if history else [],
        resolve=Resolved.model_validate(resolution.as_json()),
    )


@router.get(
    "/changes",
    response_model=list[VersionEntry],
    summary="The change log",
    responses=error_responses(401, 422),
)
async def changes(
    _: Reader,
    context: Context,
    since: Annotated[int, Query(ge=0, le=2**31 - 1, description="The last version known.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[VersionEntry]:
    """Change sets applied after version `since`, oldest first."""
    records = await context.node.registry.versions(since=since, limit=limit)
    return [VersionEntry(**r.as_json(), change_set=json.loads(r.payload)) for r in records]


@router.post(
    "/changesets",
    response_model=Applied,
    status_code=201,
    summary="Apply a change set",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "A change set (see the registry docs).",
                    }
                }
            },
        }
    },
    responses=error_responses(401, 403, 409, 413, 422),
)
async def apply_change_set(request: Request, principal: Authority, context: Context) -> Applied:
    """The registry authority's change set, applied as the next version, then signed into the
    snapshot and published to every follower."""
    data = await bounded_body(request, MAX_CHANGE_SET_BYTES)
    try:
        done = await registry_changes.apply_change_set(
            context.node.registry, context.settings, parse_change_set(data),
            actor=f"client:{principal.client_id}", source="api",
        )  # fmt: skip
    except RegistryError as error:
        status = 409 if error.code is RegistryCode.NOT_AUTHORITY else 422
        raise ApiError(
            status, error.code.value, error.message, problems=[error.as_json()]
        ) from None
    record, warnings = done.record, done.warnings
    return Applied(version=record.version, effective=record.effective, warnings=warnings)


@router.post(
    "/preview",
    response_model=Preview,
    summary="What a change set will do, without applying it",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
    responses=error_responses(401, 403, 413, 422),
)
async def preview_change_set(request: Request, _: Planner, context: Context) -> Preview:
    """For each code the change set stops (merged, split, closed): where its documents go from
    the effective time on, and what this node holds for it (deliveries on the way, inbox items,
    clients, certificates) with what will become of each. Nothing is stored."""
    data = await bounded_body(request, MAX_CHANGE_SET_BYTES)
    try:
        found = await registry_preview.preview(
            context.node.registry, context.node.sessions, parse_change_set(data)
        )
    except RegistryError as error:
        raise ApiError(422, error.code.value, error.message, problems=[error.as_json()]) from None
    return Preview.model_validate(found.as_json())


@router.get(
    "/snapshot",
    summary="The signed registry snapshot",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/json": {"schema": {"type": "object"}}}},
        **error_responses(401, 404),
    },
)
async def snapshot(_: Reader, context: Context) -> FileResponse:
    """The whole registry signed by the registry authority (what a follower loads at start)."""
    path = snapshot_path(context.settings)
    if path is None or not path.is_file():
        raise ApiError(
            404, "REGISTRY_SNAPSHOT_UNAVAILABLE",
            "This node does not sign registry snapshots (it is not the registry authority, or "
            "has no registry key); fetch the snapshot from the authority's node.",
        )  # fmt: skip
    return FileResponse(path, media_type="application/json", filename=path.name)
