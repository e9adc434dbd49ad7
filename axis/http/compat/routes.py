"""The SDK's routes: the table of operations, what every operation does around its logic
(authenticate, check the role and the signed parameters, read the body, reply), downloadEdoc,
and the answers to requests sent to a wrong path."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException

from axis.http import unavailable
from axis.http.bodies import MAX_PACKET_BYTES
from axis.http.compat.agencies import (
    delete_agency,
    get_agencies_list,
    get_agencies_list_qd20,
    get_synchronize_unit,
    register_agency,
)
from axis.http.compat.dialect import (
    RETRY_AFTER,
    SLASHES,
    SMALL_BODY,
    Call,
    Failure,
    Fields,
    authenticate,
    check_signed,
    database_failure,
    failure_reply,
    read_body,
    refused,
    require_role,
    success,
)
from axis.http.compat.documents import (
    counting,
    fetch,
    get_edoc,
    get_received_edoc_list,
    get_sent_edoc_list,
    send_edoc,
    update_status,
)
from axis.http.compat.operations import OCTETS, Signs
from axis.http.context import app_context
from axis.logs import new_error_id
from axis.store.credentials import Role
from axis.store.db import database_unavailable
from envelopes.records import RecordKind

log = structlog.get_logger(__name__)


# --- the routes ----------------------------------------------------------------------------

Logic = Callable[[Call], Awaitable[Fields | Response]]
"""An operation: the fields of its OK reply, or a reply of its own (the directory answers)."""


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    logic: Logic
    role: Role | None = Role.AGENCY
    """The role the client needs (None: any HMAC client)."""
    signs: Signs = field(default_factory=Signs)
    """The signed Content-Type and the parameters the operation takes."""
    body_limit: int = SMALL_BODY
    on_failure: Mapping[str, object] = field(default_factory=dict)
    """Fields a FAIL reply carries besides the three (sendEdoc's `DocId`)."""


LISTING = Signs(uses=("servicetype", "messagetype"))
"""The SDK's sample passes these to the list and count operations."""
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "sendEdoc",
        send_edoc,
        signs=Signs(OCTETS, ("from", "to", "servicetype", "messagetype", "hash-file")),
        body_limit=MAX_PACKET_BYTES + 2,
        on_failure={"DocId": ""},
    ),
    Operation("getReceivedEdocList", get_received_edoc_list, signs=LISTING),
    Operation(
        "getSentEdocList",
        get_sent_edoc_list,
        signs=Signs(uses=("servicetype", "messagetype", "docId")),
    ),
    Operation("getEdoc", get_edoc, signs=Signs(uses=("docId", "filePath"))),
    Operation("updateStatus", update_status, signs=Signs(uses=("docId", "status"))),
    Operation("countReceiveEdoc", counting(RecordKind.DOCUMENT), signs=LISTING),
    Operation("countReceiveStatus", counting(RecordKind.STATUS), signs=LISTING),
    Operation("getAgenciesList", get_agencies_list, role=None),
    Operation(
        "getAgenciesListQD20", get_agencies_list_qd20, role=None, signs=Signs(uses=("level",))
    ),
    Operation("getSynchronizeUnit", get_synchronize_unit, role=None),
    Operation("registerAgency", register_agency, role=Role.REGISTRY_AUTHORITY),
    Operation(
        "deleteAgency",
        delete_agency,
        role=Role.REGISTRY_AUTHORITY,
        signs=Signs(uses=("AgencyCode",)),
    ),
)
"""Every POST operation; `downloadEdoc` (GET, raw bytes) has its own route."""
DOWNLOAD = Signs(uses=("docId", "filePath"))


async def perform(request: Request, operation: Operation) -> Response:
    """Authenticate, check the role, read the body, run the operation: always a JSON reply."""
    try:
        context = app_context(request)
        client, signed = await authenticate(request, context)
        require_role(client.principal, operation.role, operation.name)
        check_signed(operation.name, operation.signs, client, signed)
        body = await read_body(request, operation.body_limit)
        done = await operation.logic(Call(request, context, client.principal, signed, body))
    except Failure as failure:
        log.info("SDK request refused", operation=operation.name, error=failure.description)
        return failure_reply(failure, operation.on_failure)
    except Exception as error:
        if database_unavailable(error):  # ErrorCode 503, as /v1 answers (axis.http.unavailable)
            unavailable.logged(error, operation=operation.name)
            return failure_reply(database_failure(), operation.on_failure, retry_after=True)
        return failure_reply(internal_failure(operation.name), operation.on_failure)
    return done if isinstance(done, Response) else success(done)


