"""The SDK's dialect: the FAIL reply and its codes, ASCII-only JSON replies, and the
authenticated call (HMAC-signed `XroadVnpt-*` headers, throttling, roles, bounded bodies)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from fastapi import Request
from fastapi.responses import Response

from axis.http import directory, throttle, unavailable
from axis.http.auth import remote_address
from axis.http.bodies import bounded_body
from axis.http.compat.operations import BindingError, Signs
from axis.http.compat.signature import (
    AmbiguousParameter,
    SignatureError,
    SignedHeaders,
    hash_matches,
    read_signed_headers,
)
from axis.http.context import AppContext
from axis.http.errors import ApiError
from axis.http.tls import peer_certificate
from axis.store.credentials import Client, Principal, Role

log = structlog.get_logger(__name__)

SERVICE_TYPE = "eDoc"
SDK_VERSION = "SDKVXP 2.0.1"
"""The national SDK release this compatibility layer speaks."""
SMALL_BODY = 64 * 1024
"""The most any operation but `sendEdoc` reads (their bodies are `{}` or one agency's JSON)."""
MAX_RECEIVED = 1000
"""Inbox items one `getReceivedEdocList` lists (the SDK has no paging; acknowledged items leave
the list, so a client working through its inbox sees the rest on its next call)."""
MAX_SENT = 100
"""Sent messages one `getSentEdocList` without `docId` covers, newest first."""
RETRY_AFTER = {"Retry-After": str(unavailable.RETRY_AFTER_SECONDS)}
SLASHES = "vxp_slashes"
"""The path convertor of repeated slashes (registered with Starlette by name)."""

Fields = dict[str, object]


class Failure(Exception):
    """An operation's refusal: `ErrorCode` and `ErrorDesc` of the FAIL reply (and HTTP headers
    it carries, such as `Retry-After`)."""

    def __init__(
        self, code: str, description: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.headers = dict(headers or {})


def refused(code: str, machine_code: str, sentence: str) -> Failure:
    return Failure(code, f"{machine_code}: {sentence}")


def throttled(wait: int) -> Failure:
    return Failure(
        "429",
        f"AUTH_THROTTLED: Too many failed authentications from this address or for this "
        f"systemid: try again in {wait} s.",
        {"Retry-After": str(wait)},
    )


def authentication_failed(reason: str) -> Failure:
    return Failure("401", f"authentication failed: {reason}")


# --- replies -------------------------------------------------------------------------------


def reply(fields: Mapping[str, object]) -> Response:
    """HTTP 200 with ASCII-only JSON (non-ASCII as \\uXXXX escapes), whatever the outcome."""
    return Response(directory.sdk_json(fields), media_type="application/json")


def success(extra: Mapping[str, object]) -> Response:
    return reply({**directory.SUCCESS, **extra})


def failure_reply(
    failure: Failure, extra: Mapping[str, object], *, retry_after: bool = False
) -> Response:
    response = reply(
        {"status": "FAIL", "ErrorCode": failure.code, "ErrorDesc": failure.description, **extra}
    )
    response.headers.update(failure.headers)
    if retry_after:
        response.headers.update(RETRY_AFTER)
    return response


def database_failure() -> Failure:
    """The FAIL reply of an operation that needed the database while it was away."""
    return refused("503", unavailable.DATABASE_UNAVAILABLE, unavailable.MESSAGE)


# --- the caller ----------------------------------------------------------------------------


@dataclass(slots=True)
class Call:
    """One authenticated SDK request: who sent it, what it signed, and its body."""

    request: Request
    context: AppContext
    principal: Principal
    signed: SignedHeaders
    body: bytes = b""

    @property
    def codes(self) -> list[str]:
        return sorted(self.principal.codes)

    def param(self, name: str) -> str | None:
        """A signed parameter (case-insensitive name), None when absent or blank."""
        try:
            value = self.signed.param(name)
        except AmbiguousParameter as error:
            text = str(error)
            raise refused("400", "PARAM_AMBIGUOUS", f"{text[:1].upper()}{text[1:]}.") from None
        return value if value is not None and value.strip() else None

    def required(self, name: str) -> str:
        value = self.param(name)
        if value is None:
            raise refused(
                "400", "PARAM_MISSING", f"This operation needs the signed parameter {name!r}."
            )
        return value.strip()


async def authenticate(request: Request, context: AppContext) -> tuple[Client, SignedHeaders]:
    """The HMAC client that signed `request`, read from the headers as received; failures are
    counted against the address and the claimed systemid, and refused unchecked past the
    limit (`axis.http.throttle`)."""
    keys = [throttle.address(remote_address(request))]
    try:
        signed = read_signed_headers(request.scope["headers"])
    except SignatureError as error:
        refuse_if_throttled(context, keys)
        context.throttle.failed(keys)
        raise authentication_failed(str(error)) from None
    keys.append(throttle.client(signed.system_id))
    refuse_if_throttled(context, keys)
    found = await context.services.callers.by_system_id(signed.system_id)
    if found is None or not hash_matches(signed, found[1]):
        context.throttle.failed(keys)
        log.info("SDK signature refused", system_id=signed.system_id, known=found is not None)
        raise authentication_failed(
            "bad HMAC (the systemid is unknown, disabled or not enabled for HMAC, or the "
            "hash-header was not made with its secret)"
        )
    client = found[0]
    if not client.accepts(peer_certificate(request.scope)):
        context.throttle.failed(keys)
        raise authentication_failed(
            f"AUTH_CERTIFICATE_MISMATCH: client {client.client_id!r} is bound to a TLS client "
            "certificate; connect over HTTPS presenting it (the JVM's javax.net.ssl.keyStore)"
        )
    request.state.principal = client.principal
    structlog.contextvars.bind_contextvars(client=client.client_id)
    return client, signed


def refuse_if_throttled(context: AppContext, keys: list[throttle.Key]) -> None:
    wait = context.throttle.retry_after(keys)
    if wait is not None:
        raise throttled(wait)


def check_signed(operation: str, signs: Signs, client: Client, signed: SignedHeaders) -> None:
    """The request signed what `operation` takes (`axis.http.compat.operations`)."""
    try:
        signs.check(operation, signed.params, strict=client.strict_parameters)
    except BindingError as error:
        raise refused(
            "400", error.code, f"{error.message[:1].upper()}{error.message[1:]}."
        ) from None


def require_role(principal: Principal, role: Role | None, operation: str) -> None:
    if role is None or principal.has(role):
        return
    if role is Role.REGISTRY_AUTHORITY:
        raise refused(
            "403",
            "ROLE_REQUIRED",
            f"The registry of agencies is maintained by the Government Office through change "
            f"sets; client {principal.client_id!r} lacks the role 'registry-authority' that "
            f"{operation} needs.",
        )
    raise refused(
        "403",
        "ROLE_REQUIRED",
        f"Client {principal.client_id!r} lacks the role {role.value!r} that {operation} needs.",
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The body within `limit` (reading it is also what answers `Expect: 100-continue`)."""
    try:
        return await bounded_body(request, limit)
    except ApiError as error:
        raise refused(str(error.status), error.code, error.message) from None
