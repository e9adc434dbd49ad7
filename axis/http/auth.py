"""Who is calling: `Authorization: Bearer <secret>` on the `/v1` API, checked on every route.

`caller` authenticates (401 `AUTH_REQUIRED` / `AUTH_INVALID`; 401 `AUTH_CERTIFICATE_MISMATCH`
for a client bound to a TLS client certificate that the connection did not present; 429
`AUTH_THROTTLED` with `Retry-After` for an address with too many failures, counted by
`axis.http.throttle`: a bearer secret names no client, so the address is the only key);
`needs(role)` also requires a role (403 `ROLE_REQUIRED`). What a caller may see within a role
(its own codes' inbox, sent items, tracking) is checked by the routes themselves against
`Principal.codes`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from axis.http import throttle
from axis.http.context import AppContext, app_context
from axis.http.errors import ApiError
from axis.http.tls import peer_certificate
from axis.store.credentials import Principal, Role

bearer = HTTPBearer(
    auto_error=False,
    description="The client's secret, as issued by `axis clients add` or POST /v1/clients.",
)

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="axis"'}


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    context: Annotated[AppContext, Depends(app_context)],
) -> Principal:
    if credentials is None:
        raise ApiError(
            401, "AUTH_REQUIRED",
            "This route needs a client's secret: send 'Authorization: Bearer <secret>'.",
            headers=CHALLENGE,
        )  # fmt: skip
    keys = [throttle.address(remote_address(request))]
    wait = context.throttle.retry_after(keys)
    if wait is not None:
        raise throttled(wait)
    client = await context.services.callers.by_secret(credentials.credentials)
    if client is None:
        context.throttle.failed(keys)
        raise ApiError(
            401, "AUTH_INVALID",
            "The secret is not valid: unknown, rotated, or its client is disabled.",
            headers=CHALLENGE,
        )  # fmt: skip
    if not client.accepts(peer_certificate(request.scope)):
        context.throttle.failed(keys)
        raise ApiError(
            401, "AUTH_CERTIFICATE_MISMATCH",
            f"Client {client.client_id!r} is bound to a TLS client certificate: connect over "
            "HTTPS presenting that certificate.",
            headers=CHALLENGE,
        )  # fmt: skip
    principal = client.principal
    request.state.principal = principal
    structlog.contextvars.bind_contextvars(client=principal.client_id)
    return principal


def remote_address(request: Request) -> str | None:
    """The address the request came from, as the server saw it (a proxy's, behind one)."""
    return request.client.host if request.client is not None else None


def throttled(wait: int) -> ApiError:
    return ApiError(
        429, "AUTH_THROTTLED",
        f"Too many failed authentications from this address or for this client: try again in "
        f"{wait} s.",
        headers={"Retry-After": str(wait)},
    )  # fmt: skip


def needs(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller, who must hold one of `roles`."""
    names = " or ".join(f"'{r.value}'" for r in roles)

    async def check(principal: Annotated[Principal, Depends(caller)]) -> Principal:
        if not any(principal.has(role) for role in roles):
            raise ApiError(
                403, "ROLE_REQUIRED",
                f"Client {principal.client_id!r} lacks the role this route needs ({names}).",
            )  # fmt: skip
        return principal

    return check


Agency = Annotated[Principal, Depends(needs(Role.AGENCY))]
Operator = Annotated[Principal, Depends(needs(Role.OPERATOR))]
Authority = Annotated[Principal, Depends(needs(Role.REGISTRY_AUTHORITY))]
Reader = Annotated[Principal, Depends(caller)]
"""Any authenticated client (the registry is read by every role)."""
Tracker = Annotated[Principal, Depends(needs(Role.AGENCY, Role.CLERK, Role.OPERATOR))]
"""Who may read tracking: agencies and clerks for their codes, operators for all."""


def scoped_codes(principal: Principal, code: str | None) -> list[str]:
    """The caller's codes, or the one of them asked for (403 when it is not theirs)."""
    if code is None:
        return sorted(principal.codes)
    if not principal.acts_for(code):
        raise ApiError(
            403, "CODE_NOT_ALLOWED",
            f"Client {principal.client_id!r} does not act for {code}.",
        )  # fmt: skip
    return [code]
