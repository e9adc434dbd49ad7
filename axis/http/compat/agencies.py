"""The SDK's agency operations: the directory answers (getAgenciesList, getAgenciesListQD20,
getSynchronizeUnit) and, for the registry authority, registerAgency and deleteAgency as change
sets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi.responses import Response

from axis.http import directory
from axis.http.compat.dialect import (
    Call,
    Failure,
    Fields,
    refused,
)
from axis.http.compat.signature import (
    lenient_object,
)
from axis.services.registry_changes import apply_change_set
from orgcodes.changes import parse_change_set
from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.model import UnitState
from orgcodes.registry import Registry

log = structlog.get_logger(__name__)


# --- the registry --------------------------------------------------------------------------


async def get_agencies_list(call: Call) -> Response:
    return await directory_reply(call, directory.Listing.AGENCIES)


async def get_agencies_list_qd20(call: Call) -> Response:
    """The active units, narrowed to one level by `level`. Only this operation reads `level`
    (the vendor's sample passes it here): a level left on the service object by this call must
    not narrow the other lists."""
    level_text = call.param("level")
    level: int | None = None
    if level_text is not None:
        if not level_text.strip().isdigit():
            raise refused("400", "LEVEL_INVALID", f"level {level_text!r} is not a whole number.")
        level = int(level_text)
    return await directory_reply(call, directory.Listing.AGENCIES_QD20, level)


async def get_synchronize_unit(call: Call) -> Response:
    """Every unit, closed ones included (`deleted`), for a client keeping its own copy."""
    return await directory_reply(call, directory.Listing.SYNCHRONIZE)


async def directory_reply(
    call: Call, listing: directory.Listing, level: int | None = None
) -> Response:
    """The answer built once for the registry version the node holds (`axis.http.directory`),
    gzipped when the client accepts it, 304 when `If-None-Match` names it."""
    registry = call.context.node.registry.registry
    answer = await call.context.directory.answer(registry, listing, level)
    return directory.respond(call.request, answer)


def registry_failure(error: RegistryError) -> Failure:
    if error.code is RegistryCode.UNKNOWN_UNIT:
        status = "404"
    elif error.code in (
        RegistryCode.NOT_AUTHORITY,
        RegistryCode.CODE_REUSED,
        RegistryCode.UNIT_CLOSED,
        RegistryCode.EFFECTIVE_TOO_EARLY,
        RegistryCode.VERSION_GAP,
        RegistryCode.VERSION_OLD,
    ):
        status = "409"
    else:
        status = "400"
    return refused(status, error.code.value, error.message)


async def apply_change(call: Call, change: Mapping[str, Any], reason: str) -> str:
    """Apply one change as the next registry version, then snapshot and publish it; the
    `ErrorDesc` (warnings of an unpublished version are appended)."""
    change_set = {"effective": datetime.now(UTC).isoformat(), "reason": reason, "changes": [change]}
    try:
        done = await apply_change_set(
            call.context.node.registry, call.context.settings, parse_change_set(change_set),
            actor=f"client:{call.principal.client_id}", source="api",
        )  # fmt: skip
    except RegistryError as error:
        raise registry_failure(error) from None
    warnings = done.warnings
    return "; ".join(["Success", *warnings])


def agency_field(data: Mapping[str, str], *names: str) -> str | None:
    lowered = {key.lower(): value.strip() for key, value in data.items()}
    for name in names:
        if lowered.get(name.lower()):
            return lowered[name.lower()]
    return None


CONTACT_FIELDS = {
    "email": ("mail", "email"),
    "phone": ("mobile", "phone"),
    "fax": ("fax",),
    "address": ("address",),
}
"""The registry's contact fields, from the SDK's agency fields that carry them."""


async def register_agency(call: Call) -> Fields:
    """The body (`{"code", "name", "pcode", "mail", "mobile", "fax", ...}`, read leniently)
    becomes a `create`; registering the same unit again is accepted without a new version."""
    try:
        data = lenient_object(call.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise refused(
            "400", "AGENCY_MALFORMED", f"The agency data cannot be read: {error}."
        ) from None
    unit = agency_unit(data, call.context.node.registry.registry)
    if registered(call.context.node.registry.registry.get(unit["code"]), unit):
        return {"ErrorDesc": f"Success; {unit['code']} is registered already"}
    reason = f"registerAgency by client {call.principal.client_id}"
    return {"ErrorDesc": await apply_change(call, {"op": "create", "unit": unit}, reason)}


def registered(state: UnitState | None, unit: Mapping[str, Any]) -> bool:
    """Whether `unit` is already in the registry as asked (a repeated registerAgency)."""
    if state is None or not state.active:
        return False
    return (state.name, state.parent) == (unit["name"], unit["parent"])


def agency_unit(data: Mapping[str, str], registry: Registry) -> dict[str, Any]:
    """The change set's `unit` for the SDK's agency data: one level below its parent."""
    code = agency_field(data, "code")
    name = agency_field(data, "name")
    if code is None or name is None:
        raise refused("400", "AGENCY_MALFORMED", "The agency data needs a 'code' and a 'name'.")
    parent = agency_field(data, "pcode", "parentCode", "pid")
    parent_state = registry.get(parent) if parent is not None else None
    unit: dict[str, Any] = {
        "code": code,
        "name": name,
        "parent": parent,
        "level": parent_state.level + 1 if parent_state is not None else 1,
    }
    for target, sources in CONTACT_FIELDS.items():
        value = agency_field(data, *sources)
        if value is not None:
            unit[target] = value
    return unit


async def delete_agency(call: Call) -> Fields:
    """`AgencyCode` is closed (without successor); closing a closed unit is accepted."""
    code = call.required("AgencyCode")
    state = call.context.node.registry.registry.get(code)
    if state is None:
        raise refused("404", RegistryCode.UNKNOWN_UNIT.value, f"The registry has no unit {code}.")
    if not state.active:
        return {"ErrorDesc": f"Success; {code} is closed already"}
    reason = f"deleteAgency by client {call.principal.client_id}"
    return {"ErrorDesc": await apply_change(call, {"op": "close", "code": code}, reason)}
