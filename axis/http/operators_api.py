"""The operators' routes: dead letters (list, inspect, replay), destinations (pause, resume),
clients (create, list, disable, rotate the secret, bind to a TLS client certificate, strict SDK
parameters) and the audit log. Every one needs the
`operator` role; every action is audited with the client who did it."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from axis.http.auth import Operator
from axis.http.context import AppContext, app_context
from axis.http.errors import ApiError, error_responses
from axis.node.parts import transactional_producer
from axis.services import client_admin
from axis.services.client_admin import Actor
from axis.services.delivery_operations import dead_letter_json
from axis.store.credentials import (
    Client,
    ClientError,
    Issued,
    Principal,
    Role,
    fingerprint,
    parse_roles,
)
from axis.wire.operations import (
    AuditModel,
    Changed,
    ClientModel,
    DeadLetterModel,
    IssuedModel,
    PauseModel,
    ReplayedModel,
)
from envelopes.records import RecordCodec
from routing.dead_letters import DeadLetterQuery
from routing.operations import ReplayError

router = APIRouter(prefix="/v1", tags=["operators"])
Context = Annotated[AppContext, Depends(app_context)]
CodePath = Annotated[str, Path(max_length=64)]


def actor(principal_id: str) -> str:
    return f"client:{principal_id}"


def by(principal: Principal, request: Request) -> Actor:
    """The operator making a change, as the audit log names them, and the request."""
    return Actor(actor(principal.client_id), request_id(request))


def request_id(request: Request) -> str | None:
    value: str | None = getattr(request.state, "request_id", None)
    return value


class ReplayRequest(BaseModel):
    ids: list[int] | None = Field(default=None, max_length=10_000, description="Dead letter ids.")
    recipient: str | None = Field(default=None, max_length=64)
    since: datetime | None = None
    until: datetime | None = None


class PauseRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class NewClient(BaseModel):
    client_id: str | None = Field(default=None, max_length=64, description="Generated if absent.")
    name: str = Field(min_length=1, max_length=200)
    codes: list[str] = Field(default=[], max_length=1000)
    roles: list[str] = Field(min_length=1, max_length=4)
    hmac: bool = Field(default=False, description="Also sign with XroadVnpt HMAC headers.")
    secret: str | None = Field(
        default=None,
        max_length=200,
        description="The secret an SDK already uses (else issued); it must be strong.",
    )
    allow_weak_secret: bool = Field(
        default=False,
        description="Import an existing national SDK secret that fails the strength rule "
        "(hmac clients with the roles agency or registry-authority only; audited; the secret "
        "then signs SDK requests only).",
    )


class CertificateBinding(BaseModel):
    """The certificate itself (PEM), or its SHA-256 fingerprint: one of the two."""

    certificate: str | None = Field(default=None, max_length=20_000, description="PEM.")
    sha256: str | None = Field(
        default=None, max_length=100, description="64 hex digits, colons allowed."
    )


class StrictParameters(BaseModel):
    strict: bool


class Rebinding(BaseModel):
    model_config = {"populate_by_name": True}

    old: str = Field(alias="from", max_length=64, description="A code the client acts for.")
    new: str = Field(
        alias="to", max_length=64,
        description="Where that code leads now: its successor, or a candidate of its split.",
    )  # fmt: skip


class SignaturePolicyChoice(BaseModel):
    policy: Literal["require", "node-signs", "accept-authenticated"]


def _pem_fingerprint(text: str) -> str:
    try:
        certificate = x509.load_pem_x509_certificate(text.encode("utf-8"))
    except ValueError:
        raise ClientError(
            "CLIENT_CERTIFICATE_INVALID", "'certificate' must be one PEM certificate"
        ) from None
    return fingerprint(certificate.public_bytes(Encoding.DER))


def _client_error(error: ClientError) -> ApiError:
    status = {"CLIENT_NOT_FOUND": 404, "CLIENT_EXISTS": 409, "CLIENT_SECRET_REUSED": 409}
    return ApiError(status.get(error.code, 422), error.code, error.message)


@router.get(
    "/dead-letters",
    response_model=list[DeadLetterModel],
    summary="List dead letters",
    responses=error_responses(401, 403, 422),
)
async def dead_letters(
    _: Operator,
    context: Context,
    recipient: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
    replayed: Annotated[bool, Query(description="Include replayed ones.")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeadLetterModel]:
    query = DeadLetterQuery(
        recipient_code=recipient, since=since, until=until, include_replayed=replayed, limit=limit
    )
    letters = await context.services.operator.dead_letters(query)
    return [DeadLetterModel.model_validate(dead_letter_json(x)) for x in letters]


@router.get(
    "/dead-letters/{dead_letter_id}",
    response_model=DeadLetterModel,
    summary="Inspect a dead letter",
    responses=error_responses(401, 403, 404, 422),
)
async def dead_letter(
    _: Operator, context: Context, dead_letter_id: Annotated[int, Path(ge=1, le=2**62)]
) -> DeadLetterModel:
    letter = await context.services.operator.dead_letter(dead_letter_id)
    if letter is None:
        raise ApiError(404, "DEAD_LETTER_NOT_FOUND", f"There is no dead letter {dead_letter_id}.")
    return DeadLetterModel.model_validate(dead_letter_json(letter, codec=RecordCodec()))


@router.post(
    "/dead-letters/replay",
    response_model=list[ReplayedModel],
    summary="Replay dead letters",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def replay(
    request: Request, principal: Operator, context: Context, asked: ReplayRequest
) -> list[ReplayedModel]:
    """Send dead letters back to delivery: by id, or every one of a recipient and/or a time
    window. Audited as one action."""
    if not asked.ids and asked.recipient is None and asked.since is None and asked.until is None:
        raise ApiError(
            422, "REPLAY_SELECTION_MISSING",
            "Name dead letter ids, or a recipient and/or a since/until window.",
        )  # fmt: skip
    query = DeadLetterQuery(
        recipient_code=asked.recipient, since=asked.since, until=asked.until, limit=10_000
    )
    try:
        async with transactional_producer(context.settings, "replay") as producer:
            done = await context.services.operator.replay(
                producer, actor=actor(principal.client_id), ids=asked.ids or None, query=query,
                request_id=request_id(request),
            )  # fmt: skip
    except ReplayError as error:
        status = 404 if "NOT_FOUND" in error.code else 409
        raise ApiError(status, error.code, str(error)) from None
    return [
        ReplayedModel(dead_letter_id=r.dead_letter_id, message_id=r.message_id,
                      recipient=r.recipient_code)
        for r in done
    ]  # fmt: skip


@router.get(
    "/destinations/paused",
    response_model=list[PauseModel],
    summary="Paused destinations",
    responses=error_responses(401, 403),
)
async def paused(_: Operator, context: Context) -> list[PauseModel]:
    return [
        PauseModel(code=p.code, paused_by=p.paused_by, paused_at=p.paused_at, reason=p.reason)
        for p in await context.services.operator.paused()
    ]


@router.post(
    "/destinations/{code}/pause",
    response_model=Changed,
    summary="Pause deliveries to an agency",
    responses=error_responses(401, 403, 422),
)
async def pause(
    request: Request, principal: Operator, context: Context, code: CodePath, asked: PauseRequest
) -> Changed:
    changed = await context.services.operator.pause(
        code, actor=actor(principal.client_id), reason=asked.reason,
        request_id=request_id(request),
    )  # fmt: skip
    return Changed(code=code, changed=changed)


@router.post(
    "/destinations/{code}/resume",
    response_model=Changed,
    summary="Resume deliveries to an agency",
    responses=error_responses(401, 403, 422),
)
async def resume(
    request: Request, principal: Operator, context: Context, code: CodePath
) -> Changed:
    changed = await context.services.operator.resume(
        code, actor=actor(principal.client_id), request_id=request_id(request)
    )
    return Changed(code=code, changed=changed)


@router.get(
    "/clients",
    response_model=list[ClientModel],
    summary="List clients",
    responses=error_responses(401, 403),
)
async def clients(_: Operator, context: Context) -> list[ClientModel]:
    return [
        ClientModel.model_validate(c.as_json()) for c in await context.services.client_admin.list()
    ]


@router.post(
    "/clients",
    response_model=IssuedModel,
    status_code=201,
    summary="Create a client",
    responses=error_responses(401, 403, 409, 422),
)
async def create_client(
    request: Request, principal: Operator, context: Context, asked: NewClient
) -> IssuedModel:
    """A client bound to organization codes and roles; its secret is in this reply only."""
    try:
        issued = await context.services.client_admin.add(
            client_admin.NewClient(
                client_id=asked.client_id, name=asked.name, codes=asked.codes,
                roles=_roles(asked.roles), hmac=asked.hmac, secret=asked.secret,
                allow_weak_secret=asked.allow_weak_secret,
            ),
            by(principal, request),
        )  # fmt: skip
    except ClientError as error:
        raise _client_error(error) from None
    return _issued(issued)


@router.post(
    "/clients/{client_id}/disable",
    response_model=ClientModel,
    summary="Disable a client",
    responses=error_responses(401, 403, 404, 422),
)
async def disable_client(
    request: Request, principal: Operator, context: Context, client_id: CodePath
) -> ClientModel:
    return await _client(context.services.client_admin.disable(client_id, by(principal, request)))


@router.post(
    "/clients/{client_id}/rotate",
    response_model=IssuedModel,
    summary="Rotate a client's secret",
    responses=error_responses(401, 403, 404, 422),
)
async def rotate_client(
    request: Request, principal: Operator, context: Context, client_id: CodePath
) -> IssuedModel:
    """A new secret; the old one stops working at once."""
    try:
        issued = await context.services.client_admin.rotate(client_id, by(principal, request))
    except ClientError as error:
        raise _client_error(error) from None
    return _issued(issued)


@router.put(
    "/clients/{client_id}/certificate",
    response_model=ClientModel,
    summary="Bind a client to a TLS client certificate",
    responses=error_responses(401, 403, 404, 422),
)
async def bind_certificate(
    request: Request,
    principal: Operator,
    context: Context,
    client_id: CodePath,
    asked: CertificateBinding,
) -> ClientModel:
    """From now on the client's requests (bearer, SDK, dashboard) are refused unless they arrive
    over TLS presenting this certificate; its dashboard sessions end."""
    try:
        if (asked.certificate is None) == (asked.sha256 is None):
            raise ClientError(
                "CLIENT_CERTIFICATE_INVALID", "give the 'certificate' (PEM) or its 'sha256', one"
            )
        given = (
            asked.sha256 if asked.sha256 is not None else _pem_fingerprint(asked.certificate or "")
        )
    except ClientError as error:
        raise _client_error(error) from None
    admin = context.services.client_admin
    return await _client(admin.bind_certificate(client_id, given, by(principal, request)))


@router.delete(
    "/clients/{client_id}/certificate",
    response_model=ClientModel,
    summary="Unbind a client from its TLS client certificate",
    responses=error_responses(401, 403, 404, 422),
)
async def unbind_certificate(
    request: Request, principal: Operator, context: Context, client_id: CodePath
) -> ClientModel:
    admin = context.services.client_admin
    return await _client(admin.bind_certificate(client_id, None, by(principal, request)))


@router.put(
    "/clients/{client_id}/strict-parameters",
    response_model=ClientModel,
    summary="Strict SDK parameters for a client",
    responses=error_responses(401, 403, 404, 422),
)
async def strict_parameters(
    request: Request,
    principal: Operator,
    context: Context,
    client_id: CodePath,
    asked: StrictParameters,
) -> ClientModel:
    """With strict parameters, each SDK operation refuses the client's signed parameters it does
    not use (for a DMS that makes one SDK service object per call)."""
    admin = context.services.client_admin
    return await _client(
        admin.set_strict_parameters(client_id, asked.strict, by(principal, request))
    )


@router.put(
    "/clients/{client_id}/signature-policy",
    response_model=ClientModel,
    summary="Set what a client's packets must carry as a signature",
    responses=error_responses(401, 403, 404, 422),
)
async def signature_policy(
    request: Request,
    principal: Operator,
    context: Context,
    client_id: CodePath,
    asked: SignaturePolicyChoice,
) -> ClientModel:
    """`require` (the default), `node-signs` (the node signs the client's unsigned or
    legacy-signed packets with the key it holds for the From code) or `accept-authenticated`
    (they are routed unsigned, marked "unsigned, client-authenticated"). A failing XML-DSig
    signature is refused under every policy."""
    admin = context.services.client_admin
    return await _client(
        admin.set_signature_policy(client_id, asked.policy, by(principal, request))
    )


@router.post(
    "/clients/{client_id}/rebind",
    response_model=ClientModel,
    summary="Move a client from a closed code to where it leads",
    responses=error_responses(401, 403, 404, 422),
)
async def rebind_client(
    request: Request,
    principal: Operator,
    context: Context,
    client_id: CodePath,
    asked: Rebinding,
) -> ClientModel:
    """Across a code switch: the client acts for `to` (the successor the registry names for
    `from`, or a candidate of its split) instead of `from`, and reads that code's inbox. A client
    never gains a successor's rights by itself; this is the operator's audited decision."""
    admin = context.services.client_admin
    return await _client(admin.rebind(client_id, asked.old, asked.new, by(principal, request)))


async def _client(change: Awaitable[Client]) -> ClientModel:
    """The client as a change left it, or the change's refusal."""
    try:
        client = await change
    except ClientError as error:
        raise _client_error(error) from None
    return ClientModel.model_validate(client.as_json())


def _issued(issued: Issued) -> IssuedModel:
    return IssuedModel(
        client=ClientModel.model_validate(issued.client.as_json()), secret=issued.secret
    )


@router.get(
    "/audit",
    response_model=list[AuditModel],
    summary="The audit log",
    responses=error_responses(401, 403, 422),
)
async def audit_log(
    _: Operator,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    actor_name: Annotated[str | None, Query(alias="actor", max_length=200)] = None,
) -> list[AuditModel]:
    """The newest entries first."""
    entries = await context.services.operator.audit_log(limit=limit, actor=actor_name)
    return [
        AuditModel(id=e.id or 0, at=e.at, actor=e.actor, action=e.action, target=e.target,
                   detail=e.detail, request_id=e.request_id)
        for e in entries
    ]  # fmt: skip


def _roles(values: list[str]) -> list[Role]:
    return list(parse_roles(values))