async def download_edoc(request: Request) -> Response:
    """The packet's raw bytes, or an empty body on any error: the SDK saves whatever body it
    receives as the document, so an error must not look like one (`X-Axis-Error` says why)."""
    try:
        context = app_context(request)
        client, signed = await authenticate(request, context)
        require_role(client.principal, Role.AGENCY, "downloadEdoc")
        check_signed("downloadEdoc", DOWNLOAD, client, signed)
        data = await fetch(Call(request, context, client.principal, signed))
    except Failure as failure:
        log.info("SDK request refused", operation="downloadEdoc", error=failure.description)
        return Response(b"", headers={"X-Axis-Error": header_text(failure), **failure.headers})
    except Exception as error:
        if database_unavailable(error):
            unavailable.logged(error, operation="downloadEdoc")
            headers = {"X-Axis-Error": header_text(database_failure()), **RETRY_AFTER}
            return Response(b"", headers=headers)
        internal = internal_failure("downloadEdoc")
        return Response(b"", headers={"X-Axis-Error": header_text(internal)})
    return Response(data, media_type="application/xml")


def internal_failure(operation: str) -> Failure:
    """Log the exception being handled under a new error id (plainly: see `axis.logs`), and
    the FAIL 500 that answers it with the same id."""
    error_id = new_error_id()
    log.exception("SDK request failed", operation=operation, error_id=error_id)
    return refused(
        "500",
        "INTERNAL_ERROR",
        f"The node failed to answer; the error is logged under id {error_id}.",
    )


def header_text(failure: Failure) -> str:
    """`ErrorCode ErrorDesc` as a safe header value (ASCII, one line, bounded)."""
    text = f"{failure.code} {failure.description}".encode("ascii", "backslashreplace").decode()
    return "".join(c if c.isprintable() else " " for c in text)[:300]


def endpoint(operation: Operation) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        return await perform(request, operation)

    handle.__name__ = f"vxp_{operation.name}"
    handle.__doc__ = f"The national SDK's {operation.name}."
    return handle


class _MoreSlashes(Convertor[str]):
    """Extra slashes after a `/` of a route's path (none or more), so that a route also matches
    its path with `//`: the SDK builds URLs as `endpoint + "/" + operation`, so an endpoint
    ending in `/` asks for `/vxp//getEdoc`."""

    regex = "/*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor(SLASHES, _MoreSlashes())


def collapsible(path: str) -> str:
    """`path` as a route pattern matching it with any `/` repeated (`/vxp/getEdoc` also
    matches `//vxp///getEdoc`); the extra slashes land in path parameters nobody reads."""
    parts = path.split("/")[1:]
    return "".join(f"/{{_s{i}:{SLASHES}}}{part}" for i, part in enumerate(parts))


def router(prefix: str) -> APIRouter:
    """The 13 operations under `prefix` (the `compat_prefix` setting, "" for the root); they
    are left out of the OpenAPI document, which describes `/v1`."""
    api = APIRouter()
    for operation in OPERATIONS:
        api.add_api_route(
            collapsible(f"{prefix}/{operation.name}"),
            endpoint(operation),
            methods=["POST"],
            include_in_schema=False,
            name=f"vxp_{operation.name}",
        )
    api.add_api_route(
        collapsible(f"{prefix}/downloadEdoc"),
        download_edoc,
        methods=["GET"],
        include_in_schema=False,
        name="vxp_downloadEdoc",
    )
    return api


def install_misdirected(app: FastAPI, prefix: str) -> None:
    """Answer an SDK request sent to the wrong path (a wrong endpoint prefix, a missing one) in
    the SDK's own shape: FastAPI's JSON 404 reads to the SDK as an all-empty result, which a DMS
    cannot tell from an empty inbox. A request is the SDK's when it carries XroadVnpt headers;
    every other 404 keeps the `/v1` error body."""
    fallback = app.exception_handlers.get(StarletteHTTPException)

    async def not_found(request: Request, error: Exception) -> Response:
        if any(name.lower().startswith(PREFIX_HEADER) for name in request.headers):
            return misdirected(request, prefix)
        assert fallback is not None
        answered = fallback(request, error)
        return await answered if inspect.isawaitable(answered) else answered

    app.add_exception_handler(404, not_found)


def misdirected(request: Request, prefix: str) -> Response:
    operation = request.url.path.rstrip("/").rpartition("/")[2]
    known = {o.name.lower(): o.name for o in OPERATIONS} | {"downloadedoc": "downloadEdoc"}
    named = known.get(operation.lower())
    endpoint = f"{request.base_url}".rstrip("/") + prefix
    failure = refused(
        "404",
        "ENDPOINT_NOT_FOUND",
        f"{request.url.path} is not an operation of this node; the SDK's endpoint is "
        f"{endpoint}" + (f" (then /{named})" if named else "") + ".",
    )
    log.info("SDK request to a wrong path", path=request.url.path)
    if named == "downloadEdoc":
        return Response(b"", headers={"X-Axis-Error": header_text(failure)})
    extra = {"DocId": ""} if named == "sendEdoc" else {}
    return failure_reply(failure, extra)


PREFIX_HEADER = "xroadvnpt-"


__all__ = ["OPERATIONS", "install_misdirected", "router"]
